// Waits inside a graph: wait_avail / wait_vacant wake exactly at their threshold, closing and a departed
// consumer satisfy them, combinators report the right lane, `.timeout(d)` gives timed_out, a stop gives
// shutdown, and bundle waits return a ready lane, round-robin.
//
// Several tests drive an actor from the test thread through a channel end the test keeps (a channel with no
// actor on that side): the test sends or takes, the actor waits. Progress between the two is handed over
// through an atomic step counter that the test polls with a deadline (no sleeps as synchronisation).
#include <time.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace {

using namespace steady_test::actor_names;
using steady::WaitResult;
using steady::WaitStatus;
using steady_test::eventually;
using steady_test::run_graph;
using steady_test::scaled;
using steady_test::Watchdog;

enum class Placement { solo, solo_parking, troupe };

std::string placement_name(const ::testing::TestParamInfo<Placement>& p) {
  switch (p.param) {
    case Placement::solo:
      return "solo";
    case Placement::solo_parking:
      return "solo_parking";
    case Placement::troupe:
      return "troupe";
  }
  return "?";
}

// Add an actor under the given placement (solo_parking: no spinning, so every unmet wait really parks).
template <class F, class... Args>
void add_actor(steady::Graph& g, Placement p, steady::Troupe t, const char* name, F fn, Args&&... args) {
  auto b = g.actor(name);
  if (p == Placement::troupe) b.troupe(t);
  if (p == Placement::solo_parking) b.spin(0);
  b.run(fn, std::forward<Args>(args)...);
}

// ---------------------------------------------------------------- thresholds under a live stream

// One message per pass, so the consumer's threshold is crossed one message at a time.
Task trickle(Context& ctx, Tx<u64>& tx, u64 n) {
  for (u64 i = 0; i < n && ctx.is_running();) {
    co_await ctx.wait_vacant(tx, 1);
    if (tx.try_send(i)) ++i;
  }
}  // returning closes tx

struct Seen {
  u64 wakes = 0;
  u64 below_threshold = 0;  // woke satisfied with fewer than the threshold and the channel still open
  u64 short_at_close = 0;   // woke with fewer because the channel closed (allowed)
  u64 received = 0;
  u64 out_of_order = 0;
};

Task wait_for_ten(Context& ctx, Rx<u64>& rx, Seen& seen) {
  std::vector<u64> buf(rx.capacity());
  while (ctx.is_running([&] { return steady::drained(rx); })) {
    const WaitResult r = co_await ctx.wait_avail(rx, 10);
    const u64 avail = rx.avail_units();
    const bool closed = rx.is_closed();
    if (r.satisfied()) {
      ++seen.wakes;
      if (avail < 10) ++(closed ? seen.short_at_close : seen.below_threshold);
    }
    const std::size_t n = rx.take_slice(buf);
    for (std::size_t i = 0; i < n; ++i) seen.out_of_order += buf[i] != seen.received++;
    if (rx.is_closed_and_empty()) break;
  }
}

class ThresholdStream : public ::testing::TestWithParam<Placement> {};

TEST_P(ThresholdStream, WaitAvailTenWakesOnlyWithTenOrAtClose) {
  const u64 n = scaled(20'000, 2'000);
  auto graph = steady::GraphBuilder::for_testing().build();
  auto t = graph.troupe("pair");
  auto [tx, rx] = graph.channel<u64>().name("trickle").capacity(64).build();
  Seen seen;
  add_actor(graph, GetParam(), t, "producer", trickle, std::move(tx), n);
  add_actor(graph, GetParam(), t, "consumer", wait_for_ten, std::move(rx), std::ref(seen));
  bool dog = false;
  const auto report = run_graph(graph, &dog);
  EXPECT_FALSE(dog) << "the pipeline hung (a lost wake-up?)";
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(seen.received, n);
  EXPECT_EQ(seen.out_of_order, 0u);
  EXPECT_EQ(seen.below_threshold, 0u)
      << "wait_avail(rx, 10) was satisfied by fewer than 10 on an open channel";
  EXPECT_LE(seen.short_at_close, 1u) << "only the final partial batch may be short";
  EXPECT_GE(seen.wakes, n / 64) << "each wake can take at most a channel's worth";
}

// The mirror image: a producer that waits for room for 10 before each batch, against a consumer that frees
// one slot at a time.
struct RoomSeen {
  u64 wakes = 0;
  u64 below_threshold = 0;
  u64 sent = 0;
};

