// examples/07_publisher_subscriber/actors.hpp — the messages, the codec and the actors of example 07: two
// processes joined by the ZeroMQ bridge (publisher.cpp and subscriber.cpp wire them; run.sh starts both;
// tests/examples/example07_test.cpp unit-tests every actor here in virtual time).
//
//   publisher:   sensors --readings--> enricher --events--> uplink (ZmqEgress<SensorEvent>)
//                                                               |  tcp, two sockets (data, acks)
//   subscriber:  downlink (ZmqIngress<SensorEvent>) --events--> aggregator --reports--> reporter
//
// sensors     simulates four plant sensors (boiler temperature and pressure, pump speed, tank level): a paced
//             stream of Readings, every 10 ms a batch, about one in `glitch_one_in` a dropout (NaN).
// enricher    drops dropouts, turns each good Reading into a SensorEvent (the sensor's name and unit, a level
//             from its warning and alarm thresholds) and numbers the events 1, 2, 3, ... (`seq`), so the
//             subscriber can check that it got each one exactly once.
// aggregator  per-sensor figures over the last second (count, mean, min, max, warnings, alarms), end-to-end
//             latency, and the sequence tally (received, duplicates, missing, in order); once a second one
//             Report.
// reporter    prints one line per Report; at the end a final line with the totals.
//
// SensorEvent holds std::strings, so it is not trivially copyable and cannot cross the wire as raw bytes: the
// specialisation of steady::bridge::Codec<SensorEvent> below writes it field by field (little-endian, strings
// length-prefixed) and refuses malformed input (decode returns nullopt; the ingress counts and drops it).
//
// Stopping: sensors agrees at once (or returns after --count readings); enricher, aggregator and reporter
// veto until their input is closed and drained, so everything sampled is published and everything received is
// counted. Across the wire the bridge takes over: see docs/distribution.md.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <steady/bridge/codec.hpp>
#include <steady/steady.hpp>

namespace pubsub {

using u64 = std::uint64_t;
using namespace std::chrono_literals;

// ---------------------------------------------------------------- the plant

struct SensorSpec {
  const char* name;
  const char* unit;
  double base, amplitude, period_s, noise;  // value = base + amplitude·sin(2πt/period) + noise
  double warning, alarm;                    // thresholds (values at or above them)
};

inline constexpr std::array<SensorSpec, 4> kSensors{{
    {"boiler.temperature", "C", 72.0, 6.0, 20.0, 0.6, 77.0, 78.3},
    {"boiler.pressure", "bar", 2.40, 0.25, 13.0, 0.03, 2.62, 2.67},
    {"pump.speed", "rpm", 1450.0, 110.0, 7.0, 9.0, 1545.0, 1567.0},
    {"tank.level", "%", 55.0, 30.0, 45.0, 0.5, 80.0, 85.0},
}};

// ---------------------------------------------------------------- messages

// Inside the publisher only: trivially copyable, written straight into the channel's slots.
struct Reading {
  u64 number = 0;               // 1, 2, 3, ... in the order sampled
  std::uint32_t sensor = 0;     // index into kSensors
  double value = 0;             // NaN: the sensor dropped out
  std::int64_t sampled_ns = 0;  // steady_clock (CLOCK_MONOTONIC): comparable between processes of one machine
};

enum class Level : std::uint8_t { normal, warning, alarm };

// What crosses the wire.
struct SensorEvent {
  u64 seq = 0;         // 1, 2, 3, ... over the events published
  std::string sensor;  // "boiler.temperature"
  std::string unit;    // "C"
  double value = 0;
  Level level = Level::normal;
  std::int64_t sampled_ns = 0;

  friend bool operator==(const SensorEvent&, const SensorEvent&) = default;
};
static_assert(!std::is_trivially_copyable_v<SensorEvent>, "the point of the codec below");

[[nodiscard]] inline std::int64_t to_ns(std::chrono::steady_clock::time_point t) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// ---------------------------------------------------------------- the codec (SensorEvent <-> bytes)
//
// [0,8) seq  [8,16) sampled_ns  [16,24) value (IEEE 754 bits)  [24] level  [25] sensor length L  then L
// bytes, then the unit's length M and M bytes. Little-endian. Strings longer than 255 bytes are cut to 255.

namespace wire {

inline void put(std::vector<std::byte>& out, u64 v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xffu));
}
inline void put_text(std::vector<std::byte>& out, std::string_view s) {
  const std::size_t n = std::min<std::size_t>(s.size(), 255);
  out.push_back(static_cast<std::byte>(n));
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<std::byte>(s[i]));
}

