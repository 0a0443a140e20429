// tests/telemetry/hub_test.cpp — actor labels (builder and run time) in snapshot.json, /graph.dot and /metrics; the
// hub's merge (a matching bridge_link makes one cross-process edge, anything else none, a process that is down is
// reported), its peer URLs, a hub polling two in-process telemetry servers over HTTP until one goes away, and the
// actors' own counters (Context::counter) through the hub's snapshot and /metrics, labelled with their process.
// Every wait is on an observable condition (a frame) with a deadline; nothing sleeps to synchronise.
#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "exposition.hpp"
#include "http_client.hpp"
#include "hub.hpp"
#include "hub_client.hpp"
#include "hub_merge.hpp"
#include "steady/steady.hpp"
#include "steady/telemetry.hpp"
#include "telemetry_support.hpp"

namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using u64 = std::uint64_t;
namespace tel = steady::telemetry;
using telemetry_test::quiet;
using telemetry_test::serving;
using telemetry_test::until;

// ---------------------------------------------------------------- actors

steady::Task tick(steady::Context& ctx, steady::Tx<u64>& out, std::chrono::milliseconds period) {
  u64 n = 0;
  while (ctx.is_running()) {
    const auto r = co_await ctx.wait_all(steady::periodic(period), steady::vacant(out, 1));
    if (r.satisfied() && out.try_send(n).sent()) ++n;
  }
}

void drain(steady::Rx<u64>& in) {
  std::array<u64, 64> buf{};
  while (in.take_slice(std::span<u64>(buf)) != 0) {
  }
}

steady::Task consume(steady::Context& ctx, steady::Rx<u64>& in) {
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    (void)co_await ctx.wait_avail(in, 1);
    drain(in);
  }
}

// Sends `n` numbers, counting each under its own counters (as a file source counts lines and bytes), then only
// waits for the stop: its totals end at values the test knows.
steady::Task count_to(steady::Context& ctx, steady::Tx<u64>& out, u64 n) {
  steady::Counter items = ctx.counter("items_sent");
  steady::Counter bytes = ctx.counter("bytes_sent");
  u64 sent = 0;
  while (ctx.is_running()) {
    if (sent == n) {
      (void)co_await ctx.wait_periodic(5ms);
      continue;
    }
    (void)co_await ctx.wait_all(steady::periodic(1ms), steady::vacant(out, 1));
    if (out.try_send(sent).sent()) {
      ++sent;
      items.add();
      bytes.add(sizeof(u64));
    }
  }
}

// Labels itself once it runs, the way a bridge names the endpoint it bound.
steady::Task labelled(steady::Context& ctx, steady::Rx<u64>& in) {
  ctx.set_label("endpoint", "tcp://10.0.0.2:5555");
  ctx.set_label("actor", "clash");                     // the info family's own label name: prefixed
  ctx.set_label("odd key", "a \"quoted\" value\\");    // not a label name: made one; the value escaped
  ctx.set_label("gone", "soon");
  ctx.set_label("gone", "");  // removed
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    (void)co_await ctx.wait_avail(in, 1);
    drain(in);
  }
}

// ---------------------------------------------------------------- helpers

template <class Pred>
json until(const tel::Hub& h, Pred pred, std::chrono::milliseconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    json s = json::parse(h.snapshot_json());
    if (pred(s)) return s;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return s;
    (void)h.wait_for_frames(h.frames() + 1, left);
  }
}

int actor_index(const json& snap, const std::string& name) {
  for (const auto& a : snap["structure"]["actors"])
    if (a["name"] == name) return a["id"].get<int>();
  return -1;
}

std::vector<int> cross_channels(const json& snap) {
  std::vector<int> out;
  for (const auto& c : snap["structure"]["channels"])
    if (c.value("cross_process", false)) out.push_back(c["id"].get<int>());
  return out;
}

// The value of the Prometheus sample whose line starts with `head` (family name and labels), or -1 when there is none.
double sample_value(const std::string& metrics, const std::string& head) {
  const auto at = metrics.find("\n" + head + " ");
  if (at == std::string::npos) return -1;
  return std::stod(metrics.substr(at + head.size() + 2, metrics.find('\n', at + 1) - at - head.size() - 2));
}