Task send_in_tens(Context& ctx, Tx<u64>& tx, u64 n, RoomSeen& seen) {
  std::vector<u64> batch(10);
  while (seen.sent < n && ctx.is_running()) {
    const WaitResult r = co_await ctx.wait_vacant(tx, 10);
    if (!r.satisfied()) continue;
    ++seen.wakes;
    if (tx.vacant_units() < 10) ++seen.below_threshold;
    const std::size_t k = std::min<u64>(10, n - seen.sent);
    for (std::size_t i = 0; i < k; ++i) batch[i] = seen.sent + i;
    seen.sent += tx.send_slice(std::span<const u64>(batch.data(), k));
  }
}

Task take_one_at_a_time(Context& ctx, Rx<u64>& rx, Seen& seen) {
  while (ctx.is_running([&] { return steady::drained(rx); })) {
    co_await ctx.wait_avail(rx, 1);
    if (auto v = rx.try_take()) seen.out_of_order += *v != seen.received++;
    if (rx.is_closed_and_empty()) break;
  }
}

TEST_P(ThresholdStream, WaitVacantTenWakesOnlyWithRoomForTen) {
  const u64 n = scaled(20'000, 2'000);
  auto graph = steady::GraphBuilder::for_testing().build();
  auto t = graph.troupe("pair");
  auto [tx, rx] = graph.channel<u64>().name("tens").capacity(16).build();
  RoomSeen room;
  Seen seen;
  add_actor(graph, GetParam(), t, "producer", send_in_tens, std::move(tx), n, std::ref(room));
  add_actor(graph, GetParam(), t, "consumer", take_one_at_a_time, std::move(rx), std::ref(seen));
  bool dog = false;
  const auto report = run_graph(graph, &dog);
  EXPECT_FALSE(dog) << "the pipeline hung (a lost wake-up?)";
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(room.sent, n);
  EXPECT_EQ(seen.received, n);
  EXPECT_EQ(seen.out_of_order, 0u);
  EXPECT_EQ(room.below_threshold, 0u) << "wait_vacant(tx, 10) was satisfied with room for fewer than 10";
  EXPECT_GE(room.wakes, n / 10);
}

INSTANTIATE_TEST_SUITE_P(Placements, ThresholdStream,
                         ::testing::Values(Placement::solo, Placement::solo_parking, Placement::troupe),
                         placement_name);

// ---------------------------------------------------------------- thresholds, step by step

struct TwoWaits {
  std::atomic<int> step{0};
  WaitStatus first = WaitStatus::satisfied, second = WaitStatus::timed_out;
  u64 units_first = 0, units_second = 0;
};

Task wait_avail_ten_twice(Context& ctx, Rx<int>& rx, TwoWaits& w) {
  const WaitResult r1 = co_await ctx.wait_avail(rx, 10).timeout(30ms);
  w.first = r1.status;
  w.units_first = rx.avail_units();
  w.step = 1;
  const WaitResult r2 = co_await ctx.wait_avail(rx, 10);
  w.second = r2.status;
  w.units_second = rx.avail_units();
  w.step = 2;
}

TEST(WaitThreshold, NineMessagesDoNotSatisfyWaitAvailTen) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<int>().name("nine").capacity(32).build();
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(tx.try_send(i).sent());
  TwoWaits w;
  graph.actor("waiter").spin(0).run(wait_avail_ten_twice, std::move(rx), std::ref(w));
  Watchdog dog(graph);
  graph.start();
  ASSERT_TRUE(eventually([&] { return w.step.load() >= 1; }));
  ASSERT_TRUE(tx.try_send(9).sent());  // the 10th, from this thread: wakes the parked actor
  const auto report = graph.block_until_stopped(5s);
  dog.disarm();
  EXPECT_FALSE(dog.fired());
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(w.first, WaitStatus::timed_out) << "9 of 10 must not satisfy the wait";
  EXPECT_EQ(w.units_first, 9u);
  EXPECT_EQ(w.second, WaitStatus::satisfied);
  EXPECT_EQ(w.units_second, 10u);
}