// Reads from a byte span, remembering whether it ever ran past the end.
struct Reader {
  std::span<const std::byte> in;
  std::size_t at = 0;
  bool ok = true;

  u64 get(int bytes) noexcept {
    if (in.size() - at < static_cast<std::size_t>(bytes)) {
      ok = false;
      return 0;
    }
    u64 v = 0;
    for (int i = 0; i < bytes; ++i) v |= static_cast<u64>(in[at + i]) << (8 * i);
    at += bytes;
    return v;
  }
  std::string text() {
    const std::size_t n = get(1);
    if (!ok || in.size() - at < n) {
      ok = false;
      return {};
    }
    std::string s(reinterpret_cast<const char*>(in.data() + at), n);
    at += n;
    return s;
  }
};

}  // namespace wire

inline void encode_event(const SensorEvent& e, std::vector<std::byte>& out) {
  wire::put(out, e.seq, 8);
  wire::put(out, static_cast<u64>(e.sampled_ns), 8);
  wire::put(out, std::bit_cast<u64>(e.value), 8);
  wire::put(out, static_cast<u64>(e.level), 1);
  wire::put_text(out, e.sensor);
  wire::put_text(out, e.unit);
}

// nullopt for anything that is not exactly one well-formed event: short, trailing bytes, an unknown level.
[[nodiscard]] inline std::optional<SensorEvent> decode_event(std::span<const std::byte> in) {
  wire::Reader r{in};
  SensorEvent e;
  e.seq = r.get(8);
  e.sampled_ns = static_cast<std::int64_t>(r.get(8));
  e.value = std::bit_cast<double>(r.get(8));
  const u64 level = r.get(1);
  e.sensor = r.text();
  e.unit = r.text();
  if (!r.ok || r.at != in.size() || level > static_cast<u64>(Level::alarm)) return std::nullopt;
  e.level = static_cast<Level>(level);
  return e;
}

}  // namespace pubsub

// The bridge actors pick this up by themselves: ZmqEgress<SensorEvent> / ZmqIngress<SensorEvent> need no
// codec argument. (Passing steady::bridge::function_codec<SensorEvent>(pubsub::encode_event,
// pubsub::decode_event) as their second constructor argument would do the same.)
template <>
struct steady::bridge::Codec<pubsub::SensorEvent> {
  void encode(const pubsub::SensorEvent& e, std::vector<std::byte>& out) const {
    pubsub::encode_event(e, out);
  }
  [[nodiscard]] std::optional<pubsub::SensorEvent> decode(std::span<const std::byte> in) const {
    return pubsub::decode_event(in);
  }
};

namespace pubsub {

// ---------------------------------------------------------------- sensors (publisher)

inline constexpr std::chrono::milliseconds kTick{10};

// The simulation's settings and progress. Kept by the graph with the actor's other arguments, so a restarted
// incarnation carries on where the last one stopped.
struct SensorSim {
  u64 rate = 2000;                  // readings per second, all sensors together
  u64 count = 0;                    // stop after this many readings (0: until the graph stops)
  u64 glitch_one_in = 200;          // about one reading in this many is a dropout (NaN); 0: never
  u64 rng = 0x9E3779B97F4A7C15ULL;  // xorshift64* state: the seed
  u64 sampled = 0;                  // readings sent so far
  u64 ticks = 0;

  [[nodiscard]] bool done() const noexcept { return count != 0 && sampled >= count; }
  u64 random() noexcept {
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
  }
  // Uniform in [-1, 1).
  double noise() noexcept { return static_cast<double>(random() >> 11) * 0x1.0p-52 - 1.0; }

