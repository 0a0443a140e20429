// bench/w2_pipeline.cpp — W2 pipeline: producer → relay → consumer, u64 1..N (10 M), capacity 1024,
// batch 1 / 64 / 1024.
//
// Implementations (APIs as in common/stages.hpp; "_zc" = zero-copy poke/peek, otherwise send_slice/take_slice,
// and batch 1 = try_send/try_take):
//   raw_1t[_zc]        reference rings, the three stages taking turns on ONE thread (a loop calling each stage)
//   raw_3t[_zc]        reference rings, three threads, spin → yield → futex park, waking only a sleeping peer
//   steady_troupe[_zc] the three actors in one troupe                 — compared with raw_1t   (a)
//   steady_solo[_zc]   three solo actors (three threads)              — compared with raw_3t   (b)
//   steady_split[_zc]  producer solo, relay + consumer in one troupe  — compared with raw_3t   (c)
// Investigation variants (only when named with --impl): steady_troupe_two[_zc], the relay awaiting wait_avail then
// wait_vacant instead of one wait_all; steady_solo_spin[_zc] / steady_split_spin[_zc], solo actors polling
// 20000 checks (GraphBuilder::default_spin) instead of 256 before they park; raw_3t_noyield[_zc], the reference
// without its yield phase (spin, then park at once); steady_solo_noyield[_zc] / steady_split_noyield[_zc], solo
// actors without theirs (GraphBuilder::default_yield(0)); steady_troupe_nolat[_zc], the troupe with channel
// latency sampling off (ChannelBuilder::latency_sample_every(0)).
// Other references in the same run:
//   mutex_3t           three threads on two mutex + condition-variable queues (refs/mutex_queue.hpp)
//   caf_msg            CAF 0.17, one message per item (batch 1 only)     — steady_troupe must be ≥ 20× it
//   caf_vec            CAF 0.17, std::vector<u64> of `batch` per message (batch > 1)
//   caf_stream         CAF 0.17 streams (source → stage → sink; CAF picks its own batches; every batch size)
//                      — at batch 64 and 1024 steady_troupe must be ≥ 2× the better of caf_vec and caf_stream
// The CAF references (refs/caf_refs.cpp) are built only when libcaf-dev was found (BENCH_WITH_CAF); at most
// 2 × capacity items are in flight, as many as the two channels hold.
#include <cstdio>
#include <string>
#include <thread>

#include "common/harness.hpp"
#include "common/program.hpp"
#include "common/stages.hpp"
#include "refs/mutex_queue.hpp"
#if BENCH_WITH_CAF
#include "refs/caf_refs.hpp"
#endif

