// src/executor.hpp — runs actors on one thread: a solo actor, or a troupe taking turns. Internal.
//
// The loop: take runnable actors from the local queue (same-thread wakes, FIFO) and the remote queue (wakes from
// other threads, under a mutex), fire due timers, and resume each actor until it suspends in a wait. With nothing
// runnable it parks on a futex (an eventcount: `epoch_`), with a timeout for the next timer. A remote wake pushes,
// bumps the epoch, and issues the futex syscall only when the executor has said it is parked — so a busy executor
// is never woken by syscall, and a parked one never misses a wake (see schedule() and park()).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <queue>
#include <string>
#include <pthread.h>
#include <time.h>

#include <chrono>
#include <vector>

#include "steady/detail/actor_core.hpp"

namespace steady::detail {

struct ExecutorOptions {
  std::string name;        // thread name (truncated to 15 chars by the kernel)
  int core = -1;           // pin to this CPU, -1 = no pinning
  std::size_t stack = 0;   // thread stack size, 0 = default
  // Virtual time (testing): no thread of its own; the caller drives it with drive_until_idle(), and every time read
  // comes from this counter.
  const std::atomic<Clock::rep>* virtual_now = nullptr;
};

class Executor {
 public:
  explicit Executor(ExecutorOptions opts);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  void add(ActorCore& a);  // before start()
  void start();  // spawns the thread (or, in virtual time, only creates the actors' first incarnations)
  void join();
  // Virtual time: run on the calling thread until nothing is runnable and no timer is due. Returns the steps taken.
  std::size_t drive_until_idle(std::size_t max_steps);
  // Earliest pending timer (kNoDeadline if none). Own thread / the driving thread.
  [[nodiscard]] TimePoint next_deadline() const noexcept;
  [[nodiscard]] std::size_t live() const noexcept { return live_; }
  [[nodiscard]] const ExecutorOptions& options() const noexcept { return opts_; }
  [[nodiscard]] std::size_t actor_count() const noexcept { return actors_.size(); }

  // Any thread: queue an actor that was just moved to `ready`.
  void schedule(ActorCore& a) noexcept;
  // Own thread: look at `a` again at `when` unless it has moved on from wait number `seq`.
  void add_timer(TimePoint when, ActorCore& a, std::uint64_t seq);
  // Own thread: resume actors whose wait is answered; false when the actor must keep sleeping.
  static bool settle(ActorCore& a, TimePoint now) noexcept;

  [[nodiscard]] static Executor* current() noexcept;
  // CPU time consumed by this executor's thread so far (any thread may ask); false before start / after exit.
  [[nodiscard]] bool cpu_time(std::chrono::nanoseconds& out) const noexcept;
  [[nodiscard]] bool running() const noexcept { return cpu_clock_valid_.load(std::memory_order_acquire); }

 private:
  void run();
  void begin();  // first incarnations of every actor
  bool step();   // one unit of work without parking; false when there was nothing to do
  [[nodiscard]] TimePoint now() const noexcept {
    return opts_.virtual_now == nullptr ? Clock::now()
                                        : TimePoint(Clock::duration(opts_.virtual_now->load(std::memory_order_relaxed)));
  }
  void resume(ActorCore& a);
  void finish(ActorCore& a);
  void fire_timers(TimePoint now);
  void park(TimePoint until);
  bool drain_remote();

  ExecutorOptions opts_;
  std::vector<ActorCore*> actors_;
  std::size_t live_ = 0;
  pthread_t thread_{};
  clockid_t cpu_clock_{};
  std::atomic<bool> cpu_clock_valid_{false};
  bool started_ = false;

  std::deque<ActorCore*> local_;  // own thread only
  unsigned since_timer_check_ = 0;
  // Busy-time chaining (own thread): when the previous resume ended, valid until the loop parks.
  TimePoint chain_t_{};
  bool chain_valid_ = false;
  struct Timer {
    TimePoint when;
    ActorCore* actor;
    std::uint64_t seq;
    bool operator>(const Timer& o) const noexcept { return when > o.when; }
  };
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;

  // Remote wakes. `has_remote_` lets the loop skip the mutex when nothing came in.
  std::mutex remote_mu_;
  std::vector<ActorCore*> remote_;
  std::vector<ActorCore*> remote_swap_;
  alignas(kCacheLine) std::atomic<bool> has_remote_{false};
  alignas(kCacheLine) std::atomic<std::uint32_t> epoch_{0};  // futex word: bumped by every remote wake
  std::atomic<bool> parked_{false};
};

}  // namespace steady::detail
