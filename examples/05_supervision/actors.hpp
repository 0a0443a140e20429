// examples/05_supervision/actors.hpp — actors that fail, and how the graph restarts them (wired in main.cpp;
// unit-tested in tests/examples/05_supervision_test.cpp).
//
//   feed --orders--> validator --priced--> writer --written--> indexer
//
// feed       sends orders 1..count.
// validator  prices each order through a pricing service that is down for its first calls.
// writer     stores each order through a disk that fails once, part way through.
// indexer    tallies what was stored: how many, in order or not, and the total.
// notifier   (the escalation phase) mails each order through an SMTP relay that never comes back.
//
// Every actor that calls a Dependency works peek-before-commit, one order at a time: look at the order in
// front, call the dependency (this may throw), send the result, and only then advance past the order. An
// exception leaves the order where it was, so the restarted incarnation retries it: nothing is lost, and
// nothing is sent twice.
//
// Each actor notes when each of its incarnations started (Life), so main can print the restarts and the
// backoff delays between them. The graph keeps an actor's arguments across restarts: a Dependency's outage
// count and a Life survive them.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <steady/steady.hpp>

namespace supervision_example {

struct Order {
  std::uint64_t id = 0;
  std::uint64_t cents = 0;  // set by the validator
};

// The price of an order, in cents (a stand-in for real pricing).
constexpr std::uint64_t price_of(std::uint64_t id) noexcept {
  return 100 * id;
}

// Something outside the process an actor calls, with a planned outage: after `outage_at` successful calls,
// the next `outage_calls` calls throw. Used by one actor at a time (the graph lends it to each incarnation).
struct Dependency {
  std::string failure;  // what the exception says, e.g. "pricing service unavailable"
  std::uint64_t outage_at = 0;
  std::uint64_t outage_calls = 0;
  std::uint64_t served = 0;

  void call() {
    if (served == outage_at && outage_calls > 0) {
      --outage_calls;
      throw std::runtime_error(failure);
    }
    ++served;
  }
};

// When each incarnation of an actor started, in the graph's clock. Written by the actor; read after the stop.
struct Life {
  std::vector<std::chrono::steady_clock::time_point> started;
  std::uint64_t restarts = 0;  // ctx.restarts() as the latest incarnation saw it

  void begin(steady::Context& ctx) {
    started.push_back(ctx.now());
    restarts = ctx.restarts();
  }
};

// Move ready orders from `in` to `out` one at a time: peek, work (may throw), send, then advance. Returns how
// many moved. `work(order)` returns the order to send.
template <class Work>
std::size_t process_ready(steady::Rx<Order>& in, steady::Tx<Order>& out, Work&& work) {
  std::size_t moved = 0;
  while (out.vacant_units() > 0) {
    const Order* next = in.try_peek();
    if (next == nullptr) break;
    const Order result = work(*next);  // a throw here leaves *next in `in` for the next incarnation
    (void)out.try_send(result);        // room was checked above
    in.advance_take(1);                // the commit: only after the work succeeded
    ++moved;
  }
  return moved;
}

// ---- feed

inline steady::Task feed(steady::Context& ctx, steady::Tx<Order>& out, std::uint64_t count, Life& life) {
  life.begin(ctx);
  std::uint64_t next = 1;
  while (next <= count && ctx.is_running()) {
    co_await ctx.wait_vacant(out, 1);
    while (next <= count && out.try_send(Order{next, 0}).sent()) ++next;
  }
}

// ---- validator: prices each order

inline steady::Task validator(steady::Context& ctx, steady::Rx<Order>& in, steady::Tx<Order>& out,
                              Dependency& pricing, Life& life) {
  life.begin(ctx);
  while (ctx.is_running([&] { return in.is_closed_and_empty() && out.mark_closed(); })) {
    co_await ctx.wait_all(steady::avail(in, 1), steady::vacant(out, 1));
    process_ready(in, out, [&](const Order& o) {
      pricing.call();
      return Order{o.id, price_of(o.id)};
    });
    if (in.is_closed_and_empty()) co_return;
  }
}

// ---- writer: stores each order, then passes it on

inline steady::Task writer(steady::Context& ctx, steady::Rx<Order>& in, steady::Tx<Order>& out,
                           Dependency& disk, Life& life) {
  life.begin(ctx);
  while (ctx.is_running([&] { return in.is_closed_and_empty() && out.mark_closed(); })) {
    co_await ctx.wait_all(steady::avail(in, 1), steady::vacant(out, 1));
    process_ready(in, out, [&](const Order& o) {
      disk.call();
      return o;
    });
    if (in.is_closed_and_empty()) co_return;
  }
}

// ---- indexer: the end of the pipeline

struct Ledger {
  std::uint64_t count = 0;
  std::uint64_t cents = 0;
  std::uint64_t last_id = 0;
  bool in_order = true;  // ids arrived as 1, 2, 3, ... with none missing or repeated
};

inline void index_ready(steady::Rx<Order>& in, Ledger& ledger) {
  while (const auto o = in.try_take()) {
    ledger.in_order &= (o->id == ledger.last_id + 1);
    ledger.last_id = o->id;
    ledger.cents += o->cents;
    ++ledger.count;
  }
}

// The Ledger belongs to main (std::ref), so it outlives every incarnation: a restart loses no count.
inline steady::Task indexer(steady::Context& ctx, steady::Rx<Order>& in, Ledger& ledger, Life& life) {
  life.begin(ctx);
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    co_await ctx.wait_avail(in, 1);
    index_ready(in, ledger);
    if (in.is_closed_and_empty()) co_return;
  }
}

// ---- notifier: mails each order (escalation phase)

inline steady::Task notifier(steady::Context& ctx, steady::Rx<Order>& in, Dependency& smtp, Life& life) {
  life.begin(ctx);
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    co_await ctx.wait_avail(in, 1);
    while (in.try_peek() != nullptr) {
      smtp.call();  // may throw: the order stays in front
      in.advance_take(1);
    }
    if (in.is_closed_and_empty()) co_return;
  }
}

}  // namespace supervision_example
