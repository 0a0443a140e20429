// tests/telemetry/telemetry_example.cpp — a small service with telemetry on, driven by the telemetry tests (the
// browser test, the Prometheus scrape). Prints "telemetry: <url>" as soon as it serves, runs until SIGINT/SIGTERM
// or --duration.
//
//   source ──numbers──> splitter ──work[0]──> worker_0 ──done[0]──> merger ══pairs ×2══> sink
//                                 └─work[1]──> worker_1 ──done[1]──┘
//   ticker ──slow──> slow_sink          (slow_sink holds each message ~1 ms: peek, hold, advance_take)
//
// splitter, the workers, merger and sink share the troupe "workers"; source, ticker and slow_sink are solo.
// Flags: the standard ones of steady::ops (--telemetry-port 0 = any free port, --duration, ...), plus
// --frame-ms (telemetry frame, default 100) and --record FILE (record every frame for replay).
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <thread>

#include <steady/ops.hpp>
#include <steady/steady.hpp>
#include <steady/telemetry.hpp>

namespace {

using u64 = std::uint64_t;
using namespace std::chrono_literals;
constexpr std::size_t kBatch = 64;

// ---- per-batch work in plain functions (coroutine bodies keep their locals in the heap frame)

u64 emit(steady::Tx<u64>& out, u64 first, u64 n) {
  std::array<u64, kBatch> buf{};
  n = std::min<u64>(n, buf.size());
  for (u64 i = 0; i < n; ++i) buf[i] = first + i;
  return out.send_slice(std::span<const u64>(buf.data(), n));
}

// Moves what is ready from `in` to `out`, transformed by `f`; returns how many.
template <class F>
std::size_t relay(steady::Rx<u64>& in, steady::Tx<u64>& out, F f) {
  std::array<u64, kBatch> buf{};
  const std::size_t room = std::min<std::size_t>(out.vacant_units(), buf.size());
  const std::size_t n = in.take_slice(std::span<u64>(buf.data(), room));
  for (std::size_t i = 0; i < n; ++i) buf[i] = f(buf[i]);
  const std::size_t sent = out.send_slice(std::span<const u64>(buf.data(), n));
  return sent;  // room was checked: everything taken fits
}

// ---- actors

steady::Task source(steady::Context& ctx, steady::Tx<u64>& out) {
  u64 next = 0;
  while (ctx.is_running()) {  // about 20,000 a second: every millisecond a batch of 20
    const auto r = co_await ctx.wait_all(steady::periodic(1ms), steady::vacant(out, 20));
    if (r.satisfied()) next += emit(out, next, 20);
  }
}

steady::Task splitter(steady::Context& ctx, steady::Rx<u64>& in, steady::TxBundle<u64, 2>& lanes) {
  std::size_t lane = 0;
  while (ctx.is_running([&] { return in.is_closed_and_empty() && lanes[0].mark_closed() && lanes[1].mark_closed(); })) {
    const auto r = co_await ctx.wait_all(steady::avail(in, 1), steady::vacant(lanes[lane], 1));
    if (in.is_closed_and_empty()) co_return;
    if (r.satisfied()) {
      (void)relay(in, lanes[lane], [](u64 x) { return x; });
      lane = 1 - lane;
    }
  }
}

steady::Task worker(steady::Context& ctx, steady::Rx<u64>& in, steady::Tx<u64>& out) {
  while (ctx.is_running([&] { return in.is_closed_and_empty() && out.mark_closed(); })) {
    const auto r = co_await ctx.wait_all(steady::avail(in, 1), steady::vacant(out, 1));
    if (in.is_closed_and_empty()) co_return;
    if (r.satisfied()) (void)relay(in, out, [](u64 x) { return x * 2654435761u; });
  }
}

steady::Task merger(steady::Context& ctx, steady::Rx<u64>& a, steady::Rx<u64>& b, steady::TxBundle<u64, 2>& out) {
  const auto drained = [&] { return a.is_closed_and_empty() && b.is_closed_and_empty(); };
  while (ctx.is_running([&] { return drained() && out[0].mark_closed() && out[1].mark_closed(); })) {
    const auto r = co_await ctx.wait_any(steady::avail(a, 1), steady::avail(b, 1));
    if (drained()) co_return;
    if (r.satisfied()) {
      (void)relay(a, out[0], [](u64 x) { return x; });
      (void)relay(b, out[1], [](u64 x) { return x; });
    }
  }
}

u64 drain(steady::Rx<u64>& in) {
  std::array<u64, kBatch> buf{};
  u64 sum = 0;
  while (std::size_t n = in.take_slice(buf))
    for (std::size_t i = 0; i < n; ++i) sum += buf[i];
  return sum;
}

steady::Task sink(steady::Context& ctx, steady::RxBundle<u64, 2>& in) {
  u64 checksum = 0;
  while (ctx.is_running()) {
    const auto r = co_await ctx.wait_avail_any(in, 1);
    if (in[0].is_closed_and_empty() && in[1].is_closed_and_empty()) co_return;
    if (r.satisfied()) checksum += drain(in[0]) + drain(in[1]);
    ctx.set_status("checksum " + std::to_string(checksum % 100000));
  }
}

steady::Task ticker(steady::Context& ctx, steady::Tx<u64>& out) {
  u64 n = 0;
  while (ctx.is_running()) {  // one message every 5 ms, far below what slow_sink can take: latency ≈ the hold
    const auto r = co_await ctx.wait_all(steady::periodic(5ms), steady::vacant(out, 1));
    if (r.satisfied() && out.try_send(n).sent()) ++n;
  }
}

steady::Task slow_sink(steady::Context& ctx, steady::Rx<u64>& in) {
  u64 held = 0;
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    const auto r = co_await ctx.wait_avail(in, 1);
    if (in.is_closed_and_empty()) co_return;
    if (!r.satisfied() || in.try_peek() == nullptr) continue;
    std::this_thread::sleep_for(1ms);  // the work: the message stays in the channel until it is done
    in.advance_take(1);
    ctx.set_status("held " + std::to_string(++held));
  }
}

