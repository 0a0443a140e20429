// tests/bridge/bridge_inproc_test.cpp — the ZeroMQ bridge inside one process (both actors in one testing
// graph, or in two graphs for a receiver restart), over tcp on 127.0.0.1 with free ports: round trip, codecs
// and malformed input (also decoded a part at a time), a peer that is not there, a receiver that stops and
// comes back, an egress restarted after an exception, and idle links that do not wake.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
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

#include "../unit/loopback.hpp"
#include "../unit/test_support.hpp"
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
  return "tcp://127.0.0.1:" + std::to_string(steady_test::free_tcp_port());
}

// The receiving side: an ingress (actor "ingress") feeding a recording sink, in its own graph, started.
template <class T, class C = steady::bridge::Codec<T>>
struct Receiver {
  steady::Graph graph = steady::GraphBuilder::for_testing().build();
  ZmqIngress<T, C> ingress;
  std::shared_ptr<steady::testing::Sink<T>> sink;
  Receiver(steady::bridge::IngressOptions options, std::uint64_t capacity, C codec = C{})
      : ingress(std::move(options), std::move(codec)),
        sink(bridge_test::drain<T>(graph, "ingress", ingress, "received", capacity)) {
    graph.start();
  }
  // The endpoints the ingress bound (the ports chosen for kAnyPort); empty if it has not bound within 5 s.
  auto bound() { return ingress.bound_endpoints(5s); }
};

// The sending side, in a second graph (the egress needs the ingress's ports, known once it bound): a test
// source feeding an egress (actor "egress") that connects to `to`, a receiver's bound endpoints; started.
template <class T, class C = steady::bridge::Codec<T>>
struct Sender {
  using Endpoints = std::pair<std::string, std::string>;
  Sender(const Endpoints& to, steady::bridge::EgressOptions options, std::uint64_t capacity, C codec = C{})
      : egress(connected(to, std::move(options)), std::move(codec)) {
    source = bridge_test::feed<T>(graph, "egress", egress, "numbers", capacity);
    graph.start();
  }
  static steady::bridge::EgressOptions connected(const Endpoints& to, steady::bridge::EgressOptions options) {
    options.endpoint = to.first;
    options.ack_endpoint = to.second;
    return options;
  }
  steady::Graph graph = steady::GraphBuilder::for_testing().build();
  ZmqEgress<T, C> egress;
  std::shared_ptr<steady::testing::Source<T>> source;
};

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
  Receiver<u64> receiver({.endpoint = kAnyPort, .ack_endpoint = kAnyPort}, 1024);
  const auto ep = receiver.bound();
  ASSERT_TRUE(ep);
  Sender<u64> sender(*ep, {.max_batch_count = 100}, 512);
  constexpr u64 kN = 200'000;
  sender.source->push_all(iota_values(kN));
  sender.source->close();
  ASSERT_TRUE(receiver.sink->wait_for_count(kN, 30s)) << receiver.sink->count();
  const auto sr = bridge_test::stopped(sender.graph);
  EXPECT_TRUE(sr.clean) << sr.to_string();
  const auto gr = bridge_test::stopped(receiver.graph);
  EXPECT_TRUE(gr.clean) << gr.to_string();
  EXPECT_EQ(receiver.sink->received(), iota_values(kN));
  EXPECT_TRUE(sender.egress.stats().finished);
  EXPECT_EQ(sender.egress.stats().acknowledged, kN);
  EXPECT_TRUE(receiver.ingress.stats().end_of_stream);
  EXPECT_EQ(receiver.ingress.stats().delivered, kN);
}

// ---- codecs: a user codec whose decode refuses some messages, and a frame of garbage from a foreign sender

using bridge_test::Text;

static_assert(steady::bridge::CodecFor<steady::bridge::Codec<u64>, u64>);
static_assert(steady::bridge::CodecFor<steady::bridge::FunctionCodec<Text>, Text>);

