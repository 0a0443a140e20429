// examples/08_large_scale/actors.hpp — the actors of the large-scale example (wired in main.cpp).
//
//   generator --raw--> router ==lane[0..7]==> filter_1 -> filter_2 -> ... -> filter_K ==> user
//
// One such shard per 8 lanes; every actor of a shard is a member of the shard's troupe (one thread per
// shard).
//
// generator  numbers messages 1, 2, 3, ... at a steady rate (`per_tick` every 10 ms; 0 = as fast as the
//            router takes them). Its output closes when it returns (on a stop request).
// router     deals messages round robin over its 8 lanes and stamps each with its place in the lane
//            (lane_seq 1, 2, 3, ...), so the user can tell a lost or repeated message from a late one.
// filter     one link of a lane's chain: applies `mix` to the value. Works peek-before-commit, in batches:
//            peek, transform into a local buffer (this part may throw), send, and only then advance past the
//            inputs. A fault therefore leaves its input where it was and the restarted incarnation redoes it:
//            nothing is lost, nothing sent twice. A filter throws when the chaos actor armed it.
// user       the end of the shard: checks, per lane, that lane_seq goes 1, 2, 3, ... with none missing or
//            repeated and that the value went through all K filters; tallies what arrived.
// chaos      (with --fault-every MS) every MS ms arms one filter picked at random; that filter throws part
//            way through its next batch and its supervisor restarts it.
// stopper    requests the stop after --duration or on SIGINT/SIGTERM, in two steps: first no new faults,
//            and a wait until every filter that failed has been restarted; then the graph's stop. (An actor
//            that fails while the graph is stopping is not restarted: its input would never drain. So the
//            planned faults end first.)
//
// Counters that must survive restarts (Tally, the armed flags) belong to main and are lent with std::ref.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <stdexcept>
#include <vector>

#include <steady/steady.hpp>

