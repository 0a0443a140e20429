// steady/actors/splitter.hpp — spread one channel over a bundle of lanes (Splitter), and gather a bundle back
// into one channel (Merger). Target steady::actors.
//
//   auto [work_tx, work_rx] = graph.channel<Job>().name("work").build_bundle<4>();
//   auto [done_tx, done_rx] = graph.channel<Job>().name("done").build_bundle<4>();
//   graph.actor("split").run(steady::actors::Splitter<Job, 4>({}), std::move(jobs_rx), std::move(work_tx));
//   // ... four workers, lane i: work_rx[i] → done_tx[i] ...
//   graph.actor("merge").run(steady::actors::Merger<Job, 4>({}), std::move(done_rx), std::move(results_tx));
//
// Splitter, round-robin (no key): each message goes to the next lane that has room, so a slow lane gets fewer
// messages instead of holding up the others; it waits only when every lane is full (wait_vacant_any).
// Splitter by key (`.key = [](const Job& j) { return j.customer_id; }`): a message goes to lane key % N,
// always, so every message of one key is handled by one lane, in order. When that lane is full the splitter
// waits for it (the other lanes wait too: order per key is kept). The actor returns once its input is closed
// and drained, and the graph closes every lane. Telemetry counters: routed, lane_waits (times it waited for a
// full lane).
//
// Merger: takes from whichever lanes have messages, round-robin (one message per lane per turn, so a busy
// lane does not starve the others), into one channel. Order is kept within a lane, not across lanes. It
// returns once every lane is closed and drained. Telemetry counters: merged.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>

#include <steady/actors/detail/tally.hpp>
#include <steady/channel.hpp>
#include <steady/context.hpp>
#include <steady/task.hpp>

namespace steady::actors {

template <class T>
struct SplitterOptions {
  // Lane choice: empty = round-robin among lanes with room; otherwise lane = key(message) % N.
  std::function<std::uint64_t(const T&)> key{};
  std::size_t batch = 256;  // messages routed per pass at most
};

struct SplitterStats {
  std::uint64_t routed = 0;
  std::uint64_t lane_waits = 0;
};

template <class T, std::size_t N>
class Splitter {
  static_assert(N >= 1, "a Splitter needs at least one lane");

 public:
  explicit Splitter(SplitterOptions<T> options) : shared_(std::make_shared<Shared>(std::move(options))) {}
  // The actor function: graph.actor("split").run(splitter, std::move(rx), std::move(lanes_tx)).
  Task operator()(Context& ctx, Rx<T>& in, TxBundle<T, N>& lanes) const {
    return run(ctx, in, lanes, shared_);
  }
  [[nodiscard]] SplitterStats stats() const noexcept {
    return {shared_->routed.load(std::memory_order_relaxed), shared_->waits.load(std::memory_order_relaxed)};
  }

 private:
  struct Shared {
    explicit Shared(SplitterOptions<T> o) : options(std::move(o)) {}
    const SplitterOptions<T> options;
    std::size_t next = 0;  // round-robin: the lane to try first (owner thread only)
    std::atomic<std::uint64_t> routed{0}, waits{0};
  };
  // Route up to `max` messages. Returns how many; `blocked` is the lane that was full (N: every lane,
  // round-robin).
  static std::size_t route(Shared& sh, Rx<T>& in, TxBundle<T, N>& lanes, std::size_t max,
                           std::size_t& blocked) {
    std::size_t n = 0;
    blocked = N + 1;  // none
    while (n < max) {
      const T* front = in.try_peek();
      if (front == nullptr) break;
      std::size_t lane = N;
      if (sh.options.key) {
        lane = static_cast<std::size_t>(sh.options.key(*front) % N);
        if (lanes[lane].vacant_units() == 0) {
          blocked = lane;
          break;
        }
      } else {
        for (std::size_t k = 0; k < N; ++k) {
          const std::size_t i = (sh.next + k) % N;
          if (lanes[i].vacant_units() != 0) {
            lane = i;
            break;
          }
        }
        if (lane == N) {
          blocked = N;
          break;
        }
        sh.next = (lane + 1) % N;
      }
      auto v = in.try_take();
      if (!lanes[lane].try_send(std::move(*v)).sent()) {
        blocked = N + 2;  // the lane's consumer is gone: the message cannot be delivered
        break;
      }
      ++n;
    }
    return n;
  }
  static Task run(Context& ctx, Rx<T>& in, TxBundle<T, N>& lanes, std::shared_ptr<Shared> sh) {
    detail::Tally routed(ctx, "routed", sh->routed), waits(ctx, "lane_waits", sh->waits);
    const std::size_t per_pass = std::max<std::size_t>(1, sh->options.batch);
    while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
      (void)co_await ctx.wait_avail(in, 1);
      if (in.is_closed_and_empty()) co_return;
      std::size_t blocked = N + 1;
      routed.add(route(*sh, in, lanes, per_pass, blocked));
      if (blocked == N + 2)
        throw std::runtime_error(
            "splitter: lane channel is closed (its consumer is gone); "
            "the message at the front of the input cannot be routed");
      if (blocked == N) {
        waits.add();
        (void)co_await ctx.wait_vacant_any(lanes, 1);
      } else if (blocked < N) {
        waits.add();
        (void)co_await ctx.wait_vacant(lanes[blocked], 1);
      }
    }
  }
  std::shared_ptr<Shared> shared_;
};

