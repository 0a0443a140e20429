// src/telemetry/model.hpp — what telemetry knows: the graph's structure (fixed once the graph is built) and frames
// (the figures of one sampling instant, plus their rolling-window statistics). Internal.
//
// A Frame is immutable once published: the collector builds it on its own thread and hands it out as a
// shared_ptr<const Frame>, so the server renders JSON, DOT and /metrics from it without locks.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "steady/graph.hpp"
#include "steady/telemetry.hpp"

namespace steady::detail {
class ActorCore;
class ChannelCore;
}  // namespace steady::detail

namespace steady::telemetry {

struct ActorInfo {
  std::uint32_t id = 0;
  std::string name;  // full name, "worker_1"
  std::string kind;  // name without the instance suffix, "worker"
  int suffix = -1;
  std::string troupe;  // troupe name, "" when solo
  int core = -1;       // pinned CPU, -1 = none
  std::map<std::string, std::string> labels;  // as telemetry started (the builder's); frames carry the current ones
  int process = -1;                           // hub: index in Structure::processes (-1: a single process)
  detail::ActorCore* actor = nullptr;         // null in a hub's merged structure
};

struct ChannelInfo {
  std::uint32_t id = 0;
  std::string name;
  std::string type;
  std::uint64_t capacity = 0;
  std::uint64_t memory_bytes = 0;  // allocated slots × element size
  int from = -1, to = -1;          // actor ids, -1 = no actor holds that end
  std::map<std::string, std::string> labels;
  std::string bundle;  // labels["bundle"], "" when not in a bundle
  int lane = -1;
  std::uint32_t edge = 0;   // the drawn edge it belongs to
  bool has_latency = false;
  bool cross_process = false;  // hub: a bridged link between two processes (an egress → an ingress)
  std::shared_ptr<detail::ChannelCore> channel;  // null in a hub's merged structure
};

// One drawn edge: a channel, or the lanes of a bundle that share producer and consumer.
struct EdgeInfo {
  std::uint32_t id = 0;
  std::string label;  // channel name, or "bundle ×4"
  int from = -1, to = -1;
  std::vector<std::uint32_t> channels;
};

// Hub: one of the processes whose graphs were merged.
struct ProcessInfo {
  std::string title;  // unique among the processes; actor and channel names are prefixed "title/"
  std::string url;    // where the hub polls it
  std::string hash;   // its structure's hash, "" while it was never reached
};

struct Structure {
  std::string title;
  std::vector<ProcessInfo> processes;  // hub only: empty for a single process
  std::vector<ActorInfo> actors;
  std::vector<ChannelInfo> channels;
  std::vector<EdgeInfo> edges;
  std::string hash;  // changes when the structure does (the UI lays out again)
  std::int64_t started_unix_ms = 0;
};

// Window statistics of one figure.
struct Stats {
  std::uint32_t n = 0;  // values in the window (0: no statistics)
  double avg = 0, min = 0, max = 0, sd = 0;
  std::vector<double> pct;  // one per Options::percentiles
};

// Latency over a frame or the window, from the sampled histogram. Milliseconds.
struct LatencyStats {
  std::uint64_t n = 0;  // samples
  double avg = 0, min = 0, max = 0;
  std::vector<double> pct;  // one per Options::percentiles
};

struct ChannelFigures {
  std::uint64_t sent = 0, taken = 0, in_flight = 0;
  double fill_pct = 0, rate = 0;
  bool closed = false;
  LatencyStats latency;      // this frame's samples
  LatencyStats latency_win;  // the window's samples
  Stats fill_win, rate_win;
  Alert alert = Alert::none;
  // Histogram buckets gained in this frame (bucket, count), for the window; also the cumulative histogram
  // collapsed to the Prometheus buckets.
  std::vector<std::pair<std::uint16_t, std::uint32_t>> latency_delta;
  std::vector<std::uint64_t> latency_cumulative;  // per kPromBuckets edge, then +Inf
  double latency_sum_s = 0;                        // estimated from bucket midpoints
};

struct ActorFigures {
  double busy_pct = 0, mcpu = 0, load_pct = 0, passes_per_s = 0;
  std::uint64_t passes = 0, restarts = 0, resumes = 0;
  double busy_s_total = 0, cpu_s_total = 0;
  bool stalled = false;
  bool restarted_recently = false;  // a restart within the window
  std::string state;                // running | waiting | ready | finished
  std::string status;               // the actor's own line
  std::string thread;               // the executor thread's name
  std::shared_ptr<const std::map<std::string, std::string>> labels;  // the current labels (null: none)
  std::vector<std::pair<std::string, std::uint64_t>> counters;  // the actor's own counters (Context::counter)
  Stats busy_win, mcpu_win, load_win, passes_win;
  Alert alert = Alert::none;
};

struct EdgeFigures {
  double rate = 0, fill_pct = 0;
  double latency_p50_ms = -1, latency_p99_ms = -1;  // -1: no samples in the window
  std::uint64_t sent = 0;
  Alert alert = Alert::none;
};

struct ThreadFigures {
  std::string name;
  double mcpu = 0;
  double cpu_s_total = 0;
};

// Hub: how the poll of one process went.
struct ProcessFigures {
  bool up = false;
  std::string error;                 // why it is down ("" when up)
  std::string state;                 // its graph's state, as its last snapshot said ("" when never reached)
  std::int64_t last_seen_unix_ms = 0;  // its last good snapshot (0: never)
  std::uint64_t seq = 0;             // the frame number of that snapshot
};

struct Frame {
  std::uint64_t seq = 0;
  std::int64_t unix_ms = 0;
  double uptime_s = 0;
  double dt_s = 0;  // time since the previous frame
  GraphState state = GraphState::building;
  bool final = false;  // the graph has stopped: this is the last frame
  std::vector<ChannelFigures> channels;
  std::vector<ActorFigures> actors;
  std::vector<EdgeFigures> edges;
  std::vector<ThreadFigures> threads;
  std::vector<ProcessFigures> processes;  // hub only, one per Structure::processes
  std::string structure_hash;            // hub only: the UI lays out again when it changes
};

using FramePtr = std::shared_ptr<const Frame>;

// Prometheus histogram edges for latency: 2^k ns for k = 10..34 (≈1 µs .. 17 s). Each is an exact edge of the
// runtime's log-linear histogram, so the cumulative counts are exact.
inline constexpr int kPromFirstShift = 10;
inline constexpr int kPromLastShift = 34;
inline constexpr std::size_t kPromBuckets = kPromLastShift - kPromFirstShift + 1;

[[nodiscard]] const char* to_string(GraphState s) noexcept;
[[nodiscard]] const char* to_string(Alert a) noexcept;

}  // namespace steady::telemetry
