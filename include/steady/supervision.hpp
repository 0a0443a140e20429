// steady/supervision.hpp — what happens when an actor throws: restart policies, budgets, backoff, groups.
//
// The fault model. An exception that escapes an actor's coroutine is caught at the actor boundary, logged with the
// actor's name, the exception text and (with steady::ops) the stack trace of the throw, counted (ctx.restarts(),
// telemetry), and handed to the actor's policy:
//
//   restart     start a new incarnation of the same function with the same channel ends (and their contents) and
//               the same State<S>; at most `max_restarts` within `window`, each after a backoff delay
//               (initial × factor^(n−1), capped at max). When the budget is spent the failure escalates.
//   never       the actor stays stopped: its outputs are closed, producers feeding it stop waiting for room, the
//               rest of the graph goes on.
//   stop_graph  the graph is asked to stop; the stop report names the actor and its exception.
//
// Escalation (budget spent) stops the graph, and the report names the actor and its last exception.
//
// Groups (Erlang's supervisors). Actors added with `.supervisor(group)` are restarted by their group, which counts
// its own budget and applies its strategy:
//   one_for_one   only the failed actor restarts;
//   one_for_all   every member restarts;
//   rest_for_one  the failed actor and the members added to the group after it ("started after it" = later in
//                 the order of graph.actor(...).supervisor(g).run(...) calls) restart.
// Members restarted because of another's failure are asked to leave at their next wait or is_running() (their
// waits return `shutdown`, is_running() returns false); their channel ends stay open and keep their contents.
//
// Nothing is lost when an actor uses peek-before-commit: a message leaves its channel only when the actor
// advances past it after its work succeeded, so the next incarnation sees it again. A channel counts how often
// its front message was in front when its consumer failed; after `poison_after(K)` failures on the same message
// it is moved to the channel's dead-letter channel (ChannelBuilder::dead_letter), counted and logged, and the
// pipeline goes on.
//
// Boundaries. C++ cannot recover from a segfault or an abort inside a process: steady::ops::install_crash_handlers
// prints a trace naming the running actor and exits non-zero so a process supervisor (systemd: see
// docs/supervision.md) restarts the service; persisted State<S> makes that restart lossless.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace steady {

struct Backoff {
  std::chrono::nanoseconds initial{std::chrono::milliseconds(1)};
  std::chrono::nanoseconds max{std::chrono::seconds(1)};
  double factor = 2.0;
  // Delay before the n-th restart within the window (n ≥ 1).
  [[nodiscard]] std::chrono::nanoseconds delay(std::uint32_t n) const noexcept;
};

struct RestartPolicy {
  enum class Kind : std::uint8_t { restart, never, stop_graph };
  Kind kind = Kind::restart;
  std::uint32_t max_restarts = 10;
  std::chrono::nanoseconds window{std::chrono::seconds(10)};
  Backoff backoff{};

  [[nodiscard]] static RestartPolicy restart(std::uint32_t max_restarts, std::chrono::nanoseconds window,
                                             Backoff backoff = {}) {
    return {Kind::restart, max_restarts, window, backoff};
  }
  [[nodiscard]] static RestartPolicy never() { return {Kind::never, 0, {}, {}}; }
  [[nodiscard]] static RestartPolicy stop_graph() { return {Kind::stop_graph, 0, {}, {}}; }
};

enum class Strategy : std::uint8_t { one_for_one, one_for_all, rest_for_one };

// A supervisor group: obtain with Graph::supervisor(name, strategy, policy), then `.supervisor(group)` on actors.
struct SupervisorGroup {
  std::uint32_t id = 0;
};

}  // namespace steady
