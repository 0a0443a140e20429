// analysis.hpp — from parsed nodes and edges to a validated service: channels and inferred bundles, actor
// kinds and their ports, driver checks, wait plans, cycles.
#pragma once

#include "diagnostics.hpp"
#include "model.hpp"

namespace steady_gen {

// Fills s.channels, s.kinds, bindings and settings; reports every violation of DOT_GRAMMAR.md into `diags`.
void analyze(Service& s, Diagnostics& diags);

// The actor name main.cpp uses for its --duration stopper (no DOT node may take it).
inline constexpr const char* kStopperName = "duration_stop";

}  // namespace steady_gen
