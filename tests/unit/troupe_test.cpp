// Troupes: actors that share one thread take turns (the fairness budget keeps a busy member from starving the
// others), and placement is configuration: the same actor code gives the same results solo, in one troupe, or
// mixed.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace {

using namespace steady_test::actor_names;
using steady_test::run_graph;
using steady_test::scaled;

// ---------------------------------------------------------------- fairness

// Both busy actors run on one thread and record who ran each pass, so the longest run of one actor is exact.
struct Turns {
  char last = 0;
  u64 run = 0;
  u64 longest_run = 0;
  u64 passes_a = 0;
  u64 passes_b = 0;
  void pass(char who) {
    run = who == last ? run + 1 : 1;
    last = who;
    longest_run = std::max(longest_run, run);
    ++(who == 'a' ? passes_a : passes_b);
  }
};

// Never waits for anything that is not already true; sends when there is room, counts passes either way.
Task busy_sender(Context& ctx, Tx<u64>& tx, Turns& turns) {
  u64 next = 0;
  while (ctx.is_running()) {
    co_await ctx.wait_for(0ns);
    turns.pass('a');
    if (tx.try_send(next)) ++next;
  }
}

Task busy_idler(Context& ctx, Turns& turns) {
  while (ctx.is_running()) {
    co_await ctx.wait_for(0ns);
    turns.pass('b');
  }
}

struct Counted {
  u64 received = 0;
  u64 out_of_order = 0;
};

// Solo: stops the whole graph once it has seen `enough` items from the busy sender.
Task stop_after(Context& ctx, Rx<u64>& rx, u64 enough, Counted& c) {
  std::vector<u64> buf(256);
  bool asked = false;
  while (ctx.is_running([&] { return steady::drained(rx); })) {
    co_await ctx.wait_avail(rx, 1);
    const std::size_t n = rx.take_slice(buf);
    for (std::size_t i = 0; i < n; ++i) c.out_of_order += buf[i] != c.received++;
    if (!asked && c.received >= enough) {
      asked = true;
      ctx.request_shutdown();
    }
  }
}

TEST(TroupeFairness, TwoBusyActorsInOneTroupeBothMakeProgress) {
  constexpr std::uint32_t budget = 16;
  const u64 enough = scaled(20'000, 2'000);
  auto graph = steady::GraphBuilder::for_testing().fairness_budget(budget).build();
  auto t = graph.troupe("busy");
  auto [tx, rx] = graph.channel<u64>().name("items").capacity(256).build();
  Turns turns;
  Counted c;
  graph.actor("a").troupe(t).run(busy_sender, std::move(tx), std::ref(turns));
  graph.actor("b").troupe(t).run(busy_idler, std::ref(turns));
  graph.actor("stopper").run(stop_after, std::move(rx), enough, std::ref(c));
  bool dog = false;
  const auto report = run_graph(graph, &dog);
  EXPECT_FALSE(dog) << "the graph never stopped: one busy actor starved the other";
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_GE(c.received, enough);
  EXPECT_EQ(c.out_of_order, 0u);
  EXPECT_GT(turns.passes_a, 0u);
  EXPECT_GT(turns.passes_b, 0u) << "b never got a turn";
  EXPECT_GE(turns.passes_b, turns.passes_a / 4) << "b got far fewer turns than a";
  EXPECT_GE(turns.passes_a, turns.passes_b / 4) << "a got far fewer turns than b";
  EXPECT_LE(turns.longest_run, budget + 1) << "an actor kept the thread past its fairness budget";
}

// ---------------------------------------------------------------- same code, any placement

u64 square_plus(u64 v) {
  return v * v + 1;
}

Task generate(Context& ctx, Tx<u64>& out, u64 n) {
  std::vector<u64> batch(32);
  u64 next = 0;
  while (next < n && ctx.is_running()) {
    co_await ctx.wait_vacant(out, 1);
    const std::size_t k = std::min<u64>({batch.size(), n - next, out.vacant_units()});
    std::iota(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(k), next);
    next += out.send_slice(std::span<const u64>(batch.data(), k));
  }
}

std::size_t transform_batch(Rx<u64>& in, Tx<u64>& out) {
  auto view = in.peek_slice(out.vacant_units());
  std::vector<u64> tmp(view.size());
  for (std::size_t i = 0; i < view.size(); ++i) tmp[i] = square_plus(view[i]);
  const std::size_t sent = out.send_slice(tmp);
  in.advance_take(sent);
  return sent;
}

