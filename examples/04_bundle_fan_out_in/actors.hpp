// examples/04_bundle_fan_out_in/actors.hpp — fan out over a bundle of channels and fan back in (wired in
// main.cpp; unit-tested in tests/examples/04_bundle_fan_out_in_test.cpp).
//
// splitter  waits with wait_vacant_any (any lane with room for a batch) and sends the next batch to the lane
// it
//           got back, so a slow worker simply gets less.
// worker    squares the numbers of its lane.
// merger    waits with wait_avail_any and takes from the lane that is ready; lanes are tried round-robin, so
//           no lane starves.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <tuple>

#include <steady/steady.hpp>

namespace bundle_fan_out_in {

using u64 = std::uint64_t;
constexpr std::size_t kLanes = 4;
constexpr std::size_t kBatch = 32;

struct Squared {  // what a worker sends back
  u64 n;
  u64 square;
};

// ---- splitter: fan out over a TxBundle

// Fill `buf` with the next numbers (up to `left` of them); returns how many.
inline std::size_t fill(std::span<u64> buf, u64 first, u64 left) {
  const std::size_t n = std::min<u64>(buf.size(), left);
  for (std::size_t i = 0; i < n; ++i) buf[i] = first + i;
  return n;
}

// Sends 1..last, each batch to a lane with room. Returning closes every lane of the bundle for us.
inline steady::Task splitter(steady::Context& ctx, steady::TxBundle<u64, kLanes>& lanes, u64 last) {
  std::array<u64, kBatch> buf{};
  u64 next = 1;
  while (next <= last && ctx.is_running()) {
    const steady::WaitResult r = co_await ctx.wait_vacant_any(lanes, kBatch);  // r.lane: a lane with room
    if (!r.satisfied()) continue;                                              // shutdown: vote again
    next += lanes[r.lane].send_slice(std::span<const u64>(buf.data(), fill(buf, next, last - next + 1)));
  }
}

// ---- workers: one lane in, one lane out

// Square one batch from `in` into `out` (the wait guaranteed room); returns how many.
inline std::size_t square_batch(steady::Rx<u64>& in, steady::Tx<Squared>& out) {
  std::array<u64, kBatch> buf{};
  const std::size_t n = in.take_slice(buf);
  for (std::size_t i = 0; i < n; ++i) (void)out.try_send(Squared{buf[i], buf[i] * buf[i]});
  return n;
}

inline steady::Task worker(steady::Context& ctx, steady::Rx<u64>& in, steady::Tx<Squared>& out,
                           u64& processed) {
  while (ctx.is_running([&] { return steady::drained(in); })) {
    co_await ctx.wait_all(steady::avail(in, kBatch), steady::vacant(out, kBatch));
    processed += square_batch(in, out);
    if (in.is_closed_and_empty()) break;
  }
}

// ---- merger: fan in from an RxBundle

struct Tally {
  std::array<u64, kLanes> per_lane{};
  u64 count = 0;
  u64 sum = 0;  // of the n's
  bool squares_right = true;
};

// Take everything ready on one lane, zero-copy.
inline void merge_lane(steady::Rx<Squared>& in, std::size_t lane, Tally& t) {
  const steady::SlicePair<const Squared> got = in.peek_slice();
  for (std::size_t i = 0; i < got.size(); ++i) {
    t.squares_right &= (got[i].square == got[i].n * got[i].n);
    t.sum += got[i].n;
  }
  t.per_lane[lane] += got.size();
  t.count += got.size();
  in.advance_take(got.size());
}

// The first lane that may still deliver something (kLanes when none).
inline std::size_t first_open_lane(steady::RxBundle<Squared, kLanes>& lanes) {
  for (std::size_t i = 0; i < kLanes; ++i)
    if (!lanes[i].is_closed_and_empty()) return i;
  return kLanes;
}

inline steady::Task merger(steady::Context& ctx, steady::RxBundle<Squared, kLanes>& lanes, Tally& tally) {
  // drained() takes channels one by one; std::apply spreads the bundle into it.
  auto all_drained = [&] { return std::apply([](auto&... rx) { return steady::drained(rx...); }, lanes); };
  while (ctx.is_running(all_drained)) {
    const steady::WaitResult r = co_await ctx.wait_avail_any(lanes, kBatch);  // r.lane: a lane with a batch
    if (r.satisfied()) merge_lane(lanes[r.lane], r.lane, tally);
    const std::size_t open = first_open_lane(lanes);
    if (open == kLanes) break;  // every lane closed and empty: done
    // A closed lane counts as ready (so you notice it closed), which would make wait_avail_any return at once
    // on every pass while the other lanes finish. Wait on a lane that is still open instead.
    if (r.satisfied() && lanes[r.lane].is_closed_and_empty()) co_await ctx.wait_avail(lanes[open], kBatch);
  }
}

}  // namespace bundle_fan_out_in
