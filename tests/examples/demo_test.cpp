// Unit tests of the demo's actors (examples/demo/actors.hpp): counter, random, fizzbuzz, printer and stopper,
// each alone with injected channels in virtual time, so the paced and once-a-second actors are tested over
// many periods in microseconds.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <steady/testing/matchers.hpp>

#include "demo/actors.hpp"
#include "example_test_support.hpp"

using namespace std::chrono_literals;
using namespace demo;
using example_test::count_lines_starting_with;
using steady::testing::IsCleanStop;

static_assert(kind_of(1) == Kind::number && kind_of(3) == Kind::fizz && kind_of(5) == Kind::buzz &&
              kind_of(15) == Kind::fizzbuzz && kind_of(30) == Kind::fizzbuzz && kind_of(9) == Kind::fizz);

// The failures in these tests are planned: skip resolving the stack trace of each throw (slow, and noise
// here).
[[maybe_unused]] const steady::FailureTraceProvider no_failure_traces =
    steady::set_failure_trace_provider(nullptr);

namespace {

std::vector<u64> run_random(u64 seed, std::chrono::milliseconds how_long) {
  return example_test::sent_in<u64>(how_long, "random", "random", 1024, random_numbers, seed);
}

}  // namespace

TEST(ExampleDemo, CounterSendsOneBatchPerTickCountingUpFromOne) {
  steady::testing::Harness h;
  auto& out = h.output<u64>("counted", 64);
  h.actor("counter").run(counter, out.end(), Pace{10ms, 5});
  h.advance(100ms);  // ten ticks
  const std::vector<u64> got = out.received();
  ASSERT_EQ(got.size(), 50u) << "5 numbers on each of 10 ticks";
  for (u64 i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], i + 1);
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop()) << "a producer agrees to stop at once";
}

TEST(ExampleDemo, RandomSendsBurstsOfNumbersInRangeTheSameWayForTheSameSeed) {
  const std::vector<u64> a = run_random(42, 1s);
  const std::vector<u64> b = run_random(42, 1s);
  const std::vector<u64> c = run_random(43, 1s);
  ASSERT_GT(a.size(), 0u);
  EXPECT_LE(a.size(), 50u * 2u * kRandomPace.per_tick) << "50 ticks of at most 2 x average each";
  for (u64 v : a) ASSERT_TRUE(v >= 1 && v <= 1'000'000) << v;
  EXPECT_EQ(a, b) << "the generator's state is the actor's argument: same seed, same sequence";
  EXPECT_NE(a, c);
}

TEST(ExampleDemo, FizzbuzzClassifiesBothInputsKeepsTheCounterOrderAndClosesItsOutput) {
  steady::testing::Harness h;
  auto& counted = h.input<u64>("counted", 16);
  auto& random = h.input<u64>("random", 16);
  auto& out = h.output<FizzBuzz>("results", 512);
  h.actor("fizzbuzz").run(fizzbuzz, counted.end(), random.end(), out.end());
  std::vector<u64> numbers;
  for (u64 n = 1; n <= 45; ++n) numbers.push_back(n);
  counted.push_all(numbers);  // more than the input holds at once
  random.push({10, 9, 7, 45});
  counted.close();
  random.close();
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());

  std::vector<u64> from_counter;
  std::vector<u64> from_random;
  for (const FizzBuzz& m : out.received()) {
    EXPECT_EQ(m.kind, kind_of(m.value)) << m.value;
    (m.source == Source::counter ? from_counter : from_random).push_back(m.value);
  }
  EXPECT_EQ(from_counter, numbers);
  EXPECT_EQ(from_random, (std::vector<u64>{10, 9, 7, 45}));
}

TEST(ExampleDemo, FizzbuzzVetoesTheStopUntilBothInputsAreDrained) {
  steady::testing::Harness h;
  auto& counted = h.input<u64>("counted");
  auto& random = h.input<u64>("random");
  auto& out = h.output<FizzBuzz>("results");
  h.actor("fizzbuzz").run(fizzbuzz, counted.end(), random.end(), out.end());
  counted.close();  // random stays open
  EXPECT_THAT(h.run_to_stop(300ms), steady::testing::IsUncleanStopVetoedBy("fizzbuzz"));
}

TEST(ExampleDemo, PrinterPrintsOneSummaryASecondAndAFinalLineWhenItsInputCloses) {
  steady::testing::Harness h;
  auto& in = h.input<FizzBuzz>("results", 64);
  h.actor("printer").run(printer, in.end());
  ::testing::internal::CaptureStdout();
  for (u64 n = 1; n <= 15; ++n) in.push(FizzBuzz{n, kind_of(n), Source::counter});
  h.advance(3s);
  in.push(FizzBuzz{77, kind_of(77), Source::random});
  in.close();
  const steady::StopReport report = h.run_to_stop(2s);
  const std::string printed = ::testing::internal::GetCapturedStdout();
  EXPECT_THAT(report, IsCleanStop());
  EXPECT_EQ(count_lines_starting_with(printed, "summary "), 3) << printed;
  EXPECT_THAT(printed, ::testing::HasSubstr("final: 16 results | number 9  fizz 4  buzz 2  fizzbuzz 1 | from "
                                            "counter 15, random 1 | counter sequence intact"));
}

TEST(ExampleDemo, PrinterFailsWhenTheCounterSequenceIsBroken) {
  steady::testing::Harness h;
  auto& in = h.input<FizzBuzz>("results", 64);
  h.actor("printer").restart(steady::RestartPolicy::never()).run(printer, in.end());
  in.push({FizzBuzz{1, Kind::number, Source::counter},
           FizzBuzz{3, Kind::fizz, Source::counter}});  // 2 is missing
  in.close();
  ::testing::internal::CaptureStdout();
  const steady::StopReport report = h.run_to_stop(2s);
  const std::string printed = ::testing::internal::GetCapturedStdout();
  EXPECT_THAT(printed, ::testing::HasSubstr("counter sequence BROKEN"));
  ASSERT_EQ(report.failures.size(), 1u) << report.to_string();
  EXPECT_EQ(report.failures[0].actor, "printer");
  EXPECT_THAT(report.failures[0].what, ::testing::HasSubstr("out of order"));
}

TEST(ExampleDemo, StopperAsksTheGraphToStopWhenTheDurationIsOver) {
  steady::testing::Harness h;
  h.actor("stopper").run(stop_after, std::chrono::milliseconds(2000));
  h.advance(1999ms);
  EXPECT_EQ(h.graph().state(), steady::GraphState::running);
  h.advance(1ms);
  EXPECT_EQ(h.graph().state(), steady::GraphState::stop_requested);
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
}
