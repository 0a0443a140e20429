// HttpIngest over real HTTP on 127.0.0.1 (ports the system picks): backpressure (503 + Retry-After under a full
// channel, nothing accepted lost, nothing refused delivered), the error answers and that the server keeps serving
// after them, Expect: 100-continue, whole requests as HttpMessage, a port in use, and a clean stop.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <steady/actors/http.hpp>
#include <steady/steady.hpp>
#include <steady/testing.hpp>

#include "http_test_support.hpp"

namespace {

using namespace std::chrono_literals;
using steady::actors::HttpIngest;
using steady::actors::HttpMessage;
using http_test::Gate;
using http_test::post;

// A graph: HttpIngest → channel(capacity) → Gate (closed until the test opens it).
template <class T = std::string>
struct IngestRig {
  explicit IngestRig(steady::actors::HttpIngestOptions o, std::uint64_t capacity = 8)
      : ingest(std::move(o)), graph(steady::GraphBuilder::for_testing().build()) {
    auto [tx, rx] = graph.template channel<T>().name("requests").capacity(capacity).build();
    graph.actor("ingest").run(ingest, std::move(tx));
    graph.actor("consumer").run(&Gate<T>::actor, std::move(rx), gate);
    graph.start();
    port = ingest.wait_bound(10s);
  }
  ~IngestRig() { (void)stop(); }
  steady::StopReport stop() {
    if (stopped) return {};
    stopped = true;
    graph.request_shutdown();
    return graph.block_until_stopped(10s);
  }
  HttpIngest ingest;
  std::shared_ptr<Gate<T>> gate = std::make_shared<Gate<T>>();
  steady::Graph graph;
  std::uint16_t port = 0;
  bool stopped = false;
};

TEST(HttpIngest, FullChannelAnswers503AndLosesNothingItAccepted) {
  constexpr std::uint64_t kCapacity = 8;
  IngestRig rig({.path = "/ingest", .retry_after = std::chrono::seconds(3)}, kCapacity);
  ASSERT_NE(rig.port, 0) << rig.ingest.last_error();

  std::vector<std::string> accepted, refused;
  int n = 0;
  // The consumer takes nothing: POST until the channel is full and the ingest refuses.
  for (; n < 100 && refused.empty(); ++n) {
    const std::string body = "msg-" + std::to_string(n);
    const auto r = post(rig.port, "/ingest", body);
    ASSERT_TRUE(r.status == 202 || r.status == 503) << "status " << r.status << "\n" << r.head;
    if (r.status == 202) {
      accepted.push_back(body);
    } else {
      EXPECT_NE(r.head.find("Retry-After: 3"), std::string::npos) << r.head;
      refused.push_back(body);
    }
  }
  EXPECT_EQ(accepted.size(), kCapacity) << "202 must mean 'in the channel': exactly its capacity fits";
  ASSERT_EQ(refused.size(), 1u);
  for (int k = 0; k < 5; ++k, ++n) {  // still full: every further request is refused
    const std::string body = "msg-" + std::to_string(n);
    EXPECT_EQ(post(rig.port, "/ingest", body).status, 503);
    refused.push_back(body);
  }

  rig.gate->let_through();
  ASSERT_TRUE(http_test::eventually([&] { return rig.gate->count() >= accepted.size(); }));
  // Room again: accepted again.
  for (int k = 0; k < 3; ++k, ++n) {
    const std::string body = "msg-" + std::to_string(n);
    ASSERT_EQ(post(rig.port, "/ingest", body).status, 202);
    accepted.push_back(body);
  }
  const auto report = rig.stop();
  EXPECT_TRUE(report.clean) << report.to_string();

  EXPECT_EQ(rig.gate->received(), accepted) << "every accepted body exactly once, in order, none refused";
  const auto s = rig.ingest.stats();
  EXPECT_EQ(s.accepted, accepted.size());
  EXPECT_EQ(s.refused_full, refused.size());
  std::size_t bytes = 0;
  for (const auto& b : accepted) bytes += b.size();
  EXPECT_EQ(s.bytes_in, bytes);
}

// Many clients at once against a small channel whose consumer is let through midway: each body is either
// answered 202 and delivered exactly once, or answered 503 and never delivered.
TEST(HttpIngest, ConcurrentClientsUnderBackpressureEveryAcceptedBodyArrivesOnce) {
  IngestRig rig({}, 16);
  ASSERT_NE(rig.port, 0) << rig.ingest.last_error();
  constexpr int kClients = 4, kEach = 60;
  std::mutex mu;
  std::set<std::string> accepted, refused;
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c)
    clients.emplace_back([&, c] {
      for (int i = 0; i < kEach; ++i) {
        const std::string body = "c" + std::to_string(c) + "-" + std::to_string(i);
        const int status = post(rig.port, "/ingest", body).status;
        std::lock_guard lock(mu);
        (status == 202 ? accepted : refused).insert(status == 202 || status == 503 ? body : "bad:" + body);
        ++answered;
      }
    });
  // Let the consumer through once a third of the requests were answered (some of them refused by then).
  ASSERT_TRUE(http_test::eventually([&] { return answered.load() >= kClients * kEach / 3; }, 60s));
  rig.gate->let_through();
  for (auto& t : clients) t.join();
  ASSERT_TRUE(http_test::eventually([&] { return rig.gate->count() >= accepted.size(); }));
  EXPECT_TRUE(rig.stop().clean);

