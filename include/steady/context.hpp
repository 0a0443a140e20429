// steady/context.hpp — what an actor sees of the runtime: its identity, the run loop test, and the waits.
//
// The shape of every actor:
//
//   steady::Task relay(steady::Context& ctx, steady::Rx<Item>& in, steady::Tx<Item>& out) {
//     while (ctx.is_running([&] { return in.is_closed_and_empty() && out.mark_closed(); })) {
//       co_await ctx.wait_all(steady::avail(in, 64), steady::vacant(out, 64));   // one consolidated wait per pass
//       process_batch(in, out);                                                 // non-blocking work, plain function
//     }
//   }
//
// Waits. Each wait returns a WaitResult: `satisfied` (the condition holds), `timed_out` (a `.timeout(d)` passed) or
// `shutdown` (the graph is stopping: a wait pending when the stop was requested returns at once; a wait begun during
// the stop returns as soon as its condition holds, or after a short poll so the actor can vote again). A wait whose
// condition already holds does not suspend. wait_avail(rx, n) is also satisfied when the channel is closed, with
// fewer than n left; wait_vacant(tx, n) also when its consumer is gone for good. n is clamped to the capacity.
//
// Closed inputs. wait_avail is satisfied at once by a closed channel, so an actor whose inputs are closed and
// drained should return (`if (in.is_closed_and_empty()) co_return;`): the graph then closes its outputs, and the
// pipeline drains front to back. An actor that keeps looping on a closed input spins until the graph stops.
//
// Stop votes. After a stop is requested, is_running(accept) calls `accept` once per pass: returning true (or
// steady::agree()) ends the loop; false (or steady::veto("why")) keeps the actor running, and the reason appears in
// the stop report if the graph times out waiting. is_running() without a callable agrees at once.
//
// Thread: a Context is used only from its own actor's coroutine.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "channel.hpp"
#include "doorbell.hpp"
#include "detail/actor_core.hpp"
#include "task.hpp"

