// examples/04_bundle_fan_out_in — bundles: arrays of identical channels, and waits that return the ready
// lane.
//
//                 +--work[0]--> worker_0 --done[0]--+
//   splitter -----+--work[1]--> worker_1 --done[1]--+----> merger
//                 +--work[2]--> worker_2 --done[2]--+
//                 +--work[3]--> worker_3 --done[3]--+
//
// `graph.channel<T>().name("work").build_bundle<4>()` makes four channels "work[0]".."work[3]" and returns a
// TxBundle<T,4> and an RxBundle<T,4>. The actors (actors.hpp) use wait_vacant_any / wait_avail_any to pick a
// lane. The four workers share one thread as a troupe; splitter and merger run solo.
//
// Run: build/examples/example_04_bundle_fan_out_in      (exit 0 when every number was squared exactly once)
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <utility>

#include <steady/steady.hpp>

#include "actors.hpp"

using namespace bundle_fan_out_in;

int main() {
  constexpr u64 kCount = 200'000;
  constexpr u64 kCapacity = 128;

  auto graph = steady::GraphBuilder::for_production().build();
  auto [work_tx, work_rx] = graph.channel<u64>().name("work").capacity(kCapacity).build_bundle<kLanes>();
  auto [done_tx, done_rx] = graph.channel<Squared>().name("done").capacity(kCapacity).build_bundle<kLanes>();

  std::array<u64, kLanes> processed{};
  Tally tally;
  graph.actor("splitter").run(splitter, std::move(work_tx), kCount);
  auto workers = graph.troupe("workers");
  for (std::size_t i = 0; i < kLanes; ++i) {
    graph.actor("worker")
        .suffix(static_cast<int>(i))
        .troupe(workers)
        .run(worker, std::move(work_rx[i]), std::move(done_tx[i]), std::ref(processed[i]));
  }
  graph.actor("merger").run(merger, std::move(done_rx), std::ref(tally));

  const auto t0 = std::chrono::steady_clock::now();
  graph.start();
  const steady::StopReport report = graph.block_until_stopped(std::chrono::seconds(2));
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  const u64 want_sum = kCount * (kCount + 1) / 2;
  bool lanes_agree = true;
  std::printf(
      "04_bundle_fan_out_in: splitter -> work[0..3] -> 4 workers (one troupe) -> done[0..3] -> merger\n");
  for (std::size_t i = 0; i < kLanes; ++i) {
    std::printf("  lane %zu: worker_%zu squared %llu, merger took %llu\n", i, i,
                static_cast<unsigned long long>(processed[i]),
                static_cast<unsigned long long>(tally.per_lane[i]));
    lanes_agree &= processed[i] == tally.per_lane[i];
  }
  std::printf("  merged %llu results (want %llu), sum of n %llu (want %llu), squares right: %s, %.1f ms\n",
              static_cast<unsigned long long>(tally.count), static_cast<unsigned long long>(kCount),
              static_cast<unsigned long long>(tally.sum), static_cast<unsigned long long>(want_sum),
              tally.squares_right ? "yes" : "no", ms);
  std::printf("  stop report: %s\n", report.to_string().c_str());

  const bool ok =
      report.clean && lanes_agree && tally.count == kCount && tally.sum == want_sum && tally.squares_right;
  std::printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
