// examples/demo/actors.hpp — the actors of steady_demo, a small FizzBuzz service (wired in main.cpp;
// unit-tested in tests/examples/demo_test.cpp).
//
// counter   sends 1, 2, 3, ... at a paced rate: every tick one batch, written in place.
// random    sends a burst of pseudo-random numbers every 20 ms (about 5000 a second, batches of 0..200).
// fizzbuzz  turns every number from either input into a FizzBuzz message (number / fizz / buzz / fizzbuzz),
//           zero-copy from input ring to output ring.
// printer   wakes once a second, tallies everything that arrived and prints one summary line; at the end a
//           final line, and it throws if the counter's numbers arrived out of order.
// stopper   waits --duration, then asks the graph to stop.
//
// Stopping: producers agree at once (their outputs close), fizzbuzz and printer veto until their inputs are
// drained, so every number sent is classified and counted.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <span>
#include <stdexcept>
#include <string>

#include <steady/ops.hpp>
#include <steady/steady.hpp>

namespace demo {

using u64 = std::uint64_t;
using namespace std::chrono_literals;

// ---------------------------------------------------------------- messages

enum class Kind : std::uint8_t { number, fizz, buzz, fizzbuzz };
enum class Source : std::uint8_t { counter, random };

struct FizzBuzz {  // trivially copyable, so it can be written straight into a channel's slots (poke_slice)
  u64 value;
  Kind kind;
  Source source;
};

constexpr Kind kind_of(u64 n) noexcept {
  if (n % 15 == 0) return Kind::fizzbuzz;
  if (n % 3 == 0) return Kind::fizz;
  if (n % 5 == 0) return Kind::buzz;
  return Kind::number;
}

// ---------------------------------------------------------------- settings shared by main and the actors

struct Pace {
  std::chrono::milliseconds tick;
  u64 per_tick;
};

constexpr Pace kRandomPace{20ms, 100};  // average per tick; each burst is 0..2×average
constexpr std::size_t kCombineBatch = 256;

// ---------------------------------------------------------------- counter

// Write `n` consecutive numbers from `first` straight into the channel's free slots; returns how many it
// wrote.
inline u64 emit_counts(steady::Tx<u64>& out, u64 first, u64 n) {
  const steady::SlicePair<u64> slots = out.poke_slice(n);
  for (std::size_t i = 0; i < slots.size(); ++i) slots[i] = first + i;
  out.advance_send(slots.size());
  return slots.size();
}

inline steady::Task counter(steady::Context& ctx, steady::Tx<u64>& out, Pace pace) {
  u64 next = 1;
  while (ctx.is_running()) {
    // Next 10 ms boundary (compensating for the time this pass took) and room for the whole batch.
    const steady::WaitResult r =
        co_await ctx.wait_all(steady::periodic(pace.tick), steady::vacant(out, pace.per_tick));
    if (r.satisfied()) next += emit_counts(out, next, pace.per_tick);
  }
}

// ---------------------------------------------------------------- random

inline u64 xorshift(u64& s) noexcept {  // xorshift64*: small, fast, good enough for a demo
  s ^= s >> 12;
  s ^= s << 25;
  s ^= s >> 27;
  return s * 0x2545F4914F6CDD1DULL;
}

inline u64 emit_random(steady::Tx<u64>& out, u64& state, u64 n) {
  std::array<u64, 2 * kRandomPace.per_tick> buf{};
  n = std::min<u64>(n, buf.size());
  for (u64 i = 0; i < n; ++i) buf[i] = 1 + xorshift(state) % 1'000'000;
  return out.send_slice(std::span<const u64>(buf.data(), n));
}

// `state` is stored with the actor by the graph, so a restarted incarnation would carry on the same sequence.
inline steady::Task random_numbers(steady::Context& ctx, steady::Tx<u64>& out, u64& state) {
  while (ctx.is_running()) {
    const steady::WaitResult r = co_await ctx.wait_all(steady::periodic(kRandomPace.tick),
                                                       steady::vacant(out, 2 * kRandomPace.per_tick));
    if (r.satisfied()) (void)emit_random(out, state, xorshift(state) % (2 * kRandomPace.per_tick + 1));
  }
}

// ---------------------------------------------------------------- fizzbuzz

// Classify what is ready on `in` into free slots of `out`, zero-copy on both sides; returns how many.
inline std::size_t classify(steady::Rx<u64>& in, steady::Tx<FizzBuzz>& out, Source source) {
  const steady::SlicePair<const u64> numbers = in.peek_slice(kCombineBatch);
  const steady::SlicePair<FizzBuzz> slots = out.poke_slice(numbers.size());
  const std::size_t n = std::min(numbers.size(), slots.size());
  for (std::size_t i = 0; i < n; ++i) slots[i] = FizzBuzz{numbers[i], kind_of(numbers[i]), source};
  out.advance_send(n);  // publish the results first...
  in.advance_take(n);   // ...then release the inputs (peek-before-commit)
  return n;
}

inline steady::Task fizzbuzz(steady::Context& ctx, steady::Rx<u64>& counted, steady::Rx<u64>& random,
                             steady::Tx<FizzBuzz>& out) {
  while (ctx.is_running([&] { return steady::drained(counted, random); })) {
    // Something on either input (a closed input counts, so the end is noticed)...
    co_await ctx.wait_any(steady::avail(counted, 1), steady::avail(random, 1));
    // ...and room for a batch of results. Waits do not nest ("(a or b) and c"), so this is a second wait.
    co_await ctx.wait_vacant(out, kCombineBatch);
    classify(counted, out, Source::counter);
    classify(random, out, Source::random);
    if (counted.is_closed_and_empty() && random.is_closed_and_empty()) break;  // returning closes `out`
  }
}

// ---------------------------------------------------------------- printer

struct Summary {
  std::array<u64, 4> per_kind{};  // indexed by Kind
  std::array<u64, 2> per_source{};
  u64 total = 0;
  u64 counter_next = 1;  // the counter's numbers must arrive in order, none missing
  bool counter_in_order = true;
  // for the rate
  u64 total_at_last_line = 0;
  std::chrono::steady_clock::time_point last_line_at{};
  int lines = 0;
};

inline void tally_batch(const steady::SlicePair<const FizzBuzz>& batch, Summary& s) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const FizzBuzz& m = batch[i];
    ++s.per_kind[static_cast<std::size_t>(m.kind)];
    ++s.per_source[static_cast<std::size_t>(m.source)];
    if (m.source == Source::counter) {
      s.counter_in_order &= (m.value == s.counter_next);
      s.counter_next = m.value + 1;
    }
  }
  s.total += batch.size();
}