namespace steady {

enum class WaitStatus : std::uint8_t { satisfied, timed_out, shutdown };

struct WaitResult {
  static constexpr std::size_t no_lane = std::numeric_limits<std::size_t>::max();
  WaitStatus status = WaitStatus::satisfied;
  // any-of waits: index of the (first) satisfied condition; bundle waits: the ready lane. no_lane otherwise.
  std::size_t lane = no_lane;
  [[nodiscard]] bool satisfied() const noexcept { return status == WaitStatus::satisfied; }
  [[nodiscard]] bool timed_out() const noexcept { return status == WaitStatus::timed_out; }
  [[nodiscard]] bool shutdown() const noexcept { return status == WaitStatus::shutdown; }
  explicit operator bool() const noexcept { return satisfied(); }
};

// A stop vote with a reason (see Context::is_running).
struct Vote {
  bool agree = true;
  std::string reason;
};
[[nodiscard]] inline Vote agree() { return {}; }
[[nodiscard]] inline Vote veto(std::string reason) { return {false, std::move(reason)}; }
// Agree when every given input is closed and drained; otherwise veto naming the first one that is not.
template <class... T>
[[nodiscard]] Vote drained(Rx<T>&... inputs);

// ---- conditions for wait_all / wait_any
struct Cond {
  enum class Kind : std::uint8_t { avail, vacant, after, periodic, bell };
  Kind kind = Kind::after;
  detail::ChannelCore* channel = nullptr;
  Doorbell* bell = nullptr;
  detail::ActorCore* waiter = nullptr;  // set when the wait starts
  std::uint64_t units = 0;
  std::chrono::nanoseconds duration{0};
  detail::TimePoint at = detail::kNoDeadline;  // resolved when the wait starts
};
// What avail() and vacant() return: a channel and a count whose type says which condition it is, so
// wait_all(avail(..), vacant(..)) (a relay's wait, once per pass) can pick an awaiter made for exactly that pair
// without building two whole Conds. Each converts to a Cond wherever one is expected.
template <Cond::Kind K>
struct ChannelCond {
  detail::ChannelCore* channel;
  std::uint64_t units;
  operator Cond() const noexcept { return {K, channel, nullptr, nullptr, units, {}, detail::kNoDeadline}; }
};
using AvailCond = ChannelCond<Cond::Kind::avail>;
using VacantCond = ChannelCond<Cond::Kind::vacant>;
template <class T>
[[nodiscard]] AvailCond avail(Rx<T>& rx, std::uint64_t n) noexcept {
  return {&rx.ring(), n};
}
template <class T>
[[nodiscard]] VacantCond vacant(Tx<T>& tx, std::uint64_t n) noexcept {
  return {&tx.ring(), n};
}
// Satisfied once `d` has passed since the wait began.
[[nodiscard]] inline Cond after(std::chrono::nanoseconds d) noexcept {
  return {Cond::Kind::after, nullptr, nullptr, nullptr, 0, d, {}};
}
// Satisfied at the actor's next period boundary (see Context::wait_periodic).
[[nodiscard]] inline Cond periodic(std::chrono::nanoseconds d) noexcept {
  return {Cond::Kind::periodic, nullptr, nullptr, nullptr, 0, d, {}};
}
// Satisfied while `bell` has rings the actor has not answered (see doorbell.hpp).
[[nodiscard]] inline Cond rung(Doorbell& bell) noexcept {
  return {Cond::Kind::bell, nullptr, &bell, nullptr, 0, {}, detail::kNoDeadline};
}

namespace detail {

// Non-template condition logic (src/context.cpp).
bool cond_ready(Cond& c, TimePoint now) noexcept;
bool cond_finished(Cond& c) noexcept;  // a channel condition that holds only because the channel is over
bool cond_arm(Cond& c) noexcept;  // true: already satisfied
void cond_disarm(Cond& c) noexcept;
void cond_resolve(Cond& c, ActorCore& core, TimePoint now) noexcept;  // fixes `at` for timer conditions
void cond_complete(Cond& c, ActorCore& core, TimePoint now) noexcept;  // advances the period when it fired
// cond_ready with the channel conditions inline (one per pass of a relay's wait_all: the hot path).
inline bool cond_ready_inline(Cond& c, TimePoint now) noexcept {
  if (c.kind == Cond::Kind::avail) return c.channel->avail_ready(c.units);
  if (c.kind == Cond::Kind::vacant) return c.channel->vacant_ready(c.units);
  return cond_ready(c, now);
}

// The part every awaiter shares: fast path, suspension, shutdown and timeout rules.
//
// A satisfied wait (the hot path: one per pass of most actors) writes only what it needs: the awaiter's references,
// its counts, the timeout and the status. What only a wait that goes on to suspend needs (poll_at_) is written on
// the slow path, by not_ready(), before anything reads it; a count above the channel's capacity is clamped there
// too (it cannot hold before the clamp, so the fast path needs no clamp).
class WaitBase : public PendingWait {
 public:
  explicit WaitBase(ActorCore& core) noexcept : core_(core) {}
  // Movable only before it is awaited (so `.timeout(d)` can return a fresh awaiter); never copied.
  WaitBase(WaitBase&&) noexcept = default;
  WaitBase(const WaitBase&) = delete;
  WaitBase& operator=(const WaitBase&) = delete;

  bool await_suspend(std::coroutine_handle<>) noexcept;
  TimePoint deadline() const noexcept override;
  bool should_resume(TimePoint now) noexcept override;

 protected:
  // Returns true when the coroutine may go on without suspending. The satisfied case is inline (it is the hot
  // path: one per pass); the rest is out of line.
  bool fast_path(bool condition_holds) noexcept {
    if (condition_holds) [[likely]] return satisfied();
    return not_ready();
  }
  [[gnu::always_inline]] bool satisfied() noexcept {
    if (!core_.in_troupe || --core_.fairness_budget != 0) [[likely]] return true;
    return fairness_yield();
  }
  bool fairness_yield() noexcept;  // troupe fairness: the budget ran out, give the other members a turn
  bool not_ready() noexcept;       // shutdown rules for a wait that has to suspend (sets poll_at_ and yield_)

