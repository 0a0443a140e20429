// steady/actors/batcher.hpp — group messages into batches (Batcher: T → std::vector<T>) and split batches
// back into messages (Unbatcher: std::vector<T> → T). Target steady::actors.
//
//   steady::actors::Batcher<Event> batch({.max_items = 100, .max_delay = std::chrono::milliseconds(50)});
//   graph.actor("batch").run(batch, std::move(events_rx), std::move(batches_tx));   // Tx<std::vector<Event>>
//   steady::actors::Unbatcher<Event> unbatch({});
//   graph.actor("unbatch").run(unbatch, std::move(batches_rx), std::move(events_tx));
//
// Batcher. A batch is sent when it holds max_items messages, or when max_delay has passed since its first
// message arrived (on the graph's clock, so a virtual-time test sees the exact flush), or when the input is
// closed. It never sends an empty batch. While its output is full it keeps the batch and stops taking input
// (backpressure). The batch being filled is kept in the actor object, so a restarted incarnation (after an
// exception) goes on with it: nothing it took is lost. Telemetry counters: batches, items, flushed_full,
// flushed_by_delay.
//
// Unbatcher. Sends each message of each batch, in order; a batch it took is kept in the actor object until
// every message of it is sent. Telemetry counters: batches, items.
//
// Both return once their input is closed and drained and everything they hold is sent.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include <steady/actors/detail/tally.hpp>
#include <steady/channel.hpp>
#include <steady/context.hpp>
#include <steady/task.hpp>

namespace steady::actors {

struct BatcherOptions {
  std::size_t max_items = 64;                // messages per batch at most (at least 1)
  std::chrono::milliseconds max_delay{100};  // a batch waits at most this long for more messages
};

struct BatcherStats {
  std::uint64_t batches = 0;
  std::uint64_t items = 0;
  std::uint64_t flushed_full = 0;      // sent because they reached max_items
  std::uint64_t flushed_by_delay = 0;  // sent because max_delay passed
};

template <class T>
class Batcher {
 public:
  explicit Batcher(BatcherOptions options) : shared_(std::make_shared<Shared>(options)) {}
  // The actor function: graph.actor("batch").run(batcher, std::move(rx), std::move(tx)).
  Task operator()(Context& ctx, Rx<T>& in, Tx<std::vector<T>>& out) const {
    return run(ctx, in, out, shared_);
  }
  [[nodiscard]] BatcherStats stats() const noexcept {
    const Shared& s = *shared_;
    return {s.batches.load(std::memory_order_relaxed), s.items.load(std::memory_order_relaxed),
            s.full.load(std::memory_order_relaxed), s.by_delay.load(std::memory_order_relaxed)};
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Shared {
    explicit Shared(BatcherOptions o) : options(o) {}
    const BatcherOptions options;
    std::vector<T> pending;        // the batch being filled (owner thread only)
    Clock::time_point first_at{};  // when its first message arrived
    std::atomic<std::uint64_t> batches{0}, items{0}, full{0}, by_delay{0};
  };
  static void take_some(Rx<T>& in, std::vector<T>& pending, std::size_t max) {
    while (pending.size() < max) {
      auto v = in.try_take();
      if (!v) break;
      pending.push_back(std::move(*v));
    }
  }
  static Task run(Context& ctx, Rx<T>& in, Tx<std::vector<T>>& out, std::shared_ptr<Shared> sh) {
    const std::size_t max = std::max<std::size_t>(1, sh->options.max_items);
    const std::chrono::nanoseconds delay = sh->options.max_delay;
    detail::Tally batches(ctx, "batches", sh->batches), items(ctx, "items", sh->items);
    detail::Tally full(ctx, "flushed_full", sh->full), by_delay(ctx, "flushed_by_delay", sh->by_delay);
    std::vector<T>& pending = sh->pending;
    while (ctx.is_running([&] { return in.is_closed_and_empty() && pending.empty(); })) {
      // Wait for input: any message when the batch is empty; otherwise enough to fill it, or its deadline.
      if (pending.empty()) {
        (void)co_await ctx.wait_avail(in, 1);
        if (in.is_closed_and_empty()) co_return;
        sh->first_at = ctx.now();
      } else if (pending.size() < max && !in.is_closed_and_empty()) {
        const auto left = std::max(std::chrono::nanoseconds(0), sh->first_at + delay - ctx.now());
        (void)co_await ctx.wait_any(avail(in, max - pending.size()), after(left));
      }
      take_some(in, pending, max);
      const bool is_full = pending.size() >= max;
      const bool due = ctx.now() >= sh->first_at + delay;
      const bool last = in.is_closed_and_empty();
      if (pending.empty() || !(is_full || due || last)) continue;
      // Send the batch, waiting for room (the input waits meanwhile).
      while (true) {
        const std::size_t n = pending.size();
        auto sent = out.try_send(std::move(pending));
        if (sent.sent()) {
          pending = std::vector<T>();
          pending.reserve(max);
          batches.add();
          items.add(n);
          if (is_full)
            full.add();
          else if (due)
            by_delay.add();  // (a batch sent because the input closed counts in neither)
          break;
        }
        pending = std::move(sent).take_back();
        if (sent.outcome() == SendOutcome::closed) co_return;  // nobody will take it
        const auto r = co_await ctx.wait_vacant(out, 1);
        if (r.shutdown() && ctx.core().forced_stop()) co_return;
      }
    }
  }
  std::shared_ptr<Shared> shared_;
};

struct UnbatcherOptions {
  std::size_t batch = 256;  // messages sent per pass at most
};

struct UnbatcherStats {
  std::uint64_t batches = 0;
  std::uint64_t items = 0;
};

template <class T>
class Unbatcher {
 public:
  explicit Unbatcher(UnbatcherOptions options) : shared_(std::make_shared<Shared>(options)) {}
  // The actor function: graph.actor("unbatch").run(unbatcher, std::move(rx), std::move(tx)).
  Task operator()(Context& ctx, Rx<std::vector<T>>& in, Tx<T>& out) const {
    return run(ctx, in, out, shared_);
  }
  [[nodiscard]] UnbatcherStats stats() const noexcept {
    return {shared_->batches.load(std::memory_order_relaxed), shared_->items.load(std::memory_order_relaxed)};
  }

