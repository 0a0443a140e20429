// bench/w1_channel.cpp — W1 channel: one producer → one consumer, u64 1..N, capacity 4096, batch 1 / 64 / 1024.
//
// Timed figures (two threads each, interleaved rounds):
//   raw_ring        reference ring, spin → yield (no wake protocol: a busy pair's practical limit)
//   raw_ring_zc     the same with zero-copy runs (write_runs/read_runs)
//   raw_ring_park   reference ring, spin → yield → futex park, waking only a sleeping peer (fence per publish)
//   boost_spsc      boost::lockfree::spsc_queue<u64, capacity<4096>>, spin → yield
//   steady_solo     two solo steady_state actors; batch 1 try_send/try_take, else send_slice/take_slice
//   steady_solo_zc  the same with poke_slice/peek_slice
// One-thread variants, deterministic, for --callgrind only:
//   raw_1t, raw_1t_zc, boost_1t (producer and consumer steps alternating on one thread)
//   steady_troupe, steady_troupe_zc (both actors in one troupe)
// Investigation variants, only when named with --impl: steady_solo_spin (GraphBuilder::default_spin(20000) instead of
// the default 256 checks before parking), steady_solo_noyield (GraphBuilder::default_yield(0): no yield phase).
#include <boost/lockfree/spsc_queue.hpp>

#include <cstdio>
#include <string>

#include "common/harness.hpp"
#include "common/program.hpp"
#include "common/stages.hpp"

