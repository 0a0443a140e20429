// src/telemetry/hub.hpp — the telemetry hub: polls several processes' telemetry servers and serves one merged graph
// with the same UI, the bridged links drawn between the processes. Lives in steady::telemetry; tools/steady-hub is
// its command line. Internal (not installed): the tool and the tests use it.
//
//   HubOptions o;
//   o.peers = {"http://127.0.0.1:9901", "http://127.0.0.1:9902"};
//   auto hub = Hub::start(o);                  // a bad peer URL, or a port in use: an error message
//   if (!hub) { std::fprintf(stderr, "%s\n", hub.error().c_str()); return 2; }
//   std::printf("steady-hub: %s\n", hub.value()->url().c_str());
//
// Served (read-only; the telemetry server's bounds: GET/HEAD, 8 KiB heads, max_connections, loopback Host check):
//   /  /snapshot.json  /structure.json  /history.json  /events  /graph.dot  /graph.svg  /layout.svg  /metrics
// The merged snapshot carries every actor's own counters (Context::counter) as its process reported them. /metrics
// serves only what the hub adds: which processes answer, and those processes' actor counters, labelled with their
// process; the other families Prometheus scrapes from each process itself (the hub's snapshots do not carry them
// whole: no CPU seconds, no latency histograms).
//
// Threads: one poller thread (every peer's request and the merge, hub_client.hpp) and the server's thread. A peer
// that is down is shown down with the reason and asked again every frame; it never delays the others. Every
// member function may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "steady/result.hpp"

namespace steady::telemetry {

struct HubOptions {
  std::vector<std::string> peers;  // telemetry servers: "http://127.0.0.1:9901"
  std::string bind = "127.0.0.1";  // the default keeps the hub on this machine
  std::uint16_t port = 9900;       // 0 = any free port
  bool port_explicit = false;      // in use = error; otherwise the next free one (up to port + 63)
  std::chrono::milliseconds frame{500};     // how often every peer is asked, and the merged frame made (≥ 20 ms)
  std::chrono::milliseconds timeout{1000};  // deadline of one request (resolve, connect, send, answer)
  std::chrono::milliseconds window{10'000};  // the UI's sparklines (the peers' window statistics are their own)
  std::string title = "steady-hub";
  std::size_t max_connections = 32;
};

class Hub {
 public:
  // Checks every peer URL, binds, starts polling. Fails with a message naming the bad URL or the port problem.
  [[nodiscard]] static Result<std::unique_ptr<Hub>> start(HubOptions options);
  ~Hub();  // stops polling and serving
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  [[nodiscard]] const std::string& url() const noexcept;  // "http://127.0.0.1:9900"
  [[nodiscard]] std::uint16_t port() const noexcept;
  // Merged frames made so far; wait (bounded) until there are at least `n`.
  [[nodiscard]] std::uint64_t frames() const;
  bool wait_for_frames(std::uint64_t n, std::chrono::milliseconds timeout) const;
  // What /snapshot.json, /metrics and /graph.dot serve.
  [[nodiscard]] std::string snapshot_json() const;
  [[nodiscard]] std::string metrics() const;
  [[nodiscard]] std::string dot() const;

  struct Impl;

 private:
  explicit Hub(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace steady::telemetry
