// examples/01_hello_pipeline.cpp — the smallest graph: a producer, a consumer and one bounded channel between
// them.
//
// The producer sends 1..100000 one message at a time, waiting for room when the channel is full; then it
// returns, which closes its output. The consumer takes what arrives, votes against stopping until its input
// is closed and drained, and returns when it has everything. Both actors run solo (a thread each). The graph
// stops by itself.
//
// Run: build/examples/example_01_hello_pipeline      (exit 0 when every number arrived exactly once, in
// order)
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <utility>

#include <steady/steady.hpp>

namespace {

constexpr std::uint64_t kCount = 100'000;

struct Totals {
  std::uint64_t count = 0;
  std::uint64_t sum = 0;
  bool in_order = true;
};

// The per-message loop lives in a plain function, called once per wake-up (see the note in steady/task.hpp).
void take_all(steady::Rx<std::uint64_t>& in, Totals& totals) {
  while (std::optional<std::uint64_t> v = in.try_take()) {
    totals.in_order &= (*v == totals.count + 1);
    ++totals.count;
    totals.sum += *v;
  }
}

// The producer: one message per pass. Returning agrees to stop, and the graph closes `out` for us.
steady::Task produce(steady::Context& ctx, steady::Tx<std::uint64_t>& out) {
  std::uint64_t next = 1;
  while (next <= kCount && ctx.is_running()) {
    co_await ctx.wait_vacant(out, 1);                             // room for one message
    if (out.try_send(next) == steady::SendOutcome::sent) ++next;  // a refused value is handed back
  }
}

// The consumer: vetoes a stop until its input is closed and empty, so nothing sent is left behind.
steady::Task consume(steady::Context& ctx, steady::Rx<std::uint64_t>& in, Totals& totals) {
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    co_await ctx.wait_avail(in, 1);  // also returns when the channel is closed
    take_all(in, totals);
    if (in.is_closed_and_empty()) break;  // the producer is done and we have everything
  }
}

}  // namespace

int main() {
  auto graph = steady::GraphBuilder::for_production().build();
  auto [tx, rx] = graph.channel<std::uint64_t>().name("numbers").capacity(1024).build();

  Totals totals;
  graph.actor("producer").run(produce, std::move(tx));
  graph.actor("consumer").run(consume, std::move(rx), std::ref(totals));  // std::ref: borrowed, not copied

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
