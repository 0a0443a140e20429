// steady/bridge/detail/nats_actors.hpp — the bodies of NatsPublisher / NatsSubscriber (included by nats.hpp).
//
// The coroutines only wait and call one plain function per pass (publisher_pass / subscriber_pass), which
// holds the per-batch and per-message loops (coroutine locals live in the heap frame; see task.hpp).
#pragma once

#include <algorithm>
#include <deque>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace steady::bridge::detail {

// Encode messages [from, from + max_count) of `ready` into one NATS payload, stopping early once max_bytes is
// reached (at least one message). Returns how many.
template <class T, class C>
std::size_t nats_encode_batch(const C& codec, const SlicePair<const T>& ready, std::size_t from,
                              std::size_t max_count, std::size_t max_bytes, std::vector<std::byte>& out) {
  nats_write_header(out, 0);
  std::size_t n = 0;
  const std::size_t limit = std::min(ready.size() - from, std::max<std::size_t>(max_count, 1));
  while (n < limit && (n == 0 || out.size() - kNatsHeaderBytes < max_bytes)) {
    encode_one<T>(codec, ready[from + n], out);
    ++n;
  }
  nats_patch_count(out, static_cast<std::uint32_t>(n));
  return n;
}

// ---------------------------------------------------------------- publisher

struct PublisherState {
  std::vector<PubAckEvent> events;
  std::vector<std::byte> payload;
  std::size_t outstanding = 0;  // batches in state `sent`
  NatsClock::time_point next_status{};
};

// A new incarnation: nothing it publishes has an answer pending (the previous connection is gone), so every
// batch not yet acknowledged is sent again, with the same boundaries and ids.
inline void publisher_restart(PublisherShared& sh, PublisherState& st) {
  for (auto& b : sh.batches)
    if (b.state == PubBatch::State::sent) b.state = PubBatch::State::unsent;
  st.outstanding = 0;
}

inline void publisher_apply_events(PublisherShared& sh, PublisherLink& link, PublisherState& st,
                                   NatsClock::time_point now) {
  link.take_events(st.events);
  auto& batches = sh.batches;
  for (const auto& e : st.events) {
    auto it = std::lower_bound(batches.begin(), batches.end(), e.first,
                               [](const PubBatch& b, std::uint64_t f) { return b.first < f; });
    if (it == batches.end() || it->first != e.first || it->state != PubBatch::State::sent) continue;  // stale
    --st.outstanding;
    if (e.ok) {
      it->state = PubBatch::State::acked;
      sh.acked_batches.fetch_add(1, std::memory_order_relaxed);
      if (e.duplicate) sh.duplicates.fetch_add(1, std::memory_order_relaxed);
    } else {
      // Refused for its predecessor: resent (in order) as soon as the predecessor is settled; anything else
      // after a pause.
      it->state = PubBatch::State::unsent;
      it->retry_at = e.wrong_predecessor ? now : now + sh.options.reconnect_wait;
      sh.failures.fetch_add(1, std::memory_order_relaxed);
      if (e.wrong_predecessor) sh.refused_order.fetch_add(1, std::memory_order_relaxed);
      {
        std::lock_guard lock(sh.mu);
        sh.last_failure = "batch at " + std::to_string(e.first) + (it == batches.begin() ? " (front)" : "") +
                          ": " + e.error;
      }
      link.note_failure(e, it == batches.begin());
    }
  }
  st.events.clear();
}