steady::Task stopper(steady::Context& ctx, std::chrono::milliseconds after) {
  const auto r = co_await ctx.wait_for(after);
  if (r.satisfied()) ctx.request_shutdown();
}

}  // namespace

int main(int argc, char** argv) {
  std::string frame_ms = "100", record;
  auto run = steady::ops::parse_command_line(argc, argv, "telemetry_example", "A small graph with telemetry on",
                                             {{"--frame-ms", "Telemetry frame in milliseconds (20..10000)", &frame_ms},
                                              {"--record", "Record every telemetry frame to this file", &record}});
  if (!run) return run.exit_code();

  auto graph = steady::GraphBuilder::for_production().build();
  auto [numbers_tx, numbers_rx] = graph.channel<u64>().name("numbers").capacity(1024).build();
  auto [work_tx, work_rx] = graph.channel<u64>().name("work").capacity(256).build_bundle<2>();
  auto [done0_tx, done0_rx] = graph.channel<u64>().name("done[0]").capacity(256).build();
  auto [done1_tx, done1_rx] = graph.channel<u64>().name("done[1]").capacity(256).build();
  auto [pairs_tx, pairs_rx] = graph.channel<u64>().name("pairs").capacity(256).build_bundle<2>();
  auto [slow_tx, slow_rx] = graph.channel<u64>().name("slow").capacity(64).latency_sample_every(1).build();

  auto workers = graph.troupe("workers");
  graph.actor("source").run(source, std::move(numbers_tx));
  graph.actor("splitter").troupe(workers).run(splitter, std::move(numbers_rx), std::move(work_tx));
  graph.actor("worker").suffix(0).troupe(workers).run(worker, std::move(work_rx[0]), std::move(done0_tx));
  graph.actor("worker").suffix(1).troupe(workers).run(worker, std::move(work_rx[1]), std::move(done1_tx));
  graph.actor("merger").troupe(workers).run(merger, std::move(done0_rx), std::move(done1_rx), std::move(pairs_tx));
  graph.actor("sink").troupe(workers).run(sink, std::move(pairs_rx));
  graph.actor("ticker").run(ticker, std::move(slow_tx));
  graph.actor("slow_sink").run(slow_sink, std::move(slow_rx));
  if (run->duration) graph.actor("stopper").troupe(workers).run(stopper, *run->duration);

  steady::telemetry::Options options = steady::telemetry::from(*run);
  options.title = "telemetry_example";
  options.frame = std::chrono::milliseconds(std::stoi(frame_ms));
  options.record_path = record;
  auto telemetry = steady::Telemetry::start(graph, options);  // after the graph: destroyed before it
  if (!telemetry) {
    std::fprintf(stderr, "%s\n", telemetry.error().c_str());
    return 2;
  }
  if (telemetry->serving()) std::printf("telemetry: %s\n", telemetry->url().c_str());
  std::fflush(stdout);

  graph.start();
  const steady::StopReport report = graph.block_until_stopped(5s);
  std::printf("%s\n", report.to_string().c_str());
  return report.clean ? 0 : 1;
}
