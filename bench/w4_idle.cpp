// bench/w4_idle.cpp — W4 idle: 100 actors waiting, 50 on empty channels and 50 on wait_periodic(1 s).
// Measures the process CPU time (CLOCK_PROCESS_CPUTIME_ID, and getrusage user/sys) over a window (10 s; quick 2 s)
// after a short warm-up, and reports it as % of one core. Targets: ≤ 0.1 % (PERFORMANCE.md); the issue asked ≤ 1 %.
//
// Placements: solo (100 threads) and troupes (10 troupes of 10 actors). Each ticker holds the producer end of one
// consumer's channel and never sends, so the consumers wait for good; the tickers count their ticks (checked: each
// ticker must tick about once a second). Also reports how long the negotiated stop took.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "common/harness.hpp"
#include "common/program.hpp"

#include <steady/steady.hpp>

namespace bench {
namespace {

const char* kUsage =
    "bench_w4 — W4 idle: 50 actors on empty channels + 50 on wait_periodic(1s); CPU over a window\n"
    "  --quick        2 s window (default 10 s)     --smoke   0.5 s window, checks only\n"
    "  --seconds S    window length\n"
    "  --impl solo,troupes   placements to run (default both; solo_nospin = solo with default_spin(0))\n";

constexpr int kPairs = 50;

steady::Task waiting_consumer(steady::Context& ctx, steady::Rx<std::uint64_t>& rx, std::atomic<std::uint64_t>& got) {
  while (ctx.is_running()) {
    co_await ctx.wait_avail(rx, 1);
    while (rx.try_take()) got.fetch_add(1, std::memory_order_relaxed);
  }
}

steady::Task ticker(steady::Context& ctx, steady::Tx<std::uint64_t>& tx, std::atomic<std::uint64_t>& ticks) {
  (void)tx;  // held, never sent on: its consumer waits for good
  while (ctx.is_running()) {
    // Name the result: g++ 12 miscompiles `if ((co_await ctx.wait_...(...)).satisfied())` inside this loop (the
    // coroutine never starts; see docs/benchmarks.md).
    const steady::WaitResult r = co_await ctx.wait_periodic(std::chrono::seconds(1));
    if (r.satisfied()) ticks.fetch_add(1, std::memory_order_relaxed);
  }
}

double cpu_rusage_seconds(double& user, double& sys) {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  user = static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) * 1e-6;
  sys = static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) * 1e-6;
  return user + sys;
}

struct IdleResult {
  double cpu_pct = 0, user_pct = 0, sys_pct = 0, window = 0;
  std::uint64_t ticks = 0, got = 0;
  long stop_ms = 0;
  bool ok = false;
  std::string note;
};

