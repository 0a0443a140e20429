// Timers in the executor: wait_for never returns early and is cut short by a stop; wait_periodic keeps its
// schedule (never early, work time compensated, no burst after falling behind); timers fire in a troupe whose
// other member never stops working.
//
// Timing assertions are lower bounds ("not before") wherever possible; the only upper bound compares a
// compensated schedule against an uncompensated one with a wide margin between them.
#include <atomic>
#include <chrono>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using steady::Context;
using steady::Task;
using steady::WaitResult;
using steady::WaitStatus;
using steady_test::eventually;
using steady_test::run_graph;
using steady_test::Watchdog;
using Clock = std::chrono::steady_clock;

// Busy for `d` of wall time (simulated work; never used to wait for another thread).
void busy_for(std::chrono::nanoseconds d) {
  const auto until = Clock::now() + d;
  while (Clock::now() < until) {
  }
}

struct Slept {
  std::atomic<int> step{0};
  std::vector<WaitStatus> status;
  std::vector<Clock::duration> elapsed;
};

Task sleep_three_times(Context& ctx, Slept& s) {
  for (auto d : {1ms, 20ms, 35ms}) {
    const auto t0 = Clock::now();
    const WaitResult r = co_await ctx.wait_for(d);
    s.elapsed.push_back(Clock::now() - t0);
    s.status.push_back(r.status);
  }
}

TEST(Timers, WaitForNeverReturnsEarly) {
  for (const bool troupe : {false, true}) {
    auto graph = steady::GraphBuilder::for_testing().build();
    auto t = graph.troupe("t");
    Slept s;
    auto b = graph.actor("sleeper");
    if (troupe) b.troupe(t);
    b.run(sleep_three_times, std::ref(s));
    const auto report = run_graph(graph);
    EXPECT_TRUE(report.clean) << report.to_string();
    ASSERT_EQ(s.status.size(), 3u);
    const std::chrono::milliseconds want[3] = {1ms, 20ms, 35ms};
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(s.status[i], WaitStatus::satisfied);
      EXPECT_GE(s.elapsed[i], want[i]) << "wait_for(" << want[i].count() << "ms) returned early";
    }
  }
}

Task sleep_an_hour(Context& ctx, Slept& s) {
  s.step = 1;
  const WaitResult r = co_await ctx.wait_for(std::chrono::hours(1));
  s.status.push_back(r.status);
  while (ctx.is_running()) co_await ctx.wait_for(std::chrono::hours(1));  // agrees at once
}

TEST(Timers, WaitForIsCutShortByAStop) {
  auto graph = steady::GraphBuilder::for_testing().build();
  Slept s;
  graph.actor("sleeper").run(sleep_an_hour, std::ref(s));
  Watchdog dog(graph);
  graph.start();
  ASSERT_TRUE(eventually([&] { return s.step.load() == 1; }));
  const auto t0 = Clock::now();
  graph.request_shutdown();
  const auto report = graph.block_until_stopped(5s);
  dog.disarm();
  EXPECT_LT(Clock::now() - t0, 3s);
  EXPECT_TRUE(report.clean) << report.to_string();
  ASSERT_EQ(s.status.size(), 1u);
  EXPECT_EQ(s.status[0], WaitStatus::shutdown);
}

// ---------------------------------------------------------------- periodic

struct Periods {
  Clock::time_point start;
  std::vector<Clock::time_point> began;  // when each wait was issued (after the previous pass's work)
  std::vector<Clock::time_point> wakes;
  std::vector<WaitStatus> status;
};

Task periodic_with_work(Context& ctx, std::chrono::milliseconds period, std::chrono::milliseconds work, int n,
                        Periods& p) {
  p.start = Clock::now();
  for (int i = 0; i < n; ++i) {
    p.began.push_back(Clock::now());
    const WaitResult r = co_await ctx.wait_periodic(period);
    p.wakes.push_back(Clock::now());
    p.status.push_back(r.status);
    busy_for(work);
  }
}

