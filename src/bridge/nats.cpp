// src/bridge/nats.cpp — the cnats side of steady::bridge_nats shared by both links (payload header,
// connection, callbacks, stream set-up) and the publisher's link. The delivery design is described in
// include/steady/bridge/nats.hpp and docs/distribution.md.
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

#include "nats_connection.hpp"

namespace steady::bridge::detail {
namespace {

constexpr std::uint32_t kMagic = 0x314E5453;  // "STN1" read as little-endian bytes: catches foreign messages

void put32(std::byte* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::byte>((v >> (8 * i)) & 0xffu);
}
std::uint32_t get32(const std::byte* p) noexcept {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(p[i]) << (8 * i);
  return v;
}

// ---- cnats callbacks: the closure is a ConnHooks (see nats_connection.hpp)
struct InCallback {
  explicit InCallback(ConnHooks& h) : hooks(h) { hooks.in_callback.fetch_add(1, std::memory_order_acq_rel); }
  ~InCallback() {
    // Under the mutex, notifying before unlocking: once close() sees zero it may destroy the hooks, so nothing
    // here may touch them after the unlock.
    std::lock_guard lock(hooks.mu);
    hooks.in_callback.fetch_sub(1, std::memory_order_acq_rel);
    hooks.cv.notify_all();
  }
  ConnHooks& hooks;
};

void on_connected(natsConnection*, void* closure) {
  auto& h = *static_cast<ConnHooks*>(closure);
  InCallback guard(h);
  h.state->connected.store(true, std::memory_order_release);
  log(LogLevel::info, h.who + ": connected to " + h.url);
  h.set_error({});
  h.signal();
  h.bell->ring();
}

void on_reconnected(natsConnection*, void* closure) {
  auto& h = *static_cast<ConnHooks*>(closure);
  InCallback guard(h);
  h.state->connected.store(true, std::memory_order_release);
  h.state->reconnects.fetch_add(1, std::memory_order_relaxed);
  h.reconnected.store(true, std::memory_order_release);
  log(LogLevel::info, h.who + ": reconnected to " + h.url);
  h.signal();
  h.bell->ring();
}

void on_disconnected(natsConnection*, void* closure) {
  auto& h = *static_cast<ConnHooks*>(closure);
  InCallback guard(h);
  const bool was = h.state->connected.exchange(false, std::memory_order_acq_rel);
  if (was && !h.closing.load(std::memory_order_acquire))
    log(LogLevel::warn, h.who + ": disconnected from " + h.url + "; reconnecting every " +
                            std::to_string(h.reconnect_wait.count()) + " ms");
  h.set_error("disconnected");
  h.bell->ring();
}

void on_closed(natsConnection*, void* closure) {
  auto& h = *static_cast<ConnHooks*>(closure);
  InCallback guard(h);
  h.state->connected.store(false, std::memory_order_release);
  h.closed.store(true, std::memory_order_release);
  h.signal();
}

void on_async_error(natsConnection*, natsSubscription*, natsStatus err, void* closure) {
  auto& h = *static_cast<ConnHooks*>(closure);
  InCallback guard(h);
  h.set_error(natsStatus_GetText(err));
}

void on_pub_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto& h = *static_cast<ConnHooks*>(closure);
  InCallback guard(h);
  if (h.on_pub_ack) h.on_pub_ack(msg, pa, pae);
  natsMsg_Destroy(msg);  // with an AckHandler, the message is ours to destroy
}

}  // namespace

// ---------------------------------------------------------------- payload header
// [0,4) magic  [4,8) count
void nats_write_header(std::vector<std::byte>& out, std::uint32_t count) {
  out.assign(kNatsHeaderBytes, std::byte{0});
  put32(out.data(), kMagic);
  put32(out.data() + 4, count);
}
void nats_patch_count(std::vector<std::byte>& out, std::uint32_t count) noexcept {
  put32(out.data() + 4, count);
}
std::optional<std::uint32_t> nats_read_header(std::span<const std::byte> payload) noexcept {
  if (payload.size() < kNatsHeaderBytes || get32(payload.data()) != kMagic) return std::nullopt;
  return get32(payload.data() + 4);
}

bool RateLimitedLog::warn(const std::string& line) {
  const auto now = NatsClock::now();
  if (last_ != NatsClock::time_point{} && now - last_ < every_) {
    ++suppressed_;
    return false;
  }
  last_ = now;
  log(LogLevel::warn, suppressed_ == 0 ? line
                                       : line + " (and " + std::to_string(suppressed_) +
                                             " similar events since the "
                                             "last such line)");
  suppressed_ = 0;
  return true;
}

// ---------------------------------------------------------------- connection

