// template.hpp — the small template language of tools/steady-gen/templates/*.in.
//
//   @@name@@            replaced by the value of `name` (an unknown name is a generator bug:
//   std::logic_error) a line holding only "  @@name@@"   the value's lines are each indented like the
//   placeholder; an empty value
//                       removes the line
//   @@#flag@@ ... @@/flag@@   on lines of their own: kept when `flag` is set to a non-empty value
//   @@^flag@@ ... @@/flag@@   kept when it is empty
//
// '@@' was chosen because it appears in neither C++, CMake (configure_file uses single '@'), Markdown nor
// unit files.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace steady_gen {

using Vars = std::map<std::string, std::string, std::less<>>;

// Renders the embedded template `name` (e.g. "main.cpp.in") with `vars`.
[[nodiscard]] std::string render_template(std::string_view name, const Vars& vars);
// Renders template text directly (for tests).
[[nodiscard]] std::string render_text(std::string_view text, const Vars& vars,
                                      std::string_view name = "<text>");

// The embedded templates (templates.cpp, generated at build time from templates/*.in).
[[nodiscard]] const std::map<std::string_view, std::string_view>& embedded_templates();

}  // namespace steady_gen
