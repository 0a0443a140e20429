// bench/common/stages.hpp — the stages of W1 (producer → consumer) and W2 (producer → relay → consumer), written
// twice with the same per-item work: once on the reference ring (bench/refs/raw_ring.hpp), once as steady_state
// actors. The per-item loops (fill, Check::fold, copy_runs) are shared, so the two sides differ only in the channel
// and the scheduling.
//
// Three APIs:
//   single  batch 1: push/pop on the ring; try_send/try_take on steady channels;
//   slice   copying batches: push_n/pop_n on the ring; send_slice/take_slice on steady channels (through a buffer);
//   zc      zero-copy batches: write_runs/read_runs on the ring; poke_slice/peek_slice on steady channels.
//
// Every stage moves exactly min(batch, remaining) items per step, after waiting until that many are available
// (consumer side) and vacant (producer side): the same thresholds on both sides.
//
// Per task.hpp's advice, the steady actors' per-batch work lives in plain functions (the *_step functions); the
// coroutines only loop, wait and call them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <steady/steady.hpp>

#include "../refs/raw_ring.hpp"
#include "harness.hpp"

namespace bench {

using u64 = std::uint64_t;
enum class Api { single, slice, zc };

// A stage's private batch buffer, on cache lines of its own (a std::vector's heap block could share a line with
// the other thread's buffer).
class Buffer {
 public:
  explicit Buffer(std::size_t n)
      : n_(n), p_(static_cast<u64*>(::operator new[](round_up(n), std::align_val_t{ref::kLine}))) {}
  ~Buffer() { ::operator delete[](p_, std::align_val_t{ref::kLine}); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  [[nodiscard]] u64* data() noexcept { return p_; }
  [[nodiscard]] std::size_t size() const noexcept { return n_; }

 private:
  static std::size_t round_up(std::size_t n) { return (n * sizeof(u64) + ref::kLine - 1) / ref::kLine * ref::kLine; }
  std::size_t n_;
  u64* p_;
};

// Copy `src` (up to two runs) into `dst` (up to two runs); both hold `n` items in total.
template <class S, class D>
inline void copy_runs(const S* s0, std::size_t sn0, const S* s1, std::size_t sn1, D* d0, std::size_t dn0, D* d1,
                      std::size_t dn1) noexcept {
  // Walk both sides in at most three contiguous pieces.
  std::size_t si = 0, di = 0;  // which run
  std::size_t so = 0, dof = 0;  // offset within it
  const S* sp[2] = {s0, s1};
  const std::size_t sl[2] = {sn0, sn1};
  D* dp[2] = {d0, d1};
  const std::size_t dl[2] = {dn0, dn1};
  while (si < 2 && di < 2) {
    const std::size_t k = std::min(sl[si] - so, dl[di] - dof);
    if (k != 0) std::memcpy(dp[di] + dof, sp[si] + so, k * sizeof(S));
    so += k;
    dof += k;
    if (so == sl[si]) ++si, so = 0;
    if (dof == dl[di]) ++di, dof = 0;
  }
}

// ================================================================ reference stages on RawRing

using ref::RawRing;
using ref::Wait;

template <Api A, Wait W>
struct alignas(ref::kLine) RawProducer {
  RawProducer(RawRing<u64>& o, u64 n_, std::size_t b) : out(o), n(n_), batch(b) {}
  RawRing<u64>& out;
  u64 n;
  std::size_t batch;
  u64 next = 1;
  Buffer buf{batch};

  [[nodiscard]] bool done() const noexcept { return next > n; }
  [[nodiscard]] std::size_t want() const noexcept { return static_cast<std::size_t>(std::min<u64>(batch, n - next + 1)); }
  // One batch if there is room for it; false when there was not.
  bool try_step() noexcept {
    if constexpr (A == Api::single) {
      if (!out.push(next)) return false;
      ++next;
    } else {
      const std::size_t k = want();
      if (out.vacant(k) < k) return false;
      put(k);
    }
    out.template wake_consumer<W>();
    return true;
  }
  // Wait (spin/yield/park) until there is room, then one batch.
  void step() noexcept {
    const std::size_t k = A == Api::single ? 1 : want();
    out.template wait_vacant<W>(k);
    if constexpr (A == Api::single) {
      out.push(next);
      ++next;
    } else {
      put(k);
    }
    out.template wake_consumer<W>();
  }

 private:
  void put(std::size_t k) noexcept {
    if constexpr (A == Api::zc) {
      auto r = out.write_runs(k);
      fill(r.a.ptr, r.a.len, next);
      fill(r.b.ptr, r.b.len, next + r.a.len);
      out.publish(k);
    } else {
      fill(buf.data(), k, next);
      out.push_n(buf.data(), k);
    }
    next += k;
  }
};

template <Api A, Wait W>
struct alignas(ref::kLine) RawRelay {
  RawRelay(RawRing<u64>& i, RawRing<u64>& o, u64 n_, std::size_t b) : in(i), out(o), n(n_), batch(b) {}
  RawRing<u64>& in;
  RawRing<u64>& out;
  u64 n;
  std::size_t batch;
  u64 moved = 0;
  Buffer buf{batch};

