// src/bridge/zmq.cpp — the ZeroMQ side of steady::bridge_zmq: sockets (cppzmq), frame headers, logging and
// votes. The protocol itself is described in include/steady/bridge/zmq.hpp and docs/distribution.md; how the
// actors wake on their sockets in zmq_watch.hpp.
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>
#include <random>
#include <stdexcept>
#include <string>

#include <zmq.hpp>

#include <steady/bridge/zmq.hpp>
#include <steady/log.hpp>

#include "zmq_watch.hpp"

namespace steady::bridge::detail {
namespace {

constexpr std::uint32_t kMagic = 0x31425453;  // "STB1" read as little-endian bytes: catches foreign traffic

// One ZeroMQ context per process for the egress links, never destroyed: zmq_ctx_term at static destruction
// would wait for sockets that a detached thread may still hold. (ZeroMQ contexts are thread-safe; sockets are
// not, and each stays with its actor's thread.) An ingress link has a context of its own (IngressLink::Impl):
// a never-destroyed context never flushes what a closed socket still holds before the process exits.
zmq::context_t& context() {
  static auto* ctx = new zmq::context_t(1);
  return *ctx;
}

// Buffers for large data frames, reused instead of freed. ZeroMQ releases a sent message on its I/O thread;
// with malloc/free, glibc hands the freed chunks of the sending thread's arena back to the kernel and the
// next frame faults fresh pages in again (bench_w8 at batch 4096: thousands of page faults a second, the
// largest cost of a run). Frames of kPooledBytes and more take their buffer from here, and ZeroMQ's free
// function (on whatever thread drops the message) puts it back. Process-wide and never destroyed: a free
// function may run after the link that sent the frame is gone, or at exit.
class FramePool {
 public:
  static constexpr std::size_t kPooledBytes = 8 * 1024;
  static FramePool& get() {
    static auto* pool = new FramePool;
    return *pool;
  }
  // A buffer of at least `bytes`; `base` is what give() takes back.
  std::byte* take(std::size_t bytes, void*& base) {
    const unsigned cls = static_cast<unsigned>(std::bit_width(bytes - 1));  // capacity 2^cls >= bytes
    if (cls < kClasses) {
      std::lock_guard lock(mu_);
      auto& list = free_[cls];
      if (!list.empty()) {
        base = list.back();
        list.pop_back();
        return static_cast<std::byte*>(base) + kHead;
      }
    }
    const std::size_t capacity = std::size_t{1} << std::min<unsigned>(cls, kClasses);
    base = ::operator new (kHead + std::max(capacity, bytes), std::align_val_t{kHead});
    *static_cast<unsigned*>(base) = cls;
    return static_cast<std::byte*>(base) + kHead;
  }
  // ZeroMQ's free function (zmq_free_fn): any thread.
  static void give(void*, void* base) noexcept {
    const unsigned cls = *static_cast<unsigned*>(base);
    if (cls < kClasses) {
      FramePool& p = get();
      std::lock_guard lock(p.mu_);
      auto& list = p.free_[cls];
      // Keep about as many as a link has in flight (its high-water mark and what the I/O thread holds),
      // within a budget per size; the rest go back to the allocator.
      if (list.size() < std::max<std::size_t>(8, kKeepBytes >> cls)) {
        list.push_back(base);
        return;
      }
    }
    ::operator delete (base, std::align_val_t{kHead});
  }

