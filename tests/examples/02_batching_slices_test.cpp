// Unit tests of examples/02_batching_slices: generator (send_slice), doubler (zero-copy, peek-before-commit)
// and sink (take_slice), each alone with injected channels in virtual time, and the per-batch functions
// directly.
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <steady/testing/matchers.hpp>

#include "02_batching_slices/actors.hpp"
#include "example_test_support.hpp"

using namespace std::chrono_literals;
using namespace batching_slices;
using example_test::one_to;
using steady::testing::IsCleanStop;
using ::testing::ElementsAre;

TEST(Example02BatchingSlices, GeneratorSendsOneToLastIncludingAShortLastBatch) {
  steady::testing::Harness h;
  auto& out = h.output<u64>("numbers", kCapacity);
  h.actor("generator").run(generate, out.end(), u64{1000});  // 1000 = 15 full batches of 64 and one of 40
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());             // clean: it returned, and its output was closed
  EXPECT_EQ(out.received(), one_to(1000));
}

TEST(Example02BatchingSlices, DoublerDoublesEveryNumberInOrderAndClosesItsOutput) {
  steady::testing::Harness h;
  auto& in = h.input<u64>("numbers", kCapacity);
  auto& out = h.output<u64>("doubled", kCapacity);
  h.actor("doubler").run(doubler, in.end(), out.end());
  in.push_all(one_to(300));  // more than the channels hold: the doubler must keep up batch by batch
  in.close();
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
  std::vector<u64> want = one_to(300);
  for (u64& v : want) v *= 2;
  EXPECT_EQ(out.received(), want);
}

TEST(Example02BatchingSlices, DoubleInPlaceMovesOnlyWhatFitsAndLeavesTheRestInItsInput) {
  auto [in_tx, in] = steady::make_channel<u64>(8);
  auto [out, out_rx] = steady::make_channel<u64>(4);
  // Wrap the input ring first, so the peeked messages come as two spans.
  for (u64 v : {90, 91, 92, 93, 94, 95}) ASSERT_TRUE(in_tx.try_send(v).sent());
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(in.try_take());
  for (u64 v : {1, 2, 3, 4, 5, 6}) ASSERT_TRUE(in_tx.try_send(v).sent());

  EXPECT_EQ(double_in_place(in, out), 4u);  // the output has room for 4
  EXPECT_EQ(in.avail_units(), 2u) << "inputs not published as results stay in the input (peek-before-commit)";
  std::vector<u64> got;
  while (auto v = out_rx.try_take()) got.push_back(*v);
  EXPECT_THAT(got, ElementsAre(2, 4, 6, 8));

  EXPECT_EQ(double_in_place(in, out), 2u);
  EXPECT_EQ(*out_rx.try_take(), 10u);
  EXPECT_EQ(*out_rx.try_take(), 12u);
}

TEST(Example02BatchingSlices, SinkChecksTheSequenceAndStopsWhenItsInputCloses) {
  steady::testing::Harness h;
  auto& in = h.input<u64>("doubled", kCapacity);
  Check check;
  h.actor("sink").run(sink, in.end(), std::ref(check));
  std::vector<u64> doubled = one_to(200);
  for (u64& v : doubled) v *= 2;
  in.push_all(doubled);
  in.close();
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
  EXPECT_EQ(check.count, 200u);
  EXPECT_EQ(check.sum, 200u * 201u);
  EXPECT_TRUE(check.in_order);
  EXPECT_GE(check.batches, 200u / kBatch) << "take_slice takes up to a batch per call";
}

TEST(Example02BatchingSlices, CheckBatchNoticesAGap) {
  Check check;
  const std::vector<u64> got{2, 4, 8};  // 6 is missing
  check_batch(got, check);
  EXPECT_FALSE(check.in_order);
  EXPECT_EQ(check.count, 3u);
  EXPECT_EQ(check.batches, 1u);
}
