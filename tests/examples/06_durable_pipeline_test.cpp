// Unit tests of examples/06_durable_pipeline: the peek-process-commit batch function directly, each actor
// alone with injected channels in virtual time, and one stage under frequent faults.
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <steady/testing/matchers.hpp>

#include "06_durable_pipeline/actors.hpp"

using namespace std::chrono_literals;
using namespace durable_pipeline;
using steady::testing::IsCleanStop;

// The failures in these tests are planned: skip resolving the stack trace of each throw (slow, and noise
// here).
[[maybe_unused]] const steady::FailureTraceProvider no_failure_traces =
    steady::set_failure_trace_provider(nullptr);

namespace {

constexpr u64 kNever = std::numeric_limits<u64>::max();  // Chaos::one_in that (practically) never fires

std::vector<Record> records(u64 count, std::uint32_t hops) {
  std::vector<Record> v;
  for (u64 s = 0; s < count; ++s) v.push_back(Record{s, hops});
  return v;
}

}  // namespace

TEST(Example06DurablePipeline, ProcessBatchAddsAHopAndCommitsOnlyWhatItSent) {
  auto [in_tx, in] = steady::make_channel<Record>(16);
  auto [out, out_rx] = steady::make_channel<Record>(4);
  for (const Record& r : records(10, 2)) ASSERT_TRUE(in_tx.try_send(r).sent());
  Chaos chaos{std::mt19937_64(1), kNever};
  EXPECT_EQ(process_batch(in, out, chaos), 4u) << "the output has room for 4";
  EXPECT_EQ(in.avail_units(), 6u) << "the other 6 stay in the input";
  for (u64 s = 0; s < 4; ++s) {
    const auto r = out_rx.try_take();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->seq, s);
    EXPECT_EQ(r->hops, 3u);
  }
}

TEST(Example06DurablePipeline, AFailedBatchLeavesItsInputUntouchedAndTheRetryLosesNothing) {
  auto [in_tx, in] = steady::make_channel<Record>(16);
  auto [out, out_rx] = steady::make_channel<Record>(16);
  for (const Record& r : records(10, 0)) ASSERT_TRUE(in_tx.try_send(r).sent());
  Chaos chaos{std::mt19937_64(1), 1};  // every batch fails
  EXPECT_THROW(process_batch(in, out, chaos), std::runtime_error);
  EXPECT_EQ(chaos.injected, 1u);
  EXPECT_EQ(in.avail_units(), 10u);
  EXPECT_EQ(out_rx.avail_units(), 0u) << "nothing of the failed batch was sent";
  chaos.one_in = kNever;
  EXPECT_EQ(process_batch(in, out, chaos), 10u);
  for (u64 s = 0; s < 10; ++s) EXPECT_EQ(out_rx.try_take()->seq, s);
}

TEST(Example06DurablePipeline, SourceSendsEverySequenceNumberWithNoHopsAndCloses) {
  steady::testing::Harness h;
  auto& out = h.output<Record>("link0", 128);
  h.actor("source").run(source, out.end(), u64{300});
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
  const std::vector<Record> got = out.received();
  ASSERT_EQ(got.size(), 300u);
  for (u64 s = 0; s < 300; ++s) {
    EXPECT_EQ(got[s].seq, s);
    EXPECT_EQ(got[s].hops, 0u);
  }
}

TEST(Example06DurablePipeline, AStageUnderFrequentFaultsDeliversEveryRecordOnceAndRestartsOncePerFault) {
  steady::testing::Harness h;
  auto& in = h.input<Record>("link0", 128);
  auto& out = h.output<Record>("link1", 128);
  StageStats stats{Chaos{std::mt19937_64(7), 3}};  // about one batch in three fails
  h.actor("stage")
      .restart(steady::RestartPolicy::restart(1000, 10s, steady::Backoff{1ms, 1ms, 1.0}))
      .run(stage, in.end(), out.end(), std::ref(stats));
  in.push_all(records(2000, 0));
  in.close();
  h.run_until_idle();
  h.advance(10s);  // every restart's 1 ms backoff passes on the way
  const steady::StopReport report = h.run_to_stop(1s);
  EXPECT_THAT(report, IsCleanStop());
  EXPECT_GT(stats.chaos.injected, 3u);
  EXPECT_EQ(stats.restarts, stats.chaos.injected);
  EXPECT_EQ(report.restarts, stats.chaos.injected);
  const std::vector<Record> got = out.received();
  ASSERT_EQ(got.size(), 2000u);
  for (u64 s = 0; s < 2000; ++s) {
    ASSERT_EQ(got[s].seq, s);
    ASSERT_EQ(got[s].hops, 1u) << "processed exactly once";
  }
}

TEST(Example06DurablePipeline, VerifierAcceptsAPerfectRunAndClosesFinishedWhenDone) {
  steady::testing::Harness h;
  auto& in = h.input<Record>("link5", 128);
  auto& finished = h.output<Finished>("finished", 1);
  Verdict verdict;
  h.actor("verifier").run(verifier, in.end(), finished.end(), std::ref(verdict));
  in.push_all(records(500, kStages));
  in.close();
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop()) << "clean only when 'finished' was closed";
  EXPECT_TRUE(verdict.exactly_once_in_order(500));
  EXPECT_FALSE(verdict.exactly_once_in_order(501));
}

TEST(Example06DurablePipeline, VerifierCountsDuplicatesMissingRecordsAndSkippedStages) {
  steady::testing::Harness h;
  auto& in = h.input<Record>("link5", 128);
  auto& finished = h.output<Finished>("finished", 1);
  Verdict verdict;
  h.actor("verifier").run(verifier, in.end(), finished.end(), std::ref(verdict));
  in.push({Record{0, kStages}, Record{1, kStages}, Record{1, kStages}, Record{4, kStages},
           Record{5, kStages - 1}});
  in.close();
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
  EXPECT_EQ(verdict.received, 5u);
  EXPECT_EQ(verdict.duplicates, 1u);
  EXPECT_EQ(verdict.missing, 2u);  // 2 and 3
  EXPECT_EQ(verdict.wrong_hops, 1u);
  EXPECT_FALSE(verdict.exactly_once_in_order(6));
}

TEST(Example06DurablePipeline, DeadlineStopsTheGraphWhenTheRunTakesTooLong) {
  steady::testing::Harness h;
  auto& finished = h.input<Finished>("finished", 1);
  bool expired = false;
  h.actor("deadline").run(deadline, finished.end(), std::chrono::milliseconds(10s), std::ref(expired));
  h.advance(9s);
  EXPECT_EQ(h.graph().state(), steady::GraphState::running);
  h.advance(1s);
  EXPECT_TRUE(expired);
  EXPECT_EQ(h.graph().state(), steady::GraphState::stop_requested);
  finished.close();
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
}

TEST(Example06DurablePipeline, DeadlineLeavesAFinishedRunAlone) {
  steady::testing::Harness h;
  auto& finished = h.input<Finished>("finished", 1);
  bool expired = false;
  h.actor("deadline").run(deadline, finished.end(), std::chrono::milliseconds(10s), std::ref(expired));
  h.advance(1s);
  finished.close();  // the verifier returned
  h.run_until_idle();
  // The deadline has returned without asking for a stop. Time passing its 10 s limit changes nothing (and
  // advance() returns although the deadline's expired timeout timer is still queued: nobody is left to wake).
  h.advance(20s);
  EXPECT_FALSE(expired);
  EXPECT_EQ(h.graph().state(), steady::GraphState::running) << "nobody asked for a stop";
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
}
