// src/telemetry/layout.hpp — DOT → SVG with Graphviz (libgvc, the "dot" engine). Graphviz keeps global state and is
// not thread-safe, so every call in the process goes through one mutex. Internal.
#pragma once

#include <string>

#include "steady/result.hpp"

namespace steady::telemetry {

// The <svg> element of the laid-out graph (no XML prolog, so it can be placed inside an HTML page).
[[nodiscard]] Result<std::string> render_svg(const std::string& dot);

}  // namespace steady::telemetry
