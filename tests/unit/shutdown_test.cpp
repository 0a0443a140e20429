// The negotiated stop: a pipeline drains front to back when asked to stop mid-stream; a vetoing actor makes
// the stop time out with its name and reason in the report; a returning actor agrees and has its outputs
// closed; a throwing actor is reported as a failure; steady::drained() votes as documented.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace {

using namespace steady_test::actor_names;
using steady_test::eventually;
using steady_test::run_graph;
using steady_test::Watchdog;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------- drained()

TEST(DrainedVote, VetoesUntilEveryInputIsClosedAndEmpty) {
  auto [tx1, rx1] = steady::make_channel<int>(4, "first");
  auto [tx2, rx2] = steady::make_channel<std::string>(4, "second");

  steady::Vote v = steady::drained(rx1, rx2);
  EXPECT_FALSE(v.agree);
  EXPECT_NE(v.reason.find("first"), std::string::npos) << v.reason;
  EXPECT_NE(v.reason.find("not closed"), std::string::npos) << v.reason;

  ASSERT_TRUE(tx1.try_send(1).sent());
  ASSERT_TRUE(tx1.try_send(2).sent());
  tx1.mark_closed();
  v = steady::drained(rx1, rx2);
  EXPECT_FALSE(v.agree);
  EXPECT_NE(v.reason.find("'first' still holds 2 messages"), std::string::npos) << v.reason;

  while (rx1.try_take()) {
  }
  v = steady::drained(rx1, rx2);
  EXPECT_FALSE(v.agree);
  EXPECT_NE(v.reason.find("second"), std::string::npos)
      << "the first input is done; the second is named now: " << v.reason;
  tx2.mark_closed();
  v = steady::drained(rx1, rx2);
  EXPECT_TRUE(v.agree) << v.reason;
  EXPECT_TRUE(v.reason.empty());
  EXPECT_TRUE(steady::drained().agree) << "no inputs: nothing to wait for";
}

// ---------------------------------------------------------------- drain on a stop request

// Source: sends a numbered stream until asked to stop, then agrees at once (the graph closes its output).
Task numbers(Context& ctx, Tx<u64>& out, std::atomic<u64>& sent) {
  std::vector<u64> batch(64);
  u64 next = 0;
  while (ctx.is_running()) {
    co_await ctx.wait_vacant(out, 16);
    const std::size_t k = std::min<u64>(batch.size(), out.vacant_units());
    for (std::size_t i = 0; i < k; ++i) batch[i] = next + i;
    next += out.send_slice(std::span<const u64>(batch.data(), k));
    sent.store(next, std::memory_order_relaxed);
  }
}

// Middle: passes everything on; agrees once its input is closed and empty, closing its output then.
Task pass_on(Context& ctx, Rx<u64>& in, Tx<u64>& out) {
  while (ctx.is_running([&] { return in.is_closed_and_empty() && out.mark_closed(); })) {
    co_await ctx.wait_all(steady::avail(in, 1), steady::vacant(out, 1));
    auto view = in.peek_slice(out.vacant_units());
    std::vector<u64> tmp(view.size());
    for (std::size_t i = 0; i < view.size(); ++i) tmp[i] = view[i];
    in.advance_take(out.send_slice(tmp));
  }
}

struct Sink {
  std::atomic<u64> received{0};
  u64 out_of_order = 0;
  bool saw_closed_and_empty = false;
};

Task sink(Context& ctx, Rx<u64>& in, Sink& s) {
  std::vector<u64> buf(128);
  u64 count = 0;
  while (ctx.is_running([&] { return steady::drained(in); })) {
    co_await ctx.wait_avail(in, 32);
    const std::size_t n = in.take_slice(buf);
    for (std::size_t i = 0; i < n; ++i) s.out_of_order += buf[i] != count++;
    s.received.store(count, std::memory_order_relaxed);
  }
  s.saw_closed_and_empty = in.is_closed_and_empty();
}

