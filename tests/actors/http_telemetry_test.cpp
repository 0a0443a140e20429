// The HTTP actors' telemetry: the counters they publish (Context::counter) appear in /metrics with the numbers
// their stats() report, after real requests on 127.0.0.1 (ingest: 202, 503 and 404; egress: a 500 then 2xx).
#include <gtest/gtest.h>

#include <string>

#include <steady/actors/http.hpp>
#include <steady/steady.hpp>
#include <steady/telemetry.hpp>

#include "../telemetry/telemetry_support.hpp"
#include "http_test_support.hpp"

namespace {

using namespace std::chrono_literals;

bool has_metric(const std::string& metrics, const std::string& actor, const std::string& name, std::uint64_t v) {
  return metrics.find("steady_actor_count_total{actor=\"" + actor + "\",name=\"" + name + "\"} " +
                      std::to_string(v) + "\n") != std::string::npos;
}

TEST(HttpTelemetry, CountersNameStatusesBytesAndRetries) {
  http_test::ScriptedServer far([](std::size_t n, const http_test::Received&) { return n == 0 ? 500 : 200; });
  ASSERT_TRUE(far.ok());
  steady::actors::HttpIngest ingest({.path = "/in"});
  steady::actors::HttpEgress egress(
      {.url = "http://127.0.0.1:" + std::to_string(far.port()) + "/out", .backoff_initial = 1ms});
  auto graph = steady::GraphBuilder::for_testing().build();
  // ingest → egress → far end, and a second ingest into a channel of one that nobody takes from (for a 503).
  auto [tx, rx] = graph.channel<std::string>().name("relay").capacity(2).build();
  auto gate = std::make_shared<http_test::Gate<std::string>>();
  auto [gtx, grx] = graph.channel<std::string>().name("held").capacity(1).build();
  steady::actors::HttpIngest held({.path = "/held"});
  graph.actor("ingest").run(ingest, std::move(tx));
  graph.actor("egress").run(egress, std::move(rx));
  graph.actor("held_ingest").run(held, std::move(gtx));
  graph.actor("gate").run(&http_test::Gate<std::string>::actor, std::move(grx), gate);
  auto t = steady::Telemetry::start(graph, telemetry_test::quiet());
  ASSERT_TRUE(t) << t.error();
  graph.start();
  const auto port = ingest.wait_bound(10s), held_port = held.wait_bound(10s);
  ASSERT_NE(port, 0);
  ASSERT_NE(held_port, 0);

  ASSERT_EQ(http_test::post(port, "/in", "hello").status, 202);
  ASSERT_EQ(http_test::post(port, "/nowhere", "x").status, 404);
  ASSERT_EQ(http_test::post(held_port, "/held", "fits").status, 202);
  ASSERT_EQ(http_test::post(held_port, "/held", "full").status, 503);
  ASSERT_TRUE(http_test::eventually([&] { return egress.stats().delivered == 1; }));
  gate->let_through();
  graph.request_shutdown();
  ASSERT_TRUE(graph.block_until_stopped(10s).clean);

  const std::string m = t->metrics();
  EXPECT_TRUE(has_metric(m, "ingest", "http_202_accepted", 1)) << m;
  EXPECT_TRUE(has_metric(m, "ingest", "http_404_not_found", 1)) << m;
  EXPECT_TRUE(has_metric(m, "ingest", "bytes_in", 5)) << m;
  EXPECT_TRUE(has_metric(m, "held_ingest", "http_503_full", 1)) << m;
  EXPECT_TRUE(has_metric(m, "egress", "delivered", 1)) << m;
  EXPECT_TRUE(has_metric(m, "egress", "http_5xx", 1)) << m;
  EXPECT_TRUE(has_metric(m, "egress", "retries", 1)) << m;
  EXPECT_TRUE(has_metric(m, "egress", "bytes_out", egress.stats().bytes_out)) << m;
  EXPECT_EQ(egress.stats().bytes_out, 2 * std::string("hello\n").size());
}

}  // namespace
