// steady/actors/rate_limiter.hpp — pass messages on at most `per_second` on average, in bursts of at most
// `burst` (a token bucket; target steady::actors).
//
//   steady::actors::RateLimiter<Request> limit({.per_second = 200, .burst = 20});
//   graph.actor("limit").run(limit, std::move(requests_rx), std::move(limited_tx));
//
// The bucket holds up to `burst` tokens and starts full; it refills at `per_second` tokens per second of the
// graph's clock (virtual time in a virtual-time testing graph, which makes the accounting exact in tests).
// Passing a message uses one token. When the bucket is empty the actor sleeps on a timer until the next token
// is due — no busy loop — and messages wait in its input channel (backpressure, nothing is dropped). So over
// any interval of length t the actor passes at most burst + per_second * t messages. stats().tokens_granted
// counts every token the bucket has produced, including the initial burst: passed never exceeds it.
//
// The actor returns once its input is closed and drained. Telemetry counters: passed, throttled (times it had
// to wait for a token).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>

#include <steady/actors/detail/tally.hpp>
#include <steady/channel.hpp>
#include <steady/context.hpp>
#include <steady/task.hpp>

namespace steady::actors {

struct RateLimiterOptions {
  double per_second = 100;  // sustained rate (must be > 0)
  std::uint64_t burst = 1;  // bucket size: messages that may pass back to back (at least 1)
  std::size_t batch = 64;   // messages moved per pass at most
};

struct RateLimiterStats {
  std::uint64_t passed = 0;
  std::uint64_t throttled = 0;       // waits for a token
  std::uint64_t tokens_granted = 0;  // tokens the bucket produced so far (the initial burst included)
};

template <class T>
class RateLimiter {
 public:
  explicit RateLimiter(RateLimiterOptions options) : shared_(std::make_shared<Shared>(options)) {}
  // The actor function: graph.actor("limit").run(limiter, std::move(rx), std::move(tx)).
  Task operator()(Context& ctx, Rx<T>& in, Tx<T>& out) const { return run(ctx, in, out, shared_); }
  [[nodiscard]] RateLimiterStats stats() const noexcept {
    return {shared_->passed.load(std::memory_order_relaxed),
            shared_->throttled.load(std::memory_order_relaxed),
            shared_->granted.load(std::memory_order_relaxed)};
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Shared {
    explicit Shared(RateLimiterOptions o) : options(o) {}
    const RateLimiterOptions options;
    // The bucket, kept across restarts (owner thread only): whole tokens plus the time the next one is due.
    bool started = false;
    std::uint64_t tokens = 0;
    Clock::time_point next_token{};
    std::atomic<std::uint64_t> passed{0}, throttled{0}, granted{0};
  };
  // Refill: one token per interval since next_token, capped at burst. Integer accounting on the clock's
  // ticks, so no rounding accumulates.
  static void refill(Shared& sh, Clock::time_point now, std::chrono::nanoseconds interval,
                     std::uint64_t burst) {
    if (sh.tokens >= burst) {
      sh.next_token = std::max(sh.next_token, now + interval);  // a full bucket does not bank time
      return;
    }
    if (now < sh.next_token) return;
    const auto due = static_cast<std::uint64_t>((now - sh.next_token) / interval) + 1;
    const std::uint64_t add = std::min(due, burst - sh.tokens);
    sh.tokens += add;
    sh.granted.fetch_add(add, std::memory_order_relaxed);
    sh.next_token =
        sh.tokens >= burst ? now + interval : sh.next_token + interval * static_cast<std::int64_t>(due);
  }
  static std::size_t move_some(Rx<T>& in, Tx<T>& out, std::size_t n) {
    std::size_t moved = 0;
    for (; moved < n; ++moved) {
      auto v = in.try_take();
      if (!v) break;
      if (!out.try_send(std::move(*v)).sent())  // room was checked before: only a gone consumer gets here
        throw std::runtime_error("rate_limiter: the output channel '" + out.name() +
                                 "' has no consumer any more; a message was lost");
    }
    return moved;
  }
  static Task run(Context& ctx, Rx<T>& in, Tx<T>& out, std::shared_ptr<Shared> sh) {
    const RateLimiterOptions& o = sh->options;
    const double rate = o.per_second > 0 ? o.per_second : 1.0;
    const auto interval =
        std::max(std::chrono::nanoseconds(1),
                 std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(1e9 / rate))));
    const std::uint64_t burst = std::max<std::uint64_t>(1, o.burst);
    detail::Tally passed(ctx, "passed", sh->passed);
    detail::Tally throttled(ctx, "throttled", sh->throttled);
    if (!sh->started) {
      sh->started = true;
      sh->tokens = burst;
      sh->granted.fetch_add(burst, std::memory_order_relaxed);
      sh->next_token = ctx.now() + interval;
    }
    while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
      (void)co_await ctx.wait_all(avail(in, 1), vacant(out, 1));
      if (in.is_closed_and_empty()) co_return;
      refill(*sh, ctx.now(), interval, burst);
      if (sh->tokens == 0) {
        throttled.add();
        (void)co_await ctx.wait_for(std::max(std::chrono::nanoseconds(0), sh->next_token - ctx.now()));
        continue;
      }
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(
          {sh->tokens, in.avail_units(), out.vacant_units(), std::max<std::size_t>(1, o.batch)}));
      const std::size_t moved = move_some(in, out, want);
      sh->tokens -= moved;
      passed.add(moved);
    }
  }
  std::shared_ptr<Shared> shared_;
};

}  // namespace steady::actors
