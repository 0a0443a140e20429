// bench/w7_faults.cpp — W7 fault soak: a 5-stage peek-before-commit pipeline where every stage throws on
// about 1 in 1000 batches, under supervision; throughput against the same pipeline without faults, in one
// run.
//
//   producer -> stage_0 -> ... -> stage_4 -> checker      (one troupe; capacity 1024, batch 64)
//
// Each stage works in batches, peek-before-commit (as tests/supervision/exactly_once_test.cpp and
// docs/supervision.md describe): peek up to 64 values, copy them into a local buffer — the part that may
// throw — then send them and advance past the inputs. A throw leaves its input untouched; the stage's restart
// policy (100,000 restarts in 10 s, no backoff) restarts it and the new incarnation redoes the batch.
//   steady_faults    every stage draws a random number per batch and throws on 1 in 1000, part way through it
//   steady_nofaults  the same pipeline, the same draw, never throwing
// Checks per run: the checker saw exactly 1..N in order (0 lost, 0 duplicated), the stop was clean, and the
// graph's restart count equals the faults injected. Target (PERFORMANCE.md): steady_faults ≥ 0.5 ×
// steady_nofaults.
#include <array>
#include <cstdio>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>

#include "common/harness.hpp"
#include "common/program.hpp"
#include "common/stages.hpp"