std::string nats_error_text(natsStatus s) {
  std::string text = natsStatus_GetText(s);
  natsStatus last = NATS_OK;
  if (const char* detail = nats_GetLastError(&last); detail != nullptr && *detail != '\0' && last == s)
    text += std::string(" (") + detail + ")";
  return text;
}

bool NatsConn::open(bool with_pub_acks) {
  ConnHooks& h = *hooks_;
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK) s = natsOptions_SetURL(opts, h.url.c_str());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);  // forever
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, h.reconnect_wait.count());
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 2000);  // one connect attempt
  if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(opts, true, on_connected, &h);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts, on_reconnected, &h);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts, on_disconnected, &h);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(opts, on_closed, &h);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, on_async_error, &h);
  if (s != NATS_OK) {
    h.set_error("invalid options for " + h.url + ": " + nats_error_text(s));
    natsOptions_Destroy(opts);
    return false;
  }
  s = natsConnection_Connect(&nc_, opts);
  natsOptions_Destroy(opts);  // the connection keeps its own copy
  if (s == NATS_OK) {
    h.state->connected.store(true, std::memory_order_release);
  } else if (s != NATS_NOT_YET_CONNECTED) {
    h.set_error("cannot connect to " + h.url + ": " + nats_error_text(s));
    nc_ = nullptr;
    return false;
  } else {
    h.set_error("no server reachable at " + h.url);
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 2000;  // JetStream API requests (stream and consumer set-up), on the helper thread only
  if (with_pub_acks) {
    jo.PublishAsync.AckHandler = on_pub_ack;
    jo.PublishAsync.AckHandlerClosure = &h;
  }
  s = natsConnection_JetStream(&js_, nc_, &jo);
  if (s != NATS_OK) {
    h.set_error("cannot create a JetStream context: " + nats_error_text(s));
    return false;
  }
  return true;
}

bool NatsConn::wait_connected(std::chrono::milliseconds d, const std::atomic<bool>& stop) {
  ConnHooks& h = *hooks_;
  std::unique_lock lock(h.mu);
  h.cv.wait_for(lock, d, [&] { return stop.load() || h.state->connected.load(std::memory_order_acquire); });
  return h.state->connected.load(std::memory_order_acquire);
}

void NatsConn::close() {
  if (nc_ == nullptr) {
    if (js_ != nullptr) jsCtx_Destroy(js_);
    js_ = nullptr;
    return;
  }
  ConnHooks& h = *hooks_;
  h.closing.store(true, std::memory_order_release);
  natsConnection_Close(nc_);
  bool quiet = false;
  {
    // The closed callback is the last one cnats posts for a connection; then wait for any still running.
    std::unique_lock lock(h.mu);
    quiet = h.cv.wait_for(lock, std::chrono::seconds(2), [&] {
      return h.closed.load(std::memory_order_acquire) && h.in_callback.load(std::memory_order_acquire) == 0;
    });
  }
  if (js_ != nullptr) jsCtx_Destroy(js_);
  natsConnection_Destroy(nc_);
  js_ = nullptr;
  nc_ = nullptr;
  h.state->connected.store(false, std::memory_order_release);
  if (!quiet) {
    log(LogLevel::warn,
        h.who +
            ": the NATS connection did not confirm its close within 2 s; keeping its callback "
            "state alive");
    (void)hooks_.release();  // a late callback must not touch freed memory: leak this small object instead
  }
}

std::string ensure_stream(jsCtx* js, const std::string& stream, const std::vector<std::string>& subjects,
                          bool create) {
  jsStreamInfo* si = nullptr;
  jsErrCode ec = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js, stream.c_str(), nullptr, &ec);
  jsStreamInfo_Destroy(si);
  if (s == NATS_OK) return {};
  if (s != NATS_NOT_FOUND) return "cannot look up stream '" + stream + "': " + nats_error_text(s);
  if (!create)
    return "stream '" + stream +
           "' does not exist (create it, or set ensure_stream = true to let the bridge)";
  std::vector<const char*> subj;
  for (const auto& x : subjects) subj.push_back(x.c_str());
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = stream.c_str();
  cfg.Subjects = subj.data();
  cfg.SubjectsLen = static_cast<int>(subj.size());
  cfg.Storage = js_FileStorage;
  si = nullptr;
  s = js_AddStream(&si, js, &cfg, nullptr, &ec);
  jsStreamInfo_Destroy(si);
  if (s == NATS_OK || ec == JSStreamNameExistErr) return {};  // created, or by someone else meanwhile
  return "cannot create stream '" + stream + "': " + nats_error_text(s);
}