  // The next reading: sensors take turns; the waveform follows the reading number, not the clock, so a run
  // gives the same values whatever the machine's speed.
  Reading next(std::int64_t now_ns) noexcept {
    Reading r;
    r.number = ++sampled;
    r.sensor = static_cast<std::uint32_t>((r.number - 1) % kSensors.size());
    const SensorSpec& s = kSensors[r.sensor];
    const double t = static_cast<double>(r.number) / static_cast<double>(std::max<u64>(rate, 1));
    r.value = s.base + s.amplitude * std::sin(2 * 3.14159265358979 * t / s.period_s) + s.noise * noise();
    if (glitch_one_in != 0 && random() % glitch_one_in == 0)
      r.value = std::numeric_limits<double>::quiet_NaN();
    r.sampled_ns = now_ns;
    return r;
  }
};

// Readings due on tick number `tick` (1-based): spreads `rate` per second evenly over the 100 ticks.
[[nodiscard]] constexpr u64 due_on_tick(u64 rate, u64 tick) noexcept {
  return rate * tick / 100 - rate * (tick - 1) / 100;
}

// Sample up to `want` readings straight into the channel's free slots; returns how many. Readings that do not
// fit are not sampled (a poller under backpressure samples less; it does not queue up a backlog).
inline u64 sample(steady::Tx<Reading>& out, SensorSim& sim, u64 want, std::int64_t now_ns) {
  if (sim.count != 0) want = std::min(want, sim.count - sim.sampled);
  const steady::SlicePair<Reading> slots = out.poke_slice(want);
  for (std::size_t i = 0; i < slots.size(); ++i) slots[i] = sim.next(now_ns);
  out.advance_send(slots.size());
  return slots.size();
}

inline steady::Task sensors(steady::Context& ctx, steady::Tx<Reading>& out, SensorSim& sim) {
  while (!sim.done() && ctx.is_running()) {
    const steady::WaitResult r = co_await ctx.wait_periodic(kTick);  // a stop cuts the wait short
    if (!r.satisfied()) continue;
    ++sim.ticks;
    (void)sample(out, sim, due_on_tick(sim.rate, sim.ticks), to_ns(ctx.now()));
  }
  // Returning closes `readings`: the enricher drains it, then closes `events`, and the uplink ends the
  // stream.
}

// ---------------------------------------------------------------- enricher (publisher)

inline constexpr std::size_t kBatch = 256;

struct EnricherStats {  // kept by the graph (or main, through std::ref): survives restarts
  u64 published = 0;    // events sent, numbered 1..published
  u64 dropped = 0;      // dropouts and unknown sensors
};

[[nodiscard]] inline Level grade(const SensorSpec& s, double v) noexcept {
  if (v >= s.alarm) return Level::alarm;
  if (v >= s.warning) return Level::warning;
  return Level::normal;
}

[[nodiscard]] inline bool plausible(const Reading& r) noexcept {
  return r.sensor < kSensors.size() && std::isfinite(r.value);
}

[[nodiscard]] inline SensorEvent enrich(const Reading& r, u64 seq) {
  const SensorSpec& s = kSensors[r.sensor];
  return SensorEvent{seq, s.name, s.unit, r.value, grade(s, r.value), r.sampled_ns};
}

// Peek a batch, publish the good readings as events, then release the batch (peek-before-commit). Returns
// how many readings it consumed.
inline std::size_t enrich_batch(steady::Rx<Reading>& in, steady::Tx<SensorEvent>& out, EnricherStats& st) {
  const steady::SlicePair<const Reading> batch = in.peek_slice(std::min<u64>(out.vacant_units(), kBatch));
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!plausible(batch[i])) {
      ++st.dropped;
      continue;
    }
    (void)out.try_send(enrich(batch[i], st.published + 1));  // cannot fail: the batch fits the room
    ++st.published;
  }
  in.advance_take(batch.size());
  return batch.size();
}

inline steady::Task enricher(steady::Context& ctx, steady::Rx<Reading>& in, steady::Tx<SensorEvent>& out,
                             EnricherStats& st) {
  while (ctx.is_running([&] { return steady::drained(in); })) {
    // Something to read (a closed input counts, so the end is noticed) and room to write it.
    co_await ctx.wait_all(steady::avail(in, 1), steady::vacant(out, 1));
    enrich_batch(in, out, st);
    if (in.is_closed_and_empty()) co_return;  // returning closes `events`
  }
}

// ---------------------------------------------------------------- aggregator (subscriber)

