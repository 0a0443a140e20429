// tests/bridge/bridge_inproc_test.cpp — the ZeroMQ bridge inside one process (both actors in one testing
// graph, or in two graphs for a receiver restart), over tcp on 127.0.0.1 with free ports: round trip, codecs
// and malformed input (also decoded a part at a time), a peer that is not there, a receiver that stops and
// comes back, an egress restarted after an exception, and idle links that do not wake.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <zmq.hpp>

#include <steady/bridge/zmq.hpp>
#include <steady/steady.hpp>
#include <steady/testing.hpp>

#include "support.hpp"

using namespace std::chrono_literals;
using steady::bridge::ZmqEgress;
using steady::bridge::ZmqIngress;
using u64 = std::uint64_t;

using bridge_test::iota_values;
using bridge_test::LogCapture;

namespace {

const std::string kAnyPort = "tcp://127.0.0.1:*";

// A tcp port on 127.0.0.1 with nothing listening: bound by the kernel's choice, then released.
std::string unused_tcp_endpoint() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return "tcp://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
}


}  // namespace

TEST(BridgeFrames, HeadersRoundTripAndJunkIsRejected) {
  using namespace steady::bridge::detail;
  std::vector<std::byte> f;
  write_header(f, {FrameKind::ack, 42, 7, 0});
  const auto h = read_header(f);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->kind, FrameKind::ack);
  EXPECT_EQ(h->session, 42u);
  EXPECT_EQ(h->seq, 7u);
  EXPECT_FALSE(read_header(std::span(f).first(10)));
  f[0] = std::byte{0};
  EXPECT_FALSE(read_header(f));
  std::vector<std::byte> junk(64, std::byte{0x5a});
  EXPECT_FALSE(read_header(junk));
}

TEST(BridgeInProcess, RoundTripOverTcpDeliversEverythingInOrderAndStopsCleanly) {
  auto graph = steady::GraphBuilder::for_testing().build();
  ZmqIngress<u64> ingress({.endpoint = kAnyPort, .ack_endpoint = kAnyPort});
  auto [in_tx, in_rx] = graph.channel<u64>().name("received").capacity(1024).build();
  auto sink = std::make_shared<steady::testing::Sink<u64>>();
  graph.actor("ingress").run(ingress, std::move(in_tx));
  graph.actor("sink").run(&steady::testing::Sink<u64>::actor, std::move(in_rx), sink);
  // The egress needs the ingress's ports, known once it bound: a second graph for the sending side.
  auto sender = steady::GraphBuilder::for_testing().build();
  graph.start();
  const auto ep = ingress.bound_endpoints(5s);
  ASSERT_TRUE(ep);
  ZmqEgress<u64> egress({.endpoint = ep->first, .ack_endpoint = ep->second, .max_batch_count = 100});
  auto [out_tx, out_rx] = sender.channel<u64>().name("numbers").capacity(512).build();
  auto source = std::make_shared<steady::testing::Source<u64>>();
  sender.actor("source").run(&steady::testing::Source<u64>::actor, std::move(out_tx), source);
  sender.actor("egress").run(egress, std::move(out_rx));
  sender.start();
  constexpr u64 kN = 200'000;
  source->push_all(iota_values(kN));
  source->close();
  ASSERT_TRUE(sink->wait_for_count(kN, 30s)) << sink->count();
  sender.request_shutdown();
  const auto sr = sender.block_until_stopped(10s);
  EXPECT_TRUE(sr.clean) << sr.to_string();
  graph.request_shutdown();
  const auto gr = graph.block_until_stopped(10s);
  EXPECT_TRUE(gr.clean) << gr.to_string();
  EXPECT_EQ(sink->received(), iota_values(kN));
  EXPECT_TRUE(egress.stats().finished);
  EXPECT_EQ(egress.stats().acknowledged, kN);
  EXPECT_TRUE(ingress.stats().end_of_stream);
  EXPECT_EQ(ingress.stats().delivered, kN);
}

// ---- codecs: a user codec whose decode refuses some messages, and a frame of garbage from a foreign sender