  ActorCore& core_;
  TimePoint timeout_at_ = kNoDeadline;
  TimePoint poll_at_;  // kNoDeadline, or a poll time for waits begun while the graph is stopping (slow path)
  WaitStatus status_ = WaitStatus::satisfied;  // (two adjacent bytes: one store)
  bool yield_ = false;                         // suspend only to let the troupe's other members run
};

// wait_avail / wait_vacant on one channel: the hot path, fully inline.
template <bool Avail>
class ChannelWait final : public WaitBase {
 public:
  ChannelWait(ActorCore& core, ChannelCore& ch, std::uint64_t n) noexcept : WaitBase(core), ch_(ch), n_(n) {}
  // Give up after d: the wait then returns timed_out.
  [[nodiscard]] ChannelWait timeout(std::chrono::nanoseconds d) && noexcept {
    timeout_at_ = core_.now() + d;
    return std::move(*this);
  }
  [[gnu::always_inline]] bool await_ready() noexcept {
    if (ready()) [[likely]] return satisfied();
    if (n_ > ch_.capacity()) {
      n_ = ch_.capacity();
      if (ready()) return satisfied();
    }
    return not_ready();
  }
  WaitResult await_resume() const noexcept { return {status_, WaitResult::no_lane}; }

  [[gnu::always_inline]] bool ready() noexcept override {
    return Avail ? ch_.avail_ready(n_) : ch_.vacant_ready(n_);
  }
  bool arm() noexcept override { return Avail ? ch_.arm_avail(n_) : ch_.arm_vacant(n_); }
  void disarm() noexcept override { Avail ? ch_.disarm_avail() : ch_.disarm_vacant(); }

 private:
  ChannelCore& ch_;
  std::uint64_t n_;  // clamped to the capacity on the slow path
};

// wait_all(avail(in, n), vacant(out, m)): the relay's wait, once per pass, fully inline. The same rules as
// MultiWait<2> all-of over two channel conditions, without the condition array, the timer bookkeeping and the
// out-of-line condition calls.
class AvailVacantWait final : public WaitBase {
 public:
  AvailVacantWait(ActorCore& core, ChannelCore& in, std::uint64_t n, ChannelCore& out, std::uint64_t m) noexcept
      : WaitBase(core), in_(in), out_(out), n_(n), m_(m) {}
  [[nodiscard]] AvailVacantWait timeout(std::chrono::nanoseconds d) && noexcept {
    timeout_at_ = core_.now() + d;
    return std::move(*this);
  }
  [[gnu::always_inline]] bool await_ready() noexcept {
    if (ready()) [[likely]] return satisfied();
    if (n_ > in_.capacity() || m_ > out_.capacity()) {
      n_ = std::min(n_, in_.capacity());
      m_ = std::min(m_, out_.capacity());
      if (ready()) return satisfied();
    }
    return not_ready();
  }
  WaitResult await_resume() const noexcept { return {status_, WaitResult::no_lane}; }

  [[gnu::always_inline]] bool ready() noexcept override { return in_.avail_ready(n_) && out_.vacant_ready(m_); }
  bool arm() noexcept override {
    // Arm both (each arm re-checks after its fence), then decide on both: one may hold and the other not.
    (void)in_.arm_avail(n_);
    (void)out_.arm_vacant(m_);
    if (ready()) {
      disarm();
      return true;
    }
    return false;
  }
  void disarm() noexcept override {
    in_.disarm_avail();
    out_.disarm_vacant();
  }

