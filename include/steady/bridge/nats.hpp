// steady/bridge/nats.hpp — channels across processes through NATS JetStream (target steady::bridge_nats).
//
// A publisher actor takes messages from an Rx<T> and publishes them to a JetStream stream; a subscriber actor
// in another process (or several, one per durable consumer) fetches them from the stream into a Tx<T>. The
// stream is durable (file storage on the server), so either side, and the server, can restart without losing
// anything. Many messages travel per NATS message (a batch: up to max_batch_count messages, max_batch_bytes).
//
//   // process A (publishes)
//   steady::bridge::NatsPublisher<Tick> up({.url = "nats://10.0.0.5:4222", .subject = "ticks",
//                                           .stream = "TICKS"});
//   graph.actor("uplink").run(up, std::move(ticks_rx));
//   // process B (subscribes)
//   steady::bridge::NatsSubscriber<Tick> down({.url = "nats://10.0.0.5:4222", .subject = "ticks",
//                                              .stream = "TICKS", .durable = "ticks-to-b"});
//   graph.actor("downlink").run(down, std::move(ticks_tx));   // or a Tx<steady::bridge::Sequenced<Tick>>
//
// Keep a copy of the actor object to read its stats() from any thread. Types that are not trivially copyable
// need a codec (see codec.hpp), passed as the second constructor argument or as a specialisation of Codec<T>.
//
// Publishing. The publisher peeks messages, publishes them asynchronously with a `Nats-Msg-Id` header
// (`<msg_id_prefix>-<position>`, the position of the batch's first message in the channel) and removes them
// from its channel only when JetStream acknowledged them (PubAck): the channel is the resend buffer, and at
// most max_in_flight publishes wait for their PubAck. A publish that fails or whose PubAck does not come
// within ack_timeout (the server restarted, say) is sent again with the same id and the same messages, so the
// stream's duplicate window drops it if the first one was stored after all. With `ordered` (the default) each
// publish also names its predecessor's id (Nats-Expected-Last-Msg-Id): JetStream refuses a batch whose
// predecessor was lost, and the publisher resends from the lost one, so the stream keeps the channel's order
// across server crashes.
//
// Subscribing. The subscriber owns a durable pull consumer (AckAll). It fetches only as many NATS messages as
// its channel has room for (room / items_per_message), puts their messages into the channel in stream order,
// and acknowledges a NATS message only once the channel's consumer has taken all of it — so whatever a
// crashed subscriber had fetched but not handed on is delivered again to the next one. Each incarnation
// re-creates the consumer starting after the last acknowledged message (also after a reconnect, or when
// deliveries were lost), which keeps delivery in stream order. Redeliveries of what this subscriber already
// put into its channel are dropped; `resume_after` drops what a downstream store already holds from an
// earlier run. Hence delivery is at-least-once from the stream and, with resume_after, exactly once into a
// sink that records positions (Sequenced<T>). See docs/distribution.md.
//
// Threads. The actors never block their thread: cnats publishes asynchronously and its PubAck callbacks (on a
// cnats thread) ring a Doorbell; fetches, connecting and stream set-up run on a helper thread per subscriber
// incarnation (publisher: set-up only) that hands messages over under a mutex and rings the bell. The
// connection reconnects forever (reconnect_wait between attempts); an unreachable server is logged at most
// once per retry_log_every, and the publisher vetoes a stop while messages it took are not acknowledged (the
// stop report names it and says how many).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <steady/bridge/codec.hpp>
#include <steady/context.hpp>
#include <steady/doorbell.hpp>
#include <steady/log.hpp>

