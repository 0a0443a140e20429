// tests/telemetry/telemetry_test.cpp — the collector's figures, triggers, the formats, the server's contracts
// (ports, bounded requests, 4xx answers, event stream) and recordings, on small in-process graphs. Every wait is
// on an observable condition (a frame, a socket) with a deadline; nothing sleeps to synchronise.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "collector.hpp"
#include "exposition.hpp"
#include "../unit/loopback.hpp"
#include "http_client.hpp"
#include "steady/steady.hpp"
#include "steady/telemetry.hpp"
#include "telemetry_support.hpp"
#include "window.hpp"

namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using u64 = std::uint64_t;
namespace tel = steady::telemetry;
using namespace telemetry_test;  // Conn; quiet(), serving() and until() of telemetry_support.hpp

// ---------------------------------------------------------------- actors

steady::Task produce_n(steady::Context& ctx, steady::Tx<u64>& out, u64 n) {
  u64 sent = 0;
  while (sent < n && ctx.is_running()) {
    const auto r = co_await ctx.wait_vacant(out, 1);
    if (!r.satisfied()) continue;
    while (sent < n && out.try_send(sent).sent()) ++sent;
  }
}

u64 drain(steady::Rx<u64>& in) {
  std::array<u64, 64> buf{};
  u64 n = 0;
  while (std::size_t k = in.take_slice(buf)) n += k;
  return n;
}

steady::Task consume(steady::Context& ctx, steady::Rx<u64>& in) {
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    (void)co_await ctx.wait_avail(in, 1);
    if (in.is_closed_and_empty()) co_return;
    (void)drain(in);
  }
}

// Sends one message every `period` until the graph stops.
steady::Task tick(steady::Context& ctx, steady::Tx<u64>& out, std::chrono::milliseconds period) {
  u64 n = 0;
  while (ctx.is_running()) {
    const auto r = co_await ctx.wait_all(steady::periodic(period), steady::vacant(out, 1));
    if (r.satisfied() && out.try_send(n).sent()) ++n;
  }
}

// The actor's work: 1 ms of wall time, busy (a sleep could overshoot by the scheduler's whim on a loaded machine).
void work_1ms() {
  const auto until = std::chrono::steady_clock::now() + 1ms;
  while (std::chrono::steady_clock::now() < until) {
  }
}

// Holds each message ~1 ms before removing it: peek, hold, advance_take.
steady::Task hold_each(steady::Context& ctx, steady::Rx<u64>& in) {
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    const auto r = co_await ctx.wait_avail(in, 1);
    if (in.is_closed_and_empty()) co_return;
    if (!r.satisfied() || in.try_peek() == nullptr) continue;
    work_1ms();
    in.advance_take(1);
  }
}

// Never takes anything: its input fills up.
steady::Task ignore(steady::Context& ctx, steady::Rx<u64>&) {
  while (ctx.is_running()) (void)co_await ctx.wait_for(10ms);
}

// ---------------------------------------------------------------- helpers

int channel_index(const json& snap, const std::string& name) {
  for (const auto& c : snap["structure"]["channels"])
    if (c["name"] == name) return c["id"].get<int>();
  return -1;
}

// A little graph that keeps running: tick → consume, plus a full channel.
struct LiveGraph {
  steady::Graph graph = steady::GraphBuilder::for_testing().build();
  LiveGraph() {
    auto [tx, rx] = graph.channel<u64>().name("ticks").capacity(64).build();
    auto [ftx, frx] = graph.channel<u64>().name("full").capacity(8).build();
    graph.actor("ticker").run(tick, std::move(tx), 2ms);
    graph.actor("reader").run(consume, std::move(rx));
    graph.actor("filler").run(produce_n, std::move(ftx), u64{8});
    graph.actor("ignorer").run(ignore, std::move(frx));
  }
  ~LiveGraph() {
    graph.request_shutdown();
    (void)graph.block_until_stopped(5s);
  }
};

// ---------------------------------------------------------------- window statistics

