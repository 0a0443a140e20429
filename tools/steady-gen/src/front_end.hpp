// front_end.hpp — DOT text -> Service nodes, edges and notes, through Graphviz's own parser (cgraph).
#pragma once

#include <optional>
#include <string>

#include "diagnostics.hpp"
#include "model.hpp"

namespace steady_gen {

// Parses `text` (the contents of `file`, which names it in messages) and applies DOT_GRAMMAR.md's label
// tokens and structured attributes. Reports syntax errors, undirected graphs and malformed tokens into
// `diags`. Returns nothing when the text could not be parsed at all.
[[nodiscard]] std::optional<Service> read_dot(const std::string& file, const std::string& text,
                                              Diagnostics& diags);

}  // namespace steady_gen
