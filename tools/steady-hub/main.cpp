// tools/steady-hub/main.cpp — steady-hub: one telemetry view of several processes.
//
//   steady-hub --peer http://127.0.0.1:9901 --peer http://127.0.0.1:9902 [--port 9900] [--bind 127.0.0.1]
//              [--frame 500ms] [--timeout 1s] [--title NAME]
//
// Polls each process's telemetry server (/snapshot.json) every frame and serves the merged graph — every process's
// actors and channels in a cluster of its own, plus one edge per bridged link from the egress to the ingress —
// with the same UI as a single process, at the printed URL. A process that is down is shown down with the reason
// and asked again every frame. Runs until SIGINT/SIGTERM. Exit 2: bad arguments (a peer URL that is not
// http://host:port, a port in use that was set explicitly). See docs/telemetry.md, "Several processes: the hub".
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "hub.hpp"

namespace {

// "500ms", "2s", "1.5s", or a bare number of milliseconds.
bool parse_duration(const std::string& text, std::chrono::milliseconds& out) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return false;
  }
  const std::string unit = text.substr(used);
  double ms = 0;
  if (unit.empty() || unit == "ms") ms = value;
  else if (unit == "s") ms = value * 1000;
  else return false;
  if (!(ms > 0) || ms > 3'600'000) return false;
  out = std::chrono::milliseconds(static_cast<std::int64_t>(ms + 0.5));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"steady-hub: one telemetry view of several steady_state processes, with the bridged links between them",
               "steady-hub"};
  steady::telemetry::HubOptions o;
  std::string frame = "500ms", timeout = "1s";
  unsigned port = o.port;
  app.add_option("--peer", o.peers, "A process's telemetry URL, e.g. http://127.0.0.1:9901 (repeat for each)")
      ->required();
  auto* port_opt = app.add_option("--port", port, "Port to serve on (0 = any free port; default 9900, or the next free)")
                       ->check(CLI::Range(0u, 65535u));
  app.add_option("--bind", o.bind, "Address to serve on (default 127.0.0.1: this machine only)");
  app.add_option("--frame", frame, "How often every process is polled, e.g. 500ms, 1s (default 500ms)");
  app.add_option("--timeout", timeout, "Deadline of one poll, e.g. 300ms, 2s (default 1s)");
  app.add_option("--title", o.title, "Name shown in the UI (default steady-hub)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    (void)app.exit(e);
    return 2;
  }
  if (!parse_duration(frame, o.frame)) {
    std::fprintf(stderr, "steady-hub: --frame '%s' is not a duration (use e.g. 500ms or 1s)\n", frame.c_str());
    return 2;
  }
  if (!parse_duration(timeout, o.timeout)) {
    std::fprintf(stderr, "steady-hub: --timeout '%s' is not a duration (use e.g. 300ms or 2s)\n", timeout.c_str());
    return 2;
  }
  o.port = static_cast<std::uint16_t>(port);
  o.port_explicit = port_opt->count() > 0;

  // SIGINT/SIGTERM are taken by sigwait below, on this thread: blocked before any other thread exists.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  auto hub = steady::telemetry::Hub::start(o);
  if (!hub) {
    std::fprintf(stderr, "%s\n", hub.error().c_str());
    return 2;
  }
  std::printf("steady-hub: %s (polling %zu processes every %lld ms)\n", hub.value()->url().c_str(), o.peers.size(),
              static_cast<long long>(o.frame.count()));
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  return 0;
}
