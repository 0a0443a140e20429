// tests/property/actors.hpp — the actors the property tests wire into random graphs, and the ledgers they keep.
//
// Every message is a Msg{source, seq}: source i numbers its messages 0, 1, 2, ... The inner actors forward them
// unchanged with peek-before-commit (peek a batch, copy it, send it, advance past what was sent), so a fault at any
// point before the send leaves the input untouched and the next incarnation sees the same messages again. Sinks
// write each message into a Ledger (a count per source and sequence number, and the last sequence number seen per
// source), which the test reads after the graph stopped.
//
//   source   sends its numbers in batches of up to `batch`, waiting for `out_p` free slots
//   relay    wait_all(avail(in, in_q), vacant(out, out_p)), then forwards up to `batch`
//   split<W> keyed: lane = source % W, message by message in order (the order of each source is kept);
//            any-lane: wait_vacant_any, then a batch to the lane with room (the order is not kept)
//   merge<W> wait_vacant(out), then wait_avail_any over the lanes, a batch from the ready lane (as example 04 does)
//   sink     records a batch in its Ledger, then advances
//
// Wait thresholds. A channel of capacity c whose producer waits for p free slots and whose consumer waits for q
// messages can leave both waiting (the consumer sees k < q, the producer c − k < p) only if p + q ≥ c + 2, so the
// generator keeps p + q ≤ c + 1 on every channel: the graph cannot deadlock by design, and a hang is the runtime's.
//
// Faults. With Faults::one_in > 0 each actor rolls a die at three points of every pass — before its wait, after
// it, and after peeking but before the commit (send + advance) — and throws on about one roll in `one_in`. The
// commit itself never throws, which is the contract peek-before-commit needs.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <steady/steady.hpp>

namespace steady::property {

struct Msg {
  std::uint32_t source = 0;
  std::uint32_t pad = 0;
  std::uint64_t seq = 0;
};

inline constexpr std::size_t kMaxBatch = 64;

// What one run shares between its actors and the test.
struct Run {
  std::uint64_t seed = 0;
  std::uint32_t fault_one_in = 0;          // 0 = no faults
  std::atomic<std::uint64_t> injected{0};  // faults thrown
  std::atomic<std::uint64_t> delivered{0};  // messages recorded by all sinks (the test polls it for early stops)
};

// Per-actor settings, chosen by the generator.
struct Knobs {
  std::shared_ptr<Run> run;
  std::size_t batch = 1;     // at most this many messages per pass (1..kMaxBatch)
  std::uint64_t in_q = 1;    // wait for this many messages on the input
  std::uint64_t out_p = 1;   // wait for this many free slots on the output
};

// A source's progress. Lives outside the actor so a restarted source goes on where the failed one stopped.
struct SourceLog {
  std::uint32_t id = 0;
  std::uint64_t total = 0;  // messages to send
  std::uint64_t sent = 0;   // messages sent so far (committed)
};

// What one sink saw. Written only by the sink's actor; read by the test after the graph stopped.
struct Ledger {
  explicit Ledger(const std::vector<std::uint64_t>& totals) {
    for (const auto t : totals) count.emplace_back(t, 0);
    last.assign(totals.size(), -1);
  }
  std::vector<std::vector<std::uint8_t>> count;  // [source][seq]: how often it arrived (saturates at 255)
  std::vector<std::int64_t> last;                // [source]: last sequence number seen
  std::uint64_t out_of_order = 0;                // a source's number not above the last one of that source
  std::uint64_t unknown = 0;                     // a source or sequence number that was never sent

  void record(const Msg& m) noexcept {
    if (m.source >= count.size() || m.seq >= count[m.source].size()) {
      ++unknown;
      return;
    }
    auto& c = count[m.source][m.seq];
    if (c != 255) ++c;
    if (static_cast<std::int64_t>(m.seq) <= last[m.source]) ++out_of_order;
    last[m.source] = static_cast<std::int64_t>(m.seq);
  }
};

// The fault die of one incarnation: seeded by the run, the actor and its restart count, so a seed replays the
// same faults as far as thread timing lets it.
class Dice {
 public:
  Dice(const Knobs& k, const Context& ctx)
      : run_(*k.run), rng_(k.run->seed * 0x9E3779B97F4A7C15ull ^ std::hash<std::string>{}(ctx.full_name()) ^
                           (ctx.restarts() << 32)) {}
  // Throws on about one call in Run::fault_one_in (never when faults are off).
  void roll(const char* where) {
    if (run_.fault_one_in == 0 || rng_() % run_.fault_one_in != 0) return;
    run_.injected.fetch_add(1, std::memory_order_relaxed);
    throw std::runtime_error(std::string("injected fault ") + where);
  }
  // A random index below n, for a fault part-way through copying a batch.
  std::size_t pick(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng_() % n); }

 private:
  Run& run_;
  std::mt19937_64 rng_;
};

// Copy `n` peeked messages into `buf`; the die may throw part-way through (the input is still untouched).
template <class Peeked>
void copy_batch(const Peeked& peeked, std::array<Msg, kMaxBatch>& buf, Dice& dice) {
  const std::size_t fault_at = dice.pick(peeked.size());
  for (std::size_t i = 0; i < peeked.size(); ++i) {
    if (i == fault_at) dice.roll("after peeking, before the commit");
    buf[i] = peeked[i];
  }
}

