// src/telemetry/hub_merge.hpp — the hub's merge: several processes' /snapshot.json into one Structure and one
// Frame, which the ordinary exposition code then serves (JSON, DOT, SVG, the UI). Pure functions of their inputs:
// no threads, no sockets (tests/telemetry/hub_test.cpp feeds them snapshots directly). Internal.
//
// The merged graph:
//   - every process's actors, channels and edges, ids shifted, names prefixed "<process title>/" (titles are made
//     unique: a second "svc" becomes "svc@<port>"), each actor tagged with its process (DOT draws one cluster per
//     process);
//   - their figures as the process's last frame gave them, the actors' labels and own counters (Context::counter,
//     "counters" in the snapshot) included;
//   - one cross-process edge per bridged link: from an actor labelled bridge_role=egress to one labelled
//     bridge_role=ingress with the same `bridge` and `bridge_link` labels (docs/telemetry.md, "Bridge labels").
//     It is a channel of its own (type "bridge <kind>", capacity 0, cross_process = true) labelled with the
//     endpoint; its rate and count are those of the ingress's output channels (what arrived), else the egress's
//     input channels;
//   - a process that is down keeps its last known graph, its actors red with state "unreachable" and its rates
//     zero; one never reached has no actors yet.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model.hpp"
#include "steady/result.hpp"

namespace steady::telemetry {

// One process's snapshot, parsed and checked (ids match positions, every reference is in range), so the merged
// graph can be rendered without a second look.
struct PeerSnapshot {
  Structure structure;
  std::shared_ptr<const Frame> frame;  // null before the process's first frame
  std::int64_t frame_ms = 0;           // its frame interval
};

// Parses a /snapshot.json. Window percentiles are read for `percentiles` (a figure whose snapshot lacks one of
// them has no window statistics). Fails with what is wrong when it is not a steady_state snapshot.
[[nodiscard]] Result<std::shared_ptr<const PeerSnapshot>> parse_snapshot(const std::string& json_text,
                                                                       const std::vector<double>& percentiles);

// What the hub knows of one process.
struct PeerState {
  std::string url;                            // as polled
  std::string port;                           // tells apart two processes of the same title
  std::shared_ptr<const PeerSnapshot> last;   // the last good snapshot (kept while it is down)
  bool up = false;
  std::string error = "not asked yet";        // why it is down
  std::int64_t last_seen_unix_ms = 0;         // when `last` arrived
};

struct Merged {
  std::shared_ptr<const Structure> structure;  // `previous` itself when nothing changed (same hash)
  std::shared_ptr<Frame> frame;                // seq, times and structure_hash are the caller's to fill
};

[[nodiscard]] Merged merge(const std::vector<PeerState>& peers, const std::string& title,
                           const std::shared_ptr<const Structure>& previous);

}  // namespace steady::telemetry
