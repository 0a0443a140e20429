// examples/03_solo_vs_troupe — placement is configuration, not code.
//
//   source --a--> relay --b--> sink
//
// The same three actor functions (actors.hpp) run twice: first each actor solo (a thread each), then all
// three as one troupe (cooperatively, taking turns on one thread). Only the graph-building lines below
// differ. The example prints the throughput of each placement and checks that both delivered every number, in
// order.
//
// Which one wins depends on the work per message and the machine: a troupe pays no cross-thread wake-ups and
// its channels need no fences, so light stages on few cores usually run faster as a troupe; a stage that
// needs a whole core for itself runs best solo.
//
// Run: build/examples/example_03_solo_vs_troupe      (exit 0 when both runs delivered 1..N in order)
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <utility>

#include <steady/steady.hpp>

#include "actors.hpp"

namespace {

using namespace solo_vs_troupe;
constexpr u64 kCount = 4'000'000;
constexpr u64 kCapacity = 1024;

enum class Placement { solo, troupe };

struct RunResult {
  Check check;
  steady::StopReport report;
  double seconds = 0;
};

RunResult run(Placement placement) {
  RunResult r;
  auto graph = steady::GraphBuilder::for_production().build();
  auto [a_tx, a_rx] = graph.channel<u64>().name("a").capacity(kCapacity).build();
  auto [b_tx, b_rx] = graph.channel<u64>().name("b").capacity(kCapacity).build();

  if (placement == Placement::solo) {
    graph.actor("source").run(source, std::move(a_tx), kCount);
    graph.actor("relay").run(relay, std::move(a_rx), std::move(b_tx));
    graph.actor("sink").run(sink, std::move(b_rx), std::ref(r.check));
  } else {
    auto pipeline = graph.troupe("pipeline");
    graph.actor("source").troupe(pipeline).run(source, std::move(a_tx), kCount);
    graph.actor("relay").troupe(pipeline).run(relay, std::move(a_rx), std::move(b_tx));
    graph.actor("sink").troupe(pipeline).run(sink, std::move(b_rx), std::ref(r.check));
  }

  const auto t0 = std::chrono::steady_clock::now();
  graph.start();
  r.report = graph.block_until_stopped(std::chrono::seconds(2));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

bool print(const char* label, const RunResult& r) {
  const bool ok = r.report.clean && r.check.count == kCount && r.check.in_order;
  std::printf("  %-7s %6.1f M messages/s  (%llu messages in %.0f ms, in order: %s, %s)\n", label,
              static_cast<double>(kCount) / r.seconds / 1e6, static_cast<unsigned long long>(r.check.count),
              r.seconds * 1e3, r.check.in_order ? "yes" : "no", r.report.to_string().c_str());
  return ok;
}

}  // namespace

int main() {
  std::printf("03_solo_vs_troupe: source -> relay -> sink, %llu messages, batch %zu, channels of %llu\n",
              static_cast<unsigned long long>(kCount), kBatch, static_cast<unsigned long long>(kCapacity));
  const RunResult solo = run(Placement::solo);
  const RunResult troupe = run(Placement::troupe);
  const bool ok = print("solo", solo) & print("troupe", troupe);
  std::printf("  troupe / solo: %.2fx\n", solo.seconds / troupe.seconds);
  std::printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
