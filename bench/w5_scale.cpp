// bench/w5_scale.cpp — W5 scale: 10,000 actors in 100 troupes, pass tokens, then stop.
//
// Each troupe holds one chain: head → relay → relay → ... → tail (100 actors, 99 channels of capacity 64).
// The head sends `--tokens` u64 tokens 1..T down its chain and then waits for the stop; relays pass tokens
// on; the tail checks it got 1..T in order. Once every tail has its tokens, the program requests the stop:
// heads agree at once, their outputs close, and each relay and tail agrees when its input is closed and
// empty.
//
// Every run happens in a child process (this program started again with --role child), so the peak RSS it
// reports (getrusage ru_maxrss) is that run's own. Figures per run:
//   build_ms   building the graph (channels, actors)        start_ms   graph.start()
//   tokens_ms  from start() returning to the last tail holding all its tokens
//   stop_ms    from request_shutdown() to block_until_stopped() returning (a clean stop of every actor)
//   total_ms   build + start + tokens + stop               maxrss_mib the child's peak resident set
// Target (PERFORMANCE.md): 10,000 actors start and stop cleanly in ≤ 2 s (build + start + stop, the tokens'
// time excluded), peak RSS ≤ 256 MiB. Each of `--rounds` runs is a fresh child; the figures are medians.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/harness.hpp"
#include "common/stages.hpp"

extern char** environ;