TEST(Shutdown, StopRequestedMidStreamDrainsEverySentMessage) {
  for (const bool troupe : {false, true}) {
    auto graph = steady::GraphBuilder::for_testing().build();
    auto t = graph.troupe("middle");
    auto [a_tx, a_rx] = graph.channel<u64>().name("raw").capacity(128).build();
    auto [b_tx, b_rx] = graph.channel<u64>().name("passed").capacity(100).build();
    std::atomic<u64> sent{0};
    Sink s;
    graph.actor("numbers").run(numbers, std::move(a_tx), std::ref(sent));
    auto mid = graph.actor("pass_on");
    if (troupe) mid.troupe(t);
    mid.run(pass_on, std::move(a_rx), std::move(b_tx));
    auto end = graph.actor("sink");
    if (troupe) end.troupe(t);
    end.run(sink, std::move(b_rx), std::ref(s));
    Watchdog dog(graph);
    graph.start();
    ASSERT_TRUE(eventually([&] { return s.received.load() >= 10'000; })) << "the stream never got going";
    graph.request_shutdown();  // mid-stream: the source is still sending
    const auto report = graph.block_until_stopped(5s);
    dog.disarm();
    EXPECT_FALSE(dog.fired());
    EXPECT_TRUE(report.clean) << report.to_string();
    EXPECT_FALSE(report.timed_out);
    EXPECT_TRUE(report.vetoes.empty());
    EXPECT_TRUE(report.failures.empty());
    EXPECT_EQ(graph.state(), steady::GraphState::stopped);
    EXPECT_EQ(s.received.load(), sent.load()) << "messages were lost in the drain";
    EXPECT_EQ(s.out_of_order, 0u);
    EXPECT_TRUE(s.saw_closed_and_empty);
  }
}

// ---------------------------------------------------------------- vetoes

Task veto_forever(Context& ctx) {
  while (ctx.is_running([] { return steady::veto("my reason"); })) co_await ctx.wait_for(5ms);
}

TEST(Shutdown, ActorVetoingForeverMakesTheStopTimeOutNamingIt) {
  auto graph = steady::GraphBuilder::for_testing().build();
  graph.actor("stubborn").suffix(3).run(veto_forever);
  Watchdog dog(graph);
  graph.start();
  EXPECT_EQ(graph.state(), steady::GraphState::running);
  const auto t0 = Clock::now();
  graph.request_shutdown();
  const auto report = graph.block_until_stopped(500ms);
  const auto took = Clock::now() - t0;
  dog.disarm();
  EXPECT_FALSE(report.clean);
  EXPECT_TRUE(report.timed_out);
  ASSERT_EQ(report.vetoes.size(), 1u) << report.to_string();
  EXPECT_EQ(report.vetoes[0].actor, "stubborn_3");
  EXPECT_EQ(report.vetoes[0].reason, "my reason");
  EXPECT_GE(took, 500ms) << "gave up before the timeout";
  EXPECT_LT(took, 4s) << "the forced stop took too long";
  EXPECT_EQ(graph.state(), steady::GraphState::stopped_unclean);
  const std::string text = report.to_string();
  EXPECT_NE(text.find("stubborn_3"), std::string::npos) << text;
  EXPECT_NE(text.find("my reason"), std::string::npos) << text;
}

Task veto_with_bool(Context& ctx) {
  while (ctx.is_running([] { return false; })) co_await ctx.wait_for(5ms);
}

Task agree_soon(Context& ctx) {
  while (ctx.is_running()) co_await ctx.wait_for(5ms);
}

TEST(Shutdown, ReportNamesOnlyTheActorsThatVetoed) {
  auto graph = steady::GraphBuilder::for_testing().build();
  graph.actor("fine").run(agree_soon);
  graph.actor("boolean").run(veto_with_bool);
  graph.actor("stubborn").run(veto_forever);
  graph.start();
  graph.request_shutdown();
  const auto report = graph.block_until_stopped(300ms);
  EXPECT_TRUE(report.timed_out);
  ASSERT_EQ(report.vetoes.size(), 2u) << report.to_string();
  std::vector<std::string> names{report.vetoes[0].actor, report.vetoes[1].actor};
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"boolean", "stubborn"}));
  for (const auto& v : report.vetoes) {
    EXPECT_FALSE(v.reason.empty()) << v.actor;
    if (v.actor == "stubborn") EXPECT_EQ(v.reason, "my reason");
  }
}

// A veto that is lifted in time gives a clean stop.
Task veto_until_released(Context& ctx, std::atomic<bool>& release) {
  while (ctx.is_running([&] { return release.load() ? steady::agree() : steady::veto("holding"); }))
    co_await ctx.wait_for(2ms);
}