inline Task source(Context& ctx, Tx<Msg>& out, Knobs& k, std::shared_ptr<SourceLog>& log) {
  Dice dice(k, ctx);
  std::array<Msg, kMaxBatch> buf;
  while (log->sent < log->total && ctx.is_running()) {
    dice.roll("before the wait");
    if (const WaitResult w = co_await ctx.wait_vacant(out, k.out_p); !w.satisfied()) continue;
    dice.roll("after the wait");
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>({k.batch, log->total - log->sent,
                                                                     out.vacant_units()}));
    for (std::size_t i = 0; i < n; ++i) buf[i] = Msg{log->id, 0, log->sent + i};
    dice.roll("before the send");
    log->sent += out.send_slice(std::span<const Msg>(buf.data(), n));
  }
}

inline Task relay(Context& ctx, Rx<Msg>& in, Tx<Msg>& out, Knobs& k) {
  Dice dice(k, ctx);
  std::array<Msg, kMaxBatch> buf;
  while (ctx.is_running([&] { return in.is_closed_and_empty() && out.mark_closed(); })) {
    dice.roll("before the wait");
    if (const WaitResult w = co_await ctx.wait_all(avail(in, k.in_q), vacant(out, k.out_p)); !w.satisfied()) continue;
    if (in.is_closed_and_empty()) co_return;
    dice.roll("after the wait");
    const auto peeked = in.peek_slice(std::min<std::uint64_t>(k.batch, out.vacant_units()));
    copy_batch(peeked, buf, dice);
    in.advance_take(out.send_slice(std::span<const Msg>(buf.data(), peeked.size())));
  }
}

enum class Routing { keyed, any_lane };

template <std::size_t W>
Task split(Context& ctx, Rx<Msg>& in, TxBundle<Msg, W>& out, Knobs& k, Routing routing) {
  Dice dice(k, ctx);
  std::array<Msg, kMaxBatch> buf;
  auto close_all = [&] {
    for (auto& tx : out) tx.mark_closed();
    return true;
  };
  while (ctx.is_running([&] { return in.is_closed_and_empty() && close_all(); })) {
    dice.roll("before the wait");
    if (routing == Routing::keyed) {
      if (const WaitResult w = co_await ctx.wait_avail(in, k.in_q); !w.satisfied()) continue;
      if (in.is_closed_and_empty()) co_return;
      dice.roll("after the wait");
      const auto peeked = in.peek_slice(k.batch);
      dice.roll("after peeking, before the commit");
      std::size_t done = 0;
      std::size_t blocked = W;
      for (; done < peeked.size(); ++done) {  // in order; stop at the first message whose lane is full
        const std::size_t lane = peeked[done].source % W;
        if (!out[lane].try_send(peeked[done]).sent()) {
          blocked = lane;
          break;
        }
      }
      in.advance_take(done);
      if (blocked != W) {
        const WaitResult w = co_await ctx.wait_vacant(out[blocked], k.out_p);
        (void)w;  // satisfied or not, the loop looks again
      }  // the loop looks again either way
    } else {
      const WaitResult r = co_await ctx.wait_vacant_any(out, k.out_p);
      if (!r.satisfied()) continue;
      if (const WaitResult w = co_await ctx.wait_avail(in, k.in_q); !w.satisfied()) continue;
      if (in.is_closed_and_empty()) co_return;
      dice.roll("after the wait");
      const auto peeked = in.peek_slice(std::min<std::uint64_t>(k.batch, out[r.lane].vacant_units()));
      copy_batch(peeked, buf, dice);
      in.advance_take(out[r.lane].send_slice(std::span<const Msg>(buf.data(), peeked.size())));
    }
  }
}

template <std::size_t W>
Task merge(Context& ctx, RxBundle<Msg, W>& in, Tx<Msg>& out, Knobs& k) {
  Dice dice(k, ctx);
  std::array<Msg, kMaxBatch> buf;
  auto first_open = [&]() -> std::size_t {
    for (std::size_t i = 0; i < W; ++i)
      if (!in[i].is_closed_and_empty()) return i;
    return W;
  };
  while (ctx.is_running([&] { return first_open() == W && out.mark_closed(); })) {
    dice.roll("before the wait");
    if (const WaitResult w = co_await ctx.wait_vacant(out, k.out_p); !w.satisfied()) continue;
    const WaitResult r = co_await ctx.wait_avail_any(in, k.in_q);
    if (!r.satisfied()) continue;
    const std::size_t open = first_open();
    if (open == W) co_return;
    std::size_t lane = r.lane;
    if (in[lane].is_closed_and_empty()) {  // a closed lane counts as ready: wait for one that is still open
      lane = open;
      if (const WaitResult w = co_await ctx.wait_avail(in[lane], k.in_q); !w.satisfied()) continue;
    }
    dice.roll("after the wait");
    const auto peeked = in[lane].peek_slice(std::min<std::uint64_t>(k.batch, out.vacant_units()));
    copy_batch(peeked, buf, dice);
    in[lane].advance_take(out.send_slice(std::span<const Msg>(buf.data(), peeked.size())));
  }
}

inline Task sink(Context& ctx, Rx<Msg>& in, Knobs& k, std::shared_ptr<Ledger>& ledger) {
  Dice dice(k, ctx);
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    dice.roll("before the wait");
    if (const WaitResult w = co_await ctx.wait_avail(in, k.in_q); !w.satisfied()) continue;
    if (in.is_closed_and_empty()) co_return;
    dice.roll("after the wait");
    const auto peeked = in.peek_slice(k.batch);
    dice.roll("after peeking, before the commit");
    for (std::size_t i = 0; i < peeked.size(); ++i) ledger->record(peeked[i]);  // the commit: cannot throw
    in.advance_take(peeked.size());
    k.run->delivered.fetch_add(peeked.size(), std::memory_order_relaxed);
  }
}

}  // namespace steady::property