Task wait_vacant_ten_twice(Context& ctx, Tx<int>& tx, TwoWaits& w) {
  const WaitResult r1 = co_await ctx.wait_vacant(tx, 10).timeout(30ms);
  w.first = r1.status;
  w.units_first = tx.vacant_units();
  w.step = 1;
  const WaitResult r2 = co_await ctx.wait_vacant(tx, 10);
  w.second = r2.status;
  w.units_second = tx.vacant_units();
  w.step = 2;
}

TEST(WaitThreshold, RoomForNineDoesNotSatisfyWaitVacantTen) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<int>().name("room").capacity(16).build();
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(tx.try_send(i).sent());  // 9 vacant
  TwoWaits w;
  graph.actor("waiter").spin(0).run(wait_vacant_ten_twice, std::move(tx), std::ref(w));
  Watchdog dog(graph);
  graph.start();
  ASSERT_TRUE(eventually([&] { return w.step.load() >= 1; }));
  EXPECT_EQ(rx.try_take(), std::optional<int>(0));  // a 10th slot frees up: wakes the parked actor
  const auto report = graph.block_until_stopped(5s);
  dog.disarm();
  EXPECT_FALSE(dog.fired());
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(w.first, WaitStatus::timed_out) << "room for 9 must not satisfy a wait for 10";
  EXPECT_EQ(w.units_first, 9u);
  EXPECT_EQ(w.second, WaitStatus::satisfied);
  EXPECT_EQ(w.units_second, 10u);
}

// ---------------------------------------------------------------- what else satisfies a channel wait

struct One {
  WaitStatus status = WaitStatus::timed_out;
  u64 units = 0;
  bool closed = false;
  steady::SendOutcome send = steady::SendOutcome::sent;
};

Task wait_avail_hundred(Context& ctx, Rx<int>& rx, One& o) {
  const WaitResult r = co_await ctx.wait_avail(rx, 100).timeout(5s);
  o.status = r.status;
  o.units = rx.avail_units();
  o.closed = rx.is_closed();
}

TEST(WaitThreshold, ThresholdAboveCapacityIsClampedToCapacity) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<int>().name("small").capacity(4).build();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(tx.try_send(i).sent());
  One o;
  graph.actor("waiter").run(wait_avail_hundred, std::move(rx), std::ref(o));
  const auto report = run_graph(graph);
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(o.status, WaitStatus::satisfied) << "a full channel satisfies any threshold";
  EXPECT_EQ(o.units, 4u);
}

TEST(WaitThreshold, ClosingSatisfiesWaitAvailWithFewer) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<int>().name("closing").capacity(64).build();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(tx.try_send(i).sent());
  tx.mark_closed();
  One o;
  graph.actor("waiter").run(wait_avail_hundred, std::move(rx), std::ref(o));
  const auto report = run_graph(graph);
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(o.status, WaitStatus::satisfied);
  EXPECT_EQ(o.units, 3u);
  EXPECT_TRUE(o.closed);
}

struct Stepped {
  std::atomic<int> step{0};
  One o;
};

Task wait_then_close_seen(Context& ctx, Rx<int>& rx, Stepped& s) {
  s.step = 1;
  const WaitResult r = co_await ctx.wait_avail(rx, 10);  // parked: only the close can end it
  s.o.status = r.status;
  s.o.units = rx.avail_units();
  s.o.closed = rx.is_closed();
}

TEST(WaitThreshold, CloseWakesAParkedConsumer) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<int>().name("to_close").capacity(64).build();
  ASSERT_TRUE(tx.try_send(1).sent());
  Stepped s;
  graph.actor("waiter").spin(0).run(wait_then_close_seen, std::move(rx), std::ref(s));
  Watchdog dog(graph);
  graph.start();
  ASSERT_TRUE(eventually([&] { return s.step.load() == 1; }));
  tx.mark_closed();
  const auto report = graph.block_until_stopped(5s);
  dog.disarm();
  EXPECT_FALSE(dog.fired()) << "mark_closed did not wake the consumer";
  EXPECT_TRUE(report.clean);
  EXPECT_EQ(s.o.status, WaitStatus::satisfied);
  EXPECT_EQ(s.o.units, 1u);
  EXPECT_TRUE(s.o.closed);
}

// A producer blocked on a full channel is released when its consumer finishes for good.
Task leave_at_once(Context&, Rx<int>&) {
  co_return;
}

Task wait_for_room_then_send(Context& ctx, Tx<int>& tx, One& o) {
  const WaitResult r = co_await ctx.wait_vacant(tx, 1);
  o.status = r.status;
  o.units = tx.vacant_units();
  o.send = tx.try_send(5).outcome();
}

