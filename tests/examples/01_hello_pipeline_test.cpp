// Unit tests of examples/01_hello_pipeline: the producer and the consumer, each alone with injected channels
// (virtual time: no threads, no sleeps).
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <steady/testing/matchers.hpp>

#include "01_hello_pipeline/actors.hpp"
#include "example_test_support.hpp"

using namespace std::chrono_literals;
using example_test::one_to;
using steady::testing::IsCleanStop;
using steady::testing::IsUncleanStopVetoedBy;

TEST(Example01HelloPipeline, ProducerSendsOneToLastInOrderThroughASmallChannel) {
  steady::testing::Harness h;
  auto& out = h.output<std::uint64_t>("numbers", 4);  // much smaller than the run: it must wait for room
  h.actor("producer").run(hello_pipeline::produce, out.end(), std::uint64_t{100});
  // Clean only if the producer returned and its channel was closed: the recording sink vetoes until then.
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
  EXPECT_EQ(out.received(), one_to(100));
}

TEST(Example01HelloPipeline, ConsumerCountsEverythingAndStopsWhenItsInputCloses) {
  steady::testing::Harness h;
  auto& in = h.input<std::uint64_t>("numbers", 8);
  hello_pipeline::Totals totals;
  h.actor("consumer").run(hello_pipeline::consume, in.end(), std::ref(totals));
  in.push_all(one_to(50));
  in.close();
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
  EXPECT_EQ(totals.count, 50u);
  EXPECT_EQ(totals.sum, 50u * 51u / 2u);
  EXPECT_TRUE(totals.in_order);
}

TEST(Example01HelloPipeline, ConsumerVetoesTheStopWhileItsInputIsStillOpen) {
  steady::testing::Harness h;
  auto& in = h.input<std::uint64_t>("numbers");
  hello_pipeline::Totals totals;
  h.actor("consumer").run(hello_pipeline::consume, in.end(), std::ref(totals));
  in.push({1, 2, 3});  // never closed: more could come, so the consumer must not agree to stop
  EXPECT_THAT(h.run_to_stop(500ms), IsUncleanStopVetoedBy("consumer"));
  EXPECT_EQ(totals.count, 3u);  // what did arrive was still counted
}

TEST(Example01HelloPipeline, TakeAllNoticesANumberOutOfOrder) {
  auto [tx, rx] = steady::make_channel<std::uint64_t>(8);
  for (std::uint64_t v : {1, 2, 4, 3}) ASSERT_TRUE(tx.try_send(v).sent());
  hello_pipeline::Totals totals;
  hello_pipeline::take_all(rx, totals);
  EXPECT_EQ(totals.count, 4u);
  EXPECT_EQ(totals.sum, 10u);
  EXPECT_FALSE(totals.in_order);
  EXPECT_EQ(rx.avail_units(), 0u) << "take_all takes everything that is ready";
}