TEST(TelemetryWindow, SeriesStatistics) {
  tel::Series s(4);
  for (double x : {100.0, 1.0, 2.0, 3.0, 4.0}) s.push(x);  // 100 falls out of the window
  std::vector<double> scratch;
  const tel::Stats st = s.stats({50, 100}, scratch);
  EXPECT_EQ(st.n, 4u);
  EXPECT_DOUBLE_EQ(st.avg, 2.5);
  EXPECT_DOUBLE_EQ(st.min, 1.0);
  EXPECT_DOUBLE_EQ(st.max, 4.0);
  EXPECT_NEAR(st.sd, 1.118034, 1e-6);
  EXPECT_DOUBLE_EQ(st.pct[0], 2.0);  // nearest rank
  EXPECT_DOUBLE_EQ(st.pct[1], 4.0);
  EXPECT_DOUBLE_EQ(s.at(0), 1.0);
}

TEST(TelemetryWindow, LatencyPercentilesFromHistogram) {
  std::array<u64, tel::Histogram::kBuckets> counts{};
  counts[tel::Histogram::bucket_of(1'000'000)] = 90;   // 1 ms
  counts[tel::Histogram::bucket_of(10'000'000)] = 10;  // 10 ms
  const tel::LatencyStats s = tel::latency_stats(counts, {50, 90, 99});
  EXPECT_EQ(s.n, 100u);
  EXPECT_NEAR(s.pct[0], 1.0, 0.07);  // within the bucket's 12.5 %
  EXPECT_NEAR(s.pct[1], 1.0, 0.07);
  EXPECT_NEAR(s.pct[2], 10.0, 0.7);
  EXPECT_NEAR(s.avg, 1.9, 0.15);

  tel::LatencyWindow w(2);
  w.push({{10, 1}});
  w.push({{11, 2}});
  w.push({{12, 4}});  // the first frame leaves the window
  EXPECT_EQ(w.counts()[10], 0u);
  EXPECT_EQ(w.counts()[11], 2u);
  EXPECT_EQ(w.counts()[12], 4u);
}

// ---------------------------------------------------------------- figures from a running graph

// The done-when: a consumer holding each message ~1 ms makes that channel's p50 latency 0.5 .. 5 ms.
TEST(TelemetryFigures, HeldMessagesShowMeasuredLatency) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<u64>().name("held").capacity(64).latency_sample_every(1).build();
  // One troupe: the ticker's message reaches the holder without a cross-thread wake-up, so what is measured is the
  // hold itself, not how busy the machine's scheduler is.
  const steady::Troupe troupe = graph.troupe("pair");
  graph.actor("ticker").troupe(troupe).run(tick, std::move(tx), 4ms);
  graph.actor("holder").troupe(troupe).run(hold_each, std::move(rx));
  auto t = steady::Telemetry::start(graph, quiet(50ms));
  ASSERT_TRUE(t) << t.error();
  graph.start();
  // The window (2 s) holds enough samples; on a machine under load a burst of preemptions can push the median
  // out for a moment, so the figure has until the deadline to come back in range.
  const json s = until(*t, [](const json& s) {
    const json& lw = s["frame"]["channels"][0]["window"]["latency_ms"];
    return !lw.is_null() && lw["n"].get<u64>() >= 40 && lw["p50"].get<double>() >= 0.5 && lw["p50"].get<double>() <= 5.0;
  });
  const json& lw = s["frame"]["channels"][0]["window"]["latency_ms"];
  ASSERT_FALSE(lw.is_null()) << "no latency samples: " << s["frame"].dump();
  const double p50 = lw["p50"].get<double>();
  EXPECT_GE(p50, 0.5) << lw.dump();
  EXPECT_LE(p50, 5.0) << lw.dump();
  // The edge shows the same window.
  EXPECT_NEAR(s["frame"]["edges"][0]["latency_p50_ms"].get<double>(), p50, 1e-6);
  EXPECT_GT(s["frame"]["channels"][0]["rate"].get<double>(), 0);
  graph.request_shutdown();
  (void)graph.block_until_stopped(5s);
}

