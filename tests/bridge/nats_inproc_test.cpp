// tests/bridge/nats_inproc_test.cpp — the NATS JetStream bridge inside one process, against a real
// nats-server (started by each test on 127.0.0.1, a free port, a temporary store): round trip, positions and
// resume_after, codecs and malformed messages, fetching only what the channel has room for, and an
// unreachable server. A plain cnats connection plays the foreign publisher and reads the consumer's state.
#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <steady/bridge/nats.hpp>
#include <steady/steady.hpp>
#include <steady/testing.hpp>

#include "../unit/test_support.hpp"
#include "nats_server.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using steady::bridge::NatsPosition;
using steady::bridge::NatsPublisher;
using steady::bridge::NatsSubscriber;
using steady::bridge::Sequenced;
using u64 = std::uint64_t;

using bridge_test::iota_values;
using bridge_test::LogCapture;
using bridge_test::Text;
using bridge_test::text_codec;
using steady_test::eventually;

namespace {

// A plain cnats client: the foreign publisher, and a window on the consumer's state.
class RawNats {
 public:
  explicit RawNats(const std::string& url) {
    if (natsConnection_ConnectTo(&nc_, url.c_str()) == NATS_OK) natsConnection_JetStream(&js_, nc_, nullptr);
  }
  ~RawNats() {
    jsCtx_Destroy(js_);
    natsConnection_Destroy(nc_);
  }
  [[nodiscard]] bool ok() const { return js_ != nullptr; }
  bool add_stream(const std::string& name, const std::string& subject) {
    const char* subj[] = {subject.c_str()};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name.c_str();
    cfg.Subjects = subj;
    cfg.SubjectsLen = 1;
    jsStreamInfo* si = nullptr;
    const bool ok = js_AddStream(&si, js_, &cfg, nullptr, nullptr) == NATS_OK;
    jsStreamInfo_Destroy(si);
    return ok;
  }
  bool publish(const std::string& subject, const void* data, int len) {
    jsPubAck* pa = nullptr;
    const bool ok = js_Publish(&pa, js_, subject.c_str(), data, len, nullptr, nullptr) == NATS_OK;
    jsPubAck_Destroy(pa);
    return ok;
  }
  struct Consumer {
    u64 delivered = 0, ack_floor = 0, num_pending = 0;
    std::int64_t num_ack_pending = 0;
  };
  std::optional<Consumer> consumer(const std::string& stream, const std::string& durable) {
    jsConsumerInfo* ci = nullptr;
    if (js_GetConsumerInfo(&ci, js_, stream.c_str(), durable.c_str(), nullptr, nullptr) != NATS_OK) return {};
    Consumer c{ci->Delivered.Stream, ci->AckFloor.Stream, ci->NumPending, ci->NumAckPending};
    jsConsumerInfo_Destroy(ci);
    return c;
  }

 private:
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
};

// A sink that takes nothing until opened (a stalled consumer), then everything.
template <class T>
struct GatedSink {
  steady::Doorbell gate;
  std::atomic<bool> open{false};
  std::mutex mu;
  std::vector<T> got;
  void release() {
    open = true;
    gate.ring();
  }
  std::size_t count() {
    std::lock_guard lock(mu);
    return got.size();
  }
  static steady::Task actor(steady::Context& ctx, steady::Rx<T>& rx, std::shared_ptr<GatedSink>& self) {
    while (ctx.is_running([&] { return rx.is_closed_and_empty(); })) {
      if (!self->open.load()) {
        co_await ctx.wait_any(steady::rung(self->gate), steady::after(50ms));
        (void)self->gate.answer();
        continue;
      }
      co_await ctx.wait_avail(rx, 1);
      std::lock_guard lock(self->mu);
      while (auto v = rx.try_take()) self->got.push_back(std::move(*v));
      if (rx.is_closed_and_empty()) co_return;
    }
  }
};

}  // namespace