// `promtool check metrics` (Debian's prometheus) on `metrics`: what it said, empty when it accepted them; nothing
// when /usr/bin/promtool is not installed.
std::optional<std::string> promtool_complaints(const std::string& metrics) {
  if (!std::filesystem::exists("/usr/bin/promtool")) return std::nullopt;
  const auto dir = std::filesystem::temp_directory_path() / ("steady-hub-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "metrics.txt", out = dir / "promtool.txt";
  std::ofstream(file) << metrics;
  const std::string cmd = "/usr/bin/promtool check metrics < '" + file.string() + "' > '" + out.string() + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream in(out);
  const std::string said((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove_all(dir);
  if (rc == 0) return std::string();
  return "promtool exit " + std::to_string(rc) + (said.empty() ? std::string(" (said nothing)") : ": " + said);
}

// The line of a Prometheus family's sample for `actor`.
std::string info_line(const std::string& metrics, const std::string& actor) {
  const std::string head = "steady_actor_info{actor=\"" + actor + "\"";
  const auto at = metrics.find(head);
  if (at == std::string::npos) return {};
  return metrics.substr(at, metrics.find('\n', at) - at);
}

// One "process" in this one: a graph and its telemetry titled `title`, started; stopped when it goes.
struct Side {
  steady::Graph graph = steady::GraphBuilder::for_testing().build();
  std::optional<steady::Telemetry> telemetry;

  // A graph of what `build` adds to it.
  Side(const std::function<void(steady::Graph&)>& build, tel::Options o, const std::string& title) {
    build(graph);
    o.title = title;
    auto t = steady::Telemetry::start(graph, o);
    if (!t) throw std::runtime_error(t.error());
    telemetry.emplace(std::move(t.value()));
    graph.start();
  }
  // One side of a bridged link: a graph whose bridge actor carries the labels a bridge sets.
  //   egress side:  source ──outbound──> uplink (bridge_role=egress)
  //   ingress side: downlink (bridge_role=ingress) ──inbound──> sink
  Side(bool egress, const std::string& link, tel::Options o, const std::string& title)
      : Side(
            [&](steady::Graph& graph) {
              auto [tx, rx] = graph.channel<u64>().name(egress ? "outbound" : "inbound").capacity(64).build();
              auto bridge = [&](const char* name, const char* role) {
                return graph.actor(name)
                    .label("bridge", "zmq")
                    .label("bridge_role", role)
                    .label("bridge_link", link)
                    .label("bridge_endpoint", "tcp://127.0.0.1:5555");
              };
              if (egress) {
                graph.actor("source").run(tick, std::move(tx), 2ms);
                bridge("uplink", "egress").run(consume, std::move(rx));
              } else {
                bridge("downlink", "ingress").run(tick, std::move(tx), 2ms);
                graph.actor("sink").run(consume, std::move(rx));
              }
            },
            std::move(o), title) {}
  ~Side() {
    graph.request_shutdown();
    (void)graph.block_until_stopped(5s);
  }
  // A snapshot once the graph has run a few frames (and its channel carried something).
  [[nodiscard]] std::string snapshot() const {
    return until(*telemetry, [](const json& s) {
             return s["frame"]["seq"].get<u64>() >= 3 && s["frame"]["channels"][0]["sent"].get<u64>() > 0;
           }).dump();
  }
};

tel::PeerState peer(const std::string& snapshot, const std::string& port) {
  tel::PeerState p;
  p.url = "http://127.0.0.1:" + port;
  p.port = port;
  auto parsed = tel::parse_snapshot(snapshot, {50, 80, 99});
  EXPECT_TRUE(parsed) << parsed.error();
  if (parsed) p.last = parsed.value();
  p.up = true;
  p.error.clear();
  return p;
}

// ---------------------------------------------------------------- actor labels

TEST(ActorLabels, BuilderAndRunTimeLabelsShowInSnapshotDotAndMetrics) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<u64>().name("ticks").capacity(16).build();
  graph.actor("ticker").run(tick, std::move(tx), 2ms);
  graph.actor("reader").label("team", "core").run(labelled, std::move(rx));
  auto t = steady::Telemetry::start(graph, quiet());
  ASSERT_TRUE(t) << t.error();
  graph.start();
  const json s = until(*t, [](const json& s) { return s["frame"]["actors"][1]["labels"].contains("endpoint"); });
  const int reader = actor_index(s, "reader");
  ASSERT_GE(reader, 0);
  // The structure holds the builder's labels (as telemetry started); every frame the current ones.
  EXPECT_EQ(s["structure"]["actors"][reader]["labels"], json({{"team", "core"}}));
  const json& now = s["frame"]["actors"][reader]["labels"];
  EXPECT_EQ(now.value("team", ""), "core");
  EXPECT_EQ(now.value("endpoint", ""), "tcp://10.0.0.2:5555");
  EXPECT_EQ(now.value("odd key", ""), "a \"quoted\" value\\");
  EXPECT_FALSE(now.contains("gone"));
  EXPECT_EQ(s["frame"]["actors"][actor_index(s, "ticker")]["labels"], json::object());

  const std::string line = info_line(t->metrics(), "reader");
  ASSERT_FALSE(line.empty()) << t->metrics();
  EXPECT_NE(line.find("endpoint=\"tcp://10.0.0.2:5555\""), std::string::npos) << line;
  EXPECT_NE(line.find("team=\"core\""), std::string::npos) << line;
  EXPECT_NE(line.find("label_actor=\"clash\""), std::string::npos) << line;
  EXPECT_NE(line.find("odd_key=\"a \\\"quoted\\\" value\\\\\""), std::string::npos) << line;
  EXPECT_EQ(line.find("gone"), std::string::npos) << line;
  EXPECT_EQ(line.substr(line.size() - 2), " 1");
  EXPECT_NE(t->dot().find("endpoint=tcp://10.0.0.2:5555"), std::string::npos);  // the node's tooltip
  graph.request_shutdown();
  (void)graph.block_until_stopped(5s);
}

// promtool (Debian's prometheus) accepts /metrics with actor labels in it. Skipped without promtool, except
// where STEADY_REQUIRE_TOOLS=1.
TEST(ActorLabels, PromtoolAcceptsTheMetrics) {
  if (!std::filesystem::exists("/usr/bin/promtool")) {
    if (const char* req = std::getenv("STEADY_REQUIRE_TOOLS"); req != nullptr && std::string(req) == "1")
      FAIL() << "/usr/bin/promtool not found (scripts/setup installs Debian's prometheus)";
    GTEST_SKIP() << "/usr/bin/promtool not found (scripts/setup installs Debian's prometheus)";
  }
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<u64>().name("ticks").capacity(16).build();
  graph.actor("ticker").label("bridge_endpoint", "tcp://127.0.0.1:5555").run(tick, std::move(tx), 2ms);
  graph.actor("reader").run(labelled, std::move(rx));
  auto t = steady::Telemetry::start(graph, quiet());
  ASSERT_TRUE(t) << t.error();
  graph.start();
  (void)until(*t, [](const json& s) { return s["frame"]["actors"][1]["labels"].contains("endpoint"); });
  const std::string metrics = t->metrics();
  const auto complaints = promtool_complaints(metrics);
  ASSERT_TRUE(complaints.has_value());
  EXPECT_EQ(*complaints, "") << metrics;
  EXPECT_NE(info_line(metrics, "reader").find("endpoint="), std::string::npos);
  graph.request_shutdown();
  (void)graph.block_until_stopped(5s);
}

// ---------------------------------------------------------------- the merge

TEST(HubMerge, AMatchingBridgeLinkMakesOneCrossProcessEdge) {
  Side a(true, "0000abcd", quiet(), "sender"), b(false, "0000abcd", quiet(), "receiver");
  const std::vector<tel::PeerState> peers = {peer(a.snapshot(), "9901"), peer(b.snapshot(), "9902")};
  const tel::Merged m = tel::merge(peers, "hub", nullptr);
  const json s = json::parse(tel::snapshot_json(*m.structure, m.frame.get(), tel::Options{}));

  ASSERT_EQ(s["structure"]["processes"].size(), 2u);
  EXPECT_EQ(s["structure"]["processes"][0]["title"], "sender");
  EXPECT_EQ(s["structure"]["processes"][1]["url"], "http://127.0.0.1:9902");
  EXPECT_EQ(s["structure"]["actors"].size(), 4u);
  const int uplink = actor_index(s, "sender/uplink"), downlink = actor_index(s, "receiver/downlink");
  ASSERT_GE(uplink, 0);
  ASSERT_GE(downlink, 0);
  EXPECT_EQ(s["structure"]["actors"][uplink]["process"], 0);
  EXPECT_EQ(s["structure"]["actors"][downlink]["process"], 1);
  const auto cross = cross_channels(s);
  ASSERT_EQ(cross.size(), 1u) << s["structure"]["channels"].dump(1);
  const json& c = s["structure"]["channels"][cross[0]];
  EXPECT_EQ(c["from"], uplink);
  EXPECT_EQ(c["to"], downlink);
  EXPECT_EQ(c["type"], "bridge zmq");
  EXPECT_EQ(c["labels"]["bridge_link"], "0000abcd");
  const json& e = s["structure"]["edges"][c["edge"].get<int>()];
  EXPECT_EQ(e["label"], "tcp://127.0.0.1:5555");
  EXPECT_EQ(e["from"], uplink);
  EXPECT_EQ(e["to"], downlink);
  // Its count is what the ingress delivered into its own channel ("receiver/inbound").
  int inbound = -1;
  for (const auto& ch : s["structure"]["channels"])
    if (ch["name"] == "receiver/inbound") inbound = ch["id"].get<int>();
  ASSERT_GE(inbound, 0);
  EXPECT_GT(s["frame"]["channels"][cross[0]]["sent"].get<u64>(), 0u);
  EXPECT_EQ(s["frame"]["channels"][cross[0]]["sent"], s["frame"]["channels"][inbound]["sent"]);
  EXPECT_EQ(s["frame"]["processes"][0]["up"], true);
  EXPECT_FALSE(s["frame"].contains("hash"));  // the caller fills it in (the hub does)
  // DOT: a cluster per process, the cross edge drawn from the egress to the ingress.
  const std::string dot = tel::dot_text(*m.structure, m.frame.get(), tel::DotStyle::live);
  EXPECT_NE(dot.find("subgraph cluster_p0"), std::string::npos);
  EXPECT_NE(dot.find("subgraph cluster_p1"), std::string::npos);
  EXPECT_NE(dot.find("a" + std::to_string(uplink) + " -> a" + std::to_string(downlink)), std::string::npos) << dot;
  // Merging again with nothing changed keeps the structure (the UI keeps its layout).
  EXPECT_EQ(tel::merge(peers, "hub", m.structure).structure, m.structure);
}

TEST(HubMerge, UnmatchedLinksMakeNoEdge) {
  Side a(true, "0000abcd", quiet(), "sender"), b(false, "0000ffff", quiet(), "receiver");
  Side c(true, "0000ffff", quiet(), "sender2");  // an egress ...
  const std::string sa = a.snapshot(), sb = b.snapshot(), sc = c.snapshot();
  {  // different links
    const tel::Merged m = tel::merge({peer(sa, "1"), peer(sb, "2")}, "hub", nullptr);
    const json s = json::parse(tel::structure_json(*m.structure));
    EXPECT_TRUE(cross_channels({{"structure", s}}).empty());
    EXPECT_EQ(m.structure->edges.size(), 2u);
  }
  {  // ... two egresses of one link, and no ingress of it
    const tel::Merged m = tel::merge({peer(sc, "1"), peer(sc, "2")}, "hub", nullptr);
    const json s = json::parse(tel::structure_json(*m.structure));
    EXPECT_TRUE(cross_channels({{"structure", s}}).empty());
    // Two processes of one title are told apart by their port.
    EXPECT_EQ(s["processes"][1]["title"], "sender2@2");
    EXPECT_GE(actor_index({{"structure", s}}, "sender2@2/uplink"), 0);
  }
  {  // the same link, matched: the control case
    const tel::Merged m = tel::merge({peer(sc, "1"), peer(sb, "2")}, "hub", nullptr);
    EXPECT_EQ(cross_channels({{"structure", json::parse(tel::structure_json(*m.structure))}}).size(), 1u);
  }
}

TEST(HubMerge, AProcessThatIsDownIsReported) {
  Side a(true, "0000abcd", quiet(), "sender"), b(false, "0000abcd", quiet(), "receiver");
  std::vector<tel::PeerState> peers = {peer(a.snapshot(), "9901"), peer(b.snapshot(), "9902")};
  peers[1].up = false;  // it answered once, then stopped answering
  peers[1].error = "connection refused (is the process running?)";
  tel::PeerState never;
  never.url = "http://127.0.0.1:9903";
  never.port = "9903";
  never.error = "no answer within 1000 ms";
  peers.push_back(never);
  const tel::Merged m = tel::merge(peers, "hub", nullptr);
  const json s = json::parse(tel::snapshot_json(*m.structure, m.frame.get(), tel::Options{}));
  const json& procs = s["frame"]["processes"];
  ASSERT_EQ(procs.size(), 3u);
  EXPECT_EQ(procs[0]["up"], true);
  EXPECT_EQ(procs[1]["up"], false);
  EXPECT_EQ(procs[1]["error"], "connection refused (is the process running?)");
  EXPECT_EQ(procs[2]["up"], false);
  EXPECT_EQ(procs[2]["error"], "no answer within 1000 ms");
  EXPECT_EQ(s["structure"]["processes"][2]["title"], "127.0.0.1:9903");
  EXPECT_EQ(s["structure"]["processes"][2]["hash"], "");
  // The process that went away keeps its last graph, shown unreachable; the link to it is red and carries nothing.
  const int downlink = actor_index(s, "receiver/downlink");
  ASSERT_GE(downlink, 0);
  EXPECT_EQ(s["frame"]["actors"][downlink]["state"], "unreachable");
  EXPECT_EQ(s["frame"]["actors"][downlink]["alert"], "red");
  EXPECT_EQ(s["frame"]["actors"][actor_index(s, "sender/uplink")]["alert"], "none");
  const auto cross = cross_channels(s);
  ASSERT_EQ(cross.size(), 1u);
  EXPECT_EQ(s["frame"]["channels"][cross[0]]["alert"], "red");
  EXPECT_EQ(s["frame"]["channels"][cross[0]]["rate"], 0);
  const std::string dot = tel::dot_text(*m.structure, m.frame.get(), tel::DotStyle::live);
  EXPECT_NE(dot.find("down: connection refused"), std::string::npos) << dot;
  EXPECT_NE(dot.find("no graph known yet"), std::string::npos) << dot;
}

TEST(HubMerge, WhatIsNotASnapshotIsAnErrorNotACrash) {
  const std::vector<double> p = {50, 80, 99};
  EXPECT_FALSE(tel::parse_snapshot("<html>404</html>", p));
  EXPECT_FALSE(tel::parse_snapshot("{}", p));
  EXPECT_FALSE(tel::parse_snapshot(R"({"structure":{"actors":[{"id":5}],"channels":[],"edges":[]}})", p));
  EXPECT_FALSE(tel::parse_snapshot(
      R"({"structure":{"actors":[],"channels":[],"edges":[{"id":0,"from":3,"to":-1,"channels":[]}]}})", p));
  EXPECT_FALSE(tel::parse_snapshot(R"({"structure":{"actors":[{"id":0,"name":7}],"channels":[],"edges":[]}})", p));
  const auto bad = tel::parse_snapshot(
      R"({"structure":{"actors":[{"id":0,"name":"a"}],"channels":[],"edges":[]},"frame":{"actors":[],"channels":[],"edges":[]}})",
      p);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("does not match"), std::string::npos) << bad.error();
  auto good = tel::parse_snapshot(
      R"({"structure":{"title":"t","actors":[{"id":0,"name":"a"}],"channels":[],"edges":[]},"frame":null})", p);
  ASSERT_TRUE(good) << good.error();
  EXPECT_EQ(good.value()->structure.actors.at(0).name, "a");
  EXPECT_EQ(good.value()->frame, nullptr);
}

// ---------------------------------------------------------------- peer URLs

TEST(HubUrl, GoodOnesAreNormalisedAndBadOnesSayWhy) {
  auto u = tel::parse_peer_url("http://127.0.0.1:9901");
  ASSERT_TRUE(u) << u.error();
  EXPECT_EQ(u.value().host, "127.0.0.1");
  EXPECT_EQ(u.value().port, "9901");
  EXPECT_EQ(u.value().url, "http://127.0.0.1:9901");
  u = tel::parse_peer_url("HTTP://[::1]:9902/svc/snapshot.json");
  ASSERT_TRUE(u) << u.error();
  EXPECT_EQ(u.value().host, "::1");
  EXPECT_EQ(u.value().prefix, "/svc");
  EXPECT_EQ(u.value().host_header(), "[::1]:9902");
  u = tel::parse_peer_url("http://localhost/");
  ASSERT_TRUE(u) << u.error();
  EXPECT_EQ(u.value().port, "80");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"127.0.0.1:9901", "not an http:// URL"},  {"https://127.0.0.1:9901", "https is not supported"},
      {"http://:9901", "no host"},              {"http://h:99999", "not a number in 1..65535"},
      {"http://h:x", "not a number"},           {"http://h:1/?q=1", "query"},
      {"", "not an http:// URL"},
  };
  for (const auto& [text, why] : bad) {
    const auto r = tel::parse_peer_url(text);
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().find(why), std::string::npos) << text << ": " << r.error();
    EXPECT_NE(r.error().find("http://127.0.0.1:9900"), std::string::npos) << r.error();  // what a good one is
  }
}

