// Mock actors: paced sources, transform/echo, the fault injector.
#include <gtest/gtest.h>

#include <steady/testing/matchers.hpp>

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using steady::testing::IsCleanStop;

TEST(Mocks, PacedSourceSendsOnePerPeriodInVirtualTime) {
  steady::testing::Harness h;
  auto& in = h.input<int>("numbers");
  auto& out = h.output<int>("echoed");
  h.actor("echo").run(steady::testing::echo<int>(), in.end(), out.end());
  in.source().pace(1s);
  in.push({1, 2, 3, 4});
  in.close();
  h.run_until_idle();
  EXPECT_EQ(out.received().size(), 1u);  // the first goes at once, the rest one per second
  h.advance(1s);
  EXPECT_EQ(out.received().size(), 2u);
  h.advance(2s);
  EXPECT_THAT(out.received(), ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
}

TEST(Mocks, TransformMapsInOrder) {
  steady::testing::Harness h;
  auto& in = h.input<int>("numbers", 3);
  auto& out = h.output<std::string>("texts", 3);
  h.actor("fmt").run(steady::testing::transform<int, std::string>([](int x) { return "#" + std::to_string(x); }),
                     in.end(), out.end());
  in.push({1, 2, 3, 4, 5});
  in.close();
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
  EXPECT_THAT(out.received(), ElementsAre("#1", "#2", "#3", "#4", "#5"));
}

TEST(Mocks, FaultInjectorThrowsOnceAndTheRestartedActorLosesNothing) {
  steady::testing::Harness h;
  auto& in = h.input<int>("numbers");
  auto& out = h.output<int>("passed");
  auto plan = std::make_shared<steady::testing::FaultPlan>();
  plan->throw_at = {3};
  h.actor("faulty").run(steady::testing::fault_injector<int>(plan), in.end(), out.end());  // default: restart
  in.push({10, 11, 12, 13, 14});
  in.close();
  const auto report = h.run_to_stop(10s);
  EXPECT_THAT(report, IsCleanStop());
  EXPECT_EQ(report.restarts, 1u);
  EXPECT_EQ(plan->faults.load(), 1u);
  EXPECT_THAT(out.received(), ElementsAre(10, 11, 12, 13, 14));  // message 3 was peeked, not taken: seen again
}

TEST(Mocks, FaultInjectorWithPolicyNeverEndsTheActorAndIsReported) {
  steady::testing::Harness h;
  auto& in = h.input<int>("numbers");
  auto& out = h.output<int>("passed");
  auto plan = std::make_shared<steady::testing::FaultPlan>();
  plan->throw_at = {3};
  h.actor("faulty").restart(steady::RestartPolicy::never()).run(steady::testing::fault_injector<int>(plan),
                                                                in.end(), out.end());
  in.push({10, 11, 12, 13, 14});
  in.close();
  const auto report = h.run_to_stop(1s);
  EXPECT_FALSE(report.clean);
  ASSERT_EQ(report.failures.size(), 1u);
  EXPECT_EQ(report.failures[0].actor, "faulty");
  EXPECT_NE(report.failures[0].what.find("injected fault at message 3"), std::string::npos);
  EXPECT_EQ(plan->faults.load(), 1u);
  EXPECT_THAT(out.received(), ElementsAre(10, 11, 12));
}