TEST(BridgeInProcess, MalformedMessagesAndFramesAreCountedAndDroppedAndTheRestDelivered) {
  LogCapture logs;
  Receiver<Text, steady::bridge::FunctionCodec<Text>> receiver(
      {.endpoint = kAnyPort, .ack_endpoint = kAnyPort}, 64, bridge_test::text_codec());
  const auto ep = receiver.bound();
  ASSERT_TRUE(ep);

  // A foreign sender pushes garbage into the ingress's data socket: dropped as a malformed frame, no crash.
  zmq::context_t zctx;
  zmq::socket_t rogue(zctx, zmq::socket_type::push);
  rogue.set(zmq::sockopt::linger, 1000);
  rogue.connect(ep->first);
  const std::string garbage(100, '\x7f');
  ASSERT_TRUE(rogue.send(zmq::const_buffer(garbage.data(), garbage.size()), zmq::send_flags::none));
  // Counted before the stream starts: the rogue connects asynchronously, and the ingress stops receiving at the
  // stream's end-of-stream (under load the garbage once arrived after a whole stream of 200 and was never read).
  ASSERT_TRUE(steady_test::eventually([&] { return receiver.ingress.stats().malformed_frames != 0; }, 10s));

  Sender<Text, steady::bridge::FunctionCodec<Text>> sender(*ep, {.max_batch_count = 7}, 32,
                                                           bridge_test::text_codec());
  std::vector<Text> all, good;
  for (int i = 0; i < 200; ++i) {
    Text t{(i % 10 == 3 ? "!bad" : "ok") + std::to_string(i)};
    all.push_back(t);
    if (t.s[0] != '!') good.push_back(t);
  }
  sender.source->push_all(all);
  sender.source->close();
  ASSERT_TRUE(receiver.sink->wait_for_count(good.size(), 20s)) << receiver.sink->count();
  // The egress returns after end-of-stream; the source too.
  const auto sr = sender.graph.block_until_stopped(10s);
  EXPECT_TRUE(sr.clean) << sr.to_string();
  const auto gr = bridge_test::stopped(receiver.graph);
  EXPECT_TRUE(gr.clean) << gr.to_string();
  EXPECT_EQ(receiver.sink->received(), good);
  const auto st = receiver.ingress.stats();
  EXPECT_EQ(st.malformed_messages, 20u);
  EXPECT_EQ(st.malformed_frames, 1u);
  EXPECT_EQ(st.delivered, good.size());
  // Logged, rate-limited to one line a second per ingress (the line after a quiet second sums up what it held
  // back): the garbage frame, first, has its line.
  EXPECT_TRUE(logs.wait_for("bridge ingress 'ingress': dropped ", 1s));
}

// ---- a peer that is not there

// An egress on a running graph whose endpoints nobody listens on, fed by a test source; it warns every 100 ms.
struct UnreachableLink {
  LogCapture logs;
  steady::Graph graph = steady::GraphBuilder::for_testing().build();
  const std::string nowhere = unused_tcp_endpoint();
  ZmqEgress<u64> egress{{.endpoint = nowhere, .ack_endpoint = nowhere, .retry_log_every = 100ms}};
  std::shared_ptr<steady::testing::Source<u64>> source =
      bridge_test::feed<u64>(graph, "uplink", egress, "numbers", 64);
  UnreachableLink() { graph.start(); }
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
  ASSERT_TRUE(steady_test::eventually([&] { return link.egress.stats().passes != 0; },
                                      5s));  // it looked: nothing, nobody
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
  auto source = bridge_test::feed<u64>(graph, "uplink", egress, "numbers", 64);
  graph.start();
  source->close();
  graph.request_shutdown();
  const auto r = graph.block_until_stopped(5s);
  EXPECT_TRUE(r.clean) << r.to_string();
}

// ---- the receiver stops cleanly mid-stream and a new one takes its place on the same endpoints