namespace bench {
namespace {

constexpr std::size_t kCapacity = 4096;
long g_lat_sample = -1;  // --lat-sample
using Boost = boost::lockfree::spsc_queue<u64, boost::lockfree::capacity<kCapacity>>;

const char* kUsage =
    "bench_w1 — W1 channel: producer → consumer, u64 1..N, capacity 4096\n"
    "  --quick            fewer items and rounds     --smoke   tiny run, checks only\n"
    "  --rounds R         interleaved rounds (default 5, quick 2)\n"
    "  --batch B[,B..]    batch sizes (default 1,64,1024)\n"
    "  --n N              items per run (default 20M, quick 2M)\n"
    "  --api slice|zc|both  batch API for batch > 1 (default both)\n"
    "  --impl NAME[,..]   only these implementations\n"
    "  --callgrind        run --impl once with --n items (for valgrind --tool=callgrind)\n"
    "  --lat-sample K     steady channels sample latency on 1 message in K (0 = off; default: the runtime's)\n";

// ---------------------------------------------------------------- references, two threads

template <Api A, Wait W>
RunResult raw_two_threads(u64 n, std::size_t batch) {
  RawRing<u64> ring(kCapacity);
  RawProducer<A, W> p{ring, n, batch};
  RawConsumer<A, W> c{ring, n, batch};
  return run_on_threads(n, p, c);
}

// What both ends of the Boost queue hold. Boost has no wake protocol: step() spins, then yields until the end's
// try_step() succeeds (the same backoff as raw_ring).
template <class End>
struct BoostEnd {
  BoostEnd(Boost& q_, u64 n_, std::size_t b) : q(q_), n(n_), batch(b) {}
  Boost& q;
  u64 n;
  std::size_t batch;
  Buffer buf{batch};
  void step() {
    End& end = static_cast<End&>(*this);
    if (end.try_step()) return;
    ref::Parker unused;
    unused.wait_until<Wait::spin_yield>([&] { return end.try_step(); });
  }
};

struct alignas(ref::kLine) BoostProducer : BoostEnd<BoostProducer> {
  using BoostEnd::BoostEnd;
  u64 next = 1;
  bool done() const { return next > n; }
  std::size_t want() const { return static_cast<std::size_t>(std::min<u64>(batch, n - next + 1)); }
  bool try_step() {
    if (batch == 1) {
      if (!q.push(next)) return false;
      ++next;
      return true;
    }
    const std::size_t k = want();
    if (q.write_available() < k) return false;
    fill(buf.data(), k, next);
    q.push(buf.data(), k);
    next += k;
    return true;
  }
};
struct alignas(ref::kLine) BoostConsumer : BoostEnd<BoostConsumer> {
  using BoostEnd::BoostEnd;
  u64 got = 0;
  Check check;
  bool done() const { return got == n; }
  std::size_t want() const { return static_cast<std::size_t>(std::min<u64>(batch, n - got)); }
  bool try_step() {
    if (batch == 1) {
      u64 v = 0;
      if (!q.pop(v)) return false;
      check.fold_one(v);
      ++got;
      return true;
    }
    const std::size_t k = want();
    if (q.read_available() < k) return false;
    const std::size_t m = q.pop(buf.data(), k);
    check.fold(buf.data(), m);
    got += m;
    return true;
  }
};

RunResult boost_two_threads(u64 n, std::size_t batch) {
  auto q = std::make_unique<Boost>();
  BoostProducer p{*q, n, batch};
  BoostConsumer c{*q, n, batch};
  return run_on_threads(n, p, c);
}

// ---------------------------------------------------------------- references, one thread (callgrind)

template <Api A>
RunResult raw_one_thread(u64 n, std::size_t batch) {
  RawRing<u64> ring(kCapacity);
  RawProducer<A, Wait::spin_yield> p{ring, n, batch};
  RawConsumer<A, Wait::spin_yield> c{ring, n, batch};
  const u64 t0 = now_ns();
  while (!c.done()) {
    if (!p.done()) p.try_step();
    c.try_step();
  }
  return c.check.result(n, static_cast<double>(now_ns() - t0) * 1e-9);
}

RunResult boost_one_thread(u64 n, std::size_t batch) {
  auto q = std::make_unique<Boost>();
  BoostProducer p{*q, n, batch};
  BoostConsumer c{*q, n, batch};
  const u64 t0 = now_ns();
  while (!c.done()) {
    if (!p.done()) p.try_step();
    c.try_step();
  }
  return c.check.result(n, static_cast<double>(now_ns() - t0) * 1e-9);
}

// ---------------------------------------------------------------- steady_state

template <Api A>
RunResult steady_pair(u64 n, std::size_t batch, bool troupe, std::uint32_t spin = 0, int yields = -1) {
  auto b = steady::GraphBuilder::for_testing();
  if (spin != 0) b.default_spin(spin);
  if (yields >= 0) b.default_yield(static_cast<std::uint32_t>(yields));
  auto g = b.build();
  auto cb = g.channel<u64>();
  cb.name("w1").capacity(kCapacity);
  if (g_lat_sample >= 0) cb.latency_sample_every(static_cast<std::uint32_t>(g_lat_sample));
  auto [tx, rx] = cb.build();
  SProd p{n, batch};
  SCons c{n, batch};
  auto pa = g.actor("producer");
  auto ca = g.actor("consumer");
  if (troupe) {
    const steady::Troupe t = g.troupe("w1");
    pa.troupe(t);
    ca.troupe(t);
  }
  pa.run(steady_producer<A>, std::move(tx), std::ref(p));
  ca.run(steady_consumer<A>, std::move(rx), std::ref(c));
  std::string note;
  const bool ok = run_graph(g, note);
  return finish(c.check, n, p.t0, c.t1, ok, note);
}

using Fn = std::function<RunResult()>;

// Investigation variant (only when named with --impl): solo actors that poll much longer before parking.
constexpr std::uint32_t kLongSpin = 20000;

// Every implementation by name, for one batch size.
Impls all_impls(u64 n, std::size_t b, const Args& args, bool one_thread) {
  Impls v;
  auto add = [&](const std::string& name, Fn f) {
    if (args.wants(name)) v.emplace_back(name, std::move(f));
  };
  const bool slice = b == 1 || args.wants_api("slice");
  const bool zc = b > 1 && args.wants_api("zc");
  if (one_thread) {
    if (b == 1) {
      add("raw_1t", [=] { return raw_one_thread<Api::single>(n, b); });
      add("boost_1t", [=] { return boost_one_thread(n, b); });
      add("steady_troupe", [=] { return steady_pair<Api::single>(n, b, true); });
    } else {
      if (slice) add("raw_1t", [=] { return raw_one_thread<Api::slice>(n, b); });
      if (zc) add("raw_1t_zc", [=] { return raw_one_thread<Api::zc>(n, b); });
      if (slice) add("boost_1t", [=] { return boost_one_thread(n, b); });
      if (slice) add("steady_troupe", [=] { return steady_pair<Api::slice>(n, b, true); });
      if (zc) add("steady_troupe_zc", [=] { return steady_pair<Api::zc>(n, b, true); });
    }
    return v;
  }
  if (b == 1) {
    add("raw_ring", [=] { return raw_two_threads<Api::single, Wait::spin_yield>(n, b); });
    add("raw_ring_park", [=] { return raw_two_threads<Api::single, Wait::spin_yield_park>(n, b); });
    add("boost_spsc", [=] { return boost_two_threads(n, b); });
    add("steady_solo", [=] { return steady_pair<Api::single>(n, b, false); });
    if (!args.impls.empty()) {
      add("steady_solo_spin", [=] { return steady_pair<Api::single>(n, b, false, kLongSpin); });
      add("steady_solo_noyield", [=] { return steady_pair<Api::single>(n, b, false, 0, 0); });
    }
  } else {
    if (slice) add("raw_ring", [=] { return raw_two_threads<Api::slice, Wait::spin_yield>(n, b); });
    if (zc) add("raw_ring_zc", [=] { return raw_two_threads<Api::zc, Wait::spin_yield>(n, b); });
    if (slice) add("raw_ring_park", [=] { return raw_two_threads<Api::slice, Wait::spin_yield_park>(n, b); });
    if (slice) add("boost_spsc", [=] { return boost_two_threads(n, b); });
    if (slice) add("steady_solo", [=] { return steady_pair<Api::slice>(n, b, false); });
    if (zc) add("steady_solo_zc", [=] { return steady_pair<Api::zc>(n, b, false); });
    if (slice && !args.impls.empty()) {
      add("steady_solo_spin", [=] { return steady_pair<Api::slice>(n, b, false, kLongSpin); });
      add("steady_solo_noyield", [=] { return steady_pair<Api::slice>(n, b, false, 0, 0); });
    }
  }
  return v;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  const Args args = start(argc, argv, kUsage);
  g_lat_sample = args.lat_sample;
  const std::vector<std::size_t> batches = args.batches_or({1, 64, 1024});
  if (args.callgrind) {
    // The one-thread variants first: an --impl names one of them or one of the two-thread ones.
    return run_callgrind("w1", args, batches, [&](std::size_t b) {
      Impls v = all_impls(args.n, b, args, true);
      for (auto& impl : all_impls(args.n, b, args, false)) v.push_back(std::move(impl));
      return v;
    });
  }

  const u64 n = args.n_or({.smoke = 100'000, .quick = 2'000'000, .full = 20'000'000});
  const int rounds = args.rounds_or({.smoke = 1, .quick = 2, .full = 5});
  std::printf("%s\n", machine_line().c_str());
  std::printf("# bench_w1: n=%llu capacity=%zu rounds=%d\n", static_cast<unsigned long long>(n), kCapacity, rounds);

  Report report("bench_w1");
  for (const std::size_t b : batches) {
    Group g = batch_group("w1", b, n, args.lat_sample);
    g.impls = all_impls(n, b, args, false);
    if (b == 1) {
      g.comparisons = {{"steady_solo", "boost_spsc", 1.0, "≥ 1.0× boost"},
                       {"steady_solo", "raw_ring", 0, ""},
                       {"steady_solo", "raw_ring_park", 0, ""},
                       {"steady_solo_spin", "boost_spsc", 0, ""}};
    } else {
      g.comparisons = {{"steady_solo", "raw_ring", 0.9, "≥ 0.9× raw ring"},
                       {"steady_solo_zc", "raw_ring_zc", 0.9, "≥ 0.9× raw ring"},
                       {"steady_solo", "raw_ring_park", 0, ""},
                       {"steady_solo", "boost_spsc", 0, ""},
                       {"steady_solo_spin", "raw_ring", 0, ""}};
    }
    report.run(g, rounds);
  }
  report.print_table();
  return report.exit_code();
}
