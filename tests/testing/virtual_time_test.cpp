// Deterministic virtual time: a 10 s periodic actor over 100 periods, in well under a second of wall time.
#include <gtest/gtest.h>

#include <steady/testing/matchers.hpp>

using namespace std::chrono_literals;
using steady::testing::IsCleanStop;

namespace {

struct Tick {
  std::uint64_t n;
  std::int64_t at_ns;  // graph clock, relative to the first tick
};

// Emits one Tick every `period`, stamped with the graph's clock.
steady::Task ticker(steady::Context& ctx, steady::Tx<Tick>& out, std::chrono::nanoseconds& period) {
  std::uint64_t n = 0;
  std::optional<steady::detail::TimePoint> first;
  while (ctx.is_running([&] { return out.mark_closed(); })) {
    const auto r = co_await ctx.wait_all(steady::periodic(period), steady::vacant(out, 1));
    if (!r) continue;
    const auto now = ctx.now();
    if (!first) first = now;
    (void)out.try_send(Tick{n++, std::chrono::duration_cast<std::chrono::nanoseconds>(now - *first).count()});
  }
}

std::vector<Tick> run_100_periods(std::chrono::milliseconds* wall) {
  const auto start = std::chrono::steady_clock::now();
  steady::testing::Harness h;  // virtual time by default
  auto& out = h.output<Tick>("ticks", 256);
  h.actor("ticker").run(ticker, out.end(), std::chrono::nanoseconds(10s));
  h.run_until_idle();
  EXPECT_TRUE(out.received().empty());  // no time has passed: no tick yet
  for (int i = 0; i < 100; ++i) h.advance(10s);
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
  *wall = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  return out.received();
}

}  // namespace

TEST(VirtualTime, TenSecondPeriodOverOneHundredPeriods) {
  std::chrono::milliseconds wall{};
  const auto ticks = run_100_periods(&wall);
  ASSERT_EQ(ticks.size(), 100u);
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    EXPECT_EQ(ticks[i].n, i);
    EXPECT_EQ(ticks[i].at_ns, static_cast<std::int64_t>(i) * 10'000'000'000LL) << "tick " << i;  // exact: virtual
  }
  EXPECT_LT(wall, 1000ms) << "100 virtual periods of 10 s must take well under a second";
}

TEST(VirtualTime, IsDeterministic) {
  std::chrono::milliseconds wall{};
  const auto a = run_100_periods(&wall);
  const auto b = run_100_periods(&wall);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].at_ns, b[i].at_ns);
}

TEST(VirtualTime, OneBigAdvanceFiresEveryPeriodInOrder) {
  steady::testing::Harness h;
  auto& out = h.output<Tick>("ticks", 1024);
  h.actor("ticker").run(ticker, out.end(), std::chrono::nanoseconds(10s));
  h.advance(1000s);
  const auto ticks = out.received();
  ASSERT_EQ(ticks.size(), 100u);
  EXPECT_EQ(ticks.back().at_ns, 990'000'000'000LL);
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
}

TEST(VirtualTime, TimeoutsFollowTheVirtualClock) {
  steady::testing::Harness h;
  auto& in = h.input<int>("in");
  auto seen = std::make_shared<std::vector<steady::WaitStatus>>();
  h.actor("waiter").run(
      [seen](steady::Context& ctx, steady::Rx<int>& rx) -> steady::Task {
        while (ctx.is_running([&] { return rx.is_closed_and_empty(); })) {
          const auto r = co_await ctx.wait_avail(rx, 1).timeout(5s);
          seen->push_back(r.status);
          while (rx.try_take()) {
          }
          if (rx.is_closed_and_empty()) co_return;
        }
      },
      in.end());
  h.run_until_idle();
  EXPECT_TRUE(seen->empty());
  h.advance(4s);
  EXPECT_TRUE(seen->empty());  // 4 s < 5 s
  h.advance(1s);
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ(seen->back(), steady::WaitStatus::timed_out);
  in.push(7);
  h.run_until_idle();
  ASSERT_EQ(seen->size(), 2u);
  EXPECT_EQ(seen->back(), steady::WaitStatus::satisfied);
  in.close();
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
}
