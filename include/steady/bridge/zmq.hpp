// steady/bridge/zmq.hpp — channels across processes and machines over ZeroMQ (target steady::bridge_zmq).
//
// An egress actor takes messages from an Rx<T> and sends them over a ZeroMQ PUSH socket; an ingress actor in
// the other process receives them from a PULL socket into a Tx<T>. Many messages travel per ZeroMQ message
// (a frame: up to max_batch_count messages or max_batch_bytes, whichever comes first).
//
//   // process A (sends)
//   steady::bridge::ZmqEgress<Tick> up({.endpoint = "tcp://10.0.0.2:5555",
//                                       .ack_endpoint = "tcp://10.0.0.2:5556"});
//   graph.actor("uplink").run(up, std::move(ticks_rx));
//   // process B (receives)
//   steady::bridge::ZmqIngress<Tick> down({.endpoint = "tcp://0.0.0.0:5555",
//                                          .ack_endpoint = "tcp://0.0.0.0:5556"});
//   graph.actor("downlink").run(down, std::move(ticks_tx));
//
// tcp:// across machines, ipc:// (a socket file) on one. By default the ingress binds and the egress
// connects (`.bind` turns it around). Keep a copy of the actor object to read its stats() from any thread.
// Types that are not trivially copyable need a codec (see codec.hpp), passed as the second constructor
// argument or as a specialisation of steady::bridge::Codec<T>.
//
// Two socket pairs, because PUSH/PULL is one-way: data (egress PUSH → ingress PULL: data, end-of-stream and
// rewind frames) and control (ingress PUSH → egress PULL: hello, acknowledgements, end-of-stream ack).
//
// Delivery guarantee. Every message has a sequence number (its position in the egress's channel). The egress
// peeks messages, sends them, and removes them from its channel only once the ingress acknowledged having put
// them into its own channel (peek-before-commit across the wire): the egress's channel is the resend buffer
// and its capacity bounds what is in flight. Each ingress incarnation announces itself with a random session
// id (hello); the egress answers with a rewind frame ("the next sequence number is S") and resends everything
// unacknowledged; the ingress drops frames of other sessions and numbers it already delivered. Hence:
//   - clean stop of the sender (input closed, or SIGTERM): everything in its channel is delivered, then an
//     end-of-stream frame; the egress agrees to stop only after the ingress acknowledged it (the ingress
//     closes its output at end-of-stream). Nothing is lost or duplicated.
//   - clean stop/restart of the receiver: the ingress acknowledges what it delivered before it stops (its
//     control socket lingers to flush that); what was in flight is resent to the next incarnation. Nothing
//     is lost; nothing is duplicated unless that last acknowledgement was itself lost (then the messages
//     since the previous one are delivered again: at-least-once at that boundary).
//   - crash of either process: what the crashed process held in memory is lost. Durability across crashes
//     is the NATS JetStream bridge's job (planned).
// Backpressure: the ingress receives only while its channel has room, so ZeroMQ's high-water marks fill, the
// egress's sends would block and it stops taking from its channel, which fills; the acknowledgement window
// (at most the channel's capacity in flight) bounds it too. See docs/distribution.md.
//
// Threads and wake-ups. Neither actor blocks its thread: every ZeroMQ call is non-blocking. Between passes an
// actor waits on its channel and on a Doorbell that the process's socket watcher thread rings when one of its
// sockets may have become readable or writable (epoll on the sockets' ZMQ_FD; the protocol that loses no
// wake-up is described in src/bridge/zmq_watch.hpp and docs/distribution.md). So a busy link wakes as soon as
// a socket is ready, and an idle one does not wake at all, apart from the ingress's hello/heartbeat timer.
// Sockets are created, used and closed by the actor's incarnation on its own thread; the watcher only waits
// on their descriptors. An unreachable peer is retried by ZeroMQ forever; the egress logs a warning at most
// once per `retry_log_every` and vetoes a stop while it still holds undelivered messages (the stop report
// then names it and says how many).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
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

struct EgressOptions {
  std::string endpoint;                // data socket, e.g. "tcp://10.0.0.2:5555" or "ipc:///run/app/ticks"
  std::string ack_endpoint;            // control socket (hello, acknowledgements)
  bool bind = false;                   // false: connect both sockets (the ingress binds); true: bind them
  std::size_t max_batch_count = 4096;  // messages per frame at most
  std::size_t max_batch_bytes = 64 * 1024;  // payload bytes per frame at most (one message may exceed it)
  int send_hwm = 16;  // frames ZeroMQ may queue; with max_batch_bytes, bounds its memory
  std::chrono::milliseconds retry_log_every{5000};  // rate of the "peer unreachable" warning
  bool stop_graph_when_done = false;  // request the graph's stop once end-of-stream was acknowledged
  // While the graph stops with every message acknowledged, how long to wait for the end-of-stream
  // acknowledgement before agreeing anyway (nothing is lost then; the receiver just does not learn that the
  // stream ended, e.g. because it is stopping too). Messages not yet acknowledged are never given up.
  std::chrono::milliseconds eos_ack_grace{1000};
};

