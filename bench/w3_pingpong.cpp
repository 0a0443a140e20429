// bench/w3_pingpong.cpp — W3 ping-pong: round-trip latency between two parties, p50 / p99 / p99.9.
//
// One party sends a u64, the other sends it back; the first times the round trip and sends the next at once.
// Only one message is ever in flight. Implementations (each on two threads unless said otherwise):
//   raw_spin       two reference rings (refs/raw_ring.hpp), both sides spin, then yield (no wake protocol)
//   raw_futex      the same rings, spin 256 checks then park on a futex, waking only a sleeping peer
//   raw_parked     the same rings, parking at once (no spin): every message wakes a sleeping thread
//   mutex_cv       two mutex + condition-variable queues (refs/mutex_queue.hpp): the receiver sleeps on a cv
//   caf            CAF 0.17 `request(pong, infinite, x).then(...)`, 2 scheduler workers (needs libcaf-dev)
//   steady_spin    two solo steady_state actors spinning 1,000,000 checks before they park (spin())
//   steady_parked  two solo actors that park at once (spin 0): every message wakes a sleeping thread
//   steady_troupe  both actors in one troupe (one thread, taking turns)
// Targets (PERFORMANCE.md): steady_spin p50 ≤ 2 × raw_spin p50; steady_parked p50 ≤ 1.5 × raw_parked p50 (the
// receiver sleeping on both sides: on a quiet machine raw_futex's 256 checks catch most replies before it parks)
// and p99 ≤ caf's p99.
//
// Rounds: every implementation runs `--n` round trips (after 200 unrecorded warm-up trips) once per round,
// the implementations alternating and the first one rotating; the percentiles are over all recorded trips of
// all rounds. Check: the echoed value must be the one sent (a mismatch fails the run).
#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/harness.hpp"
#include "common/program.hpp"
#include "common/stages.hpp"
#include "refs/mutex_queue.hpp"
#if BENCH_WITH_CAF
#include "refs/caf_refs.hpp"
#endif

