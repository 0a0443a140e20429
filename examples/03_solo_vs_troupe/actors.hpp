// examples/03_solo_vs_troupe/actors.hpp — three actors that do not know where they run (placed solo and as a
// troupe in main.cpp; unit-tested in tests/examples/03_solo_vs_troupe_test.cpp).
//
//   source --a--> relay --b--> sink
//
// source  sends 1..last a batch at a time; returning closes its output.
// relay   moves each ready batch from its input to its output; agrees to stop once its input is drained.
// sink    checks that the numbers arrive as 1, 2, 3, ... with none missing.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>

#include <steady/steady.hpp>

namespace solo_vs_troupe {

using u64 = std::uint64_t;
constexpr std::size_t kBatch = 64;

// Fill `buf` with the next numbers (up to `left` of them); returns how many.
inline std::size_t fill(std::span<u64> buf, u64 first, u64 left) {
  const std::size_t n = std::min<u64>(buf.size(), left);
  for (std::size_t i = 0; i < n; ++i) buf[i] = first + i;
  return n;
}

inline steady::Task source(steady::Context& ctx, steady::Tx<u64>& out, u64 last) {
  std::array<u64, kBatch> buf{};
  u64 next = 1;
  while (next <= last && ctx.is_running()) {
    co_await ctx.wait_vacant(out, kBatch);
    next += out.send_slice(std::span<const u64>(buf.data(), fill(buf, next, last - next + 1)));
  }
}

// Move one batch from `in` to `out` (the wait guaranteed room for it); returns how many.
inline std::size_t pass_batch(steady::Rx<u64>& in, steady::Tx<u64>& out, std::span<u64> buf) {
  const std::size_t n = in.take_slice(buf);
  return out.send_slice(std::span<const u64>(buf.data(), n));
}

inline steady::Task relay(steady::Context& ctx, steady::Rx<u64>& in, steady::Tx<u64>& out) {
  std::array<u64, kBatch> buf{};
  while (ctx.is_running([&] { return in.is_closed_and_empty() && out.mark_closed(); })) {
    co_await ctx.wait_all(steady::avail(in, kBatch), steady::vacant(out, kBatch));
    (void)pass_batch(in, out, buf);
    if (in.is_closed_and_empty()) break;
  }
}

struct Check {
  u64 count = 0;
  bool in_order = true;  // the n-th number was n
};

inline void check_batch(std::span<const u64> got, Check& c) {
  for (u64 v : got) c.in_order &= (v == ++c.count);
}

inline steady::Task sink(steady::Context& ctx, steady::Rx<u64>& in, Check& check) {
  std::array<u64, kBatch> buf{};
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    co_await ctx.wait_avail(in, kBatch);
    check_batch(std::span<const u64>(buf.data(), in.take_slice(buf)), check);
    if (in.is_closed_and_empty()) break;
  }
}

}  // namespace solo_vs_troupe
