// tests/bridge/bridge_sender.cpp — the sending process of the bridge tests: a generator of 1, 2, 3, ...
// feeding a ZmqEgress. Production graph, so SIGTERM asks it to stop (the egress then drains and ends the
// stream).
//   bridge_sender DATA_ENDPOINT ACK_ENDPOINT COUNT(0 = until stopped) CAPACITY [--report-fill]
// Prints "fill <held> <capacity> <rss_kb>" lines (with --report-fill), then "acknowledged <n>" and
// "report <clean|unclean> <text>" at the end.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include <steady/bridge/zmq.hpp>
#include <steady/steady.hpp>

namespace {

using u64 = std::uint64_t;

long rss_kb() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// Write next, next+1, ... into the free slots; returns how many.
u64 fill(steady::Tx<u64>& out, u64 next, u64 left) {
  const auto slots = out.poke_slice(std::min<u64>(left, 4096));
  for (std::size_t i = 0; i < slots.size(); ++i) slots[i] = next + i;
  out.advance_send(slots.size());
  return slots.size();
}

steady::Task generate(steady::Context& ctx, steady::Tx<u64>& out, u64 count) {
  u64 next = 1;
  const u64 last = count == 0 ? ~u64{0} : count;
  while (next <= last && ctx.is_running()) {
    co_await ctx.wait_vacant(out, 1024);
    next += fill(out, next, last - next + 1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s DATA ACK COUNT CAPACITY [--report-fill]\n", argv[0]);
    return 2;
  }
  const u64 count = std::stoull(argv[3]);
  const u64 capacity = std::stoull(argv[4]);
  const bool report_fill = argc > 5 && std::string(argv[5]) == "--report-fill";

  auto graph = steady::GraphBuilder::for_production().build();
  auto [tx, rx] = graph.channel<u64>().name("numbers").capacity(capacity).build();
  const steady::detail::ChannelCore* numbers = &rx.ring();  // telemetry figures: sent_total / taken_total
  steady::bridge::ZmqEgress<u64> egress({.endpoint = argv[1], .ack_endpoint = argv[2]});
  graph.actor("generator").run(generate, std::move(tx), count);
  graph.actor("egress").run(egress, std::move(rx));
  graph.start();
  std::printf("started\n");
  std::fflush(stdout);

  // Report the channel's fill while the graph runs (the main thread only reads atomic counters).
  std::thread reporter;
  std::atomic<bool> stop_reporting{false};
  if (report_fill) {
    reporter = std::thread([&] {
      while (!stop_reporting.load()) {
        std::printf("fill %llu %llu %ld\n",
                    static_cast<unsigned long long>(numbers->sent_total() - numbers->taken_total()),
                    static_cast<unsigned long long>(numbers->capacity()), rss_kb());
        std::fflush(stdout);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a sampling period, not synchronisation
      }
    });
  }
  const steady::StopReport report = graph.block_until_stopped(std::chrono::seconds(20));
  stop_reporting = true;
  if (reporter.joinable()) reporter.join();
  std::printf("acknowledged %llu\n", static_cast<unsigned long long>(egress.stats().acknowledged));
  std::printf("report %s %s\n", report.clean ? "clean" : "unclean", report.to_string().c_str());
  std::fflush(stdout);
  return report.clean ? 0 : 1;
}