void check_options(const std::string& who, const std::string& url, const std::string& subject,
                   const std::string& stream, bool stream_required) {
  if (url.empty())
    throw std::invalid_argument(who + ": no server url configured (e.g. nats://127.0.0.1:4222)");
  if (subject.empty()) throw std::invalid_argument(who + ": no subject configured");
  if (stream_required && stream.empty())
    throw std::invalid_argument(who + ": no stream name configured (option `stream`)");
}

std::string random_hex_id() {
  std::random_device rd;
  const std::uint64_t v =
      (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
      (static_cast<std::uint64_t>(::getpid()) << 17);
  static const char* digits = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 0; i < 16; ++i) s[i] = digits[(v >> (4 * (15 - i))) & 0xf];
  return s;
}

void set_nats_labels(Context& ctx, const char* role, const std::string& url, const std::string& stream,
                     const std::string& subject) {
  ctx.set_label("bridge", "nats");
  ctx.set_label("bridge_role", role);
  ctx.set_label("bridge_endpoint", url);
  ctx.set_label("bridge_link", stream + "/" + subject);
}

// ---------------------------------------------------------------- publisher

PublisherShared::PublisherShared(NatsPublisherOptions o) : options(std::move(o)) {
  prefix = options.msg_id_prefix.empty() ? random_hex_id() : options.msg_id_prefix;
  if (options.stream_subjects.empty()) options.stream_subjects = {options.subject};
}

Vote publisher_vote(std::uint64_t held, bool input_closed, const std::string& where) {
  if (held != 0)
    return veto(std::to_string(held) + " messages not yet acknowledged by JetStream at " + where);
  if (!input_closed) return veto("its input is not closed yet");
  return agree();
}

struct PublisherLink::Impl {
  Impl(std::shared_ptr<PublisherShared> sh, std::string name)
      : shared(std::move(sh)),
        who("bridge nats publisher '" + name + "'"),
        log_failure(shared->options.retry_log_every),
        log_waiting(shared->options.retry_log_every) {
    const NatsPublisherOptions& o = shared->options;
    check_options(who, o.url, o.subject, o.stream, o.ensure_stream);
    where = o.url + " subject " + o.subject;
    auto hooks = std::make_unique<ConnHooks>();
    hooks->keep = shared;
    hooks->state = &shared->conn;
    hooks->bell = &shared->bell;
    hooks->who = who;
    hooks->url = o.url;
    hooks->reconnect_wait = o.reconnect_wait;
    PublisherShared* s = shared.get();
    hooks->on_pub_ack = [s](natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae) {
      PubAckEvent e;
      const char* id = nullptr;
      const char* dash = nullptr;
      if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) != NATS_OK || id == nullptr ||
          (dash = std::strrchr(id, '-')) == nullptr) {
        std::lock_guard lock(s->mu);  // cannot happen with our messages; recorded should it ever
        s->last_failure = "a PubAck for a message without our Nats-Msg-Id";
        return;
      }
      e.first = std::strtoull(dash + 1, nullptr, 10);
      e.ok = pa != nullptr;
      e.duplicate = pa != nullptr && pa->Duplicate;
      if (pae != nullptr) {
        e.error = pae->ErrText != nullptr ? pae->ErrText : natsStatus_GetText(pae->Err);
        e.wrong_predecessor = pae->ErrCode == JSStreamWrongLastMsgIDErr;
      }
      {
        std::lock_guard lock(s->mu);
        s->events.push_back(std::move(e));
      }
      s->bell.ring();
    };
    conn = std::make_unique<NatsConn>(std::move(hooks));
    not_ready_since = NatsClock::now();
    helper = std::thread([this] { set_up(); });
  }
  ~Impl() {
    stop.store(true);
    conn->hooks().signal();
    if (helper.joinable()) helper.join();
    conn.reset();
  }

  // Helper thread: connect, then make sure the stream exists; retried until it works or the link stops.
  void set_up() {
    ConnHooks& h = conn->hooks();
    if (!conn->open(true)) {
      log(LogLevel::error, who + ": " + h.error());
      return;
    }
    const NatsPublisherOptions& o = shared->options;
    while (!stop.load()) {
      if (!conn->wait_connected(o.reconnect_wait, stop)) continue;
      const bool check = o.ensure_stream || !o.stream.empty();  // without a stream name, nothing to check
      const std::string problem =
          check ? ensure_stream(conn->js(), o.stream, o.stream_subjects, o.ensure_stream) : "";
      if (problem.empty()) {
        stream_ok.store(true, std::memory_order_release);
        shared->bell.ring();
        return;
      }
      h.set_error(problem);
      std::unique_lock lock(h.mu);
      h.cv.wait_for(lock, o.reconnect_wait, [&] { return stop.load(); });
    }
  }

  std::shared_ptr<PublisherShared> shared;
  std::string who, where;
  std::unique_ptr<NatsConn> conn;
  std::thread helper;
  std::atomic<bool> stop{false}, stream_ok{false};
  std::string msg_id, prev_id;
  RateLimitedLog log_failure, log_waiting;
  NatsClock::time_point not_ready_since;
};