namespace {
struct Text {
  std::string s;
  bool operator==(const Text&) const = default;
};
auto text_codec() {
  return steady::bridge::function_codec<Text>(
      [](const Text& t, std::vector<std::byte>& out) {
        const auto* p = reinterpret_cast<const std::byte*>(t.s.data());
        out.insert(out.end(), p, p + t.s.size());
      },
      [](std::span<const std::byte> b) -> std::optional<Text> {
        std::string s(reinterpret_cast<const char*>(b.data()), b.size());
        if (!s.empty() && s[0] == '!') return std::nullopt;  // this codec's notion of "malformed"
        return Text{std::move(s)};
      });
}
}  // namespace

static_assert(steady::bridge::CodecFor<steady::bridge::Codec<u64>, u64>);
static_assert(steady::bridge::CodecFor<steady::bridge::FunctionCodec<Text>, Text>);

TEST(BridgeInProcess, MalformedMessagesAndFramesAreCountedAndDroppedAndTheRestDelivered) {
  LogCapture logs;
  auto graph = steady::GraphBuilder::for_testing().build();
  ZmqIngress<Text, steady::bridge::FunctionCodec<Text>> ingress(
      {.endpoint = kAnyPort, .ack_endpoint = kAnyPort}, text_codec());
  auto [in_tx, in_rx] = graph.channel<Text>().name("texts_in").capacity(64).build();
  auto sink = std::make_shared<steady::testing::Sink<Text>>();
  graph.actor("ingress").run(ingress, std::move(in_tx));
  graph.actor("sink").run(&steady::testing::Sink<Text>::actor, std::move(in_rx), sink);
  graph.start();
  const auto ep = ingress.bound_endpoints(5s);
  ASSERT_TRUE(ep);

  // A foreign sender pushes garbage into the ingress's data socket: dropped as a malformed frame, no crash.
  zmq::context_t zctx;
  zmq::socket_t rogue(zctx, zmq::socket_type::push);
  rogue.set(zmq::sockopt::linger, 1000);
  rogue.connect(ep->first);
  const std::string garbage(100, '\x7f');
  ASSERT_TRUE(rogue.send(zmq::const_buffer(garbage.data(), garbage.size()), zmq::send_flags::none));

  auto sender = steady::GraphBuilder::for_testing().build();
  ZmqEgress<Text, steady::bridge::FunctionCodec<Text>> egress(
      {.endpoint = ep->first, .ack_endpoint = ep->second, .max_batch_count = 7}, text_codec());
  auto [out_tx, out_rx] = sender.channel<Text>().name("texts").capacity(32).build();
  auto source = std::make_shared<steady::testing::Source<Text>>();
  sender.actor("source").run(&steady::testing::Source<Text>::actor, std::move(out_tx), source);
  sender.actor("egress").run(egress, std::move(out_rx));
  sender.start();
  std::vector<Text> all, good;
  for (int i = 0; i < 200; ++i) {
    Text t{(i % 10 == 3 ? "!bad" : "ok") + std::to_string(i)};
    all.push_back(t);
    if (t.s[0] != '!') good.push_back(t);
  }
  source->push_all(all);
  source->close();
  ASSERT_TRUE(sink->wait_for_count(good.size(), 20s)) << sink->count();
  const auto sr = sender.block_until_stopped(10s);  // the egress returns after end-of-stream; the source too
  EXPECT_TRUE(sr.clean) << sr.to_string();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (ingress.stats().malformed_frames == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();  // polling a counter with a deadline
  graph.request_shutdown();
  const auto gr = graph.block_until_stopped(10s);
  EXPECT_TRUE(gr.clean) << gr.to_string();
  EXPECT_EQ(sink->received(), good);
  const auto st = ingress.stats();
  EXPECT_EQ(st.malformed_messages, 20u);
  EXPECT_EQ(st.malformed_frames, 1u);
  EXPECT_EQ(st.delivered, good.size());
  // Logged, rate-limited to one line a second per ingress (the line after a quiet second sums up what it held
  // back): whichever came first, the garbage frame or a refused message, has its line.
  EXPECT_TRUE(logs.wait_for("bridge ingress 'ingress': dropped ", 1s));
}

// ---- a peer that is not there

namespace {
bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(1ms);  // polling a condition with a deadline
  }
  return true;
}
}  // namespace

