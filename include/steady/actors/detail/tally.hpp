// steady/actors/detail/tally.hpp — a total that an actor object keeps for stats() and also publishes to
// telemetry. Internal to the prebuilt actors.
//
// Each prebuilt actor keeps its figures in atomics shared with every copy of the actor object (so the caller
// reads stats() from any thread) and publishes the same figures as telemetry counters (Context::counter),
// which appear in /snapshot.json and /metrics under the actor's name. A Tally does both with one call, on the
// actor's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include <steady/context.hpp>

namespace steady::actors::detail {

class Tally {
 public:
  Tally() noexcept = default;
  // `name` is the telemetry counter's name (e.g. "bytes_read"); call once per incarnation, on the actor's
  // thread.
  Tally(Context& ctx, const std::string& name, std::atomic<std::uint64_t>& mine)
      : mine_(&mine), published_(ctx.counter(name)) {
    // The telemetry counter lives as long as the graph and the stats as long as the actor object: line them
    // up when the object was used before (a restart, or stats reset by a new graph) so both say the same.
    const std::uint64_t have = published_.value();
    const std::uint64_t want = mine.load(std::memory_order_relaxed);
    if (want > have) published_.add(want - have);
  }
  void add(std::uint64_t n = 1) noexcept {
    mine_->fetch_add(n, std::memory_order_relaxed);  // relaxed: a statistic, read by stats() and telemetry
    published_.add(n);
  }

 private:
  std::atomic<std::uint64_t>* mine_ = nullptr;
  Counter published_;
};

}  // namespace steady::actors::detail
