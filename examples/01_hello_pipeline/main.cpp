// examples/01_hello_pipeline — the smallest graph: a producer, a consumer and one bounded channel between
// them.
//
//   producer --numbers--> consumer
//
// The actors (actors.hpp) are plain coroutines; this file is the wiring. Both actors run solo (a thread
// each). The graph stops by itself: the producer returns after the last number, which closes the channel, and
// the consumer returns once it has drained it.
//
// Run: build/examples/example_01_hello_pipeline      (exit 0 when every number arrived exactly once, in
// order)
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <utility>

#include <steady/steady.hpp>

#include "actors.hpp"

using hello_pipeline::Totals;

int main() {
  constexpr std::uint64_t kCount = 100'000;

  auto graph = steady::GraphBuilder::for_production().build();
  auto [tx, rx] = graph.channel<std::uint64_t>().name("numbers").capacity(1024).build();

  Totals totals;
  graph.actor("producer").run(hello_pipeline::produce, std::move(tx), kCount);
  graph.actor("consumer")
      .run(hello_pipeline::consume, std::move(rx), std::ref(totals));  // borrowed, not copied

  const auto t0 = std::chrono::steady_clock::now();
  graph.start();
  const steady::StopReport report = graph.block_until_stopped(std::chrono::seconds(2));
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  const std::uint64_t want_sum = kCount * (kCount + 1) / 2;
  std::printf("01_hello_pipeline: producer -> consumer over a channel of 1024\n");
  std::printf("  received %llu numbers (want %llu), sum %llu (want %llu), in order: %s, %.1f ms\n",
              static_cast<unsigned long long>(totals.count), static_cast<unsigned long long>(kCount),
              static_cast<unsigned long long>(totals.sum), static_cast<unsigned long long>(want_sum),
              totals.in_order ? "yes" : "no", ms);
  std::printf("  stop report: %s\n", report.to_string().c_str());

  const bool ok = report.clean && totals.count == kCount && totals.sum == want_sum && totals.in_order;
  std::printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
