// examples/07_publisher_subscriber — example_07_publisher: simulated plant sensors, published over ZeroMQ.
//
//   sensors --readings--> enricher --events--> uplink ==tcp==> (example_07_subscriber)
//
// The graph is publisher.dot; the actors are in actors.hpp. `uplink` is the bridge's egress actor,
// steady::bridge::ZmqEgress<SensorEvent>: it connects to the subscriber's two endpoints (data and acks) and
// removes an event from `events` only once the subscriber acknowledged it, so `events` is also the resend
// buffer.
//
//   example_07_publisher --data tcp://127.0.0.1:PORT --acks tcp://127.0.0.1:PORT [--count N] [--rate R]
//                        [--telemetry-port P | --no-telemetry] [--duration S] [--log-level L]
//
// --data/--acks: the endpoints the subscriber printed on its `listening:` line (run.sh passes them along).
// --count N: publish N readings' worth, then end the stream and exit (default: until Ctrl-C / SIGTERM).
// --rate R: readings per second, all sensors together (default 2000).
//
// Stopping: Ctrl-C / SIGTERM / --duration / the end of --count. Everything sampled is delivered, then the
// stream ends (the subscriber stops by itself then). With no subscriber there, the uplink refuses to drop
// what it holds: the stop times out after 10 s and the stop report says how many events were not
// acknowledged. Exit status: 0 after a clean stop, 1 otherwise, 2 for a bad option. At the end it prints
// `summary published=N dropped=K acknowledged=A` (for run.sh and the tests).
#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <thread>
#include <utility>

#include <steady/bridge/zmq.hpp>
#include <steady/ops.hpp>
#include <steady/steady.hpp>
#if STEADY_EXAMPLE_TELEMETRY
#include <steady/telemetry.hpp>
#endif

#include "actors.hpp"

namespace {

using namespace pubsub;

// A whole number in [lo, hi] from an option's text, or nullopt after saying what is wrong.
std::optional<u64> parse_number(const std::string& text, const char* flag, u64 lo, u64 hi) {
  u64 v = 0;
  std::size_t used = 0;
  try {
    v = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || v < lo || v > hi) {
    std::fprintf(stderr, "example_07_publisher: %s: expected a whole number from %llu to %llu, got '%s'\n",
                 flag, static_cast<unsigned long long>(lo), static_cast<unsigned long long>(hi),
                 text.c_str());
    return std::nullopt;
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data, acks, count_text = "0", rate_text = "2000";
  const auto run = steady::ops::parse_command_line(
      argc, argv, "example_07_publisher",
      "Example 07, the publisher: simulated sensors -> enricher -> ZeroMQ uplink to example_07_subscriber",
      {{"--data", "The subscriber's data endpoint, e.g. tcp://127.0.0.1:5555 (from its 'listening:' line)",
        &data},
       {"--acks", "The subscriber's acknowledgement endpoint, e.g. tcp://127.0.0.1:5556", &acks},
       {"--count", "Readings to sample, then end the stream and exit (0: until stopped)", &count_text},
       {"--rate", "Readings per second, all sensors together (1 to 1000000)", &rate_text}});
  if (!run) return run.exit_code();
  steady::ops::init_logging(run->log_level);
  const auto count = parse_number(count_text, "--count", 0, ~u64{0} >> 1);
  const auto rate = parse_number(rate_text, "--rate", 1, 1'000'000);
  if (!count || !rate) return 2;
  if (data.empty() || acks.empty()) {
    std::fprintf(
        stderr,
        "example_07_publisher: --data and --acks are required: start example_07_subscriber first and "
        "pass the two endpoints it prints on its 'listening:' line (or use run.sh, which does that)\n");
    return 2;
  }

  auto graph = steady::GraphBuilder::for_production().build();  // production: SIGINT/SIGTERM request a stop
  // About four ticks of readings; `events` is also the uplink's resend buffer (what may be unacknowledged).
  const u64 capacity = std::bit_ceil(std::clamp<u64>(*rate / 25, 1024, 1 << 16));
  auto [readings_tx, readings_rx] = graph.channel<Reading>().name("readings").capacity(capacity).build();
  auto [events_tx, events_rx] = graph.channel<SensorEvent>().name("events").capacity(capacity).build();

  SensorSim sim;
  sim.rate = *rate;
  sim.count = *count;
  EnricherStats enriched;  // read here after the stop
  steady::bridge::ZmqEgress<SensorEvent> uplink(
      {.endpoint = data,
       .ack_endpoint = acks,
       .stop_graph_when_done = true});  // --count: exit once delivered

  graph.actor("sensors").run(sensors, std::move(readings_tx), sim);
  graph.actor("enricher").run(enricher, std::move(readings_rx), std::move(events_tx), std::ref(enriched));
  // A bad endpoint is a setup error, not something a restart fixes: stop, and let the report say why.
  graph.actor("uplink").restart(steady::RestartPolicy::stop_graph()).run(uplink, std::move(events_rx));

  std::printf("example_07_publisher: %zu sensors, %llu readings/s, %s\n", kSensors.size(),
              static_cast<unsigned long long>(*rate),
              *count != 0 ? ("until " + count_text + " readings are sampled").c_str() : "until Ctrl-C");
  std::printf("publishing to: data=%s acks=%s\n", data.c_str(), acks.c_str());
#if STEADY_EXAMPLE_TELEMETRY
  // Declared after the graph, so it is destroyed first; it keeps serving the final frame until then.
  auto options = steady::telemetry::from(*run);
  options.title = "07 publisher";
  auto telemetry = steady::Telemetry::start(graph, options);
  if (!telemetry) {
    std::fprintf(stderr, "%s\n", telemetry.error().c_str());  // which address, why, and what to do about it
    return 2;
  }
  std::printf("telemetry: %s\n", telemetry->serving() ? telemetry->url().c_str() : "off (--no-telemetry)");
#else
  std::printf("telemetry: not built (configure with -DSTEADY_BUILD_TELEMETRY=ON)\n");
#endif
  std::fflush(stdout);

  graph.start();
  // Progress every 5 s while it runs; --duration asks for the stop when it is over.
  const auto started = std::chrono::steady_clock::now();
  auto next_progress = started + 5s;
  while (graph.state() == steady::GraphState::running) {
    const auto now = std::chrono::steady_clock::now();
    if (run->duration && now - started >= *run->duration) graph.request_shutdown();
    if (now >= next_progress) {
      const auto s = uplink.stats();
      std::printf("publisher: %llu events acknowledged by the subscriber (%.0f/s)\n",
                  static_cast<unsigned long long>(s.acknowledged),
                  static_cast<double>(s.acknowledged) / std::chrono::duration<double>(now - started).count());
      std::fflush(stdout);
      next_progress += 5s;
    }
    std::this_thread::sleep_for(50ms);  // the poll period of this progress loop, not synchronisation
  }

  // Returns once every actor has stopped; the bound counts from the stop request.
  const steady::StopReport report = graph.block_until_stopped(10s);
  std::printf("stop report: %s\n", report.to_string().c_str());
  std::printf("summary published=%llu dropped=%llu acknowledged=%llu\n",
              static_cast<unsigned long long>(enriched.published),
              static_cast<unsigned long long>(enriched.dropped),
              static_cast<unsigned long long>(uplink.stats().acknowledged));
  std::fflush(stdout);
  return report.clean ? 0 : 1;
}