TEST(WaitThreshold, DepartedConsumerReleasesAProducerWaitingForRoom) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<int>().name("full").capacity(2).build();
  ASSERT_TRUE(tx.try_send(1).sent());
  ASSERT_TRUE(tx.try_send(2).sent());
  One o;
  graph.actor("producer").spin(0).run(wait_for_room_then_send, std::move(tx), std::ref(o));
  graph.actor("consumer").run(leave_at_once, std::move(rx));
  bool dog = false;
  const auto report = run_graph(graph, &dog);
  EXPECT_FALSE(dog) << "the producer was never released";
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(o.status, WaitStatus::satisfied);
  EXPECT_EQ(o.units, 0u) << "no room was made; the wait ended because nobody will ever read";
  EXPECT_EQ(o.send, steady::SendOutcome::closed);
}

// ---------------------------------------------------------------- combinators

struct Combined {
  std::atomic<int> step{0};
  std::vector<WaitResult> results;
  u64 a_at_all = 0, b_at_all = 0;
};

Task combinator_tour(Context& ctx, Rx<int>& a, Rx<int>& b, Combined& c) {
  using steady::after;
  using steady::avail;
  // 1. only b has a message
  c.results.push_back(co_await ctx.wait_any(avail(a, 1), avail(b, 1)));
  (void)b.try_take();
  // 2. nothing anywhere: the timeout ends it
  c.results.push_back(co_await ctx.wait_any(avail(a, 1), avail(b, 1)).timeout(20ms));
  // 3. a timer condition inside any-of is a lane like the others
  c.results.push_back(co_await ctx.wait_any(avail(a, 1), after(20ms)));
  // 4. all-of is not satisfied by its timer alone
  c.results.push_back(co_await ctx.wait_all(avail(a, 1), after(1ms)).timeout(30ms));
  c.step = 1;  // the test now sends one message to a, then one to b
  // 5. all-of waits for both
  c.results.push_back(co_await ctx.wait_all(avail(a, 1), avail(b, 1)));
  c.a_at_all = a.avail_units();
  c.b_at_all = b.avail_units();
  // 6. both ready: any-of reports the first
  c.results.push_back(co_await ctx.wait_any(avail(a, 1), avail(b, 1)));
}

TEST(Combinators, LanesTimeoutsAndAllOf) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [txa, rxa] = graph.channel<int>().name("a").capacity(8).build();
  auto [txb, rxb] = graph.channel<int>().name("b").capacity(8).build();
  ASSERT_TRUE(txb.try_send(1).sent());
  Combined c;
  graph.actor("tour").spin(0).run(combinator_tour, std::move(rxa), std::move(rxb), std::ref(c));
  Watchdog dog(graph);
  graph.start();
  ASSERT_TRUE(eventually([&] { return c.step.load() == 1; }));
  ASSERT_TRUE(txa.try_send(10).sent());
  ASSERT_TRUE(txb.try_send(20).sent());
  const auto report = graph.block_until_stopped(5s);
  dog.disarm();
  EXPECT_FALSE(dog.fired());
  EXPECT_TRUE(report.clean) << report.to_string();
  ASSERT_EQ(c.results.size(), 6u);
  EXPECT_TRUE(c.results[0].satisfied());
  EXPECT_EQ(c.results[0].lane, 1u) << "only b was ready";
  EXPECT_TRUE(c.results[1].timed_out());
  EXPECT_EQ(c.results[1].lane, WaitResult::no_lane);
  EXPECT_TRUE(c.results[2].satisfied());
  EXPECT_EQ(c.results[2].lane, 1u) << "the timer is the second condition";
  EXPECT_TRUE(c.results[3].timed_out()) << "all-of must not be satisfied by one of its conditions";
  EXPECT_TRUE(c.results[4].satisfied());
  EXPECT_EQ(c.results[4].lane, WaitResult::no_lane) << "all-of has no lane";
  EXPECT_GE(c.a_at_all, 1u);
  EXPECT_GE(c.b_at_all, 1u);
  EXPECT_TRUE(c.results[5].satisfied());
  EXPECT_EQ(c.results[5].lane, 0u) << "any-of reports the first ready condition";
}