namespace bench {
namespace {

constexpr std::size_t kBatch = 64;
constexpr std::size_t kCapacity = 1024;
constexpr int kStages = 5;

const char* kUsage =
    "bench_w7 — W7 fault soak: 5-stage peek-before-commit pipeline, ~1 fault per 1000 batches per stage\n"
    "  --quick            fewer items and rounds     --smoke   tiny run, checks only\n"
    "  --rounds R         interleaved rounds (default 5, quick 2)\n"
    "  --n N              items per run (default 10M, quick 2M)\n"
    "  --impl NAME[,..]   steady_faults, steady_nofaults\n";

struct Totals {
  u64 faults = 0, restarts = 0, runs = 0, lost = 0, duplicated = 0;
};
Totals g_totals;

struct StageState {
  bool faults = false;
  u64 rng = 0;       // xorshift state; survives restarts (owned by the run)
  u64 injected = 0;  // faults this stage threw
};

u64 next_random(u64& x) noexcept {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}

// One batch, peek-before-commit. The throw comes after part of the batch was copied, before anything was
// sent.
void stage_batch(steady::Rx<u64>& in, steady::Tx<u64>& out, StageState& s) {
  const std::size_t room = static_cast<std::size_t>(std::min<u64>(out.vacant_units(), kBatch));
  const auto peeked = in.peek_slice(room);
  if (peeked.empty()) return;
  std::array<u64, kBatch> buf;
  const u64 draw = next_random(s.rng);
  const std::size_t fault_at = (s.faults && draw % 1000 == 0) ? (draw >> 32) % peeked.size() : peeked.size();
  for (std::size_t i = 0; i < peeked.size(); ++i) {
    if (i == fault_at) {
      ++s.injected;
      throw std::runtime_error("injected fault");
    }
    buf[i] = peeked[i];
  }
  const std::size_t sent = out.send_slice(std::span<const u64>(buf.data(), peeked.size()));
  in.advance_take(sent);  // the commit
}

steady::Task stage(steady::Context& ctx, steady::Rx<u64>& in, steady::Tx<u64>& out, StageState& s) {
  while (ctx.is_running([&] { return in.is_closed_and_empty() && out.mark_closed(); })) {
    co_await ctx.wait_all(steady::avail(in, 1), steady::vacant(out, 1));
    stage_batch(in, out, s);
    if (in.is_closed_and_empty()) co_return;
  }
}

steady::Task producer(steady::Context& ctx, steady::Tx<u64>& out, SProd& s) {
  s.t0 = now_ns();
  while (s.next <= s.n && ctx.is_running()) {
    co_await ctx.wait_vacant(out, s.want());
    steady_produce_step<Api::slice>(out, s);
  }
}

void check_batch(steady::Rx<u64>& in, SCons& s) {
  const auto got = in.peek_slice(kBatch);
  s.check.fold(got.first.data(), got.first.size());
  s.check.fold(got.second.data(), got.second.size());
  in.advance_take(got.size());
  s.got += got.size();
}

steady::Task checker(steady::Context& ctx, steady::Rx<u64>& in, SCons& s) {
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    co_await ctx.wait_avail(in, 1);
    check_batch(in, s);
    if (in.is_closed_and_empty()) break;
  }
  s.t1 = now_ns();
}

RunResult pipeline(u64 n, bool faults, u64 seed) {
  using namespace std::chrono_literals;
  auto g = steady::GraphBuilder::for_testing()
               .default_restart(steady::RestartPolicy::restart(100'000, 10s, {0ns, 0ns, 1.0}))
               .build();
  const steady::Troupe tr = g.troupe("w7");
  std::vector<std::pair<steady::Tx<u64>, steady::Rx<u64>>> links;
  for (int i = 0; i <= kStages; ++i)
    links.push_back(g.channel<u64>().name("w7_" + std::to_string(i)).capacity(kCapacity).build());
  SProd p{n, kBatch};
  SCons c{n, kBatch};
  std::array<StageState, kStages> st;
  for (int i = 0; i < kStages; ++i)
    st[i] = StageState{faults, seed * 7919 + static_cast<u64>(i) * 104729 + 1, 0};
  g.actor("producer").troupe(tr).run(producer, std::move(links[0].first), std::ref(p));
  for (int i = 0; i < kStages; ++i)
    g.actor("stage").suffix(i).troupe(tr).run(stage, std::move(links[i].second),
                                              std::move(links[i + 1].first), std::ref(st[i]));
  g.actor("checker").troupe(tr).run(checker, std::move(links[kStages].second), std::ref(c));
  g.start();
  const steady::StopReport rep = g.block_until_stopped(60s);
  u64 injected = 0;
  for (const auto& s : st) injected += s.injected;
  RunResult r =
      finish(c.check, n, p.t0, c.t1, rep.clean, rep.clean ? "" : "unclean stop: " + rep.to_string());
  if (rep.restarts != injected) {
    r.ok = false;
    r.note += " restarts " + std::to_string(rep.restarts) + " != faults injected " + std::to_string(injected);
  }
  if (faults) {
    g_totals.faults += injected;
    g_totals.restarts += rep.restarts;
    ++g_totals.runs;
    // Check::expect - 1 counts the values seen: fewer than n = lost, more = duplicated; out of order =
    // duplicated or reordered (counted with the duplicates).
    const u64 seen = c.check.expect - 1;
    g_totals.lost += seen < n ? n - seen : 0;
    g_totals.duplicated += (seen > n ? seen - n : 0) + (c.check.bad != 0 ? 1 : 0);
  }
  return r;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  // A thousand planned failures: no log line, no trace each.
  const Args args = start(argc, argv, kUsage, steady::LogLevel::off);
  steady::set_failure_trace_provider(nullptr);
  const u64 n = args.n_or({.smoke = 200'000, .quick = 2'000'000, .full = 10'000'000});
  const int rounds = args.rounds_or({.smoke = 1, .quick = 2, .full = 5});
  std::printf("%s\n", machine_line().c_str());
  std::printf("# bench_w7: n=%llu, 5 stages, batch %zu, capacity %zu, one troupe, rounds=%d\n",
              static_cast<unsigned long long>(n), kBatch, kCapacity, rounds);

  Report report("bench_w7");
  Group g;
  g.workload = "w7";
  g.params = "n=" + std::to_string(n);
  u64 seed = 1;
  if (args.wants("steady_nofaults"))
    g.impls.emplace_back("steady_nofaults", [&] { return pipeline(n, false, seed++); });
  if (args.wants("steady_faults"))
    g.impls.emplace_back("steady_faults", [&] { return pipeline(n, true, seed++); });
  g.comparisons.push_back({"steady_faults", "steady_nofaults", 0.5, "≥ 0.5× without faults"});
  report.run(g, rounds);
  std::printf(
      "BENCH w7 n=%llu impl=steady_faults runs=%llu faults=%llu restarts=%llu lost=%llu duplicated=%llu\n",
      static_cast<unsigned long long>(n), static_cast<unsigned long long>(g_totals.runs),
      static_cast<unsigned long long>(g_totals.faults), static_cast<unsigned long long>(g_totals.restarts),
      static_cast<unsigned long long>(g_totals.lost), static_cast<unsigned long long>(g_totals.duplicated));
  report.print_table();
  std::printf(
      "| w7 | n=%llu | steady_faults | faults %llu, restarts %llu over %llu runs | lost %llu | duplicated "
      "%llu | | | 0 lost, 0 duplicated | %s |\n",
      static_cast<unsigned long long>(n), static_cast<unsigned long long>(g_totals.faults),
      static_cast<unsigned long long>(g_totals.restarts), static_cast<unsigned long long>(g_totals.runs),
      static_cast<unsigned long long>(g_totals.lost), static_cast<unsigned long long>(g_totals.duplicated),
      g_totals.lost == 0 && g_totals.duplicated == 0 && g_totals.runs > 0 ? "met" : "MISSED");
  return report.exit_code();
}
