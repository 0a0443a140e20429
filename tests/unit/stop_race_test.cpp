// A deterministic reproduction of a race between a stop request and block_until_stopped().
//
// GraphCore::request_shutdown() moves `phase` to "stop requested" before it takes `mu` to record
// `stop_requested_at`. A caller entering block_until_stopped() in between sees the stop phase, computes its
// deadline from a `stop_requested_at` that is still the clock's epoch (long past), and reports a timed-out,
// unclean stop at once — while the actors are agreeing normally. shutdown_test.cpp catches it by chance
// (under load or TSan); this test opens the window on purpose by holding the graph's mutex while the actor's
// request is in flight. It reaches into src/graph_core.hpp for that, deliberately: it is a white-box test of
// the stop handshake. If the request takes the lock before it publishes the phase, the actor simply waits for
// the lock, the phase never shows up while we hold it, and the test passes after a short bounded wait.
#include <atomic>
#include <chrono>
#include <mutex>

#include <gtest/gtest.h>

#include "../../src/graph_core.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using steady::Context;
using steady::Task;

Task request_stop(Context& ctx, std::atomic<bool>& gate, std::atomic<bool>& about_to_request) {
  while (!gate.load()) co_await ctx.wait_for(1ms);  // the test holds the graph's mutex before it opens the gate
  about_to_request = true;
  ctx.request_shutdown();  // agrees at once below: the stop is clean unless the report is wrong
  while (ctx.is_running()) co_await ctx.wait_for(1ms);
}

TEST(StopRace, BlockUntilStoppedEnteredDuringAStopRequestIsClean) {
  auto graph = steady::GraphBuilder::for_testing().build();
  std::atomic<bool> gate{false};
  std::atomic<bool> about_to_request{false};
  graph.actor("quitter").run(request_stop, std::ref(gate), std::ref(about_to_request));
  steady::detail::GraphCore& core = graph.core();
  graph.start();  // takes the mutex itself, so it comes before we hold it
  {
    std::unique_lock hold(core.mu);
    gate = true;
    ASSERT_TRUE(steady_test::eventually([&] { return about_to_request.load(); }));
    // The request is in flight. Wait (bounded) until its phase change is visible, while it cannot take the
    // lock.
    (void)steady_test::eventually([&] { return core.phase.load() != 0; }, 200ms);
  }  // release the lock and enter block_until_stopped() at once, ahead of the blocked requester
  const auto report = graph.block_until_stopped(5s);
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_FALSE(report.timed_out)
      << "the 5 s timeout cannot have passed: the deadline was computed from an unset "
         "stop_requested_at";
  EXPECT_TRUE(report.vetoes.empty()) << report.to_string();
  EXPECT_LT(report.stop_duration, 5s);
}

}  // namespace