struct MergerOptions {
  std::size_t batch = 256;  // messages merged per pass at most
};

struct MergerStats {
  std::uint64_t merged = 0;
};

template <class T, std::size_t N>
class Merger {
  static_assert(N >= 1, "a Merger needs at least one lane");

 public:
  explicit Merger(MergerOptions options) : shared_(std::make_shared<Shared>(options)) {}
  // The actor function: graph.actor("merge").run(merger, std::move(lanes_rx), std::move(tx)).
  Task operator()(Context& ctx, RxBundle<T, N>& lanes, Tx<T>& out) const {
    return run(ctx, lanes, out, shared_);
  }
  [[nodiscard]] MergerStats stats() const noexcept {
    return {shared_->merged.load(std::memory_order_relaxed)};
  }

 private:
  struct Shared {
    explicit Shared(MergerOptions o) : options(o) {}
    const MergerOptions options;
    std::size_t next = 0;  // the lane to take from first (owner thread only)
    std::atomic<std::uint64_t> merged{0};
  };
  static bool all_over(RxBundle<T, N>& lanes) {
    return std::all_of(lanes.begin(), lanes.end(), [](Rx<T>& l) { return l.is_closed_and_empty(); });
  }
  // One message per lane per turn, while the output has room. Returns how many were moved.
  static std::size_t merge(Shared& sh, RxBundle<T, N>& lanes, Tx<T>& out, std::size_t max) {
    std::size_t n = 0;
    std::size_t empty_in_a_row = 0;
    while (n < max && empty_in_a_row < N && out.vacant_units() != 0) {
      Rx<T>& lane = lanes[sh.next];
      sh.next = (sh.next + 1) % N;
      auto v = lane.try_take();
      if (!v) {
        ++empty_in_a_row;
        continue;
      }
      empty_in_a_row = 0;
      if (!out.try_send(std::move(*v)).sent())
        throw std::runtime_error(
            "merger: output channel is closed (its consumer is gone); a message was lost");
      ++n;
    }
    return n;
  }
  static Task run(Context& ctx, RxBundle<T, N>& lanes, Tx<T>& out, std::shared_ptr<Shared> sh) {
    detail::Tally merged(ctx, "merged", sh->merged);
    const std::size_t per_pass = std::max<std::size_t>(1, sh->options.batch);
    while (ctx.is_running([&] { return all_over(lanes); })) {
      if (out.vacant_units() == 0) {
        if (out.ring().consumer_gone())
          throw std::runtime_error("merger: the output channel '" + out.name() + "' has no consumer any more");
        (void)co_await ctx.wait_vacant(out, 1);
        continue;
      }
      (void)co_await ctx.wait_avail_any(lanes, 1);
      if (all_over(lanes)) co_return;
      merged.add(merge(*sh, lanes, out, per_pass));
    }
  }
  std::shared_ptr<Shared> shared_;
};

}  // namespace steady::actors
