// steady/telemetry.hpp — live figures of a running graph: a collector, alert triggers, and a small read-only HTTP
// server with a browser UI, a JSON snapshot, a stream of frames and Prometheus /metrics.
// Part of the separate `steady::telemetry` target (Boost.Beast, Graphviz and nlohmann/json stay inside it), so a
// program that uses only the core pulls in none of them.
//
//   #include <steady/ops.hpp>
//   #include <steady/telemetry.hpp>
//
//   auto graph = steady::GraphBuilder::for_production().build();
//   ... graph.channel<...>() / graph.actor(...).run(...) ...
//   auto telemetry = steady::Telemetry::start(graph, steady::telemetry::from(*run_options));
//   if (!telemetry) { std::fprintf(stderr, "%s\n", telemetry.error().c_str()); return 1; }  // e.g. port in use
//   if (telemetry->serving()) std::printf("telemetry: %s\n", telemetry->url().c_str());
//   graph.start();
//   auto report = graph.block_until_stopped(std::chrono::seconds(5));
//   // `telemetry` still serves the final frame here, until it goes out of scope (before the graph: declared after).
//
// What it measures (once per frame, default every 100 ms, 20 ms at the fastest):
//   channel  sent/taken totals (the ring indices themselves: free on the hot path), in flight (count and % of
//            capacity), rate (messages sent per second), latency from sampled enqueue→dequeue timestamps
//            (ChannelBuilder::latency_sample_every), capacity, memory (slots × element size), type, labels.
//   actor    busy % (time outside waits), mCPU from its thread's CPU clock (1024 = one full core; a troupe's
//            thread time is shared among its actors by their busy time), load % (its share of the graph's busy
//            time), passes/s, restarts, stalled, troupe/thread, and the one-line status the actor sets itself.
// Each figure is also kept over a rolling window (default 10 s) as avg, min, max, std-dev and percentiles.
//
// Served over HTTP (default http://127.0.0.1:9900; the next free port when 9900 is taken and no port was set):
//   /               the UI (embedded in the library; works offline)
//   /graph.dot      the live graph as DOT, figures in the labels      /graph.svg   the same, laid out by Graphviz
//   /snapshot.json  every figure of the latest frame                  /events      frames as Server-Sent Events
//   /metrics        Prometheus text exposition (see docs/telemetry.md for the families)
// Read-only; requests are bounded in size; connections are bounded in number; unknown paths get 404.
//
// Threads. Call start() from the thread that built the graph, after every channel and actor was added (before or
// after graph.start()). The collector and the server run on two threads of their own. Every member function may
// be called from any thread.
//
// Lifetime: telemetry stops last. When the graph stops (block_until_stopped, or the Graph's destructor), once its
// actors' threads have been joined, the collector takes the final frame with the final counts and never reads the
// graph again; the server keeps serving that frame until the Telemetry is destroyed. So a Telemetry may outlive a
// graph that has run. One that was started on a graph that never starts must be destroyed before that graph
// (declaring it after the graph does that, and is the usual shape).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "graph.hpp"
#include "ops.hpp"
#include "result.hpp"

namespace steady {

namespace telemetry {

// How loudly a node or edge asks for attention. The worst firing rule wins.
enum class Alert : std::uint8_t { none, yellow, orange, red };

// The figure a rule looks at, in the unit the UI shows.
enum class Metric : std::uint8_t {
  fill,     // channel: messages in flight, % of capacity (0..100)
  rate,     // channel: messages sent per second
  latency,  // channel: enqueue→dequeue time, milliseconds
  mcpu,     // actor: thread CPU, 1024 = one full core
  load,     // actor: share of the graph's busy time, % (0..100)
  busy,     // actor: time outside waits, % of the frame (0..100)
};

// Which value of that figure: the latest frame's, or a statistic over the rolling window.
struct Statistic {
  enum class Kind : std::uint8_t { latest, avg, min, max, stddev, percentile };
  Kind kind = Kind::avg;
  double p = 0;  // percentile: 0..100

  [[nodiscard]] static constexpr Statistic latest() noexcept { return {Kind::latest, 0}; }
  [[nodiscard]] static constexpr Statistic avg() noexcept { return {Kind::avg, 0}; }
  [[nodiscard]] static constexpr Statistic min() noexcept { return {Kind::min, 0}; }
  [[nodiscard]] static constexpr Statistic max() noexcept { return {Kind::max, 0}; }
  [[nodiscard]] static constexpr Statistic stddev() noexcept { return {Kind::stddev, 0}; }
  [[nodiscard]] static constexpr Statistic percentile(double p) noexcept { return {Kind::percentile, p}; }
};

// A trigger: "avg fill above 80 % → red", "p99 latency above 2 ms → orange", "rate below 100/s → yellow".
//
//   using steady::telemetry::Rule, steady::telemetry::Metric, steady::telemetry::Statistic, steady::telemetry::Alert;
//   Rule::when(Metric::fill).above(80).then(Alert::red)
//   Rule::when(Metric::latency, Statistic::percentile(99)).above(2.0).then(Alert::orange).only("orders*")
//   Rule::when(Metric::rate).below(100).then(Alert::yellow)
//   Rule::when(Metric::mcpu).above(900).then(Alert::red)
//
// A latency rule fires only when the window holds latency samples; a rate rule "below" fires on idle channels too.
struct Rule {
  enum class Compare : std::uint8_t { above, below };
  Metric metric = Metric::fill;
  Statistic stat = Statistic::avg();
  Compare compare = Compare::above;
  double threshold = 0;
  Alert alert = Alert::red;
  std::string match;  // "" = every channel (or actor); "name" = that one; "prefix*" = names that start so

