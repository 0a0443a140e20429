// HttpEgress against a scripted HTTP server on 127.0.0.1: retries after 500s deliver every message once and in
// order, the batch formats, a server that appears late (connection refused meanwhile), a 4xx that fails the actor
// with a message naming the URL, bad URLs, and ingest → egress end to end.
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <steady/actors/http.hpp>
#include <steady/steady.hpp>
#include <steady/testing.hpp>

#include "http_test_support.hpp"

namespace {

using namespace std::chrono_literals;
using steady::actors::HttpBatchFormat;
using steady::actors::HttpEgress;
using steady::testing::Source;
using http_test::ScriptedServer;

std::vector<std::string> numbered(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

// Split newline-terminated batches back into messages.
std::vector<std::string> lines_of(const std::vector<std::string>& bodies) {
  std::vector<std::string> out;
  for (const auto& b : bodies) {
    EXPECT_TRUE(!b.empty() && b.back() == '\n') << "a lines batch ends with a newline: " << b;
    std::size_t start = 0;
    for (std::size_t nl; (nl = b.find('\n', start)) != std::string::npos; start = nl + 1)
      out.push_back(b.substr(start, nl - start));
  }
  return out;
}

// A graph: Source → channel → HttpEgress. Messages pushed before start; the source closes after them.
struct EgressRig {
  EgressRig(steady::actors::HttpEgressOptions o, const std::vector<std::string>& messages,
            steady::RestartPolicy policy = steady::RestartPolicy::restart(10, std::chrono::seconds(10)),
            std::uint64_t capacity = 256)
      : egress(std::move(o)), graph(steady::GraphBuilder::for_testing().build()) {
    auto [tx, rx] = graph.channel<std::string>().name("outgoing").capacity(capacity).build();
    source->push_all(messages);
    source->close();
    graph.actor("source").run(&Source<std::string>::actor, std::move(tx), source);
    graph.actor("egress").restart(policy).run(egress, std::move(rx));
    graph.start();
  }
  ~EgressRig() { (void)stop(); }
  steady::StopReport stop(std::chrono::seconds timeout = 10s) {
    if (stopped) return {};
    stopped = true;
    graph.request_shutdown();
    return graph.block_until_stopped(timeout);
  }
  HttpEgress egress;
  std::shared_ptr<Source<std::string>> source = std::make_shared<Source<std::string>>();
  steady::Graph graph;
  bool stopped = false;
};

std::string url(std::uint16_t port, const std::string& path = "/sink") {
  return "http://127.0.0.1:" + std::to_string(port) + path;
}

TEST(HttpEgress, RetriesAfter500sAndDeliversEveryMessageOnceInOrder) {
  constexpr int kFailFirst = 3;
  ScriptedServer server([](std::size_t n, const http_test::Received&) { return n < kFailFirst ? 500 : 200; });
  ASSERT_TRUE(server.ok());
  const auto messages = numbered("event-", 250);
  EgressRig rig({.url = url(server.port()), .max_batch_count = 40, .backoff_initial = 1ms, .backoff_max = 20ms},
                messages);
  ASSERT_TRUE(http_test::eventually([&] { return rig.egress.stats().delivered == messages.size(); }))
      << "delivered " << rig.egress.stats().delivered << ", last failure: " << rig.egress.last_failure();
  const auto report = rig.stop();
  EXPECT_TRUE(report.clean) << report.to_string();

  const auto reqs = server.requests();
  ASSERT_GE(reqs.size(), static_cast<std::size_t>(kFailFirst) + 1);
  // The failed attempts all carried the same first batch, sent again unchanged.
  for (int i = 1; i <= kFailFirst; ++i) EXPECT_EQ(reqs[i].body, reqs[0].body);
  EXPECT_EQ(lines_of(server.accepted_bodies()), messages);
  for (const auto& r : reqs) {
    EXPECT_NE(r.head.find("POST /sink HTTP/1.1"), std::string::npos) << r.head;
    EXPECT_NE(r.head.find("Content-Type: text/plain; charset=utf-8"), std::string::npos) << r.head;
  }
  const auto s = rig.egress.stats();
  EXPECT_EQ(s.status_5xx, static_cast<std::uint64_t>(kFailFirst));
  EXPECT_EQ(s.failures, static_cast<std::uint64_t>(kFailFirst));
  EXPECT_EQ(s.retries, static_cast<std::uint64_t>(kFailFirst));
  EXPECT_EQ(s.requests, reqs.size());
  EXPECT_EQ(s.status_2xx, s.batches);
  EXPECT_EQ(s.batches, reqs.size() - kFailFirst);
  EXPECT_GE(s.batches, (messages.size() + 39) / 40);
  std::uint64_t bytes = 0;
  for (const auto& r : reqs) bytes += r.body.size();
  EXPECT_EQ(s.bytes_out, bytes);
  EXPECT_NE(rig.egress.last_failure().find("HTTP 500"), std::string::npos) << rig.egress.last_failure();
}

TEST(HttpEgress, JsonFormatsAndHeaders) {
  ScriptedServer server([](std::size_t, const http_test::Received&) { return 204; });
  ASSERT_TRUE(server.ok());
  {
    EgressRig rig({.url = url(server.port(), "/json?x=1"),
                   .format = HttpBatchFormat::json_array,
                   .headers = {{"Authorization", "Bearer t0ken"}},
                   .max_batch_count = 1000},
                  {R"({"a":1})", "2", R"("three")"});
    ASSERT_TRUE(http_test::eventually([&] { return rig.egress.stats().delivered == 3; }));
  }
  {
    EgressRig rig({.url = url(server.port(), "/strings"),
                   .format = HttpBatchFormat::json_strings,
                   .max_batch_count = 1000},
                  {"plain", "quote\" back\\slash", "new\nline\x01"});
    ASSERT_TRUE(http_test::eventually([&] { return rig.egress.stats().delivered == 3; }));
  }
  // The batches' boundaries depend on how fast the source fills the channel: join each path's arrays.
  std::map<std::string, std::string> items;
  std::map<std::string, std::string> head;
  for (const auto& r : server.requests()) {
    const std::string path = r.head.substr(5, r.head.find(' ', 5) - 5);
    ASSERT_TRUE(r.body.size() >= 2 && r.body.front() == '[' && r.body.back() == ']') << r.body;
    auto& joined = items[path];
    joined += (joined.empty() ? "" : ",") + r.body.substr(1, r.body.size() - 2);
    head.emplace(path, r.head);
  }
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items["/json?x=1"], R"({"a":1},2,"three")");
  EXPECT_NE(head["/json?x=1"].find("Content-Type: application/json"), std::string::npos) << head["/json?x=1"];
  EXPECT_NE(head["/json?x=1"].find("Authorization: Bearer t0ken"), std::string::npos) << head["/json?x=1"];
  EXPECT_EQ(items["/strings"], R"("plain","quote\" back\\slash","new\nline\u0001")");
}

TEST(HttpEgress, BatchesRespectMaxBytes) {
  ScriptedServer server([](std::size_t, const http_test::Received&) { return 200; });
  ASSERT_TRUE(server.ok());
  const auto messages = numbered("0123456789-", 30);  // 12-13 bytes each with the newline
  EgressRig rig({.url = url(server.port()), .max_batch_count = 1000, .max_batch_bytes = 64}, messages);
  ASSERT_TRUE(http_test::eventually([&] { return rig.egress.stats().delivered == messages.size(); }));
  EXPECT_TRUE(rig.stop().clean);
  for (const auto& b : server.accepted_bodies()) EXPECT_LE(b.size(), 64u) << b;
  EXPECT_EQ(lines_of(server.accepted_bodies()), messages);
}

// Nobody listens yet: connection refused, retried with backoff; a server appearing on the port gets everything.
TEST(HttpEgress, ServerAppearingLateGetsEverything) {
  const std::uint16_t port = http_test::free_tcp_port();
  const auto messages = numbered("late-", 20);
  EgressRig rig({.url = url(port), .backoff_initial = 1ms, .backoff_max = 10ms}, messages);
  ASSERT_TRUE(http_test::eventually([&] { return rig.egress.stats().failures >= 3; }));
  EXPECT_NE(rig.egress.last_failure().find("connect"), std::string::npos) << rig.egress.last_failure();
  EXPECT_EQ(rig.egress.stats().delivered, 0u);
  ScriptedServer server([](std::size_t, const http_test::Received&) { return 200; }, port);
  ASSERT_TRUE(server.ok()) << "port " << port << " was taken meanwhile";
  ASSERT_TRUE(http_test::eventually([&] { return rig.egress.stats().delivered == messages.size(); }));
  EXPECT_TRUE(rig.stop().clean);
  EXPECT_EQ(lines_of(server.accepted_bodies()), messages);
}

// The stop waits for delivery: vetoes while messages wait, naming the URL and the last failure.
TEST(HttpEgress, StopVetoesWhileMessagesWaitAndSaysWhy) {
  ScriptedServer server([](std::size_t, const http_test::Received&) { return 503; });
  ASSERT_TRUE(server.ok());
  EgressRig rig({.url = url(server.port()), .backoff_initial = 1ms, .backoff_max = 5ms}, numbered("m", 5));
  ASSERT_TRUE(http_test::eventually([&] { return rig.egress.stats().failures >= 2; }));
  const auto report = rig.stop(1s);
  EXPECT_FALSE(report.clean);
  ASSERT_EQ(report.vetoes.size(), 1u) << report.to_string();
  EXPECT_EQ(report.vetoes[0].actor, "egress");
  EXPECT_NE(report.vetoes[0].reason.find("5 messages not yet delivered to " + url(server.port())),
            std::string::npos)
      << report.vetoes[0].reason;
  EXPECT_NE(report.vetoes[0].reason.find("HTTP 503"), std::string::npos) << report.vetoes[0].reason;
  EXPECT_EQ(rig.egress.stats().delivered, 0u);
}

// A 4xx other than 408/429 is final for that batch: the actor fails, naming the URL and the answer, and the
// batch stays in the channel.
TEST(HttpEgress, PermanentRefusalFailsTheActorWithAClearMessage) {
  ScriptedServer server([](std::size_t, const http_test::Received&) { return 400; });
  ASSERT_TRUE(server.ok());
  EgressRig rig({.url = url(server.port())}, numbered("m", 3), steady::RestartPolicy::never());
  ASSERT_TRUE(http_test::eventually([&] { return rig.egress.stats().status_4xx >= 1; }));
  const auto report = rig.stop();
  ASSERT_EQ(report.failures.size(), 1u) << report.to_string();
  EXPECT_EQ(report.failures[0].actor, "egress");
  const std::string& what = report.failures[0].what;
  EXPECT_NE(what.find(url(server.port())), std::string::npos) << what;
  EXPECT_NE(what.find("HTTP 400: 400 scripted"), std::string::npos) << what;
  EXPECT_EQ(server.count(), 1u);
  EXPECT_EQ(rig.egress.stats().delivered, 0u);
}

TEST(HttpEgress, MaxAttemptsSpentFailsTheActor) {
  ScriptedServer server([](std::size_t, const http_test::Received&) { return 500; });
  ASSERT_TRUE(server.ok());
  EgressRig rig({.url = url(server.port()), .backoff_initial = 1ms, .max_attempts = 3}, numbered("m", 2),
                steady::RestartPolicy::never());
  ASSERT_TRUE(http_test::eventually([&] { return server.count() >= 3; }));
  const auto report = rig.stop();
  ASSERT_EQ(report.failures.size(), 1u) << report.to_string();
  EXPECT_NE(report.failures[0].what.find("max_attempts (3) spent"), std::string::npos) << report.failures[0].what;
  EXPECT_EQ(server.count(), 3u);
}

TEST(HttpEgress, BadUrlsAreRefusedWhenConstructed) {
  auto message_of = [](const std::string& u) {
    try {
      HttpEgress e({.url = u});
    } catch (const std::invalid_argument& x) {
      return std::string(x.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message_of("https://example.com/x").find("https"), std::string::npos);
  EXPECT_NE(message_of("ftp://example.com/x").find("does not start with http://"), std::string::npos);
  EXPECT_NE(message_of("http:///x").find("names no host"), std::string::npos);
  EXPECT_NE(message_of("http://h:99999/x").find("port"), std::string::npos);
  EXPECT_NE(message_of("").find("expected http://host[:port]/path"), std::string::npos);
  EXPECT_EQ(message_of("http://[::1]:8080/x"), "accepted");
  EXPECT_EQ(message_of("http://localhost"), "accepted");
}

// HttpIngest → HttpEgress → a server: what was accepted with 202 arrives at the far end.
TEST(HttpEgress, IngestToEgressEndToEnd) {
  ScriptedServer server([](std::size_t, const http_test::Received&) { return 200; });
  ASSERT_TRUE(server.ok());
  steady::actors::HttpIngest ingest({.path = "/in"});
  HttpEgress egress({.url = url(server.port(), "/out"), .format = HttpBatchFormat::json_strings});
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<std::string>().name("relay").capacity(64).build();
  graph.actor("ingest").run(ingest, std::move(tx));
  graph.actor("egress").run(egress, std::move(rx));
  graph.start();
  const auto port = ingest.wait_bound(10s);
  ASSERT_NE(port, 0) << ingest.last_error();
  for (int i = 0; i < 10; ++i) ASSERT_EQ(http_test::post(port, "/in", "r" + std::to_string(i)).status, 202);
  ASSERT_TRUE(http_test::eventually([&] { return egress.stats().delivered == 10; }));
  graph.request_shutdown();
  EXPECT_TRUE(graph.block_until_stopped(10s).clean);
  std::string all;
  for (const auto& b : server.accepted_bodies()) all += b;
  std::string expected;
  for (int i = 0; i < 10; ++i) expected += "\"r" + std::to_string(i) + "\"";
  std::string compact;  // the batches' items without brackets and commas
  for (char c : all)
    if (c != '[' && c != ']' && c != ',') compact += c;
  EXPECT_EQ(compact, expected);
}

}  // namespace