TEST(Shutdown, VetoLiftedBeforeTheTimeoutStopsCleanly) {
  auto graph = steady::GraphBuilder::for_testing().build();
  std::atomic<bool> release{false};
  graph.actor("holder").run(veto_until_released, std::ref(release));
  graph.start();
  graph.request_shutdown();
  std::thread releaser([&] { release = true; });
  const auto report = graph.block_until_stopped(10s);
  releaser.join();
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_TRUE(report.vetoes.empty());
}

// ---------------------------------------------------------------- returning and failing actors

Task send_three_and_return(Context& ctx, Tx<int>& out) {
  for (int i = 0; i < 3;) {
    co_await ctx.wait_vacant(out, 1);
    if (out.try_send(i)) ++i;
  }
  // no mark_closed: returning closes the output
}

struct Drain {
  std::vector<int> got;
  bool closed_and_empty = false;
};

Task read_until_closed(Context& ctx, Rx<int>& in, Drain& d) {
  while (!in.is_closed_and_empty()) {
    co_await ctx.wait_avail(in, 1);
    while (auto v = in.try_take()) d.got.push_back(*v);
  }
  d.closed_and_empty = in.is_closed_and_empty();
}

TEST(Shutdown, ReturningActorAgreesAndItsOutputsAreClosed) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<int>().name("three").capacity(2).build();
  Drain d;
  graph.actor("producer").run(send_three_and_return, std::move(tx));
  graph.actor("consumer").spin(0).run(read_until_closed, std::move(rx), std::ref(d));
  bool dog = false;
  const auto report =
      run_graph(graph, &dog);  // nobody requests a stop: the graph ends when both have returned
  EXPECT_FALSE(dog) << "the consumer never saw the output closed";
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(d.got, (std::vector<int>{0, 1, 2}));
  EXPECT_TRUE(d.closed_and_empty);
  EXPECT_EQ(graph.state(), steady::GraphState::stopped);
}

Task throw_after_one(Context& ctx, Tx<int>& out) {
  co_await ctx.wait_vacant(out, 1);
  (void)out.try_send(7);
  throw std::runtime_error("sensor on fire");
}

TEST(Shutdown, ThrowingActorAppearsInFailuresAndItsOutputsAreClosed) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<int>().name("hot").capacity(4).build();
  Drain d;
  // `never`: the failed actor stays stopped, its outputs are closed, the rest of the graph goes on.
  graph.actor("sensor").suffix(1).restart(steady::RestartPolicy::never()).run(throw_after_one, std::move(tx));
  graph.actor("reader").run(read_until_closed, std::move(rx), std::ref(d));
  bool dog = false;
  const auto report = run_graph(graph, &dog);
  EXPECT_FALSE(dog);
  EXPECT_FALSE(report.clean) << "a failure makes the stop unclean";
  EXPECT_FALSE(report.timed_out);
  ASSERT_EQ(report.failures.size(), 1u) << report.to_string();
  EXPECT_EQ(report.failures[0].actor, "sensor_1");
  EXPECT_NE(report.failures[0].what.find("sensor on fire"), std::string::npos) << report.failures[0].what;
  EXPECT_NE(report.to_string().find("sensor on fire"), std::string::npos);
  EXPECT_EQ(d.got, std::vector<int>{7}) << "what it sent before failing is delivered, once";
  EXPECT_TRUE(d.closed_and_empty);
  EXPECT_EQ(graph.state(), steady::GraphState::stopped_unclean);
}

Task throw_non_std(Context& ctx) {
  co_await ctx.wait_for(0ns);
  throw 42;
}

TEST(Shutdown, NonStandardExceptionIsStillAFailure) {
  auto graph = steady::GraphBuilder::for_testing().build();
  graph.actor("odd").restart(steady::RestartPolicy::never()).run(throw_non_std);
  const auto report = run_graph(graph);
  EXPECT_FALSE(report.clean);
  ASSERT_EQ(report.failures.size(), 1u) << report.to_string();
  EXPECT_EQ(report.failures[0].actor, "odd");
  EXPECT_FALSE(report.failures[0].what.empty());
}

Task read_while_running(Context& ctx, Rx<int>& in, Drain& d) {
  while (ctx.is_running([&] { return steady::drained(in); })) {
    co_await ctx.wait_avail(in, 1);
    while (auto v = in.try_take()) d.got.push_back(*v);
  }
  d.closed_and_empty = in.is_closed_and_empty();
}

Task idle_until_stopped(Context& ctx) {
  while (ctx.is_running()) co_await ctx.wait_for(5ms);
}

