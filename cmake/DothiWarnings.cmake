# dothi_set_warnings(target): our warning set, applied to our own targets only.
function(dothi_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 at -O2 reports std::variant members moved out of a temporary Json as
    # "maybe uninitialized" (a known false positive); it would fail every -Werror build.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
  if(DOTHI_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