TEST(TelemetryFigures, ActorsShowBusyCpuAndLoad) {
  LiveGraph g;
  auto t = steady::Telemetry::start(g.graph, quiet());
  ASSERT_TRUE(t) << t.error();
  g.graph.start();
  const json s = until(*t, [](const json& s) {
    const json& ticks = s["frame"]["channels"][0];
    return ticks["sent"].get<u64>() > 20 && s["frame"]["threads"].size() == 4;
  });
  const json& f = s["frame"];
  EXPECT_EQ(f["state"], "running");
  EXPECT_EQ(f["threads"].size(), 4u);  // four solo actors
  double load = 0;
  for (const auto& a : f["actors"]) {
    EXPECT_GE(a["busy_pct"].get<double>(), 0);
    EXPECT_LE(a["busy_pct"].get<double>(), 100);
    EXPECT_GE(a["mcpu"].get<double>(), 0);
    load += a["load_pct"].get<double>();
    EXPECT_FALSE(a["stalled"].get<bool>());
    EXPECT_FALSE(a["thread"].get<std::string>().empty());
  }
  EXPECT_TRUE(load == 0 || std::abs(load - 100) < 0.5) << load;  // shares of the graph's busy time
  // Channel figures read from the indices.
  const json& full = f["channels"][channel_index(s, "full")];
  EXPECT_EQ(full["sent"].get<u64>(), 8u);
  EXPECT_EQ(full["in_flight"].get<u64>(), 8u);
  EXPECT_DOUBLE_EQ(full["fill_pct"].get<double>(), 100.0);
  EXPECT_EQ(s["structure"]["channels"][channel_index(s, "full")]["memory_bytes"].get<u64>(), 8 * sizeof(u64));
}

// Without channel rules, edges colour by avg fill; rules replace that and colour actors too.
TEST(TelemetryTriggers, DefaultFillLadderAndRules) {
  {
    LiveGraph g;
    auto t = steady::Telemetry::start(g.graph, quiet());
    ASSERT_TRUE(t) << t.error();
    g.graph.start();
    // The window's avg fill climbs to 100 % once the filler has run (the first frames may see it empty).
    const json s = until(*t, [](const json& s) {
      return s["frame"]["channels"][channel_index(s, "full")]["alert"] == "red";
    });
    EXPECT_EQ(s["frame"]["channels"][channel_index(s, "full")]["alert"], "red");
    EXPECT_EQ(s["frame"]["channels"][channel_index(s, "ticks")]["alert"], "none");
  }
  {
    LiveGraph g;
    tel::Options o = quiet();
    o.rules.push_back(tel::Rule::when(tel::Metric::rate, tel::Statistic::max()).below(1e12).then(tel::Alert::yellow).only("tick*"));
    o.rules.push_back(tel::Rule::when(tel::Metric::busy, tel::Statistic::latest()).above(-1).then(tel::Alert::orange).only("read*"));
    o.rules.push_back(tel::Rule::when(tel::Metric::mcpu, tel::Statistic::percentile(99)).above(1e9).then(tel::Alert::red));
    auto t = steady::Telemetry::start(g.graph, o);
    ASSERT_TRUE(t) << t.error();
    g.graph.start();
    const json s = until(*t, [](const json& s) { return s["frame"]["seq"].get<u64>() >= 3; });
    const json& f = s["frame"];
    EXPECT_EQ(f["channels"][channel_index(s, "ticks")]["alert"], "yellow");
    EXPECT_EQ(f["channels"][channel_index(s, "full")]["alert"], "none");  // channel rules exist: no ladder
    EXPECT_EQ(f["actors"][1]["alert"], "orange");                         // reader
    EXPECT_EQ(f["actors"][0]["alert"], "none");                           // ticker: no rule fires
    EXPECT_EQ(s["options"]["rules"].size(), 3u);
  }
}