namespace steady::bridge {

// Where a message sits in a stream: the stream sequence of the NATS message that carried it and its index in
// that message's batch. Positions order the stream (seq first, then index).
struct NatsPosition {
  // JetStream stream sequence (a stream's first message is 1; 0 = before the stream).
  std::uint64_t seq = 0;
  std::uint32_t index = 0;
  friend auto operator<=>(const NatsPosition&, const NatsPosition&) = default;
};

// A message with its stream position: make the subscriber's channel a Tx<Sequenced<T>> to learn it (for
// example to record what a sink persisted and pass it back as `resume_after` after a restart).
template <class T>
struct Sequenced {
  std::uint64_t seq = 0;    // stream sequence of the carrying NATS message
  std::uint32_t index = 0;  // index in that message's batch
  std::uint32_t count = 0;  // messages in that batch
  T value{};
  [[nodiscard]] NatsPosition position() const noexcept { return {seq, index}; }
  [[nodiscard]] bool last_in_batch() const noexcept { return index + 1 == count; }
};

struct NatsPublisherOptions {
  std::string url = "nats://127.0.0.1:4222";  // several servers: comma-separated
  // Where batches are published, and the stream that captures them (required with ensure_stream).
  std::string subject{};
  std::string stream{};
  // Create the stream if it does not exist: file storage, subjects `stream_subjects` (default: {subject}),
  // the server's default duplicate window (2 min). false: leave stream creation to operations.
  bool ensure_stream = true;
  std::vector<std::string> stream_subjects{};
  std::size_t max_batch_count = 64;  // messages per NATS message at most
  // Payload bytes per NATS message at most (one message may exceed it; the server's limit is 1 MiB).
  std::size_t max_batch_bytes = 64 * 1024;
  std::size_t max_in_flight = 256;  // publishes awaiting their PubAck at most
  // Names this publisher's messages for JetStream's de-duplication. Empty: a random one per publisher object
  // (a new process is a new stream of messages). Set it only if a restarted process republishes the same
  // messages at the same channel positions.
  std::string msg_id_prefix{};
  // Keep the stream in the channel's order: each publish names its predecessor (Nats-Expected-Last-Msg-Id),
  // so JetStream refuses a batch whose predecessor was lost (a server crash) and the publisher resends from
  // the lost one, in order. Needs this publisher to be the only writer of its stream; with several, set false
  // (a server crash may then reorder the batches in flight).
  bool ordered = true;
  std::chrono::milliseconds ack_timeout{2000};    // no PubAck by then: publish again (same id)
  std::chrono::milliseconds reconnect_wait{250};  // between reconnect attempts, and before retrying a failure
  std::chrono::milliseconds poll{50};             // housekeeping while idle (PubAcks wake the actor at once)
  std::chrono::milliseconds retry_log_every{5000};  // rate of the "server unreachable" warning
  // Request the graph's stop once the input is closed and everything was acknowledged.
  bool stop_graph_when_done = false;
};

struct NatsSubscriberOptions {
  std::string url = "nats://127.0.0.1:4222";
  std::string subject{};           // the consumer's filter subject (required)
  std::string stream{};            // the stream to consume (required)
  std::string durable = "steady";  // the durable consumer's name: one subscriber per name; it re-creates it
  bool ensure_stream = true;       // create the stream if missing (as the publisher would)
  std::vector<std::string> stream_subjects{};
  // At least the publisher's max_batch_count (messages per NATS message): a fetch asks for
  // room / items_per_message NATS messages, so it never brings more than the channel can take.
  std::size_t items_per_message = 64;
  std::size_t max_fetch = 256;  // NATS messages per fetch request at most
  // Messages at or before this position are acknowledged and dropped: a sink that persisted everything
  // through position P passes P here after a restart. {0, 0}: nothing is dropped.
  NatsPosition resume_after{};
  std::chrono::milliseconds ack_wait{30000};  // the server redelivers what is not acknowledged this long
  std::chrono::milliseconds fetch_wait{100};  // how long one fetch request waits for messages
  std::chrono::milliseconds reconnect_wait{250};
  std::chrono::milliseconds poll{50};
  std::chrono::milliseconds retry_log_every{5000};
  // Stopping, how long to wait for the channel's consumer to take what was delivered (so it can be
  // acknowledged) before agreeing anyway; what is not acknowledged then goes again to the next subscriber.
  std::chrono::milliseconds stop_ack_grace{2000};
};

struct NatsPublisherStats {
  std::uint64_t acknowledged = 0;   // messages JetStream confirmed (removed from the channel)
  std::uint64_t published = 0;      // NATS messages (batches) published, resends included
  std::uint64_t acked_batches = 0;  // NATS messages confirmed
  std::uint64_t resent = 0;         // NATS messages published again (failure or ack_timeout)
  std::uint64_t duplicates = 0;  // PubAcks saying the stream already had that message id (a resend dropped)
  std::uint64_t failures = 0;    // publishes that failed or timed out (each is resent)
  std::uint64_t reconnects = 0;
  std::uint64_t retry_warnings = 0;
  bool connected = false;
  std::uint64_t in_flight = 0;  // publishes awaiting their PubAck now
  std::uint64_t held_batches = 0;  // batches taken from the channel and not yet acknowledged (in flight or to resend)
  std::uint64_t refused_order = 0;  // publishes refused for their predecessor (Nats-Expected-Last-Msg-Id)
};

struct NatsSubscriberStats {
  std::uint64_t delivered = 0;     // messages put into the channel
  std::uint64_t received = 0;      // NATS messages (batches) fetched
  std::uint64_t acknowledged = 0;  // acknowledgements sent (each covers every earlier message: AckAll)
  std::uint64_t redelivered = 0;   // NATS messages received again and dropped (already in the channel)
  // Messages dropped because they were already delivered: at or before resume_after, or put into the channel
  // by an earlier incarnation of the actor.
  std::uint64_t resumed = 0;
  std::uint64_t malformed = 0;  // messages the codec refused or the framing could not delimit (dropped)
  std::uint64_t fetches = 0;    // fetch requests that returned messages
  std::uint64_t resyncs = 0;    // times the consumer was (re)created
  std::uint64_t reconnects = 0;
  std::uint64_t retry_warnings = 0;
  NatsPosition last_acknowledged{};  // the last position acknowledged to the server
  bool connected = false;
};

namespace detail {

using NatsClock = std::chrono::steady_clock;

// ---- the payload of one NATS message: an 8-byte header (magic "STN1", message count; little-endian), then
// the messages in the codec's framing (codec.hpp).
inline constexpr std::size_t kNatsHeaderBytes = 8;
void nats_write_header(std::vector<std::byte>& out, std::uint32_t count);  // replaces out's contents
void nats_patch_count(std::vector<std::byte>& out, std::uint32_t count) noexcept;
// The message count, or nullopt when the header is not ours.
[[nodiscard]] std::optional<std::uint32_t> nats_read_header(std::span<const std::byte> payload) noexcept;

// Rate-limited log lines (one per `every`, counting what was suppressed). Any one thread at a time.
class RateLimitedLog {
 public:
  explicit RateLimitedLog(std::chrono::milliseconds every) : every_(every) {}
  // True when the line was written.
  bool warn(const std::string& line);