Task all_of_avail_and_vacant(Context& ctx, Rx<int>& in, Tx<int>& out, One& o) {
  const WaitResult r = co_await ctx.wait_all(steady::avail(in, 2), steady::vacant(out, 1)).timeout(30ms);
  o.status = r.status;
  o.units = in.avail_units();
}

TEST(Combinators, AllOfAvailAndVacantNeedsBoth) {
  // in has 2 (enough), out is full: all-of must time out.
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx_in, rx_in] = graph.channel<int>().name("in").capacity(4).build();
  auto [tx_out, rx_out] = graph.channel<int>().name("out").capacity(1).build();
  ASSERT_TRUE(tx_in.try_send(1).sent());
  ASSERT_TRUE(tx_in.try_send(2).sent());
  ASSERT_TRUE(tx_out.try_send(3).sent());
  One o;
  graph.actor("relay").run(all_of_avail_and_vacant, std::move(rx_in), std::move(tx_out), std::ref(o));
  const auto report = run_graph(graph);
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(o.status, WaitStatus::timed_out);
  EXPECT_EQ(o.units, 2u);
}

// The relay's pair in the other order (vacant first): the same awaiter. Every actor parks (spin 0), so the relay
// really sleeps with one condition met and must be woken by the other: `in` fills first, the room in `out` comes
// only after the drain has been told that `in` is filled.
struct PairLog {
  WaitStatus relay = WaitStatus::timed_out;
  std::vector<int> drained;
};
Task pair_feed(Context&, Tx<int>& in, Tx<int>& go) {
  (void)in.try_send(1);
  (void)in.try_send(2);
  (void)go.try_send(0);
  co_return;
}
Task pair_relay(Context& ctx, Rx<int>& in, Tx<int>& out, PairLog& log) {
  const WaitResult r = co_await ctx.wait_all(steady::vacant(out, 1), steady::avail(in, 2));
  log.relay = r.status;
  if (!r.satisfied()) co_return;
  const int a = in.try_take().value_or(0);
  const int b = in.try_take().value_or(0);
  (void)out.try_send(a + b);
}
Task pair_drain(Context& ctx, Rx<int>& go, Rx<int>& out, PairLog& log) {
  if (!(co_await ctx.wait_avail(go, 1)).satisfied()) co_return;
  (void)go.try_take();
  for (int k = 0; k < 2; ++k) {
    if (!(co_await ctx.wait_avail(out, 1)).satisfied()) co_return;
    log.drained.push_back(out.try_take().value_or(-1));
  }
}

TEST(Combinators, AllOfVacantAndAvailSleepsWithOneMetAndWakesForTheOther) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx_in, rx_in] = graph.channel<int>().name("in").capacity(4).build();
  auto [tx_out, rx_out] = graph.channel<int>().name("out").capacity(1).build();
  auto [tx_go, rx_go] = graph.channel<int>().name("go").capacity(1).build();
  ASSERT_TRUE(tx_out.try_send(3).sent());  // out is full until the drain takes this
  PairLog log;
  graph.actor("relay").spin(0).run(pair_relay, std::move(rx_in), std::move(tx_out), std::ref(log));
  graph.actor("drain").spin(0).run(pair_drain, std::move(rx_go), std::move(rx_out), std::ref(log));
  graph.actor("feed").spin(0).run(pair_feed, std::move(tx_in), std::move(tx_go));
  bool hung = false;
  const auto report = run_graph(graph, &hung);
  EXPECT_FALSE(hung) << "the relay was not woken by the second condition";
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(log.relay, WaitStatus::satisfied);
  EXPECT_EQ(log.drained, (std::vector<int>{3, 3})) << "the pre-filled 3, then the relay's 1 + 2";
}

struct PassedTimer {
  std::chrono::nanoseconds cpu{0};
  WaitStatus status = WaitStatus::satisfied;
};

std::chrono::nanoseconds thread_cpu() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

Task passed_timer_and_full_channel(Context& ctx, Tx<int>& out, PassedTimer& p) {
  const auto cpu0 = thread_cpu();  // a solo actor: the same thread before and after the wait
  p.status = (co_await ctx.wait_all(steady::after(0ns), steady::vacant(out, 1)).timeout(300ms)).status;
  p.cpu = thread_cpu() - cpu0;
}

