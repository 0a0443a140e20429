// Erlang strategies: one_for_one, one_for_all, rest_for_one restart exactly the actors they should.
#include <gtest/gtest.h>

#include <thread>

#include <steady/testing/matchers.hpp>

using namespace std::chrono_literals;
using steady::testing::IsCleanStop;

namespace {

struct Counts {
  std::map<std::string, int> incarnations;  // written by the actors' thread (virtual time: the test's)
  std::atomic<int> total{0};
};

// A worker that counts its incarnations; the one named `victim` throws once, on its first incarnation, when a
// message arrives.
steady::Task worker(steady::Context& ctx, steady::Rx<int>& in, std::shared_ptr<Counts>& counts,
                    std::string& victim) {
  const int me = ++counts->incarnations[ctx.full_name()];
  counts->total.fetch_add(1);
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    co_await ctx.wait_avail(in, 1);
    if (in.try_peek() != nullptr && ctx.full_name() == victim && me == 1)
      throw std::runtime_error(ctx.full_name() + " trips");
    while (in.try_take()) {
    }
    if (in.is_closed_and_empty()) co_return;
  }
}

std::map<std::string, int> run_group(steady::Strategy strategy, const std::string& victim_name) {
  steady::testing::Harness h;
  auto counts = std::make_shared<Counts>();
  auto group = h.graph().supervisor("workers", strategy, steady::RestartPolicy::restart(5, 10s, {1ms, 1ms, 1.0}));
  std::vector<steady::testing::Input<int>*> inputs;
  for (const char* n : {"a", "b", "c", "d"}) {
    auto& in = h.input<int>(std::string("in_") + n);
    h.actor(n).supervisor(group).run(worker, in.end(), counts, std::string(victim_name));
    inputs.push_back(&in);
  }
  h.run_until_idle();
  inputs[1]->push(1);  // only b gets a message: b trips
  h.run_until_idle();
  h.advance(10ms);  // the backoff
  for (auto* in : inputs) in->close();
  const auto report = h.run_to_stop(1s);
  EXPECT_THAT(report, IsCleanStop());
  return counts->incarnations;
}

}  // namespace

TEST(SupervisorGroups, OneForOneRestartsOnlyTheFailedActor) {
  const auto n = run_group(steady::Strategy::one_for_one, "b");
  EXPECT_EQ(n, (std::map<std::string, int>{{"a", 1}, {"b", 2}, {"c", 1}, {"d", 1}}));
}

TEST(SupervisorGroups, OneForAllRestartsEveryMember) {
  const auto n = run_group(steady::Strategy::one_for_all, "b");
  EXPECT_EQ(n, (std::map<std::string, int>{{"a", 2}, {"b", 2}, {"c", 2}, {"d", 2}}));
}

TEST(SupervisorGroups, RestForOneRestartsTheFailedActorAndThoseAddedAfterIt) {
  const auto n = run_group(steady::Strategy::rest_for_one, "b");
  EXPECT_EQ(n, (std::map<std::string, int>{{"a", 1}, {"b", 2}, {"c", 2}, {"d", 2}}));
}

TEST(SupervisorGroups, RestartedMembersKeepTheirChannelContents) {
  // one_for_all on real threads: a member restarted because of another's failure loses none of its input.
  auto graph = steady::GraphBuilder::for_testing().build();
  auto group = graph.supervisor("pair", steady::Strategy::one_for_all, steady::RestartPolicy::restart(5, 10s));
  steady::testing::StageManager stage(graph);
  auto [tx, rx] = graph.channel<int>().name("work").capacity(1024).build();
  auto src = std::make_shared<steady::testing::Source<int>>();
  auto sink = std::make_shared<steady::testing::Sink<int>>();
  auto [t2, r2] = graph.channel<int>().name("trip").capacity(4).build();
  auto trip_src = std::make_shared<steady::testing::Source<int>>();
  graph.actor("feed").run(&steady::testing::Source<int>::actor, std::move(tx), src);
  graph.actor("keeper").supervisor(group).run(&steady::testing::Sink<int>::actor, std::move(rx), sink);
  graph.actor("trip_feed").run(&steady::testing::Source<int>::actor, std::move(t2), trip_src);
  auto counts = std::make_shared<Counts>();
  graph.actor("tripper").supervisor(group).run(worker, std::move(r2), counts, std::string("tripper"));
  graph.start();
  for (int i = 0; i < 500; ++i) src->push(i);
  trip_src->push(1);
  for (int i = 500; i < 1000; ++i) src->push(i);
  // Observe the restart happen before the feed ends (bounded), so the keeper is still alive to be restarted.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (counts->total.load() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_GE(counts->total.load(), 2);
  src->close();
  trip_src->close();
  ASSERT_TRUE(sink->wait_for_count(1000, 10s));
  graph.request_shutdown();
  const auto report = graph.block_until_stopped(5s);
  EXPECT_THAT(report, IsCleanStop());
  EXPECT_EQ(report.restarts, 2u);  // tripper and keeper
  const auto got = sink->received();
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(got[static_cast<std::size_t>(i)], i);
}