// Telemetry stops last: once the graph has stopped it takes a final frame with the final counts and keeps serving.
TEST(TelemetryLifecycle, FinalFrameAfterTheGraphStopped) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<u64>().name("numbers").capacity(128).build();
  graph.actor("producer").run(produce_n, std::move(tx), u64{50'000});
  graph.actor("consumer").run(consume, std::move(rx));
  auto t = steady::Telemetry::start(graph, serving());
  ASSERT_TRUE(t) << t.error();
  graph.start();
  ASSERT_TRUE(graph.block_until_stopped(10s).clean);
  // The stop itself asked for the final frame: it is there as soon as block_until_stopped returns.
  const json s = json::parse(t->snapshot_json());
  ASSERT_TRUE(s["frame"]["final"].get<bool>());
  EXPECT_EQ(s["frame"]["state"], "stopped");
  EXPECT_EQ(s["frame"]["channels"][0]["sent"].get<u64>(), 50'000u);
  EXPECT_EQ(s["frame"]["channels"][0]["taken"].get<u64>(), 50'000u);
  EXPECT_TRUE(s["frame"]["channels"][0]["closed"].get<bool>());
  const u64 frames = t->frames();
  EXPECT_FALSE(t->wait_for_frames(frames + 1, 200ms));  // no more frames: the graph is left alone
  const auto r = telemetry_test::get(t->port(), "/snapshot.json");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["frame"]["seq"], s["frame"]["seq"]);
  EXPECT_NE(t->metrics().find("steady_channel_sent_total{channel=\"numbers\",from=\"producer\",to=\"consumer\","
                              "type=\"u64\"} 50000\n"),
            std::string::npos);
}

// Declared before the graph (so destroyed after it): the Graph's destructor stops the graph, the stop takes the
// final frame, and the Telemetry goes on serving it without touching the graph again.
TEST(TelemetryLifecycle, OutlivesAGraphThatStopped) {
  std::optional<steady::Telemetry> t;
  {
    auto graph = steady::GraphBuilder::for_testing().build();
    auto [tx, rx] = graph.channel<u64>().name("numbers").capacity(64).build();
    graph.actor("producer").run(tick, std::move(tx), 1ms);
    graph.actor("consumer").run(consume, std::move(rx));
    auto started = steady::Telemetry::start(graph, serving());
    ASSERT_TRUE(started) << started.error();
    t.emplace(std::move(started.value()));
    graph.start();
    (void)until(*t, [](const json& s) { return s["frame"]["channels"][0]["sent"].get<u64>() > 10; });
  }  // ~Graph: stop, final frame
  const json s = json::parse(t->snapshot_json());
  ASSERT_TRUE(s["frame"]["final"].get<bool>());
  EXPECT_EQ(s["frame"]["state"], "stopped");
  EXPECT_GT(s["frame"]["channels"][0]["sent"].get<u64>(), 10u);
  EXPECT_EQ(s["frame"]["channels"][0]["sent"], s["frame"]["channels"][0]["taken"]);  // drained on the way out
  EXPECT_FALSE(t->wait_for_frames(t->frames() + 1, 100ms));
  EXPECT_EQ(telemetry_test::get(t->port(), "/metrics").status, 200);
  EXPECT_EQ(telemetry_test::get(t->port(), "/graph.svg").status, 200);
}

// ---------------------------------------------------------------- structure, DOT, SVG

TEST(TelemetryStructure, BundlesCollapseIntoOneEdge) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<u64>().name("lanes").capacity(16).build_bundle<3>();
  graph.actor("fan").run([](steady::Context& ctx, steady::TxBundle<u64, 3>&) -> steady::Task {
    while (ctx.is_running()) (void)co_await ctx.wait_for(10ms);
  }, std::move(tx));
  graph.actor("sink").run([](steady::Context& ctx, steady::RxBundle<u64, 3>&) -> steady::Task {
    while (ctx.is_running()) (void)co_await ctx.wait_for(10ms);
  }, std::move(rx));
  auto t = steady::Telemetry::start(graph, serving());
  ASSERT_TRUE(t) << t.error();
  const json s = json::parse(t->snapshot_json());
  ASSERT_EQ(s["structure"]["channels"].size(), 3u);
  ASSERT_EQ(s["structure"]["edges"].size(), 1u);
  EXPECT_EQ(s["structure"]["edges"][0]["channels"], json::array({0, 1, 2}));
  EXPECT_EQ(s["structure"]["edges"][0]["label"], "lanes \u00d73");
  EXPECT_EQ(s["structure"]["channels"][2]["lane"], 2);
  const std::string dot = t->dot();
  EXPECT_NE(dot.find("a0 -> a1 [id=\"e0\""), std::string::npos) << dot;
  const auto svg = telemetry_test::get(t->port(), "/layout.svg");
  ASSERT_EQ(svg.status, 200);
  EXPECT_EQ(svg.body.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.body.find("id=\"a0\""), std::string::npos);
  EXPECT_NE(svg.body.find("id=\"e0\""), std::string::npos);
  const auto live = telemetry_test::get(t->port(), "/graph.svg");  // the graph has not started: still a picture
  ASSERT_EQ(live.status, 200);
  EXPECT_NE(live.body.find("lanes"), std::string::npos);
}

// ---------------------------------------------------------------- ports and addresses

TEST(TelemetryServer, ExplicitPortInUseIsAnError) {
  steady_test::Listener held;
  ASSERT_NE(held.port(), 0);
  LiveGraph g;
  tel::Options o = quiet();
  o.serve = true;
  o.port = held.port();
  o.port_explicit = true;
  auto t = steady::Telemetry::start(g.graph, o);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().find("already in use"), std::string::npos) << t.error();
  EXPECT_NE(t.error().find(std::to_string(held.port())), std::string::npos) << t.error();
}