// ---------------------------------------------------------------- the hub, over HTTP

// A hub on a free port asking `peers` every 50 ms.
tel::HubOptions polling(std::vector<std::string> peers) {
  tel::HubOptions o;
  o.peers = std::move(peers);
  o.port = 0;
  o.port_explicit = true;
  o.frame = 50ms;
  o.timeout = 2s;
  return o;
}

TEST(Hub, PollsTwoProcessesAndKeepsServingWhenOneGoesAway) {
  auto a = std::make_unique<Side>(true, "0000abcd", serving(), "sender");
  auto b = std::make_unique<Side>(false, "0000abcd", serving(), "receiver");
  const tel::HubOptions o = polling({a->telemetry->url(), b->telemetry->url()});
  auto started = tel::Hub::start(o);
  ASSERT_TRUE(started) << started.error();
  tel::Hub& hub = *started.value();
  json s = until(hub, [](const json& s) {
    const auto cross = cross_channels(s);
    return s["frame"]["processes"][0]["up"] == true && s["frame"]["processes"][1]["up"] == true &&
           cross.size() == 1 && s["frame"]["channels"][cross[0]]["rate"].get<double>() > 0;
  });
  ASSERT_EQ(cross_channels(s).size(), 1u) << s.dump(1);
  EXPECT_GT(s["frame"]["channels"][cross_channels(s)[0]]["rate"].get<double>(), 0);
  EXPECT_GE(actor_index(s, "sender/source"), 0);
  EXPECT_GE(actor_index(s, "receiver/sink"), 0);
  EXPECT_EQ(s["structure"]["hash"], s["frame"]["hash"]);

  using telemetry_test::get;
  const auto page = get(hub.port(), "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("app.js"), std::string::npos);
  const auto over_http = get(hub.port(), "/snapshot.json");
  ASSERT_EQ(over_http.status, 200);
  EXPECT_EQ(cross_channels(json::parse(over_http.body)).size(), 1u);
  const auto layout = get(hub.port(), "/layout.svg");
  EXPECT_EQ(layout.status, 200);
  EXPECT_NE(layout.body.find("id=\"p1\""), std::string::npos);  // the processes' clusters
  const auto svg = get(hub.port(), "/graph.svg");
  EXPECT_EQ(svg.status, 200);
  EXPECT_NE(svg.body.find("sender/uplink"), std::string::npos);
  const auto dot = get(hub.port(), "/graph.dot");
  EXPECT_NE(dot.body.find("subgraph cluster_p1"), std::string::npos);
  const auto metrics = get(hub.port(), "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(sample_value(metrics.body, "steady_hub_process_up{process=\"sender\",url=\"" + a->telemetry->url() + "\"}"),
            1)
      << metrics.body;
  EXPECT_EQ(get(hub.port(), "/history.json").status, 200);

  // The receiver goes away: reported down with the reason, the sender still polled.
  b.reset();
  s = until(hub, [](const json& s) { return s["frame"]["processes"][1]["up"] == false; });
  ASSERT_EQ(s["frame"]["processes"][1]["up"], false) << s["frame"]["processes"].dump();
  EXPECT_FALSE(s["frame"]["processes"][1]["error"].get<std::string>().empty());
  EXPECT_EQ(s["frame"]["processes"][0]["up"], true);
  const u64 seen = s["frame"]["processes"][0]["seq"].get<u64>();
  s = until(hub, [&](const json& s) { return s["frame"]["processes"][0]["seq"].get<u64>() > seen + 2; });
  EXPECT_GT(s["frame"]["processes"][0]["seq"].get<u64>(), seen + 2);
  EXPECT_EQ(s["frame"]["processes"][1]["up"], false);
  EXPECT_EQ(get(hub.port(), "/snapshot.json").status, 200);
  EXPECT_EQ(sample_value(hub.metrics(), "steady_hub_process_up{process=\"receiver\",url=\"" + o.peers[1] + "\"}"), 0)
      << hub.metrics();
}

// A process whose actor "counter" counts `n` numbers it sends to "sink", serving telemetry on a free port.
std::unique_ptr<Side> counting(const std::string& title, u64 n) {
  return std::make_unique<Side>(
      [n](steady::Graph& graph) {
        auto [tx, rx] = graph.channel<u64>().name("counted").capacity(16).build();
        graph.actor("counter").run(count_to, std::move(tx), n);
        graph.actor("sink").run(consume, std::move(rx));
      },
      serving(), title);
}

// The counters of the actor named `name` in a snapshot, or null.
json counters_of(const json& snap, const std::string& name) {
  const int i = actor_index(snap, name);
  if (i < 0 || snap["frame"].is_null()) return nullptr;
  return snap["frame"]["actors"][i]["counters"];
}

TEST(Hub, CarriesTheActorsCountersWithTheirProcess) {
  // Two processes with an actor of the same name: only the process tells their counters apart.
  auto alpha = counting("alpha", 250);
  auto beta = counting("beta", 40);
  const tel::HubOptions o = polling({alpha->telemetry->url(), beta->telemetry->url()});
  auto started = tel::Hub::start(o);
  ASSERT_TRUE(started) << started.error();
  tel::Hub& hub = *started.value();

  // The merged snapshot: each actor's counters as its process counted them, once both have counted to the end.
  const json s = until(hub, [](const json& s) {
    const json a = counters_of(s, "alpha/counter"), b = counters_of(s, "beta/counter");
    return a.is_object() && a.value("items_sent", u64{0}) == 250 && b.is_object() &&
           b.value("items_sent", u64{0}) == 40;
  });
  const json a = counters_of(s, "alpha/counter"), b = counters_of(s, "beta/counter");
  ASSERT_TRUE(a.is_object()) << s.dump(1);
  ASSERT_TRUE(b.is_object()) << s.dump(1);
  EXPECT_EQ(a, json({{"bytes_sent", 250 * sizeof(u64)}, {"items_sent", 250}}));
  EXPECT_EQ(b, json({{"bytes_sent", 40 * sizeof(u64)}, {"items_sent", 40}}));
  EXPECT_EQ(counters_of(s, "alpha/sink"), json::object());  // an actor that counts nothing has none
  // The same as each process says itself.
  EXPECT_EQ(counters_of(json::parse(alpha->telemetry->snapshot_json()), "counter"), a);
  // ... over HTTP and on the event stream's frames too (the same frame_json).
  using telemetry_test::get;
  const auto over_http = get(hub.port(), "/snapshot.json");
  ASSERT_EQ(over_http.status, 200);
  EXPECT_EQ(counters_of(json::parse(over_http.body), "beta/counter"), b);

  // The hub's /metrics: the same values, labelled with the process and the process's own actor name.
  const auto metrics = get(hub.port(), "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.head.find("version=0.0.4"), std::string::npos) << metrics.head;
  const std::string& m = metrics.body;
  EXPECT_EQ(sample_value(m, R"(steady_actor_count_total{process="alpha",actor="counter",name="items_sent"})"), 250) << m;
  EXPECT_EQ(sample_value(m, R"(steady_actor_count_total{process="alpha",actor="counter",name="bytes_sent"})"),
            250.0 * sizeof(u64))
      << m;
  EXPECT_EQ(sample_value(m, R"(steady_actor_count_total{process="beta",actor="counter",name="items_sent"})"), 40) << m;
  EXPECT_EQ(sample_value(m, R"(steady_actor_count_total{process="beta",actor="counter",name="bytes_sent"})"),
            40.0 * sizeof(u64))
      << m;
  EXPECT_NE(m.find("# TYPE steady_actor_count_total counter"), std::string::npos) << m;
  EXPECT_EQ(m.find("actor=\"sink\""), std::string::npos) << m;  // no counters, no series
  // The process's own /metrics has the same series without the process label.
  EXPECT_EQ(sample_value(alpha->telemetry->metrics(), R"(steady_actor_count_total{actor="counter",name="items_sent"})"),
            250);

  // promtool accepts the hub's /metrics (where Debian's prometheus is installed; ActorLabels.PromtoolAccepts...
  // says when it is not).
  if (const auto complaints = promtool_complaints(m)) EXPECT_EQ(*complaints, "") << m;

  // A process that goes away: down in /metrics, and its counters leave /metrics (no current figures) while the
  // merged snapshot keeps its last known ones, as it keeps the rest of its graph.
  beta.reset();
  const json down = until(hub, [](const json& s) { return s["frame"]["processes"][1]["up"] == false; });
  ASSERT_EQ(down["frame"]["processes"][1]["up"], false);
  EXPECT_EQ(counters_of(down, "beta/counter"), b);
  const std::string after = hub.metrics();
  EXPECT_EQ(sample_value(after, "steady_hub_process_up{process=\"beta\",url=\"" + o.peers[1] + "\"}"), 0) << after;
  EXPECT_EQ(sample_value(after, R"(steady_actor_count_total{process="beta",actor="counter",name="items_sent"})"), -1)
      << after;
  EXPECT_EQ(sample_value(after, R"(steady_actor_count_total{process="alpha",actor="counter",name="items_sent"})"), 250)
      << after;
}

TEST(HubMerge, ACounterThatIsNotACountIsAnError) {
  const std::vector<double> p = {50, 80, 99};
  const std::string head = R"({"structure":{"actors":[{"id":0,"name":"a"}],"channels":[],"edges":[]},)";
  auto good = tel::parse_snapshot(head + R"("frame":{"actors":[{"counters":{"n":7}}],"channels":[],"edges":[]}})", p);
  ASSERT_TRUE(good) << good.error();
  ASSERT_EQ(good.value()->frame->actors.at(0).counters.size(), 1u);
  EXPECT_EQ(good.value()->frame->actors[0].counters[0], (std::pair<std::string, u64>{"n", 7}));
  for (const char* bad : {R"("x")", "-1", "1.5"}) {
    const auto r = tel::parse_snapshot(
        head + R"("frame":{"actors":[{"counters":{"n":)" + bad + R"(}}],"channels":[],"edges":[]}})", p);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().find("counter \"n\" is not a count"), std::string::npos) << r.error();
  }
}

TEST(Hub, BadPeersAreErrorsThatSayWhatToDo) {
  tel::HubOptions o;
  o.port = 0;
  auto none = tel::Hub::start(o);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().find("--peer"), std::string::npos) << none.error();
  o.peers = {"http://127.0.0.1:9901", "127.0.0.1:9902"};
  auto bad = tel::Hub::start(o);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("'127.0.0.1:9902'"), std::string::npos) << bad.error();
}

}  // namespace
