// steady/actors/ticker.hpp — send a tick (its sequence number, 0, 1, 2, …) every period (target
// steady::actors).
//
//   steady::actors::Ticker ticker({.period = std::chrono::milliseconds(500)});
//   graph.actor("heartbeat").run(ticker, std::move(ticks_tx));          // Tx<std::uint64_t>
//
// The schedule is the graph's periodic timer (Context::wait_periodic): periods are measured from the previous
// deadline, so work does not drift it, and after falling behind it starts over rather than bursting. A tick
// that finds the channel full is dropped and counted (`ticks_dropped`): a ticker says "time passed", it does
// not queue up a backlog of stale ticks. Sequence numbers go on across a restart of the actor (a dropped
// tick's number is skipped, so the consumer can see the gap). With `count` > 0 the actor returns after that
// many ticks, closing its channel (and requests the graph's stop with `stop_graph_when_done`). In a
// virtual-time testing graph the ticks follow the virtual clock.
//
// Telemetry counters: ticks, ticks_dropped.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include <steady/actors/detail/tally.hpp>
#include <steady/channel.hpp>
#include <steady/context.hpp>
#include <steady/task.hpp>

namespace steady::actors {

struct TickerOptions {
  std::chrono::milliseconds period{1000};
  std::uint64_t count = 0;            // ticks to send before returning; 0 = forever
  bool stop_graph_when_done = false;  // with count: request the graph's stop after the last tick
};

struct TickerStats {
  std::uint64_t ticks = 0;          // sent
  std::uint64_t ticks_dropped = 0;  // the channel was full
};

class Ticker {
 public:
  explicit Ticker(TickerOptions options) : shared_(std::make_shared<Shared>(options)) {}
  // The actor function: graph.actor("ticker").run(ticker, std::move(tx)).
  Task operator()(Context& ctx, Tx<std::uint64_t>& out) const { return run(ctx, out, shared_); }
  [[nodiscard]] TickerStats stats() const noexcept {
    return {shared_->ticks.load(std::memory_order_relaxed), shared_->dropped.load(std::memory_order_relaxed)};
  }

 private:
  struct Shared {
    explicit Shared(TickerOptions o) : options(o) {}
    const TickerOptions options;
    std::atomic<std::uint64_t> next{0};  // the next sequence number (kept across restarts)
    std::atomic<std::uint64_t> ticks{0}, dropped{0};
  };
  static Task run(Context& ctx, Tx<std::uint64_t>& out, std::shared_ptr<Shared> sh) {
    const TickerOptions& o = sh->options;
    detail::Tally ticks(ctx, "ticks", sh->ticks);
    detail::Tally dropped(ctx, "ticks_dropped", sh->dropped);
    const auto period =
        o.period.count() > 0 ? std::chrono::nanoseconds(o.period) : std::chrono::nanoseconds(1'000'000);
    while (ctx.is_running()) {
      std::uint64_t seq = sh->next.load(std::memory_order_relaxed);
      if (o.count != 0 && seq >= o.count) {
        if (o.stop_graph_when_done) ctx.request_shutdown();
        co_return;
      }
      const auto r = co_await ctx.wait_periodic(period);
      if (!r.satisfied()) continue;
      if (out.try_send(seq).sent())
        ticks.add();
      else
        dropped.add();
      sh->next.store(seq + 1, std::memory_order_relaxed);
    }
  }
  std::shared_ptr<Shared> shared_;
};

}  // namespace steady::actors
