// steady/bridge/detail/zmq_actors.hpp — the bodies of ZmqEgress / ZmqIngress (included by
// steady/bridge/zmq.hpp).
//
// The coroutines only wait and call one plain function per pass (egress_pass / ingress_pass), which holds the
// per-frame and per-message loops (coroutine locals live in the heap frame; see task.hpp).
#pragma once

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace steady::bridge::detail {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------- egress

struct EgressState {
  std::uint64_t session = 0;     // the ingress incarnation we talk to (0: none met yet)
  std::uint64_t inflight = 0;    // messages past the channel's tail already sent in this session
  std::vector<std::byte> frame;  // the encoded data frame waiting for the socket (frame_count > 0)
  std::size_t frame_count = 0;
  std::vector<std::byte> control;  // rewind / end-of-stream frame
  bool rewind_pending = false;
  bool eos_sent = false;
  bool done = false;
};

// One pass: read control frames (hello → rewind, ack → remove from the channel, eos ack → done), then send
// what is ready. Returns true when the socket (or the missing peer) blocked us: poll again later.
template <class T, class C>
bool egress_pass(Rx<T>& rx, EgressLink& link, EgressShared& sh, const C& codec, EgressState& st,
                 Clock::time_point now) {
  const EgressOptions& o = sh.options;
  while (auto c = link.try_control()) {
    switch (c->kind) {
      case FrameKind::hello:
        // A new ingress incarnation: start over from the first unacknowledged message.
        if (c->session != st.session) {
          st.session = c->session;
          sh.sessions.fetch_add(1, std::memory_order_relaxed);
          sh.resent.fetch_add(st.inflight, std::memory_order_relaxed);
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
            sh.acknowledged.fetch_add(n, std::memory_order_relaxed);
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
    return false;
  }
  const std::uint64_t acked = sh.acknowledged.load(std::memory_order_relaxed);
  bool blocked = false;
  if (st.session == 0) {
    blocked = true;  // nobody to talk to yet: wait for a hello
  } else if (st.rewind_pending) {
    write_header(st.control, {FrameKind::rewind, st.session, acked, sh.stream});
    if (link.try_send(st.control))
      st.rewind_pending = false;
    else
      blocked = true;
  }
  if (!blocked) {
    for (;;) {
      if (st.frame_count == 0) {
        const auto ready = rx.peek_slice(st.inflight + std::max<std::size_t>(o.max_batch_count, 1));
        if (ready.size() <= st.inflight) break;
        st.frame_count =
            encode_frame<T>(codec, ready, st.inflight, o, st.session, acked + st.inflight, st.frame);
      }
      if (!link.try_send(st.frame)) {
        blocked = true;
        break;
      }
      st.inflight += st.frame_count;
      st.frame_count = 0;
      sh.frames_sent.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (!blocked && !st.eos_sent && rx.is_closed() && rx.avail_units() == st.inflight) {
    write_header(st.control, {FrameKind::end_of_stream, st.session, acked + st.inflight, 0});
    if (link.try_send(st.control))
      st.eos_sent = true;
    else
      blocked = true;
  }
  link.note_waiting(rx.avail_units(), rx.is_closed() && !st.done, now);
  return blocked;
}

// ---------------------------------------------------------------- ingress

template <class T>
struct IngressState {
  std::vector<T> pending;  // decoded messages of the current frame not yet in the channel, from `pos`
  std::vector<std::uint64_t> pending_seq;
  std::size_t pos = 0;
  bool frame_open = false;  // a data frame is being delivered (expected becomes frame_end when it is done)
  std::uint64_t frame_end = 0;
  std::uint64_t expected = 0;    // next sequence number to deliver
  std::uint64_t acked_sent = 0;  // last acknowledgement sent
  bool synced = false;           // the egress rewound to our session
  std::uint32_t stream = 0;      // the egress stream we follow
  bool eos = false;
  bool eos_acked = false;
  Clock::time_point next_hello{};
};

template <class T>
void deliver_pending(Tx<T>& tx, IngressShared& sh, IngressState<T>& st) {
  if (st.pos < st.pending.size()) {
    const std::size_t n = tx.send_slice_move(std::span<T>(st.pending).subspan(st.pos));
    st.pos += n;
    sh.delivered.fetch_add(n, std::memory_order_relaxed);
  }
  if (st.pos < st.pending.size()) {
    st.expected = st.pending_seq[st.pos];
  } else if (st.frame_open) {
    st.expected = st.frame_end;
    st.frame_open = false;
    st.pending.clear();
    st.pending_seq.clear();
    st.pos = 0;
  }
}

template <class T, class C>
void handle_data_frame(Tx<T>& tx, IngressLink& link, const C& codec, IngressState<T>& st,
                       std::span<const std::byte> frame) {
  IngressShared& sh = link.shared();
  const auto h = read_header(frame);
  if (!h) {
    sh.malformed_frames.fetch_add(1, std::memory_order_relaxed);
    link.log_malformed("a frame with an unreadable header");
    return;
  }
  sh.frames_received.fetch_add(1, std::memory_order_relaxed);
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
        sh.stale_frames.fetch_add(1, std::memory_order_relaxed);
      }
      return;
    case FrameKind::data: {
      if (!ours) {
        sh.stale_frames.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      const std::uint64_t first = h->seq, end = h->seq + h->count;
      if (end <= st.expected) {
        sh.duplicates.fetch_add(h->count, std::memory_order_relaxed);
        return;
      }
      if (first > st.expected) {
        link.log_malformed("a gap in sequence numbers (expected " + std::to_string(st.expected) + ", got " +
                           std::to_string(first) + ")");
        st.expected = first;
      }
      const std::size_t skip = st.expected - first;
      sh.duplicates.fetch_add(skip, std::memory_order_relaxed);
      st.pending.clear();
      st.pending_seq.clear();
      st.pos = 0;
      st.frame_open = true;
      st.frame_end = end;
      const auto tally =
          decode_payload<T>(codec, frame.subspan(kHeaderBytes), h->count, skip, [&](std::size_t i, T&& v) {
            st.pending.push_back(std::move(v));
            st.pending_seq.push_back(first + i);
          });
      if (tally.malformed != 0) {
        sh.malformed_messages.fetch_add(tally.malformed, std::memory_order_relaxed);
        link.log_malformed(std::to_string(tally.malformed) + " malformed message(s) in a frame");
      }
      deliver_pending(tx, sh, st);
      return;
    }
    case FrameKind::end_of_stream:
      if (!ours) {
        sh.stale_frames.fetch_add(1, std::memory_order_relaxed);
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
      sh.malformed_frames.fetch_add(1, std::memory_order_relaxed);
      link.log_malformed("a frame of an unknown kind");
      return;
  }
}

// One pass: hello when due, deliver what is pending, receive more only while the channel has room,
// acknowledge.
template <class T, class C>
void ingress_pass(Tx<T>& tx, IngressLink& link, const C& codec, IngressState<T>& st, Clock::time_point now) {
  IngressShared& sh = link.shared();
  const IngressOptions& o = link.options();
  if (now >= st.next_hello) {
    if (link.send_control(FrameKind::hello, st.expected))
      st.next_hello = now + (st.synced ? 5 * o.hello_every : o.hello_every);
  }
  for (;;) {
    deliver_pending(tx, sh, st);
    if (st.frame_open || st.eos || tx.vacant_units() == 0) break;  // backpressure: no room, no receive
    const auto frame = link.try_recv();
    if (!frame) break;
    handle_data_frame(tx, link, codec, st, *frame);
  }
  if (st.synced && st.expected > st.acked_sent && link.send_control(FrameKind::ack, st.expected))
    st.acked_sent = st.expected;
  if (st.eos && !st.eos_acked && st.acked_sent == st.expected &&
      link.send_control(FrameKind::eos_ack, st.expected))
    st.eos_acked = true;
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
    const bool blocked = detail::egress_pass(rx, link, *sh, codec, st, ctx.now());
    if (st.done) {
      if (sh->options.stop_graph_when_done) ctx.request_shutdown();
      co_return;
    }
    if (blocked || rx.is_closed() || st.inflight >= rx.capacity())
      co_await ctx.wait_for(sh->options.poll);
    else
      co_await ctx.wait_any(avail(rx, st.inflight + 1), after(sh->options.poll));
  }
}

template <class T, class C>
requires CodecFor<C, T> Task ZmqIngress<T, C>::run(Context& ctx, Tx<T>& tx,
                                                   std::shared_ptr<detail::IngressShared> sh, C codec) {
  detail::IngressLink link(*sh, ctx.full_name());
  detail::IngressState<T> st;
  while (ctx.is_running([&] { return detail::ingress_vote(link, st); })) {
    detail::ingress_pass(tx, link, codec, st, ctx.now());
    if (st.eos && st.eos_acked) {
      if (sh->options.stop_graph_at_end) ctx.request_shutdown();
      co_return;  // the graph closes our output (already closed at end-of-stream)
    }
    if (st.frame_open || tx.vacant_units() == 0)
      co_await ctx.wait_any(vacant(tx, 1), after(sh->options.poll));
    else
      co_await ctx.wait_for(sh->options.poll);
  }
}

}  // namespace steady::bridge
