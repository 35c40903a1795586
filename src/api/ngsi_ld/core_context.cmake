# Embeds core_context.jsonld into the binary: reads it at configure time and writes a .cc
# holding it as a raw string literal. Editing the .jsonld re-runs configure.
set(DOTHI_CORE_CONTEXT_SRC ${CMAKE_CURRENT_LIST_DIR}/core_context.jsonld)
set(DOTHI_CORE_CONTEXT_CC ${CMAKE_CURRENT_BINARY_DIR}/ngsi_ld/core_context_data.cc)
file(READ ${DOTHI_CORE_CONTEXT_SRC} DOTHI_CORE_CONTEXT_JSONLD)
string(FIND "${DOTHI_CORE_CONTEXT_JSONLD}" ")dothi_ctx\"" DOTHI_CORE_CONTEXT_CLASH)
if(NOT DOTHI_CORE_CONTEXT_CLASH EQUAL -1)
  message(FATAL_ERROR "core_context.jsonld contains the raw string delimiter")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/core_context_data.cc.in ${DOTHI_CORE_CONTEXT_CC} @ONLY)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${DOTHI_CORE_CONTEXT_SRC})
target_sources(dothi_api PRIVATE ${DOTHI_CORE_CONTEXT_CC})
