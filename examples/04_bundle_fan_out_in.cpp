// examples/04_bundle_fan_out_in.cpp — bundles: arrays of identical channels, and waits that return the ready
// lane.
//
//                 +--work[0]--> worker_0 --done[0]--+
//   splitter -----+--work[1]--> worker_1 --done[1]--+----> merger
//                 +--work[2]--> worker_2 --done[2]--+
//                 +--work[3]--> worker_3 --done[3]--+
//
// `graph.channel<T>().name("work").build_bundle<4>()` makes four channels "work[0]".."work[3]" and returns a
// TxBundle<T,4> and an RxBundle<T,4>. The splitter waits with wait_vacant_any (any lane with room for a
// batch) and sends the next batch to the lane it got back, so a slow worker simply gets less. The merger
// waits with wait_avail_any and takes from the lane that is ready. Lanes are tried round-robin, so no lane
// starves. The four workers share one thread as a troupe; splitter and merger run solo.
//
// Run: build/examples/example_04_bundle_fan_out_in      (exit 0 when every number was squared exactly once)
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <span>
#include <tuple>
#include <utility>

#include <steady/steady.hpp>

namespace {

using u64 = std::uint64_t;
constexpr std::size_t kLanes = 4;
constexpr u64 kCount = 200'000;
constexpr std::size_t kBatch = 32;
constexpr u64 kCapacity = 128;

struct Squared {  // what a worker sends back
  u64 n;
  u64 square;
};

// ---- splitter: fan out over a TxBundle

std::size_t fill(std::span<u64> buf, u64 first, u64 left) {
  const std::size_t n = std::min<u64>(buf.size(), left);
  for (std::size_t i = 0; i < n; ++i) buf[i] = first + i;
  return n;
}

steady::Task splitter(steady::Context& ctx, steady::TxBundle<u64, kLanes>& lanes) {
  std::array<u64, kBatch> buf{};
  u64 next = 1;
  while (next <= kCount && ctx.is_running()) {
    const steady::WaitResult r = co_await ctx.wait_vacant_any(lanes, kBatch);  // r.lane: a lane with room
    if (!r.satisfied()) continue;                                              // shutdown: vote again
    next += lanes[r.lane].send_slice(std::span<const u64>(buf.data(), fill(buf, next, kCount - next + 1)));
  }
  // Returning closes every lane of the bundle for us.
}

// ---- workers: one lane in, one lane out

std::size_t square_batch(steady::Rx<u64>& in, steady::Tx<Squared>& out) {
  std::array<u64, kBatch> buf{};
  const std::size_t n = in.take_slice(buf);
  for (std::size_t i = 0; i < n; ++i)
    (void)out.try_send(Squared{buf[i], buf[i] * buf[i]});  // room was awaited
  return n;
}

steady::Task worker(steady::Context& ctx, steady::Rx<u64>& in, steady::Tx<Squared>& out, u64& processed) {
  while (ctx.is_running([&] { return steady::drained(in); })) {
    co_await ctx.wait_all(steady::avail(in, kBatch), steady::vacant(out, kBatch));
    processed += square_batch(in, out);
    if (in.is_closed_and_empty()) break;
  }
}

// ---- merger: fan in from an RxBundle

struct Tally {
  std::array<u64, kLanes> per_lane{};
  u64 count = 0;
  u64 sum = 0;
  bool squares_right = true;
};

void merge_lane(steady::Rx<Squared>& in, std::size_t lane, Tally& t) {
  const steady::SlicePair<const Squared> got = in.peek_slice();
  for (std::size_t i = 0; i < got.size(); ++i) {
    t.squares_right &= (got[i].square == got[i].n * got[i].n);
    t.sum += got[i].n;
  }
  t.per_lane[lane] += got.size();
  t.count += got.size();
  in.advance_take(got.size());
}

// The first lane that may still deliver something (kLanes when none).
std::size_t first_open_lane(steady::RxBundle<Squared, kLanes>& lanes) {
  for (std::size_t i = 0; i < kLanes; ++i)
    if (!lanes[i].is_closed_and_empty()) return i;
  return kLanes;
}

steady::Task merger(steady::Context& ctx, steady::RxBundle<Squared, kLanes>& lanes, Tally& tally) {
  // drained() takes channels one by one; std::apply spreads the bundle into it.
  auto all_drained = [&] { return std::apply([](auto&... rx) { return steady::drained(rx...); }, lanes); };
  while (ctx.is_running(all_drained)) {
    const steady::WaitResult r = co_await ctx.wait_avail_any(lanes, kBatch);  // r.lane: a lane with a batch
    if (r.satisfied()) merge_lane(lanes[r.lane], r.lane, tally);
    const std::size_t open = first_open_lane(lanes);
    if (open == kLanes) break;  // every lane closed and empty: done
    // A closed lane counts as ready (so you notice it closed), which would make wait_avail_any return at once
    // on every pass while the other lanes finish. Wait on a lane that is still open instead.
    if (r.satisfied() && lanes[r.lane].is_closed_and_empty()) co_await ctx.wait_avail(lanes[open], kBatch);
  }
}

}  // namespace

int main() {
  auto graph = steady::GraphBuilder::for_production().build();
  auto [work_tx, work_rx] = graph.channel<u64>().name("work").capacity(kCapacity).build_bundle<kLanes>();
  auto [done_tx, done_rx] = graph.channel<Squared>().name("done").capacity(kCapacity).build_bundle<kLanes>();

  std::array<u64, kLanes> processed{};
  Tally tally;
  graph.actor("splitter").run(splitter, std::move(work_tx));
  auto workers = graph.troupe("workers");
  for (std::size_t i = 0; i < kLanes; ++i) {
    graph.actor("worker")
        .suffix(static_cast<int>(i))
        .troupe(workers)
        .run(worker, std::move(work_rx[i]), std::move(done_tx[i]), std::ref(processed[i]));
  }
  graph.actor("merger").run(merger, std::move(done_rx), std::ref(tally));

  const auto t0 = std::chrono::steady_clock::now();
  graph.start();
  const steady::StopReport report = graph.block_until_stopped(std::chrono::seconds(2));
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  const u64 want_sum = kCount * (kCount + 1) / 2;
  bool lanes_agree = true;
  std::printf(
      "04_bundle_fan_out_in: splitter -> work[0..3] -> 4 workers (one troupe) -> done[0..3] -> merger\n");
  for (std::size_t i = 0; i < kLanes; ++i) {
    std::printf("  lane %zu: worker_%zu squared %llu, merger took %llu\n", i, i,
                static_cast<unsigned long long>(processed[i]),
                static_cast<unsigned long long>(tally.per_lane[i]));
    lanes_agree &= processed[i] == tally.per_lane[i];
  }
  std::printf("  merged %llu results (want %llu), sum of n %llu (want %llu), squares right: %s, %.1f ms\n",
              static_cast<unsigned long long>(tally.count), static_cast<unsigned long long>(kCount),
              static_cast<unsigned long long>(tally.sum), static_cast<unsigned long long>(want_sum),
              tally.squares_right ? "yes" : "no", ms);
  std::printf("  stop report: %s\n", report.to_string().c_str());

  const bool ok =
      report.clean && lanes_agree && tally.count == kCount && tally.sum == want_sum && tally.squares_right;
  std::printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
