// examples/03_solo_vs_troupe.cpp — placement is configuration, not code.
//
//   source --a--> relay --b--> sink
//
// The same three actor functions run twice: first each actor solo (a thread each), then all three as one
// troupe (cooperatively, taking turns on one thread). Only the graph-building lines differ. The example
// prints the throughput of each placement and checks that both delivered every number, in order.
//
// Which one wins depends on the work per message and the machine: a troupe pays no cross-thread wake-ups and
// its channels need no fences, so light stages on few cores usually run faster as a troupe; a stage that
// needs a whole core for itself runs best solo.
//
// Run: build/examples/example_03_solo_vs_troupe      (exit 0 when both runs delivered 1..N in order)
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <span>
#include <utility>

#include <steady/steady.hpp>

namespace {

using u64 = std::uint64_t;
constexpr u64 kCount = 4'000'000;
constexpr std::size_t kBatch = 64;
constexpr u64 kCapacity = 1024;

// ---- the three actors (identical in both runs)

std::size_t fill(std::span<u64> buf, u64 first, u64 left) {
  const std::size_t n = std::min<u64>(buf.size(), left);
  for (std::size_t i = 0; i < n; ++i) buf[i] = first + i;
  return n;
}

steady::Task source(steady::Context& ctx, steady::Tx<u64>& out) {
  std::array<u64, kBatch> buf{};
  u64 next = 1;
  while (next <= kCount && ctx.is_running()) {
    co_await ctx.wait_vacant(out, kBatch);
    next += out.send_slice(std::span<const u64>(buf.data(), fill(buf, next, kCount - next + 1)));
  }
}

// Move one batch from `in` to `out` (the wait guaranteed room for it).
void pass_batch(steady::Rx<u64>& in, steady::Tx<u64>& out, std::span<u64> buf) {
  const std::size_t n = in.take_slice(buf);
  [[maybe_unused]] const std::size_t sent = out.send_slice(std::span<const u64>(buf.data(), n));
}

steady::Task relay(steady::Context& ctx, steady::Rx<u64>& in, steady::Tx<u64>& out) {
  std::array<u64, kBatch> buf{};
  while (ctx.is_running([&] { return in.is_closed_and_empty() && out.mark_closed(); })) {
    co_await ctx.wait_all(steady::avail(in, kBatch), steady::vacant(out, kBatch));
    pass_batch(in, out, buf);
    if (in.is_closed_and_empty()) break;
  }
}

struct Check {
  u64 count = 0;
  bool in_order = true;
};

void check_batch(std::span<const u64> got, Check& c) {
  for (u64 v : got) c.in_order &= (v == ++c.count);
}

steady::Task sink(steady::Context& ctx, steady::Rx<u64>& in, Check& check) {
  std::array<u64, kBatch> buf{};
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    co_await ctx.wait_avail(in, kBatch);
    check_batch(std::span<const u64>(buf.data(), in.take_slice(buf)), check);
    if (in.is_closed_and_empty()) break;
  }
}

// ---- the two placements

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
    graph.actor("source").run(source, std::move(a_tx));
    graph.actor("relay").run(relay, std::move(a_rx), std::move(b_tx));
    graph.actor("sink").run(sink, std::move(b_rx), std::ref(r.check));
  } else {
    auto pipeline = graph.troupe("pipeline");
    graph.actor("source").troupe(pipeline).run(source, std::move(a_tx));
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