IdleResult run_idle(bool troupes, double window_s, double warmup_s, bool nospin = false) {
  auto builder = steady::GraphBuilder::for_testing();
  if (nospin) builder.default_spin(0);
  auto g = builder.build();
  std::atomic<std::uint64_t> ticks{0}, got{0};
  std::vector<steady::Troupe> ts;
  if (troupes)
    for (int i = 0; i < 10; ++i) ts.push_back(g.troupe("idle" + std::to_string(i)));
  int placed = 0;
  auto place = [&](steady::ActorBuilder a) {
    if (troupes) a.troupe(ts[static_cast<std::size_t>(placed / 10)]);  // 10 consecutive actors per troupe: tickers and waiters mixed
    ++placed;
    return a;
  };
  for (int i = 0; i < kPairs; ++i) {
    auto [tx, rx] = g.channel<std::uint64_t>().name("idle" + std::to_string(i)).capacity(64).build();
    place(g.actor("ticker").suffix(i)).run(ticker, std::move(tx), std::ref(ticks));
    place(g.actor("waiter").suffix(i)).run(waiting_consumer, std::move(rx), std::ref(got));
  }
  g.start();
  std::this_thread::sleep_for(std::chrono::duration<double>(warmup_s));
  const std::uint64_t ticks0 = ticks.load();
  double u0, s0, u1, s1;
  cpu_rusage_seconds(u0, s0);
  const double c0 = process_cpu_seconds();
  const auto w0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(window_s));
  const double c1 = process_cpu_seconds();
  cpu_rusage_seconds(u1, s1);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  const std::uint64_t ticks1 = ticks.load();

  const auto s_req = std::chrono::steady_clock::now();
  g.request_shutdown();
  const steady::StopReport rep = g.block_until_stopped(std::chrono::seconds(10));
  IdleResult r;
  r.stop_ms = static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - s_req).count());
  r.window = wall;
  r.cpu_pct = (c1 - c0) / wall * 100.0;
  r.user_pct = (u1 - u0) / wall * 100.0;
  r.sys_pct = (s1 - s0) / wall * 100.0;
  r.ticks = ticks1 - ticks0;
  r.got = got.load();
  // Each of the 50 tickers fires once a second: allow one tick of slack per ticker at each end of the window.
  const double expect = kPairs * wall;
  r.ok = rep.clean && r.got == 0 && r.ticks + 2 * kPairs >= expect && r.ticks <= expect + 2 * kPairs;
  if (!r.ok) {
    r.note = "clean=" + std::to_string(rep.clean) + " ticks=" + std::to_string(r.ticks) + " (expected about " +
             std::to_string(static_cast<long>(expect)) + ") got=" + std::to_string(r.got) +
             (rep.clean ? "" : " report: " + rep.to_string());
  }
  return r;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  const Args args = start(argc, argv, kUsage);
  const double window = args.seconds_or({.smoke = 0.5, .quick = 2.0, .full = 10.0});
  const double warmup = args.smoke ? 0.1 : 0.5;
  std::printf("%s\n", machine_line().c_str());
  std::printf("# bench_w4: %d actors (50 on empty channels, 50 on wait_periodic(1s)), window %.1f s\n", 2 * kPairs,
              window);
  Report report("bench_w4");
  std::vector<std::string> rows = {
      "| workload | placement | threads | CPU % of one core | user % | sys % | ticks in window | stop (ms) | "
      "target | status |",
      "|---|---|---:|---:|---:|---:|---:|---:|---|---|"};
  // solo_nospin (only when named with --impl): solo actors with GraphBuilder::default_spin(0), to show what the
  // default spin-before-park costs on every timer wake.
  for (const char* placement : {"solo", "troupes", "solo_nospin"}) {
    if (std::string(placement) == "solo_nospin" ? !(args.impls.size() && args.wants(placement))
                                                : !args.wants(placement))
      continue;
    const bool troupes = std::string(placement) == "troupes";
    const IdleResult r = run_idle(troupes, window, warmup, std::string(placement) == "solo_nospin");
    if (!r.ok) report.fail(std::string("w4 placement=") + placement + " " + r.note);
    const char* st = r.cpu_pct <= 0.1 ? "met" : r.cpu_pct <= 1.0 ? "MISSED (≤ 1% met)" : "MISSED";
    char line[512], row[512];
    std::snprintf(line, sizeof line,
                  "BENCH w4 placement=%s actors=%d threads=%d window_s=%.2f cpu_pct_core=%.4f user_pct=%.4f "
                  "sys_pct=%.4f ticks=%llu stop_ms=%ld target=0.1 status=%s issue_target=1.0 issue_status=%s",
                  placement, 2 * kPairs, troupes ? 10 : 2 * kPairs, r.window, r.cpu_pct, r.user_pct, r.sys_pct,
                  static_cast<unsigned long long>(r.ticks), r.stop_ms, r.cpu_pct <= 0.1 ? "met" : "missed",
                  r.cpu_pct <= 1.0 ? "met" : "missed");
    std::snprintf(row, sizeof row, "| w4 idle, %.0f s | %s | %d | %.4f | %.4f | %.4f | %llu | %ld | ≤ 0.1%% (issue: ≤ 1%%) | %s |",
                  r.window, placement, troupes ? 10 : 2 * kPairs, r.cpu_pct, r.user_pct, r.sys_pct,
                  static_cast<unsigned long long>(r.ticks), r.stop_ms, st);
    rows.push_back(row);
    std::printf("%s\n", line);
    std::fflush(stdout);
  }
  std::printf("\n");
  for (auto& s : rows) std::printf("%s\n", s.c_str());
  return report.exit_code();
}
