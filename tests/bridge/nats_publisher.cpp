// tests/bridge/nats_publisher.cpp — the publishing process of the NATS bridge tests: a generator of 0, 1, 2,
// ... (at a given rate) feeding a NatsPublisher on stream STEADY_TEST, subject steady.numbers. Production
// graph; it stops by itself once everything is acknowledged by JetStream (stop_graph_when_done).
//   nats_publisher URL COUNT BATCH RATE_PER_SECOND
// Prints "started", "acked <n>" as acknowledgements pass each 50,000, then at the end "stats acknowledged=..
// published=.. resent=.. duplicates=.. failures=.. reconnects=.." and "report <clean|unclean> <text>". While
// acknowledgements make no progress (and not all are in), a "no progress for .. s: <stats> last_failure=.." line
// each second, so a stalled run says where the publisher stands.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>

#include <steady/bridge/nats.hpp>
#include <steady/steady.hpp>

namespace {

using u64 = std::uint64_t;

// Every millisecond, rate/1000 more values (as far as the channel has room): a steady trickle, so publishes
// are nearly always in flight.
steady::Task generate(steady::Context& ctx, steady::Tx<u64>& out, u64 count, u64 rate) {
  const u64 per_tick = std::max<u64>(rate / 1000, 1);
  u64 next = 0, allowed = 0;
  while (next < count && ctx.is_running()) {
    co_await ctx.wait_periodic(std::chrono::milliseconds(1));
    allowed = std::min(count, allowed + per_tick);
    while (next < allowed && ctx.is_running()) {
      co_await ctx.wait_vacant(out, 1);
      const auto slots = out.poke_slice(allowed - next);
      for (std::size_t i = 0; i < slots.size(); ++i) slots[i] = next + i;
      out.advance_send(slots.size());
      next += slots.size();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s URL COUNT BATCH RATE_PER_SECOND\n", argv[0]);
    return 2;
  }
  const u64 count = std::stoull(argv[2]);
  const u64 batch = std::stoull(argv[3]);
  const u64 rate = std::stoull(argv[4]);

  auto graph = steady::GraphBuilder::for_production().build();
  auto [tx, rx] = graph.channel<u64>().name("numbers").capacity(65536).build();
  steady::bridge::NatsPublisher<u64> publisher({.url = argv[1],
                                                .subject = "steady.numbers",
                                                .stream = "STEADY_TEST",
                                                .max_batch_count = batch,
                                                .ack_timeout = std::chrono::milliseconds(1000),
                                                .stop_graph_when_done = true});
  graph.actor("generator").run(generate, std::move(tx), count, rate);
  graph.actor("publisher").run(publisher, std::move(rx));
  graph.start();
  std::printf("started\n");
  std::fflush(stdout);
  // "acked <n>" each time another 50,000 are acknowledged (the reporter only reads the stats' atomics).
  std::atomic<bool> stop_reporting{false};
  std::thread reporter([&] {
    u64 shown = 0;
    auto last_move = std::chrono::steady_clock::now(), last_note = last_move;
    while (!stop_reporting.load()) {
      const auto st = publisher.stats();
      const u64 acked = st.acknowledged;
      const auto now = std::chrono::steady_clock::now();
      if (acked / 50'000 != shown / 50'000) {
        std::printf("acked %llu\n", static_cast<unsigned long long>(acked));
        std::fflush(stdout);
      }
      if (acked != shown) last_move = now;
      // No progress for a second while not done: say where the publisher stands (diagnostics for a stall).
      if (acked < count && now - last_move >= std::chrono::seconds(1) &&
          now - last_note >= std::chrono::seconds(1)) {
        last_note = now;
        std::printf(
            "no progress for %.1f s: acknowledged=%llu published=%llu acked_batches=%llu in_flight=%llu "
            "held_batches=%llu resent=%llu duplicates=%llu failures=%llu refused_order=%llu reconnects=%llu "
            "connected=%d last_failure='%s'\n",
            std::chrono::duration<double>(now - last_move).count(), static_cast<unsigned long long>(acked),
            static_cast<unsigned long long>(st.published), static_cast<unsigned long long>(st.acked_batches),
            static_cast<unsigned long long>(st.in_flight), static_cast<unsigned long long>(st.held_batches),
            static_cast<unsigned long long>(st.resent), static_cast<unsigned long long>(st.duplicates),
            static_cast<unsigned long long>(st.failures), static_cast<unsigned long long>(st.refused_order),
            static_cast<unsigned long long>(st.reconnects), st.connected ? 1 : 0,
            publisher.last_failure().c_str());
        std::fflush(stdout);
      }
      shown = acked;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a sampling period, not synchronisation
    }
  });
  const steady::StopReport report = graph.block_until_stopped(std::chrono::seconds(20));
  stop_reporting = true;
  reporter.join();
  const auto s = publisher.stats();
  std::printf(
      "stats acknowledged=%llu published=%llu resent=%llu duplicates=%llu failures=%llu reconnects=%llu\n",
      static_cast<unsigned long long>(s.acknowledged), static_cast<unsigned long long>(s.published),
      static_cast<unsigned long long>(s.resent), static_cast<unsigned long long>(s.duplicates),
      static_cast<unsigned long long>(s.failures), static_cast<unsigned long long>(s.reconnects));
  std::printf("report %s %s\n", report.clean ? "clean" : "unclean", report.to_string().c_str());
  std::fflush(stdout);
  return report.clean ? 0 : 1;
}