Task transform(Context& ctx, Rx<u64>& in, Tx<u64>& out) {
  while (ctx.is_running([&] { return in.is_closed_and_empty() && out.mark_closed(); })) {
    co_await ctx.wait_all(steady::avail(in, 8), steady::vacant(out, 8));
    (void)transform_batch(in, out);
    if (in.is_closed_and_empty()) break;
  }
}

Task collect(Context& ctx, Rx<u64>& in, std::vector<u64>& out) {
  std::vector<u64> buf(64);
  while (ctx.is_running([&] { return steady::drained(in); })) {
    co_await ctx.wait_avail(in, 16);
    const std::size_t n = in.take_slice(buf);
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    if (in.is_closed_and_empty()) break;
  }
}

enum class Layout { all_solo, one_troupe, mixed, two_troupes };

std::vector<u64> run_pipeline(Layout layout, u64 n) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto t1 = graph.troupe("t1");
  auto t2 = graph.troupe("t2");
  auto [a_tx, a_rx] = graph.channel<u64>().name("numbers").capacity(50).build();
  auto [b_tx, b_rx] = graph.channel<u64>().name("squares").capacity(64).build();
  std::vector<u64> out;
  auto gen = graph.actor("generate");
  auto mid = graph.actor("transform");
  auto sink = graph.actor("collect");
  switch (layout) {
    case Layout::all_solo:
      break;
    case Layout::one_troupe:
      gen.troupe(t1), mid.troupe(t1), sink.troupe(t1);
      break;
    case Layout::mixed:
      gen.troupe(t1), sink.troupe(t1);
      break;
    case Layout::two_troupes:
      gen.troupe(t1), mid.troupe(t2), sink.troupe(t1);
      break;
  }
  gen.run(generate, std::move(a_tx), n);
  mid.run(transform, std::move(a_rx), std::move(b_tx));
  sink.run(collect, std::move(b_rx), std::ref(out));
  bool dog = false;
  const auto report = run_graph(graph, &dog);
  EXPECT_FALSE(dog);
  EXPECT_TRUE(report.clean) << report.to_string();
  return out;
}

TEST(Placement, SameActorCodeSameResultsSoloOrTroupe) {
  const u64 n = scaled(200'000, 5'000);
  std::vector<u64> expected(n);
  for (u64 i = 0; i < n; ++i) expected[i] = square_plus(i);
  for (Layout l : {Layout::all_solo, Layout::one_troupe, Layout::mixed, Layout::two_troupes}) {
    const auto got = run_pipeline(l, n);
    ASSERT_EQ(got.size(), expected.size()) << "layout " << static_cast<int>(l);
    EXPECT_TRUE(got == expected) << "layout " << static_cast<int>(l) << " delivered different values";
  }
}

// Many actors on one thread: a ten-stage relay chain in a single troupe with tiny channels.
Task relay(Context& ctx, Rx<u64>& in, Tx<u64>& out) {
  while (ctx.is_running([&] { return in.is_closed_and_empty() && out.mark_closed(); })) {
    co_await ctx.wait_all(steady::avail(in, 1), steady::vacant(out, 1));
    while (out.vacant_units() > 0) {
      auto v = in.try_take();
      if (!v) break;
      (void)out.try_send(*v);
    }
    if (in.is_closed_and_empty()) break;
  }
}

TEST(Placement, TenStageChainInOneTroupeWithCapacityTwo) {
  const u64 n = scaled(50'000, 2'000);
  auto graph = steady::GraphBuilder::for_testing().build();
  auto t = graph.troupe("chain");
  std::vector<std::pair<Tx<u64>, Rx<u64>>> links;
  for (int i = 0; i <= 10; ++i)
    links.push_back(graph.channel<u64>().name("link" + std::to_string(i)).capacity(2).build());
  std::vector<u64> out;
  graph.actor("generate").troupe(t).run(generate, std::move(links[0].first), n);
  for (int i = 0; i < 10; ++i)
    graph.actor("relay").suffix(i).troupe(t).run(relay, std::move(links[i].second),
                                                 std::move(links[i + 1].first));
  graph.actor("collect").troupe(t).run(collect, std::move(links[10].second), std::ref(out));
  bool dog = false;
  const auto report = run_graph(graph, &dog);
  EXPECT_FALSE(dog);
  EXPECT_TRUE(report.clean) << report.to_string();
  ASSERT_EQ(out.size(), n);
  for (u64 i = 0; i < n; ++i) ASSERT_EQ(out[i], i);
}

}  // namespace
