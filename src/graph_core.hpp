// src/graph_core.hpp — the graph's private state. Internal.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <optional>
#include <thread>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "executor.hpp"
#include "steady/graph.hpp"

namespace steady::detail {

// A restart waiting out its backoff: the new incarnation exists, suspended, and resumes at `at` (or at once when
// the graph starts stopping, so it can vote).
struct RestartDelay final : PendingWait {
  ActorCore* actor = nullptr;
  TimePoint at{};
  bool ready() noexcept override { return actor->now() >= at; }
  bool arm() noexcept override { return false; }
  void disarm() noexcept override {}
  TimePoint deadline() const noexcept override { return at; }
  bool should_resume(TimePoint now) noexcept override { return now >= at || actor->stop_requested_fenced(); }
  bool may_spin() const noexcept override { return false; }
};

// The stack trace of the exception that ended an actor, from the installed provider (the throw-site recorder by
// default, when built with STEADY_WITH_TRACES); "" when there is none.
std::string take_failure_trace();

struct ActorRecord {
  std::unique_ptr<ActorCore> core;
  std::function<Task(Context&)> factory;
  std::unique_ptr<Context> ctx;
  Task task;  // the current incarnation
  int troupe = -1, cpu = -1, spin = -1;
  std::size_t stack = 0;
  // supervision (guarded by GraphCore::mu)
  std::optional<RestartPolicy> policy;
  int group = -1;
  std::deque<TimePoint> restart_times;  // within the policy's window
  std::string last_error;
  bool done_for_good = false;
  std::atomic<std::int64_t> recycle_delay_ns{0};  // set by a group restart
  RestartDelay delay;
};

struct SupervisorGroupRecord {
  std::string name;
  Strategy strategy;
  RestartPolicy policy;
  std::vector<std::uint32_t> members;  // actor indices, in the order they joined
  std::deque<TimePoint> restart_times;
};

class GraphCore {
 public:
  explicit GraphCore(const GraphOptions& o) : options(o) {}
  ~GraphCore();

  // Executor thread: create the actor's coroutine (first start or restart).
  void begin_incarnation(ActorCore& a);
  // Executor thread: the coroutine finished (returned, or threw and will not be restarted).
  void end_incarnation(ActorCore& a);

  void request_shutdown() noexcept;
  // Watchdog thread (real-time graphs): flags actors resumed longer than their stall bound.
  void start_watchdog();
  void stop_watchdog();
  std::thread watchdog;
  std::condition_variable watchdog_cv;
  void force_stop() noexcept;

  GraphOptions options;
  std::vector<std::shared_ptr<ChannelCore>> channels;
  std::vector<std::unique_ptr<ActorRecord>> actors;
  std::unordered_set<std::string> actor_names;  // full names taken: a duplicate is refused in O(1) (W5 adds 10,000)
  std::vector<std::string> troupes;
  std::vector<SupervisorGroupRecord> groups;
  std::vector<std::function<void()>> on_stop;
  std::atomic<std::uint64_t> restarts_total{0};
  std::map<std::string, std::shared_ptr<Substitute>> substitutes;
  std::vector<std::unique_ptr<Executor>> executors;

  [[nodiscard]] TimePoint now() const noexcept {
    return options.virtual_time ? TimePoint(Clock::duration(virtual_now.load(std::memory_order_relaxed)))
                                : Clock::now();
  }
  // Virtual time: the one executor, driven by the caller.
  [[nodiscard]] Executor& virtual_executor() const;
  std::size_t drive();  // run_until_idle on the virtual executor, at most kDriveBudget resumes
  static constexpr std::size_t kDriveBudget = 1'000'000;
  static constexpr std::size_t kStopDriveBudget = 20'000;  // block_until_stopped: a graph this busy is spinning

  // Virtual clock, in steady_clock ticks; starts at the real time the graph was built so deadlines look natural.
  std::atomic<Clock::rep> virtual_now{Clock::now().time_since_epoch().count()};
  std::atomic<std::uint32_t> phase{0};  // 0 running, 1 stop requested, 2 forced
  std::atomic<GraphState> state{GraphState::building};

  std::mutex mu;  // guards what follows
  std::condition_variable cv;
  std::size_t live = 0;
  Clock::time_point stop_requested_at{};
  std::vector<StopReport::Failure> failures;
  bool joined = false;
};

}  // namespace steady::detail