struct IngressOptions {
  std::string endpoint;      // data socket, e.g. "tcp://0.0.0.0:5555" or "tcp://127.0.0.1:*" (any free port)
  std::string ack_endpoint;  // control socket
  bool bind = true;          // true: bind both sockets (the default); false: connect
  int receive_hwm = 16;      // frames ZeroMQ may queue on the receiving side
  // Hello (announce the session) this often until the egress answers, then every 5× as a heartbeat.
  std::chrono::milliseconds hello_every{200};
  // How long an incarnation's end may wait to put its last acknowledgements on the wire (it returns as soon as
  // they are; the full time only if the egress is unreachable). Kept even if the process exits right after.
  std::chrono::milliseconds linger{1000};
  bool stop_graph_at_end = false;          // request the graph's stop after end-of-stream
};

struct EgressStats {
  std::uint64_t acknowledged = 0;  // messages the ingress confirmed (removed from the channel)
  std::uint64_t frames_sent = 0;
  std::uint64_t sessions = 0;  // ingress incarnations met (each one starts with a rewind)
  std::uint64_t resent = 0;    // messages sent again after a rewind
  std::uint64_t retry_warnings = 0;
  // Loop passes of the actor (all incarnations): each follows a wake-up, so it stays flat while the link is
  // idle.
  std::uint64_t passes = 0;
  bool finished = false;  // end-of-stream acknowledged
};

struct IngressStats {
  std::uint64_t delivered = 0;  // messages put into the channel
  std::uint64_t frames_received = 0;
  std::uint64_t malformed_frames = 0;  // unreadable frame headers (dropped whole)
  // Messages the codec refused or the framing could not delimit (dropped; the rest of the frame is
  // delivered).
  std::uint64_t malformed_messages = 0;
  std::uint64_t duplicates = 0;    // messages already delivered, dropped
  std::uint64_t stale_frames = 0;  // frames of another session, dropped (they are resent after the rewind)
  std::uint64_t passes = 0;        // loop passes (as for the egress; idle: one per heartbeat)
  bool end_of_stream = false;
};

