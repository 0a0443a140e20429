// examples/09_prebuilt_service — a service made of prebuilt actors (steady::actors) and one actor of its own:
//
//   HTTP POST /ingest --> ingest [HttpIngest] --bodies--> parse [parse.hpp] --records--> store [FileSink]
//   source file ------> tail [FileSource, follow] --lines--> print [Console]
//
// The sketch is service.dot (the same graph as steady-gen reads it: `mod::steady::...` nodes are prebuilt).
// Each POSTed body is answered 202 once it is in `bodies` (503 + Retry-After while `bodies` is full: send it
// again later); `parse` turns its `key=value` lines into normalised records ("User=ann action=login" becomes
// "action=login user=ann"; invalid lines are counted and dropped), and `store` appends them to the records
// file. Independently, `tail` follows the source file like `tail -F` and `print` writes each of its lines to
// stdout as "source: <line>".
//
//   example_09_prebuilt_service [--port P] [--records FILE] [--source FILE] [--telemetry-port P |
//   --no-telemetry]
//                               [--duration S] [--log-level L]
//
//   curl -d 'User=ann action=login' http://127.0.0.1:<port>/ingest     (the port is printed as "listening:
//   ...")
//
// --port 0 (the default) lets the system pick a free port; the address is printed as
//   listening: http://127.0.0.1:41234/ingest
// --records defaults to records.log and --source to source.log, in the current directory (the source may
// appear later: it is waited for). Stopping: Ctrl-C, SIGTERM or --duration; everything accepted is written to
// the records file first. Exit status: 0 after a clean stop, 1 otherwise (the stop report says why, e.g. the
// port is in use), 2 for a bad option. At the end it prints one line:
//   summary bodies=N records=N rejected=N written=N printed=N
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <utility>

#include <steady/actors/console.hpp>
#include <steady/actors/file_sink.hpp>
#include <steady/actors/file_source.hpp>
#include <steady/actors/http.hpp>
#include <steady/ops.hpp>
#include <steady/steady.hpp>
#if STEADY_EXAMPLE_TELEMETRY
#include <steady/telemetry.hpp>
#endif

#include "parse.hpp"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  std::string port_text = "0", records_path = "records.log", source_path = "source.log";
  const auto run = steady::ops::parse_command_line(
      argc, argv, "example_09_prebuilt_service",
      "Example 09: HTTP ingest -> parse -> file sink, and file source -> console, from prebuilt actors",
      {{"--port", "HTTP port for POST /ingest (default 0: a free port, printed as 'listening: ...')",
        &port_text},
       {"--records", "File the parsed records are appended to (default records.log)", &records_path},
       {"--source", "File followed like tail -F and printed (default source.log)", &source_path}});
  if (!run) return run.exit_code();
  char* end = nullptr;
  const unsigned long port = std::strtoul(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port > 65535) {
    std::fprintf(
        stderr, "example_09_prebuilt_service: --port %s is not a port number; write 0..65535 (0: any free)\n",
        port_text.c_str());
    return 2;
  }
  steady::ops::init_logging(run->log_level);

  auto graph = steady::GraphBuilder::for_production().build();  // production: SIGINT/SIGTERM request a stop
  auto [bodies_tx, bodies_rx] = graph.channel<std::string>().name("bodies").capacity(256).build();
  auto [records_tx, records_rx] = graph.channel<std::string>().name("records").capacity(1024).build();
  auto [lines_tx, lines_rx] = graph.channel<std::string>().name("lines").capacity(256).build();

  // Keep the prebuilt actors' objects: copies share their state, so their stats can be read here.
  steady::actors::HttpIngest ingest({.port = static_cast<std::uint16_t>(port), .path = "/ingest"});
  steady::actors::FileSink store({.path = records_path, .fsync = steady::actors::Fsync::interval});
  steady::actors::FileSource tail({.path = source_path, .follow = true, .poll = 100ms});
  steady::actors::Console<std::string> print({.prefix = "source: "});
  prebuilt_service::ParseState parsed;  // its counts are read after the stop

  // A port in use is a setup error, not something a restart fixes: stop, and let the report say why.
  graph.actor("ingest").restart(steady::RestartPolicy::stop_graph()).run(ingest, std::move(bodies_tx));
  graph.actor("parse").run(prebuilt_service::parse, std::move(bodies_rx), std::move(records_tx),
                           std::ref(parsed));
  graph.actor("store").run(store, std::move(records_rx));
  graph.actor("tail").run(tail, std::move(lines_tx));
  graph.actor("print").run(print, std::move(lines_rx));

#if STEADY_EXAMPLE_TELEMETRY
  auto options = steady::telemetry::from(*run);
  options.title = "09 prebuilt service";
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
  // The port the system picked: the ingest binds it as it starts. If it cannot (port in use), the graph stops
  // and the report below says why.
  if (const std::uint16_t bound = ingest.wait_bound(10s); bound != 0) {
    std::printf("listening: http://127.0.0.1:%u/ingest\n", static_cast<unsigned>(bound));
  } else {
    std::fprintf(stderr, "example_09_prebuilt_service: not listening on port %lu: %s\n", port,
                 ingest.last_error().c_str());
    graph.request_shutdown();
  }
  std::fflush(stdout);
  if (run->duration) {
    const auto until = std::chrono::steady_clock::now() + *run->duration;
    while (graph.state() == steady::GraphState::running && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(50ms);  // the poll period of this wait, not synchronisation
    graph.request_shutdown();
  }

  // Returns once every actor has stopped; the bound counts from the stop request.
  const steady::StopReport report = graph.block_until_stopped(10s);
  std::printf("stop report: %s\n", report.to_string().c_str());
  std::printf("summary bodies=%llu records=%llu rejected=%llu written=%llu printed=%llu\n",
              static_cast<unsigned long long>(parsed.bodies), static_cast<unsigned long long>(parsed.records),
              static_cast<unsigned long long>(parsed.rejected),
              static_cast<unsigned long long>(store.stats().records_written),
              static_cast<unsigned long long>(print.stats().printed));
  std::fflush(stdout);
  return report.clean ? 0 : 1;
}