TEST(NatsBridge, RoundTripDeliversEverythingInOrderAndAcknowledgesIt) {
  NATS_SERVER_STARTED_OR_SKIP(server);
  constexpr u64 kN = 200'000;
  auto graph = steady::GraphBuilder::for_testing().build();
  NatsPublisher<u64> pub(
      {.url = server.url(), .subject = "rt.numbers", .stream = "RT", .max_batch_count = 100});
  NatsSubscriber<u64> sub({.url = server.url(),
                           .subject = "rt.numbers",
                           .stream = "RT",
                           .durable = "rt",
                           .items_per_message = 100});
  auto source = bridge_test::feed<u64>(graph, "uplink", pub, "numbers", 4096);
  auto sink = bridge_test::drain<u64>(graph, "downlink", sub, "received", 4096);
  graph.start();
  source->push_all(iota_values(kN));
  source->close();
  ASSERT_TRUE(sink->wait_for_count(kN, 60s)) << sink->count();
  EXPECT_EQ(sink->received(), iota_values(kN));
  // Everything the sink took gets acknowledged: the consumer's ack floor reaches the last NATS message.
  RawNats raw(server.url());
  ASSERT_TRUE(raw.ok());
  EXPECT_TRUE(eventually(
      [&] {
        const auto c = raw.consumer("RT", "rt");
        return c && c->num_ack_pending == 0 && c->num_pending == 0 &&
               c->ack_floor == pub.stats().acked_batches;
      },
      10s));
  const auto r = bridge_test::stopped(graph);
  EXPECT_TRUE(r.clean) << r.to_string();
  const auto ps = pub.stats();
  EXPECT_EQ(ps.acknowledged, kN);
  EXPECT_GE(ps.acked_batches, kN / 100) << "batches hold at most max_batch_count messages";
  EXPECT_EQ(ps.published, ps.acked_batches) << "nothing needed a resend";
  EXPECT_EQ(ps.resent, 0u);
  const auto ss = sub.stats();
  EXPECT_EQ(ss.delivered, kN);
  EXPECT_EQ(ss.received, ps.acked_batches);
  EXPECT_EQ(ss.malformed, 0u);
  EXPECT_EQ(ss.redelivered, 0u);
  EXPECT_EQ(ss.last_acknowledged.seq, ps.acked_batches);
}

// Sequenced<T> carries each message's stream position; a subscriber given resume_after drops (and
// acknowledges) everything at or before it, including the head of a partly persisted batch.
TEST(NatsBridge, SequencedPositionsAndResumeAfterDropWhatWasAlreadyPersisted) {
  NATS_SERVER_STARTED_OR_SKIP(server);
  constexpr u64 kN = 1000;  // 100 NATS messages of 10
  {
    auto graph = steady::GraphBuilder::for_testing().build();
    NatsPublisher<u64> pub({.url = server.url(),
                            .subject = "rs.n",
                            .stream = "RS",
                            .max_batch_count = 10,
                            .stop_graph_when_done = true});
    auto source = bridge_test::feed<u64>(graph, "uplink", pub, "numbers", 2000);
    source->push_all(iota_values(kN, 0));  // pushed before the start: full batches of 10
    source->close();
    graph.start();
    const auto r = graph.block_until_stopped(20s);
    ASSERT_TRUE(r.clean) << r.to_string();
    ASSERT_EQ(pub.stats().acknowledged, kN);
  }
  // First: everything, with positions.
  std::vector<Sequenced<u64>> first;
  {
    auto graph = steady::GraphBuilder::for_testing().build();
    NatsSubscriber<u64> sub(
        {.url = server.url(), .subject = "rs.n", .stream = "RS", .durable = "a", .items_per_message = 10});
    auto sink = bridge_test::drain<Sequenced<u64>>(graph, "downlink", sub, "received", 64);
    graph.start();
    ASSERT_TRUE(sink->wait_for_count(kN, 20s)) << sink->count();
    EXPECT_TRUE(bridge_test::stopped(graph).clean);
    first = sink->received();
  }
  ASSERT_EQ(first.size(), kN);
  for (u64 i = 0; i < kN; ++i) {
    ASSERT_EQ(first[i].value, i);
    ASSERT_EQ(first[i].count, 10u);
    ASSERT_EQ(first[i].index, i % 10);
    if (i > 0) ASSERT_LT(first[i - 1].position(), first[i].position());
  }
  EXPECT_TRUE(first[9].last_in_batch());
  // Then a new durable that resumes after value 456 (the 7th of its batch): it gets 457.. only.
  const NatsPosition mark = first[456].position();
  {
    auto graph = steady::GraphBuilder::for_testing().build();
    NatsSubscriber<u64> sub({.url = server.url(),
                             .subject = "rs.n",
                             .stream = "RS",
                             .durable = "b",
                             .items_per_message = 10,
                             .resume_after = mark});
    auto sink = bridge_test::drain<u64>(graph, "downlink", sub, "received", 64);
    graph.start();
    ASSERT_TRUE(sink->wait_for_count(kN - 457, 20s)) << sink->count();
    EXPECT_TRUE(bridge_test::stopped(graph).clean);
    EXPECT_EQ(sink->received(), iota_values(kN - 457, 457));
    EXPECT_EQ(sub.stats().resumed, 7u) << "the head of the batch holding the mark";
  }
}