// One pass: apply PubAcks (remove the acknowledged prefix from the channel), resend what failed, publish what
// is new, up to max_in_flight publishes awaiting their PubAck.
template <class T, class C>
void publisher_pass(Rx<T>& rx, PublisherLink& link, PublisherShared& sh, const C& codec, PublisherState& st,
                    NatsClock::time_point now) {
  const NatsPublisherOptions& o = sh.options;
  publisher_apply_events(sh, link, st, now);
  auto& batches = sh.batches;
  while (!batches.empty() && batches.front().state == PubBatch::State::acked) {
    rx.advance_take(batches.front().count);  // peek-before-commit: removed only once JetStream has it
    sh.acknowledged.fetch_add(batches.front().count, std::memory_order_relaxed);
    sh.last_acked_first = batches.front().first;
    batches.pop_front();
  }
  if (link.ready()) {
    const std::uint64_t base = rx.ring().taken_total();
    const std::size_t max_in_flight = std::max<std::size_t>(o.max_in_flight, 1);
    bool blocked = false, waiting = false;
    std::optional<std::uint64_t> prev = sh.last_acked_first;
    auto predecessor = [&]() { return o.ordered ? prev : std::nullopt; };
    for (auto& b : batches) {  // resends first, in position order
      if (st.outstanding >= max_in_flight) break;
      if (b.state == PubBatch::State::sent && o.ordered)
        waiting = true;  // its fate decides the ones after it
      if (b.state == PubBatch::State::unsent) {
        if (waiting || b.retry_at > now) {
          blocked = true;  // nothing new before this one is through
          if (o.ordered) break;
          prev = b.first;
          continue;
        }
        const std::size_t off = b.first - base;
        const auto ready = rx.peek_slice(off + b.count);
        nats_encode_batch<T>(codec, ready, off, b.count, std::numeric_limits<std::size_t>::max(), st.payload);
        if (!link.publish(st.payload, b.first, predecessor())) {
          b.retry_at = now + o.reconnect_wait;
          blocked = true;
          break;
        }
        if (b.published_once) sh.resent.fetch_add(1, std::memory_order_relaxed);
        b.published_once = true;
        b.state = PubBatch::State::sent;
        ++st.outstanding;
        sh.published.fetch_add(1, std::memory_order_relaxed);
      }
      prev = b.first;
    }
    while (!blocked && st.outstanding < max_in_flight) {  // then what is new
      const std::uint64_t next = batches.empty() ? base : batches.back().first + batches.back().count;
      const std::size_t off = next - base;
      const auto ready = rx.peek_slice(off + std::max<std::size_t>(o.max_batch_count, 1));
      if (ready.size() <= off) break;
      const std::size_t n =
          nats_encode_batch<T>(codec, ready, off, o.max_batch_count, o.max_batch_bytes, st.payload);
      prev = batches.empty() ? sh.last_acked_first : std::optional<std::uint64_t>(batches.back().first);
      batches.push_back({next, static_cast<std::uint32_t>(n), PubBatch::State::unsent, false, {}});
      if (!link.publish(st.payload, next, predecessor())) {
        batches.back().retry_at = now + o.reconnect_wait;
        break;
      }
      batches.back().state = PubBatch::State::sent;
      batches.back().published_once = true;
      ++st.outstanding;
      sh.published.fetch_add(1, std::memory_order_relaxed);
    }
  }
  sh.in_flight.store(st.outstanding, std::memory_order_relaxed);
  sh.held_batches.store(batches.size(), std::memory_order_relaxed);
  link.note_waiting(rx.avail_units());
}

// ---------------------------------------------------------------- subscriber

template <class O>
struct IsSequenced : std::false_type {};
template <class T>
struct IsSequenced<Sequenced<T>> : std::true_type {};

template <class O>
struct SubscriberState {
  std::deque<FetchedMsg> inbox;  // handed over by the helper thread, not yet decoded
  std::vector<O> pending;  // decoded messages of the open NATS message not yet in the channel, from `pos`
  std::vector<std::uint32_t> pending_index;
  std::size_t pos = 0;
  bool open = false;  // a NATS message is being delivered
  SubEntry current;   // its entry (end set when it is done)
  bool stopping = false;
  std::optional<NatsClock::time_point> stop_since;
  std::vector<SubEntry> popped;
  NatsClock::time_point next_status{};
};

