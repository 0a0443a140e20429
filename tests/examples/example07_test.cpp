// Unit tests of examples/07_publisher_subscriber: the SensorEvent codec directly, and each user actor
// (sensors, enricher, aggregator, reporter) alone with injected channels in virtual time. The bridge actors
// between the two processes are the library's (tests/bridge/); the two processes together are tested by
// example.07_publisher_subscriber and example.07_publisher_subscriber_graph (label bridge;process).
#include <bit>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <steady/testing/matchers.hpp>

#include "07_publisher_subscriber/actors.hpp"
#include "example_test_support.hpp"

using namespace std::chrono_literals;
using namespace pubsub;
using example_test::count_lines_starting_with;
using steady::testing::IsCleanStop;
using ::testing::HasSubstr;

namespace {

SensorEvent event(u64 seq, const std::string& sensor, double value, Level level = Level::normal,
                  std::int64_t sampled_ns = 0) {
  return SensorEvent{seq, sensor, "u", value, level, sampled_ns};
}

std::vector<std::byte> encoded(const SensorEvent& e) {
  std::vector<std::byte> out;
  steady::bridge::Codec<SensorEvent>{}.encode(e, out);
  return out;
}

std::vector<Reading> run_sensors(SensorSim sim, std::chrono::milliseconds how_long) {
  return example_test::sent_in<Reading>(how_long, "sensors", "readings", 4096, sensors, sim);
}

}  // namespace

// ---------------------------------------------------------------- codec

static_assert(steady::bridge::CodecFor<steady::bridge::Codec<SensorEvent>, SensorEvent>);

TEST(Example07Codec, EventsSurviveTheRoundTripFieldForField) {
  const std::vector<SensorEvent> events{
      SensorEvent{1, "boiler.temperature", "C", 71.25, Level::warning, 123'456'789},
      SensorEvent{~u64{0}, "", "", -0.0, Level::alarm, -5},
      SensorEvent{42, std::string(255, 'x'), "°C", std::numeric_limits<double>::max(), Level::normal, 0},
  };
  for (const SensorEvent& e : events) {
    const auto back = steady::bridge::Codec<SensorEvent>{}.decode(encoded(e));
    ASSERT_TRUE(back.has_value()) << e.sensor;
    EXPECT_EQ(*back, e);
    EXPECT_EQ(std::signbit(back->value), std::signbit(e.value)) << "the value's bits travel, not its text";
  }
}

TEST(Example07Codec, NamesLongerThan255BytesAreCut) {
  const auto back = decode_event(encoded(event(7, std::string(300, 'n'), 1.0)));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->sensor, std::string(255, 'n'));
}

TEST(Example07Codec, EveryTruncationAndAnyTrailingByteIsRefused) {
  const std::vector<std::byte> whole = encoded(event(9, "pump.speed", 1450.5, Level::warning, 77));
  for (std::size_t n = 0; n < whole.size(); ++n)
    EXPECT_FALSE(decode_event(std::span(whole).first(n)).has_value()) << "cut to " << n << " bytes";
  std::vector<std::byte> longer = whole;
  longer.push_back(std::byte{0});
  EXPECT_FALSE(decode_event(longer).has_value()) << "a trailing byte";
  EXPECT_TRUE(decode_event(whole).has_value());
}

TEST(Example07Codec, AnUnknownLevelOrAStringRunningPastTheEndIsRefused) {
  std::vector<std::byte> bad_level = encoded(event(1, "tank.level", 50));
  bad_level[24] = std::byte{3};  // [24] is the level: 0..2
  EXPECT_FALSE(decode_event(bad_level).has_value());
  std::vector<std::byte> bad_length = encoded(event(1, "tank.level", 50));
  bad_length[25] = std::byte{200};  // [25] is the sensor name's length: now past the end
  EXPECT_FALSE(decode_event(bad_length).has_value());
}

// ---------------------------------------------------------------- sensors

TEST(Example07Sensors, DueOnTickSpreadsTheRateOverEachSecond) {
  for (const u64 rate : {1ull, 7ull, 150ull, 2000ull, 999'999ull}) {
    u64 sum = 0;
    for (u64 tick = 1; tick <= 100; ++tick) sum += due_on_tick(rate, tick);
    EXPECT_EQ(sum, rate) << "rate " << rate;
  }
  EXPECT_EQ(due_on_tick(2000, 1), 20u);
}

TEST(Example07Sensors, SamplesTheRatePerSecondNumberedAndTakingTurns) {
  SensorSim sim;
  sim.rate = 2000;
  const std::vector<Reading> got = run_sensors(sim, 1s);
  ASSERT_EQ(got.size(), 2000u) << "100 ticks of 20";
  std::size_t dropouts = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].number, i + 1);
    EXPECT_EQ(got[i].sensor, i % kSensors.size());
    if (std::isnan(got[i].value)) {
      ++dropouts;
      continue;
    }
    const SensorSpec& s = kSensors[got[i].sensor];
    EXPECT_LE(std::fabs(got[i].value - s.base), s.amplitude + s.noise) << "reading " << i + 1;
  }
  EXPECT_GT(dropouts, 0u) << "about one in 200 is a dropout";
  EXPECT_LT(dropouts, 40u);
  EXPECT_EQ(run_sensors(sim, 1s).size(), got.size());
  const std::vector<Reading> again = run_sensors(sim, 1s);
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_EQ(std::bit_cast<u64>(again[i].value), std::bit_cast<u64>(got[i].value))
        << "same seed, same readings";
}