namespace detail {

// ---- the wire: a 32-byte header, then the payload (data frames only). Little-endian.
enum class FrameKind : std::uint8_t {
  data = 1,
  end_of_stream = 2,
  rewind = 3,
  hello = 16,
  ack = 17,
  eos_ack = 18
};
struct FrameHeader {
  FrameKind kind = FrameKind::data;
  std::uint64_t session = 0;
  std::uint64_t seq = 0;    // data: first message; eos: end; rewind: next; ack: next expected; eos_ack: end
  std::uint32_t count = 0;  // data: messages in the payload; rewind: the egress's stream id
};
inline constexpr std::size_t kHeaderBytes = 32;
void write_header(std::vector<std::byte>& out, const FrameHeader& h);  // replaces out's contents
void write_header(std::span<std::byte, kHeaderBytes> out, const FrameHeader& h) noexcept;  // in place
void write_header_count(std::vector<std::byte>& frame, std::uint32_t count) noexcept;
[[nodiscard]] std::optional<FrameHeader> read_header(std::span<const std::byte> frame) noexcept;

[[nodiscard]] std::uint32_t new_stream_id();

// Telemetry labels of a bridge actor (docs/telemetry.md, "Bridge labels"): bridge=zmq, bridge_role, and
// bridge_endpoint (the data endpoint; the one actually bound when binding). bridge_link (the egress's stream
// id, 8 hex digits) names the link at both ends: the egress knows it from the start, the ingress from its
// first rewind frame.
void set_bridge_labels(Context& ctx, const char* role, const std::string& endpoint);
void set_bridge_link(Context& ctx, std::uint32_t stream);

struct EgressShared {
  explicit EgressShared(EgressOptions o) : options(std::move(o)) {}
  EgressOptions options;
  std::atomic<std::uint64_t> acknowledged{0}, frames_sent{0}, sessions{0}, resent{0}, retry_warnings{0},
      passes{0};
  std::atomic<bool> finished{false};
  Doorbell bell;  // rung by the socket watcher when a socket of the current incarnation may be ready
  // Names this stream in rewind frames, so an ingress tells a restarted egress incarnation (same stream: keep
  // what was delivered) from a new sender process (new stream: start over). Never 0.
  const std::uint32_t stream = new_stream_id();
  std::uint64_t sent_end = 0;  // sequence number after the last message sent, by any incarnation (actor only)
};

struct IngressShared {
  explicit IngressShared(IngressOptions o) : options(std::move(o)) {}
  IngressOptions options;
  std::atomic<std::uint64_t> delivered{0}, frames_received{0}, malformed_frames{0}, malformed_messages{0},
      duplicates{0}, stale_frames{0}, passes{0};
  std::atomic<bool> end_of_stream{false};
  Doorbell bell;  // as for the egress
  std::mutex mu;  // guards the bound endpoints
  std::condition_variable bound_cv;
  std::string bound_data, bound_ack;
};

// One egress incarnation's sockets (pimpl over cppzmq, so this header does not pull in zmq.hpp).
class EgressLink {
 public:
  EgressLink(EgressShared& shared, std::string actor_name);
  ~EgressLink();
  EgressLink(const EgressLink&) = delete;
  EgressLink& operator=(const EgressLink&) = delete;
  // False: it would block (high-water mark reached, or no connected peer).
  [[nodiscard]] bool try_send(std::span<const std::byte> frame);
  // The next data frame, `bytes` long, to fill in place: a ZeroMQ message that try_send_frame hands over
  // without a copy. Replaces a frame not sent yet.
  [[nodiscard]] std::span<std::byte> frame_buffer(std::size_t bytes);
  // Send the frame_buffer frame. False: it would block (the frame stays for the next try).
  [[nodiscard]] bool try_send_frame();
  [[nodiscard]] std::optional<FrameHeader> try_control();  // next control frame, if any
  // Before the actor waits (after it drained the control socket; `want_send`: a data send would block): true
  // when a socket is ready already (pass again instead); otherwise the socket watcher rings the bell on the
  // next change. See src/bridge/zmq_watch.hpp.
  [[nodiscard]] bool arm(bool want_send);
  // Called each pass: logs (rate-limited) when there is something to deliver and no peer answered for a
  // while. Returns how soon to call it again (nullopt while there is nothing to deliver: no timer needed).
  [[nodiscard]] std::optional<std::chrono::nanoseconds> note_waiting(std::uint64_t undelivered,
                                                                     bool need_eos);
  [[nodiscard]] const std::string& describe() const noexcept;  // "tcp://host:port (acks tcp://...)"
  [[nodiscard]] const std::string& endpoint()
      const noexcept;  // the data endpoint (the bound one when binding)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class IngressLink {
 public:
  IngressLink(IngressShared& shared, std::string actor_name);
  ~IngressLink();
  IngressLink(const IngressLink&) = delete;
  IngressLink& operator=(const IngressLink&) = delete;
  [[nodiscard]] std::uint64_t session() const noexcept;
  // The next data-socket frame (valid until the next call), if any.
  [[nodiscard]] std::optional<std::span<const std::byte>> try_recv();
  [[nodiscard]] bool send_control(FrameKind kind, std::uint64_t seq);
  // As EgressLink::arm: `want_recv` (data may be received: the channel has room), `want_send` (a control send
  // would block).
  [[nodiscard]] bool arm(bool want_recv, bool want_send);
  [[nodiscard]] const IngressOptions& options() const noexcept;
  IngressShared& shared() noexcept;
  [[nodiscard]] const std::string& endpoint()
      const noexcept;                         // the data endpoint (the bound one when binding)
  void log_malformed(std::string_view what);  // rate-limited
 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

[[nodiscard]] Vote egress_vote(bool finished, bool met_peer, std::uint64_t held, bool input_closed,
                               const std::string& where);

// Copy the object representations of messages [from, from + n) of `s` (at most two contiguous runs) to `out`.
template <class T>
void copy_bitwise(const SlicePair<const T>& s, std::size_t from, std::size_t n, std::byte* out) noexcept {
  auto copy = [&](std::span<const T> run) {
    if (run.empty()) return;
    std::memcpy(out, run.data(), run.size_bytes());
    out += run.size_bytes();
  };
  if (from < s.first.size()) {
    const std::size_t k = std::min(n, s.first.size() - from);
    copy(s.first.subspan(from, k));
    copy(s.second.first(n - k));
  } else {
    copy(s.second.subspan(from - s.first.size(), n));
  }
}

// Encode messages [from, ...) of `ready` into the link's next data frame (header + payload). Returns how
// many: up to max_batch_count, stopping at the first message that brings the payload to max_batch_bytes.
// `scratch` holds the encoding for codecs that are not bitwise (then copied into the frame once).
template <class T, class C>
std::size_t encode_frame(const C& codec, const SlicePair<const T>& ready, std::size_t from,
                         const EgressOptions& o, std::uint64_t session, std::uint64_t first_seq,
                         EgressLink& link, std::vector<std::byte>& scratch) {
  const std::size_t limit = std::min(ready.size() - from, std::max<std::size_t>(o.max_batch_count, 1));
  std::size_t n = 0;
  if constexpr (BitwiseCodec<C, T>) {
    // Straight from the channel into the ZeroMQ message: one or two memcpy, nothing per message.
    n = std::min(limit, fixed_batch(o.max_batch_bytes, sizeof(T)));
    const std::span<std::byte> frame = link.frame_buffer(kHeaderBytes + n * sizeof(T));
    write_header(frame.first<kHeaderBytes>(),
                 {FrameKind::data, session, first_seq, static_cast<std::uint32_t>(n)});
    copy_bitwise(ready, from, n, frame.data() + kHeaderBytes);
    return n;
  }
  std::vector<std::byte>& frame = scratch;
  write_header(frame, {FrameKind::data, session, first_seq, 0});
  if constexpr (FixedSizeCodec<C>) {
    n = std::min(limit, fixed_batch(o.max_batch_bytes, C::fixed_size));
    frame.reserve(kHeaderBytes + n * C::fixed_size);
    for (std::size_t i = 0; i < n; ++i) codec.encode(ready[from + i], frame);
  } else {
    while (n < limit && (n == 0 || frame.size() - kHeaderBytes < o.max_batch_bytes)) {
      encode_one<T>(codec, ready[from + n], frame);
      ++n;
    }
  }
  write_header_count(frame, static_cast<std::uint32_t>(n));
  const std::span<std::byte> out = link.frame_buffer(frame.size());
  std::memcpy(out.data(), frame.data(), frame.size());
  return n;
}

}  // namespace detail

// ---------------------------------------------------------------- the egress actor

template <class T, class C = Codec<T>>
requires CodecFor<C, T>
class ZmqEgress {
 public:
  explicit ZmqEgress(EgressOptions options, C codec = C{})
      : shared_(std::make_shared<detail::EgressShared>(std::move(options))), codec_(std::move(codec)) {}
  // The actor function: graph.actor("uplink").run(egress, std::move(rx)).
  Task operator()(Context& ctx, Rx<T>& rx) const { return run(ctx, rx, shared_, codec_); }
  [[nodiscard]] EgressStats stats() const noexcept {
    const auto& s = *shared_;
    return {s.acknowledged.load(),   s.frames_sent.load(), s.sessions.load(), s.resent.load(),
            s.retry_warnings.load(), s.passes.load(),      s.finished.load()};
  }