inline constexpr std::chrono::seconds kReportEvery{1};

// Exactly once, in order? Every event's seq is noted here.
struct SequenceTally {
  u64 received = 0;
  u64 duplicates = 0;  // seq at or below the highest seen before
  u64 missing = 0;     // seqs skipped over
  u64 first = 0, last = 0;
  bool in_order = true;

  void note(u64 seq) noexcept {
    ++received;
    if (received == 1) {
      first = last = seq;
    } else if (seq == last + 1) {
      last = seq;
    } else if (seq > last) {
      missing += seq - last - 1;
      last = seq;
      in_order = false;
    } else {
      ++duplicates;
      in_order = false;
    }
  }
  [[nodiscard]] u64 distinct() const noexcept { return received - duplicates; }
};

struct SensorWindow {
  std::string unit;
  u64 count = 0;
  double sum = 0, min = 0, max = 0, last = 0;
  u64 warnings = 0, alarms = 0;
};

struct SensorSummary {
  std::string sensor, unit;
  u64 count = 0;
  double mean = 0, min = 0, max = 0, last = 0;
  u64 warnings = 0, alarms = 0;
};

// One second of figures (or, with `final`, the last part of a second and the totals of the run).
struct Report {
  u64 number = 0;  // 1, 2, 3, ...
  bool final = false;
  double seconds = 0;  // what the figures cover
  u64 events = 0;
  double latency_avg_ms = 0, latency_max_ms = 0;
  std::vector<SensorSummary> sensors;  // by name
  // Over the whole run so far:
  u64 total_events = 0, total_warnings = 0, total_alarms = 0;
  double total_seconds = 0;
};

// What the aggregator keeps across its passes (and restarts); main reads `tally` after the stop.
struct AggregatorState {
  SequenceTally tally;
  std::map<std::string, SensorWindow> window;  // this second, by sensor
  u64 events = 0;
  double latency_sum_ms = 0, latency_max_ms = 0;
  u64 reports = 0;
  u64 reports_skipped = 0;  // the reporter was a whole channel behind
  u64 total_warnings = 0, total_alarms = 0;
  std::chrono::steady_clock::time_point started{}, window_start{};
};

inline void aggregate(const SensorEvent& e, AggregatorState& s, std::int64_t now_ns) {
  s.tally.note(e.seq);
  SensorWindow& w = s.window[e.sensor];
  if (w.count == 0) {
    w.unit = e.unit;
    w.min = w.max = e.value;
  }
  ++w.count;
  w.sum += e.value;
  w.min = std::min(w.min, e.value);
  w.max = std::max(w.max, e.value);
  w.last = e.value;
  w.warnings += e.level == Level::warning ? 1 : 0;
  w.alarms += e.level == Level::alarm ? 1 : 0;
  s.total_warnings += e.level == Level::warning ? 1 : 0;
  s.total_alarms += e.level == Level::alarm ? 1 : 0;
  ++s.events;
  const double latency_ms = static_cast<double>(now_ns - e.sampled_ns) / 1e6;
  s.latency_sum_ms += latency_ms;
  s.latency_max_ms = std::max(s.latency_max_ms, latency_ms);
}

// Everything waiting on `in`; returns how many.
inline u64 aggregate_all(steady::Rx<SensorEvent>& in, AggregatorState& s, std::int64_t now_ns) {
  u64 n = 0;
  while (std::optional<SensorEvent> e = in.try_take()) {
    aggregate(*e, s, now_ns);
    ++n;
  }
  return n;
}

// Close the current window into a Report and start the next one.
[[nodiscard]] inline Report close_window(AggregatorState& s, std::chrono::steady_clock::time_point now,
                                         bool final) {
  Report r;
  r.number = ++s.reports;
  r.final = final;
  r.seconds = std::chrono::duration<double>(now - s.window_start).count();
  r.events = s.events;
  r.latency_avg_ms = s.events != 0 ? s.latency_sum_ms / static_cast<double>(s.events) : 0;
  r.latency_max_ms = s.latency_max_ms;
  for (const auto& [name, w] : s.window) {
    r.sensors.push_back(SensorSummary{name, w.unit, w.count, w.sum / static_cast<double>(w.count), w.min,
                                      w.max, w.last, w.warnings, w.alarms});
  }
  r.total_events = s.tally.received;
  r.total_warnings = s.total_warnings;
  r.total_alarms = s.total_alarms;
  r.total_seconds = std::chrono::duration<double>(now - s.started).count();
  s.window.clear();
  s.events = 0;
  s.latency_sum_ms = s.latency_max_ms = 0;
  s.window_start = now;
  return r;
}

