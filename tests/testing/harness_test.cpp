// The actor harness: one actor, injected channels, virtual time, no sleeps.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <steady/testing/matchers.hpp>

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using steady::testing::IsCleanStop;

namespace {

void double_all(steady::Rx<int>& in, steady::Tx<int>& out) {
  while (out.vacant_units() > 0) {
    auto v = in.try_take();
    if (!v) return;
    (void)out.try_send(*v * 2);
  }
}

steady::Task doubler(steady::Context& ctx, steady::Rx<int>& in, steady::Tx<int>& out) {
  while (ctx.is_running([&] { return in.is_closed_and_empty() && out.mark_closed(); })) {
    co_await ctx.wait_all(steady::avail(in, 1), steady::vacant(out, 1));
    double_all(in, out);
    if (in.is_closed_and_empty()) co_return;  // the graph closes `out` for us
  }
}

// Deliberately broken: it never agrees to stop (it keeps a heartbeat going, whatever its input says).
steady::Task stubborn(steady::Context& ctx, steady::Rx<int>& in) {
  while (ctx.is_running([] { return steady::veto("stubborn keeps its connection open"); })) {
    const auto beat = co_await ctx.wait_periodic(std::chrono::milliseconds(100));
    (void)beat;
    while (in.try_take()) {
    }
  }
}

// Also broken, differently: it ignores its closed input and spins (wait_avail on a closed channel returns at once).
steady::Task spinner(steady::Context& ctx, steady::Rx<int>& in) {
  while (ctx.is_running([] { return steady::veto("spinner never agrees"); })) {
    co_await ctx.wait_avail(in, 1);
    while (in.try_take()) {
    }
  }
}

}  // namespace

TEST(Harness, DoublerDoublesEverythingAndAgreesToStop) {
  steady::testing::Harness h;
  auto& in = h.input<int>("numbers", 4);  // smaller than the input: the source must wait for room
  auto& out = h.output<int>("doubled", 4);
  h.actor("doubler").run(doubler, in.end(), out.end());
  in.push({1, 2, 3, 4, 5, 6, 7});
  in.close();
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
  EXPECT_THAT(out.received(), ElementsAre(2, 4, 6, 8, 10, 12, 14));
}

TEST(Harness, InputsPushedWhileRunningAreSeen) {
  steady::testing::Harness h;
  auto& in = h.input<int>("numbers");
  auto& out = h.output<int>("doubled");
  h.actor("doubler").run(doubler, in.end(), out.end());
  in.push(1);
  h.run_until_idle();
  EXPECT_THAT(out.received(), ElementsAre(2));
  in.push({5, 6});
  h.run_until_idle();
  EXPECT_THAT(out.received(), ElementsAre(2, 10, 12));
  in.close();
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
}

TEST(Harness, RealTimeHarnessGivesTheSameResult) {
  steady::testing::Harness h(steady::testing::Time::real_time);
  auto& in = h.input<int>("numbers", 2);
  auto& out = h.output<int>("doubled", 2);
  h.actor("doubler").run(doubler, in.end(), out.end());
  std::vector<int> xs(1000);
  for (int i = 0; i < 1000; ++i) xs[i] = i;
  in.push_all(xs);
  in.close();
  EXPECT_THAT(h.run_to_stop(5s), IsCleanStop());
  const auto got = out.received();
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(got[i], 2 * i);
}

TEST(Harness, ABrokenActorFailsWithinTheDeadlineNamingItsVetoReason) {
  steady::testing::Harness h;
  auto& in = h.input<int>("numbers");
  h.actor("stubborn").run(stubborn, in.end());
  in.push({1, 2});
  in.close();
  const steady::StopReport report = h.run_to_stop(500ms);  // a virtual deadline: no real waiting
  EXPECT_FALSE(report.clean);
  EXPECT_TRUE(report.timed_out);
  ASSERT_EQ(report.vetoes.size(), 1u);
  EXPECT_EQ(report.vetoes[0].actor, "stubborn");
  EXPECT_EQ(report.vetoes[0].reason, "stubborn keeps its connection open");
  // The assertion a user writes fails, and its message carries the actor's name and veto reason.
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(report, IsCleanStop()), "stubborn keeps its connection open");
}

TEST(Harness, ASpinningActorIsStillBoundedByTheDeadline) {
  steady::testing::Harness h;
  auto& in = h.input<int>("numbers");
  h.actor("spinner").run(spinner, in.end());
  in.close();
  const auto report = h.run_to_stop(500ms);  // ends (within the CTest timeout) despite the spinning
  EXPECT_THAT(report, steady::testing::IsUncleanStopVetoedBy("spinner"));
}

TEST(Harness, AnUnclosedInputIsNamedInTheReport) {
  steady::testing::Harness h;
  auto& in = h.input<int>("numbers");
  auto& out = h.output<int>("doubled");
  h.actor("doubler").run(doubler, in.end(), out.end());
  in.push({1});
  const auto report = h.run_to_stop(200ms);  // the test forgot in.close()
  EXPECT_FALSE(report.clean);
  bool named = false;
  for (const auto& v : report.vetoes)
    if (v.actor == "numbers.source" && v.reason.find("close()") != std::string::npos) named = true;
  EXPECT_TRUE(named) << report.to_string();
}
