// src/bridge/nats_subscriber.cpp — the subscriber's link: a helper thread that connects, sets up the stream
// and the durable pull consumer, and fetches only what the actor allows (its channel's room), handing
// messages over under a mutex and ringing the actor's Doorbell. The actor sends acknowledgements (AckAll).
//
// Re-creating the consumer ("resync") keeps delivery in stream order. A pull consumer that lost deliveries (a
// fetch answered while the connection was down, a restarted server) would redeliver them only after ack_wait,
// after newer messages — and acknowledging a newer message with AckAll would then acknowledge the lost ones
// too. So on start, after every reconnect, and whenever the consumer's delivery sequence skips (deliveries we
// never saw), the helper deletes the durable consumer and creates it again starting right after the last
// acknowledged message (the larger of the server's ack floor, what this process acknowledged, and
// resume_after). Messages delivered again that way are dropped by the actor (already in its channel) and
// acknowledged once taken. Acknowledgements carry the consumer generation of their reply; the actor sends one
// only for the current generation, under the same mutex the helper holds while it starts a new generation,
// and the helper flushes the connection before deleting the consumer — so the re-created consumer (same name)
// never sees an old reply.
//
// Fetching. The helper sends its own pull requests (`$JS.API.CONSUMER.MSG.NEXT.<stream>.<durable>`, JSON
// {"batch","expires"}) with a reply subject under an inbox of its own, and reads the answers from a plain
// synchronous subscription on that inbox. It does not use cnats' natsSubscription_Fetch: in cnats 3.4.1
// (Debian 12) that function overflows its message array when the subscription already holds deliveries that
// arrived after an earlier fetch gave up (the loop compares its count against the batch size it has already
// reduced by that count) — found by ASan in the two-process test, as heap corruption in the subscriber. Late
// deliveries are harmless here: they are the consumer's next deliveries, in order, and each request's end is
// told by its own status message (404/408/409) on its own reply subject.
#include <algorithm>
#include <chrono>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "nats_connection.hpp"

namespace steady::bridge::detail {

// ---------------------------------------------------------------- fetched messages

std::span<const std::byte> FetchedMsg::data() const noexcept {
  auto* m = static_cast<natsMsg*>(msg_);
  if (m == nullptr) return {};
  return {reinterpret_cast<const std::byte*>(natsMsg_GetData(m)),
          static_cast<std::size_t>(natsMsg_GetDataLength(m))};
}

std::string FetchedMsg::reply() const {
  auto* m = static_cast<natsMsg*>(msg_);
  const char* r = m != nullptr ? natsMsg_GetReply(m) : nullptr;
  return r != nullptr ? std::string(r) : std::string();
}

void FetchedMsg::release() noexcept {
  if (msg_ != nullptr) natsMsg_Destroy(static_cast<natsMsg*>(msg_));
  msg_ = nullptr;
}

// ---------------------------------------------------------------- the link

struct SubscriberLink::Impl {
  Impl(std::shared_ptr<SubscriberShared> sh, std::string name)
      : shared(std::move(sh)),
        who("bridge nats subscriber '" + name + "'"),
        log_helper(shared->options.retry_log_every),
        log_waiting(shared->options.retry_log_every),
        log_bad(std::chrono::milliseconds(1000)),
        log_size(shared->options.retry_log_every) {
    NatsSubscriberOptions& o = shared->options;
    check_options(who, o.url, o.subject, o.stream, true);
    if (o.durable.empty()) throw std::invalid_argument(who + ": no durable consumer name configured");
    if (o.stream_subjects.empty()) o.stream_subjects = {o.subject};
    where = o.url + " stream " + o.stream + " subject " + o.subject;
    auto hooks = std::make_unique<ConnHooks>();
    hooks->keep = shared;
    hooks->state = &shared->conn;
    hooks->bell = &shared->bell;
    hooks->who = who;
    hooks->url = o.url;
    hooks->reconnect_wait = o.reconnect_wait;
    conn = std::make_unique<NatsConn>(std::move(hooks));
    disconnected_since = NatsClock::now();
    helper = std::thread([this] { run(); });
  }
  ~Impl() {
    stop.store(true);
    {
      std::lock_guard lock(mu);  // no lost wake-up: the helper checks `stop` under mu
    }
    cv.notify_all();
    conn->hooks().signal();
    if (helper.joinable()) helper.join();
    drop_subscription();
    conn.reset();
    std::lock_guard lock(mu);
    queue.clear();
  }

  void drop_subscription() {
    if (sub == nullptr) return;
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    sub = nullptr;
  }

