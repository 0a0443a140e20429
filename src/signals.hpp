// src/signals.hpp — SIGINT/SIGTERM request a stop of every production graph. Internal.
//
// The handler only bumps an atomic and issues a futex wake (both async-signal-safe); a watcher thread, started the
// first time a graph registers, turns that into request_shutdown() calls. A second signal while a stop is already
// under way exits the process at once (status 130), as users expect from a second Ctrl-C.
#pragma once

namespace steady::detail {
class GraphCore;
void register_signal_target(GraphCore* g);
void unregister_signal_target(GraphCore* g);
}  // namespace steady::detail