// An egress on a running graph whose endpoints nobody listens on, fed by a test source; it warns every 100 ms.
struct UnreachableLink {
  LogCapture logs;
  steady::Graph graph = steady::GraphBuilder::for_testing().build();
  const std::string nowhere = unused_tcp_endpoint();
  ZmqEgress<u64> egress{{.endpoint = nowhere, .ack_endpoint = nowhere, .retry_log_every = 100ms}};
  std::shared_ptr<steady::testing::Source<u64>> source = std::make_shared<steady::testing::Source<u64>>();
  UnreachableLink() {
    auto [tx, rx] = graph.channel<u64>().name("numbers").capacity(64).build();
    graph.actor("source").run(&steady::testing::Source<u64>::actor, std::move(tx), source);
    graph.actor("uplink").run(egress, std::move(rx));
    graph.start();
  }
  bool warned() { return logs.wait_for("no reply from the ingress at " + nowhere, 10s); }
};

TEST(BridgeInProcess, UnreachableIngressLogsRetriesAndTheStopReportNamesTheEgress) {
  UnreachableLink link;
  link.source->push_all(iota_values(10));
  link.source->close();
  ASSERT_TRUE(link.warned());
  link.graph.request_shutdown();
  const auto t0 = std::chrono::steady_clock::now();
  // The egress never agrees (nothing can be acknowledged); the source gets time to vote even on a loaded
  // machine (300 ms was once too short while other tests ran beside this one).
  const auto r = link.graph.block_until_stopped(2s);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 8s) << "the stop must not hang";
  EXPECT_FALSE(r.clean);
  EXPECT_TRUE(r.timed_out);
  ASSERT_EQ(r.vetoes.size(), 1u) << r.to_string();
  EXPECT_EQ(r.vetoes[0].actor, "uplink");
  EXPECT_NE(r.vetoes[0].reason.find("10 messages not yet acknowledged"), std::string::npos)
      << r.vetoes[0].reason;
  EXPECT_GE(link.egress.stats().retry_warnings, 1u);
}

// An egress that first looked while its channel was empty and no ingress had said hello must still notice the
// messages that come later: they start the unreachable-peer warning. (It used to sleep on its sockets' bell alone
// then, and never warned.)
TEST(BridgeInProcess, MessagesArrivingAfterTheFirstLookStillStartTheUnreachableWarning) {
  UnreachableLink link;
  ASSERT_TRUE(wait_until([&] { return link.egress.stats().passes != 0; }, 5s));  // it looked: nothing, nobody
  link.source->push_all(iota_values(10));
  EXPECT_TRUE(link.warned()) << "the egress did not notice the messages that arrived after its first pass";
  link.source->close();
  link.graph.request_shutdown();
  EXPECT_FALSE(link.graph.block_until_stopped(2s).clean) << "nothing can be acknowledged without an ingress";
}

TEST(BridgeInProcess, AnEgressWithNothingToDeliverAgreesToStopEvenWithoutAPeer) {
  auto graph = steady::GraphBuilder::for_testing().build();
  const std::string nowhere = unused_tcp_endpoint();
  ZmqEgress<u64> egress({.endpoint = nowhere, .ack_endpoint = nowhere});
  auto [tx, rx] = graph.channel<u64>().name("numbers").capacity(64).build();
  auto source = std::make_shared<steady::testing::Source<u64>>();
  graph.actor("source").run(&steady::testing::Source<u64>::actor, std::move(tx), source);
  graph.actor("uplink").run(egress, std::move(rx));
  graph.start();
  source->close();
  graph.request_shutdown();
  const auto r = graph.block_until_stopped(5s);
  EXPECT_TRUE(r.clean) << r.to_string();
}

// ---- the receiver stops cleanly mid-stream and a new one takes its place on the same endpoints