 private:
  std::chrono::milliseconds every_;
  NatsClock::time_point last_{};
  std::uint64_t suppressed_ = 0;
};

// What a connection's callbacks and helper thread report (atomics: read from any thread).
struct NatsConnState {
  std::atomic<bool> connected{false};
  std::atomic<std::uint64_t> reconnects{0};
  std::atomic<std::uint64_t> retry_warnings{0};
};

// Telemetry labels of a bridge actor (as the ZeroMQ bridge's; see docs/telemetry.md): bridge=nats,
// bridge_role (egress: the publisher, ingress: a subscriber), bridge_endpoint (the server url) and
// bridge_link ("<stream>/<subject>", which both ends know).
void set_nats_labels(Context& ctx, const char* role, const std::string& url, const std::string& stream,
                     const std::string& subject);

// ---------------------------------------------------------------- publisher

struct PubAckEvent {
  std::uint64_t first = 0;  // the batch's first position (from its msg id)
  bool ok = false;
  bool duplicate = false;
  bool wrong_predecessor = false;  // refused by the ordering check: its predecessor is not the stream's last
  std::string error;               // when !ok
};

struct PubBatch {
  enum class State : std::uint8_t { unsent, sent, acked };
  std::uint64_t first = 0;  // position of its first message (the channel's taken total + offset)
  std::uint32_t count = 0;
  State state = State::unsent;
  bool published_once = false;  // a later publish is a resend
  NatsClock::time_point retry_at{};
};

struct PublisherShared {
  explicit PublisherShared(NatsPublisherOptions o);
  NatsPublisherOptions options;
  std::string prefix;  // resolved msg id prefix
  NatsConnState conn;
  std::atomic<std::uint64_t> acknowledged{0}, published{0}, acked_batches{0}, resent{0}, duplicates{0},
      failures{0}, in_flight{0}, held_batches{0}, refused_order{0};
  Doorbell bell;  // rung by PubAck callbacks and the connection's callbacks
  std::mutex mu;  // guards events and last_failure (cnats callback threads → actor)
  std::vector<PubAckEvent> events;
  std::string last_failure;  // the last failed publish, for diagnostics ("" when none yet)
  // Batches published and not yet removed from the channel, in position order. Only the running incarnation
  // touches it; it outlives incarnations so a restarted actor resends the same batches under the same ids.
  std::deque<PubBatch> batches;
  // The last batch removed from the channel (the front's predecessor, for `ordered`).
  std::optional<std::uint64_t> last_acked_first;
};

// One publisher incarnation's connection (pimpl over cnats, so this header does not pull in nats.h).
class PublisherLink {
 public:
  PublisherLink(std::shared_ptr<PublisherShared> shared, std::string actor_name);
  ~PublisherLink();
  PublisherLink(const PublisherLink&) = delete;
  PublisherLink& operator=(const PublisherLink&) = delete;
  // Connected, and the stream ensured (when asked): publishing can start.
  [[nodiscard]] bool ready() const noexcept;
  // Publish one batch asynchronously, naming its predecessor when ordered; false when it could not be handed
  // to cnats (retry later).
  [[nodiscard]] bool publish(std::span<const std::byte> payload, std::uint64_t first,
                             std::optional<std::uint64_t> predecessor);
  void take_events(std::vector<PubAckEvent>& out);
  // Called each pass: logs (rate-limited) while messages wait and the server is unreachable, and failures.
  void note_waiting(std::uint64_t held);
  void note_failure(const PubAckEvent& e, bool front);
  [[nodiscard]] const std::string& describe() const noexcept;  // "nats://host:port subject ticks"

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

[[nodiscard]] Vote publisher_vote(std::uint64_t held, bool input_closed, const std::string& where);

// ---------------------------------------------------------------- subscriber

// A fetched NATS message handed from the helper thread to the actor: owns the cnats message until released.
class FetchedMsg {
 public:
  FetchedMsg() = default;
  FetchedMsg(void* msg, std::uint64_t seq, std::uint64_t generation) noexcept
      : msg_(msg), seq_(seq), gen_(generation) {}
  FetchedMsg(FetchedMsg&& o) noexcept : msg_(std::exchange(o.msg_, nullptr)), seq_(o.seq_), gen_(o.gen_) {}
  FetchedMsg& operator=(FetchedMsg&& o) noexcept {
    if (this != &o) {
      release();
      msg_ = std::exchange(o.msg_, nullptr);
      seq_ = o.seq_;
      gen_ = o.gen_;
    }
    return *this;
  }
  ~FetchedMsg() { release(); }
  [[nodiscard]] std::uint64_t seq() const noexcept { return seq_; }
  [[nodiscard]] std::uint64_t generation() const noexcept { return gen_; }
  [[nodiscard]] std::span<const std::byte> data() const noexcept;
  [[nodiscard]] std::string reply() const;  // the subject an acknowledgement goes to
  void release() noexcept;