 private:
  ChannelCore& in_;
  ChannelCore& out_;
  std::uint64_t n_, m_;  // clamped to the capacities on the slow path
};

// all-of / any-of over N conditions (also bundles and timers).
template <std::size_t N>
class MultiWait final : public WaitBase {
 public:
  MultiWait(ActorCore& core, bool all, std::array<Cond, N> conds, std::size_t first_lane = 0) noexcept
      : WaitBase(core), conds_(conds), all_(all), start_(first_lane % (N == 0 ? 1 : N)) {
    // The clock is read only when a timer condition needs it: on this kind of VM a clock read costs as much as
    // moving a few dozen messages, and a wait over channels alone is the hot path (one per pass of a relay).
    for (const auto& c : conds_)
      if (c.kind == Cond::Kind::after || c.kind == Cond::Kind::periodic) timers_ = true;
    const TimePoint now = timers_ ? core.now() : TimePoint{};
    for (auto& c : conds_) {
      if (c.kind == Cond::Kind::avail || c.kind == Cond::Kind::vacant)
        c.units = std::min(c.units, c.channel->capacity());  // what cond_resolve does for them, inline
      else
        cond_resolve(c, core, now);
      if (c.at < cond_at_) cond_at_ = c.at;
    }
    wake_at_ = cond_at_;
  }
  [[nodiscard]] MultiWait timeout(std::chrono::nanoseconds d) && noexcept {
    timeout_at_ = core_.now() + d;
    return std::move(*this);
  }
  bool await_ready() noexcept { return fast_path(ready()); }
  WaitResult await_resume() noexcept {
    if (status_ == WaitStatus::satisfied && timers_) {  // only a periodic condition has anything to complete
      const TimePoint now = core_.now();
      if (all_) {
        for (auto& c : conds_) cond_complete(c, core_, now);
      } else if (lane_ < N) {
        cond_complete(conds_[lane_], core_, now);  // only the reported condition is used up (a period, say)
      }
    }
    return {status_, all_ ? WaitResult::no_lane : lane_};
  }

  bool ready() noexcept override {
    const TimePoint now = cond_at_ == kNoDeadline ? TimePoint{} : core_.now();
    checked_at_ = now;
    if (all_) {
      for (auto& c : conds_)
        if (!cond_ready_inline(c, now)) return false;
      return true;
    }
    // A channel that is closed and drained satisfies a wait only to say "it is over"; in an any-of wait it counts
    // only once every channel in the wait is over, or a bundle with one finished lane would never sleep again.
    std::size_t finished = N;
    bool all_channels_finished = true;
    for (std::size_t k = 0; k < N; ++k) {
      const std::size_t i = (start_ + k) % N;
      if (!cond_ready(conds_[i], now)) {
        if (conds_[i].channel != nullptr) all_channels_finished = false;
        continue;
      }
      if (conds_[i].channel != nullptr && cond_finished(conds_[i])) {
        if (finished == N) finished = i;
        continue;
      }
      lane_ = i;
      return true;
    }
    if (finished != N && all_channels_finished) {
      lane_ = finished;
      return true;
    }
    return false;
  }
  TimePoint deadline() const noexcept override { return std::min({WaitBase::deadline(), wake_at_}); }
  // Not ready yet. In an all-of wait, a timer that had passed when ready() looked is satisfied for good and what is
  // missing is a channel (armed: its change wakes the actor) or a later timer: the passed timer must not stay the
  // wake-up time, or the executor would wake the actor again and again (a busy loop) until the channel is ready.
  // Only timers ready() saw passed are dropped (checked_at_), so no wake-up is lost to time passing in between.
  bool should_resume(TimePoint now) noexcept override {
    if (WaitBase::should_resume(now)) return true;
    if (all_ && cond_at_ != kNoDeadline) {
      wake_at_ = kNoDeadline;
      for (const auto& c : conds_)
        if (c.at != kNoDeadline && c.at > checked_at_ && c.at < wake_at_) wake_at_ = c.at;
    }
    return false;
  }
  bool arm() noexcept override {
    // Arm every channel (each arm re-checks after its fence), then decide with the full rule in ready().
    for (auto& c : conds_) (void)cond_arm(c);
    if (ready()) {  // also sets lane_
      disarm();
      return true;
    }
    return false;
  }
  void disarm() noexcept override {
    for (auto& c : conds_) cond_disarm(c);
  }
  bool may_spin() const noexcept override {  // a channel or a doorbell can change while we spin; time alone cannot
    for (const auto& c : conds_)
      if (c.kind != Cond::Kind::after && c.kind != Cond::Kind::periodic) return true;
    return false;
  }