// Acknowledge what the channel's consumer has taken: entries whose messages are all taken leave the queue,
// and the last one with a current-generation reply is acknowledged (AckAll covers the ones before it).
template <class O>
void subscriber_ack_taken(Tx<O>& tx, SubscriberLink& link, SubscriberShared& sh, SubscriberState<O>& st) {
  SubDurable& d = sh.durable;
  const std::uint64_t taken = tx.ring().taken_total();
  st.popped.clear();
  while (!d.unacked.empty() && d.unacked.front().end <= taken) {
    d.taken_through = d.unacked.front().seq;
    st.popped.push_back(std::move(d.unacked.front()));
    d.unacked.pop_front();
  }
  for (auto it = st.popped.rbegin(); it != st.popped.rend(); ++it)
    if (link.ack(*it) != SubscriberLink::AckOutcome::stale) break;  // stale: try an earlier one
}

template <class O>
void subscriber_deliver_pending(Tx<O>& tx, SubscriberShared& sh, SubscriberState<O>& st) {
  SubDurable& d = sh.durable;
  if (st.pos < st.pending.size()) {
    const std::size_t n = tx.send_slice_move(std::span<O>(st.pending).subspan(st.pos));
    if (n != 0) {
      st.pos += n;
      d.delivered = std::max(d.delivered, NatsPosition{st.current.seq, st.pending_index[st.pos - 1]});
      sh.delivered.fetch_add(n, std::memory_order_relaxed);
    }
  }
  if (st.open && st.pos == st.pending.size()) {
    st.open = false;
    st.current.end = tx.ring().sent_total();
    d.delivered = std::max(d.delivered, NatsPosition{st.current.seq, st.current.last_index});
    d.seen_seq = st.current.seq;
    d.unacked.push_back(std::move(st.current));
    st.pending.clear();
    st.pending_index.clear();
    st.pos = 0;
  }
}

// One fetched NATS message: a redelivery of something already handled (acknowledge it now if taken, or keep
// its fresher reply), or a new one (decoded; messages at or before `delivered` are dropped).
template <class T, class O, class C>
void subscriber_handle(Tx<O>& tx, SubscriberLink& link, SubscriberShared& sh, const C& codec,
                       SubscriberState<O>& st, FetchedMsg& f) {
  SubDurable& d = sh.durable;
  sh.received.fetch_add(1, std::memory_order_relaxed);
  const std::uint64_t seq = f.seq();
  if (seq <= d.seen_seq) {
    sh.redelivered.fetch_add(1, std::memory_order_relaxed);
    SubEntry fresh{seq, 0, 0, f.reply(), f.generation()};
    if (seq <= d.taken_through) {
      (void)link.ack(fresh);  // taken long ago: harmless to acknowledge again, and needed after a re-creation
      return;
    }
    auto it = std::lower_bound(d.unacked.begin(), d.unacked.end(), seq,
                               [](const SubEntry& e, std::uint64_t s) { return e.seq < s; });
    if (it != d.unacked.end() && it->seq == seq) {
      it->reply = std::move(fresh.reply);
      it->gen = fresh.gen;
    }
    return;
  }
  const auto payload = f.data();
  const auto count = nats_read_header(payload);
  st.current = SubEntry{seq, count && *count > 0 ? *count - 1 : 0, 0, f.reply(), f.generation()};
  st.pending.clear();
  st.pending_index.clear();
  st.pos = 0;
  st.open = true;
  if (!count) {
    sh.malformed.fetch_add(1, std::memory_order_relaxed);
    link.log_malformed("a NATS message without the bridge's header (seq " + std::to_string(seq) + ")");
  } else {
    if (*count > std::max<std::size_t>(sh.options.items_per_message, 1)) link.note_oversized(*count);
    // Skip what is at or before `delivered` (resume_after, or a batch half delivered by an earlier one).
    std::size_t skip = 0;
    if (seq == d.delivered.seq)
      skip = std::min<std::size_t>(*count, std::size_t{d.delivered.index} + 1);
    else if (seq < d.delivered.seq)
      skip = *count;
    sh.resumed.fetch_add(skip, std::memory_order_relaxed);
    const auto tally =
        decode_payload<T>(codec, payload.subspan(kNatsHeaderBytes), *count, skip, [&](std::size_t i, T&& v) {
          if constexpr (IsSequenced<O>::value)
            st.pending.push_back(O{seq, static_cast<std::uint32_t>(i), *count, std::move(v)});
          else
            st.pending.push_back(std::move(v));
          st.pending_index.push_back(static_cast<std::uint32_t>(i));
        });
    if (tally.malformed != 0) {
      sh.malformed.fetch_add(tally.malformed, std::memory_order_relaxed);
      link.log_malformed(std::to_string(tally.malformed) +
                         " malformed message(s) in the NATS message of seq " + std::to_string(seq));
    }
  }
  f.release();  // decoded: the payload is no longer needed
  subscriber_deliver_pending(tx, sh, st);
}