  // Wait up to `d` or until stopped / woken.
  void pause(std::chrono::milliseconds d) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, d, [&] { return stop.load(); });
  }

  void helper_log(const std::string& line) {
    if (log_helper.warn(who + ": " + line))
      shared->conn.retry_warnings.fetch_add(1, std::memory_order_relaxed);
  }

  // (Re)create the durable consumer after the last acknowledged message, and subscribe to it.
  bool resync() {
    const NatsSubscriberOptions& o = shared->options;
    std::uint64_t hint = 0, gen = 0;
    {
      std::lock_guard lock(shared->ack_mu);
      gen = ++shared->generation;  // from here on, acknowledgements with older replies are not sent
      hint = shared->acked_through;
    }
    (void)natsConnection_FlushTimeout(conn->nc(), 1000);  // earlier acknowledgements reach the server first
    drop_subscription();
    jsErrCode ec = static_cast<jsErrCode>(0);
    jsConsumerInfo* ci = nullptr;
    std::uint64_t floor = 0;
    natsStatus s = js_GetConsumerInfo(&ci, conn->js(), o.stream.c_str(), o.durable.c_str(), nullptr, &ec);
    if (s == NATS_OK) {
      floor = ci->AckFloor.Stream;
      jsConsumerInfo_Destroy(ci);
      s = js_DeleteConsumer(conn->js(), o.stream.c_str(), o.durable.c_str(), nullptr, &ec);
      if (s != NATS_OK && s != NATS_NOT_FOUND) {
        helper_log("cannot re-create consumer '" + o.durable + "': " + nats_error_text(s));
        return false;
      }
    } else if (s != NATS_NOT_FOUND) {
      helper_log("cannot look up consumer '" + o.durable + "' on stream '" + o.stream +
                 "': " + nats_error_text(s));
      return false;
    }
    const std::uint64_t resume =
        o.resume_after.seq > 0 ? o.resume_after.seq - 1 : 0;  // its tail may be missing
    const std::uint64_t start = std::max({floor, hint, resume}) + 1;
    const std::uint64_t cap = shared->capacity.load();
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = o.durable.c_str();
    cc.AckPolicy = js_AckAll;
    cc.DeliverPolicy = start <= 1 ? js_DeliverAll : js_DeliverByStartSequence;
    cc.OptStartSeq = start <= 1 ? 0 : start;
    cc.FilterSubject = o.subject.c_str();
    cc.AckWait = std::chrono::duration_cast<std::chrono::nanoseconds>(o.ack_wait).count();
    // Unacknowledged NATS messages: at most what the channel holds (one message each, at worst) + fetches.
    cc.MaxAckPending = static_cast<std::int64_t>(
        std::max<std::uint64_t>(1000, cap + 4 * std::max<std::size_t>(o.max_fetch, 1)));
    ci = nullptr;
    s = js_AddConsumer(&ci, conn->js(), o.stream.c_str(), &cc, nullptr, &ec);
    jsConsumerInfo_Destroy(ci);
    if (s != NATS_OK) {
      helper_log("cannot create consumer '" + o.durable + "' on stream '" + o.stream +
                 "': " + nats_error_text(s));
      return false;
    }
    // A fresh inbox per generation: answers to an old consumer's requests can never reach the new one.
    natsInbox* box = nullptr;
    s = natsInbox_Create(&box);
    if (s == NATS_OK) {
      inbox = box;
      natsInbox_Destroy(box);
      s = natsConnection_SubscribeSync(&sub, conn->nc(), (inbox + ".*").c_str());
    }
    if (s != NATS_OK) {
      sub = nullptr;
      helper_log("cannot subscribe to consumer '" + o.durable + "': " + nats_error_text(s));
      return false;
    }
    (void)natsSubscription_SetPendingLimits(sub, -1, -1);  // bounded by our requests (grant), not by cnats
    next_subject = "$JS.API.CONSUMER.MSG.NEXT." + o.stream + "." + o.durable;
    generation = gen;
    expected_dseq = 1;
    shared->resyncs.fetch_add(1, std::memory_order_relaxed);
    log(LogLevel::info, who + ": consuming " + where + " from stream sequence " + std::to_string(start) +
                            " (durable consumer '" + o.durable + "')");
    return true;
  }

  // Helper thread.
  void run() {
    ConnHooks& h = conn->hooks();
    const NatsSubscriberOptions& o = shared->options;
    if (!conn->open(false)) {
      log(LogLevel::error, who + ": " + h.error());
      return;
    }
    bool need_setup = true;
    while (!stop.load()) {
      if (!conn->wait_connected(o.reconnect_wait, stop)) continue;
      if (h.reconnected.exchange(false)) need_setup = true;
      if (need_setup) {
        const std::string problem = ensure_stream(conn->js(), o.stream, o.stream_subjects, o.ensure_stream);
        if (!problem.empty()) {
          h.set_error(problem);
          helper_log(problem + "; retrying every " + std::to_string(o.reconnect_wait.count()) + " ms");
          pause(o.reconnect_wait);
          continue;
        }
        if (!resync()) {
          pause(o.reconnect_wait);
          continue;
        }
        need_setup = false;
      }
      int want = 0;
      {
        std::unique_lock lock(mu);
        cv.wait_for(lock, o.poll, [&] { return stop.load() || grant > queue.size(); });
        if (grant > queue.size())
          want = static_cast<int>(
              std::min<std::size_t>(grant - queue.size(), std::max<std::size_t>(o.max_fetch, 1)));
      }
      if (want == 0 || stop.load()) continue;
      Fetched got;
      const std::string problem = fetch(want, got);
      if (!got.msgs.empty()) {
        shared->fetches.fetch_add(1, std::memory_order_relaxed);
        if (!hand_over(got.msgs)) need_setup = true;
      }
      if (!problem.empty() && shared->conn.connected.load()) {
        helper_log("fetch failed: " + problem + "; re-creating the consumer");
        need_setup = true;
        pause(o.reconnect_wait);
      }
    }
  }

  // What one pull request brought: deliveries in arrival order (owned; destroyed unless handed over).
  struct Fetched {
    std::vector<natsMsg*> msgs;
    Fetched() = default;
    Fetched(const Fetched&) = delete;
    Fetched& operator=(const Fetched&) = delete;
    ~Fetched() {
      for (natsMsg* m : msgs) natsMsg_Destroy(m);
    }
  };

  // Ask the consumer for up to `want` deliveries, waiting up to fetch_wait on the server, and collect them
  // until the request is answered in full or ends (its status message), or a grace period past its expiry
  // passes (server gone: late answers are read by the next request). "" or what went wrong.
  std::string fetch(int want, Fetched& got) {
    const NatsSubscriberOptions& o = shared->options;
    const auto wait = std::max(o.fetch_wait, std::chrono::milliseconds(1));
    const std::string reply = inbox + "." + std::to_string(++request_id);
    const std::string body =
        "{\"batch\":" + std::to_string(want) + ",\"expires\":" +
        std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count()) + "}";
    natsStatus s = natsConnection_PublishRequest(conn->nc(), next_subject.c_str(), reply.c_str(), body.data(),
                                                 static_cast<int>(body.size()));
    if (s != NATS_OK) return "cannot send a pull request: " + nats_error_text(s);
    const auto deadline = NatsClock::now() + wait + std::chrono::seconds(1);
    while (static_cast<int>(got.msgs.size()) < want && !stop.load()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - NatsClock::now());
      if (left.count() <= 0) return "";  // no answer in time (a server restart, say): ask again
      natsMsg* m = nullptr;
      s = natsSubscription_NextMsg(&m, sub, left.count());
      if (s == NATS_TIMEOUT) return "";
      if (s != NATS_OK) return nats_error_text(s);
      const char* status = nullptr;
      if (natsMsgHeader_Get(m, "Status", &status) == NATS_OK && status != nullptr) {
        // A request's end (404 no messages, 408 expired, 409 e.g. consumer deleted), or an idle heartbeat
        // (100); a status of an older request is ignored.
        const std::string code(status);
        const char* subj = natsMsg_GetSubject(m);
        const bool ours = subj != nullptr && reply == subj;
        const char* why = nullptr;
        std::string text = code;
        if (natsMsgHeader_Get(m, "Description", &why) == NATS_OK && why != nullptr) text += " " + std::string(why);
        natsMsg_Destroy(m);
        if (!ours || code == "100") continue;
        if (code == "404" || code == "408") return "";
        return "the server answered " + text;
      }
      got.msgs.push_back(m);
    }
    return "";
  }

  // Move fetched messages to the queue, in order; stop at a skipped delivery sequence (false: resync).
  bool hand_over(std::vector<natsMsg*>& msgs) {
    bool in_order = true;
    std::size_t handed = 0;
    {
      std::lock_guard lock(mu);
      for (std::size_t i = 0; i < msgs.size() && in_order; ++i) {
        jsMsgMetaData* md = nullptr;
        if (natsMsg_GetMetaData(&md, msgs[i]) != NATS_OK) continue;  // not a JetStream message: dropped
        const std::uint64_t sseq = md->Sequence.Stream, dseq = md->Sequence.Consumer;
        jsMsgMetaData_Destroy(md);
        if (dseq > expected_dseq) {  // deliveries we never received: start over from the last acknowledged
          log(LogLevel::info, who + ": consumer deliveries " + std::to_string(expected_dseq) + ".." +
                                  std::to_string(dseq - 1) +
                                  " were lost in transit; re-creating the consumer");
          in_order = false;
          break;
        }
        expected_dseq = dseq + 1;
        queue.emplace_back(msgs[i], sseq, generation);
        msgs[i] = nullptr;  // now owned by the FetchedMsg (natsMsg_Destroy ignores null)
        ++handed;
      }
    }
    if (handed != 0) shared->bell.ring();
    return in_order;
  }

  std::shared_ptr<SubscriberShared> shared;
  std::string who, where;
  std::unique_ptr<NatsConn> conn;
  natsSubscription* sub = nullptr;  // helper thread only: a plain subscription on `inbox`.*
  std::string inbox, next_subject;  // helper thread only
  std::uint64_t request_id = 0;     // helper thread only: the last pull request's reply token
  std::uint64_t generation = 0;     // helper thread only: of `sub`
  std::uint64_t expected_dseq = 1;  // helper thread only
  std::thread helper;
  std::atomic<bool> stop{false};
  std::mutex mu;  // guards queue, grant
  std::condition_variable cv;
  std::deque<FetchedMsg> queue;
  std::size_t grant = 0;  // NATS messages the helper may have fetched and not yet handed over
  RateLimitedLog log_helper, log_waiting, log_bad, log_size;
  NatsClock::time_point disconnected_since;
};