 private:
  static constexpr unsigned kClasses = 27;  // up to 64 MiB frames are pooled
  static constexpr std::size_t kHead =
      64;  // the size class, padded to a cache line (the payload's alignment)
  static constexpr std::size_t kKeepBytes = 16 * 1024 * 1024;
  std::mutex mu_;
  std::vector<void*> free_[kClasses];
};

// Little-endian fields: a memcpy (plus a byte swap on big-endian hosts), once per frame on the hot path.
template <class U>
U to_le(U v) noexcept {
  if constexpr (std::endian::native == std::endian::big) {
    if constexpr (sizeof(U) == 8)
      return __builtin_bswap64(v);
    else
      return __builtin_bswap32(v);
  }
  return v;
}
template <class U>
void put(std::byte* p, U v) noexcept {
  v = to_le(v);
  std::memcpy(p, &v, sizeof v);
}
template <class U>
U get(const std::byte* p) noexcept {
  U v;
  std::memcpy(&v, p, sizeof v);
  return to_le(v);
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

// ZMQ_EVENTS has `flag` (ZMQ_POLLIN / ZMQ_POLLOUT). Reading it also processes the socket's pending commands
// (step 2 of the protocol in zmq_watch.hpp).
bool has_event(zmq::socket_t& s, int flag) {
  return (s.get(zmq::sockopt::events) & flag) != 0;
}

int fd_of(zmq::socket_t& s) {
  return static_cast<int>(s.get(zmq::sockopt::fd));
}

// Receive without waiting. `drained` becomes true when there was nothing (EAGAIN): a non-blocking receive
// that finds nothing has processed the socket's pending commands first (step 1 of the protocol in
// zmq_watch.hpp).
bool recv_dontwait(zmq::socket_t& s, zmq::message_t& msg, bool& drained) {
  drained = false;
  try {
    if (s.recv(msg, zmq::recv_flags::dontwait)) return true;
    drained = true;  // cppzmq reports EAGAIN as an empty result
    return false;
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return false;
    throw;
  }
}

}  // namespace

// ---------------------------------------------------------------- frame header
// [0,4) magic  [4] kind  [5,8) zero  [8,16) session  [16,24) seq  [24,28) count  [28,32) zero
void write_header(std::span<std::byte, kHeaderBytes> out, const FrameHeader& h) noexcept {
  std::memset(out.data(), 0, kHeaderBytes);
  put<std::uint32_t>(out.data(), kMagic);
  out[4] = static_cast<std::byte>(h.kind);
  put<std::uint64_t>(out.data() + 8, h.session);
  put<std::uint64_t>(out.data() + 16, h.seq);
  put<std::uint32_t>(out.data() + 24, h.count);
}
void write_header(std::vector<std::byte>& out, const FrameHeader& h) {
  out.resize(kHeaderBytes);
  write_header(std::span<std::byte, kHeaderBytes>(out.data(), kHeaderBytes), h);
}
void write_header_count(std::vector<std::byte>& frame, std::uint32_t count) noexcept {
  put<std::uint32_t>(frame.data() + 24, count);
}
std::optional<FrameHeader> read_header(std::span<const std::byte> frame) noexcept {
  if (frame.size() < kHeaderBytes || get<std::uint32_t>(frame.data()) != kMagic) return std::nullopt;
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
  h.session = get<std::uint64_t>(frame.data() + 8);
  h.seq = get<std::uint64_t>(frame.data() + 16);
  h.count = get<std::uint32_t>(frame.data() + 24);
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
        control(context(), zmq::socket_type::pull),
        watch(sh.bell, {fd_of(data), fd_of(control)}) {
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
    endpoint = o.bind ? data.get(zmq::sockopt::last_endpoint) : o.endpoint;
    where = o.endpoint + " (acks on " + o.ack_endpoint + ")";
    last_contact = std::chrono::steady_clock::now();
  }
  EgressShared& shared;
  std::string who, where, endpoint;
  zmq::socket_t data, control;
  zmq::message_t msg;            // the last control frame received
  zmq::message_t frame;          // the data frame being sent (frame_buffer / try_send_frame)
  bool control_drained = false;  // the last control receive found nothing (and so processed its commands)
  std::chrono::steady_clock::time_point last_contact, last_warning{};
  SocketWatch watch;  // [0] data, [1] control; declared after the sockets: stops ringing before they close
};

EgressLink::EgressLink(EgressShared& shared, std::string actor_name)
    : impl_(std::make_unique<Impl>(shared, std::move(actor_name))) {}
EgressLink::~EgressLink() = default;

bool EgressLink::try_send(std::span<const std::byte> frame) {
  return send_dontwait(impl_->data, frame);
}

std::span<std::byte> EgressLink::frame_buffer(std::size_t bytes) {
  if (bytes < FramePool::kPooledBytes) {
    impl_->frame.rebuild(bytes);
    return {static_cast<std::byte*>(impl_->frame.data()), bytes};
  }
  void* base = nullptr;
  std::byte* data = FramePool::get().take(bytes, base);
  impl_->frame.rebuild(data, bytes, &FramePool::give,
                       base);  // an unsent frame it replaces goes back to the pool
  return {data, bytes};
}

bool EgressLink::try_send_frame() {
  try {
    // On success ZeroMQ takes the message's contents (no copy); on EAGAIN it is left as it was.
    return impl_->data.send(impl_->frame, zmq::send_flags::dontwait).has_value();
  } catch (const zmq::error_t& e) {
    if (e.num() == EAGAIN || e.num() == EINTR) return false;
    throw;
  }
}

std::optional<FrameHeader> EgressLink::try_control() {
  // Drained before and its descriptor quiet since: nothing can have arrived (no syscall).
  if (impl_->control_drained && !impl_->watch.fired(1)) return std::nullopt;
  while (recv_dontwait(impl_->control, impl_->msg, impl_->control_drained)) {
    impl_->last_contact = std::chrono::steady_clock::now();
    const auto h = read_header({static_cast<const std::byte*>(impl_->msg.data()), impl_->msg.size()});
    if (h) return h;
    log(LogLevel::warn, impl_->who + ": dropped an unreadable control frame");
  }
  return std::nullopt;
}

bool EgressLink::arm(bool want_send) {
  Impl& m = *impl_;
  // The control socket is drained by every pass (hello, acknowledgements): its next message comes with a
  // report.
  if (!m.control_drained && has_event(m.control, ZMQ_POLLIN)) return true;  // a receive was interrupted
  // The data socket while a send would block: a failed send may leave commands unprocessed, and if any came
  // since the last look its descriptor fired; ZMQ_EVENTS processes them.
  return want_send && m.watch.fired(0) && has_event(m.data, ZMQ_POLLOUT);
}

std::optional<std::chrono::nanoseconds> EgressLink::note_waiting(std::uint64_t undelivered, bool need_eos) {
  Impl& m = *impl_;
  const auto every = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::max(m.shared.options.retry_log_every, std::chrono::milliseconds(1)));
  // Contact times are real time (the actor's clock may be virtual in tests), so this uses real time too.
  const auto real_now = std::chrono::steady_clock::now();
  if (undelivered == 0 && !need_eos) {
    // Idle: silence is fine. Count afresh from here, half a period of grace spent.
    m.last_contact = std::max(m.last_contact, real_now - every / 2);
    return std::nullopt;
  }
  const auto next = std::max(m.last_contact, m.last_warning) + every;
  if (real_now < next) return next - real_now;
  m.last_warning = real_now;
  m.shared.retry_warnings.fetch_add(1, std::memory_order_relaxed);
  const auto silent_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(real_now - m.last_contact).count();
  log(LogLevel::warn, m.who + ": no reply from the ingress at " + m.where + " for " +
                          std::to_string(silent_ms) + " ms; ZeroMQ keeps retrying the connection (" +
                          std::to_string(undelivered) + " messages waiting" +
                          (need_eos ? ", end-of-stream not acknowledged" : "") + ")");
  return every;
}

const std::string& EgressLink::describe() const noexcept {
  return impl_->where;
}
const std::string& EgressLink::endpoint() const noexcept {
  return impl_->endpoint;
}

void set_bridge_labels(Context& ctx, const char* role, const std::string& endpoint) {
  ctx.set_label("bridge", "zmq");
  ctx.set_label("bridge_role", role);
  ctx.set_label("bridge_endpoint", endpoint);
}
void set_bridge_link(Context& ctx, std::uint32_t stream) {
  char id[9];
  std::snprintf(id, sizeof id, "%08x", static_cast<unsigned>(stream));
  ctx.set_label("bridge_link", stream == 0 ? std::string() : std::string(id));
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
        data(own, zmq::socket_type::pull),
        control(own, zmq::socket_type::push),
        watch(sh.bell, {fd_of(data), fd_of(control)}) {
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
    endpoint = o.bind ? sh.bound_data : o.endpoint;
    sh.bound_cv.notify_all();
  }
  IngressShared& shared;
  std::string who, endpoint;
  std::uint64_t session;
  // The link's own context, destroyed after its sockets: its destructor (zmq_ctx_term) returns once the last
  // acknowledgements the closed control socket still held are on the wire, or its linger ran out. With the
  // shared context they would sit in ZeroMQ's I/O thread, and a receiver whose main() returns right after
  // end-of-stream would take them with it: the egress, never acknowledged, could not stop cleanly.
  zmq::context_t own{1};
  zmq::socket_t data, control;
  SocketWatch watch;  // [0] data, [1] control; after the sockets: stops ringing before they close
  zmq::message_t msg;
  bool data_drained = false;  // the last data receive found nothing (and so processed its commands)
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
  // Drained before and its descriptor quiet since: nothing can have arrived (no syscall).
  if (impl_->data_drained && !impl_->watch.fired(0)) return std::nullopt;
  if (!recv_dontwait(impl_->data, impl_->msg, impl_->data_drained)) return std::nullopt;
  return std::span<const std::byte>(static_cast<const std::byte*>(impl_->msg.data()), impl_->msg.size());
}

bool IngressLink::send_control(FrameKind kind, std::uint64_t seq) {
  write_header(impl_->out, {kind, impl_->session, seq, 0});
  return send_dontwait(impl_->control, impl_->out);
}

bool IngressLink::arm(bool want_recv, bool want_send) {
  Impl& m = *impl_;
  if (want_recv && !m.data_drained && has_event(m.data, ZMQ_POLLIN))
    return true;                                                              // a receive was interrupted
  return want_send && m.watch.fired(1) && has_event(m.control, ZMQ_POLLOUT);  // as EgressLink::arm
}

const IngressOptions& IngressLink::options() const noexcept {
  return impl_->shared.options;
}
IngressShared& IngressLink::shared() noexcept {
  return impl_->shared;
}
const std::string& IngressLink::endpoint() const noexcept {
  return impl_->endpoint;
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