PublisherLink::PublisherLink(std::shared_ptr<PublisherShared> shared, std::string actor_name)
    : impl_(std::make_unique<Impl>(std::move(shared), std::move(actor_name))) {}
PublisherLink::~PublisherLink() = default;

bool PublisherLink::ready() const noexcept {
  return impl_->stream_ok.load(std::memory_order_acquire) &&
         impl_->shared->conn.connected.load(std::memory_order_acquire);
}

bool PublisherLink::publish(std::span<const std::byte> payload, std::uint64_t first,
                            std::optional<std::uint64_t> predecessor) {
  Impl& m = *impl_;
  const NatsPublisherOptions& o = m.shared->options;
  natsMsg* msg = nullptr;
  natsStatus s =
      natsMsg_Create(&msg, o.subject.c_str(), nullptr, reinterpret_cast<const char*>(payload.data()),
                     static_cast<int>(payload.size()));
  if (s != NATS_OK) {
    m.conn->hooks().set_error("cannot create a message: " + nats_error_text(s));
    return false;
  }
  m.msg_id = m.shared->prefix;
  m.msg_id += '-';
  m.msg_id += std::to_string(first);
  if (predecessor) {
    m.prev_id = m.shared->prefix;
    m.prev_id += '-';
    m.prev_id += std::to_string(*predecessor);
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = m.msg_id.c_str();
  if (predecessor)
    po.ExpectLastMsgId = m.prev_id.c_str();  // JetStream refuses it if its predecessor is missing
  po.MaxWait = o.ack_timeout.count();  // no PubAck by then: the AckHandler gets a timeout, and we resend
  s = js_PublishMsgAsync(m.conn->js(), &msg, &po);
  natsMsg_Destroy(msg);  // no-op when cnats took it
  if (s != NATS_OK) {
    const std::string why = nats_error_text(s);
    m.conn->hooks().set_error("publish failed: " + why);
    {
      std::lock_guard lock(m.shared->mu);
      m.shared->last_failure = "batch at " + std::to_string(first) + " not handed to cnats: " + why;
    }
    m.log_failure.warn(m.who + ": cannot publish a batch of " + std::to_string(payload.size()) +
                       " bytes to " + m.where + " (" + why + "); retrying every " +
                       std::to_string(o.reconnect_wait.count()) + " ms");
    return false;
  }
  return true;
}

void PublisherLink::take_events(std::vector<PubAckEvent>& out) {
  std::lock_guard lock(impl_->shared->mu);
  out.swap(impl_->shared->events);
}

void PublisherLink::note_waiting(std::uint64_t held) {
  Impl& m = *impl_;
  const auto now = NatsClock::now();
  if (ready()) {
    m.not_ready_since = now;
    return;
  }
  const auto every = m.shared->options.retry_log_every;
  if (held == 0 || now - m.not_ready_since < every) return;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - m.not_ready_since).count();
  const bool connected = m.shared->conn.connected.load();
  std::string why = m.conn->hooks().error();
  if (why.empty()) why = connected ? "stream not ready" : "not connected";
  if (m.log_waiting.warn(m.who + ": cannot publish to " + m.where + " for " + std::to_string(ms) + " ms (" +
                         why + "); " + (connected ? "retrying" : "reconnecting") + " every " +
                         std::to_string(m.shared->options.reconnect_wait.count()) + " ms (" +
                         std::to_string(held) + " messages waiting)"))
    m.shared->conn.retry_warnings.fetch_add(1, std::memory_order_relaxed);
}

void PublisherLink::note_failure(const PubAckEvent& e, bool front) {
  Impl& m = *impl_;
  if (e.wrong_predecessor && !front) return;  // a batch after a lost one: expected, resent in order after it
  if (e.wrong_predecessor)
    m.log_failure.warn(m.who + ": stream '" + m.shared->options.stream +
                       "' refuses the next batch because its last "
                       "message is not this publisher's (" +
                       e.error +
                       "); another publisher writes to it? Give "
                       "each publisher its own stream, or set ordered = false");
  else
    m.log_failure.warn(m.who + ": a publish to " + m.where + " was not acknowledged (" + e.error +
                       "); publishing it again with the same id, in order");
}

const std::string& PublisherLink::describe() const noexcept {
  return impl_->where;
}

}  // namespace steady::bridge::detail