 private:
  void* msg_ = nullptr;
  std::uint64_t seq_ = 0, gen_ = 0;
};

// A NATS message whose messages are all in the channel (or dropped), waiting for the channel's consumer to
// take them before it is acknowledged.
struct SubEntry {
  std::uint64_t seq = 0;
  std::uint32_t last_index = 0;  // its batch's last index
  std::uint64_t end = 0;  // the channel's sent total after its last message: taken_total >= end means taken
  std::string reply;
  std::uint64_t gen = 0;  // the consumer generation the reply belongs to
};

// What survives an actor restart (the channel does too): positions delivered, and the acknowledgement queue.
struct SubDurable {
  NatsPosition delivered{};         // last message put into the channel or dropped (starts at resume_after)
  std::uint64_t seen_seq = 0;       // highest seq whose NATS message was fully handled (has had an entry)
  std::deque<SubEntry> unacked;     // in seq order
  std::uint64_t taken_through = 0;  // highest seq whose messages were all taken
  bool initialised = false;
};

struct SubscriberShared {
  explicit SubscriberShared(NatsSubscriberOptions o) : options(std::move(o)) {}
  NatsSubscriberOptions options;
  NatsConnState conn;
  std::atomic<std::uint64_t> delivered{0}, received{0}, acknowledged{0}, redelivered{0}, resumed{0},
      malformed{0}, fetches{0}, resyncs{0};
  std::atomic<std::uint64_t> last_ack_seq{0};
  std::atomic<std::uint32_t> last_ack_index{0};
  std::atomic<std::uint64_t> capacity{0};  // the output channel's capacity (sizes MaxAckPending)
  Doorbell bell;  // rung by the helper thread when it has messages, and by connection callbacks
  // Acknowledgements and consumer re-creation exclude each other: an acknowledgement is sent only with a
  // reply of the current consumer generation, so a re-created consumer (same name) never sees an old one.
  std::mutex ack_mu;
  std::uint64_t generation = 0;     // guarded by ack_mu
  std::uint64_t acked_through = 0;  // guarded by ack_mu: highest seq acknowledged
  SubDurable durable;               // the running incarnation's
};

class SubscriberLink {
 public:
  SubscriberLink(std::shared_ptr<SubscriberShared> shared, std::string actor_name);
  ~SubscriberLink();  // stops and joins the helper thread (at most about fetch_wait)
  SubscriberLink(const SubscriberLink&) = delete;
  SubscriberLink& operator=(const SubscriberLink&) = delete;
  // Hand over what was fetched (appended to `out`) and allow the helper `budget` NATS messages beyond them.
  void exchange(std::size_t budget, std::deque<FetchedMsg>& out);
  // Acknowledge (AckAll) everything through entry `e`, with its reply. stale: the reply belongs to an earlier
  // consumer generation (nothing sent; the re-created consumer delivers the message again).
  enum class AckOutcome : std::uint8_t { sent, stale, failed };
  [[nodiscard]] AckOutcome ack(const SubEntry& e);
  void note_waiting();  // logs (rate-limited) while the server is unreachable
  void log_malformed(std::string_view what);
  void note_oversized(std::uint32_t count);  // a batch larger than items_per_message (rate-limited warning)
  [[nodiscard]] const std::string& describe() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace detail

// ---------------------------------------------------------------- the publisher actor

template <class T, class C = Codec<T>>
requires CodecFor<C, T>
class NatsPublisher {
 public:
  explicit NatsPublisher(NatsPublisherOptions options, C codec = C{})
      : shared_(std::make_shared<detail::PublisherShared>(std::move(options))), codec_(std::move(codec)) {}
  // The actor function: graph.actor("uplink").run(publisher, std::move(rx)).
  Task operator()(Context& ctx, Rx<T>& rx) const { return run(ctx, rx, shared_, codec_); }
  [[nodiscard]] NatsPublisherStats stats() const noexcept {
    const auto& s = *shared_;
    return {s.acknowledged.load(),    s.published.load(),           s.acked_batches.load(),
            s.resent.load(),          s.duplicates.load(),          s.failures.load(),
            s.conn.reconnects.load(), s.conn.retry_warnings.load(), s.conn.connected.load(),
            s.in_flight.load(),       s.held_batches.load(),        s.refused_order.load()};
  }
  // The last failed publish (its PubAck error, or why it could not be handed to cnats), for diagnostics.
  [[nodiscard]] std::string last_failure() const {
    std::lock_guard lock(shared_->mu);
    return shared_->last_failure;
  }
  // The prefix of this publisher's message ids (the random one when msg_id_prefix was empty).
  [[nodiscard]] const std::string& msg_id_prefix() const noexcept { return shared_->prefix; }