TEST(Example07Sensors, StopsAfterCountAndClosesItsOutput) {
  steady::testing::Harness h;
  auto& out = h.output<Reading>("readings", 4096);
  SensorSim sim;
  sim.rate = 1000;
  sim.count = 25;
  sim.glitch_one_in = 0;
  h.actor("sensors").run(sensors, out.end(), sim);
  h.advance(5s);
  EXPECT_EQ(h.graph().state(), steady::GraphState::running);
  const std::vector<Reading> got = out.received();
  ASSERT_EQ(got.size(), 25u);
  EXPECT_EQ(got.back().number, 25u);
  for (const Reading& r : got) EXPECT_FALSE(std::isnan(r.value)) << "glitch_one_in = 0: no dropouts";
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
}

// ---------------------------------------------------------------- enricher

TEST(Example07Enricher, DropsDropoutsNamesGradesAndNumbersTheRest) {
  steady::testing::Harness h;
  auto& in = h.input<Reading>("readings", 8);
  auto& out = h.output<SensorEvent>("events", 4);  // smaller than the input: it must wait for room
  EnricherStats stats;
  h.actor("enricher").run(enricher, in.end(), out.end(), std::ref(stats));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  in.push({Reading{1, 0, 70.0, 11}, Reading{2, 1, nan, 12}, Reading{3, 2, 1560.0, 13},
           Reading{4, 99, 1.0, 14}, Reading{5, 3, 90.0, 15}, Reading{6, 0, 77.5, 16},
           Reading{7, 1, 2.5, 17}});
  in.close();
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());

  const std::vector<SensorEvent> got = out.received();
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(stats.published, 5u);
  EXPECT_EQ(stats.dropped, 2u) << "a NaN and an unknown sensor";
  const std::vector<std::pair<std::string, Level>> want{{"boiler.temperature", Level::normal},
                                                        {"pump.speed", Level::warning},
                                                        {"tank.level", Level::alarm},
                                                        {"boiler.temperature", Level::warning},
                                                        {"boiler.pressure", Level::normal}};
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].seq, i + 1) << "numbered 1, 2, 3, ... with no gaps where readings were dropped";
    EXPECT_EQ(got[i].sensor, want[i].first);
    EXPECT_EQ(got[i].level, want[i].second) << got[i].sensor << " " << got[i].value;
  }
  EXPECT_EQ(got[1].unit, "rpm");
  EXPECT_EQ(got[2].sampled_ns, 15) << "the sampling time travels with the event";
}

TEST(Example07Enricher, VetoesTheStopUntilItsInputIsClosedAndDrained) {
  steady::testing::Harness h;
  auto& in = h.input<Reading>("readings");
  auto& out = h.output<SensorEvent>("events");
  EnricherStats stats;
  h.actor("enricher").run(enricher, in.end(), out.end(), std::ref(stats));
  in.push(Reading{1, 0, 70.0, 0});  // never closed
  EXPECT_THAT(h.run_to_stop(300ms), steady::testing::IsUncleanStopVetoedBy("enricher"));
  EXPECT_EQ(out.received().size(), 1u);
}

// ---------------------------------------------------------------- aggregator

TEST(Example07Aggregator, OneReportASecondWithPerSensorFiguresAndTheLatency) {
  steady::testing::Harness h;
  auto& in = h.input<SensorEvent>("events", 64);
  auto& out = h.output<Report>("reports", 16);
  AggregatorState state;
  h.actor("aggregator").run(aggregator, in.end(), out.end(), std::ref(state));
  h.advance(5s);
  EXPECT_TRUE(out.received().empty()) << "the clock starts with the first event";

  const std::int64_t now = to_ns(h.graph().now());
  const std::int64_t two_ms_ago = now - 2'000'000;
  in.push({event(1, "b", 10.0, Level::normal, two_ms_ago), event(2, "a", 1.0, Level::warning, two_ms_ago),
           event(3, "b", 30.0, Level::alarm, two_ms_ago), event(4, "b", 20.0, Level::normal, two_ms_ago)});
  h.run_until_idle();
  h.advance(1s);
  std::vector<Report> got = out.received();
  ASSERT_EQ(got.size(), 1u);
  const Report& r = got[0];
  EXPECT_FALSE(r.final);
  EXPECT_EQ(r.number, 1u);
  EXPECT_EQ(r.events, 4u);
  EXPECT_DOUBLE_EQ(r.latency_avg_ms, 2.0) << "sampled 2 ms before it was aggregated";
  EXPECT_DOUBLE_EQ(r.latency_max_ms, 2.0);
  ASSERT_EQ(r.sensors.size(), 2u);
  EXPECT_EQ(r.sensors[0].sensor, "a") << "sensors in name order";
  const SensorSummary& b = r.sensors[1];
  EXPECT_EQ(b.count, 3u);
  EXPECT_DOUBLE_EQ(b.mean, 20.0);
  EXPECT_DOUBLE_EQ(b.min, 10.0);
  EXPECT_DOUBLE_EQ(b.max, 30.0);
  EXPECT_DOUBLE_EQ(b.last, 20.0);
  EXPECT_EQ(b.alarms, 1u);
  EXPECT_EQ(r.sensors[0].warnings, 1u);

  h.advance(2s);  // two quiet seconds: two reports with nothing in them
  in.push(event(5, "a", 3.0));
  in.close();
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
  got = out.received();
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[1].events, 0u);
  EXPECT_TRUE(got[1].sensors.empty());
  const Report& last = got.back();
  EXPECT_TRUE(last.final) << "the input closed: a final report";
  EXPECT_EQ(last.events, 1u);
  EXPECT_EQ(last.total_events, 5u);
  EXPECT_EQ(last.total_warnings, 1u);
  EXPECT_EQ(last.total_alarms, 1u);
  EXPECT_TRUE(state.tally.in_order);
  EXPECT_EQ(state.tally.distinct(), 5u);
  EXPECT_EQ(state.tally.last, 5u);
}