// A subscriber that stops cleanly has acknowledged everything its consumer took; the next one on the same
// durable consumer (no resume_after) continues after it: nothing lost, nothing delivered twice.
TEST(NatsBridge, ASubscriberRestartOnTheSameDurableContinuesWithoutDuplicates) {
  NATS_SERVER_STARTED_OR_SKIP(server);
  NatsPublisher<u64> pub({.url = server.url(), .subject = "rr.n", .stream = "RR", .max_batch_count = 16});
  auto sender = steady::GraphBuilder::for_testing().build();
  auto source = bridge_test::feed<u64>(sender, "uplink", pub, "numbers", 1024);
  sender.start();
  auto receive = [&](u64 expect) {
    auto graph = steady::GraphBuilder::for_testing().build();
    NatsSubscriber<u64> sub(
        {.url = server.url(), .subject = "rr.n", .stream = "RR", .durable = "same", .items_per_message = 16});
    auto sink = bridge_test::drain<u64>(graph, "downlink", sub, "received", 64);
    graph.start();
    EXPECT_TRUE(sink->wait_for_count(expect, 20s)) << sink->count();
    const auto r = bridge_test::stopped(graph);
    EXPECT_TRUE(r.clean) << r.to_string();
    return sink->received();
  };
  source->push_all(iota_values(1000, 1));
  EXPECT_EQ(receive(1000), iota_values(1000, 1));
  source->push_all(iota_values(1000, 1001));
  EXPECT_EQ(receive(1000), iota_values(1000, 1001)) << "the second subscriber got exactly what came after";
  source->close();
  EXPECT_TRUE(bridge_test::stopped(sender).clean);
}

// ---- codecs and malformed input: a text codec that refuses some messages, and foreign bytes on the subject

TEST(NatsBridge, MalformedMessagesAreCountedLoggedAcknowledgedAndDropped) {
  NATS_SERVER_STARTED_OR_SKIP(server);
  LogCapture logs;
  RawNats raw(server.url());
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE(raw.add_stream("TXT", "txt"));
  // Three NATS messages: a good batch with one refused text, foreign junk, and another good batch.
  {
    auto graph = steady::GraphBuilder::for_testing().build();
    // Two writers on one stream (this publisher and the raw one): not `ordered`.
    NatsPublisher<Text, steady::bridge::FunctionCodec<Text>> pub({.url = server.url(),
                                                                  .subject = "txt",
                                                                  .stream = "TXT",
                                                                  .ordered = false,
                                                                  .stop_graph_when_done = true},
                                                                 text_codec());
    auto source = bridge_test::feed<Text>(graph, "uplink", pub, "texts", 16);
    source->push({Text{"alpha"}, Text{"!bad"}, Text{"beta"}});
    graph.start();
    ASSERT_TRUE(eventually([&] { return pub.stats().acknowledged == 3; }, 10s));
    const char junk[] = "definitely not a steady batch";
    ASSERT_TRUE(raw.publish("txt", junk, sizeof junk));
    source->push(Text{"gamma"});
    source->close();
    const auto r = graph.block_until_stopped(10s);
    ASSERT_TRUE(r.clean) << r.to_string();
  }
  auto graph = steady::GraphBuilder::for_testing().build();
  NatsSubscriber<Text, steady::bridge::FunctionCodec<Text>> sub(
      {.url = server.url(), .subject = "txt", .stream = "TXT", .durable = "t"}, text_codec());
  auto sink = bridge_test::drain<Text>(graph, "downlink", sub, "received", 64);
  graph.start();
  ASSERT_TRUE(sink->wait_for_count(3, 10s)) << sink->count();
  EXPECT_EQ(sink->received(), (std::vector<Text>{{"alpha"}, {"beta"}, {"gamma"}}));
  EXPECT_TRUE(eventually([&] { return sub.stats().malformed == 2; }, 5s)) << sub.stats().malformed;
  // One line (rate-limited to one a second): the first of the two.
  EXPECT_TRUE(logs.wait_for("bridge nats subscriber 'downlink': dropped 1 malformed message(s)", 5s));
  // The junk was acknowledged with the rest: nothing is left pending on the consumer.
  EXPECT_TRUE(eventually(
      [&] {
        const auto c = raw.consumer("TXT", "t");
        return c && c->num_ack_pending == 0 && c->num_pending == 0 && c->ack_floor == 3;
      },
      10s));
  EXPECT_TRUE(bridge_test::stopped(graph).clean);
}