  for (const auto& b : refused) EXPECT_NE(b.rfind("bad:", 0), 0u) << "unexpected status for " << b;
  EXPECT_FALSE(refused.empty()) << "the channel never filled: the test did not exercise backpressure";
  const auto got = rig.gate->received();
  const std::set<std::string> got_set(got.begin(), got.end());
  EXPECT_EQ(got.size(), got_set.size()) << "a body was delivered twice";
  EXPECT_EQ(got_set, accepted) << "delivered ≠ accepted";
  // Each client's accepted bodies arrive in the order it sent them.
  for (int c = 0; c < kClients; ++c) {
    int last = -1;
    const std::string prefix = "c" + std::to_string(c) + "-";
    for (const auto& b : got)
      if (b.rfind(prefix, 0) == 0) {
        const int i = std::stoi(b.substr(prefix.size()));
        EXPECT_GT(i, last) << b;
        last = i;
      }
  }
  EXPECT_EQ(rig.ingest.stats().accepted, accepted.size());
}

TEST(HttpIngest, ErrorAnswersAndTheServerKeepsServing) {
  IngestRig rig({.max_body_bytes = 100, .max_header_bytes = 1024, .request_timeout = 300ms});
  ASSERT_NE(rig.port, 0) << rig.ingest.last_error();
  rig.gate->let_through();
  using telemetry_test::request;

  EXPECT_EQ(request(rig.port, "THIS IS NOT HTTP\r\n\r\n").status, 400);
  EXPECT_EQ(request(rig.port, "POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n").status, 400);
  EXPECT_EQ(post(rig.port, "/elsewhere", "x").status, 404);
  const auto get = telemetry_test::get(rig.port, "/ingest");
  EXPECT_EQ(get.status, 405);
  EXPECT_NE(get.head.find("Allow: POST"), std::string::npos) << get.head;
  EXPECT_EQ(post(rig.port, "/ingest", std::string(101, 'x')).status, 413);
  // Chunked, so the size is known only while reading.
  EXPECT_EQ(request(rig.port, "POST /ingest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" "80\r\n" +
                                  std::string(128, 'y') + "\r\n0\r\n\r\n")
                .status,
            413);
  EXPECT_EQ(post(rig.port, "/ingest", "x", "X-Big: " + std::string(2000, 'h') + "\r\n").status, 431);
  // A request that stops half-way gets 408 once request_timeout passed.
  {
    telemetry_test::Conn c(rig.port);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.send("POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"));
    EXPECT_EQ(telemetry_test::parse(c.read_all(10s)).status, 408);
  }
  // Still serving, and only the good request went into the channel.
  EXPECT_EQ(post(rig.port, "/ingest?source=test", "good").status, 202);
  ASSERT_TRUE(http_test::eventually([&] { return rig.gate->count() >= 1; }));
  EXPECT_TRUE(rig.stop().clean);
  EXPECT_EQ(rig.gate->received(), std::vector<std::string>{"good"});
  const auto s = rig.ingest.stats();
  EXPECT_EQ(s.bad_request, 2u);
  EXPECT_EQ(s.not_found, 1u);
  EXPECT_EQ(s.method_not_allowed, 1u);
  EXPECT_EQ(s.too_large, 3u);
  EXPECT_EQ(s.timed_out, 1u);
  EXPECT_EQ(s.accepted, 1u);
}

