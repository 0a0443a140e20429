// steady/detail/actor_core.hpp — the runtime record of one actor: its scheduling state and what it waits for.
// Internal: the awaiters in context.hpp talk to it; the executor (src/) owns the loop that resumes it.
//
// Scheduling states (one atomic word, any thread may wake):
//   running  — on its executor's thread right now
//   waiting  — suspended in a wait, its conditions armed; a wake moves it to ready (exactly once, by CAS)
//   ready    — queued on its executor; the executor moves it to running (by CAS) before resuming it
//   finished — its coroutine returned or failed for good
// A queue entry whose CAS ready→running fails is stale and skipped, so an actor is never resumed twice.
#pragma once

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "platform.hpp"

namespace steady {
class Context;
}

namespace steady::detail {

class Executor;
class GraphCore;
class ChannelCore;

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
inline constexpr TimePoint kNoDeadline = TimePoint::max();

enum class TaskState : std::uint32_t { running, waiting, ready, finished };

// A wait in progress, seen by the executor while the actor is suspended.
class PendingWait {
 public:
  // Condition holds now (called on the actor's thread).
  virtual bool ready() noexcept = 0;
  // Arm wake-ups on every channel involved, then re-check; true when the condition already holds (nothing armed).
  virtual bool arm() noexcept = 0;
  virtual void disarm() noexcept = 0;
  // When to look again even without a wake (a timer condition, a timeout, or the shutdown poll).
  virtual TimePoint deadline() const noexcept = 0;
  // Whether the actor should be resumed now: condition met, deadline passed, or shutdown cut the wait short.
  virtual bool should_resume(TimePoint now) noexcept = 0;
  // Whether a solo actor's spin and yield phases could see it satisfied before it sleeps: not for a wait on timers
  // alone (only time satisfies it, and the executor's timer wakes it on time). Asked once per suspension.
  virtual bool may_spin() const noexcept { return true; }

 protected:
  ~PendingWait() = default;
};

class ActorCore {
public:
  ActorCore(GraphCore& graph, std::string name, int suffix);
  ActorCore(const ActorCore&) = delete;
  ActorCore& operator=(const ActorCore&) = delete;

  // Any thread: make a waiting actor runnable. Idempotent; a wake for an actor that is not waiting is dropped
  // (it re-checks its conditions before it sleeps again, so nothing is lost).
  void wake() noexcept {
    auto s = TaskState::waiting;
    if (state.compare_exchange_strong(s, TaskState::ready, std::memory_order_acq_rel)) schedule();
  }
  // Push onto the executor's ready queue; the caller has just moved the state to `ready` (src/executor.cpp).
  void schedule() noexcept;
  // Actor thread, inside await_suspend: go to sleep on `w`. Returns false when the actor should continue at once.
  bool suspend_on(PendingWait& w) noexcept;

  // This incarnation's phase: 0 running, 1 stop requested (vote), 2 forced out (the graph gave up waiting for
  // votes, or a supervisor recycles the actor for a group restart). One word per actor, on the hot path of
  // is_running(); the graph raises every actor's word when it stops.
  [[nodiscard]] bool stop_requested() const noexcept { return phase.load(std::memory_order_relaxed) >= 1; }
  [[nodiscard]] bool forced_stop() const noexcept { return phase.load(std::memory_order_relaxed) >= 2; }
  // seq_cst read, for the Dekker handshake with request_shutdown() (state store, then phase load).
  [[nodiscard]] bool stop_requested_fenced() const noexcept { return phase.load() >= 1; }
  // Raise the phase to at least p (never lowers it) and wake the actor so a pending wait returns.
  void raise_phase(std::uint32_t p) noexcept {
    std::uint32_t cur = phase.load();
    while (cur < p && !phase.compare_exchange_weak(cur, p)) {
    }
    wake();
  }
  std::atomic<std::uint32_t> phase{0};
  // The graph's time: the steady clock, or the virtual clock of a testing graph built with virtual_time().
  [[nodiscard]] TimePoint now() const noexcept {
    return virtual_now == nullptr ? Clock::now()
                                  : TimePoint(Clock::duration(virtual_now->load(std::memory_order_relaxed)));
  }
  const std::atomic<Clock::rep>* virtual_now = nullptr;

