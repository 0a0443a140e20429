// tests/telemetry/hub_process_test.cpp — three real processes on 127.0.0.1: hub_receiver (a ZmqIngress bound to a
// free port), hub_sender (a ZmqEgress connected to it), each serving telemetry on a free port, and steady-hub
// polling both. The hub's /snapshot.json has both processes' actors, the bridge actors' endpoint labels and exactly
// one cross-process edge from the egress to the ingress; when the receiver is killed the hub reports it down and
// keeps serving the sender. A paused receiver (SIGSTOP) fills the sender's channel into its egress, and the sender's
// own telemetry shows it full, then draining after SIGCONT. Every wait polls a condition with a deadline.
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../bridge/process.hpp"
#include "http_client.hpp"

using namespace std::chrono_literals;
using bridge_test::in;
using bridge_test::Process;
using json = nlohmann::json;

namespace {

// "telemetry: http://127.0.0.1:PORT" (or "steady-hub: http://...") → PORT.
std::uint16_t port_of(const std::optional<std::string>& line) {
  std::smatch m;
  if (!line || !std::regex_search(*line, m, std::regex(R"(http://127\.0\.0\.1:([0-9]+))"))) return 0;
  return static_cast<std::uint16_t>(std::stoi(m[1]));
}

std::optional<json> snapshot(std::uint16_t port) {
  const auto r = telemetry_test::get(port, "/snapshot.json");
  if (r.status != 200) return std::nullopt;
  try {
    return json::parse(r.body);
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

// Polls the hub's snapshot (every 50 ms, a poll interval, not a synchronisation) until `pred` holds or 30 s pass.
template <class Pred>
json until(std::uint16_t port, Pred pred, std::chrono::seconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  json last;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto s = snapshot(port)) {
      last = *s;
      if (pred(last)) return last;
    }
    ::poll(nullptr, 0, 50);
  }
  return last;
}

int actor_index(const json& s, const std::string& name) {
  if (!s.contains("structure")) return -1;
  for (const auto& a : s["structure"]["actors"])
    if (a["name"] == name) return a["id"].get<int>();
  return -1;
}

std::vector<int> cross_channels(const json& s) {
  std::vector<int> out;
  if (!s.contains("structure")) return out;
  for (const auto& c : s["structure"]["channels"])
    if (c.value("cross_process", false)) out.push_back(c["id"].get<int>());
  return out;
}

std::string label(const json& s, int actor, const std::string& key) {
  if (actor < 0 || s["frame"].is_null()) return {};
  return s["frame"]["actors"][actor]["labels"].value(key, "");
}

bool process_up(const json& s, int i) {
  return s.contains("frame") && !s["frame"].is_null() && s["frame"]["processes"][i]["up"] == true;
}

// libzmq's internals are invisible to TSan (see tests/bridge/tsan-zmq.supp); the in-process hub tests cover the hub
// under TSan.
#if defined(__SANITIZE_THREAD__)
#define SKIP_UNDER_TSAN() GTEST_SKIP() << "multi-process tests with ZeroMQ are not run under TSan"
#else
#define SKIP_UNDER_TSAN() (void)0
#endif

// hub_receiver, then hub_sender connected to the endpoints it bound; each serves telemetry on a free port.
struct BridgedPair {
  Process receiver{{RECEIVER_EXE}};
  std::unique_ptr<Process> sender;
  std::string data, ack;
  std::uint16_t receiver_port = 0, sender_port = 0;

  // "" once both serve; otherwise what went wrong, with the programs' output.
  std::string start() {
    const auto bound = receiver.wait_line("bound ", in(15s));
    if (!bound) return "the receiver bound nothing: " + receiver.all_output();
    std::istringstream words(*bound);
    std::string word;
    words >> word >> data >> ack;
    receiver_port = port_of(receiver.wait_line("telemetry: ", in(15s)));
    if (receiver_port == 0) return "the receiver serves no telemetry: " + receiver.all_output();
    sender = std::make_unique<Process>(std::vector<std::string>{SENDER_EXE, data, ack});
    sender_port = port_of(sender->wait_line("telemetry: ", in(15s)));
    if (sender_port == 0) return "the sender serves no telemetry: " + sender->all_output();
    return "";
  }
};

}  // namespace