// Keep-alive and Expect: 100-continue (what curl does for bodies over 1 KiB), and whole requests as HttpMessage.
TEST(HttpIngest, KeepAliveExpectContinueAndHttpMessage) {
  IngestRig<HttpMessage> rig({.path = "/in"});
  ASSERT_NE(rig.port, 0) << rig.ingest.last_error();
  rig.gate->let_through();
  telemetry_test::Conn c(rig.port);
  ASSERT_TRUE(c.ok());
  const std::string big(5000, 'b');
  ASSERT_TRUE(c.send("POST /in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                     std::to_string(big.size()) + "\r\nExpect: 100-continue\r\n\r\n"));
  const std::string interim = c.read(10s, [](const std::string& s) { return s.find("\r\n\r\n") != std::string::npos; });
  EXPECT_EQ(interim.rfind("HTTP/1.1 100 Continue\r\n\r\n", 0), 0u) << interim;
  c.clear();
  ASSERT_TRUE(c.send(big));
  auto complete = [](const std::string& s) { return s.find("accepted\n") != std::string::npos; };
  EXPECT_EQ(telemetry_test::parse(c.read(10s, complete)).status, 202);
  c.clear();
  // Same connection, second request.
  ASSERT_TRUE(c.send("POST /in HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nsmall"));
  EXPECT_EQ(telemetry_test::parse(c.read(10s, complete)).status, 202);
  ASSERT_TRUE(http_test::eventually([&] { return rig.gate->count() >= 2; }));
  EXPECT_TRUE(rig.stop().clean);
  const auto got = rig.gate->received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (HttpMessage{"/in", "application/json", big}));
  EXPECT_EQ(got[1], (HttpMessage{"/in", "", "small"}));
  EXPECT_EQ(rig.ingest.stats().connections, 1u);
}

// Beyond max_connections a new connection gets 503 (and Retry-After) and is closed; the open ones still work.
TEST(HttpIngest, TooManyConnectionsGet503) {
  IngestRig rig({.max_connections = 2});
  ASSERT_NE(rig.port, 0) << rig.ingest.last_error();
  rig.gate->let_through();
  telemetry_test::Conn a(rig.port), b(rig.port);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(http_test::eventually([&] { return rig.ingest.stats().open_connections == 2; }));
  const auto third = post(rig.port, "/ingest", "third");
  EXPECT_EQ(third.status, 503);
  EXPECT_NE(third.head.find("Retry-After:"), std::string::npos) << third.head;
  ASSERT_TRUE(a.send("POST /ingest HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nfirst"));
  EXPECT_EQ(telemetry_test::parse(a.read_all(10s)).status, 202);
  ASSERT_TRUE(http_test::eventually([&] { return rig.gate->count() >= 1; }));
  EXPECT_TRUE(rig.stop().clean);
  EXPECT_EQ(rig.gate->received(), std::vector<std::string>{"first"});
  EXPECT_EQ(rig.ingest.stats().refused_unavailable, 1u);
}

// Starts `graph` with `ingest` alone (never restarted, so a failure to bind stays a failure) feeding a sink.
void start_unrestarted(steady::Graph& graph, HttpIngest& ingest) {
  auto [tx, rx] = graph.channel<std::string>().name("requests").capacity(4).build();
  graph.actor("ingest").restart(steady::RestartPolicy::never()).run(ingest, std::move(tx));
  auto sink = std::make_shared<steady::testing::Sink<std::string>>();
  graph.actor("sink").run(&steady::testing::Sink<std::string>::actor, std::move(rx), sink);
  graph.start();
}

TEST(HttpIngest, PortInUseFailsTheActorWithAMessageNamingThePort) {
  http_test::Listener taken;
  ASSERT_TRUE(taken.ok());
  HttpIngest ingest({.port = taken.port()});
  auto graph = steady::GraphBuilder::for_testing().build();
  start_unrestarted(graph, ingest);
  EXPECT_EQ(ingest.wait_bound(10s), 0);
  const std::string why = ingest.last_error();
  EXPECT_NE(why.find("port " + std::to_string(taken.port())), std::string::npos) << why;
  EXPECT_NE(why.find("already in use"), std::string::npos) << why;
  EXPECT_NE(why.find("HttpIngestOptions::port"), std::string::npos) << why;
  graph.request_shutdown();
  const auto report = graph.block_until_stopped(10s);
  ASSERT_EQ(report.failures.size(), 1u) << report.to_string();
  EXPECT_EQ(report.failures[0].actor, "ingest");
  EXPECT_NE(report.failures[0].what.find("already in use"), std::string::npos) << report.failures[0].what;
}

TEST(HttpIngest, BadBindAddressIsAClearError) {
  HttpIngest ingest({.bind = "my-laptop"});
  auto graph = steady::GraphBuilder::for_testing().build();
  start_unrestarted(graph, ingest);
  EXPECT_EQ(ingest.wait_bound(10s), 0);
  EXPECT_NE(ingest.last_error().find("not an IP address"), std::string::npos) << ingest.last_error();
  graph.request_shutdown();
  (void)graph.block_until_stopped(10s);
}

// Stopping: everything answered 202 reaches the consumer (which drains after the ingest closed its output), and
// the port is closed afterwards.
TEST(HttpIngest, CleanStopDeliversEverythingAcceptedAndClosesThePort) {
  IngestRig rig({}, 64);
  ASSERT_NE(rig.port, 0) << rig.ingest.last_error();
  std::vector<std::string> accepted;
  for (int i = 0; i < 20; ++i) {
    const std::string body = "s" + std::to_string(i);
    ASSERT_EQ(post(rig.port, "/ingest", body).status, 202);
    accepted.push_back(body);
  }
  EXPECT_EQ(rig.gate->count(), 0u);
  rig.gate->let_through();
  const auto report = rig.stop();
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(rig.gate->received(), accepted);
  telemetry_test::Conn after(rig.port);
  EXPECT_FALSE(after.ok()) << "the server still accepts connections after the stop";
}

// A restarted actor (port 0) listens on the same port again. The ingest restarts with its supervisor group when
// the actor after it fails (one_for_all); what it accepted before is not lost (the failing actor peeks).
TEST(HttpIngest, RestartKeepsThePortAndLosesNothing) {
  HttpIngest ingest({});
  auto graph = steady::GraphBuilder::for_testing().build();
  auto group = graph.supervisor("front", steady::Strategy::one_for_all,
                                steady::RestartPolicy::restart(5, std::chrono::seconds(10)));
  auto [tx, rx] = graph.channel<std::string>().name("requests").capacity(16).build();
  auto [mid_tx, mid_rx] = graph.channel<std::string>().name("mid").capacity(16).build();
  auto plan = std::make_shared<steady::testing::FaultPlan>();
  plan->throw_at = {0};  // fails once, on the first message
  auto gate = std::make_shared<Gate<std::string>>();
  gate->let_through();
  graph.actor("ingest").supervisor(group).run(ingest, std::move(tx));
  graph.actor("faulty").supervisor(group).run(steady::testing::fault_injector<std::string>(plan), std::move(rx),
                                              std::move(mid_tx));
  graph.actor("consumer").run(&Gate<std::string>::actor, std::move(mid_rx), gate);
  graph.start();
  const auto port = ingest.wait_bound(10s);
  ASSERT_NE(port, 0) << ingest.last_error();
  std::vector<std::string> accepted;
  ASSERT_EQ(post(port, "/ingest", "one").status, 202);
  accepted.push_back("one");
  ASSERT_TRUE(http_test::eventually([&] { return plan->faults.load() == 1 && gate->count() >= 1; }));
  // While the group restarts, requests may be refused (503) or find no server: send until one is accepted.
  int k = 0;
  ASSERT_TRUE(http_test::eventually([&] {
    const std::string body = "two-" + std::to_string(k++);
    if (post(port, "/ingest", body).status != 202) return false;
    accepted.push_back(body);
    return true;
  }));
  EXPECT_EQ(ingest.bound_port(), port);
  ASSERT_TRUE(http_test::eventually([&] { return gate->count() >= accepted.size(); }));
  graph.request_shutdown();
  EXPECT_TRUE(graph.block_until_stopped(10s).clean);
  EXPECT_EQ(gate->received(), accepted);
}

}  // namespace
