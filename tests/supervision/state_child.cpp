// A small service with persistent state, for the kill-and-restart test. It counts messages and commits the count
// after each one; it prints "loaded N" at start and "committed N" after each commit (flushed), so the test knows
// what the file must hold. Exit status 2 when the state file is refused.
//   state_child STATE_FILE [--fresh]
#include <cstdio>
#include <cstring>
#include <iostream>

#include <steady/steady.hpp>

namespace {

struct Totals {
  std::uint64_t counted;
  std::uint64_t checksum;  // sum of counted values: proves the whole record survived, not just one field
};

steady::Task ticker(steady::Context& ctx, steady::Tx<std::uint64_t>& out) {
  std::uint64_t i = 0;
  while (ctx.is_running([&] { return out.mark_closed(); })) {
    co_await ctx.wait_all(steady::periodic(std::chrono::microseconds(200)), steady::vacant(out, 1));
    (void)out.try_send(i++);
  }
}

steady::Task counter(steady::Context& ctx, steady::Rx<std::uint64_t>& in, steady::State<Totals>& totals) {
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    co_await ctx.wait_avail(in, 1);
    while (in.try_take()) {
      totals->counted += 1;
      totals->checksum += totals->counted;
      if (!totals.commit()) {
        std::fprintf(stderr, "commit failed: %s\n", totals.last_error().c_str());
        continue;
      }
      std::printf("committed %llu %llu\n", static_cast<unsigned long long>(totals->counted),
                  static_cast<unsigned long long>(totals->checksum));
      std::fflush(stdout);
    }
    if (in.is_closed_and_empty()) co_return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: state_child STATE_FILE [--fresh]\n");
    return 64;
  }
  const bool fresh = argc > 2 && std::strcmp(argv[2], "--fresh") == 0;
  auto graph = steady::GraphBuilder::for_production().build();
  auto totals = graph.state<Totals>("totals").init(Totals{0, 0}).persist(argv[1]).start_fresh_if_corrupt(fresh).build();
  if (!totals) {
    std::fprintf(stderr, "error: %s\n", totals.error().c_str());
    return 2;
  }
  std::printf("loaded %llu %llu\n", static_cast<unsigned long long>((*totals)->counted),
              static_cast<unsigned long long>((*totals)->checksum));
  std::fflush(stdout);
  auto [tx, rx] = graph.channel<std::uint64_t>().name("ticks").capacity(64).build();
  graph.actor("ticker").run(ticker, std::move(tx));
  graph.actor("counter").run(counter, std::move(rx), *totals);
  graph.start();
  const auto report = graph.block_until_stopped(std::chrono::seconds(2));
  return report.clean ? 0 : 1;
}