TEST(Timers, WaitPeriodicKeepsItsScheduleDespiteWorkTime) {
  // 10 periods of 20 ms with 15 ms of work in each pass. On schedule, the k-th wake is at start + k*20 ms
  // whatever the work took, so the wait issued after the work sleeps only the rest of the period (~5 ms). A
  // timer that restarted after the work would sleep a full period every time. Wake-up latency on a loaded
  // machine can eat the 5 ms now and then, so the check asks for short sleeps in some passes, never for exact
  // timing.
  constexpr auto period = 20ms;
  constexpr auto work = 15ms;
  constexpr int n = 10;
  auto graph = steady::GraphBuilder::for_testing().build();
  Periods p;
  graph.actor("ticker").run(periodic_with_work, period, work, n, std::ref(p));
  const auto report = run_graph(graph);
  EXPECT_TRUE(report.clean) << report.to_string();
  ASSERT_EQ(p.wakes.size(), static_cast<std::size_t>(n));
  int short_sleeps = 0;
  for (int k = 0; k < n; ++k) {
    EXPECT_EQ(p.status[k], WaitStatus::satisfied);
    EXPECT_GE(p.wakes[k] - p.start, (k + 1) * period) << "period " << k << " fired early";
    if (k > 0 && p.wakes[k] - p.began[k] < period - work / 2) ++short_sleeps;
  }
  EXPECT_GE(short_sleeps, 1)
      << "every wait slept a full period after the work: the schedule drifts by the work time";
  const auto total = p.wakes.back() - p.start;
  EXPECT_LT(total, 4 * n * period) << "N periods should take about N*d (generous bound)";
}

struct Burst {
  Clock::time_point before_second, second, third;
};

Task fall_behind(Context& ctx, Burst& b) {
  constexpr auto period = 10ms;
  (void)co_await ctx.wait_periodic(period);
  busy_for(6 * period);  // miss five periods
  b.before_second = Clock::now();
  (void)co_await ctx.wait_periodic(period);  // behind by more than a period: starts over from now
  b.second = Clock::now();
  (void)co_await ctx.wait_periodic(period);
  b.third = Clock::now();
}

TEST(Timers, WaitPeriodicDoesNotBurstAfterFallingBehind) {
  auto graph = steady::GraphBuilder::for_testing().build();
  Burst b;
  graph.actor("late").run(fall_behind, std::ref(b));
  const auto report = run_graph(graph);
  EXPECT_TRUE(report.clean) << report.to_string();
  // Catching up would return the missed periods back to back; starting over puts a full period after the
  // restart.
  EXPECT_GE(b.third - b.before_second, 10ms) << "the missed periods were replayed in a burst";
}

// A troupe member that never suspends must not starve a timer of its troupe-mate.
struct Busy {
  std::atomic<bool> timer_fired{false};
  std::uint64_t busy_passes = 0;
};

Task never_sleeps(Context& ctx, Busy& b) {
  while (ctx.is_running()) {
    co_await ctx.wait_for(0ns);  // always satisfied: the actor only yields through the fairness budget
    ++b.busy_passes;
  }
}

Task fire_once_then_stop(Context& ctx, Busy& b) {
  (void)co_await ctx.wait_for(20ms);
  b.timer_fired = true;
  ctx.request_shutdown();
  while (ctx.is_running()) co_await ctx.wait_for(1ms);
}

TEST(Timers, TimerFiresWhileATroupeMateIsBusy) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto t = graph.troupe("shared");
  Busy b;
  graph.actor("busy").troupe(t).run(never_sleeps, std::ref(b));
  graph.actor("timer").troupe(t).run(fire_once_then_stop, std::ref(b));
  bool dog = false;
  const auto report = run_graph(graph, &dog);
  EXPECT_FALSE(dog) << "the timer never fired while its troupe-mate was busy";
  EXPECT_TRUE(b.timer_fired.load());
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_GT(b.busy_passes, 0u);
}

// A timer inside all-of with a channel condition that is already true: the timer still decides.
struct Mixed {
  WaitStatus status = WaitStatus::timed_out;
  Clock::duration elapsed{};
};

Task channel_and_timer(Context& ctx, steady::Rx<int>& rx, Mixed& m) {
  const auto t0 = Clock::now();
  const WaitResult r = co_await ctx.wait_all(steady::avail(rx, 1), steady::after(25ms));
  m.elapsed = Clock::now() - t0;
  m.status = r.status;
}

TEST(Timers, AllOfWithATimerWaitsForTheTimer) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<int>().name("ready").capacity(4).build();
  ASSERT_TRUE(tx.try_send(1).sent());
  Mixed m;
  graph.actor("mixed").run(channel_and_timer, std::move(rx), std::ref(m));
  const auto report = run_graph(graph);
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(m.status, WaitStatus::satisfied);
  EXPECT_GE(m.elapsed, 25ms);
}

}  // namespace