TEST(Shutdown, ThrowingActorWithTheDefaultPolicyEscalatesAndStopsTheGraph) {
  // Default: restart within a budget; when the budget is spent the failure escalates and stops the graph. The
  // innocent bystander agrees to that stop; the report names the failed actor and its exception.
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<int>().name("hot").capacity(64).build();
  Drain d;
  graph.actor("sensor").run(throw_after_one, std::move(tx));
  graph.actor("reader").run(read_while_running, std::move(rx), std::ref(d));
  graph.actor("bystander").run(idle_until_stopped);
  bool dog = false;
  const auto report = run_graph(graph, &dog);
  EXPECT_FALSE(dog) << "the spent restart budget did not stop the graph";
  EXPECT_FALSE(report.clean);
  ASSERT_FALSE(report.failures.empty()) << report.to_string();
  EXPECT_EQ(report.failures.back().actor, "sensor");
  EXPECT_NE(report.failures.back().what.find("sensor on fire"), std::string::npos)
      << report.failures.back().what;
  EXPECT_GE(d.got.size(), 2u) << "each restarted incarnation ran again with the same output channel";
  EXPECT_TRUE(std::all_of(d.got.begin(), d.got.end(), [](int v) { return v == 7; }));
}

// ---------------------------------------------------------------- stop requests from inside and from
// anywhere

Task ask_to_stop_at_once(Context& ctx, std::atomic<int>& passes) {
  ctx.request_shutdown();
  ctx.request_shutdown();  // idempotent
  while (ctx.is_running()) {
    passes.fetch_add(1);
    co_await ctx.wait_for(1ms);
  }
}

TEST(Shutdown, StopRequestedByAnActorAtStartIsCleanEveryTime) {
  // The test thread enters block_until_stopped() while the actor's request is in flight. Every interleaving
  // must give a clean, untimed-out report: the actor agrees at once and the timeout (5 s) is far away. The
  // bad window is a few nanoseconds wide in a plain build; sanitizer builds widen it, so they run more
  // rounds.
  const int rounds = steady_test::kSanitized ? 400 : 300;
  int unclean = 0;
  std::string first_bad;
  for (int i = 0; i < rounds; ++i) {
    auto graph = steady::GraphBuilder::for_testing().build();
    std::atomic<int> passes{0};
    graph.actor("quitter").run(ask_to_stop_at_once, std::ref(passes));
    graph.start();
    const auto report = graph.block_until_stopped(5s);
    if (!report.clean || report.timed_out || report.stop_duration > 5s) {
      if (unclean++ == 0) first_bad = report.to_string();
    }
    EXPECT_EQ(passes.load(), 0) << "is_running() after a stop request with no veto must end the loop";
  }
  EXPECT_EQ(unclean, 0)
      << unclean << " of " << rounds << " rounds stopped unclean; first: " << first_bad
      << "\n(block_until_stopped saw the stop phase before stop_requested_at was set, so its "
         "deadline was already in the past)";
}

TEST(Shutdown, RequestShutdownIsIdempotentAndWorksFromAnyThread) {
  auto graph = steady::GraphBuilder::for_testing().build();
  graph.actor("a").run(agree_soon);
  graph.actor("b").run(agree_soon);
  Watchdog dog(graph);
  graph.start();
  std::thread t1([&] { graph.request_shutdown(); });
  std::thread t2([&] { graph.request_shutdown(); });
  t1.join();
  t2.join();
  graph.request_shutdown();
  const auto report = graph.block_until_stopped(5s);
  dog.disarm();
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_LT(report.stop_duration, 5s);
}

TEST(Shutdown, GraphDestructorStopsARunningGraph) {
  std::atomic<bool> finished{false};
  {
    auto graph = steady::GraphBuilder::for_testing().build();
    graph.actor("runner").run([&finished](Context& ctx) -> Task {
      while (ctx.is_running()) co_await ctx.wait_for(1ms);
      finished = true;
    });
    graph.start();
  }  // ~Graph requests the stop and waits
  EXPECT_TRUE(finished.load());
}

TEST(Shutdown, BlockUntilStoppedOnANeverStartedGraphIsClean) {
  auto graph = steady::GraphBuilder::for_testing().build();
  EXPECT_EQ(graph.state(), steady::GraphState::building);
  const auto report = graph.block_until_stopped(1s);
  EXPECT_TRUE(report.clean);
}

}  // namespace
