// src/executor.cpp — the actor loop, parking and wake-ups. See executor.hpp for the design.
#include "executor.hpp"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <utility>
#include <system_error>

#include "failure_trace.hpp"
#include "graph_core.hpp"
#include "steady/log.hpp"

namespace steady::detail {

// ---------------------------------------------------------------- futex

void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, std::chrono::nanoseconds timeout) noexcept {
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  timespec ts{};
  timespec* tsp = nullptr;
  if (timeout.count() >= 0 && timeout != std::chrono::nanoseconds::max()) {
    ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
    tsp = &ts;
  }
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, tsp, nullptr, 0);
}

void futex_wake_all(std::atomic<std::uint32_t>& word) noexcept {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

// ---------------------------------------------------------------- ActorCore pieces that need the executor

namespace {
thread_local Executor* t_current = nullptr;

// Actor thread: put the actor to sleep on its pending wait, unless the wait is already answered.
// Returns true when the actor is asleep (or already queued again), false when it should run on now.
bool try_sleep(ActorCore& a, Executor& ex, TimePoint now) noexcept {
  PendingWait& w = *a.pending;
  a.state.store(TaskState::waiting);  // seq_cst: before we arm and before we read the stop phase
  w.arm();
  if (w.should_resume(now)) {
    w.disarm();
    auto s = TaskState::waiting;
    if (a.state.compare_exchange_strong(s, TaskState::running)) {
      a.pending = nullptr;
      return false;
    }
    return true;  // a waker got there first and queued us: the queue entry resumes us
  }
  if (const TimePoint d = w.deadline(); d != kNoDeadline) ex.add_timer(d, a, a.wait_seq);
  return true;
}
}  // namespace

void ActorCore::schedule() noexcept { executor->schedule(*this); }

namespace {
// Look at the wait up to `times` times, pausing after each look; true as soon as it holds.
template <class Pause>
bool poll(PendingWait& w, std::uint32_t times, Pause pause) noexcept {
  for (std::uint32_t i = 0; i < times; ++i) {
    if (w.ready()) return true;
    pause();
  }
  return false;
}
}  // namespace

bool ActorCore::suspend_on(PendingWait& w) noexcept {
  pending = &w;
  ++wait_seq;
  const TimePoint deadline = w.deadline();
  // Solo actors poll before paying for a park and a wake-up: spin_iterations checks, then, for a wait on channels
  // alone (a wait with a deadline is waiting for time to pass), yield_iterations looks each after giving the core
  // away (often to the peer the wait is for). A wait on timers alone goes straight to sleep: polling cannot
  // satisfy it (W4: a solo ticker's 256 checks, each reading the clock, were half the idle CPU of its wake-up).
  if (spin_iterations != 0 && w.may_spin() &&
      (poll(w, spin_iterations, cpu_relax) ||
       (deadline == kNoDeadline && poll(w, yield_iterations, [] { sched_yield(); })))) {
    pending = nullptr;
    return false;
  }
  // The clock only when the wait has a deadline (a timer, a timeout or the shutdown poll): without one,
  // should_resume() compares no time, and a clock read (≈ 50–250 ns on a KVM guest, as much as moving dozens of
  // messages) would be wasted on every suspension of a channel wait. Same in resume() below.
  return try_sleep(*this, *executor, deadline == kNoDeadline ? TimePoint{} : now());
}

// ---------------------------------------------------------------- Executor

Executor::Executor(ExecutorOptions opts) : opts_(std::move(opts)) {}
Executor::~Executor() { join(); }

Executor* Executor::current() noexcept { return t_current; }

bool Executor::cpu_time(std::chrono::nanoseconds& out) const noexcept {
  if (!cpu_clock_valid_.load(std::memory_order_acquire)) return false;
  timespec ts{};
  if (clock_gettime(cpu_clock_, &ts) != 0) return false;
  out = std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  return true;
}

void Executor::add(ActorCore& a) {
  a.executor = this;
  actors_.push_back(&a);
}

void Executor::schedule(ActorCore& a) noexcept {
  if (t_current == this) {
    local_.push_back(&a);
    return;
  }
  {
    std::lock_guard lock(remote_mu_);
    remote_.push_back(&a);
  }
  has_remote_.store(true, std::memory_order_release);
  epoch_.fetch_add(1);                                   // seq_cst: pairs with park()'s parked_ store + epoch load
  if (parked_.load()) futex_wake_all(epoch_);            // syscall only when the executor sleeps
}

bool Executor::drain_remote() {
  has_remote_.store(false, std::memory_order_relaxed);
  {
    std::lock_guard lock(remote_mu_);
    remote_swap_.swap(remote_);
  }
  for (ActorCore* a : remote_swap_) local_.push_back(a);
  const bool any = !remote_swap_.empty();
  remote_swap_.clear();
  return any;
}

void Executor::add_timer(TimePoint when, ActorCore& a, std::uint64_t seq) { timers_.push({when, &a, seq}); }

void Executor::fire_timers(TimePoint now) {
  while (!timers_.empty() && timers_.top().when <= now) {
    const Timer t = timers_.top();
    timers_.pop();
    if (t.actor->wait_seq == t.seq) t.actor->wake();  // a stale entry (the actor moved on) is dropped
  }
}

void Executor::park(TimePoint until) {
  parked_.store(true);                       // seq_cst, then read the epoch: see schedule()
  const std::uint32_t e = epoch_.load();
  if (has_remote_.load(std::memory_order_acquire)) {
    parked_.store(false, std::memory_order_relaxed);
    return;
  }
  std::chrono::nanoseconds timeout = std::chrono::nanoseconds::max();
  if (until != kNoDeadline) {
    timeout = until - now();
    if (timeout.count() <= 0) {
      parked_.store(false, std::memory_order_relaxed);
      return;
    }
  }
  chain_valid_ = false;             // time passes while parked: the next resume reads the clock afresh
  futex_wait(epoch_, e, timeout);  // returns at once if a wake bumped the epoch since we read it
  parked_.store(false, std::memory_order_relaxed);
}

bool Executor::settle(ActorCore& a, TimePoint now) noexcept {
  PendingWait& w = *a.pending;
  if (w.should_resume(now)) {
    w.disarm();
    a.pending = nullptr;
    return true;
  }
  return !try_sleep(a, *a.executor, now);
}

void Executor::resume(ActorCore& a) {
  // ready → running. Only this thread moves an actor out of `ready` (other threads only wake: waiting → ready), so
  // a state seen as `ready` stays so until we change it: a load and a store, no locked compare-exchange. The
  // acquire load pairs with the waker's release (its CAS), as the CAS did. Anything else is a stale entry.
  if (a.state.load(std::memory_order_acquire) != TaskState::ready) return;
  a.state.store(TaskState::running, std::memory_order_relaxed);
  if (a.pending != nullptr && !settle(a, a.pending->deadline() == kNoDeadline ? TimePoint{} : now()))
    return;  // spurious or early wake: sleeps again
  // Busy time: the real clock around each resume (a satisfied wait does not suspend, so this is once per sleep).
  // One read per resume: the end of the previous resume starts this one when the loop did not park in between
  // (the loop's own few instructions are charged to the next actor).
  const auto t0 = chain_valid_ ? chain_t_ : Clock::now();
  a.running_since.store(t0.time_since_epoch().count(), std::memory_order_relaxed);  // for the watchdog
  {
    const RunningActorScope running(a);  // for the throw hook and the crash handler: this actor's code runs now
    a.handle.resume();
  }
  a.running_since.store(0, std::memory_order_relaxed);
  if (a.stalled.load(std::memory_order_relaxed)) {
    a.stalled.store(false, std::memory_order_relaxed);
    log(LogLevel::info, "actor '" + a.full_name + "' reached a wait again (no longer stalled)");
  }
  chain_t_ = Clock::now();
  chain_valid_ = true;
  // Figures with one writer (this thread) and readers that only load: plain load + store, no locked add.
  a.busy_ns.store(a.busy_ns.load(std::memory_order_relaxed) + static_cast<std::uint64_t>((chain_t_ - t0).count()),
                  std::memory_order_relaxed);
  a.resumes.store(a.resumes.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  if (a.handle.done()) finish(a);
}

void Executor::finish(ActorCore& a) {
  a.state.store(TaskState::finished);
  a.graph.end_incarnation(a);
  const TaskState s = a.state.load();
  if (s == TaskState::finished) --live_;
  else if (s == TaskState::ready) local_.push_back(&a);  // restarted at once
  // waiting: restarted after a backoff delay, whose timer is armed
}

void Executor::start() {
  if (opts_.virtual_now != nullptr) {  // virtual time: driven by the test's thread, no thread of our own
    Executor* prev = std::exchange(t_current, this);
    begin();
    t_current = prev;
    return;
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  if (opts_.stack != 0 && pthread_attr_setstacksize(&attr, opts_.stack) != 0)
    log(LogLevel::warn, "executor '" + opts_.name + "': stack size " + std::to_string(opts_.stack) +
                            " rejected, using the default");
  const int rc = pthread_create(
      &thread_, &attr, [](void* self) -> void* { static_cast<Executor*>(self)->run(); return nullptr; }, this);
  pthread_attr_destroy(&attr);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "starting the thread of '" + opts_.name + "'");
  started_ = true;
}

void Executor::join() {
  if (started_) {
    pthread_join(thread_, nullptr);
    started_ = false;
  }
}

void Executor::begin() {
  for (ActorCore* a : actors_) {
    a->virtual_now = opts_.virtual_now;
    a->graph.begin_incarnation(*a);
    local_.push_back(a);
  }
  live_ = actors_.size();
}

bool Executor::step() {
  if (has_remote_.load(std::memory_order_acquire)) drain_remote();
  // Timers are checked when idle, and every 32 resumes while busy (reading the clock costs ~20 ns).
  if (!timers_.empty() && (local_.empty() || ++since_timer_check_ >= 32)) {
    since_timer_check_ = 0;
    fire_timers(now());
  }
  if (local_.empty()) return false;
  ActorCore* a = local_.front();
  local_.pop_front();
  resume(*a);
  return true;
}

TimePoint Executor::next_deadline() const noexcept { return timers_.empty() ? kNoDeadline : timers_.top().when; }

std::size_t Executor::drive_until_idle(std::size_t max_steps) {
  Executor* prev = std::exchange(t_current, this);
  chain_valid_ = false;  // the caller's time between drives is not ours
  std::size_t steps = 0;
  while (live_ > 0 && steps < max_steps && step()) ++steps;
  t_current = prev;
  return steps;
}

void Executor::run() {
  t_current = this;
  const AltSignalStack alt_stack;  // the crash handler still runs when an actor overflows this thread's stack
  {
    std::string n = opts_.name.substr(0, 15);  // kernel limit: 16 bytes with the terminator
    pthread_setname_np(pthread_self(), n.c_str());
  }
  if (opts_.core >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(opts_.core, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0)
      log(LogLevel::warn, "executor '" + opts_.name + "': could not pin to core " + std::to_string(opts_.core));
  }
  if (pthread_getcpuclockid(pthread_self(), &cpu_clock_) == 0) cpu_clock_valid_.store(true, std::memory_order_release);
  begin();
  while (live_ > 0) {
    if (!step()) park(next_deadline());
  }
  cpu_clock_valid_.store(false, std::memory_order_release);
  t_current = nullptr;
}

}  // namespace steady::detail