 private:
  std::array<Cond, N> conds_;
  TimePoint cond_at_ = kNoDeadline;     // earliest timer condition
  TimePoint wake_at_ = kNoDeadline;     // the timers' part of deadline()
  TimePoint checked_at_ = kNoDeadline;  // the time the last ready() judged the timers at
  const bool all_;
  bool timers_ = false;  // some condition is a timer (after / periodic)
  const std::size_t start_;
  std::size_t lane_ = WaitResult::no_lane;
};

}  // namespace detail

// A named total an actor publishes (Context::counter): `add(n)` is one relaxed atomic add, cheap enough for the hot
// path. Telemetry shows it in /snapshot.json (the actor's "counters") and in /metrics as
// steady_actor_count_total{actor="...",name="..."}. Copyable; valid for the graph's lifetime.
class Counter {
 public:
  Counter() noexcept = default;
  explicit Counter(std::atomic<std::uint64_t>& cell) noexcept : cell_(&cell) {}
  void add(std::uint64_t n = 1) noexcept {
    if (cell_ != nullptr) cell_->fetch_add(n, std::memory_order_relaxed);  // relaxed: a total, read by telemetry
  }
  [[nodiscard]] std::uint64_t value() const noexcept {
    return cell_ == nullptr ? 0 : cell_->load(std::memory_order_relaxed);
  }
  [[nodiscard]] bool valid() const noexcept { return cell_ != nullptr; }

 private:
  std::atomic<std::uint64_t>* cell_ = nullptr;
};

class Context {
 public:
  explicit Context(detail::ActorCore& core) noexcept : core_(core) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // ---- identity
  [[nodiscard]] const std::string& name() const noexcept { return core_.name; }
  [[nodiscard]] int suffix() const noexcept { return core_.suffix; }  // -1 when the actor has none
  [[nodiscard]] const std::string& full_name() const noexcept { return core_.full_name; }  // "name" or "name_3"
  [[nodiscard]] std::uint64_t restarts() const noexcept { return core_.restarts.load(std::memory_order_relaxed); }
  // The graph's clock (virtual in a virtual-time testing graph).
  [[nodiscard]] std::chrono::steady_clock::time_point now() const noexcept { return core_.now(); }

