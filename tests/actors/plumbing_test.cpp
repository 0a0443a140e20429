// tests/actors/plumbing_test.cpp — Ticker, Console, RateLimiter, Batcher/Unbatcher, Splitter/Merger with the
// testing toolkit. Timers run on the Harness's virtual clock, so the rate and delay checks are exact and
// never depend on how fast the machine is.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <steady/actors.hpp>
#include <steady/testing.hpp>

namespace {

using namespace std::chrono_literals;
using u64 = std::uint64_t;
namespace act = steady::actors;

TEST(Ticker, SendsNumberedTicksOnThePeriodThenStops) {
  steady::testing::Harness h;
  auto& out = h.output<u64>("ticks");
  act::Ticker ticker({.period = 100ms, .count = 5});
  h.actor("ticker").run(ticker, out.end());
  h.run_until_idle();
  EXPECT_TRUE(out.received().empty());  // the first tick is one period away
  h.advance(250ms);
  EXPECT_EQ(out.received(), (std::vector<u64>{0, 1}));
  h.advance(1s);
  EXPECT_EQ(out.received(), (std::vector<u64>{0, 1, 2, 3, 4}));  // count reached: no sixth tick
  EXPECT_EQ(ticker.stats().ticks, 5u);
  EXPECT_EQ(ticker.stats().ticks_dropped, 0u);
  EXPECT_TRUE(h.run_to_stop(1s).clean);
}

TEST(Console, PrintsEachMessageOnItsOwnLine) {
  steady::testing::Harness h;
  auto& in = h.input<std::string>("lines");
  std::ostringstream seen;
  act::Console<std::string> console({.out = &seen, .prefix = "> "});
  h.actor("print").run(console, in.end());
  in.push({"alpha", "beta", "gamma"});
  in.close();
  EXPECT_TRUE(h.run_to_stop(1s).clean);
  EXPECT_EQ(seen.str(), "> alpha\n> beta\n> gamma\n");
  EXPECT_EQ(console.stats().printed, 3u);
}

TEST(Console, PrintsAnyStreamableType) {
  steady::testing::Harness h;
  auto& in = h.input<double>("numbers");
  std::ostringstream seen;
  h.actor("print").run(act::Console<double>({.out = &seen}), in.end());
  in.push({1.5, -2.0});
  in.close();
  EXPECT_TRUE(h.run_to_stop(1s).clean);
  EXPECT_EQ(seen.str(), "1.5\n-2\n");
}

// Token accounting on the virtual clock: the burst passes at once, then exactly per_second per second.
TEST(RateLimiter, NeverPassesMoreThanBurstPlusRateTimesElapsed) {
  steady::testing::Harness h;
  auto& in = h.input<int>("in", 1024);
  auto& out = h.output<int>("out", 1024);
  act::RateLimiter<int> limiter({.per_second = 100, .burst = 10});
  h.actor("limit").run(limiter, in.end(), out.end());
  std::vector<int> items(300);
  for (int i = 0; i < 300; ++i) items[static_cast<std::size_t>(i)] = i;
  in.push_all(items);
  h.run_until_idle();
  EXPECT_EQ(out.received().size(), 10u);  // no virtual time has passed: only the burst
  for (int step = 1; step <= 10; ++step) {
    h.advance(100ms);  // 10 tokens per 100 ms
    const auto passed = limiter.stats().passed;
    EXPECT_LE(passed, 10u + 10u * static_cast<u64>(step)) << "after " << step * 100 << " ms";
    EXPECT_GE(passed, 10u * static_cast<u64>(step)) << "after " << step * 100 << " ms";
    EXPECT_LE(passed, limiter.stats().tokens_granted);
  }
  EXPECT_GT(limiter.stats().throttled, 0u);
  h.advance(2s);
  in.close();
  EXPECT_TRUE(h.run_to_stop(1s).clean);
  EXPECT_EQ(out.received(), items);  // nothing dropped, order kept
}

// Real time: a lower bound on elapsed time cannot be flaky (the limiter can only be slower than its rate).
TEST(RateLimiter, RealTimeTakesAtLeastTheTokenTime) {
  steady::testing::Harness h(steady::testing::Time::real_time);
  auto& in = h.input<int>("in", 256);
  auto& out = h.output<int>("out", 256);
  act::RateLimiter<int> limiter({.per_second = 200, .burst = 5});
  h.actor("limit").run(limiter, in.end(), out.end());
  std::vector<int> items(45);
  in.push_all(items);
  const auto t0 = std::chrono::steady_clock::now();
  h.start();
  ASSERT_TRUE(out.sink().wait_for_count(45, 20s));
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(elapsed, 200ms - 5ms);  // 40 messages beyond the burst at 200/s: at least 200 ms (minus a tick)
  in.close();
  EXPECT_TRUE(h.run_to_stop(5s).clean);
}

TEST(Batcher, FlushesFullBatchesAndThenOnItsMaxDelay) {
  steady::testing::Harness h;
  auto& in = h.input<int>("in");
  auto& out = h.output<std::vector<int>>("batches");
  act::Batcher<int> batcher({.max_items = 4, .max_delay = 50ms});
  h.actor("batch").run(batcher, in.end(), out.end());
  in.push({1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  h.run_until_idle();
  EXPECT_EQ(out.received(), (std::vector<std::vector<int>>{{1, 2, 3, 4}, {5, 6, 7, 8}}));
  h.advance(49ms);
  EXPECT_EQ(out.received().size(), 2u);  // {9, 10} waits for more, up to 50 ms
  h.advance(1ms);
  EXPECT_EQ(out.received(), (std::vector<std::vector<int>>{{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10}}));
  EXPECT_EQ(batcher.stats().flushed_full, 2u);
  EXPECT_EQ(batcher.stats().flushed_by_delay, 1u);
  EXPECT_EQ(batcher.stats().items, 10u);
  in.push(11);
  in.close();  // a closed input flushes what is left at once
  EXPECT_TRUE(h.run_to_stop(1s).clean);
  EXPECT_EQ(out.received().back(), (std::vector<int>{11}));
}

TEST(Unbatcher, SendsEveryMessageOfEveryBatchInOrder) {
  steady::testing::Harness h;
  auto& in = h.input<std::vector<int>>("batches");
  auto& out = h.output<int>("items", 2);  // smaller than a batch: the unbatcher must wait for room
  act::Unbatcher<int> unbatcher({});
  h.actor("unbatch").run(unbatcher, in.end(), out.end());
  in.push({{1, 2, 3, 4, 5}, {}, {6}});
  in.close();
  EXPECT_TRUE(h.run_to_stop(1s).clean);
  EXPECT_EQ(out.received(), (std::vector<int>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(unbatcher.stats().batches, 3u);
}

// Lanes of a bundle, each drained by a recording sink.
template <std::size_t N>
std::array<std::shared_ptr<steady::testing::Sink<int>>, N> lanes_to_sinks(steady::Graph& g,
                                                                          steady::RxBundle<int, N>& rx) {
  std::array<std::shared_ptr<steady::testing::Sink<int>>, N> sinks;
  for (std::size_t i = 0; i < N; ++i) {
    sinks[i] = std::make_shared<steady::testing::Sink<int>>();
    g.actor("lane_sink")
        .suffix(static_cast<int>(i))
        .run(&steady::testing::Sink<int>::actor, std::move(rx[i]), sinks[i]);
  }
  return sinks;
}

TEST(Splitter, ByKeyKeepsEachKeyOnOneLaneInOrder) {
  steady::testing::Harness h;
  auto& in = h.input<int>("in", 512);
  auto [tx, rx] = h.graph().channel<int>().name("lanes").capacity(8).build_bundle<3>();
  act::Splitter<int, 3> splitter({.key = [](const int& v) { return static_cast<u64>(v % 10); }});
  h.actor("split").run(splitter, in.end(), std::move(tx));
  auto sinks = lanes_to_sinks<3>(h.graph(), rx);
  std::vector<int> items;
  for (int i = 0; i < 400; ++i) items.push_back(i);
  in.push_all(items);
  in.close();
  EXPECT_TRUE(h.run_to_stop(1s).clean);
  std::size_t total = 0;
  for (std::size_t lane = 0; lane < 3; ++lane) {
    const auto got = sinks[lane]->received();
    total += got.size();
    std::map<int, int> last_of_key;
    for (int v : got) {
      EXPECT_EQ(static_cast<std::size_t>(v % 10) % 3, lane) << v << " on the wrong lane";
      auto [it, fresh] = last_of_key.try_emplace(v % 10, v);
      if (!fresh) {
        EXPECT_LT(it->second, v) << "key " << v % 10 << " out of order";
        it->second = v;
      }
    }
  }
  EXPECT_EQ(total, 400u);
  EXPECT_EQ(splitter.stats().routed, 400u);
  EXPECT_GT(splitter.stats().lane_waits, 0u);  // lanes of 8 for 400 messages: it had to wait
}

TEST(Splitter, RoundRobinSpreadsEvenlyWhenEveryLaneHasRoom) {
  steady::testing::Harness h;
  auto& in = h.input<int>("in");
  auto [tx, rx] = h.graph().channel<int>().name("lanes").capacity(64).build_bundle<3>();
  h.actor("split").run(act::Splitter<int, 3>({}), in.end(), std::move(tx));
  auto sinks = lanes_to_sinks<3>(h.graph(), rx);
  in.push({0, 1, 2, 3, 4, 5, 6, 7, 8});
  in.close();
  EXPECT_TRUE(h.run_to_stop(1s).clean);
  EXPECT_EQ(sinks[0]->received(), (std::vector<int>{0, 3, 6}));
  EXPECT_EQ(sinks[1]->received(), (std::vector<int>{1, 4, 7}));
  EXPECT_EQ(sinks[2]->received(), (std::vector<int>{2, 5, 8}));
}

TEST(Merger, GathersEveryLaneKeepingEachLanesOrder) {
  steady::testing::Harness h;
  auto& a = h.input<int>("a");
  auto& b = h.input<int>("b");
  auto& c = h.input<int>("c");
  auto& out = h.output<int>("merged", 4);
  steady::RxBundle<int, 3> lanes{a.end(), b.end(), c.end()};
  act::Merger<int, 3> merger({});
  h.actor("merge").run(merger, std::move(lanes), out.end());
  std::vector<int> va, vb, vc;
  for (int i = 0; i < 50; ++i) {
    va.push_back(i);
    vb.push_back(1000 + i);
    if (i < 10) vc.push_back(2000 + i);
  }
  a.push_all(va);
  b.push_all(vb);
  c.push_all(vc);
  a.close();
  b.close();
  c.close();
  EXPECT_TRUE(h.run_to_stop(1s).clean);
  const auto got = out.received();
  ASSERT_EQ(got.size(), 110u);
  std::vector<int> ga, gb, gc;
  for (int v : got) (v < 1000 ? ga : v < 2000 ? gb : gc).push_back(v);
  EXPECT_EQ(ga, va);
  EXPECT_EQ(gb, vb);
  EXPECT_EQ(gc, vc);
  EXPECT_EQ(merger.stats().merged, 110u);
}

}  // namespace
