// examples/06_durable_pipeline/actors.hpp — a pipeline that loses nothing when its stages fail (wired in
// main.cpp; unit-tested in tests/examples/06_durable_pipeline_test.cpp).
//
//   source --link0--> stage_0 --link1--> ... --> stage_4 --link5--> verifier --finished--> deadline
//
// source    sends records with sequence numbers 0..count-1.
// stage     peek, process, commit: looks at a batch without taking it, processes it into a local buffer
//           (this is where it may throw), then sends the results and only then advances past the inputs. The
//           send and the advance cannot throw, so a failure leaves the batch in the input channel, and the
//           restarted stage processes the same records again: nothing lost, nothing sent twice. Each stage
//           throws on purpose on about one batch in Chaos::one_in, at a random point of its work.
// verifier  checks that the sequence numbers arrive exactly once and in order, each record through every
// stage. deadline  bounds the run: if the verifier has not finished in time, it asks the graph to stop.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <random>
#include <span>
#include <stdexcept>
#include <string>

#include <steady/steady.hpp>

namespace durable_pipeline {

using u64 = std::uint64_t;
constexpr std::size_t kStages = 5;
constexpr std::size_t kBatch = 64;

struct Record {
  u64 seq = 0;
  std::uint32_t hops = 0;  // how many stages processed it
};

// Fault injection for one stage: throw on about one batch in `one_in`, at a random record of it. Kept by the
// graph with the stage's other arguments, so the random sequence and the count carry on across restarts.
struct Chaos {
  std::mt19937_64 rng;
  u64 one_in = 1000;
  u64 injected = 0;  // faults thrown so far (written by the stage's thread; read after the stop)

  // Where in a batch of n records to fail; n means "not in this batch".
  std::size_t pick_fault(std::size_t n) { return one_in != 0 && rng() % one_in == 0 ? rng() % n : n; }
};

// What a stage keeps across its incarnations.
struct StageStats {
  Chaos chaos;
  u64 restarts = 0;  // ctx.restarts() as the latest incarnation saw it
};

// ---- source

inline steady::Task source(steady::Context& ctx, steady::Tx<Record>& out, u64 count) {
  std::array<Record, kBatch> buf{};
  u64 next = 0;
  while (next < count && ctx.is_running()) {
    co_await ctx.wait_vacant(out, kBatch);
    const std::size_t n = std::min<u64>(kBatch, count - next);
    for (std::size_t i = 0; i < n; ++i) buf[i] = Record{next + i, 0};
    next += out.send_slice(std::span<const Record>(buf.data(), n));
  }
}

// ---- stage: peek, process, commit

// One batch. Returns how many records moved; throws (leaving `in` as it was) when Chaos says so.
inline std::size_t process_batch(steady::Rx<Record>& in, steady::Tx<Record>& out, Chaos& chaos) {
  const std::size_t room = std::min<u64>(out.vacant_units(), kBatch);
  const steady::SlicePair<const Record> batch = in.peek_slice(room);  // 1. peek: the records stay in `in`
  if (batch.empty()) return 0;

  std::array<Record, kBatch> results{};  // 2. process into a local buffer: this part may fail
  const std::size_t fail_at = chaos.pick_fault(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (i == fail_at) {
      ++chaos.injected;
      throw std::runtime_error("injected fault at record " + std::to_string(batch[i].seq));
    }
    results[i] = Record{batch[i].seq, batch[i].hops + 1};
  }

  // 3. commit: send the results, then let go of exactly the inputs they came from. Neither call can throw.
  const std::size_t sent = out.send_slice(std::span<const Record>(results.data(), batch.size()));
  in.advance_take(sent);
  return sent;
}

inline steady::Task stage(steady::Context& ctx, steady::Rx<Record>& in, steady::Tx<Record>& out,
                          StageStats& stats) {
  stats.restarts = ctx.restarts();
  while (ctx.is_running([&] { return in.is_closed_and_empty() && out.mark_closed(); })) {
    co_await ctx.wait_all(steady::avail(in, kBatch), steady::vacant(out, kBatch));
    (void)process_batch(in, out, stats.chaos);
    if (in.is_closed_and_empty()) co_return;
  }
}

// ---- verifier

struct Verdict {
  u64 received = 0;
  u64 next_seq = 0;  // the sequence number expected next
  u64 duplicates = 0;
  u64 missing = 0;
  u64 wrong_hops = 0;  // records that did not pass through every stage exactly once

  [[nodiscard]] bool exactly_once_in_order(u64 count) const noexcept {
    return received == count && next_seq == count && duplicates == 0 && missing == 0 && wrong_hops == 0;
  }
};

inline void verify_ready(steady::Rx<Record>& in, Verdict& v) {
  const steady::SlicePair<const Record> got = in.peek_slice();
  for (std::size_t i = 0; i < got.size(); ++i) {
    const Record& r = got[i];
    if (r.seq < v.next_seq)
      ++v.duplicates;
    else
      v.missing += r.seq - v.next_seq;
    if (r.hops != kStages) ++v.wrong_hops;
    v.next_seq = std::max(v.next_seq, r.seq + 1);
    ++v.received;
  }
  in.advance_take(got.size());
}

// The channel the verifier holds but never sends on: it closes when the verifier returns, which is how the
// deadline actor learns that the run is over.
struct Finished {};

inline steady::Task verifier(steady::Context& ctx, steady::Rx<Record>& in, steady::Tx<Finished>& finished,
                             Verdict& verdict) {
  (void)finished;  // closed for us when we return
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    co_await ctx.wait_avail(in, kBatch);
    verify_ready(in, verdict);
    if (in.is_closed_and_empty()) co_return;
  }
}

// ---- deadline

// Gives the run `limit`. If `finished` has not closed by then, the pipeline is stuck: note it and ask the
// graph to stop, so the program ends with a stop report instead of hanging.
inline steady::Task deadline(steady::Context& ctx, steady::Rx<Finished>& finished,
                             std::chrono::milliseconds limit, bool& expired) {
  const steady::WaitResult r = co_await ctx.wait_avail(finished, 1).timeout(limit);
  if (r.timed_out()) {
    expired = true;
    ctx.request_shutdown();
  }
}

}  // namespace durable_pipeline
