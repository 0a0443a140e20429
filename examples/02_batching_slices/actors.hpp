// examples/02_batching_slices/actors.hpp — moving messages a batch at a time, with copies and without (wired
// in main.cpp; unit-tested in tests/examples/02_batching_slices_test.cpp).
//
// generator  fills a local buffer and hands it over with send_slice (copy in, as many as fit).
// doubler    zero-copy: peek_slice shows the ready messages in place (two spans when the ring wraps) and
//            poke_slice the free slots of the output; it writes each result straight into the output ring,
//            publishes them with advance_send(n) and only then removes the inputs with advance_take(n)
//            (peek-before-commit).
// sink       take_slice moves up to a buffer's worth out of the channel in one call.
// Each actor makes one wait per pass for a whole batch, and the per-item loops are plain functions.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>

#include <steady/steady.hpp>

namespace batching_slices {

using u64 = std::uint64_t;
constexpr std::size_t kBatch = 64;
constexpr u64 kCapacity = 4 * kBatch;  // capacity ≥ 2 × batch lets producer and consumer overlap

// ---- generator: send_slice

// Fill `buf` with the next numbers (up to `left` of them); returns how many.
inline std::size_t fill_numbers(std::span<u64> buf, u64 first, u64 left) {
  const std::size_t n = std::min<u64>(buf.size(), left);
  for (std::size_t i = 0; i < n; ++i) buf[i] = first + i;
  return n;
}

// Sends 1..last, a batch per pass.
inline steady::Task generate(steady::Context& ctx, steady::Tx<u64>& out, u64 last) {
  std::array<u64, kBatch> buf{};
  u64 next = 1;
  while (next <= last && ctx.is_running()) {
    co_await ctx.wait_vacant(out, kBatch);  // room for a whole batch
    const std::size_t n = fill_numbers(buf, next, last - next + 1);
    next += out.send_slice(std::span<const u64>(buf.data(), n));  // copies as many as fit, returns how many
  }
}

// ---- doubler: peek_slice / poke_slice, zero-copy both ways

// Read ready inputs in place, write results in place; returns how many it moved. Nothing is removed from `in`
// until the results are published: if this threw half way, the inputs would still be there for a restart.
inline std::size_t double_in_place(steady::Rx<u64>& in, steady::Tx<u64>& out) {
  const steady::SlicePair<const u64> src = in.peek_slice(kBatch);  // up to kBatch ready ones, oldest first
  const steady::SlicePair<u64> dst = out.poke_slice(src.size());   // as many free output slots
  const std::size_t n = std::min(src.size(), dst.size());
  for (std::size_t i = 0; i < n; ++i) dst[i] = 2 * src[i];  // operator[] hides the wrap-around
  out.advance_send(n);                                      // publish the results...
  in.advance_take(n);                                       // ...then let go of the inputs
  return n;
}

inline steady::Task doubler(steady::Context& ctx, steady::Rx<u64>& in, steady::Tx<u64>& out) {
  while (ctx.is_running([&] { return in.is_closed_and_empty() && out.mark_closed(); })) {
    // One consolidated wait: a batch to read AND room to write it (a closed input also satisfies the first).
    co_await ctx.wait_all(steady::avail(in, kBatch), steady::vacant(out, kBatch));
    double_in_place(in, out);
    if (in.is_closed_and_empty()) break;  // returning closes `out` for us
  }
}

// ---- sink: take_slice

struct Check {
  u64 count = 0;
  u64 sum = 0;
  u64 batches = 0;
  bool in_order = true;  // the n-th message was 2 × n
};

inline void check_batch(std::span<const u64> got, Check& c) {
  for (u64 v : got) {
    c.in_order &= (v == 2 * (c.count + 1));
    ++c.count;
    c.sum += v;
  }
  ++c.batches;
}

inline steady::Task sink(steady::Context& ctx, steady::Rx<u64>& in, Check& check) {
  std::array<u64, kBatch> buf{};
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    co_await ctx.wait_avail(in, kBatch);
    if (const std::size_t n = in.take_slice(buf); n != 0)
      check_batch(std::span<const u64>(buf.data(), n), check);
    if (in.is_closed_and_empty()) break;
  }
}

}  // namespace batching_slices
