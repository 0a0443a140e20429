// examples/02_batching_slices — moving messages a batch at a time, with copies and without.
//
//   generator --numbers--> doubler --doubled--> sink
//
// The actors (actors.hpp) show send_slice, peek_slice/poke_slice (zero-copy, peek-before-commit) and
// take_slice; this file places all three in one troupe, so they take turns on one thread and their channels
// need no fences.
//
// Run: build/examples/example_02_batching_slices      (exit 0 when the sink got 2*1..2*N, in order)
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <utility>

#include <steady/steady.hpp>

#include "actors.hpp"

using namespace batching_slices;

int main() {
  constexpr u64 kCount = 1'000'000;

  auto graph = steady::GraphBuilder::for_production().build();
  auto [numbers_tx, numbers_rx] = graph.channel<u64>().name("numbers").capacity(kCapacity).build();
  auto [doubled_tx, doubled_rx] = graph.channel<u64>().name("doubled").capacity(kCapacity).build();

  Check check;
  auto stages = graph.troupe("stages");  // all three take turns on one thread: local channels, no fences
  graph.actor("generator").troupe(stages).run(generate, std::move(numbers_tx), kCount);
  graph.actor("doubler").troupe(stages).run(doubler, std::move(numbers_rx), std::move(doubled_tx));
  graph.actor("sink").troupe(stages).run(sink, std::move(doubled_rx), std::ref(check));

  const auto t0 = std::chrono::steady_clock::now();
  graph.start();
  const steady::StopReport report = graph.block_until_stopped(std::chrono::seconds(2));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const u64 want_sum = kCount * (kCount + 1);  // 2 × (1 + ... + N)
  std::printf(
      "02_batching_slices: generator -send_slice-> doubler -peek/poke_slice-> sink (take_slice), batch %zu\n",
      kBatch);
  std::printf(
      "  sink got %llu messages in %llu take_slice calls (%.1f per call), sum %llu (want %llu), "
      "in order: %s\n",
      static_cast<unsigned long long>(check.count), static_cast<unsigned long long>(check.batches),
      check.batches != 0 ? static_cast<double>(check.count) / static_cast<double>(check.batches) : 0.0,
      static_cast<unsigned long long>(check.sum), static_cast<unsigned long long>(want_sum),
      check.in_order ? "yes" : "no");
  std::printf("  %.1f M messages/s through three stages\n", static_cast<double>(kCount) / s / 1e6);
  std::printf("  stop report: %s\n", report.to_string().c_str());

  const bool ok = report.clean && check.count == kCount && check.sum == want_sum && check.in_order;
  std::printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