 private:
  struct Shared {
    explicit Shared(UnbatcherOptions o) : options(o) {}
    const UnbatcherOptions options;
    std::vector<T> current;  // the batch being sent (owner thread only)
    std::size_t next = 0;    // its first message not sent yet
    std::atomic<std::uint64_t> batches{0}, items{0};
  };
  static std::size_t send_some(Shared& sh, Tx<T>& out, std::size_t max) {
    std::size_t n = 0;
    while (n < max && sh.next < sh.current.size()) {
      auto r = out.try_send(std::move(sh.current[sh.next]));
      if (!r.sent()) {
        const bool gone = r.outcome() == SendOutcome::closed;
        sh.current[sh.next] = std::move(r).take_back();
        if (gone)
          throw std::runtime_error("unbatcher: the output channel '" + out.name() + "' has no consumer any more");
        break;
      }
      ++sh.next;
      ++n;
    }
    return n;
  }
  static Task run(Context& ctx, Rx<std::vector<T>>& in, Tx<T>& out, std::shared_ptr<Shared> sh) {
    detail::Tally batches(ctx, "batches", sh->batches), items(ctx, "items", sh->items);
    const std::size_t per_pass = std::max<std::size_t>(1, sh->options.batch);
    auto holding = [&] { return sh->next < sh->current.size(); };
    while (ctx.is_running([&] { return in.is_closed_and_empty() && !holding(); })) {
      if (holding()) {
        const auto r = co_await ctx.wait_vacant(out, 1);
        if (r.shutdown() && ctx.core().forced_stop()) co_return;
        items.add(send_some(*sh, out, per_pass));
        continue;
      }
      (void)co_await ctx.wait_avail(in, 1);
      if (in.is_closed_and_empty()) co_return;
      if (auto b = in.try_take()) {
        sh->current = std::move(*b);
        sh->next = 0;
        batches.add();
      }
    }
  }
  std::shared_ptr<Shared> shared_;
};

}  // namespace steady::actors