inline steady::Task aggregator(steady::Context& ctx, steady::Rx<SensorEvent>& in, steady::Tx<Report>& out,
                               AggregatorState& s) {
  auto next_report = s.window_start + kReportEvery;
  while (ctx.is_running([&] { return steady::drained(in); })) {
    if (s.tally.received == 0) {
      // Nothing yet: the clock starts with the first event (the publisher may start long after us).
      co_await ctx.wait_avail(in, 1);
      s.started = s.window_start = ctx.now();
      next_report = s.window_start + kReportEvery;
    } else if (const auto now = ctx.now(); now < next_report) {
      // Events (taken as they arrive, so the latency is the bridge's, not ours), or the end of the second.
      const steady::WaitResult r =
          co_await ctx.wait_any(steady::avail(in, 1), steady::after(next_report - now));
      (void)r;
    }
    (void)aggregate_all(in, s, to_ns(ctx.now()));
    if (in.is_closed_and_empty()) break;
    if (const auto now = ctx.now(); s.tally.received != 0 && now >= next_report) {
      ctx.set_status(std::to_string(s.events) + " events in the last second, " +
                     std::to_string(s.total_alarms) + " alarms so far");
      if (!out.try_send(close_window(s, now, false)).sent()) ++s.reports_skipped;  // reporter far behind
      next_report = std::max(next_report + kReportEvery, now);
    }
  }
  // The stream ended (or the graph is stopping with the input drained): the last part-second and the totals.
  // The reporter drains its input until it closes, so room comes; a stop only makes this wait poll.
  while (out.vacant_units() == 0) co_await ctx.wait_vacant(out, 1);
  (void)out.try_send(close_window(s, ctx.now(), true));
}

// ---------------------------------------------------------------- reporter (subscriber)

// A value with as many decimals as its size deserves: 1490, 72.8, 2.45.
[[nodiscard]] inline std::string format_value(double v) {
  char buf[32];
  const double a = std::fabs(v);
  std::snprintf(buf, sizeof buf, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : "%.2f", v);
  return buf;
}

[[nodiscard]] inline std::string format_report(const Report& r) {
  char buf[256];
  if (r.final) {
    std::snprintf(
        buf, sizeof buf, "final: %llu events in %.1f s from %zu sensors; %llu warnings, %llu alarms",
        static_cast<unsigned long long>(r.total_events), r.total_seconds, r.sensors.size(),
        static_cast<unsigned long long>(r.total_warnings), static_cast<unsigned long long>(r.total_alarms));
    return buf;
  }
  const double rate = r.seconds > 0 ? static_cast<double>(r.events) / r.seconds : 0;
  std::snprintf(buf, sizeof buf, "[%4llu s] %5.0f ev/s, latency %.2f ms (max %.2f)",
                static_cast<unsigned long long>(r.number), rate, r.latency_avg_ms, r.latency_max_ms);
  std::string line = buf;
  for (const SensorSummary& s : r.sensors) {
    line += " | " + s.sensor + " " + format_value(s.mean) + " " + s.unit + " [" + format_value(s.min) + ".." +
            format_value(s.max) + "]";
    if (s.alarms != 0)
      line += " ALARM x" + std::to_string(s.alarms);
    else if (s.warnings != 0)
      line += " warn x" + std::to_string(s.warnings);
  }
  return line;
}

inline steady::Task reporter(steady::Context& ctx, steady::Rx<Report>& in) {
  while (ctx.is_running([&] { return steady::drained(in); })) {
    co_await ctx.wait_avail(in, 1);
    while (std::optional<Report> r = in.try_take()) {
      std::printf("%s\n", format_report(*r).c_str());
      std::fflush(stdout);  // one line a second, visible at once even through a pipe or into a file
    }
    if (in.is_closed_and_empty()) co_return;
  }
}

}  // namespace pubsub