namespace bench {
namespace {

const char* kUsage =
    "bench_w5 — W5 scale: N actors in T troupes (chains), pass tokens, stop; times and peak RSS\n"
    "  --quick            fewer rounds                --smoke   1,000 actors in 10 troupes, checks only\n"
    "  --rounds R         runs, each in a fresh child process (default 3, quick 1)\n"
    "  --n N              actors (default 10000; a multiple of the troupe count)\n"
    "  --batch T          troupes (default 100)   (the harness's --batch flag, reused)\n";

struct Shared {
  std::atomic<std::size_t> tails_done{0};
  std::atomic<std::uint64_t> bad{0};  // tails that saw a token out of order or too many
};

steady::Task head(steady::Context& ctx, steady::Tx<u64>& out, u64 tokens) {
  u64 next = 1;
  while (next <= tokens && ctx.is_running()) {
    co_await ctx.wait_vacant(out, 1);
    while (next <= tokens && out.try_send(next).sent()) ++next;
  }
  while (ctx.is_running()) {  // keep the chain open until the stop
    const steady::WaitResult r = co_await ctx.wait_for(std::chrono::seconds(1));
    (void)r;
  }
}

void relay_ready(steady::Rx<u64>& in, steady::Tx<u64>& out) {
  while (out.vacant_units() > 0) {
    const auto v = in.try_take();
    if (!v) break;
    (void)out.try_send(*v);
  }
}

steady::Task relay(steady::Context& ctx, steady::Rx<u64>& in, steady::Tx<u64>& out) {
  while (ctx.is_running([&] { return in.is_closed_and_empty() && out.mark_closed(); })) {
    co_await ctx.wait_all(steady::avail(in, 1), steady::vacant(out, 1));
    relay_ready(in, out);
    if (in.is_closed_and_empty()) co_return;
  }
}

void tail_ready(steady::Rx<u64>& in, u64& expect, u64 tokens, Shared& sh) {
  while (const auto v = in.try_take()) {
    if (*v != expect + 1 || *v > tokens) sh.bad.fetch_add(1);
    expect = *v;
    if (expect == tokens) sh.tails_done.fetch_add(1);
  }
}

steady::Task tail(steady::Context& ctx, steady::Rx<u64>& in, u64 tokens, Shared& sh) {
  u64 expect = 0;
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    co_await ctx.wait_avail(in, 1);
    tail_ready(in, expect, tokens, sh);
    if (in.is_closed_and_empty()) co_return;
  }
}

double ms_since(u64 t0) {
  return static_cast<double>(now_ns() - t0) * 1e-6;
}

// The child: one run, one result line on stdout.
int child(std::size_t actors, std::size_t troupes, u64 tokens) {
  steady::set_log_level(steady::LogLevel::warn);
  const std::size_t per = actors / troupes;
  Shared sh;
  u64 t = now_ns();
  const double cpu0 = process_cpu_seconds();
  auto g = steady::GraphBuilder::for_production().build();
  for (std::size_t c = 0; c < troupes; ++c) {
    const steady::Troupe tr = g.troupe("chain_" + std::to_string(c));
    auto [tx0, rx0] = g.channel<u64>().name("c" + std::to_string(c) + "_0").capacity(64).build();
    g.actor("head").suffix(static_cast<int>(c)).troupe(tr).run(head, std::move(tx0), tokens);
    steady::Rx<u64> in = std::move(rx0);
    for (std::size_t i = 1; i + 1 < per; ++i) {
      auto [tx, rx] =
          g.channel<u64>().name("c" + std::to_string(c) + "_" + std::to_string(i)).capacity(64).build();
      g.actor("relay")
          .suffix(static_cast<int>(c * per + i))
          .troupe(tr)
          .run(relay, std::move(in), std::move(tx));
      in = std::move(rx);
    }
    g.actor("tail").suffix(static_cast<int>(c)).troupe(tr).run(tail, std::move(in), tokens, std::ref(sh));
  }
  const double build_ms = ms_since(t);
  const double build_cpu_ms = (process_cpu_seconds() - cpu0) * 1e3;
  t = now_ns();
  g.start();
  const double start_ms = ms_since(t);
  t = now_ns();
  const u64 deadline = now_ns() + 60'000'000'000ULL;
  while (sh.tails_done.load() < troupes && now_ns() < deadline) std::this_thread::yield();
  const double tokens_ms = ms_since(t);
  const bool delivered = sh.tails_done.load() == troupes;
  t = now_ns();
  g.request_shutdown();
  const steady::StopReport rep = g.block_until_stopped(std::chrono::seconds(30));
  const double stop_ms = ms_since(t);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const bool ok = delivered && rep.clean && sh.bad.load() == 0;
  std::printf(
      "W5CHILD ok=%d build_ms=%.1f start_ms=%.1f tokens_ms=%.1f stop_ms=%.1f maxrss_kib=%ld "
      "build_cpu_ms=%.1f "
      "note=%s\n",
      ok ? 1 : 0, build_ms, start_ms, tokens_ms, stop_ms, ru.ru_maxrss, build_cpu_ms,
      !delivered   ? "tokens-not-delivered-in-60s"
      : !rep.clean ? "unclean-stop"
      : sh.bad     ? "order"
                   : "-");
  if (!rep.clean) std::fprintf(stderr, "%s\n", rep.to_string().c_str());
  return ok ? 0 : 1;
}

struct ChildResult {
  bool ok = false;
  double build = 0, start = 0, tokens = 0, stop = 0, rss_mib = 0, build_cpu = 0;
  std::string note;
};

// Start this program again as a child and read its one result line.
ChildResult run_child(const char* self, std::size_t actors, std::size_t troupes, u64 tokens) {
  ChildResult r;
  int fds[2];
  if (pipe(fds) != 0) {
    r.note = "pipe failed";
    return r;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  const std::string a = std::to_string(actors), tr = std::to_string(troupes), tk = std::to_string(tokens);
  std::vector<char*> argv = {const_cast<char*>(self),       const_cast<char*>("--child"),
                             const_cast<char*>(a.c_str()),  const_cast<char*>(tr.c_str()),
                             const_cast<char*>(tk.c_str()), nullptr};
  pid_t pid = 0;
  const int err = posix_spawn(&pid, self, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (err != 0) {
    close(fds[0]);
    r.note = std::string("cannot start the child: ") + std::strerror(err);
    return r;
  }
  std::string out;
  char buf[512];
  for (ssize_t k; (k = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(k));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  long rss = 0;
  int ok = 0;
  char note[64] = "";
  const auto at = out.find("W5CHILD ");
  if (at == std::string::npos ||
      std::sscanf(
          out.c_str() + at,
          "W5CHILD ok=%d build_ms=%lf start_ms=%lf tokens_ms=%lf stop_ms=%lf maxrss_kib=%ld build_cpu_ms=%lf "
          "note=%63s",
          &ok, &r.build, &r.start, &r.tokens, &r.stop, &rss, &r.build_cpu, note) != 8) {
    r.note = "the child printed no result (exit status " + std::to_string(status) + ")";
    return r;
  }
  r.rss_mib = static_cast<double>(rss) / 1024.0;
  r.ok = ok == 1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!r.ok) r.note = std::string("child failed: ") + note;
  return r;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  if (argc == 5 && std::string(argv[1]) == "--child")
    return child(std::stoul(argv[2]), std::stoul(argv[3]), std::stoull(argv[4]));
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const Args args = parse_args(argc, argv, kUsage);
  const std::size_t troupes = !args.batches.empty() ? args.batches[0] : args.smoke ? 10 : 100;
  const std::size_t actors = args.n != 0 ? args.n : args.smoke ? 1000 : 10000;
  const u64 tokens = args.smoke ? 100 : 1000;
  const int rounds = args.rounds > 0 ? args.rounds : (args.smoke || args.quick) ? 1 : 3;
  if (troupes == 0 || actors % troupes != 0 || actors / troupes < 2) {
    std::fprintf(stderr,
                 "bench_w5: --n (actors) must be a multiple of the troupe count with ≥ 2 per troupe\n");
    return 2;
  }
  std::printf("%s\n", machine_line().c_str());
  std::printf(
      "# bench_w5: %zu actors in %zu troupes (chains of %zu), %llu tokens per chain, %d runs (child "
      "processes)\n",
      actors, troupes, actors / troupes, static_cast<unsigned long long>(tokens), rounds);
  std::vector<double> build, build_cpu, start, tok, stop, total, rss;
  int failures = 0;
  for (int r = 0; r < rounds; ++r) {
    const ChildResult c = run_child("/proc/self/exe", actors, troupes, tokens);
    if (!c.ok) {
      ++failures;
      std::printf("FAIL w5 run %d: %s\n", r + 1, c.note.c_str());
      continue;
    }
    std::printf(
        "# run %d: build %.1f ms (CPU %.1f ms), start %.1f ms, tokens %.1f ms, stop %.1f ms, peak RSS %.1f "
        "MiB\n",
        r + 1, c.build, c.build_cpu, c.start, c.tokens, c.stop, c.rss_mib);
    build.push_back(c.build);
    build_cpu.push_back(c.build_cpu);
    start.push_back(c.start);
    tok.push_back(c.tokens);
    stop.push_back(c.stop);
    total.push_back(c.build + c.start + c.stop);
    rss.push_back(c.rss_mib);
  }
  if (!total.empty()) {
    const double t = median(total), m = median(rss);
    const bool t_ok = t <= 2000, m_ok = m <= 256;
    std::printf(
        "BENCH w5 actors=%zu troupes=%zu impl=steady build_ms=%.1f build_cpu_ms=%.1f start_ms=%.1f "
        "tokens_ms=%.1f stop_ms=%.1f start_stop_ms=%.1f maxrss_mib=%.1f runs=%zu target_ms=2000 "
        "status_time=%s "
        "target_mib=256 status_rss=%s\n",
        actors, troupes, median(build), median(build_cpu), median(start), median(tok), median(stop), t, m,
        total.size(), t_ok ? "met" : "MISSED", m_ok ? "met" : "MISSED");
    std::printf(
        "\n| workload | params | build ms (CPU ms) | start ms | tokens ms | stop ms | start+stop ms | peak "
        "RSS "
        "MiB | target | status |\n|---|---|---:|---:|---:|---:|---:|---:|---|---|\n");
    std::printf(
        "| w5 | %zu actors, %zu troupes | %.1f (%.1f) | %.1f | %.1f | %.1f | %.1f | %.1f | ≤ 2000 ms, ≤ 256 "
        "MiB | "
        "%s |\n",
        actors, troupes, median(build), median(build_cpu), median(start), median(tok), median(stop), t, m,
        t_ok && m_ok ? "met" : "MISSED");
  }
  return failures == 0 ? 0 : 1;
}