namespace bench {
namespace {

constexpr std::size_t kWarmup = 200;
constexpr std::uint32_t kSpinChecks = 1'000'000;

const char* kUsage =
    "bench_w3 — W3 ping-pong: round-trip latency p50/p99/p99.9\n"
    "  --quick            fewer round trips and rounds     --smoke   tiny run, checks only\n"
    "  --rounds R         interleaved rounds (default 3, quick 2)\n"
    "  --n N              recorded round trips per run (default 20000, quick 5000)\n"
    "  --impl NAME[,..]   only these implementations\n";

struct Trips {
  std::vector<double> ns;  // recorded round trips
  std::string note;        // non-empty: the run failed
};

// ---------------------------------------------------------------- references

// n + kWarmup round trips between this thread and another: the other runs `pong()` (echo every value, n + kWarmup
// of them); this one times `ping(i)` (send i, return the echo) and records every trip after the warm-up.
template <class Pong, class Ping>
Trips ping_pong_threads(std::size_t n, Pong&& pong, Ping&& ping) {
  Trips t;
  t.ns.reserve(n);
  std::thread other([&] {
    for (std::size_t i = 0; i < n + kWarmup; ++i) pong();
  });
  u64 bad = 0;
  for (std::size_t i = 0; i < n + kWarmup; ++i) {
    const u64 t0 = now_ns();
    const u64 v = ping(u64{i});
    const u64 t1 = now_ns();
    bad += v != i;
    if (i >= kWarmup) t.ns.push_back(static_cast<double>(t1 - t0));
  }
  other.join();
  if (bad != 0) t.note = std::to_string(bad) + " echoes did not match";
  return t;
}

template <Wait W>
Trips raw_ping_pong(std::size_t n) {
  RawRing<u64> to_pong(64), to_ping(64);
  return ping_pong_threads(
      n,
      [&] {
        to_pong.template wait_avail<W>(1);
        u64 v = 0;
        to_pong.pop(v);
        to_pong.template wake_producer<W>();
        to_ping.push(v);
        to_ping.template wake_consumer<W>();
      },
      [&](u64 sent) {
        to_pong.push(sent);
        to_pong.template wake_consumer<W>();
        to_ping.template wait_avail<W>(1);
        u64 v = 0;
        to_ping.pop(v);
        to_ping.template wake_producer<W>();
        return v;
      });
}

Trips mutex_ping_pong(std::size_t n) {
  ref::MutexQueue to_pong(64), to_ping(64);
  return ping_pong_threads(
      n,
      [&] {
        u64 v = 0;
        to_pong.pop_n(&v, 1);
        to_ping.push_n(&v, 1);
      },
      [&](u64 sent) {
        to_pong.push_n(&sent, 1);
        u64 v = 0;
        to_ping.pop_n(&v, 1);
        return v;
      });
}

#if BENCH_WITH_CAF
Trips caf_ping_pong(std::size_t n) {
  Trips t;
  t.ns = caf_ref::w3_ping_pong(n + kWarmup, t.note);
  if (t.note.empty() && t.ns.size() != n + kWarmup)
    t.note = "CAF ping-pong recorded the wrong number of trips";
  if (t.ns.size() > kWarmup) t.ns.erase(t.ns.begin(), t.ns.begin() + kWarmup);
  return t;
}
#endif

// ---------------------------------------------------------------- steady_state

struct PingState {
  std::size_t total = 0;
  Trips* trips = nullptr;
  u64 bad = 0;
};

// The pinger's per-trip work after the echo arrived: check it and record the time.
void ping_record(steady::Rx<u64>& rx, PingState& s, std::size_t i, u64 t0) {
  const auto v = rx.try_take();
  const u64 t1 = now_ns();
  s.bad += !v || *v != i;
  if (i >= kWarmup) s.trips->ns.push_back(static_cast<double>(t1 - t0));
}

steady::Task pinger(steady::Context& ctx, steady::Tx<u64>& tx, steady::Rx<u64>& rx, PingState& s) {
  for (std::size_t i = 0; i < s.total && ctx.is_running(); ++i) {
    const u64 t0 = now_ns();
    (void)tx.try_send(i);  // one message in flight: there is always room
    co_await ctx.wait_avail(rx, 1);
    ping_record(rx, s, i, t0);
  }
}

void pong_echo(steady::Rx<u64>& rx, steady::Tx<u64>& tx) {
  while (const auto v = rx.try_take()) (void)tx.try_send(*v);
}

steady::Task ponger(steady::Context& ctx, steady::Rx<u64>& rx, steady::Tx<u64>& tx) {
  while (ctx.is_running([&] { return rx.is_closed_and_empty() && tx.mark_closed(); })) {
    co_await ctx.wait_avail(rx, 1);
    pong_echo(rx, tx);
    if (rx.is_closed_and_empty()) co_return;
  }
}

enum class Mode { spin, parked, troupe };

Trips steady_ping_pong(std::size_t n, Mode mode) {
  auto g = steady::GraphBuilder::for_testing().build();
  auto [to_pong_tx, to_pong_rx] = g.channel<u64>().name("to_pong").capacity(64).build();
  auto [to_ping_tx, to_ping_rx] = g.channel<u64>().name("to_ping").capacity(64).build();
  Trips t;
  t.ns.reserve(n);
  PingState s{n + kWarmup, &t, 0};
  auto pa = g.actor("pinger");
  auto qa = g.actor("ponger");
  if (mode == Mode::troupe) {
    const steady::Troupe tr = g.troupe("w3");
    pa.troupe(tr);
    qa.troupe(tr);
  } else {
    const std::uint32_t spin = mode == Mode::spin ? kSpinChecks : 0;
    pa.spin(spin);
    qa.spin(spin);
  }
  pa.run(pinger, std::move(to_pong_tx), std::move(to_ping_rx), std::ref(s));
  qa.run(ponger, std::move(to_pong_rx), std::move(to_ping_tx));
  std::string note;
  if (!run_graph(g, note)) t.note = note;
  if (s.bad != 0) t.note += std::to_string(s.bad) + " echoes did not match";
  if (t.note.empty() && t.ns.size() != n)
    t.note = "recorded " + std::to_string(t.ns.size()) + " trips, want " + std::to_string(n);
  return t;
}

// ---------------------------------------------------------------- report

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

struct Pct {
  double p50 = 0, p99 = 0, p999 = 0;
  std::size_t count = 0;
};

// A latency target: ours' percentile ≤ factor × ref's percentile.
struct LatTarget {
  std::string ours, ref, which;  // which: p50 | p99
  double factor;
};

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  const Args args = start(argc, argv, kUsage);
  const std::size_t n = args.n_or({.smoke = 500, .quick = 5000, .full = 20000});
  const int rounds = args.rounds_or({.smoke = 1, .quick = 2, .full = 3});
  std::printf("%s\n", machine_line().c_str());
  std::printf("# bench_w3: %zu recorded round trips per run (+%zu warm-up), rounds=%d\n", n, kWarmup, rounds);