  [[nodiscard]] static Rule when(Metric m, Statistic s = Statistic::avg()) {
    Rule r;
    r.metric = m;
    r.stat = s;
    return r;
  }
  Rule& above(double t) noexcept { compare = Compare::above; threshold = t; return *this; }
  Rule& below(double t) noexcept { compare = Compare::below; threshold = t; return *this; }
  Rule& then(Alert a) noexcept { alert = a; return *this; }
  Rule& only(std::string pattern) { match = std::move(pattern); return *this; }
};

struct Options {
  // false: start() returns an inert Telemetry (no thread, no port) — the `--no-telemetry` switch.
  bool enabled = true;
  // false: collect frames (snapshot_json(), metrics(), the recording) but open no port.
  bool serve = true;
  // Address to bind. The default keeps telemetry on this machine; "0.0.0.0" exposes it to the network.
  std::string bind = "127.0.0.1";
  // Port to listen on; 0 = any free port (the system picks; url() tells which).
  std::uint16_t port = 9900;
  // An explicit port must be free: in use is an error. Otherwise the next free port (up to port + 63) is taken.
  bool port_explicit = false;
  // STEADY_TELEMETRY_BIND / STEADY_TELEMETRY_PORT, when set, override `bind` / `port` (a port from the environment
  // counts as explicit). from(RunOptions) turns this off: the command line has already read them.
  bool read_environment = true;
  // How often the collector samples every actor and channel: 20 ms .. 10 s (clamped).
  std::chrono::milliseconds frame{100};
  // The rolling window of the statistics and sparklines: at least two frames, at most 10,000 frames.
  std::chrono::milliseconds window{10'000};
  // Percentiles reported for every windowed figure (0..100).
  std::vector<double> percentiles{50, 80, 99};
  // Triggers colouring nodes and edges. Without channel rules, edges colour by avg fill over the window:
  // grey below 10 %, yellow from 10 %, orange from 40 %, red from 80 %. Actors turn red while stalled and for a
  // window after a restart, whatever the rules.
  std::vector<Rule> rules;
  // Name shown by the UI and in the page title. Default: the program's name.
  std::string title;
  // Append every frame to this file (JSON lines; the UI's "Open recording" replays it). Empty = no recording.
  std::string record_path;
  // At most this many HTTP connections at once (the event streams included); more are refused with 503.
  std::size_t max_connections = 32;
};

// The options a service's command line gave (steady::ops::parse_command_line: --telemetry-bind, --telemetry-port,
// --no-telemetry and their environment variables).
[[nodiscard]] inline Options from(const ops::RunOptions& run) {
  Options o;
  o.enabled = run.telemetry;
  o.bind = run.telemetry_bind;
  o.port = run.telemetry_port;
  o.port_explicit = run.telemetry_port_explicit;
  o.read_environment = false;
  return o;
}

}  // namespace telemetry

// The collector and the server of one graph. Move-only; see the header comment for threads and lifetime.
class Telemetry {
 public:
  // Starts collecting (and serving, unless options.serve is false). Fails with a message a user can act on when
  // the address cannot be used: an explicitly set port in use, no free port near the default one, a bad address.
  [[nodiscard]] static Result<Telemetry> start(Graph& graph, telemetry::Options options = {});

  Telemetry(Telemetry&&) noexcept;
  Telemetry& operator=(Telemetry&&) noexcept;
  ~Telemetry();  // stops the server and the collector

  // Collecting frames (false for an inert handle, from options.enabled = false).
  [[nodiscard]] bool active() const noexcept;
  // Serving HTTP.
  [[nodiscard]] bool serving() const noexcept;
  // "http://127.0.0.1:9900" ("" when not serving). Print it so people can click it.
  [[nodiscard]] const std::string& url() const noexcept;
  [[nodiscard]] std::uint16_t port() const noexcept;

  // Frames collected so far.
  [[nodiscard]] std::uint64_t frames() const noexcept;
  // Block until at least `n` frames were collected or `timeout` passed; true when they were.
  bool wait_for_frames(std::uint64_t n, std::chrono::milliseconds timeout) const;

  // What the endpoints serve, without HTTP: GET /snapshot.json, /metrics, /graph.dot.
  [[nodiscard]] std::string snapshot_json() const;
  [[nodiscard]] std::string metrics() const;
  [[nodiscard]] std::string dot() const;

  class Impl;

 private:
  Telemetry() = default;
  std::unique_ptr<Impl> impl_;
};

}  // namespace steady