namespace bench {
namespace {

constexpr std::size_t kCapacity = 1024;
long g_lat_sample = -1;  // --lat-sample

const char* kUsage =
    "bench_w2 — W2 pipeline: producer → relay → consumer, u64 1..N, capacity 1024\n"
    "  --quick            fewer items and rounds     --smoke   tiny run, checks only\n"
    "  --rounds R         interleaved rounds (default 5, quick 2)\n"
    "  --batch B[,B..]    batch sizes (default 1,64,1024)\n"
    "  --n N              items per run (default 10M, quick 1M; batch 1: a fifth of that)\n"
    "  --api slice|zc|both  batch API for batch > 1 (default both)\n"
    "  --impl NAME[,..]   only these implementations\n"
    "  --callgrind        run --impl once with --n items (for valgrind --tool=callgrind)\n"
    "  --lat-sample K     steady channels sample latency on 1 message in K (0 = off; default: the runtime's)\n";

// ---------------------------------------------------------------- references

template <Api A>
RunResult raw_one_thread(u64 n, std::size_t b) {
  RawRing<u64> r1(kCapacity), r2(kCapacity);
  RawProducer<A, Wait::spin_yield> p{r1, n, b};
  RawRelay<A, Wait::spin_yield> m{r1, r2, n, b};
  RawConsumer<A, Wait::spin_yield> c{r2, n, b};
  const u64 t0 = now_ns();
  while (!c.done()) {  // each stage takes one turn: at most one batch
    if (!p.done()) p.try_step();
    if (!m.done()) m.try_step();
    c.try_step();
  }
  return c.check.result(n, static_cast<double>(now_ns() - t0) * 1e-9);
}

template <Api A, Wait W = Wait::spin_yield_park>
RunResult raw_three_threads(u64 n, std::size_t b) {
  RawRing<u64> r1(kCapacity), r2(kCapacity);
  RawProducer<A, W> p{r1, n, b};
  RawRelay<A, W> m{r1, r2, n, b};
  RawConsumer<A, W> c{r2, n, b};
  return run_on_threads(n, p, c, m);
}

// Mutex + condition variable: the three stages on three threads, each moving min(batch, left) items per lock.
RunResult mutex_three_threads(u64 n, std::size_t b) {
  ref::MutexQueue q1(kCapacity), q2(kCapacity);
  Check check;
  u64 t0 = 0, t1 = 0;
  // Calls each(done, k) for the items done..done+k-1 (0-based), k = min(b, left), until all n are done.
  auto in_chunks = [n, b](auto&& each) {
    for (u64 done = 0; done < n;) {
      const std::size_t k = static_cast<std::size_t>(std::min<u64>(b, n - done));
      each(done, k);
      done += k;
    }
  };
  std::thread tc([&] {
    Buffer buf(b);
    in_chunks([&](u64, std::size_t k) {
      q2.pop_n(buf.data(), k);
      check.fold(buf.data(), k);
    });
    t1 = now_ns();
  });
  std::thread tm([&] {
    Buffer buf(b);
    in_chunks([&](u64, std::size_t k) {
      q1.pop_n(buf.data(), k);
      q2.push_n(buf.data(), k);
    });
  });
  std::thread tp([&] {
    Buffer buf(b);
    t0 = now_ns();
    in_chunks([&](u64 done, std::size_t k) {
      fill(buf.data(), k, done + 1);
      q1.push_n(buf.data(), k);
    });
  });
  tp.join();
  tm.join();
  tc.join();
  return check.result(n, static_cast<double>(t1 - t0) * 1e-9);
}

// ---------------------------------------------------------------- steady_state

enum class Place { troupe, solo, split };
constexpr std::uint32_t kLongSpin = 20000;  // investigation variants *_spin: default_spin(20000) instead of 256

template <Api A, RelayWait RW = RelayWait::all>
RunResult steady_pipeline(u64 n, std::size_t b, Place place, std::uint32_t spin = 0, long lat_sample = -2,
                          int yields = -1) {
  if (lat_sample == -2) lat_sample = g_lat_sample;
  auto builder = steady::GraphBuilder::for_testing();
  if (spin != 0) builder.default_spin(spin);
  if (yields >= 0) builder.default_yield(static_cast<std::uint32_t>(yields));
  auto g = builder.build();
  auto make = [&g, lat_sample](const char* name) {
    auto cb = g.channel<u64>();
    cb.name(name).capacity(kCapacity);
    if (lat_sample >= 0) cb.latency_sample_every(static_cast<std::uint32_t>(lat_sample));
    return cb.build();
  };
  auto [tx1, rx1] = make("w2_a");
  auto [tx2, rx2] = make("w2_b");
  SProd p{n, b};
  SRelay m{n, b};
  SCons c{n, b};
  auto pa = g.actor("producer");
  auto ma = g.actor("relay");
  auto ca = g.actor("consumer");
  if (place != Place::solo) {
    const steady::Troupe t = g.troupe("w2");
    if (place == Place::troupe) pa.troupe(t);
    ma.troupe(t);
    ca.troupe(t);
  }
  pa.run(steady_producer<A>, std::move(tx1), std::ref(p));
  ma.run(steady_relay<A, RW>, std::move(rx1), std::move(tx2), std::ref(m));
  ca.run(steady_consumer<A>, std::move(rx2), std::ref(c));
  std::string note;
  const bool ok = run_graph(g, note);
  return finish(c.check, n, p.t0, c.t1, ok, note);
}

using Fn = std::function<RunResult()>;

Impls all_impls(u64 n, std::size_t b, const Args& args, bool include_extra) {
  Impls v;
  auto add = [&](const std::string& name, Fn f) {
    if (args.wants(name)) v.emplace_back(name, std::move(f));
  };
  auto add_api = [&]<Api A>(const char* sfx) {
    const std::string s = sfx;
    add("raw_1t" + s, [=] { return raw_one_thread<A>(n, b); });
    add("raw_3t" + s, [=] { return raw_three_threads<A>(n, b); });
    add("steady_troupe" + s, [=] { return steady_pipeline<A>(n, b, Place::troupe); });
    add("steady_solo" + s, [=] { return steady_pipeline<A>(n, b, Place::solo); });
    add("steady_split" + s, [=] { return steady_pipeline<A>(n, b, Place::split); });
    if (include_extra) {
      add("steady_troupe_two" + s, [=] { return steady_pipeline<A, RelayWait::two>(n, b, Place::troupe); });
      add("steady_solo_spin" + s, [=] { return steady_pipeline<A>(n, b, Place::solo, kLongSpin); });
      add("steady_split_spin" + s, [=] { return steady_pipeline<A>(n, b, Place::split, kLongSpin); });
      add("steady_solo_noyield" + s, [=] { return steady_pipeline<A>(n, b, Place::solo, 0, -2, 0); });
      add("steady_split_noyield" + s, [=] { return steady_pipeline<A>(n, b, Place::split, 0, -2, 0); });
      add("raw_3t_noyield" + s, [=] { return raw_three_threads<A, Wait::spin_park>(n, b); });
      add("steady_troupe_nolat" + s, [=] { return steady_pipeline<A>(n, b, Place::troupe, 0, 0); });
    }
  };
  if (b == 1) {
    add_api.operator()<Api::single>("");
  } else {
    if (args.wants_api("slice")) add_api.operator()<Api::slice>("");
    if (args.wants_api("zc")) add_api.operator()<Api::zc>("_zc");
  }
  add("mutex_3t", [=] { return mutex_three_threads(n, b); });
#if BENCH_WITH_CAF
  if (b == 1) add("caf_msg", [=] { return caf_ref::w2_per_message(n, 2 * kCapacity); });
  if (b > 1) add("caf_vec", [=] { return caf_ref::w2_batched(n, b, 2 * kCapacity); });
  add("caf_stream", [=] { return caf_ref::w2_stream(n); });
#endif
  return v;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  const Args args = start(argc, argv, kUsage);
  g_lat_sample = args.lat_sample;
  const std::vector<std::size_t> batches = args.batches_or({1, 64, 1024});
  if (args.callgrind)
    return run_callgrind("w2", args, batches, [&](std::size_t b) { return all_impls(args.n, b, args, true); });

  const u64 n = args.n_or({.smoke = 100'000, .quick = 1'000'000, .full = 10'000'000});
  const int rounds = args.rounds_or({.smoke = 1, .quick = 2, .full = 5});
  std::printf("%s\n", machine_line().c_str());
  std::printf("# bench_w2: n=%llu capacity=%zu rounds=%d\n", static_cast<unsigned long long>(n), kCapacity, rounds);

  Report report("bench_w2");
  for (const std::size_t b : batches) {
    // Batch 1 moves one item per pass: the multi-thread variants run at a few M items/s, so the default item count
    // is a fifth of the others (the figure is a rate; the count only has to be large enough to time).
    const u64 nb = (b == 1 && args.n == 0) ? n / 5 : n;
    Group g = batch_group("w2", b, nb, args.lat_sample);
    g.impls = all_impls(nb, b, args, !args.impls.empty());
    const bool big = b >= 64;
    for (const std::string sfx : {"", "_zc"}) {
      if (b == 1 && !sfx.empty()) continue;
      g.comparisons.push_back({"steady_troupe" + sfx, "raw_1t" + sfx, big ? 0.85 : 0, big ? "≥ 0.85× raw 1-thread" : ""});
      g.comparisons.push_back({"steady_troupe_two" + sfx, "raw_1t" + sfx, 0, ""});
      g.comparisons.push_back({"steady_troupe_nolat" + sfx, "raw_1t" + sfx, 0, ""});
      g.comparisons.push_back({"steady_solo" + sfx, "raw_3t" + sfx, 1.0, "≥ 1.0× raw 3-thread"});
      g.comparisons.push_back({"steady_split" + sfx, "raw_3t" + sfx, 3.0, "≥ 3× raw 3-thread"});
      g.comparisons.push_back({"steady_solo_spin" + sfx, "raw_3t" + sfx, 0, ""});
      g.comparisons.push_back({"steady_split_spin" + sfx, "raw_3t" + sfx, 0, ""});
      g.comparisons.push_back({"steady_solo" + sfx, "mutex_3t", 0, ""});
      if (b == 1) {
        g.comparisons.push_back({"steady_troupe" + sfx, "caf_msg", 20.0, "≥ 20× CAF per message"});
        g.comparisons.push_back({"steady_troupe" + sfx, "caf_stream", 0, ""});
      } else {
        g.comparisons.push_back({"steady_troupe" + sfx, "caf_vec", 2.0, "≥ 2× CAF best batched"});
        g.comparisons.push_back({"steady_troupe" + sfx, "caf_stream", 2.0, "≥ 2× CAF best batched"});
      }
    }
    report.run(g, rounds);
  }
  report.print_table();
  return report.exit_code();
}
