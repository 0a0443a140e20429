// A poison message lands in the dead-letter channel after K attempts, and the rest flows on.
#include <gtest/gtest.h>

#include <steady/testing/matchers.hpp>

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using steady::testing::IsCleanStop;

namespace {

// Parses "orders"; throws on the one it cannot parse (peek-before-commit: it stays in front).
steady::Task parser(steady::Context& ctx, steady::Rx<int>& in, steady::Tx<int>& out) {
  while (ctx.is_running([&] { return in.is_closed_and_empty() && out.mark_closed(); })) {
    co_await ctx.wait_all(steady::avail(in, 1), steady::vacant(out, 1));
    while (out.vacant_units() > 0) {
      const int* v = in.try_peek();
      if (v == nullptr) break;
      if (*v < 0) throw std::invalid_argument("cannot parse order " + std::to_string(*v));
      (void)out.try_send(*v * 10);
      in.advance_take(1);
    }
    if (in.is_closed_and_empty()) co_return;
  }
}

}  // namespace

TEST(Poison, GoesToTheDeadLetterChannelAfterKAttemptsAndTheRestFlowsOn) {
  steady::testing::Harness h;
  auto [dtx, drx] = h.graph().channel<int>().name("dead_orders").capacity(8).build();
  auto [tx, rx] = h.graph().channel<int>().name("orders").capacity(16).dead_letter(std::move(dtx), 3).build();
  auto feed = std::make_shared<steady::testing::Source<int>>();
  auto dead = std::make_shared<steady::testing::Sink<int>>();
  h.graph().actor("feed").run(&steady::testing::Source<int>::actor, std::move(tx), feed);
  h.graph().actor("dead_letter_log").run(&steady::testing::Sink<int>::actor, std::move(drx), dead);
  auto& out = h.output<int>("parsed");
  h.actor("parser").restart(steady::RestartPolicy::restart(10, 10s, {1ms, 1ms, 1.0})).run(parser, std::move(rx),
                                                                                           out.end());
  feed->push({1, 2, -3, 4, 5});
  feed->close();
  h.run_until_idle();
  h.advance(100ms);  // backoffs
  const auto report = h.run_to_stop(1s);
  EXPECT_THAT(report, IsCleanStop());
  EXPECT_EQ(report.restarts, 3u);  // failed 3 times on -3, then it was moved away
  EXPECT_THAT(out.received(), ElementsAre(10, 20, 40, 50));
  EXPECT_THAT(dead->received(), ElementsAre(-3));
}