TEST(Example07Aggregator, TheTallyCountsDuplicatesGapsAndOrder) {
  steady::testing::Harness h;
  auto& in = h.input<SensorEvent>("events", 64);
  auto& out = h.output<Report>("reports", 16);
  AggregatorState state;
  h.actor("aggregator").run(aggregator, in.end(), out.end(), std::ref(state));
  for (const u64 seq : {1, 2, 3, 3, 6, 4, 7}) in.push(event(seq, "s", 1.0));
  in.close();
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
  const SequenceTally& t = state.tally;
  EXPECT_EQ(t.received, 7u);
  EXPECT_EQ(t.duplicates, 2u) << "3 again, and 4 after 6";
  EXPECT_EQ(t.distinct(), 5u);
  EXPECT_EQ(t.missing, 2u) << "4 and 5 skipped when 6 came";
  EXPECT_FALSE(t.in_order);
  EXPECT_EQ(t.first, 1u);
  EXPECT_EQ(t.last, 7u);
  ASSERT_EQ(out.received().size(), 1u);
  EXPECT_TRUE(out.received()[0].final);
}

TEST(Example07Aggregator, VetoesTheStopUntilItsInputIsClosedAndDrained) {
  steady::testing::Harness h;
  auto& in = h.input<SensorEvent>("events");
  auto& out = h.output<Report>("reports");
  AggregatorState state;
  h.actor("aggregator").run(aggregator, in.end(), out.end(), std::ref(state));
  in.push(event(1, "s", 1.0));
  EXPECT_THAT(h.run_to_stop(300ms), steady::testing::IsUncleanStopVetoedBy("aggregator"));
}

// ---------------------------------------------------------------- reporter

TEST(Example07Reporter, PrintsALinePerReportAndTheFinalLine) {
  steady::testing::Harness h;
  auto& in = h.input<Report>("reports", 16);
  h.actor("reporter").run(reporter, in.end());
  Report second;
  second.number = 3;
  second.seconds = 1.0;
  second.events = 2000;
  second.latency_avg_ms = 0.5;
  second.latency_max_ms = 1.25;
  second.sensors = {SensorSummary{"pump.speed", "rpm", 500, 1490.4, 1441.0, 1566.2, 1500, 3, 1},
                    SensorSummary{"tank.level", "%", 500, 56.31, 54.5, 58.0, 57, 2, 0},
                    SensorSummary{"boiler.pressure", "bar", 500, 2.4512, 2.37, 2.52, 2.4, 0, 0}};
  Report final_report;
  final_report.final = true;
  final_report.total_events = 6000;
  final_report.total_seconds = 3.04;
  final_report.total_warnings = 12;
  final_report.total_alarms = 2;
  final_report.sensors.resize(4);
  ::testing::internal::CaptureStdout();
  in.push({second, final_report});
  in.close();
  const steady::StopReport report = h.run_to_stop(1s);
  const std::string printed = ::testing::internal::GetCapturedStdout();
  EXPECT_THAT(report, IsCleanStop());
  EXPECT_EQ(count_lines_starting_with(printed, "["), 1) << printed;
  EXPECT_THAT(printed, HasSubstr("[   3 s]  2000 ev/s, latency 0.50 ms (max 1.25)"));
  EXPECT_THAT(printed, HasSubstr("| pump.speed 1490 rpm [1441..1566] ALARM x1 |"));
  EXPECT_THAT(printed, HasSubstr("| tank.level 56.3 % [54.5..58.0] warn x2 |"));
  EXPECT_THAT(printed, HasSubstr("| boiler.pressure 2.45 bar [2.37..2.52]\n"));
  EXPECT_THAT(printed, HasSubstr("final: 6000 events in 3.0 s from 4 sensors; 12 warnings, 2 alarms\n"));
}
