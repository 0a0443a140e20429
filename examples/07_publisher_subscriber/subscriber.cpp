// examples/07_publisher_subscriber — example_07_subscriber: receives the publisher's sensor events over
// ZeroMQ and prints per-sensor figures once a second.
//
//   (example_07_publisher) ==tcp==> downlink --events--> aggregator --reports--> reporter
//
// The graph is subscriber.dot; the actors are in actors.hpp. `downlink` is the bridge's ingress actor,
// steady::bridge::ZmqIngress<SensorEvent>: it binds the two endpoints (data and acks), acknowledges each
// event once it is in `events`, and closes `events` when the publisher ends its stream.
//
//   example_07_subscriber [--data ENDPOINT] [--acks ENDPOINT] [--telemetry-port P | --no-telemetry]
//                         [--duration S] [--log-level L]
//
// --data/--acks default to tcp://127.0.0.1:* (any free port); the endpoints actually bound are printed as
//   listening: data=tcp://127.0.0.1:41234 acks=tcp://127.0.0.1:41235
// for the publisher's --data / --acks.
//
// Stopping: by itself when the publisher ends its stream (everything it published has arrived then), or
// Ctrl-C / SIGTERM / --duration (what is in flight stays with the publisher, which resends it to the next
// subscriber). Exit status: 0 after a clean stop, 1 otherwise (a port in use, say: the stop report says so),
// 2 for a bad option. At the end it prints one machine-readable line:
//   summary received=N distinct=N duplicates=0 missing=0 in_order=1 first=1 last=N malformed=0
#include <chrono>
#include <cstdint>
#include <cstdio>
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

using namespace pubsub;

int main(int argc, char** argv) {
  std::string data = "tcp://127.0.0.1:*", acks = "tcp://127.0.0.1:*";
  const auto run = steady::ops::parse_command_line(
      argc, argv, "example_07_subscriber",
      "Example 07, the subscriber: ZeroMQ downlink from example_07_publisher -> aggregator -> reporter",
      {{"--data", "Endpoint to bind for data (default tcp://127.0.0.1:*, any free port)", &data},
       {"--acks", "Endpoint to bind for acknowledgements (default tcp://127.0.0.1:*)", &acks}});
  if (!run) return run.exit_code();
  steady::ops::init_logging(run->log_level);

  auto graph = steady::GraphBuilder::for_production().build();  // production: SIGINT/SIGTERM request a stop
  auto [events_tx, events_rx] = graph.channel<SensorEvent>().name("events").capacity(4096).build();
  auto [reports_tx, reports_rx] = graph.channel<Report>().name("reports").capacity(16).build();

  AggregatorState aggregated;  // its tally is read here after the stop
  steady::bridge::ZmqIngress<SensorEvent> downlink(
      {.endpoint = data, .ack_endpoint = acks, .stop_graph_at_end = true});  // stop when the stream ends

  // A port in use is a setup error, not something a restart fixes: stop, and let the report say why.
  graph.actor("downlink").restart(steady::RestartPolicy::stop_graph()).run(downlink, std::move(events_tx));
  graph.actor("aggregator")
      .run(aggregator, std::move(events_rx), std::move(reports_tx), std::ref(aggregated));
  graph.actor("reporter").run(reporter, std::move(reports_rx));

  std::printf(
      "example_07_subscriber: per-sensor figures once a second; stops when the publisher ends its "
      "stream, or Ctrl-C\n");
#if STEADY_EXAMPLE_TELEMETRY
  // Declared after the graph, so it is destroyed first; it keeps serving the final frame until then.
  auto options = steady::telemetry::from(*run);
  options.title = "07 subscriber";
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
  // The ports the system picked. The downlink binds them as it starts; if it cannot (port in use, bad
  // endpoint) the graph stops and the report below says why.
  bool listening = false;
  while (!listening && graph.state() == steady::GraphState::running) {
    if (auto ep = downlink.bound_endpoints(100ms)) {
      std::printf("listening: data=%s acks=%s\n", ep->first.c_str(), ep->second.c_str());
      std::fflush(stdout);
      listening = true;
    }
  }
  if (run->duration) {
    const auto until = std::chrono::steady_clock::now() + *run->duration;
    while (graph.state() == steady::GraphState::running && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(50ms);  // the poll period of this wait, not synchronisation
    graph.request_shutdown();
  }

  // Returns once every actor has stopped; the bound counts from the stop request.
  const steady::StopReport report = graph.block_until_stopped(5s);
  if (!listening)
    std::fprintf(stderr, "example_07_subscriber: could not listen on data=%s acks=%s (see the stop report)\n",
                 data.c_str(), acks.c_str());
  std::printf("stop report: %s\n", report.to_string().c_str());
  const SequenceTally& t = aggregated.tally;
  const auto link = downlink.stats();
  std::printf(
      "summary received=%llu distinct=%llu duplicates=%llu missing=%llu in_order=%d first=%llu last=%llu "
      "malformed=%llu\n",
      static_cast<unsigned long long>(t.received), static_cast<unsigned long long>(t.distinct()),
      static_cast<unsigned long long>(t.duplicates), static_cast<unsigned long long>(t.missing),
      t.in_order ? 1 : 0, static_cast<unsigned long long>(t.first), static_cast<unsigned long long>(t.last),
      static_cast<unsigned long long>(link.malformed_frames + link.malformed_messages));
  std::fflush(stdout);
  return report.clean ? 0 : 1;
}