  [[nodiscard]] bool done() const noexcept { return moved == n; }
  [[nodiscard]] std::size_t want() const noexcept { return static_cast<std::size_t>(std::min<u64>(batch, n - moved)); }
  bool try_step() noexcept {
    const std::size_t k = want();
    if (in.avail(k) < k || out.vacant(k) < k) return false;
    move(k);
    return true;
  }
  void step() noexcept {
    const std::size_t k = want();
    in.template wait_avail<W>(k);
    out.template wait_vacant<W>(k);
    move(k);
  }

 private:
  void move(std::size_t k) noexcept {
    if constexpr (A == Api::single) {
      u64 v = 0;
      in.pop(v);
      out.push(v);
    } else if constexpr (A == Api::zc) {
      auto s = in.read_runs(k);
      auto d = out.write_runs(k);
      copy_runs(s.a.ptr, s.a.len, s.b.ptr, s.b.len, d.a.ptr, d.a.len, d.b.ptr, d.b.len);
      in.release(k);
      out.publish(k);
    } else {
      in.pop_n(buf.data(), k);
      out.push_n(buf.data(), k);
    }
    in.template wake_producer<W>();
    out.template wake_consumer<W>();
    moved += k;
  }
};

template <Api A, Wait W>
struct alignas(ref::kLine) RawConsumer {
  RawConsumer(RawRing<u64>& i, u64 n_, std::size_t b) : in(i), n(n_), batch(b) {}
  RawRing<u64>& in;
  u64 n;
  std::size_t batch;
  u64 got = 0;
  Check check;
  Buffer buf{batch};

  [[nodiscard]] bool done() const noexcept { return got == n; }
  [[nodiscard]] std::size_t want() const noexcept { return static_cast<std::size_t>(std::min<u64>(batch, n - got)); }
  bool try_step() noexcept {
    if constexpr (A == Api::single) {
      u64 v = 0;
      if (!in.pop(v)) return false;
      check.fold_one(v);
      ++got;
    } else {
      const std::size_t k = want();
      if (in.avail(k) < k) return false;
      take(k);
    }
    in.template wake_producer<W>();
    return true;
  }
  void step() noexcept {
    const std::size_t k = A == Api::single ? 1 : want();
    in.template wait_avail<W>(k);
    if constexpr (A == Api::single) {
      u64 v = 0;
      in.pop(v);
      check.fold_one(v);
      ++got;
    } else {
      take(k);
    }
    in.template wake_producer<W>();
  }