  // ---- identity and placement (immutable once the graph runs)
  GraphCore& graph;
  const std::string name;
  const int suffix;  // -1 = none
  std::string full_name;
  Executor* executor = nullptr;
  bool in_troupe = false;
  std::uint32_t spin_iterations = 0;  // solo actors: spin this many checks before arming and sleeping
  std::uint32_t yield_iterations = 0;  // solo actors, channel waits: then yield the core this many times
  std::vector<ChannelCore*> outputs;  // channels it produces into (closed for it when it returns)
  std::vector<ChannelCore*> inputs;   // channels it consumes from

  // ---- scheduling
  std::atomic<TaskState> state{TaskState::ready};
  std::coroutine_handle<> handle;   // the current incarnation's coroutine
  PendingWait* pending = nullptr;   // set while waiting
  std::uint64_t wait_seq = 0;       // bumps on every wait, so stale timer entries are ignored
  std::uint32_t fairness_budget = 0;
  std::uint32_t fairness_reset = 64;
  std::chrono::nanoseconds shutdown_poll{std::chrono::milliseconds(10)};
  std::uint32_t index = 0;  // position in the graph

  // ---- figures (owner thread writes, telemetry reads)
  std::atomic<std::uint64_t> passes{0};
  std::atomic<std::uint64_t> restarts{0};
  std::atomic<std::uint64_t> busy_ns{0};   // time resumed (outside waits), measured by the executor
  std::atomic<std::uint64_t> resumes{0};
  void set_status(std::string text);       // a one-line text the actor shows in telemetry
  [[nodiscard]] std::string status() const;
  // Key/value labels telemetry shows with the actor (the builder's, then those the actor sets itself, e.g. the
  // endpoint a bridge bound). Any thread; an empty value removes the key. Not for the hot path: each change copies
  // the map, so a reader's snapshot never changes under it.
  using Labels = std::map<std::string, std::string>;
  void set_label(std::string key, std::string value);
  [[nodiscard]] std::shared_ptr<const Labels> labels() const;  // never null

  // ---- custom counters (Context::counter): named totals the actor publishes, e.g. "bytes_read". A cell is
  // registered once per name and kept for the graph's lifetime, so a restarted incarnation goes on counting.
  // counter_cell: any thread, not for the hot path (a lock and a search); the cell itself is a relaxed atomic.
  struct CounterCell {
    explicit CounterCell(std::string n) : name(std::move(n)) {}
    const std::string name;
    std::atomic<std::uint64_t> value{0};
  };
  [[nodiscard]] std::atomic<std::uint64_t>& counter_cell(const std::string& counter_name) {
    std::lock_guard lock(counters_mu_);
    for (auto& c : counters_)
      if (c->name == counter_name) return c->value;
    return counters_.emplace_back(std::make_unique<CounterCell>(counter_name))->value;
  }
  // (name, value) of every counter, in registration order (telemetry reads it once per frame).
  [[nodiscard]] std::vector<std::pair<std::string, std::uint64_t>> counters() const {
    std::lock_guard lock(counters_mu_);
    std::vector<std::pair<std::string, std::uint64_t>> out;
    out.reserve(counters_.size());
    for (const auto& c : counters_) out.emplace_back(c->name, c->value.load(std::memory_order_relaxed));
    return out;
  }

  // ---- stop vote (owner thread writes, the thread that builds the report reads)
  void record_veto(std::string reason);
  void clear_veto();
  [[nodiscard]] std::string last_veto() const;
  std::atomic<bool> vetoing{false};

  // Periodic wait state: the deadline of the last completed period.
  TimePoint last_period = kNoDeadline;

  // ---- supervision (see supervision.hpp; owned by the graph's supervisor code)
  std::atomic<bool> recycling{false};           // this incarnation ends for a group restart, not for good
  std::atomic<std::int64_t> running_since{0};   // steady-clock ns when resumed, 0 while suspended (watchdog)
  std::atomic<bool> stalled{false};
  std::int64_t stall_after_ns = 0;              // 0 = the graph's default

 private:
  mutable std::mutex veto_mu_;
  std::string veto_reason_;
  std::string status_;
  std::shared_ptr<const Labels> labels_ = std::make_shared<const Labels>();
  mutable std::mutex counters_mu_;
  std::vector<std::unique_ptr<CounterCell>> counters_;  // unique_ptr: cells never move once handed out
};

}  // namespace steady::detail
