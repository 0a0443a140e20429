// SIGTERM stops a production graph cleanly. Signal handlers are process-wide and a second signal exits the
// process, so this file sends exactly one signal, from exactly one test (CTest runs each test in its own
// process; run by hand, the file still sends only one).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace {

using namespace steady_test::actor_names;
using steady_test::eventually;
using steady_test::Watchdog;

Task count_up(Context& ctx, Tx<u64>& out, std::atomic<u64>& sent) {
  u64 next = 0;
  while (ctx.is_running()) {
    co_await ctx.wait_vacant(out, 1);
    while (out.try_send(next)) ++next;
    sent.store(next);
  }
}

struct Received {
  std::atomic<u64> count{0};
  u64 out_of_order = 0;
};

Task count_in(Context& ctx, Rx<u64>& in, Received& r) {
  u64 n = 0;
  while (ctx.is_running([&] { return steady::drained(in); })) {
    co_await ctx.wait_avail(in, 8);
    while (auto v = in.try_take()) r.out_of_order += *v != n++;
    r.count.store(n);
  }
}

TEST(Signals, SigtermStopsAProductionGraphCleanly) {
  auto graph = steady::GraphBuilder::for_production().build();
  ASSERT_TRUE(graph.options().handle_signals);
  auto [tx, rx] = graph.channel<u64>().name("ticks").capacity(64).build();
  std::atomic<u64> sent{0};
  Received r;
  graph.actor("count_up").run(count_up, std::move(tx), std::ref(sent));
  graph.actor("count_in").run(count_in, std::move(rx), std::ref(r));
  Watchdog dog(graph);  // if the signal is ignored, the watchdog stops the graph and the test fails below
  graph.start();
  ASSERT_TRUE(eventually([&] { return r.count.load() >= 1000; }));
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  const auto report = graph.block_until_stopped(5s);
  dog.disarm();
  EXPECT_FALSE(dog.fired()) << "SIGTERM did not stop the graph";
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(r.count.load(), sent.load()) << "the signal-initiated stop must drain like any other";
  EXPECT_EQ(r.out_of_order, 0u);

  // A production graph started after the signal arrived stops on its own too: the signal is not lost to it.
  auto late = steady::GraphBuilder::for_production().build();
  late.actor("late").run([](Context& ctx) -> Task {
    while (ctx.is_running()) co_await ctx.wait_for(std::chrono::hours(1));
  });
  Watchdog late_dog(late);
  late.start();
  const auto late_report = late.block_until_stopped(5s);
  late_dog.disarm();
  EXPECT_FALSE(late_dog.fired()) << "a graph started after SIGTERM kept running";
  EXPECT_TRUE(late_report.clean) << late_report.to_string();
}

}  // namespace
