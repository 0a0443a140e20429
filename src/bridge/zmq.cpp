// src/bridge/zmq.cpp — the ZeroMQ side of steady::bridge_zmq: sockets (cppzmq), frame headers, logging and
// votes. The protocol itself is described in include/steady/bridge/zmq.hpp and docs/distribution.md.
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>

#include <zmq.hpp>

#include <steady/bridge/zmq.hpp>
#include <steady/log.hpp>

namespace steady::bridge::detail {
namespace {

constexpr std::uint32_t kMagic = 0x31425453;  // "STB1" read as little-endian bytes: catches foreign traffic

// One ZeroMQ context per process, never destroyed: zmq_ctx_term at static destruction would wait for sockets
// that a detached thread may still hold. (ZeroMQ contexts are thread-safe; sockets are not, and each stays
// with its actor's thread.)
zmq::context_t& context() {
  static auto* ctx = new zmq::context_t(1);
  return *ctx;
}

void put(std::byte* p, std::uint64_t v, int bytes) noexcept {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<std::byte>((v >> (8 * i)) & 0xffu);
}
std::uint64_t get(const std::byte* p, int bytes) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

void attach(zmq::socket_t& s, const std::string& endpoint, bool bind, const std::string& who) {
  if (endpoint.empty()) throw std::invalid_argument(who + ": no endpoint configured");
  try {
    if (bind)
      s.bind(endpoint);
    else
      s.connect(endpoint);
  } catch (const zmq::error_t& e) {
    throw std::runtime_error(who + ": cannot " + (bind ? "bind " : "connect ") + endpoint + ": " + e.what());
  }
}

std::uint64_t random_session() {
  std::random_device rd;
  std::uint64_t s = 0;
  while (s == 0) {
    s = (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
        (static_cast<std::uint64_t>(::getpid()) << 17);
  }
  return s;
}

bool send_dontwait(zmq::socket_t& s, std::span<const std::byte> frame) {
  try {
    return s.send(zmq::const_buffer(frame.data(), frame.size()), zmq::send_flags::dontwait).has_value();
  } catch (const zmq::error_t& e) {
    if (e.num() == EAGAIN || e.num() == EINTR) return false;
    throw;
  }
}

bool recv_dontwait(zmq::socket_t& s, zmq::message_t& msg) {
  try {
    return s.recv(msg, zmq::recv_flags::dontwait).has_value();
  } catch (const zmq::error_t& e) {
    if (e.num() == EAGAIN || e.num() == EINTR) return false;
    throw;
  }
}

}  // namespace

// ---------------------------------------------------------------- frame header
// [0,4) magic  [4] kind  [5,8) zero  [8,16) session  [16,24) seq  [24,28) count  [28,32) zero
void write_header(std::vector<std::byte>& out, const FrameHeader& h) {
  out.assign(kHeaderBytes, std::byte{0});
  put(out.data(), kMagic, 4);
  out[4] = static_cast<std::byte>(h.kind);
  put(out.data() + 8, h.session, 8);
  put(out.data() + 16, h.seq, 8);
  put(out.data() + 24, h.count, 4);
}
void write_header_count(std::vector<std::byte>& frame, std::uint32_t count) noexcept {
  put(frame.data() + 24, count, 4);
}
std::optional<FrameHeader> read_header(std::span<const std::byte> frame) noexcept {
  if (frame.size() < kHeaderBytes || get(frame.data(), 4) != kMagic) return std::nullopt;
  FrameHeader h;
  const auto kind = static_cast<std::uint8_t>(frame[4]);
  switch (kind) {
    case 1:
    case 2:
    case 3:
    case 16:
    case 17:
    case 18:
      h.kind = static_cast<FrameKind>(kind);
      break;
    default:
      return std::nullopt;
  }
  h.session = get(frame.data() + 8, 8);
  h.seq = get(frame.data() + 16, 8);
  h.count = static_cast<std::uint32_t>(get(frame.data() + 24, 4));
  if (h.kind != FrameKind::data && frame.size() != kHeaderBytes) return std::nullopt;
  return h;
}

// ---------------------------------------------------------------- egress
std::uint32_t new_stream_id() {
  std::uint32_t id = 0;
  while (id == 0) id = static_cast<std::uint32_t>(random_session());
  return id;
}

struct EgressLink::Impl {
  Impl(EgressShared& sh, std::string name)
      : shared(sh),
        who("bridge egress '" + name + "'"),
        data(context(), zmq::socket_type::push),
        control(context(), zmq::socket_type::pull) {
    const EgressOptions& o = sh.options;
    data.set(zmq::sockopt::sndhwm, std::max(o.send_hwm, 1));
    data.set(zmq::sockopt::linger,
             0);  // never needed: nothing is removed from the channel before it is acked
    // Queue only on live connections: a frame never waits in a pipe to a peer that is not there (it would be
    // resent after the rewind anyway).
    data.set(zmq::sockopt::immediate, true);
    control.set(zmq::sockopt::linger, 0);
    attach(data, o.endpoint, o.bind, who);
    attach(control, o.ack_endpoint, o.bind, who);
    where = o.endpoint + " (acks on " + o.ack_endpoint + ")";
    last_contact = std::chrono::steady_clock::now();
  }
  EgressShared& shared;
  std::string who, where;
  zmq::socket_t data, control;
  zmq::message_t msg;
  std::chrono::steady_clock::time_point last_contact, last_warning{};
};

EgressLink::EgressLink(EgressShared& shared, std::string actor_name)
    : impl_(std::make_unique<Impl>(shared, std::move(actor_name))) {}
EgressLink::~EgressLink() = default;

bool EgressLink::try_send(std::span<const std::byte> frame) {
  return send_dontwait(impl_->data, frame);
}

std::optional<FrameHeader> EgressLink::try_control() {
  while (recv_dontwait(impl_->control, impl_->msg)) {
    impl_->last_contact = std::chrono::steady_clock::now();
    const auto h = read_header({static_cast<const std::byte*>(impl_->msg.data()), impl_->msg.size()});
    if (h) return h;
    log(LogLevel::warn, impl_->who + ": dropped an unreadable control frame");
  }
  return std::nullopt;
}

void EgressLink::note_waiting(std::uint64_t undelivered, bool need_eos,
                              std::chrono::steady_clock::time_point) {
  Impl& m = *impl_;
  const auto every = m.shared.options.retry_log_every;
  // Contact times are real time (the actor's clock may be virtual in tests), so this uses real time too.
  const auto real_now = std::chrono::steady_clock::now();
  if (undelivered == 0 && !need_eos) {
    // Idle: silence is fine. Count afresh from here, half a period of grace spent.
    m.last_contact = std::max(m.last_contact, real_now - every / 2);
    return;
  }
  if (real_now - m.last_contact < every || real_now - m.last_warning < every) return;
  m.last_warning = real_now;
  m.shared.retry_warnings.fetch_add(1, std::memory_order_relaxed);
  const auto silent_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(real_now - m.last_contact).count();
  log(LogLevel::warn, m.who + ": no reply from the ingress at " + m.where + " for " +
                          std::to_string(silent_ms) + " ms; ZeroMQ keeps retrying the connection (" +
                          std::to_string(undelivered) + " messages waiting" +
                          (need_eos ? ", end-of-stream not acknowledged" : "") + ")");
}

const std::string& EgressLink::describe() const noexcept {
  return impl_->where;
}

Vote egress_vote(bool finished, bool met_peer, std::uint64_t held, bool input_closed,
                 const std::string& where) {
  if (finished) return agree();
  if (held != 0)
    return veto(std::to_string(held) + " messages not yet acknowledged by the ingress at " + where);
  if (!input_closed) return veto("its input is not closed yet");
  // Closed and empty. If we never met an ingress there is nothing to tell anyone; otherwise wait for the
  // end-of-stream acknowledgement so the receiver closes its output.
  if (!met_peer) return agree();
  return veto("end-of-stream not yet acknowledged by the ingress at " + where);
}

// ---------------------------------------------------------------- ingress
struct IngressLink::Impl {
  Impl(IngressShared& sh, std::string name)
      : shared(sh),
        who("bridge ingress '" + name + "'"),
        session(random_session()),
        data(context(), zmq::socket_type::pull),
        control(context(), zmq::socket_type::push) {
    const IngressOptions& o = sh.options;
    data.set(zmq::sockopt::rcvhwm, std::max(o.receive_hwm, 1));
    data.set(zmq::sockopt::linger, 0);
    control.set(zmq::sockopt::sndhwm, 64);
    // The last acknowledgement must leave even though the actor closes the socket right after sending it.
    control.set(zmq::sockopt::linger, static_cast<int>(o.linger.count()));
    attach(data, o.endpoint, o.bind, who);
    attach(control, o.ack_endpoint, o.bind, who);
    std::lock_guard lock(sh.mu);
    sh.bound_data = data.get(zmq::sockopt::last_endpoint);
    sh.bound_ack = control.get(zmq::sockopt::last_endpoint);
    sh.bound_cv.notify_all();
  }
  IngressShared& shared;
  std::string who;
  std::uint64_t session;
  zmq::socket_t data, control;
  zmq::message_t msg;
  std::vector<std::byte> out;
  std::chrono::steady_clock::time_point last_log{};
  std::uint64_t suppressed = 0;
};

IngressLink::IngressLink(IngressShared& shared, std::string actor_name)
    : impl_(std::make_unique<Impl>(shared, std::move(actor_name))) {}
IngressLink::~IngressLink() = default;

std::uint64_t IngressLink::session() const noexcept {
  return impl_->session;
}

std::optional<std::span<const std::byte>> IngressLink::try_recv() {
  if (!recv_dontwait(impl_->data, impl_->msg)) return std::nullopt;
  return std::span<const std::byte>(static_cast<const std::byte*>(impl_->msg.data()), impl_->msg.size());
}

bool IngressLink::send_control(FrameKind kind, std::uint64_t seq) {
  write_header(impl_->out, {kind, impl_->session, seq, 0});
  return send_dontwait(impl_->control, impl_->out);
}

const IngressOptions& IngressLink::options() const noexcept {
  return impl_->shared.options;
}
IngressShared& IngressLink::shared() noexcept {
  return impl_->shared;
}

void IngressLink::log_malformed(std::string_view what) {
  Impl& m = *impl_;
  const auto now = std::chrono::steady_clock::now();
  if (now - m.last_log < std::chrono::seconds(1)) {
    ++m.suppressed;
    return;
  }
  m.last_log = now;
  std::string line = m.who + ": dropped " + std::string(what);
  if (m.suppressed != 0)
    line += " (and " + std::to_string(m.suppressed) + " similar events in the last second)";
  m.suppressed = 0;
  log(LogLevel::warn, line);
}

}  // namespace steady::bridge::detail