// How many NATS messages the helper thread may fetch beyond what is held: the channel's room, minus what is
// decoded and waiting, divided by items_per_message (rounded down).
template <class O>
std::size_t subscriber_budget(Tx<O>& tx, const SubscriberShared& sh, const SubscriberState<O>& st) {
  if (st.stopping) return 0;
  const std::uint64_t ipm = std::max<std::size_t>(sh.options.items_per_message, 1);
  const std::uint64_t held = (st.pending.size() - st.pos) + st.inbox.size() * ipm;
  const std::uint64_t vacant = tx.vacant_units();
  std::uint64_t budget = vacant > held ? (vacant - held) / ipm : 0;
  if (budget == 0 && held == 0 && vacant == tx.capacity()) budget = 1;  // a channel smaller than one batch
  return static_cast<std::size_t>(budget);
}

// One pass: acknowledge what was taken, deliver what is decoded, take over what was fetched (allowing the
// helper to fetch only what the channel has room for), decode it, acknowledge again.
template <class T, class O, class C>
void subscriber_pass(Tx<O>& tx, SubscriberLink& link, SubscriberShared& sh, const C& codec,
                     SubscriberState<O>& st) {
  subscriber_ack_taken(tx, link, sh, st);
  subscriber_deliver_pending(tx, sh, st);
  if (st.stopping) {
    link.exchange(0,
                  st.inbox);  // fetch no more; what was fetched stays unacknowledged (delivered again later)
  } else {
    link.exchange(subscriber_budget(tx, sh, st), st.inbox);
    while (!st.open && !st.inbox.empty()) {
      FetchedMsg f = std::move(st.inbox.front());
      st.inbox.pop_front();
      subscriber_handle<T>(tx, link, sh, codec, st, f);
    }
    if (!st.open) link.exchange(subscriber_budget(tx, sh, st), st.inbox);  // room freed by decoding: fetch on
  }
  subscriber_ack_taken(tx, link, sh, st);
  link.note_waiting();
}

// The vacant count worth waking up for: room for the open message to go on, room for another NATS message
// when the budget is exhausted, or the front entry taken (to acknowledge it). 0: nothing (wait for the bell).
template <class O>
std::uint64_t subscriber_wake_vacant(Tx<O>& tx, const SubscriberShared& sh, const SubscriberState<O>& st) {
  if (tx.ring().consumer_gone()) return 0;
  const std::uint64_t cap = tx.capacity();
  std::uint64_t want = 0;
  auto consider = [&](std::uint64_t n) { want = want == 0 ? n : std::min(want, n); };
  if (!st.stopping) {
    if (st.open)
      consider(1);
    else if (subscriber_budget(tx, sh, st) == 0)
      consider(std::min<std::uint64_t>(cap, std::max<std::size_t>(sh.options.items_per_message, 1)));
  }
  if (!sh.durable.unacked.empty()) {
    const std::uint64_t sent = tx.ring().sent_total(), end = sh.durable.unacked.front().end;
    consider(cap - std::min(cap, sent - std::min(sent, end)));
  }
  return std::min(want, cap);
}

}  // namespace steady::bridge::detail

