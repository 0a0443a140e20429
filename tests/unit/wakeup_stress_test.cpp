// No lost wake-ups: tiny channels (capacity 1 and 2) between actors on different threads, irregular bursts
// with gaps of work between them, batch waits, actors that park at once (spin 0) so that nearly every
// hand-off goes through arm / re-check / wake. A lost wake-up shows as a hang, which the watchdog turns into
// a failure.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace {

using namespace steady_test::actor_names;
using steady_test::run_graph;
using steady_test::scaled;

struct Lcg {
  u64 s;
  u64 next() noexcept {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return s >> 33;
  }
};

// Work between bursts, so the other side catches up, runs dry and parks.
u64 gap(Lcg& rng) {
  u64 x = rng.next();
  const u64 spins = x % 512;
  for (u64 i = 0; i < spins; ++i) x = x * 31 + i;
  return x;
}

struct Produced {
  u64 checksum = 0;
  u64 sink = 0;  // keeps the gap work observable
};

// Which side waits for a whole channel's worth at once. Not both: a producer waiting for room for `capacity`
// and a consumer waiting for `capacity` messages deadlock whenever the channel holds some but not all (an
// application mistake, not a runtime one: the two wants must add up to at most capacity + 1).
enum class Batch { none, consumer, producer };

// Sends 0..n-1 in bursts of 1..3*capacity, with a gap of work after each burst.
Task bursty_producer(Context& ctx, Tx<u64>& out, u64 n, u64 seed, bool batch_wait, Produced& p) {
  Lcg rng{seed};
  const u64 cap = out.capacity();
  u64 next = 0;
  while (next < n && ctx.is_running()) {
    const u64 burst = std::min<u64>(1 + rng.next() % (3 * cap), n - next);
    for (u64 sent = 0; sent < burst && ctx.is_running();) {
      const u64 want = batch_wait ? std::min<u64>(cap, burst - sent) : 1;
      co_await ctx.wait_vacant(out, want);
      while (sent < burst && out.try_send(next)) {
        p.checksum += next * 2654435761u + 1;
        ++next;
        ++sent;
      }
    }
    p.sink += gap(rng);
  }
}

struct Consumed {
  u64 received = 0;
  u64 checksum = 0;
  u64 out_of_order = 0;
  u64 sink = 0;
};

// Waits for a full batch (capacity) or for one message; the close ends the final partial batch.
Task bursty_consumer(Context& ctx, Rx<u64>& in, u64 seed, bool batch_wait, Consumed& c) {
  Lcg rng{seed};
  while (ctx.is_running([&] { return steady::drained(in); })) {
    co_await ctx.wait_avail(in, batch_wait ? in.capacity() : 1);
    while (auto v = in.try_take()) {
      c.out_of_order += *v != c.received;
      c.checksum += *v * 2654435761u + 1;
      ++c.received;
    }
    if (in.is_closed_and_empty()) break;
    if (rng.next() % 4 == 0) c.sink += gap(rng);
  }
}

struct StressCase {
  u64 capacity;
  Batch batch;
  int spin;  // -1: graph default
  bool
      producer_troupe;  // two pairs whose producers share one troupe thread (remote wakes into a busy troupe)
  u64 messages;         // per pair
};

std::string describe(const StressCase& c) {
  const char* batch = c.batch == Batch::none       ? "_single"
                      : c.batch == Batch::consumer ? "_batchrx"
                                                   : "_batchtx";
  return "cap" + std::to_string(c.capacity) + batch + (c.spin == 0 ? "_park" : "_spin") +
         (c.producer_troupe ? "_troupe" : "_solo");
}
std::string case_name(const ::testing::TestParamInfo<StressCase>& info) {
  return describe(info.param);
}
void PrintTo(const StressCase& c, std::ostream* os) {
  *os << describe(c) << ", " << c.messages << " messages";
}

class WakeupStress : public ::testing::TestWithParam<StressCase> {};

TEST_P(WakeupStress, EveryMessageArrivesAndNothingHangs) {
  const StressCase& sc = GetParam();
  const int pairs = sc.producer_troupe ? 2 : 1;
  const u64 n = scaled(sc.messages / static_cast<u64>(pairs), 5'000);
  auto graph = steady::GraphBuilder::for_testing().build();
  auto t = graph.troupe("producers");
  std::vector<Produced> p(static_cast<std::size_t>(pairs));
  std::vector<Consumed> c(static_cast<std::size_t>(pairs));
  for (int i = 0; i < pairs; ++i) {
    auto [tx, rx] = graph.channel<u64>().name("tiny" + std::to_string(i)).capacity(sc.capacity).build();
    auto prod = graph.actor("producer").suffix(i);
    if (sc.producer_troupe) prod.troupe(t);
    if (sc.spin >= 0) prod.spin(static_cast<std::uint32_t>(sc.spin));
    prod.run(bursty_producer, std::move(tx), n, 17 + i, sc.batch == Batch::producer, std::ref(p[i]));
    auto cons = graph.actor("consumer").suffix(i);
    if (sc.spin >= 0) cons.spin(static_cast<std::uint32_t>(sc.spin));
    cons.run(bursty_consumer, std::move(rx), 29 + i, sc.batch == Batch::consumer, std::ref(c[i]));
  }
  bool dog = false;
  const auto report = run_graph(graph, &dog);  // ends by itself: producers return, consumers drain and return
  EXPECT_TRUE(report.clean) << report.to_string();
  for (int i = 0; i < pairs; ++i) {
    EXPECT_FALSE(dog) << "hung: a lost wake-up (pair " << i << " received " << c[i].received << " of " << n
                      << ")";
    EXPECT_EQ(c[i].received, n) << "pair " << i;
    EXPECT_EQ(c[i].out_of_order, 0u) << "pair " << i;
    EXPECT_EQ(c[i].checksum, p[i].checksum) << "pair " << i;
  }
}

// Counts are per case, sized so that each case takes about 2 s here: a hand-off through a channel of capacity
// 1-2 between two threads costs 15-30 us when the sides park (the futex round trip), so these streams are
// hand-off bound. STEADY_TEST_SCALE raises them for a longer soak.
INSTANTIATE_TEST_SUITE_P(TinyChannels, WakeupStress,
                         ::testing::Values(StressCase{1, Batch::none, 0, false, 60'000},
                                           StressCase{2, Batch::none, 0, false, 100'000},
                                           StressCase{2, Batch::consumer, 0, false, 100'000},
                                           StressCase{2, Batch::producer, 0, false, 100'000},
                                           StressCase{1, Batch::none, -1, false, 60'000},
                                           StressCase{2, Batch::consumer, -1, false, 100'000},
                                           StressCase{1, Batch::none, 0, true, 30'000},
                                           StressCase{2, Batch::producer, 0, true, 50'000}),
                         case_name);

}  // namespace