TEST(BridgeInProcess, AReceiverRestartLosesAndDuplicatesNothing) {
  constexpr u64 kN = 300'000;
  auto receiver = [](const std::string& data, const std::string& ack) {
    struct R {
      steady::Graph graph = steady::GraphBuilder::for_testing().build();
      std::shared_ptr<steady::testing::Sink<u64>> sink = std::make_shared<steady::testing::Sink<u64>>();
      std::optional<ZmqIngress<u64>> ingress;
    };
    auto r = std::make_unique<R>();
    r->ingress.emplace(steady::bridge::IngressOptions{.endpoint = data, .ack_endpoint = ack});
    auto [tx, rx] = r->graph.channel<u64>().name("received").capacity(1024).build();
    r->graph.actor("ingress").run(*r->ingress, std::move(tx));
    r->graph.actor("sink").run(&steady::testing::Sink<u64>::actor, std::move(rx), r->sink);
    r->graph.start();
    return r;
  };
  auto first = receiver(kAnyPort, kAnyPort);
  const auto ep = first->ingress->bound_endpoints(5s);
  ASSERT_TRUE(ep);

  auto sender = steady::GraphBuilder::for_testing().build();
  ZmqEgress<u64> egress({.endpoint = ep->first, .ack_endpoint = ep->second, .max_batch_count = 256});
  auto [tx, rx] = sender.channel<u64>().name("numbers").capacity(4096).build();
  auto source = std::make_shared<steady::testing::Source<u64>>();
  sender.actor("source").run(&steady::testing::Source<u64>::actor, std::move(tx), source);
  sender.actor("egress").run(egress, std::move(rx));
  sender.start();
  // Half the stream now; the first receiver stops after a third of it, while the rest of that half is in
  // flight.
  source->push_all(iota_values(kN / 2));

  ASSERT_TRUE(first->sink->wait_for_count(kN / 3, 20s));
  first->graph.request_shutdown();  // a clean stop of the receiver, mid-stream
  const auto r1 = first->graph.block_until_stopped(10s);
  EXPECT_TRUE(r1.clean) << r1.to_string();
  std::vector<u64> got = first->sink->received();
  ASSERT_LE(got.size(), kN / 2);
  source->push_all(iota_values(kN / 2, kN / 2 + 1));  // the other half, for the next receiver
  source->close();

  auto second = receiver(ep->first, ep->second);  // same ports: the egress reconnects and rewinds
  ASSERT_TRUE(second->sink->wait_for_count(kN - got.size(), 30s))
      << "first got " << got.size() << ", second " << second->sink->count();
  const auto sr = sender.block_until_stopped(10s);
  EXPECT_TRUE(sr.clean) << sr.to_string();
  second->graph.request_shutdown();
  const auto r2 = second->graph.block_until_stopped(10s);
  EXPECT_TRUE(r2.clean) << r2.to_string();
  const auto rest = second->sink->received();
  got.insert(got.end(), rest.begin(), rest.end());
  EXPECT_EQ(got, iota_values(kN)) << "first part " << got.size() - rest.size() << ", second " << rest.size();
  EXPECT_EQ(egress.stats().sessions, 2u);
  EXPECT_EQ(second->ingress->stats().end_of_stream, true);
  std::printf("[ bridge ] restart after %zu of %llu; %llu resent after the rewind, %llu duplicates dropped\n",
              got.size() - rest.size(), static_cast<unsigned long long>(kN),
              static_cast<unsigned long long>(egress.stats().resent),
              static_cast<unsigned long long>(second->ingress->stats().duplicates));
}

// ---- ipc:// (a socket file in a temporary folder) for two processes on one machine

