// bench/w6_telemetry.cpp — W6 telemetry cost: the W2 pipeline (producer → relay → consumer, u64 1..N, capacity
// 1024) with telemetry off, on at 100 ms frames and on at 20 ms frames, alternating in one process.
//
// Implementations (slice API, as in common/stages.hpp):
//   off          no telemetry
//   tel_100ms    steady::Telemetry collecting every 100 ms and serving HTTP on a free loopback port (idle server)
//   tel_20ms     the same at 20 ms frames, the fastest the collector allows
// Placement: --place troupe (default: the three actors take turns on one thread, the fast shape; the collector and
// the server get the machine's other core) or split (producer solo, relay + consumer in a troupe: every core is
// busy, so the collector competes with the pipeline for CPU).
// Targets (docs/benchmarks.md, PERFORMANCE.md): ≥ 0.97 × off at 100 ms, ≥ 0.90 × off at 20 ms.
//
// A run must span many frames for the frames to cost anything, so N is large (default 400 M items; about half a
// second per run at the troupe's speed). Telemetry starts before the timed part (Graphviz lays out the graph once
// at start) and the timing runs from the producer's first item to the consumer's last, as in W2.
#include <cstdio>
#include <optional>
#include <string>

#include <steady/telemetry.hpp>

#include "common/harness.hpp"
#include "common/program.hpp"
#include "common/stages.hpp"

namespace bench {
namespace {

constexpr std::size_t kCapacity = 1024;

const char* kUsage =
    "bench_w6 — W6 telemetry cost: W2 (producer → relay → consumer) with telemetry off / 100 ms / 20 ms\n"
    "  --quick            fewer items and rounds     --smoke   tiny run, checks only\n"
    "  --rounds R         interleaved rounds (default 5, quick 3)\n"
    "  --batch B[,B..]    batch sizes (default 64,1024)\n"
    "  --n N              items per run (default 400M, quick 100M)\n"
    "  --impl NAME[,..]   only these implementations (off, tel_100ms, tel_20ms)\n"
    "  --place troupe|split  all three actors in one troupe (default), or the producer solo\n";

enum class Place { troupe, split };

RunResult pipeline(u64 n, std::size_t b, Place place, std::optional<std::chrono::milliseconds> frame) {
  auto g = steady::GraphBuilder::for_testing().build();
  auto [tx1, rx1] = g.channel<u64>().name("w6_a").capacity(kCapacity).build();
  auto [tx2, rx2] = g.channel<u64>().name("w6_b").capacity(kCapacity).build();
  SProd p{n, b};
  SRelay m{n, b};
  SCons c{n, b};
  const steady::Troupe t = g.troupe("w6");
  auto pa = g.actor("producer");
  if (place == Place::troupe) pa.troupe(t);
  pa.run(steady_producer<Api::slice>, std::move(tx1), std::ref(p));
  g.actor("relay").troupe(t).run(steady_relay<Api::slice>, std::move(rx1), std::move(tx2), std::ref(m));
  g.actor("consumer").troupe(t).run(steady_consumer<Api::slice>, std::move(rx2), std::ref(c));

  std::optional<steady::Telemetry> tel;  // declared after the graph: destroyed before it
  if (frame) {
    steady::telemetry::Options o;
    o.frame = *frame;
    o.port = 0;  // any free port: rounds may overlap a closing socket
    o.port_explicit = true;
    o.read_environment = false;
    auto started = steady::Telemetry::start(g, o);
    if (!started) {
      RunResult r;
      r.note = "telemetry: " + started.error();
      return r;
    }
    tel.emplace(std::move(started.value()));
  }
  std::string note;
  const bool ok = run_graph(g, note);
  RunResult r = finish(c.check, n, p.t0, c.t1, ok, note);
  if (tel && ok && tel->frames() == 0 && r.seconds > 0.2) {
    r.ok = false;
    r.note = "telemetry took no frame during the run";
  }
  return r;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  using namespace std::chrono_literals;
  // --place is this program's own flag; the rest go to the shared harness.
  Place place = Place::troupe;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--place" && i + 1 < argc) {
      const std::string v = argv[++i];
      if (v != "troupe" && v != "split") {
        std::fprintf(stderr, "bench_w6: --place must be troupe or split\n");
        return 2;
      }
      place = v == "split" ? Place::split : Place::troupe;
    } else {
      rest.push_back(argv[i]);
    }
  }
  const Args args = start(static_cast<int>(rest.size()), rest.data(), kUsage);
  const std::vector<std::size_t> batches = args.batches_or({64, 1024});
  const u64 n = args.n_or({.smoke = 2'000'000, .quick = 100'000'000, .full = 400'000'000});
  const int rounds = args.rounds_or({.smoke = 1, .quick = 3, .full = 5});
  std::printf("%s\n", machine_line().c_str());
  std::printf("# bench_w6: n=%llu capacity=%zu rounds=%d place=%s\n", static_cast<unsigned long long>(n), kCapacity,
              rounds, place == Place::troupe ? "troupe" : "split");

  Report report("bench_w6");
  for (const std::size_t b : batches) {
    Group g;
    g.workload = "w6";
    g.params = std::string("place=") + (place == Place::troupe ? "troupe" : "split") + " batch=" + std::to_string(b) +
               " n=" + std::to_string(n);
    auto add = [&](const std::string& name, std::optional<std::chrono::milliseconds> frame) {
      if (args.wants(name)) g.impls.emplace_back(name, [=] { return pipeline(n, b, place, frame); });
    };
    add("off", std::nullopt);
    add("tel_100ms", 100ms);
    add("tel_20ms", 20ms);
    g.comparisons.push_back({"tel_100ms", "off", 0.97, "≥ 0.97× off (≤ 3% loss)"});
    g.comparisons.push_back({"tel_20ms", "off", 0.90, "≥ 0.90× off (≤ 10% loss)"});
    report.run(g, rounds);
  }
  report.print_table();
  return report.exit_code();
}