TEST(Combinators, AllOfWithAPassedTimerSleepsUntilTheChannelIsReady) {
  // The timer is satisfied at once, the channel stays full. The actor must sleep until its timeout; it used to be
  // woken again and again at the timer's passed time, a busy loop burning its thread's CPU for the whole 300 ms.
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx_out, rx_out] = graph.channel<int>().name("out").capacity(1).build();
  ASSERT_TRUE(tx_out.try_send(1).sent());
  PassedTimer p;
  graph.actor("waiter").run(passed_timer_and_full_channel, std::move(tx_out), std::ref(p));
  const auto report = run_graph(graph);
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(p.status, WaitStatus::timed_out);
  EXPECT_LT(p.cpu, 50ms) << "the waiting actor's thread was busy while it waited";
}

Task paced_source(Context& ctx, Tx<int>& out, int count) {
  int sent = 0;
  while (sent < count && ctx.is_running()) {
    const WaitResult r = co_await ctx.wait_all(steady::periodic(200us), steady::vacant(out, 1));
    if (r.satisfied() && out.try_send(sent).sent()) ++sent;
  }
  ctx.request_shutdown();  // the sink drains what is left, then agrees
}

Task paced_sink(Context& ctx, Rx<int>& in, int& taken) {
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    (void)co_await ctx.wait_avail(in, 1);
    while (in.try_take()) ++taken;
  }
}

TEST(Combinators, AllOfATimerAndRoomKeepsGoingWhenTheTimerPassesWhileTheActorGoesToSleep) {
  // A periodic timer with room in the channel: each pass the timer may pass between the readiness check and going to
  // sleep; it must still wake the actor (dropping passed timers from the deadline must not lose that wake-up).
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<int>().name("paced").capacity(4096).build();
  int taken = 0;
  graph.actor("source").run(paced_source, std::move(tx), 2000);
  graph.actor("sink").run(paced_sink, std::move(rx), std::ref(taken));
  const auto report = run_graph(graph);
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(taken, 2000);
}

// ---------------------------------------------------------------- shutdown ends pending waits

Task wait_forever(Context& ctx, Rx<int>& rx, Stepped& s) {
  while (ctx.is_running()) {
    s.step = 1;
    const WaitResult r = co_await ctx.wait_avail(rx, 1);
    s.o.status = r.status;
  }
  s.step = 2;
}

TEST(WaitShutdown, PendingWaitReturnsShutdownOnStopRequest) {
  for (const bool troupe : {false, true}) {
    auto graph = steady::GraphBuilder::for_testing().build();
    auto t = graph.troupe("t");
    auto [tx, rx] = graph.channel<int>().name("silent").capacity(4).build();
    Stepped s;
    auto b = graph.actor("sleeper");
    if (troupe) b.troupe(t);
    b.spin(0).run(wait_forever, std::move(rx), std::ref(s));
    Watchdog dog(graph);
    graph.start();
    ASSERT_TRUE(eventually([&] { return s.step.load() == 1; }));
    graph.request_shutdown();
    const auto report = graph.block_until_stopped(5s);
    dog.disarm();
    EXPECT_FALSE(dog.fired());
    EXPECT_TRUE(report.clean) << report.to_string();
    EXPECT_EQ(s.o.status, WaitStatus::shutdown) << (troupe ? "troupe" : "solo");
    EXPECT_EQ(s.step.load(), 2);
  }
}

// ---------------------------------------------------------------- bundles

struct Lanes {
  Lanes() { lanes.reserve(64); }
  std::vector<std::size_t> lanes;
  std::atomic<std::size_t> count{0};  // lanes.size(), published for the test thread
  u64 empty_lane_returned = 0;        // a returned lane that had nothing in it
  WaitStatus last = WaitStatus::satisfied;
};

Task round_robin_reader(Context& ctx, steady::RxBundle<int, 4>& in, int passes, Lanes& l) {
  for (int i = 0; i < passes; ++i) {
    const WaitResult r = co_await ctx.wait_avail_any(in, 1);
    if (!r.satisfied() || r.lane >= 4) {
      l.last = r.status;
      co_return;
    }
    l.lanes.push_back(r.lane);
    if (!in[r.lane].try_take()) ++l.empty_lane_returned;
    l.count.store(l.lanes.size());
  }
  l.last = (co_await ctx.wait_avail_any(in, 1).timeout(20ms)).status;
}