  std::vector<std::pair<std::string, std::function<Trips()>>> impls;
  auto add = [&](const std::string& name, std::function<Trips()> f) {
    if (args.wants(name)) impls.emplace_back(name, std::move(f));
  };
  add("raw_spin", [=] { return raw_ping_pong<Wait::spin_yield>(n); });
  add("raw_futex", [=] { return raw_ping_pong<Wait::spin_park>(n); });
  add("raw_parked", [=] { return raw_ping_pong<Wait::park>(n); });
  add("mutex_cv", [=] { return mutex_ping_pong(n); });
#if BENCH_WITH_CAF
  add("caf", [=] { return caf_ping_pong(n); });
#endif
  add("steady_spin", [=] { return steady_ping_pong(n, Mode::spin); });
  add("steady_parked", [=] { return steady_ping_pong(n, Mode::parked); });
  add("steady_troupe", [=] { return steady_ping_pong(n, Mode::troupe); });

  std::map<std::string, std::vector<double>> all;
  int failures = 0;
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t j = 0; j < impls.size(); ++j) {
      auto& [name, fn] = impls[(j + static_cast<std::size_t>(r)) % impls.size()];
      Trips t = fn();
      if (!t.note.empty()) {
        ++failures;
        std::printf("FAIL w3 impl=%s %s\n", name.c_str(), t.note.c_str());
      }
      auto& dst = all[name];
      dst.insert(dst.end(), t.ns.begin(), t.ns.end());
    }
  }

  std::map<std::string, Pct> pct;
  for (auto& [name, v] : all) {
    Pct p;
    p.count = v.size();
    p.p50 = percentile(v, 0.50);
    p.p99 = percentile(v, 0.99);
    p.p999 = percentile(v, 0.999);
    pct[name] = p;
  }
  const std::vector<LatTarget> targets = {{"steady_spin", "raw_spin", "p50", 2.0},
                                          {"steady_parked", "raw_parked", "p50", 1.5},
                                          {"steady_parked", "caf", "p99", 1.0},
                                          {"steady_troupe", "raw_spin", "p50", 0}};
  auto get = [](const Pct& p, const std::string& which) { return which == "p50" ? p.p50 : p.p99; };
  for (auto& [name, fn] : impls) {
    (void)fn;
    const Pct& p = pct[name];
    std::printf("BENCH w3 n=%zu impl=%s trips=%zu p50_ns=%.0f p99_ns=%.0f p999_ns=%.0f", n, name.c_str(),
                p.count, p.p50, p.p99, p.p999);
    for (const auto& t : targets) {
      if (t.ours != name || !pct.count(t.ref)) continue;
      const double ratio = get(pct[t.ref], t.which) > 0 ? get(p, t.which) / get(pct[t.ref], t.which) : 0;
      std::printf(" %s_vs=%s ratio=%.3f", t.which.c_str(), t.ref.c_str(), ratio);
      if (t.factor > 0) std::printf(" target=%.2f status=%s", t.factor, ratio <= t.factor ? "met" : "MISSED");
    }
    std::printf("\n");
  }
  std::printf("\n| workload | impl | p50 ns | p99 ns | p99.9 ns | vs | ratio | target | status |\n");
  std::printf("|---|---|---:|---:|---:|---|---:|---|---|\n");
  for (auto& [name, fn] : impls) {
    (void)fn;
    const Pct& p = pct[name];
    bool any = false;
    for (const auto& t : targets) {
      if (t.ours != name || !pct.count(t.ref)) continue;
      any = true;
      const double ratio = get(pct[t.ref], t.which) > 0 ? get(p, t.which) / get(pct[t.ref], t.which) : 0;
      char target[64] = "";
      if (t.factor > 0)
        std::snprintf(target, sizeof target, "%s ≤ %.1f× %s", t.which.c_str(), t.factor, t.ref.c_str());
      std::printf("| w3 | %s | %.0f | %.0f | %.0f | %s (%s) | %.2f | %s | %s |\n", name.c_str(), p.p50, p.p99,
                  p.p999, t.ref.c_str(), t.which.c_str(), ratio, target,
                  t.factor <= 0       ? "info"
                  : ratio <= t.factor ? "met"
                                      : "MISSED");
    }
    if (!any) std::printf("| w3 | %s | %.0f | %.0f | %.0f | | | | |\n", name.c_str(), p.p50, p.p99, p.p999);
  }
  std::fflush(stdout);
  return failures == 0 ? 0 : 1;
}