TEST(BridgeInProcess, IpcEndpointsWorkTheSame) {
  char dir_template[] = "/tmp/steady-bridge-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string data = "ipc://" + dir + "/data", ack = "ipc://" + dir + "/ack";
  auto graph = steady::GraphBuilder::for_testing().build();
  ZmqIngress<u64> ingress({.endpoint = data, .ack_endpoint = ack});
  ZmqEgress<u64> egress({.endpoint = data, .ack_endpoint = ack, .max_batch_count = 64});
  auto [a_tx, a_rx] = graph.channel<u64>().name("out").capacity(256).build();
  auto [b_tx, b_rx] = graph.channel<u64>().name("in").capacity(256).build();
  auto source = std::make_shared<steady::testing::Source<u64>>();
  auto sink = std::make_shared<steady::testing::Sink<u64>>();
  graph.actor("source").run(&steady::testing::Source<u64>::actor, std::move(a_tx), source);
  graph.actor("egress").run(egress, std::move(a_rx));
  graph.actor("ingress").run(ingress, std::move(b_tx));
  graph.actor("sink").run(&steady::testing::Sink<u64>::actor, std::move(b_rx), sink);
  graph.start();
  source->push_all(iota_values(20'000));
  source->close();
  ASSERT_TRUE(sink->wait_for_count(20'000, 20s)) << sink->count();
  // Both ends are in this graph: let the stream end before asking the graph to stop (otherwise the ingress
  // may stop first, and the egress waits eos_ack_grace for an end-of-stream acknowledgement that cannot
  // come).
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!egress.stats().finished && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_TRUE(egress.stats().finished);
  graph.request_shutdown();
  const auto r = graph.block_until_stopped(10s);
  EXPECT_TRUE(r.clean) << r.to_string();
  EXPECT_EQ(sink->received(), iota_values(20'000));
  ::unlink((dir + "/data").c_str());
  ::unlink((dir + "/ack").c_str());
  ::rmdir(dir.c_str());
}

// ---- both ends stop together: the ingress may stop before it sees end-of-stream; nothing is lost, and the
// egress (everything acknowledged) agrees after eos_ack_grace instead of holding the stop until its timeout.

TEST(BridgeInProcess, WhenBothEndsStopTogetherTheStopIsCleanAndNothingIsLost) {
  auto graph = steady::GraphBuilder::for_testing().build();
  ZmqIngress<u64> ingress({.endpoint = kAnyPort, .ack_endpoint = kAnyPort});
  auto [b_tx, b_rx] = graph.channel<u64>().name("in").capacity(256).build();
  auto sink = std::make_shared<steady::testing::Sink<u64>>();
  graph.actor("ingress").run(ingress, std::move(b_tx));
  graph.actor("sink").run(&steady::testing::Sink<u64>::actor, std::move(b_rx), sink);
  auto sender = steady::GraphBuilder::for_testing().build();
  graph.start();
  const auto ep = ingress.bound_endpoints(5s);
  ASSERT_TRUE(ep);
  ZmqEgress<u64> egress({.endpoint = ep->first, .ack_endpoint = ep->second, .eos_ack_grace = 200ms});
  auto [a_tx, a_rx] = sender.channel<u64>().name("out").capacity(256).build();
  auto source = std::make_shared<steady::testing::Source<u64>>();
  sender.actor("source").run(&steady::testing::Source<u64>::actor, std::move(a_tx), source);
  sender.actor("egress").run(egress, std::move(a_rx));
  sender.start();
  source->push_all(iota_values(5'000));
  ASSERT_TRUE(sink->wait_for_count(5'000, 20s)) << sink->count();
  graph.request_shutdown();  // the receiver stops first, before any end-of-stream
  EXPECT_TRUE(graph.block_until_stopped(10s).clean);
  source->close();  // now the sender's input ends: every message is acknowledged, the end-of-stream never
                    // will be
  sender.request_shutdown();
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = sender.block_until_stopped(10s);
  EXPECT_TRUE(r.clean) << r.to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(egress.stats().acknowledged, 5'000u);
  EXPECT_FALSE(egress.stats().finished);
  EXPECT_EQ(sink->received(), iota_values(5'000));
}

// ---- decoding a frame a part at a time (the ingress delivers only what its channel has room for) finds
// exactly what decoding it whole finds, whatever the room, with resent messages skipped and bad framing
// counted

namespace {
std::vector<std::byte> length_prefixed(const std::vector<std::string>& parts) {
  std::vector<std::byte> out;
  for (const auto& p : parts) {
    steady::bridge::detail::put_u32le(out, static_cast<std::uint32_t>(p.size()));
    for (char c : p) out.push_back(static_cast<std::byte>(c));
  }
  return out;
}
}  // namespace

TEST(BridgeCodec, DecodingInPartsMatchesDecodingWhole) {
  using namespace steady::bridge::detail;
  const auto codec = text_codec();
  const std::vector<std::string> parts{"a", "bb", "!bad", "", "ccc", "dddd", "!no", "e"};
  auto good = length_prefixed(parts);
  auto truncated = good;
  truncated.resize(truncated.size() - 3);  // the last message's bytes are cut short
  auto trailing = good;
  trailing.push_back(std::byte{7});  // a byte after the last message
  for (const auto* payload : {&good, &truncated, &trailing}) {
    for (std::size_t skip : {0u, 1u, 3u, 8u}) {
      std::vector<std::string> whole;
      const auto tally = decode_payload<Text>(codec, *payload, parts.size(), skip,
                                              [&](std::size_t, Text&& t) { whole.push_back(t.s); });
      for (std::size_t room : {1u, 2u, 5u, 100u}) {
        PayloadCursor c;
        std::size_t malformed =
            open_payload<steady::bridge::FunctionCodec<Text>>(*payload, parts.size(), skip, c);
        std::vector<std::string> in_parts;
        for (int guard = 0; !c.done() && guard < 100; ++guard) {
          std::size_t delivered = 0;
          malformed += decode_some<Text>(codec, *payload, c, room, [&](Text&& t) {
            in_parts.push_back(t.s);
            ++delivered;
          });
          EXPECT_LE(delivered, room);
        }
        EXPECT_TRUE(c.done());
        EXPECT_EQ(in_parts, whole) << "payload " << payload->size() << " skip " << skip << " room " << room;
        EXPECT_EQ(malformed, tally.malformed)
            << "payload " << payload->size() << " skip " << skip << " room " << room;
      }
    }
  }
}

TEST(BridgeCodec, TheDefaultCodecIsBitwiseAndAFixedSizePayloadOfTheWrongLengthIsMalformedWhole) {
  using namespace steady::bridge::detail;
  static_assert(BitwiseCodec<steady::bridge::Codec<u64>, u64>);
  static_assert(!BitwiseCodec<steady::bridge::FunctionCodec<Text>, Text>);
  static_assert(fixed_batch(64 * 8, 8) == 64 && fixed_batch(100, 8) == 13 && fixed_batch(0, 8) == 1);
  std::vector<std::byte> payload(5 * sizeof(u64) + 1);
  PayloadCursor c;
  EXPECT_EQ(open_payload<steady::bridge::Codec<u64>>(payload, 5, 2, c), 3u);  // the 3 not delivered before
  EXPECT_TRUE(c.done());
}

// ---- an idle link sleeps: no socket polling; only the ingress's heartbeat timer would wake it (every 5 ×
// hello_every once synced). New messages after the quiet spell still go through, woken by the sockets.

TEST(BridgeInProcess, AnIdleLinkDoesNotWakeAndNewMessagesStillGoThrough) {
  auto graph = steady::GraphBuilder::for_testing().build();
  ZmqIngress<u64> ingress({.endpoint = kAnyPort, .ack_endpoint = kAnyPort, .hello_every = 1s});
  auto [in_tx, in_rx] = graph.channel<u64>().name("received").capacity(4096).build();
  auto sink = std::make_shared<steady::testing::Sink<u64>>();
  graph.actor("ingress").run(ingress, std::move(in_tx));
  graph.actor("sink").run(&steady::testing::Sink<u64>::actor, std::move(in_rx), sink);
  graph.start();
  const auto ep = ingress.bound_endpoints(5s);
  ASSERT_TRUE(ep);
  auto sender = steady::GraphBuilder::for_testing().build();
  ZmqEgress<u64> egress({.endpoint = ep->first, .ack_endpoint = ep->second, .max_batch_count = 64});
  auto [out_tx, out_rx] = sender.channel<u64>().name("numbers").capacity(4096).build();
  auto source = std::make_shared<steady::testing::Source<u64>>();
  sender.actor("source").run(&steady::testing::Source<u64>::actor, std::move(out_tx), source);
  sender.actor("egress").run(egress, std::move(out_rx));
  sender.start();

  source->push_all(iota_values(1000));
  ASSERT_TRUE(sink->wait_for_count(1000, 20s)) << sink->count();
  ASSERT_TRUE(wait_until([&] { return egress.stats().acknowledged == 1000; }, 10s));
  // Quiet now: nothing to send, nothing in flight, the heartbeat not due for seconds.
  const auto e0 = egress.stats().passes, i0 = ingress.stats().passes;
  std::this_thread::sleep_for(
      500ms);  // the idle spell under observation (not synchronisation): wake-ups in it
  const auto e1 = egress.stats().passes, i1 = ingress.stats().passes;
  // Polling every millisecond would be ~500 passes each.
  EXPECT_LE(e1 - e0, 2u) << "the idle egress woke " << e1 - e0 << " times in 500 ms";
  EXPECT_LE(i1 - i0, 2u) << "the idle ingress woke " << i1 - i0 << " times in 500 ms";
  std::printf("[ bridge ] passes during 500 ms idle: egress %llu, ingress %llu (before: %llu, %llu)\n",
              static_cast<unsigned long long>(e1 - e0), static_cast<unsigned long long>(i1 - i0),
              static_cast<unsigned long long>(e0), static_cast<unsigned long long>(i0));

  source->push_all(iota_values(1000, 1001));  // the sockets wake both ends again
  source->close();
  ASSERT_TRUE(sink->wait_for_count(2000, 20s)) << sink->count();
  const auto sr = sender.block_until_stopped(10s);  // the egress returns after end-of-stream
  EXPECT_TRUE(sr.clean) << sr.to_string();
  graph.request_shutdown();
  const auto gr = graph.block_until_stopped(10s);
  EXPECT_TRUE(gr.clean) << gr.to_string();
  EXPECT_EQ(sink->received(), iota_values(2000));
}

TEST(BridgeInProcess, AnIngressWithoutAPeerAndAnEgressWithNothingToSendSleep) {
  auto graph = steady::GraphBuilder::for_testing().build();
  ZmqIngress<u64> ingress({.endpoint = kAnyPort, .ack_endpoint = kAnyPort, .hello_every = 10ms});
  const std::string nowhere = unused_tcp_endpoint();
  ZmqEgress<u64> egress({.endpoint = nowhere, .ack_endpoint = nowhere});
  auto [in_tx, in_rx] = graph.channel<u64>().name("received").capacity(64).build();
  auto [out_tx, out_rx] = graph.channel<u64>().name("numbers").capacity(64).build();
  auto sink = std::make_shared<steady::testing::Sink<u64>>();
  auto source = std::make_shared<steady::testing::Source<u64>>();
  graph.actor("ingress").run(ingress, std::move(in_tx));
  graph.actor("sink").run(&steady::testing::Sink<u64>::actor, std::move(in_rx), sink);
  graph.actor("source").run(&steady::testing::Source<u64>::actor, std::move(out_tx), source);
  graph.actor("egress").run(egress, std::move(out_rx));
  graph.start();
  ASSERT_TRUE(ingress.bound_endpoints(5s));
  ASSERT_TRUE(wait_until([&] { return ingress.stats().passes > 0 && egress.stats().passes > 0; }, 5s));
  const auto e0 = egress.stats().passes, i0 = ingress.stats().passes;
  std::this_thread::sleep_for(300ms);  // the idle spell under observation (not synchronisation)
  // The ingress's hello cannot leave without a peer: it waits for its control socket to take it, not for the
  // 10 ms hello timer (that would be ~30 passes); the egress has nothing to send and no timer.
  EXPECT_LE(egress.stats().passes - e0, 1u);
  EXPECT_LE(ingress.stats().passes - i0, 1u);
  source->close();
  graph.request_shutdown();
  const auto r = graph.block_until_stopped(5s);
  EXPECT_TRUE(r.clean) << r.to_string();
}

// ---- the egress throws (here its codec, once) and its supervisor restarts it: the new incarnation finds the
// unacknowledged messages still in its channel, meets the ingress again at its next heartbeat and rewinds
// with the same stream id; the ingress keeps what it delivered and drops the resent part. Nothing lost or
// duplicated.

namespace {
struct FlakyCodec {  // fixed-size but not bitwise: encoded and decoded one message at a time
  static constexpr std::size_t fixed_size = sizeof(u64);
  std::shared_ptr<std::atomic<bool>> thrown = std::make_shared<std::atomic<bool>>(false);
  u64 poison = 0;
  void encode(const u64& v, std::vector<std::byte>& out) const {
    if (v == poison && !thrown->exchange(true)) throw std::runtime_error("test codec: cannot encode");
    const auto at = out.size();
    out.resize(at + sizeof v);
    std::memcpy(out.data() + at, &v, sizeof v);
  }
  std::optional<u64> decode(std::span<const std::byte> b) const {
    if (b.size() != sizeof(u64)) return std::nullopt;
    u64 v;
    std::memcpy(&v, b.data(), sizeof v);
    return v;
  }
};
}  // namespace

TEST(BridgeInProcess, AnEgressRestartedAfterAnExceptionResumesWithoutLoss) {
  constexpr u64 kN = 50'000;
  auto graph = steady::GraphBuilder::for_testing().build();
  ZmqIngress<u64, FlakyCodec> ingress({.endpoint = kAnyPort, .ack_endpoint = kAnyPort, .hello_every = 20ms},
                                      FlakyCodec{});
  auto [in_tx, in_rx] = graph.channel<u64>().name("received").capacity(1024).build();
  auto sink = std::make_shared<steady::testing::Sink<u64>>();
  graph.actor("ingress").run(ingress, std::move(in_tx));
  graph.actor("sink").run(&steady::testing::Sink<u64>::actor, std::move(in_rx), sink);
  graph.start();
  const auto ep = ingress.bound_endpoints(5s);
  ASSERT_TRUE(ep);
  auto sender = steady::GraphBuilder::for_testing().build();
  FlakyCodec flaky;
  flaky.poison = kN / 2;  // thrown once, mid-stream, with frames in flight
  ZmqEgress<u64, FlakyCodec> egress(
      {.endpoint = ep->first, .ack_endpoint = ep->second, .max_batch_count = 100}, flaky);
  auto [out_tx, out_rx] = sender.channel<u64>().name("numbers").capacity(2048).build();
  auto source = std::make_shared<steady::testing::Source<u64>>();
  sender.actor("source").run(&steady::testing::Source<u64>::actor, std::move(out_tx), source);
  sender.actor("egress").run(egress, std::move(out_rx));
  sender.start();
  source->push_all(iota_values(kN));
  source->close();
  ASSERT_TRUE(sink->wait_for_count(kN, 30s)) << sink->count();
  const auto sr = sender.block_until_stopped(10s);
  EXPECT_TRUE(sr.clean) << sr.to_string();
  graph.request_shutdown();
  const auto gr = graph.block_until_stopped(10s);
  EXPECT_TRUE(gr.clean) << gr.to_string();
  EXPECT_TRUE(flaky.thrown->load()) << "the egress's codec threw (once: the flag is set)";
  EXPECT_EQ(sink->received(), iota_values(kN));
  EXPECT_EQ(egress.stats().sessions, 2u) << "each egress incarnation meets the ingress once";
  EXPECT_TRUE(egress.stats().finished);
  EXPECT_EQ(ingress.stats().delivered, kN);
  std::printf("[ bridge ] egress restarted at %llu: %llu resent, %llu duplicates dropped\n",
              static_cast<unsigned long long>(flaky.poison),
              static_cast<unsigned long long>(egress.stats().resent),
              static_cast<unsigned long long>(ingress.stats().duplicates));
}
