# Embeds tools/steady-gen/templates/*.in into one C++ source as raw string literals (run at build time):
#   cmake -DTEMPLATE_DIR=<dir> -DOUT=<file.cpp> -P embed_templates.cmake
# No download, no extra tool: the templates stay separate, readable files, and the binary needs nothing at run time.
cmake_minimum_required(VERSION 3.25)
foreach(required TEMPLATE_DIR OUT)
  if(NOT ${required})
    message(FATAL_ERROR "embed_templates.cmake: -D${required}=... is required")
  endif()
endforeach()

file(GLOB names RELATIVE "${TEMPLATE_DIR}" "${TEMPLATE_DIR}/*.in")
list(SORT names)
set(entries "")
foreach(name IN LISTS names)
  file(READ "${TEMPLATE_DIR}/${name}" content)
  string(FIND "${content}" ")sgen_tpl\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${name} contains the raw-string delimiter )sgen_tpl\"")
  endif()
  string(APPEND entries "      {\"${name}\", R\"sgen_tpl(${content})sgen_tpl\"},\n")
endforeach()

set(source "// GENERATED at build time by tools/steady-gen/embed_templates.cmake from templates/*.in: do not edit.
#include \"template.hpp\"

namespace steady_gen {

const std::map<std::string_view, std::string_view>& embedded_templates() {
  static const std::map<std::string_view, std::string_view> all{
${entries}  };
  return all;
}

}  // namespace steady_gen
")
# Rewrite only on change, so an unchanged template set does not recompile anything.
file(WRITE "${OUT}.tmp" "${source}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
