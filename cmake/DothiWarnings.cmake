# dothi_set_warnings(target): our warning set, applied to our own targets only.
function(dothi_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(DOTHI_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
