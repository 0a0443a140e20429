// Unit tests of examples/03_solo_vs_troupe: source, relay and sink alone with injected channels (virtual
// time), and the same three functions together on real threads, solo and as a troupe.
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <steady/testing/matchers.hpp>

#include "03_solo_vs_troupe/actors.hpp"
#include "example_test_support.hpp"

using namespace std::chrono_literals;
using namespace solo_vs_troupe;
using example_test::one_to;
using steady::testing::IsCleanStop;

TEST(Example03SoloVsTroupe, SourceSendsOneToLastAndCloses) {
  steady::testing::Harness h;
  auto& out = h.output<u64>("a", 128);
  h.actor("source").run(source, out.end(), u64{777});
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
  EXPECT_EQ(out.received(), one_to(777));
}

TEST(Example03SoloVsTroupe, RelayPassesEverythingInOrderAndClosesItsOutput) {
  steady::testing::Harness h;
  auto& in = h.input<u64>("a", 128);
  auto& out = h.output<u64>("b", 128);
  h.actor("relay").run(relay, in.end(), out.end());
  in.push_all(one_to(500));
  in.close();
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
  EXPECT_EQ(out.received(), one_to(500));
}

TEST(Example03SoloVsTroupe, RelayAgreesToStopOnlyOnceItsInputIsDrained) {
  steady::testing::Harness h;
  auto& in = h.input<u64>("a", 128);
  auto& out = h.output<u64>("b", 128);
  h.actor("relay").run(relay, in.end(), out.end());
  in.push_all(one_to(10));  // not closed
  EXPECT_THAT(h.run_to_stop(300ms), steady::testing::IsUncleanStopVetoedBy("relay"));
  EXPECT_EQ(out.received(), one_to(10));
}

TEST(Example03SoloVsTroupe, SinkCountsAndNoticesAMissingNumber) {
  steady::testing::Harness h;
  auto& in = h.input<u64>("b", 128);
  Check check;
  h.actor("sink").run(sink, in.end(), std::ref(check));
  in.push({1, 2, 3, 5});
  in.close();
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
  EXPECT_EQ(check.count, 4u);
  EXPECT_FALSE(check.in_order);
}

// The point of the example: the same functions, placed two ways, give the same result (real threads).
TEST(Example03SoloVsTroupe, SameActorsDeliverEverythingSoloAndAsATroupe) {
  for (const bool as_troupe : {false, true}) {
    auto graph = steady::GraphBuilder::for_testing().build();
    auto [a_tx, a_rx] = graph.channel<u64>().name("a").capacity(256).build();
    auto [b_tx, b_rx] = graph.channel<u64>().name("b").capacity(256).build();
    Check check;
    if (as_troupe) {
      const steady::Troupe troupe = graph.troupe("pipeline");
      graph.actor("source").troupe(troupe).run(source, std::move(a_tx), u64{20'000});
      graph.actor("relay").troupe(troupe).run(relay, std::move(a_rx), std::move(b_tx));
      graph.actor("sink").troupe(troupe).run(sink, std::move(b_rx), std::ref(check));
    } else {
      graph.actor("source").run(source, std::move(a_tx), u64{20'000});
      graph.actor("relay").run(relay, std::move(a_rx), std::move(b_tx));
      graph.actor("sink").run(sink, std::move(b_rx), std::ref(check));
    }
    graph.start();
    EXPECT_THAT(graph.block_until_stopped(10s), IsCleanStop()) << (as_troupe ? "troupe" : "solo");
    EXPECT_EQ(check.count, 20'000u) << (as_troupe ? "troupe" : "solo");
    EXPECT_TRUE(check.in_order) << (as_troupe ? "troupe" : "solo");
  }
}