TEST(HubProcess, MergesTwoBridgedProcessesAndReportsOneThatDies) {
  SKIP_UNDER_TSAN();
  BridgedPair pair;
  ASSERT_EQ(pair.start(), "");
  Process& receiver = pair.receiver;
  Process& sender = *pair.sender;
  const std::string& data = pair.data;
  const std::uint16_t receiver_port = pair.receiver_port, sender_port = pair.sender_port;

  const std::string sender_url = "http://127.0.0.1:" + std::to_string(sender_port);
  const std::string receiver_url = "http://127.0.0.1:" + std::to_string(receiver_port);
  Process hub({HUB_EXE, "--peer", sender_url, "--peer", receiver_url, "--port", "0", "--frame", "100ms"});
  const std::uint16_t hub_port = port_of(hub.wait_line("steady-hub: ", in(15s)));
  ASSERT_NE(hub_port, 0) << hub.all_output();

  // Both up, the link made (the ingress learnt the egress's stream id), and something crossed it.
  json s = until(hub_port, [](const json& s) {
    const auto cross = cross_channels(s);
    return process_up(s, 0) && process_up(s, 1) && cross.size() == 1 &&
           s["frame"]["channels"][cross[0]]["rate"].get<double>() > 0;
  });
  ASSERT_TRUE(process_up(s, 0) && process_up(s, 1)) << s.dump(1);
  EXPECT_EQ(s["structure"]["processes"][0]["title"], "hub_sender");
  EXPECT_EQ(s["structure"]["processes"][1]["title"], "hub_receiver");
  for (const char* name : {"hub_sender/source", "hub_sender/uplink", "hub_receiver/downlink", "hub_receiver/sink"})
    EXPECT_GE(actor_index(s, name), 0) << name;
  const int uplink = actor_index(s, "hub_sender/uplink"), downlink = actor_index(s, "hub_receiver/downlink");
  ASSERT_GE(uplink, 0);
  ASSERT_GE(downlink, 0);
  EXPECT_EQ(label(s, uplink, "bridge"), "zmq");
  EXPECT_EQ(label(s, uplink, "bridge_role"), "egress");
  EXPECT_EQ(label(s, uplink, "bridge_endpoint"), data);
  EXPECT_EQ(label(s, downlink, "bridge_role"), "ingress");
  EXPECT_EQ(label(s, downlink, "bridge_endpoint"), data);  // the endpoint it actually bound
  EXPECT_EQ(label(s, downlink, "bridge_link"), label(s, uplink, "bridge_link"));
  EXPECT_EQ(label(s, uplink, "bridge_link").size(), 8u);
  EXPECT_EQ(label(s, actor_index(s, "hub_sender/source"), "role"), "generator");  // a builder label

  const auto cross = cross_channels(s);
  ASSERT_EQ(cross.size(), 1u) << s["structure"]["channels"].dump(1);
  const json& c = s["structure"]["channels"][cross[0]];
  EXPECT_EQ(c["from"], uplink);
  EXPECT_EQ(c["to"], downlink);
  EXPECT_NE(s["structure"]["actors"][uplink]["process"], s["structure"]["actors"][downlink]["process"]);
  EXPECT_EQ(s["structure"]["edges"][c["edge"].get<int>()]["label"], data);
  int drawn = 0;  // exactly one drawn edge joins the two processes
  for (const auto& e : s["structure"]["edges"]) {
    const int from = e["from"], to = e["to"];
    if (from >= 0 && to >= 0 &&
        s["structure"]["actors"][from]["process"] != s["structure"]["actors"][to]["process"])
      ++drawn;
  }
  EXPECT_EQ(drawn, 1);

  // Each process's own /metrics carries the bridge labels on steady_actor_info.
  const auto metrics = telemetry_test::get(sender_port, "/metrics");
  EXPECT_NE(metrics.body.find("bridge_endpoint=\"" + data + "\""), std::string::npos) << metrics.body;

  // The receiver dies: the hub says so, and keeps serving the sender's figures.
  receiver.signal(SIGKILL);
  (void)receiver.wait_exit(in(10s));
  s = until(hub_port, [](const json& s) { return s.contains("frame") && !process_up(s, 1); });
  ASSERT_FALSE(process_up(s, 1)) << s["frame"]["processes"].dump();
  EXPECT_FALSE(s["frame"]["processes"][1]["error"].get<std::string>().empty());
  EXPECT_TRUE(process_up(s, 0));
  EXPECT_EQ(s["frame"]["actors"][downlink]["state"], "unreachable");
  const auto seen = s["frame"]["processes"][0]["seq"].get<std::uint64_t>();
  s = until(hub_port, [&](const json& s) { return s["frame"]["processes"][0]["seq"].get<std::uint64_t>() > seen + 2; });
  EXPECT_GT(s["frame"]["processes"][0]["seq"].get<std::uint64_t>(), seen + 2);
  EXPECT_EQ(telemetry_test::get(hub_port, "/graph.svg").status, 200);

  hub.signal(SIGTERM);
  EXPECT_EQ(hub.wait_exit(in(10s)), std::optional<int>(0));
}