 private:
  static Task run(Context& ctx, Rx<T>& rx, std::shared_ptr<detail::PublisherShared> sh, C codec);
  std::shared_ptr<detail::PublisherShared> shared_;
  C codec_;
};

// ---------------------------------------------------------------- the subscriber actor

template <class T, class C = Codec<T>>
requires CodecFor<C, T>
class NatsSubscriber {
 public:
  explicit NatsSubscriber(NatsSubscriberOptions options, C codec = C{})
      : shared_(std::make_shared<detail::SubscriberShared>(std::move(options))), codec_(std::move(codec)) {}
  // The actor function: graph.actor("downlink").run(subscriber, std::move(tx)), with a Tx<T> or, to learn
  // each message's stream position, a Tx<Sequenced<T>>.
  Task operator()(Context& ctx, Tx<T>& tx) const { return run<T>(ctx, tx, shared_, codec_); }
  Task operator()(Context& ctx, Tx<Sequenced<T>>& tx) const {
    return run<Sequenced<T>>(ctx, tx, shared_, codec_);
  }
  [[nodiscard]] NatsSubscriberStats stats() const noexcept {
    const auto& s = *shared_;
    return {s.delivered.load(),
            s.received.load(),
            s.acknowledged.load(),
            s.redelivered.load(),
            s.resumed.load(),
            s.malformed.load(),
            s.fetches.load(),
            s.resyncs.load(),
            s.conn.reconnects.load(),
            s.conn.retry_warnings.load(),
            {s.last_ack_seq.load(), s.last_ack_index.load()},
            s.conn.connected.load()};
  }

 private:
  template <class O>
  static Task run(Context& ctx, Tx<O>& tx, std::shared_ptr<detail::SubscriberShared> sh, C codec);
  std::shared_ptr<detail::SubscriberShared> shared_;
  C codec_;
};

}  // namespace steady::bridge

#include <steady/bridge/detail/nats_actors.hpp>