// An ordered publisher refuses to write after someone else's message (its chain of predecessors is broken):
// it says so, keeps the batch in its channel, and the stop report names it.
TEST(NatsBridge, AnotherWriterOnAnOrderedStreamIsReported) {
  NATS_SERVER_STARTED_OR_SKIP(server);
  LogCapture logs;
  RawNats raw(server.url());
  ASSERT_TRUE(raw.ok());
  auto graph = steady::GraphBuilder::for_testing().build();
  NatsPublisher<u64> pub({.url = server.url(), .subject = "ord", .stream = "ORD", .retry_log_every = 100ms});
  auto source = bridge_test::feed<u64>(graph, "uplink", pub, "numbers", 16);
  graph.start();
  source->push(1);
  ASSERT_TRUE(eventually([&] { return pub.stats().acknowledged == 1; }, 10s));
  const u64 foreign = 99;
  ASSERT_TRUE(raw.publish("ord", &foreign, sizeof foreign));
  source->push(2);
  source->close();
  EXPECT_TRUE(logs.wait_for(
      "stream 'ORD' refuses the next batch because its last message is not this publisher's", 10s));
  graph.request_shutdown();
  const auto r = graph.block_until_stopped(300ms);
  EXPECT_FALSE(r.clean);
  ASSERT_EQ(r.vetoes.size(), 1u) << r.to_string();
  EXPECT_EQ(r.vetoes[0].actor, "uplink");
  EXPECT_NE(r.vetoes[0].reason.find("1 messages not yet acknowledged"), std::string::npos)
      << r.vetoes[0].reason;
  EXPECT_EQ(pub.stats().acknowledged, 1u);
  EXPECT_GE(pub.stats().failures, 1u);
}

// A consumer that takes nothing: the subscriber fills its channel and then fetches no more — the consumer's
// pending count stays at what was not fetched. Once the consumer takes, everything arrives.
TEST(NatsBridge, AFullChannelStopsFetching) {
  NATS_SERVER_STARTED_OR_SKIP(server);
  constexpr u64 kN = 10'000, kBatch = 50, kCapacity = 256;  // room for 5 batches of 50 (6 would not fit)
  {
    auto graph = steady::GraphBuilder::for_testing().build();
    NatsPublisher<u64> pub({.url = server.url(),
                            .subject = "full.n",
                            .stream = "FULL",
                            .max_batch_count = kBatch,
                            .stop_graph_when_done = true});
    auto source = bridge_test::feed<u64>(graph, "uplink", pub, "numbers", kN);
    source->push_all(iota_values(kN));
    source->close();
    graph.start();
    ASSERT_TRUE(graph.block_until_stopped(30s).clean);
  }
  auto graph = steady::GraphBuilder::for_testing().build();
  NatsSubscriber<u64> sub({.url = server.url(),
                           .subject = "full.n",
                           .stream = "FULL",
                           .durable = "f",
                           .items_per_message = kBatch});
  auto [tx, rx] = graph.channel<u64>().name("received").capacity(kCapacity).build();
  auto sink = std::make_shared<GatedSink<u64>>();
  graph.actor("downlink").run(sub, std::move(tx));
  graph.actor("sink").run(&GatedSink<u64>::actor, std::move(rx), sink);
  graph.start();
  ASSERT_TRUE(eventually([&] { return sub.stats().delivered == 5 * kBatch; }, 10s)) << sub.stats().delivered;
  RawNats raw(server.url());
  ASSERT_TRUE(raw.ok());
  // Watch for a while (the subscriber polls every 50 ms and its helper every 50 ms): nothing more is fetched.
  const auto watch_until = std::chrono::steady_clock::now() + 600ms;
  while (std::chrono::steady_clock::now() < watch_until) {
    const auto c = raw.consumer("FULL", "f");
    ASSERT_TRUE(c);
    EXPECT_LE(c->delivered, 5u) << "fetched more NATS messages than the channel has room for";
    EXPECT_EQ(c->num_pending, kN / kBatch - c->delivered);
    EXPECT_GT(c->num_pending, 0u);
    EXPECT_EQ(c->ack_floor, 0u) << "nothing was taken, so nothing may be acknowledged";
    std::this_thread::sleep_for(20ms);  // a sampling period
  }
  EXPECT_EQ(sub.stats().delivered, 5 * kBatch);
  sink->release();
  ASSERT_TRUE(eventually([&] { return sink->count() == kN; }, 20s)) << sink->count();
  {
    std::lock_guard lock(sink->mu);
    EXPECT_EQ(sink->got, iota_values(kN));
  }
  EXPECT_TRUE(eventually(
      [&] {
        const auto c = raw.consumer("FULL", "f");
        return c && c->num_pending == 0 && c->ack_floor == kN / kBatch;
      },
      10s));
  EXPECT_TRUE(bridge_test::stopped(graph).clean);
}