TEST(Bundles, BuildBundleNamesEachLane) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [txs, rxs] = graph.channel<int>().name("lanes").capacity(3).build_bundle<4>();
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(txs[i].name(), "lanes[" + std::to_string(i) + "]");
    EXPECT_EQ(rxs[i].name(), txs[i].name());
    EXPECT_EQ(rxs[i].capacity(), 3u);
    ASSERT_TRUE(txs[i].try_send(static_cast<int>(i)).sent());
  }
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(rxs[i].try_take(), std::optional<int>(static_cast<int>(i)));
}

TEST(Bundles, WaitAvailAnyIsRoundRobinWhenEveryLaneIsReady) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [txs, rxs] = graph.channel<int>().name("rr").capacity(8).build_bundle<4>();
  for (auto& tx : txs)
    for (int k = 0; k < 3; ++k) ASSERT_TRUE(tx.try_send(k).sent());
  Lanes l;
  graph.actor("reader").run(round_robin_reader, std::move(rxs), 12, std::ref(l));
  const auto report = run_graph(graph);
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(l.lanes, (std::vector<std::size_t>{0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}))
      << "with every lane ready, successive waits rotate through the lanes";
  EXPECT_EQ(l.empty_lane_returned, 0u);
  EXPECT_EQ(l.last, WaitStatus::timed_out) << "all lanes drained: the final wait times out";
}

TEST(Bundles, WaitAvailAnyReturnsTheOnlyReadyLane) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [txs, rxs] = graph.channel<int>().name("one").capacity(8).build_bundle<4>();
  for (int k = 0; k < 5; ++k) ASSERT_TRUE(txs[2].try_send(k).sent());
  Lanes l;
  graph.actor("reader").run(round_robin_reader, std::move(rxs), 5, std::ref(l));
  const auto report = run_graph(graph);
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(l.lanes, (std::vector<std::size_t>(5, 2))) << "whatever lane the rotation starts at";
  EXPECT_EQ(l.empty_lane_returned, 0u);
  EXPECT_EQ(l.last, WaitStatus::timed_out);
}

// Lanes filled by the test thread while the reader is parked: every wake names a lane that has data.
TEST(Bundles, WaitAvailAnyWakesForTheLaneThatGotData) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [txs, rxs] = graph.channel<int>().name("late").capacity(8).build_bundle<4>();
  Lanes l;
  graph.actor("reader").spin(0).run(round_robin_reader, std::move(rxs), 8, std::ref(l));
  Watchdog dog(graph);
  graph.start();
  const std::size_t order[8] = {3, 1, 1, 0, 2, 3, 0, 2};
  for (std::size_t k = 0; k < 8; ++k) {
    ASSERT_TRUE(eventually([&] { return l.count.load() == k; })) << "reader stuck before message " << k;
    ASSERT_TRUE(txs[order[k]].try_send(static_cast<int>(k)).sent());
    ASSERT_TRUE(eventually([&] { return l.count.load() == k + 1; })) << "no wake for lane " << order[k];
    EXPECT_EQ(l.lanes[k], order[k]);
  }
  const auto report = graph.block_until_stopped(5s);
  dog.disarm();
  EXPECT_FALSE(dog.fired());
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(l.empty_lane_returned, 0u);
}

struct VacantLane {
  WaitResult any, all;
};

Task vacant_lanes(Context& ctx, steady::TxBundle<int, 3>& out, VacantLane& v) {
  v.any = co_await ctx.wait_vacant_any(out, 1);
  v.all = co_await ctx.wait_vacant_all(out, 1).timeout(20ms);
}

TEST(Bundles, WaitVacantAnyReturnsTheLaneWithRoomAndAllOfNeedsEveryLane) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [txs, rxs] = graph.channel<int>().name("out").capacity(2).build_bundle<3>();
  for (std::size_t i : {0u, 2u}) {
    ASSERT_TRUE(txs[i].try_send(1).sent());
    ASSERT_TRUE(txs[i].try_send(2).sent());
  }
  VacantLane v;
  graph.actor("writer").run(vacant_lanes, std::move(txs), std::ref(v));
  const auto report = run_graph(graph);
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_TRUE(v.any.satisfied());
  EXPECT_EQ(v.any.lane, 1u) << "lane 1 is the only one with room";
  EXPECT_TRUE(v.all.timed_out()) << "lanes 0 and 2 are full";
  EXPECT_EQ(rxs[1].avail_units(), 0u);
}

}  // namespace