TEST(TelemetryServer, DefaultPortTakenMovesToTheNextFree) {
  steady_test::Listener held;
  ASSERT_NE(held.port(), 0);
  LiveGraph g;
  tel::Options o = quiet();
  o.serve = true;
  o.port = held.port();  // not explicit
  auto t = steady::Telemetry::start(g.graph, o);
  ASSERT_TRUE(t) << t.error();
  EXPECT_GT(t->port(), held.port());
  EXPECT_EQ(t->url(), "http://127.0.0.1:" + std::to_string(t->port()));
  EXPECT_EQ(telemetry_test::get(t->port(), "/metrics").status, 200);
}

TEST(TelemetryServer, EnvironmentSetsAnExplicitPortAndBadValuesAreErrors) {
  steady_test::Listener held;
  LiveGraph g;
  tel::Options o = quiet();
  o.serve = true;
  o.read_environment = true;
  ::setenv("STEADY_TELEMETRY_PORT", std::to_string(held.port()).c_str(), 1);
  auto in_use = steady::Telemetry::start(g.graph, o);
  ::setenv("STEADY_TELEMETRY_PORT", "99999", 1);
  auto bad = steady::Telemetry::start(g.graph, o);
  ::unsetenv("STEADY_TELEMETRY_PORT");
  ::setenv("STEADY_TELEMETRY_BIND", "not-an-address", 1);
  auto bad_bind = steady::Telemetry::start(g.graph, o);
  ::unsetenv("STEADY_TELEMETRY_BIND");
  ASSERT_FALSE(in_use);
  EXPECT_NE(in_use.error().find("already in use"), std::string::npos) << in_use.error();
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("STEADY_TELEMETRY_PORT"), std::string::npos) << bad.error();
  ASSERT_FALSE(bad_bind);
  EXPECT_NE(bad_bind.error().find("not-an-address"), std::string::npos) << bad_bind.error();

  o.enabled = false;  // --no-telemetry: an inert handle
  auto off = steady::Telemetry::start(g.graph, o);
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->active());
  EXPECT_FALSE(off->serving());
  EXPECT_EQ(off->url(), "");
}

// ---------------------------------------------------------------- requests