namespace large_scale {

using u64 = std::uint64_t;
using namespace std::chrono_literals;

constexpr std::size_t kFanOut = 8;  // lanes per router (a compile-time bundle: steady::TxBundle<Msg, 8>)
constexpr std::size_t kBatch = 64;  // most messages a filter moves per pass
constexpr auto kTick = 10ms;        // the generator's pace

struct Msg {
  u64 seq = 0;       // 1, 2, 3, ... per shard (the generator)
  u64 lane_seq = 0;  // 1, 2, 3, ... per lane (the router)
  u64 value = 0;     // seq, then mixed once by every filter
};

// One filter's work on a value: cheap, and not the identity, so the user can check all K filters ran.
constexpr u64 mix(u64 x) noexcept {
  return x * 0x9E3779B97F4A7C15ULL + 1;
}
constexpr u64 mixed(u64 x, std::size_t times) noexcept {
  for (std::size_t i = 0; i < times; ++i) x = mix(x);
  return x;
}

// What one shard produced and received; written by its generator and user, read by main after the stop.
struct Tally {
  u64 in = 0;            // messages the generator sent
  u64 out = 0;           // messages the user received
  u64 order_errors = 0;  // a lane_seq that was not the next one (lost or repeated)
  u64 value_errors = 0;  // a value that did not go through exactly K filters
};

// The chaos actor's handle on the filters: one flag per filter, raised to make it fail once.
struct Faults {
  explicit Faults(std::size_t filters) : armed(filters) {}
  std::vector<std::atomic<bool>> armed;
  std::atomic<u64> injected{0};
  std::atomic<bool> stopping{false};  // set by the stopper: no new faults from now on
  std::atomic<u64> pending{0};        // faults thrown (or about to be) whose filter has not restarted yet
};

// ---- generator

inline void generate(steady::Tx<Msg>& out, u64 want, u64& next, Tally& tally) {
  const u64 n = std::min<u64>(want, out.vacant_units());
  for (u64 i = 0; i < n; ++i) (void)out.try_send(Msg{next + i, 0, next + i});  // room checked above
  next += n;
  tally.in += n;
}

inline steady::Task generator(steady::Context& ctx, steady::Tx<Msg>& out, u64 per_tick, Tally& tally) {
  u64 next = tally.in + 1;  // a restarted generator goes on where it stopped
  while (ctx.is_running()) {
    if (per_tick == 0) {
      co_await ctx.wait_vacant(out, 1);
      generate(out, out.capacity(), next, tally);
    } else {
      const steady::WaitResult r =
          co_await ctx.wait_periodic(kTick);                    // named: see docs/benchmarks.md (g++ 12)
      if (r.satisfied()) generate(out, per_tick, next, tally);  // what does not fit this tick is not made
    }
  }
}

// ---- router

struct RouterState {
  std::size_t lane = 0;                 // the lane the next message goes to
  std::array<u64, kFanOut> lane_seq{};  // messages dealt to each lane so far
};

inline void route(steady::Rx<Msg>& in, steady::TxBundle<Msg, kFanOut>& lanes, RouterState& s) {
  while (lanes[s.lane].vacant_units() > 0) {
    const auto m = in.try_take();
    if (!m) break;
    (void)lanes[s.lane].try_send(Msg{m->seq, ++s.lane_seq[s.lane], m->value});
    s.lane = (s.lane + 1) % kFanOut;
  }
}

inline steady::Task router(steady::Context& ctx, steady::Rx<Msg>& in, steady::TxBundle<Msg, kFanOut>& lanes,
                           RouterState& state) {
  auto drained = [&] {
    if (!in.is_closed_and_empty()) return false;
    for (auto& l : lanes) (void)l.mark_closed();
    return true;
  };
  while (ctx.is_running(drained)) {
    co_await ctx.wait_all(steady::avail(in, 1), steady::vacant(lanes[state.lane], 1));
    route(in, lanes, state);
    if (in.is_closed_and_empty()) co_return;
  }
}

// ---- filter

// Whether this filter fails in this batch: it was armed, and the stop has not begun. `pending` goes up before
// `stopping` is read and the stopper sets `stopping` before it reads `pending` (both sequentially
// consistent), so either this filter sees the stop and does not fail, or the stopper sees the pending fault
// and waits for its restart.
inline bool take_fault(std::atomic<bool>& armed, Faults& faults) {
  if (!armed.load(std::memory_order_relaxed) || !armed.exchange(false)) return false;
  faults.pending.fetch_add(1);
  if (!faults.stopping.load()) return true;
  faults.pending.fetch_sub(1);
  return false;
}

// One batch, peek-before-commit: a throw before send_slice leaves every input in place.
inline void filter_batch(steady::Rx<Msg>& in, steady::Tx<Msg>& out, std::atomic<bool>& armed,
                         Faults& faults) {
  const std::size_t room = static_cast<std::size_t>(std::min<u64>(out.vacant_units(), kBatch));
  const auto peeked = in.peek_slice(room);
  if (peeked.empty()) return;
  std::array<Msg, kBatch> buf;
  const bool fail = take_fault(armed, faults);
  for (std::size_t i = 0; i < peeked.size(); ++i) {
    if (fail && i == peeked.size() / 2) {
      faults.injected.fetch_add(1, std::memory_order_relaxed);
      throw std::runtime_error("injected fault (--fault-every)");
    }
    const Msg& m = peeked[i];
    buf[i] = Msg{m.seq, m.lane_seq, mix(m.value)};
  }
  const std::size_t sent = out.send_slice(std::span<const Msg>(buf.data(), peeked.size()));
  in.advance_take(sent);  // the commit
}

inline steady::Task filter(steady::Context& ctx, steady::Rx<Msg>& in, steady::Tx<Msg>& out,
                           std::atomic<bool>& armed, Faults& faults) {
  if (ctx.restarts() > 0)
    faults.pending.fetch_sub(1);  // this incarnation replaces one that failed on purpose
  while (ctx.is_running([&] { return in.is_closed_and_empty() && out.mark_closed(); })) {
    co_await ctx.wait_all(steady::avail(in, 1), steady::vacant(out, 1));
    filter_batch(in, out, armed, faults);
    if (in.is_closed_and_empty()) co_return;
  }
}

// ---- user

struct UserState {
  std::array<u64, kFanOut> expect{};  // the lane_seq each lane owes next, minus one
};

inline void use(steady::RxBundle<Msg, kFanOut>& lanes, std::size_t chain, UserState& s, Tally& tally) {
  for (std::size_t l = 0; l < kFanOut; ++l) {
    while (const auto m = lanes[l].try_take()) {
      if (m->lane_seq != ++s.expect[l]) {
        ++tally.order_errors;
        s.expect[l] = m->lane_seq;
      }
      if (m->value != mixed(m->seq, chain)) ++tally.value_errors;
      ++tally.out;
    }
  }
}

inline steady::Task user(steady::Context& ctx, steady::RxBundle<Msg, kFanOut>& lanes, std::size_t chain,
                         UserState& state, Tally& tally) {
  auto drained = [&] {
    for (auto& l : lanes)
      if (!l.is_closed_and_empty()) return false;
    return true;
  };
  while (ctx.is_running(drained)) {
    co_await ctx.wait_avail_any(lanes, 1);
    use(lanes, chain, state, tally);
    if (drained()) co_return;
  }
}

// ---- chaos and stopper

inline steady::Task chaos(steady::Context& ctx, std::chrono::milliseconds every, Faults& faults) {
  std::mt19937_64 rng(0x5EEDULL + ctx.restarts());
  while (ctx.is_running()) {
    const steady::WaitResult r = co_await ctx.wait_periodic(every);
    if (r.satisfied() && !faults.armed.empty() && !faults.stopping.load())
      faults.armed[rng() % faults.armed.size()].store(true);
  }
}

// `duration` 0 = no time limit; `signalled` is raised by main's SIGINT/SIGTERM handler.
inline steady::Task stopper(steady::Context& ctx, std::chrono::milliseconds duration,
                            std::atomic<bool>& signalled, Faults& faults) {
  const auto end = ctx.now() + (duration.count() > 0 ? duration : std::chrono::milliseconds(1LL << 40));
  while (!signalled.load() && ctx.now() < end) {
    const steady::WaitResult r = co_await ctx.wait_for(20ms);
    if (r.shutdown()) co_return;  // stopped from elsewhere
  }
  faults.stopping.store(true);
  for (int i = 0; i < 500 && faults.pending.load() != 0; ++i) {  // at most 5 s for the last restarts
    const steady::WaitResult r = co_await ctx.wait_for(10ms);
    if (r.shutdown()) co_return;
  }
  ctx.request_shutdown();
}

}  // namespace large_scale
