#include <gtest/gtest.h>

#include <steady/steady.hpp>

namespace {
steady::Task produce(steady::Context& ctx, steady::Tx<int>& tx) {
  for (int i = 0; i < 1000 && ctx.is_running();) {
    co_await ctx.wait_vacant(tx, 1);
    if (tx.try_send(i) == steady::SendOutcome::sent) ++i;
  }
}
steady::Task consume(steady::Context& ctx, steady::Rx<int>& rx, long& sum) {
  while (ctx.is_running([&] { return rx.is_closed_and_empty(); })) {
    co_await ctx.wait_avail(rx, 1);
    while (auto v = rx.try_take()) sum += *v;
    if (rx.is_closed_and_empty()) break;
  }
}
}  // namespace

TEST(Smoke, SoloPipelineDeliversEverything) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<int>().capacity(16).name("numbers").build();
  long sum = 0;
  graph.actor("producer").run(produce, std::move(tx));
  graph.actor("consumer").run([&sum](steady::Context& c, steady::Rx<int>& r) { return consume(c, r, sum); },
                              std::move(rx));
  graph.start();
  auto report = graph.block_until_stopped(std::chrono::seconds(5));
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(sum, 999L * 1000 / 2);
}