TEST(NatsBridge, UnreachableServerLogsRetriesAndTheStopReportNamesThePublisher) {
  LogCapture logs;
  const int port = bridge_test::free_tcp_port();  // nothing listens there
  const std::string nowhere = "nats://127.0.0.1:" + std::to_string(port);
  auto graph = steady::GraphBuilder::for_testing().build();
  NatsPublisher<u64> pub({.url = nowhere, .subject = "x", .stream = "X", .retry_log_every = 100ms});
  NatsSubscriber<u64> sub({.url = nowhere, .subject = "x", .stream = "X", .retry_log_every = 100ms});
  auto source = bridge_test::feed<u64>(graph, "uplink", pub, "numbers", 64);
  auto sink = bridge_test::drain<u64>(graph, "downlink", sub, "received", 64);
  graph.start();
  source->push_all(iota_values(10));
  source->close();
  ASSERT_TRUE(logs.wait_for("bridge nats publisher 'uplink': cannot publish to " + nowhere, 10s));
  ASSERT_TRUE(logs.wait_for("bridge nats subscriber 'downlink': no connection to " + nowhere, 10s));
  graph.request_shutdown();
  const auto t0 = std::chrono::steady_clock::now();
  // The publisher never agrees (nothing can be acknowledged); the others get time to vote even on a loaded
  // machine (under ASan the subscriber once needed more than 300 ms to reach is_running()).
  const auto r = graph.block_until_stopped(2s);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 8s) << "the stop must not hang";
  EXPECT_FALSE(r.clean);
  EXPECT_TRUE(r.timed_out);
  ASSERT_EQ(r.vetoes.size(), 1u) << r.to_string();
  EXPECT_EQ(r.vetoes[0].actor, "uplink");
  EXPECT_NE(r.vetoes[0].reason.find("10 messages not yet acknowledged by JetStream at " + nowhere),
            std::string::npos)
      << r.vetoes[0].reason;
  EXPECT_GE(pub.stats().retry_warnings, 1u);
  EXPECT_GE(sub.stats().retry_warnings, 1u);
  EXPECT_FALSE(pub.stats().connected);
}

TEST(NatsBridge, MissingOptionsAreAClearError) {
  LogCapture logs;
  auto graph = steady::GraphBuilder::for_testing().build();
  NatsPublisher<u64> pub({.subject = "", .stream = "X"});
  auto source = bridge_test::feed<u64>(graph, "uplink", pub, "numbers", 64);
  graph.start();
  source->close();
  EXPECT_TRUE(logs.wait_for("bridge nats publisher 'uplink': no subject configured", 10s));
  graph.request_shutdown();
  (void)graph.block_until_stopped(5s);
}
