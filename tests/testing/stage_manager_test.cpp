// The stage manager: replace the edges of production wiring with mocks, drive, observe, release, stop cleanly.
#include <gtest/gtest.h>

#include <steady/testing/matchers.hpp>

using namespace std::chrono_literals;
using steady::testing::IsCleanStop;
using steady::testing::Verified;

namespace {

struct Order {
  std::uint64_t id;
  std::uint32_t qty;
};
struct Fill {
  std::uint64_t id;
  std::uint64_t notional;
};

// --- the "production" actors and wiring (what a service would have)
steady::Task order_feed(steady::Context& ctx, steady::Tx<Order>& out) {  // would read a socket in production
  std::uint64_t id = 0;
  while (ctx.is_running([&] { return out.mark_closed(); })) {
    co_await ctx.wait_all(steady::periodic(1ms), steady::vacant(out, 1));
    (void)out.try_send(Order{id++, 1});
  }
}
void price(steady::Rx<Order>& in, steady::Tx<Fill>& out) {
  while (out.vacant_units() > 0) {
    auto o = in.try_take();
    if (!o) return;
    (void)out.try_send(Fill{o->id, o->qty * 100ULL});
  }
}
steady::Task pricer(steady::Context& ctx, steady::Rx<Order>& in, steady::Tx<Fill>& out) {
  while (ctx.is_running([&] { return in.is_closed_and_empty() && out.mark_closed(); })) {
    co_await ctx.wait_all(steady::avail(in, 1), steady::vacant(out, 1));
    price(in, out);
  }
}
steady::Task fill_writer(steady::Context& ctx, steady::Rx<Fill>& in) {  // would write a database in production
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    co_await ctx.wait_avail(in, 1);
    while (in.try_take()) {
    }
  }
}
void build_service(steady::Graph& g) {
  auto [otx, orx] = g.channel<Order>().name("orders").capacity(8).build();
  auto [ftx, frx] = g.channel<Fill>().name("fills").capacity(8).build();
  g.actor("order_feed").run(order_feed, std::move(otx));
  g.actor("pricer").run(pricer, std::move(orx), std::move(ftx));
  g.actor("fill_writer").run(fill_writer, std::move(frx));
}

}  // namespace

TEST(StageManager, DrivesAndObservesARunningGraph) {
  auto graph = steady::GraphBuilder::for_testing().build();
  steady::testing::StageManager stage(graph);
  auto& orders = stage.replace_with_source<Order>("order_feed");
  auto& fills = stage.replace_with_sink<Fill>("fill_writer");
  fills.expect_count(100)
      .expect_ordered_by([](const Fill& a, const Fill& b) { return a.id < b.id; })
      .expect_each([](const Fill& f) { return f.notional == 100; }, "priced at 100 per unit");
  build_service(graph);
  graph.start();
  for (std::uint64_t i = 0; i < 50; ++i) orders.push(Order{i, 1});
  ASSERT_TRUE(stage.wait_taken("orders", 50, 10s));  // the pricer has seen them
  ASSERT_TRUE(fills.wait_for_count(50, 10s));
  for (std::uint64_t i = 50; i < 100; ++i) orders.push(Order{i, 1});
  ASSERT_TRUE(fills.wait_for_count(100, 10s));
  stage.release();
  EXPECT_THAT(graph.block_until_stopped(5s), IsCleanStop());
  EXPECT_THAT(fills, Verified());
}

TEST(StageManager, AFailedExpectationSaysWhatDiffered) {
  steady::testing::Sink<int> sink;
  sink.expect_count(3);
  const auto c = sink.verify();
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.message, "expected 3 messages, received 0");
}

TEST(StageManager, AMisspeltActorNameIsAClearError) {
  auto graph = steady::GraphBuilder::for_testing().build();
  steady::testing::StageManager stage(graph);
  (void)stage.replace_with_source<Order>("order_fed");
  build_service(graph);
  try {
    graph.start();
    FAIL() << "start() should refuse an unused substitute";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("order_fed"), std::string::npos) << e.what();
  }
}
