// Restart budgets, backoff and escalation — in virtual time, so the gaps are exact.
#include <gtest/gtest.h>

#include <steady/testing/matchers.hpp>

using namespace std::chrono_literals;

namespace {

struct Incarnations {
  std::vector<std::chrono::steady_clock::time_point> started;
};

// Fails at once, every time, and notes when each incarnation started.
steady::Task always_throws(steady::Context& ctx, steady::Rx<int>&, std::shared_ptr<Incarnations>& log) {
  log->started.push_back(ctx.now());
  throw std::runtime_error("database unreachable (attempt " + std::to_string(ctx.restarts() + 1) + ")");
  co_return;
}

}  // namespace

TEST(RestartPolicy, RestartsExactlyNTimesWithGrowingBackoffThenEscalates) {
  steady::testing::Harness h;
  auto& in = h.input<int>("requests");
  auto log = std::make_shared<Incarnations>();
  const auto policy = steady::RestartPolicy::restart(5, 10s, steady::Backoff{10ms, 1s, 2.0});
  h.actor("db_writer").restart(policy).run(always_throws, in.end(), log);
  in.close();
  h.run_until_idle();
  h.advance(5s);  // more than the sum of the backoff delays (10+20+40+80+160 ms)
  const steady::StopReport report = h.run_to_stop(1s);

  ASSERT_EQ(log->started.size(), 6u);  // the first incarnation and exactly 5 restarts
  std::vector<std::chrono::milliseconds> gaps;
  for (std::size_t i = 1; i < log->started.size(); ++i)
    gaps.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(log->started[i] - log->started[i - 1]));
  EXPECT_EQ(gaps, (std::vector<std::chrono::milliseconds>{10ms, 20ms, 40ms, 80ms, 160ms}));

  EXPECT_FALSE(report.clean);
  EXPECT_EQ(report.restarts, 5u);
  ASSERT_EQ(report.failures.size(), 1u);
  EXPECT_EQ(report.failures[0].actor, "db_writer");
  EXPECT_NE(report.failures[0].what.find("database unreachable (attempt 6)"), std::string::npos)
      << report.failures[0].what;
  EXPECT_NE(report.failures[0].what.find("budget"), std::string::npos) << report.failures[0].what;
}

TEST(RestartPolicy, TheBudgetIsPerWindow) {
  // 2 restarts per 1 s window, 400 ms apart: the window slides, so the actor keeps going.
  steady::testing::Harness h;
  auto& in = h.input<int>("requests");
  auto log = std::make_shared<Incarnations>();
  const auto policy = steady::RestartPolicy::restart(2, 1s, steady::Backoff{400ms, 400ms, 1.0});
  h.actor("flaky").restart(policy).run(always_throws, in.end(), log);
  in.close();
  h.advance(1900ms);
  // Incarnations at 0, 400, 800 (budget: 2 in the last second), then 1200 would be the 3rd restart within
  // [200, 1200] -> escalation. So exactly 3 incarnations ran and the graph is stopping.
  const auto report = h.run_to_stop(1s);
  EXPECT_EQ(log->started.size(), 3u);
  EXPECT_FALSE(report.clean);
  EXPECT_EQ(report.restarts, 2u);
}

TEST(RestartPolicy, StopGraphPolicyStopsTheGraphAndNamesTheActor) {
  steady::testing::Harness h;
  auto& in = h.input<int>("requests");
  auto log = std::make_shared<Incarnations>();
  h.actor("critical").restart(steady::RestartPolicy::stop_graph()).run(always_throws, in.end(), log);
  in.close();
  const auto report = h.run_to_stop(1s);
  EXPECT_EQ(log->started.size(), 1u);
  ASSERT_EQ(report.failures.size(), 1u);
  EXPECT_EQ(report.failures[0].actor, "critical");
  EXPECT_EQ(report.restarts, 0u);
}

TEST(RestartPolicy, NeverLeavesTheActorStoppedAndTheRestOfTheGraphGoesOn) {
  steady::testing::Harness h;
  auto& in = h.input<int>("requests");
  auto& other_in = h.input<int>("other");
  auto& other_out = h.output<int>("other_out");
  auto log = std::make_shared<Incarnations>();
  h.actor("optional").restart(steady::RestartPolicy::never()).run(always_throws, in.end(), log);
  h.actor("echo").run(steady::testing::echo<int>(), other_in.end(), other_out.end());
  in.push({1, 2, 3});  // the failed consumer's producer must not hang waiting for room
  in.close();
  other_in.push({7, 8});
  other_in.close();
  const auto report = h.run_to_stop(1s);
  EXPECT_EQ(log->started.size(), 1u);
  EXPECT_EQ(other_out.received(), (std::vector<int>{7, 8}));
  EXPECT_EQ(report.vetoes.size(), 0u) << report.to_string();
  ASSERT_EQ(report.failures.size(), 1u);
  EXPECT_EQ(report.failures[0].actor, "optional");
}

TEST(Backoff, DelaysGrowByTheFactorAndAreCapped) {
  const steady::Backoff b{1ms, 50ms, 3.0};
  EXPECT_EQ(b.delay(1), 1ms);
  EXPECT_EQ(b.delay(2), 3ms);
  EXPECT_EQ(b.delay(3), 9ms);
  EXPECT_EQ(b.delay(4), 27ms);
  EXPECT_EQ(b.delay(5), 50ms);
  EXPECT_EQ(b.delay(30), 50ms);
}