int channel_index(const json& s, const std::string& name) {
  if (!s.contains("structure")) return -1;
  for (const auto& c : s["structure"]["channels"])
    if (c["name"] == name) return c["id"].get<int>();
  return -1;
}

// A receiver that stops reading (SIGSTOP: the slowest receiver there is) makes the sender's channel into its egress
// fill to capacity — the egress removes messages only once they are acknowledged — and the sender's own telemetry
// shows it; once the receiver reads again (SIGCONT) the channel drains.
TEST(HubProcess, APausedReceiverFillsTheSendersChannelAndItsTelemetryShowsIt) {
  SKIP_UNDER_TSAN();
  BridgedPair pair;
  ASSERT_EQ(pair.start(), "");
  Process& receiver = pair.receiver;
  Process& sender = *pair.sender;
  const std::uint16_t sender_port = pair.sender_port;

  const auto outbound = [](const json& s) -> const json* {
    const int i = channel_index(s, "outbound");
    if (i < 0 || !s.contains("frame") || s["frame"].is_null()) return nullptr;
    return &s["frame"]["channels"][i];
  };
  json s = until(sender_port, [&](const json& s) { return outbound(s) && (*outbound(s))["taken"].get<std::uint64_t>() > 0; });
  ASSERT_TRUE(outbound(s) && (*outbound(s))["taken"].get<std::uint64_t>() > 0) << "nothing crossed the link";
  const auto capacity = s["structure"]["channels"][channel_index(s, "outbound")]["capacity"].get<std::uint64_t>();

  // Full for the source, which sends batches of 10: less room than one batch left.
  const auto full = [&](const json& s) { return outbound(s) && (*outbound(s))["in_flight"].get<std::uint64_t>() + 10 > capacity; };
  receiver.signal(SIGSTOP);
  s = until(sender_port, full);
  ASSERT_TRUE(full(s)) << (outbound(s) ? outbound(s)->dump() : s.dump());
  EXPECT_GT((*outbound(s))["fill_pct"].get<double>(), 99.0);
  const auto taken = (*outbound(s))["taken"].get<std::uint64_t>();

  receiver.signal(SIGCONT);
  s = until(sender_port, [&](const json& s) { return outbound(s) && (*outbound(s))["in_flight"].get<std::uint64_t>() < capacity / 2; });
  ASSERT_TRUE(outbound(s));
  EXPECT_LT((*outbound(s))["in_flight"].get<std::uint64_t>(), capacity / 2) << "the channel did not drain";
  EXPECT_GT((*outbound(s))["taken"].get<std::uint64_t>(), taken);

  sender.signal(SIGTERM);
  EXPECT_EQ(sender.wait_exit(in(20s)), std::optional<int>(0)) << sender.all_output();
  receiver.signal(SIGTERM);
  EXPECT_EQ(receiver.wait_exit(in(20s)), std::optional<int>(0)) << receiver.all_output();
}

TEST(HubProcess, ABadPeerUrlIsExitCode2WithAClearMessage) {
  Process hub({"/bin/sh", "-c", std::string("exec '") + HUB_EXE + "' --peer 127.0.0.1:9901 --port 0 2>&1"});
  const auto line = hub.wait_line("steady-hub: ", in(10s));
  ASSERT_TRUE(line) << hub.all_output();
  EXPECT_NE(line->find("not an http:// URL"), std::string::npos) << *line;
  EXPECT_EQ(hub.wait_exit(in(10s)), std::optional<int>(2));
  Process none({"/bin/sh", "-c", std::string("exec '") + HUB_EXE + "' --port 0 2>&1"});
  EXPECT_EQ(none.wait_exit(in(10s)), std::optional<int>(2)) << none.all_output();
}