 private:
  void take(std::size_t k) noexcept {
    if constexpr (A == Api::zc) {
      auto r = in.read_runs(k);
      check.fold(r.a.ptr, r.a.len);
      check.fold(r.b.ptr, r.b.len);
      in.release(k);
    } else {
      in.pop_n(buf.data(), k);
      check.fold(buf.data(), k);
    }
    got += k;
  }
};

// Every stage on a thread of its own, each calling step() until done(): the consumer's thread starts first, the
// producer's last. Timed from the producer's start to the consumer's last item; works for any stages with done(),
// step() and (the consumer) a Check, reference ring or not.
template <class P, class C, class... Relay>
RunResult run_on_threads(u64 n, P& p, C& c, Relay&... relays) {
  u64 t0 = 0, t1 = 0;
  std::thread tc([&] {
    while (!c.done()) c.step();
    t1 = now_ns();
  });
  std::vector<std::thread> tm;
  (tm.emplace_back([&relays] {
     while (!relays.done()) relays.step();
   }),
   ...);
  std::thread tp([&] {
    t0 = now_ns();
    while (!p.done()) p.step();
  });
  tp.join();
  for (auto& t : tm) t.join();
  tc.join();
  return c.check.result(n, static_cast<double>(t1 - t0) * 1e-9);
}

// ================================================================ steady_state actors

// Per-actor state, owned by the benchmark (outside the coroutine frame) and lent to the actor.
struct alignas(ref::kLine) SProd {
  SProd(u64 n_, std::size_t b) : n(n_), batch(b) {}
  u64 n;
  std::size_t batch;
  u64 next = 1;
  Buffer buf{batch};
  u64 t0 = 0;  // when the producer first ran
  [[nodiscard]] std::size_t want() const noexcept { return static_cast<std::size_t>(std::min<u64>(batch, n - next + 1)); }
};
struct alignas(ref::kLine) SRelay {
  SRelay(u64 n_, std::size_t b) : n(n_), batch(b) {}
  u64 n;
  std::size_t batch;
  u64 moved = 0;
  Buffer buf{batch};
  [[nodiscard]] std::size_t want() const noexcept { return static_cast<std::size_t>(std::min<u64>(batch, n - moved)); }
};
struct alignas(ref::kLine) SCons {
  SCons(u64 n_, std::size_t b) : n(n_), batch(b) {}
  u64 n;
  std::size_t batch;
  u64 got = 0;
  Check check;
  Buffer buf{batch};
  u64 t1 = 0;  // when the consumer took the last item
  [[nodiscard]] std::size_t want() const noexcept { return static_cast<std::size_t>(std::min<u64>(batch, n - got)); }
};

// ---- plain per-batch functions

template <Api A>
void steady_produce_step(steady::Tx<u64>& tx, SProd& s) {
  if constexpr (A == Api::single) {
    if (tx.try_send(s.next).sent()) ++s.next;
  } else if constexpr (A == Api::zc) {
    const u64 next = s.next;
    auto sp = tx.poke_slice(s.want());
    fill(sp.first.data(), sp.first.size(), next);
    fill(sp.second.data(), sp.second.size(), next + sp.first.size());
    tx.advance_send(sp.size());
    s.next = next + sp.size();
  } else {
    const u64 next = s.next;
    const std::size_t k = s.want();
    fill(s.buf.data(), k, next);
    s.next = next + tx.send_slice(std::span<const u64>(s.buf.data(), k));
  }
}

template <Api A>
void steady_relay_step(steady::Rx<u64>& in, steady::Tx<u64>& out, SRelay& s) {
  if constexpr (A == Api::single) {
    if (auto v = in.try_take()) {
      if (out.try_send(*v).sent()) ++s.moved;
    }
  } else if constexpr (A == Api::zc) {
    auto src = in.peek_slice(s.want());
    auto dst = out.poke_slice(src.size());
    const std::size_t k = std::min(src.size(), dst.size());
    if (k == src.size() && k == dst.size()) {
      copy_runs(src.first.data(), src.first.size(), src.second.data(), src.second.size(), dst.first.data(),
                dst.first.size(), dst.second.data(), dst.second.size());
    } else {
      for (std::size_t i = 0; i < k; ++i) dst[i] = src[i];
    }
    in.advance_take(k);
    out.advance_send(k);
    s.moved += k;
  } else {
    const std::size_t k = s.want();
    const std::size_t m = in.take_slice(std::span<u64>(s.buf.data(), k));
    const std::size_t sent = out.send_slice(std::span<const u64>(s.buf.data(), m));
    s.moved += sent;  // the wait guaranteed room for all m
  }
}

template <Api A>
void steady_consume_step(steady::Rx<u64>& rx, SCons& s) {
  if constexpr (A == Api::single) {
    if (auto v = rx.try_take()) {
      s.check.fold_one(*v);
      ++s.got;
    }
  } else if constexpr (A == Api::zc) {
    auto sp = rx.peek_slice(s.want());
    s.check.fold(sp.first.data(), sp.first.size());
    s.check.fold(sp.second.data(), sp.second.size());
    rx.advance_take(sp.size());
    s.got += sp.size();
  } else {
    const std::size_t m = rx.take_slice(std::span<u64>(s.buf.data(), s.want()));
    s.check.fold(s.buf.data(), m);
    s.got += m;
  }
}

// ---- the actors: loop, one wait per pass, one plain call per batch

template <Api A>
steady::Task steady_producer(steady::Context& ctx, steady::Tx<u64>& tx, SProd& s) {
  s.t0 = now_ns();
  while (s.next <= s.n && ctx.is_running()) {
    co_await ctx.wait_vacant(tx, s.want());
    steady_produce_step<A>(tx, s);
  }
}

// RelayWait::all is the idiomatic single consolidated wait (wait_all over two conditions); RelayWait::two awaits
// the two channel waits one after the other (kept to measure what the combinator costs).
enum class RelayWait { all, two };

template <Api A, RelayWait RW = RelayWait::all>
steady::Task steady_relay(steady::Context& ctx, steady::Rx<u64>& in, steady::Tx<u64>& out, SRelay& s) {
  while (s.moved < s.n && ctx.is_running()) {
    const std::size_t k = s.want();
    if constexpr (RW == RelayWait::all) {
      co_await ctx.wait_all(steady::avail(in, k), steady::vacant(out, k));
    } else {
      co_await ctx.wait_avail(in, k);
      co_await ctx.wait_vacant(out, k);
    }
    steady_relay_step<A>(in, out, s);
  }
}

template <Api A>
steady::Task steady_consumer(steady::Context& ctx, steady::Rx<u64>& rx, SCons& s) {
  while (s.got < s.n && ctx.is_running()) {
    co_await ctx.wait_avail(rx, s.want());
    steady_consume_step<A>(rx, s);
  }
  s.t1 = now_ns();
}

// Start the graph, wait for it, and check the stop was clean.
inline bool run_graph(steady::Graph& g, std::string& note) {
  g.start();
  const steady::StopReport rep = g.block_until_stopped(std::chrono::seconds(30));
  if (!rep.clean) {
    note = "unclean stop: " + rep.to_string();
    return false;
  }
  return true;
}

inline RunResult finish(const Check& c, u64 n, u64 t0, u64 t1, bool graph_ok, const std::string& note) {
  RunResult r = c.result(n, t1 > t0 ? static_cast<double>(t1 - t0) * 1e-9 : 0.0);
  if (!graph_ok) {
    r.ok = false;
    r.note = note + (r.note.empty() ? "" : "; " + r.note);
  }
  return r;
}

}  // namespace bench