  // ---- the loop test
  [[nodiscard]] bool is_running() { return is_running([] { return true; }); }
  template <class Accept>
  [[nodiscard]] bool is_running(Accept&& accept_stop) {
    if (!core_.stop_requested()) [[likely]] {
      // One writer (this actor's thread), readers only load it: a plain load + store, not a locked
      // read-modify-write (fetch_add compiles to `lock add` even when relaxed).
      core_.passes.store(core_.passes.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      return true;
    }
    if (core_.forced_stop()) return false;
    Vote v = to_vote(accept_stop());
    if (v.agree) {
      core_.clear_veto();
      return false;
    }
    core_.record_veto(std::move(v.reason));
    return true;
  }
  // A one-line text shown beside the actor in telemetry (e.g. "connected to 10.0.0.2"). Not for the hot path.
  void set_status(std::string text) { core_.set_status(std::move(text)); }
  // A key/value label telemetry shows with the actor (snapshot.json, the UI, /metrics' steady_actor_info), e.g.
  // the endpoint it bound once it knows it. Same labels as ActorBuilder::label; an empty value removes the key.
  // Any thread; not for the hot path (each change copies the actor's labels).
  void set_label(std::string key, std::string value) { core_.set_label(std::move(key), std::move(value)); }
  // Ask the whole graph to stop (negotiated: every actor votes).
  void request_shutdown() noexcept;
  // The actor's counter named `name` (created at 0 on first use). The same name gives the same counter in every
  // incarnation, so a restart does not reset it. Call once per incarnation (a lock and a search), then add().
  [[nodiscard]] Counter counter(const std::string& name) { return Counter(core_.counter_cell(name)); }

  // ---- waits on one channel
  template <class T>
  [[nodiscard]] detail::ChannelWait<true> wait_avail(Rx<T>& rx, std::uint64_t n) noexcept {
    return {core_, rx.ring(), n};
  }
  template <class T>
  [[nodiscard]] detail::ChannelWait<false> wait_vacant(Tx<T>& tx, std::uint64_t n) noexcept {
    return {core_, tx.ring(), n};
  }
  // ---- timers
  // Sleep for d (a shutdown cuts it short).
  [[nodiscard]] detail::MultiWait<1> wait_for(std::chrono::nanoseconds d) noexcept {
    return {core_, true, {after(d)}};
  }
  // Wake every d, measured from the previous period's deadline, so the work time of a pass does not drift the
  // schedule. After falling behind by more than a period it starts over from now rather than bursting to catch up.
  [[nodiscard]] detail::MultiWait<1> wait_periodic(std::chrono::nanoseconds d) noexcept {
    return {core_, true, {periodic(d)}};
  }
  // ---- combinators: one consolidated wait over several conditions (avail, vacant, after, periodic)
  template <class... C>
  [[nodiscard]] detail::MultiWait<sizeof...(C)> wait_all(C... conds) noexcept {
    return {core_, true, {conds...}};
  }
  // The relay's pair (either order) gets an awaiter of its own: same meaning, less work per pass.
  [[nodiscard]] detail::AvailVacantWait wait_all(AvailCond in, VacantCond out) noexcept {
    return {core_, *in.channel, in.units, *out.channel, out.units};
  }
  [[nodiscard]] detail::AvailVacantWait wait_all(VacantCond out, AvailCond in) noexcept {
    return {core_, *in.channel, in.units, *out.channel, out.units};
  }
  template <class... C>
  [[nodiscard]] detail::MultiWait<sizeof...(C)> wait_any(C... conds) noexcept {
    return {core_, false, {conds...}};
  }
  // ---- bundles: the result's lane is the ready lane (lanes are tried round-robin for fairness)
  template <class T, std::size_t N>
  [[nodiscard]] detail::MultiWait<N> wait_avail_any(RxBundle<T, N>& lanes, std::uint64_t n) noexcept {
    return {core_, false, lane_conds(lanes, n, [](auto& e, std::uint64_t k) { return avail(e, k); }), next_lane_++};
  }
  template <class T, std::size_t N>
  [[nodiscard]] detail::MultiWait<N> wait_vacant_any(TxBundle<T, N>& lanes, std::uint64_t n) noexcept {
    return {core_, false, lane_conds(lanes, n, [](auto& e, std::uint64_t k) { return vacant(e, k); }), next_lane_++};
  }
  template <class T, std::size_t N>
  [[nodiscard]] detail::MultiWait<N> wait_avail_all(RxBundle<T, N>& lanes, std::uint64_t n) noexcept {
    return {core_, true, lane_conds(lanes, n, [](auto& e, std::uint64_t k) { return avail(e, k); })};
  }
  template <class T, std::size_t N>
  [[nodiscard]] detail::MultiWait<N> wait_vacant_all(TxBundle<T, N>& lanes, std::uint64_t n) noexcept {
    return {core_, true, lane_conds(lanes, n, [](auto& e, std::uint64_t k) { return vacant(e, k); })};
  }

  [[nodiscard]] detail::ActorCore& core() noexcept { return core_; }

 private:
  template <class F>
  static Vote to_vote(F&& r) {
    if constexpr (std::is_convertible_v<decltype(r), bool>) {
      return static_cast<bool>(r) ? agree() : veto("its stop condition returned false");
    } else {
      return Vote(std::forward<F>(r));
    }
  }
  template <class Lanes, class Make>
  static auto lane_conds(Lanes& lanes, std::uint64_t n, Make make) noexcept {
    std::array<Cond, std::tuple_size_v<Lanes>> out{};
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = make(lanes[i], n);
    return out;
  }
  detail::ActorCore& core_;
  std::size_t next_lane_ = 0;
};

template <class... T>
Vote drained(Rx<T>&... inputs) {
  Vote v;
  auto check = [&v](auto& rx) {
    if (!v.agree) return;
    if (!rx.is_closed()) v = veto("input '" + rx.name() + "' is not closed yet");
    else if (const auto n = rx.avail_units(); n != 0)
      v = veto("input '" + rx.name() + "' still holds " + std::to_string(n) + " messages");
  };
  (check(inputs), ...);
  return v;
}

}  // namespace steady
