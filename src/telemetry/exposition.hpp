// src/telemetry/exposition.hpp — frames and structure as the formats the endpoints serve: JSON (snapshot, event
// stream, history, recordings), DOT (the layout once, and the live graph) and the Prometheus text format. Pure
// functions of immutable data, callable from any thread. Internal.
#pragma once

#include <string>
#include <vector>

#include "model.hpp"

namespace steady::telemetry {

// The structure: actors, channels and drawn edges with their ids (frames refer to them by position).
[[nodiscard]] std::string structure_json(const Structure& s);
// One frame, as sent on /events and written to recordings (one line, no newline in it).
[[nodiscard]] std::string frame_json(const Frame& f, const Options& o);
// GET /snapshot.json: {"structure":…, "options":…, "frame":… | null}.
[[nodiscard]] std::string snapshot_json(const Structure& s, const Frame* f, const Options& o);
// GET /history.json: each figure's values over the window, for the sparklines.
[[nodiscard]] std::string history_json(const Structure& s, const std::vector<FramePtr>& frames);
// The first line of a recording: structure, options and the layout SVG.
[[nodiscard]] std::string recording_header(const Structure& s, const Options& o, const std::string& layout_svg);

enum class DotStyle {
  layout,  // placeholder figures of the widest expected size: lay out once, the UI fills the labels in
  live,    // the figures of the frame, with alert colours and rate-scaled edge widths
};
[[nodiscard]] std::string dot_text(const Structure& s, const Frame* f, DotStyle style);

// GET /metrics: Prometheus text exposition format 0.0.4.
[[nodiscard]] std::string metrics_text(const Structure& s, const Frame* f, const Options& o, std::uint64_t frames);
// GET /metrics of the hub (a merged Structure and Frame, hub_merge.hpp): which processes answer
// (steady_hub_process_up) and the actors' own counters of those that do (steady_actor_count_total), every series
// labelled `process` (its title in the merged view) and `actor` with the process's own actor name. The other
// families are each process's own to serve: the snapshots the hub reads do not carry them whole.
[[nodiscard]] std::string hub_metrics_text(const Structure& s, const Frame* f, std::uint64_t frames);

// Figures as the UI shows them (app.js formats the same way).
[[nodiscard]] std::string format_rate(double per_s);
[[nodiscard]] std::string format_ms(double ms);
// The JSON key of a percentile: 99 → "p99", 99.9 → "p99.9".
[[nodiscard]] std::string percentile_key(double p);

}  // namespace steady::telemetry