 private:
  static Task run(Context& ctx, Rx<T>& rx, std::shared_ptr<detail::EgressShared> sh, C codec);
  std::shared_ptr<detail::EgressShared> shared_;
  C codec_;
};

// ---------------------------------------------------------------- the ingress actor

template <class T, class C = Codec<T>>
requires CodecFor<C, T>
class ZmqIngress {
 public:
  explicit ZmqIngress(IngressOptions options, C codec = C{})
      : shared_(std::make_shared<detail::IngressShared>(std::move(options))), codec_(std::move(codec)) {}
  // The actor function: graph.actor("downlink").run(ingress, std::move(tx)).
  Task operator()(Context& ctx, Tx<T>& tx) const { return run(ctx, tx, shared_, codec_); }
  [[nodiscard]] IngressStats stats() const noexcept {
    const auto& s = *shared_;
    return {
        s.delivered.load(),  s.frames_received.load(), s.malformed_frames.load(), s.malformed_messages.load(),
        s.duplicates.load(), s.stale_frames.load(),    s.passes.load(),           s.end_of_stream.load()};
  }
  // The endpoints actually bound (data, control), e.g. after binding "tcp://127.0.0.1:*". Blocks (bounded)
  // until the actor has bound them; nullopt on timeout.
  [[nodiscard]] std::optional<std::pair<std::string, std::string>> bound_endpoints(
      std::chrono::nanoseconds timeout) const {
    std::unique_lock lock(shared_->mu);
    if (!shared_->bound_cv.wait_for(lock, timeout, [&] { return !shared_->bound_ack.empty(); }))
      return std::nullopt;
    return std::pair{shared_->bound_data, shared_->bound_ack};
  }

 private:
  static Task run(Context& ctx, Tx<T>& tx, std::shared_ptr<detail::IngressShared> sh, C codec);
  std::shared_ptr<detail::IngressShared> shared_;
  C codec_;
};

}  // namespace steady::bridge

#include <steady/bridge/detail/zmq_actors.hpp>
