// steady/bridge/detail/zmq_actors.hpp — the bodies of ZmqEgress / ZmqIngress (included by
// steady/bridge/zmq.hpp).
//
// The coroutines only wait and call one plain function per pass (egress_pass / ingress_pass), which holds the
// per-frame and per-message loops (coroutine locals live in the heap frame; see task.hpp).
//
// Every pass has the same shape: answer the bell (rings from here on wake the next wait), drain the sockets
// until they would block, check the sockets it waits on (link.arm: if one is ready already it rings the bell
// itself, so the wait below falls through and a troupe still takes turns), and wait on the bell — rung by the
// process's socket watcher (src/bridge/zmq_watch.hpp) — together with the channel and the one timer it needs
// (the egress's unreachable-peer warning while it holds messages; the ingress's hello/heartbeat). Nothing
// polls: an idle link sleeps until a socket, its channel or that timer has something for it.
#pragma once

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace steady::bridge::detail {

using Clock = std::chrono::steady_clock;

// Add to a stats counter. Only the actor's (current incarnation's) thread writes them and stats() only reads,
// so a plain load and store does: no locked read-modify-write on the per-frame path.
inline void bump(std::atomic<std::uint64_t>& counter, std::uint64_t n) noexcept {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// ---------------------------------------------------------------- egress

struct EgressState {
  std::uint64_t session = 0;       // the ingress incarnation we talk to (0: none met yet)
  std::uint64_t inflight = 0;      // messages past the channel's tail already sent in this session
  std::size_t frame_count = 0;     // messages in the link's data frame waiting for the socket (0: none)
  std::vector<std::byte> scratch;  // encoding space for codecs that are not bitwise
  std::vector<std::byte> control;  // rewind / end-of-stream frame
  bool rewind_pending = false;
  bool eos_sent = false;
  bool done = false;
};

// Why a pass stopped sending.
enum class EgressBlock : std::uint8_t {
  none,    // everything ready was sent (waiting for input or acknowledgements)
  socket,  // the data socket would block (high-water mark, or no live connection)
  peer,    // no ingress met yet: waiting for a hello
};

// One pass: read control frames (hello → rewind, ack → remove from the channel, eos ack → done), then send
// what is ready.
template <class T, class C>
EgressBlock egress_pass(Rx<T>& rx, EgressLink& link, EgressShared& sh, const C& codec, EgressState& st) {
  const EgressOptions& o = sh.options;
  while (auto c = link.try_control()) {
    switch (c->kind) {
      case FrameKind::hello:
        // A new ingress incarnation: start over from the first unacknowledged message.
        if (c->session != st.session) {
          st.session = c->session;
          bump(sh.sessions, 1);
          // Everything sent past the acknowledged point goes again (also what an earlier incarnation sent).
          const std::uint64_t acked = sh.acknowledged.load(std::memory_order_relaxed);
          bump(sh.resent, sh.sent_end > acked ? sh.sent_end - acked : 0);
          sh.sent_end = acked;
          st.inflight = 0;
          st.frame_count = 0;
          st.rewind_pending = true;
          st.eos_sent = false;
        }
        break;
      case FrameKind::ack:
        if (c->session == st.session) {
          const std::uint64_t acked = sh.acknowledged.load(std::memory_order_relaxed);
          if (c->seq > acked) {
            const std::uint64_t n = std::min(c->seq - acked, st.inflight);
            rx.advance_take(n);  // peek-before-commit across the wire: removed only once delivered
            st.inflight -= n;
            bump(sh.acknowledged, n);
          }
        }
        break;
      case FrameKind::eos_ack:
        if (c->session == st.session && st.eos_sent &&
            c->seq == sh.acknowledged.load(std::memory_order_relaxed) && rx.is_closed_and_empty())
          st.done = true;
        break;
      default:
        break;
    }
  }
  if (st.done) {
    sh.finished.store(true, std::memory_order_release);
    return EgressBlock::none;
  }
  const std::uint64_t acked = sh.acknowledged.load(std::memory_order_relaxed);
  if (st.session == 0) return EgressBlock::peer;  // nobody to talk to yet: wait for a hello
  if (st.rewind_pending) {
    write_header(st.control, {FrameKind::rewind, st.session, acked, sh.stream});
    if (!link.try_send(st.control)) return EgressBlock::socket;
    st.rewind_pending = false;
  }
  for (;;) {
    if (st.frame_count == 0) {
      const auto ready = rx.peek_slice(st.inflight + std::max<std::size_t>(o.max_batch_count, 1));
      if (ready.size() <= st.inflight) break;
      st.frame_count =
          encode_frame<T>(codec, ready, st.inflight, o, st.session, acked + st.inflight, link, st.scratch);
    }
    if (!link.try_send_frame()) return EgressBlock::socket;
    st.inflight += st.frame_count;
    st.frame_count = 0;
    sh.sent_end = acked + st.inflight;
    bump(sh.frames_sent, 1);
  }
  if (!st.eos_sent && rx.is_closed() && rx.avail_units() == st.inflight) {
    write_header(st.control, {FrameKind::end_of_stream, st.session, acked + st.inflight, 0});
    if (!link.try_send(st.control)) return EgressBlock::socket;
    st.eos_sent = true;
  }
  return EgressBlock::none;
}

// ---------------------------------------------------------------- ingress

template <class T>
struct IngressState {
  // The data frame being delivered: its payload stays in the link's receive buffer, which the next try_recv
  // replaces (none happens while frame_open). Messages go into the channel as it has room, straight from
  // there.
  std::span<const std::byte> payload;
  PayloadCursor cursor;
  std::uint64_t frame_first = 0;  // sequence number of the frame's message 0
  std::size_t frame_malformed = 0;
  bool frame_open =
      false;             // a data frame is being delivered (expected = frame_first + cursor.next meanwhile)
  std::vector<T> batch;  // decoded messages on their way into the channel (codecs that are not bitwise)
  std::uint64_t expected = 0;    // next sequence number to deliver
  std::uint64_t acked_sent = 0;  // last acknowledgement sent
  bool synced = false;           // the egress rewound to our session
  std::uint32_t stream = 0;      // the egress stream we follow
  bool eos = false;
  bool eos_acked = false;
  bool control_blocked = false;  // a control frame (hello, ack, eos ack) is due and its socket would block
  Clock::time_point next_hello{};
};

// Move what the channel has room for from the open frame into it; close the frame when it is done.
template <class T, class C>
void deliver_frame(Tx<T>& tx, IngressLink& link, const C& codec, IngressState<T>& st) {
  if (!st.frame_open) return;
  IngressShared& sh = link.shared();
  PayloadCursor& c = st.cursor;
  // Nothing goes into a channel nobody will read (a consumer gone for good): it is not acknowledged either.
  if (!c.done() && !tx.is_closed() && !tx.ring().consumer_gone()) {
    const std::size_t room = tx.vacant_units();
    std::size_t sent = 0;
    if constexpr (BitwiseCodec<C, T>) {
      // The payload is an array of T: copy the run that fits straight into the channel's slots.
      const auto slots = tx.poke_slice(std::min<std::uint64_t>(room, c.count - c.next));
      const std::byte* from = st.payload.data() + c.next * sizeof(T);
      std::memcpy(static_cast<void*>(slots.first.data()), from, slots.first.size_bytes());
      std::memcpy(static_cast<void*>(slots.second.data()), from + slots.first.size_bytes(),
                  slots.second.size_bytes());
      sent = slots.size();
      tx.advance_send(sent);
      c.next += sent;
    } else {
      st.batch.clear();
      const std::size_t bad =
          decode_some<T>(codec, st.payload, c, room, [&](T&& v) { st.batch.push_back(std::move(v)); });
      sent = tx.send_slice_move(st.batch);  // all of them: we are the only producer and they fit
      if (bad != 0) {
        st.frame_malformed += bad;
        bump(sh.malformed_messages, bad);
      }
    }
    bump(sh.delivered, sent);
  }
  if (c.done()) {
    st.frame_open = false;
    st.expected = st.frame_first + c.count;
    if (st.frame_malformed != 0)
      link.log_malformed(std::to_string(st.frame_malformed) + " malformed message(s) in a frame");
  } else {
    st.expected = std::max(st.expected, st.frame_first + c.next);
  }
}

template <class T, class C>
void handle_data_frame(Tx<T>& tx, IngressLink& link, const C& codec, IngressState<T>& st,
                       std::span<const std::byte> frame) {
  IngressShared& sh = link.shared();
  const auto h = read_header(frame);
  if (!h) {
    bump(sh.malformed_frames, 1);
    link.log_malformed("a frame with an unreadable header");
    return;
  }
  bump(sh.frames_received, 1);
  const bool ours = st.synced && h->session == link.session();
  switch (h->kind) {
    case FrameKind::rewind:
      if (h->session == link.session()) {
        // The same stream rewinding again (its egress actor restarted) keeps what was delivered: the resent
        // part is dropped as duplicates. A new stream (a new sender process) starts where it says.
        const bool same_stream = st.synced && h->count == st.stream;
        st.expected = same_stream ? std::max(st.expected, h->seq) : h->seq;
        st.stream = h->count;
        st.synced = true;
      } else {
        bump(sh.stale_frames, 1);
      }
      return;
    case FrameKind::data: {
      if (!ours) {
        bump(sh.stale_frames, 1);
        return;
      }
      const std::uint64_t first = h->seq, end = h->seq + h->count;
      if (end <= st.expected) {
        bump(sh.duplicates, h->count);
        return;
      }
      if (first > st.expected) {
        link.log_malformed("a gap in sequence numbers (expected " + std::to_string(st.expected) + ", got " +
                           std::to_string(first) + ")");
        st.expected = first;
      }
      const std::size_t skip = st.expected - first;
      if (skip != 0) bump(sh.duplicates, skip);
      st.payload = frame.subspan(kHeaderBytes);
      st.frame_first = first;
      st.frame_open = true;
      st.frame_malformed = open_payload<C>(st.payload, h->count, skip, st.cursor);
      if (st.frame_malformed != 0) bump(sh.malformed_messages, st.frame_malformed);
      deliver_frame(tx, link, codec, st);
      return;
    }
    case FrameKind::end_of_stream:
      if (!ours) {
        bump(sh.stale_frames, 1);
      } else if (h->seq == st.expected && !st.frame_open) {
        st.eos = true;
        (void)tx.mark_closed();
        sh.end_of_stream.store(true, std::memory_order_release);
      } else {
        link.log_malformed("an end-of-stream at " + std::to_string(h->seq) + " while expecting " +
                           std::to_string(st.expected));
      }
      return;
    default:
      bump(sh.malformed_frames, 1);
      link.log_malformed("a frame of an unknown kind");
      return;
  }
}

// Delivered messages after which the ingress acknowledges within a pass (it always does at the end of one).
inline constexpr std::uint64_t kAckEvery = 4096;

// One pass: hello when due, deliver what is pending, receive more only while the channel has room,
// acknowledge.
template <class T, class C>
void ingress_pass(Tx<T>& tx, IngressLink& link, const C& codec, IngressState<T>& st, Clock::time_point now) {
  const IngressOptions& o = link.options();
  st.control_blocked = false;
  if (now >= st.next_hello) {
    if (link.send_control(FrameKind::hello, st.expected))
      st.next_hello = now + (st.synced ? 5 * o.hello_every : o.hello_every);
    else
      st.control_blocked = true;  // still due: sent as soon as the control socket takes it
  }
  for (;;) {
    deliver_frame(tx, link, codec, st);
    // A long pass acknowledges as it goes, so the egress's window reopens before the pass ends.
    if (st.synced && st.expected - st.acked_sent >= kAckEvery &&
        link.send_control(FrameKind::ack, st.expected))
      st.acked_sent = st.expected;
    if (st.frame_open || st.eos || tx.vacant_units() == 0) break;  // backpressure: no room, no receive
    const auto frame = link.try_recv();
    if (!frame) break;
    handle_data_frame(tx, link, codec, st, *frame);
  }
  if (st.synced && st.expected > st.acked_sent) {
    if (link.send_control(FrameKind::ack, st.expected))
      st.acked_sent = st.expected;
    else
      st.control_blocked = true;
  }
  if (st.eos && !st.eos_acked && st.acked_sent == st.expected) {
    if (link.send_control(FrameKind::eos_ack, st.expected))
      st.eos_acked = true;
    else
      st.control_blocked = true;
  }
}

template <class T>
Vote ingress_vote(IngressLink& link, IngressState<T>& st) {
  // What is pending (received, not delivered) was not acknowledged: the egress resends it to the next
  // incarnation.
  if (!st.synced || st.acked_sent >= st.expected) return agree();
  if (link.send_control(FrameKind::ack, st.expected)) {
    st.acked_sent = st.expected;
    return agree();
  }
  return veto("the acknowledgement of " + std::to_string(st.expected) +
              " delivered messages is not sent yet");
}

}  // namespace steady::bridge::detail

namespace steady::bridge {

template <class T, class C>
requires CodecFor<C, T> Task ZmqEgress<T, C>::run(Context& ctx, Rx<T>& rx,
                                                  std::shared_ptr<detail::EgressShared> sh, C codec) {
  detail::EgressLink link(*sh, ctx.full_name());
  detail::set_bridge_labels(ctx, "egress", link.endpoint());
  detail::set_bridge_link(ctx, sh->stream);
  detail::EgressState st;
  // Removed from the channel only when acknowledged: a restarted incarnation starts from the channel's tail.
  sh->acknowledged.store(rx.ring().taken_total(), std::memory_order_relaxed);
  std::optional<detail::Clock::time_point> eos_wait_since;  // stopping, all acknowledged, end-of-stream not
  auto vote = [&]() -> Vote {
    Vote v = detail::egress_vote(st.done, st.session != 0, rx.avail_units(), rx.is_closed(), link.describe());
    if (v.agree || !rx.is_closed_and_empty()) return v;
    if (!eos_wait_since) eos_wait_since = ctx.now();
    if (ctx.now() - *eos_wait_since < sh->options.eos_ack_grace) return v;
    log(LogLevel::warn,
        "bridge egress '" + ctx.full_name() + "': every message was acknowledged, but not the " +
            "end-of-stream (the ingress at " + link.describe() + " may be stopping too); stopping");
    return agree();
  };
  while (ctx.is_running(vote)) {
    detail::bump(sh->passes, 1);
    (void)sh->bell.answer();  // rings from here on wake the next wait
    const detail::EgressBlock block = detail::egress_pass(rx, link, *sh, codec, st);
    if (st.done) {
      if (sh->options.stop_graph_when_done) ctx.request_shutdown();
      co_return;
    }
    if (link.arm(block == detail::EgressBlock::socket)) sh->bell.ring();  // a socket is ready: pass again
    const auto warn_in = link.note_waiting(rx.avail_units(), rx.is_closed());
    // More input is worth waking for if it could be sent (a peer, room on the socket and in the window), or, with
    // no peer met yet and nothing held, because it starts the unreachable-peer warning's clock (without it an
    // egress that looked before its first message arrived would sleep on the bell alone and never warn).
    const bool could_send = block == detail::EgressBlock::none && st.inflight < rx.capacity();
    const bool first_input = block == detail::EgressBlock::peer && rx.avail_units() == 0;
    if ((could_send || first_input) && !rx.is_closed()) {
      if (warn_in)
        co_await ctx.wait_any(rung(sh->bell), avail(rx, st.inflight + 1), after(*warn_in));
      else
        co_await ctx.wait_any(rung(sh->bell), avail(rx, st.inflight + 1));
    } else {
      if (warn_in)
        co_await ctx.wait_any(rung(sh->bell), after(*warn_in));
      else
        co_await ctx.wait_any(rung(sh->bell));
    }
  }
}

template <class T, class C>
requires CodecFor<C, T> Task ZmqIngress<T, C>::run(Context& ctx, Tx<T>& tx,
                                                   std::shared_ptr<detail::IngressShared> sh, C codec) {
  detail::IngressLink link(*sh, ctx.full_name());
  detail::set_bridge_labels(ctx, "ingress", link.endpoint());
  detail::IngressState<T> st;
  std::uint32_t labelled_stream = 0;
  while (ctx.is_running([&] { return detail::ingress_vote(link, st); })) {
    detail::bump(sh->passes, 1);
    (void)sh->bell.answer();  // rings from here on wake the next wait
    const auto now = ctx.now();
    detail::ingress_pass(tx, link, codec, st, now);
    if (st.stream != labelled_stream) {  // synced with a (new) egress stream: name the link
      labelled_stream = st.stream;
      detail::set_bridge_link(ctx, st.stream);
    }
    if (st.eos && st.eos_acked) {
      if (sh->options.stop_graph_at_end) ctx.request_shutdown();
      co_return;  // the graph closes our output (already closed at end-of-stream)
    }
    const bool room = !st.frame_open && !st.eos && tx.vacant_units() != 0;
    if (link.arm(room, st.control_blocked)) sh->bell.ring();  // a socket is ready: pass again
    // The hello timer, unless the hello is due already and waits for the control socket (st.control_blocked).
    const auto hello_in = st.next_hello - now;
    const bool timer = hello_in > std::chrono::nanoseconds::zero();
    if (!room && !st.eos && !tx.ring().consumer_gone()) {  // a frame waits for room in the channel
      if (timer)
        co_await ctx.wait_any(rung(sh->bell), vacant(tx, 1), after(hello_in));
      else
        co_await ctx.wait_any(rung(sh->bell), vacant(tx, 1));
    } else {
      if (timer)
        co_await ctx.wait_any(rung(sh->bell), after(hello_in));
      else
        co_await ctx.wait_any(rung(sh->bell));
    }
  }
}

}  // namespace steady::bridge