// The done-when: malformed and oversized requests get a 4xx, and the server keeps serving.
TEST(TelemetryServer, BadRequestsGet4xxAndTheServerKeepsServing) {
  LiveGraph g;
  auto t = steady::Telemetry::start(g.graph, serving());
  ASSERT_TRUE(t) << t.error();
  g.graph.start();
  const std::uint16_t port = t->port();
  using telemetry_test::request;

  EXPECT_EQ(telemetry_test::get(port, "/").status, 200);
  EXPECT_EQ(telemetry_test::get(port, "/app.js").status, 200);
  EXPECT_EQ(telemetry_test::get(port, "/no/such/path").status, 404);
  EXPECT_EQ(telemetry_test::get(port, "/../../etc/passwd").status, 404);
  EXPECT_EQ(request(port, "GARBAGE\r\n\r\n").status, 400);
  EXPECT_EQ(request(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Line\r\n\r\n").status, 400);
  EXPECT_EQ(request(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + std::string(10'000, 'a') + "\r\n\r\n").status, 431);
  EXPECT_EQ(request(port, "GET /" + std::string(20'000, 'p') + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").status, 431);
  EXPECT_EQ(request(port, "POST /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi").status,
            405);
  EXPECT_EQ(request(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'b')).status,
            413);
  // Bound to loopback: only requests addressed to a loopback host (DNS rebinding guard).
  EXPECT_EQ(request(port, "GET /metrics HTTP/1.1\r\nHost: evil.example:80\r\nConnection: close\r\n\r\n").status, 403);
  EXPECT_EQ(request(port, "GET /metrics HTTP/1.1\r\nHost: localhost:1\r\nConnection: close\r\n\r\n").status, 200);
  // HEAD: the length of the GET, no body.
  const auto head = request(port, "HEAD /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  // Keep-alive: two requests on one connection.
  {
    Conn c(port);
    ASSERT_TRUE(c.send("GET /structure.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /graph.dot HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    const std::string both = c.read(5s, [](const std::string& s) { return s.find("digraph") != std::string::npos; });
    EXPECT_NE(both.find("\"hash\""), std::string::npos);
    EXPECT_NE(both.find("digraph steady"), std::string::npos);
  }
  // Still serving.
  const auto m = telemetry_test::get(port, "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("# TYPE steady_channel_sent_total counter"), std::string::npos);
}

TEST(TelemetryServer, ConnectionsAreBounded) {
  LiveGraph g;
  tel::Options o = serving();
  o.max_connections = 3;
  auto t = steady::Telemetry::start(g.graph, o);
  ASSERT_TRUE(t) << t.error();
  const std::uint16_t port = t->port();
  std::vector<std::unique_ptr<Conn>> idle;
  for (int i = 0; i < 3; ++i) {  // three connections in a keep-alive conversation
    idle.push_back(std::make_unique<Conn>(port));
    ASSERT_TRUE(idle.back()->send("GET /structure.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    idle.back()->read(5s, [](const std::string& s) { return s.find("\"hash\"") != std::string::npos; });
  }
  EXPECT_EQ(telemetry_test::get(port, "/metrics").status, 503);
  idle.clear();
  // Once they are gone the server answers again (the server notices the closes asynchronously: retry, bounded).
  int status = 0;
  for (int i = 0; i < 200 && status != 200; ++i) {
    status = telemetry_test::get(port, "/metrics").status;
    if (status != 200) (void)t->wait_for_frames(t->frames() + 1, 100ms);
  }
  EXPECT_EQ(status, 200);
}

// /events: Server-Sent Events, one frame per message, in order.
TEST(TelemetryServer, EventStreamCarriesFrames) {
  LiveGraph g;
  auto t = steady::Telemetry::start(g.graph, serving());
  ASSERT_TRUE(t) << t.error();
  g.graph.start();
  Conn c(t->port());
  ASSERT_TRUE(c.send("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"));
  auto count = [](const std::string& s) {
    std::size_t n = 0;
    for (auto at = s.find("event: frame\n"); at != std::string::npos; at = s.find("event: frame\n", at + 1)) ++n;
    return n;
  };
  const std::string got = c.read(10s, [&](const std::string& s) { return count(s) >= 3; });
  ASSERT_GE(count(got), 3u) << got.substr(0, 500);
  EXPECT_NE(got.find("Content-Type: text/event-stream"), std::string::npos);
  std::vector<u64> seqs;
  for (auto at = got.find("\ndata: "); at != std::string::npos; at = got.find("\ndata: ", at + 1)) {
    const auto end = got.find('\n', at + 7);
    if (end == std::string::npos) break;
    seqs.push_back(json::parse(got.substr(at + 7, end - at - 7))["seq"].get<u64>());
  }
  ASSERT_GE(seqs.size(), 3u);
  for (std::size_t i = 1; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], seqs[i - 1] + 1);
}

// ---------------------------------------------------------------- recordings

TEST(TelemetryRecording, RecordsEveryFrameInOrderUpToTheFinalOne) {
  const auto path = std::filesystem::temp_directory_path() / ("steady_rec_" + std::to_string(::getpid()) + ".jsonl");
  std::string final_frame;
  {
    auto graph = steady::GraphBuilder::for_testing().build();
    auto [tx, rx] = graph.channel<u64>().name("numbers").capacity(64).build();
    graph.actor("producer").run(produce_n, std::move(tx), u64{2'000});
    graph.actor("consumer").run(consume, std::move(rx));
    tel::Options o = quiet();
    o.record_path = path.string();
    auto t = steady::Telemetry::start(graph, o);
    ASSERT_TRUE(t) << t.error();
    graph.start();
    ASSERT_TRUE(graph.block_until_stopped(10s).clean);
    const json s = until(*t, [](const json& s) { return s["frame"]["final"].get<bool>(); });
    final_frame = s["frame"].dump();
  }
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  const json header = json::parse(line);
  EXPECT_EQ(header["kind"], "steady-telemetry-recording");
  EXPECT_EQ(header["structure"]["channels"][0]["name"], "numbers");
  EXPECT_EQ(header["layout_svg"].get<std::string>().rfind("<svg", 0), 0u);
  std::vector<json> frames;
  while (std::getline(in, line)) frames.push_back(json::parse(line));
  std::filesystem::remove(path);
  ASSERT_FALSE(frames.empty());
  for (std::size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(frames[i]["seq"].get<u64>(), i + 1);
  EXPECT_EQ(frames.back().dump(), final_frame);  // the same frame the snapshot served
}

// ---------------------------------------------------------------- formats

TEST(TelemetryFormats, MetricsHaveHelpTypeAndEscapedLabels) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<u64>().name("odd \"name\"\\x").capacity(4).build();
  graph.actor("p").run(produce_n, std::move(tx), u64{1});
  graph.actor("c").run(consume, std::move(rx));
  auto t = steady::Telemetry::start(graph, quiet());
  ASSERT_TRUE(t) << t.error();
  const std::string m = t->metrics();
  EXPECT_NE(m.find("channel=\"odd \\\"name\\\"\\\\x\""), std::string::npos) << m;
  // Every family has HELP then TYPE, and every sample belongs to the family declared above it.
  std::string family;
  std::istringstream lines(m);
  for (std::string l; std::getline(lines, l);) {
    if (l.rfind("# HELP ", 0) == 0) {
      family = l.substr(7, l.find(' ', 7) - 7);
      continue;
    }
    if (l.rfind("# TYPE " + family + " ", 0) == 0) continue;
    ASSERT_EQ(l.rfind(family, 0), 0u) << l;
    EXPECT_EQ(family.rfind("steady_", 0), 0u);
  }
  EXPECT_NE(m.find("# TYPE steady_channel_latency_seconds histogram"), std::string::npos);
  EXPECT_NE(m.find("steady_channel_latency_seconds_bucket{channel="), std::string::npos);
  EXPECT_NE(m.find("le=\"+Inf\"} 0"), std::string::npos);
  EXPECT_EQ(tel::format_rate(0), "0/s");
  EXPECT_EQ(tel::format_rate(12345), "12.3k/s");
  EXPECT_EQ(tel::format_ms(1.5), "1.50ms");
  EXPECT_EQ(tel::format_ms(0.0005), "500ns");
}

}  // namespace