inline void tally_all(steady::Rx<FizzBuzz>& in, Summary& s) {
  for (;;) {
    const steady::SlicePair<const FizzBuzz> batch = in.peek_slice(4096);
    if (batch.empty()) return;
    tally_batch(batch, s);
    in.advance_take(batch.size());
  }
}

inline std::string counts(const Summary& s) {
  auto u = [](u64 v) { return std::to_string(v); };
  return "number " + u(s.per_kind[0]) + "  fizz " + u(s.per_kind[1]) + "  buzz " + u(s.per_kind[2]) +
         "  fizzbuzz " + u(s.per_kind[3]) + " | from counter " + u(s.per_source[0]) + ", random " +
         u(s.per_source[1]);
}

inline void print_summary(Summary& s, std::chrono::steady_clock::time_point now) {
  const double secs = std::chrono::duration<double>(now - s.last_line_at).count();
  const double rate = secs > 0 ? static_cast<double>(s.total - s.total_at_last_line) / secs : 0.0;
  ++s.lines;
  std::printf("summary %3ds: %llu results, %.0f/s | %s\n", s.lines, static_cast<unsigned long long>(s.total),
              rate, counts(s).c_str());
  std::fflush(stdout);  // one line per second, visible at once even when stdout is a file or a pipe
  s.total_at_last_line = s.total;
  s.last_line_at = now;
}

inline steady::Task printer(steady::Context& ctx, steady::Rx<FizzBuzz>& in) {
  Summary summary;
  summary.last_line_at = ctx.now();
  while (ctx.is_running([&] { return steady::drained(in); })) {
    const steady::WaitResult r = co_await ctx.wait_periodic(1s);  // a stop cuts the wait short
    tally_all(in, summary);
    if (r.satisfied()) print_summary(summary, ctx.now());
  }
  tally_all(in, summary);
  std::printf("final: %llu results | %s | counter sequence %s\n",
              static_cast<unsigned long long>(summary.total), counts(summary).c_str(),
              summary.counter_in_order ? "intact" : "BROKEN");
  std::fflush(stdout);
  if (!summary.counter_in_order) throw std::runtime_error("the counter's numbers arrived out of order");
}

// ---------------------------------------------------------------- stopper (--duration)

inline steady::Task stop_after(steady::Context& ctx, std::chrono::milliseconds duration) {
  const steady::WaitResult r = co_await ctx.wait_for(duration);  // a Ctrl-C before then cuts it short
  if (r.satisfied()) {
    steady::ops::info("--duration of " + std::to_string(duration.count()) + " ms is over, stopping");
    ctx.request_shutdown();
  }
}

}  // namespace demo
