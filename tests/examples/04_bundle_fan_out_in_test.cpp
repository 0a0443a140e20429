// Unit tests of examples/04_bundle_fan_out_in: splitter (fan out over a bundle), worker and merger (fan in),
// each alone with injected channels in virtual time, and the per-lane functions directly.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <steady/testing/matchers.hpp>

#include "04_bundle_fan_out_in/actors.hpp"

using namespace std::chrono_literals;
using namespace bundle_fan_out_in;
using steady::testing::IsCleanStop;

TEST(Example04BundleFanOutIn, SplitterSendsEveryNumberToExactlyOneLaneAndClosesThemAll) {
  steady::testing::Harness h;
  std::vector<steady::testing::Output<u64>*> outs;
  steady::TxBundle<u64, kLanes> lanes;
  for (std::size_t i = 0; i < kLanes; ++i) {
    outs.push_back(&h.output<u64>("work[" + std::to_string(i) + "]", 64));
    lanes[i] = outs.back()->end();
  }
  h.actor("splitter").run(splitter, std::move(lanes), u64{1000});
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop()) << "clean only when every lane was closed";

  std::vector<u64> all;
  for (auto* out : outs) {
    const std::vector<u64> lane = out->received();
    EXPECT_TRUE(std::is_sorted(lane.begin(), lane.end())) << "each lane gets its numbers in order";
    all.insert(all.end(), lane.begin(), lane.end());
  }
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), 1000u);
  for (u64 i = 0; i < 1000; ++i) ASSERT_EQ(all[i], i + 1) << "every number exactly once";
}

TEST(Example04BundleFanOutIn, WorkerSquaresItsLaneCountsItAndStopsWhenTheLaneCloses) {
  steady::testing::Harness h;
  auto& in = h.input<u64>("work[0]", 64);
  auto& out = h.output<Squared>("done[0]", 64);
  u64 processed = 0;
  h.actor("worker").run(worker, in.end(), out.end(), std::ref(processed));
  std::vector<u64> numbers;
  for (u64 n = 1; n <= 150; ++n) numbers.push_back(n);
  in.push_all(numbers);
  in.close();
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());  // the worker returned: its output is closed for it
  EXPECT_EQ(processed, 150u);
  const std::vector<Squared> got = out.received();
  ASSERT_EQ(got.size(), 150u);
  for (u64 i = 0; i < 150; ++i) {
    EXPECT_EQ(got[i].n, i + 1);
    EXPECT_EQ(got[i].square, (i + 1) * (i + 1));
  }
}

TEST(Example04BundleFanOutIn, MergerTakesFromEveryLaneUntilAllAreClosed) {
  steady::testing::Harness h;
  std::vector<steady::testing::Input<Squared>*> ins;
  steady::RxBundle<Squared, kLanes> lanes;
  for (std::size_t i = 0; i < kLanes; ++i) {
    ins.push_back(&h.input<Squared>("done[" + std::to_string(i) + "]", 64));
    lanes[i] = ins.back()->end();
  }
  Tally tally;
  h.actor("merger").run(merger, std::move(lanes), std::ref(tally));
  // Uneven lanes: 0 gets 100, 1 gets 3, 2 none, 3 gets 40. Lane 2 closes first, empty.
  ins[2]->close();
  for (u64 n = 1; n <= 100; ++n) ins[0]->push(Squared{n, n * n});
  for (u64 n = 101; n <= 103; ++n) ins[1]->push(Squared{n, n * n});
  for (u64 n = 104; n <= 143; ++n) ins[3]->push(Squared{n, n * n});
  h.run_until_idle();
  // Lanes 0 and 3 hold a batch (32) or more and were taken; lane 1's 3 results wait for a batch or the close.
  EXPECT_EQ(tally.per_lane, (std::array<u64, kLanes>{100, 0, 0, 40}));
  for (std::size_t i : {0, 1, 3}) ins[i]->close();
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
  EXPECT_EQ(tally.per_lane, (std::array<u64, kLanes>{100, 3, 0, 40}));
  EXPECT_EQ(tally.sum, 143u * 144u / 2u);
  EXPECT_TRUE(tally.squares_right);
}

TEST(Example04BundleFanOutIn, MergeLaneNoticesAWrongSquare) {
  auto [tx, rx] = steady::make_channel<Squared>(8);
  ASSERT_TRUE(tx.try_send(Squared{2, 4}).sent());
  ASSERT_TRUE(tx.try_send(Squared{3, 10}).sent());
  Tally tally;
  merge_lane(rx, 1, tally);
  EXPECT_FALSE(tally.squares_right);
  EXPECT_EQ(tally.per_lane[1], 2u);
  EXPECT_EQ(tally.sum, 5u);
  EXPECT_EQ(rx.avail_units(), 0u);
}

TEST(Example04BundleFanOutIn, FirstOpenLaneSkipsClosedAndEmptyLanes) {
  steady::RxBundle<Squared, kLanes> rx;
  steady::TxBundle<Squared, kLanes> tx;
  for (std::size_t i = 0; i < kLanes; ++i) std::tie(tx[i], rx[i]) = steady::make_channel<Squared>(4);
  ASSERT_TRUE(tx[1].try_send(Squared{1, 1}).sent());
  tx[0].mark_closed();
  tx[1].mark_closed();
  EXPECT_EQ(first_open_lane(rx), 1u) << "a closed lane with messages left may still deliver";
  (void)rx[1].try_take();
  EXPECT_EQ(first_open_lane(rx), 2u);
  tx[2].mark_closed();
  tx[3].mark_closed();
  EXPECT_EQ(first_open_lane(rx), kLanes);
}