namespace steady::bridge {

template <class T, class C>
requires CodecFor<C, T> Task NatsPublisher<T, C>::run(Context& ctx, Rx<T>& rx,
                                                      std::shared_ptr<detail::PublisherShared> sh, C codec) {
  detail::PublisherLink link(sh, ctx.full_name());
  detail::set_nats_labels(ctx, "egress", sh->options.url, sh->options.stream, sh->options.subject);
  detail::PublisherState st;
  detail::publisher_restart(*sh, st);
  auto vote = [&]() -> Vote {
    return detail::publisher_vote(rx.avail_units(), rx.is_closed(), link.describe());
  };
  while (ctx.is_running(vote)) {
    (void)sh->bell.answer();  // rings from here on wake the next wait
    const auto now = detail::NatsClock::now();
    detail::publisher_pass(rx, link, *sh, codec, st, now);
    if (now >= st.next_status) {
      st.next_status = now + std::chrono::milliseconds(500);
      ctx.set_status(link.describe() +
                     (link.ready() ? ", " + std::to_string(st.outstanding) + " in flight" : ", connecting"));
    }
    if (rx.is_closed_and_empty()) {  // everything taken was acknowledged
      if (sh->options.stop_graph_when_done) ctx.request_shutdown();
      co_return;
    }
    const std::uint64_t batched =
        sh->batches.empty() ? 0
                            : sh->batches.back().first + sh->batches.back().count - rx.ring().taken_total();
    if (link.ready() && !rx.is_closed() && batched < rx.capacity() &&
        st.outstanding < std::max<std::size_t>(sh->options.max_in_flight, 1))
      co_await ctx.wait_any(rung(sh->bell), avail(rx, batched + 1), after(sh->options.poll));
    else
      co_await ctx.wait_any(rung(sh->bell), after(sh->options.poll));
  }
}

template <class T, class C>
requires CodecFor<C, T>
template <class O>
Task NatsSubscriber<T, C>::run(Context& ctx, Tx<O>& tx, std::shared_ptr<detail::SubscriberShared> sh,
                               C codec) {
  if (!sh->durable.initialised) {
    sh->durable.delivered = sh->options.resume_after;
    sh->durable.initialised = true;
  }
  sh->capacity.store(tx.capacity(), std::memory_order_relaxed);
  detail::SubscriberLink link(sh, ctx.full_name());
  detail::set_nats_labels(ctx, "ingress", sh->options.url, sh->options.stream, sh->options.subject);
  detail::SubscriberState<O> st;
  auto vote = [&]() -> Vote {
    st.stopping = true;
    if (sh->durable.unacked.empty() || tx.ring().consumer_gone() || !sh->conn.connected.load())
      return agree();
    const auto now = detail::NatsClock::now();
    if (!st.stop_since) st.stop_since = now;
    if (now - *st.stop_since < sh->options.stop_ack_grace)
      return veto(std::to_string(sh->durable.unacked.size()) +
                  " NATS messages delivered into its output are not taken yet (acknowledged to " +
                  link.describe() + " once they are)");
    log(LogLevel::warn,
        "bridge nats subscriber '" + ctx.full_name() + "': " + std::to_string(sh->durable.unacked.size()) +
            " NATS messages in its output were not taken within stop_ack_grace; stopping without "
            "acknowledging them (the next subscriber gets them again)");
    return agree();
  };
  while (ctx.is_running(vote)) {
    (void)sh->bell.answer();
    detail::subscriber_pass<T>(tx, link, *sh, codec, st);
    const auto now = detail::NatsClock::now();
    if (now >= st.next_status) {
      st.next_status = now + std::chrono::milliseconds(500);
      ctx.set_status(link.describe() +
                     (sh->conn.connected.load()
                          ? ", " + std::to_string(sh->durable.unacked.size()) + " unacknowledged"
                          : ", connecting"));
    }
    const std::uint64_t n = detail::subscriber_wake_vacant(tx, *sh, st);
    if (n != 0)
      co_await ctx.wait_any(rung(sh->bell), vacant(tx, n), after(sh->options.poll));
    else
      co_await ctx.wait_any(rung(sh->bell), after(sh->options.poll));
  }
}

}  // namespace steady::bridge