SubscriberLink::SubscriberLink(std::shared_ptr<SubscriberShared> shared, std::string actor_name)
    : impl_(std::make_unique<Impl>(std::move(shared), std::move(actor_name))) {}
SubscriberLink::~SubscriberLink() = default;

void SubscriberLink::exchange(std::size_t budget, std::deque<FetchedMsg>& out) {
  Impl& m = *impl_;
  bool more = false;
  {
    std::lock_guard lock(m.mu);
    const std::size_t moved = m.queue.size();
    for (auto& f : m.queue) out.push_back(std::move(f));
    m.queue.clear();
    const std::size_t g = budget > moved ? budget - moved : 0;
    more = g > m.grant;
    m.grant = g;
  }
  if (more) m.cv.notify_all();
}

SubscriberLink::AckOutcome SubscriberLink::ack(const SubEntry& e) {
  Impl& m = *impl_;
  SubscriberShared& sh = *m.shared;
  std::lock_guard lock(sh.ack_mu);
  if (e.gen != sh.generation || m.conn->nc() == nullptr) return AckOutcome::stale;
  static constexpr char kAck[] = "+ACK";
  const natsStatus s = natsConnection_Publish(m.conn->nc(), e.reply.c_str(), kAck, 4);
  if (s != NATS_OK)
    return AckOutcome::failed;  // the consumer redelivers it; it is dropped and acknowledged then
  sh.acked_through = std::max(sh.acked_through, e.seq);
  sh.acknowledged.fetch_add(1, std::memory_order_relaxed);
  const NatsPosition now{e.seq, e.last_index};
  if (now > NatsPosition{sh.last_ack_seq.load(std::memory_order_relaxed),
                         sh.last_ack_index.load(std::memory_order_relaxed)}) {
    sh.last_ack_seq.store(e.seq, std::memory_order_relaxed);
    sh.last_ack_index.store(e.last_index, std::memory_order_relaxed);
  }
  return AckOutcome::sent;
}