TEST(BridgeInProcess, AReceiverRestartLosesAndDuplicatesNothing) {
  constexpr u64 kN = 300'000;
  Receiver<u64> first({.endpoint = kAnyPort, .ack_endpoint = kAnyPort}, 1024);
  const auto ep = first.bound();
  ASSERT_TRUE(ep);

  Sender<u64> sender(*ep, {.max_batch_count = 256}, 4096);
  // Half the stream now; the first receiver stops after a third of it, while the rest of that half is in
  // flight.
  sender.source->push_all(iota_values(kN / 2));

  ASSERT_TRUE(first.sink->wait_for_count(kN / 3, 20s));
  const auto r1 = bridge_test::stopped(first.graph);  // a clean stop of the receiver, mid-stream
  EXPECT_TRUE(r1.clean) << r1.to_string();
  std::vector<u64> got = first.sink->received();
  ASSERT_LE(got.size(), kN / 2);
  sender.source->push_all(iota_values(kN / 2, kN / 2 + 1));  // the other half, for the next receiver
  sender.source->close();

  // Same ports: the egress reconnects and rewinds.
  Receiver<u64> second({.endpoint = ep->first, .ack_endpoint = ep->second}, 1024);
  ASSERT_TRUE(second.sink->wait_for_count(kN - got.size(), 30s))
      << "first got " << got.size() << ", second " << second.sink->count();
  const auto sr = sender.graph.block_until_stopped(10s);
  EXPECT_TRUE(sr.clean) << sr.to_string();
  const auto r2 = bridge_test::stopped(second.graph);
  EXPECT_TRUE(r2.clean) << r2.to_string();
  const auto rest = second.sink->received();
  got.insert(got.end(), rest.begin(), rest.end());
  EXPECT_EQ(got, iota_values(kN)) << "first part " << got.size() - rest.size() << ", second " << rest.size();
  EXPECT_EQ(sender.egress.stats().sessions, 2u);
  EXPECT_EQ(second.ingress.stats().end_of_stream, true);
  std::printf("[ bridge ] restart after %zu of %llu; %llu resent after the rewind, %llu duplicates dropped\n",
              got.size() - rest.size(), static_cast<unsigned long long>(kN),
              static_cast<unsigned long long>(sender.egress.stats().resent),
              static_cast<unsigned long long>(second.ingress.stats().duplicates));
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
  auto source = bridge_test::feed<u64>(graph, "egress", egress, "numbers", 256);
  auto sink = bridge_test::drain<u64>(graph, "ingress", ingress, "received", 256);
  graph.start();
  source->push_all(iota_values(20'000));
  source->close();
  ASSERT_TRUE(sink->wait_for_count(20'000, 20s)) << sink->count();
  // Both ends are in this graph: let the stream end before asking the graph to stop (otherwise the ingress
  // may stop first, and the egress waits eos_ack_grace for an end-of-stream acknowledgement that cannot
  // come).
  EXPECT_TRUE(steady_test::eventually([&] { return egress.stats().finished; }, 10s));
  const auto r = bridge_test::stopped(graph);
  EXPECT_TRUE(r.clean) << r.to_string();
  EXPECT_EQ(sink->received(), iota_values(20'000));
  ::unlink((dir + "/data").c_str());
  ::unlink((dir + "/ack").c_str());
  ::rmdir(dir.c_str());
}

// ---- both ends stop together: the ingress may stop before it sees end-of-stream; nothing is lost, and the
// egress (everything acknowledged) agrees after eos_ack_grace instead of holding the stop until its timeout.

TEST(BridgeInProcess, WhenBothEndsStopTogetherTheStopIsCleanAndNothingIsLost) {
  Receiver<u64> receiver({.endpoint = kAnyPort, .ack_endpoint = kAnyPort}, 256);
  const auto ep = receiver.bound();
  ASSERT_TRUE(ep);
  Sender<u64> sender(*ep, {.eos_ack_grace = 200ms}, 256);
  sender.source->push_all(iota_values(5'000));
  ASSERT_TRUE(receiver.sink->wait_for_count(5'000, 20s)) << receiver.sink->count();
  EXPECT_TRUE(
      bridge_test::stopped(receiver.graph).clean);  // the receiver stops first, before any end-of-stream
  // Now the sender's input ends: every message is acknowledged, the end-of-stream never will be.
  sender.source->close();
  sender.graph.request_shutdown();
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = sender.graph.block_until_stopped(10s);
  EXPECT_TRUE(r.clean) << r.to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(sender.egress.stats().acknowledged, 5'000u);
  EXPECT_FALSE(sender.egress.stats().finished);
  EXPECT_EQ(receiver.sink->received(), iota_values(5'000));
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
  const auto codec = bridge_test::text_codec();
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
  Receiver<u64> receiver({.endpoint = kAnyPort, .ack_endpoint = kAnyPort, .hello_every = 1s}, 4096);
  const auto ep = receiver.bound();
  ASSERT_TRUE(ep);
  Sender<u64> sender(*ep, {.max_batch_count = 64}, 4096);
  auto& egress = sender.egress;
  auto& ingress = receiver.ingress;
  auto& sink = receiver.sink;

  sender.source->push_all(iota_values(1000));
  ASSERT_TRUE(sink->wait_for_count(1000, 20s)) << sink->count();
  ASSERT_TRUE(steady_test::eventually([&] { return egress.stats().acknowledged == 1000; }, 10s));
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

  sender.source->push_all(iota_values(1000, 1001));  // the sockets wake both ends again
  sender.source->close();
  ASSERT_TRUE(sink->wait_for_count(2000, 20s)) << sink->count();
  const auto sr = sender.graph.block_until_stopped(10s);  // the egress returns after end-of-stream
  EXPECT_TRUE(sr.clean) << sr.to_string();
  const auto gr = bridge_test::stopped(receiver.graph);
  EXPECT_TRUE(gr.clean) << gr.to_string();
  EXPECT_EQ(sink->received(), iota_values(2000));
}

TEST(BridgeInProcess, AnIngressWithoutAPeerAndAnEgressWithNothingToSendSleep) {
  auto graph = steady::GraphBuilder::for_testing().build();
  ZmqIngress<u64> ingress({.endpoint = kAnyPort, .ack_endpoint = kAnyPort, .hello_every = 10ms});
  const std::string nowhere = unused_tcp_endpoint();
  ZmqEgress<u64> egress({.endpoint = nowhere, .ack_endpoint = nowhere});
  auto sink = bridge_test::drain<u64>(graph, "ingress", ingress, "received", 64);
  auto source = bridge_test::feed<u64>(graph, "egress", egress, "numbers", 64);
  graph.start();
  ASSERT_TRUE(ingress.bound_endpoints(5s));
  ASSERT_TRUE(
      steady_test::eventually([&] { return ingress.stats().passes > 0 && egress.stats().passes > 0; }, 5s));
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
  Receiver<u64, FlakyCodec> receiver({.endpoint = kAnyPort, .ack_endpoint = kAnyPort, .hello_every = 20ms},
                                     1024);
  const auto ep = receiver.bound();
  ASSERT_TRUE(ep);
  FlakyCodec flaky;
  flaky.poison = kN / 2;  // thrown once, mid-stream, with frames in flight
  Sender<u64, FlakyCodec> sender(*ep, {.max_batch_count = 100}, 2048, flaky);
  sender.source->push_all(iota_values(kN));
  sender.source->close();
  ASSERT_TRUE(receiver.sink->wait_for_count(kN, 30s)) << receiver.sink->count();
  const auto sr = sender.graph.block_until_stopped(10s);
  EXPECT_TRUE(sr.clean) << sr.to_string();
  const auto gr = bridge_test::stopped(receiver.graph);
  EXPECT_TRUE(gr.clean) << gr.to_string();
  EXPECT_TRUE(flaky.thrown->load()) << "the egress's codec threw (once: the flag is set)";
  EXPECT_EQ(receiver.sink->received(), iota_values(kN));
  EXPECT_EQ(sender.egress.stats().sessions, 2u) << "each egress incarnation meets the ingress once";
  EXPECT_TRUE(sender.egress.stats().finished);
  EXPECT_EQ(receiver.ingress.stats().delivered, kN);
  std::printf("[ bridge ] egress restarted at %llu: %llu resent, %llu duplicates dropped\n",
              static_cast<unsigned long long>(flaky.poison),
              static_cast<unsigned long long>(sender.egress.stats().resent),
              static_cast<unsigned long long>(receiver.ingress.stats().duplicates));
}
