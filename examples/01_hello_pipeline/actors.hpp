// examples/01_hello_pipeline/actors.hpp — the two actors of the smallest graph (wired in main.cpp;
// unit-tested in tests/examples/01_hello_pipeline_test.cpp).
//
// The producer sends 1..last one message at a time, waiting for room when the channel is full; then it
// returns, which closes its output. The consumer takes what arrives, votes against stopping until its input
// is closed and drained, and returns when it has everything.
#pragma once

#include <cstdint>
#include <optional>

#include <steady/steady.hpp>

namespace hello_pipeline {

struct Totals {
  std::uint64_t count = 0;
  std::uint64_t sum = 0;
  bool in_order = true;  // every number was the one after the previous (1, 2, 3, ...)
};

// The per-message loop lives in a plain function, called once per wake-up (see the note in steady/task.hpp).
inline void take_all(steady::Rx<std::uint64_t>& in, Totals& totals) {
  while (std::optional<std::uint64_t> v = in.try_take()) {
    totals.in_order &= (*v == totals.count + 1);
    ++totals.count;
    totals.sum += *v;
  }
}

// The producer: one message per pass. Returning agrees to stop, and the graph closes `out` for us.
inline steady::Task produce(steady::Context& ctx, steady::Tx<std::uint64_t>& out, std::uint64_t last) {
  std::uint64_t next = 1;
  while (next <= last && ctx.is_running()) {
    co_await ctx.wait_vacant(out, 1);                             // room for one message
    if (out.try_send(next) == steady::SendOutcome::sent) ++next;  // a refused value is handed back
  }
}

// The consumer: vetoes a stop until its input is closed and empty, so nothing sent is left behind.
inline steady::Task consume(steady::Context& ctx, steady::Rx<std::uint64_t>& in, Totals& totals) {
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    co_await ctx.wait_avail(in, 1);  // also returns when the channel is closed
    take_all(in, totals);
    if (in.is_closed_and_empty()) break;  // the producer is done and we have everything
  }
}

}  // namespace hello_pipeline