void SubscriberLink::note_waiting() {
  Impl& m = *impl_;
  const auto now = NatsClock::now();
  if (m.shared->conn.connected.load(std::memory_order_acquire)) {
    m.disconnected_since = now;
    return;
  }
  const auto every = m.shared->options.retry_log_every;
  if (now - m.disconnected_since < every) return;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - m.disconnected_since).count();
  std::string why = m.conn->hooks().error();
  if (why.empty()) why = "not connected";
  if (m.log_waiting.warn(m.who + ": no connection to " + m.shared->options.url + " for " +
                         std::to_string(ms) + " ms (" + why + "); reconnecting every " +
                         std::to_string(m.shared->options.reconnect_wait.count()) + " ms"))
    m.shared->conn.retry_warnings.fetch_add(1, std::memory_order_relaxed);
}

void SubscriberLink::log_malformed(std::string_view what) {
  Impl& m = *impl_;
  m.log_bad.warn(m.who + ": dropped " + std::string(what) + " (acknowledged, not delivered)");
}

void SubscriberLink::note_oversized(std::uint32_t count) {
  Impl& m = *impl_;
  m.log_size.warn(m.who + ": a NATS message holds " + std::to_string(count) +
                  " messages, more than items_per_message (" +
                  std::to_string(m.shared->options.items_per_message) +
                  "): set it to the publisher's max_batch_count, "
                  "or fetches bring more than the channel has room for");
}

const std::string& SubscriberLink::describe() const noexcept {
  return impl_->where;
}

}  // namespace steady::bridge::detail
