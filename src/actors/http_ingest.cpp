// src/actors/http_ingest.cpp — HttpIngest (see steady/actors/http.hpp). Beast and Asio stay in this file.
//
// Two threads meet here. The server thread runs one Asio C++20 coroutine per connection (the pattern of
// src/telemetry/http_server.cpp, whose accept loop and error answers it shares: src/net/http_common.hpp); a
// request that passed every check becomes a Handoff in the server's queue, the server rings the actor's
// doorbell and the coroutine waits on the hand-off's timer. The actor thread takes the queue under the mutex,
// tries to put each message into its channel, writes the verdict (under the same mutex) and posts a wake-up to
// the server thread. The coroutine answers from the verdict: 202 only when the message is in the channel. A
// coroutine whose timer expires first withdraws its hand-off under the mutex, so a verdict and a withdrawal
// never both happen: each request is either in the channel and answered 202 (unless the client went away), or
// not in it and answered 503.
#include <steady/actors/http.hpp>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include <pthread.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <steady/doorbell.hpp>
#include <steady/log.hpp>

#include "../net/http_common.hpp"

namespace steady::actors {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

namespace detail {

// What the ingest counts: stats() and the actor's telemetry counters (the names in kStatNames).
enum IngestStat : std::uint8_t {
  kAccepted,
  kRefusedFull,
  kRefusedUnavailable,
  kBadRequest,
  kNotFound,
  kMethodNotAllowed,
  kTimedOut,
  kTooLarge,
  kBytesIn,
  kConnections,
  kStatCount
};
constexpr std::array<const char*, kStatCount> kStatNames = {
    "http_202_accepted", "http_503_full",    "http_503_unavailable", "http_400_malformed", "http_404_not_found",
    "http_405_method",   "http_408_timeout", "http_413_too_large",   "bytes_in",           "connections"};

struct IngestShared {
  explicit IngestShared(HttpIngestOptions o) : options(std::move(o)) {}
  HttpIngestOptions options;
  Doorbell bell;  // rung by the server thread when a request waits for the actor
  std::atomic<std::uint16_t> port{0};
  std::mutex mu;  // guards last_error and failed (with cv: wait_bound)
  std::condition_variable cv;
  std::string last_error;
  bool failed = false;
  std::array<std::atomic<std::uint64_t>, kStatCount> stats{};
  std::atomic<std::uint64_t> open_connections{0};
};

}  // namespace detail

namespace {

constexpr auto kStopGrace = std::chrono::seconds(2);  // requests still arriving when the server stops get this long

using internal::ec_token;
using internal::kWriteTimeout;

// What the actor decided for one hand-off.
enum class Verdict : std::uint8_t { waiting, accepted, full, closed, withdrawn };

struct Handoff {
  Handoff(HttpMessage m, const net::any_io_executor& ex) : msg(std::move(m)), wake(ex) {}
  HttpMessage msg;
  std::size_t bytes = 0;
  Verdict verdict = Verdict::waiting;  // guarded by Server::mu_
  net::steady_timer wake;              // server thread only: cancelled when the verdict is in
};

// The time limit of one request (head and body). Unlike tcp_stream's own timeout, which closes the socket, it
// only cancels the pending read, so the session can still answer 408.
class RequestDeadline {
 public:
  RequestDeadline(tcp::socket& socket, std::chrono::milliseconds timeout)
      : timer_(socket.get_executor()), state_(std::make_shared<State>()) {
    timer_.expires_after(timeout);
    // `done` is set when the read is over (or the session gone): then the socket may no longer exist.
    timer_.async_wait([st = state_, s = &socket](error_code ec) {
      if (ec || st->done) return;
      st->expired = true;
      s->cancel(ec);
    });
  }
  ~RequestDeadline() { state_->done = true; }
  RequestDeadline(const RequestDeadline&) = delete;
  RequestDeadline& operator=(const RequestDeadline&) = delete;
  [[nodiscard]] bool expired() const noexcept { return state_->expired; }

 private:
  struct State {
    bool done = false, expired = false;
  };
  net::steady_timer timer_;
  std::shared_ptr<State> state_;
};

// One incarnation's HTTP server: bound in the constructor (on the actor thread), served by its own thread,
// stopped and joined by the destructor.
class Server {
 public:
  Server(std::shared_ptr<detail::IngestShared> sh, std::string who,
         std::array<Counter, detail::kStatCount> counters);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Actor thread: give every waiting hand-off its verdict, in arrival order. `put(HttpMessage&&)` returns
  // SendOutcome; after the first refusal the rest are refused too (they would not fit either).
  template <class Put>
  void decide(Put&& put);
  // Actor thread: from now on hand-offs are refused at once (503, "stopping").
  void close_intake();
  [[nodiscard]] const std::string& url() const noexcept { return url_; }

 private:
  net::awaitable<void> accept_loop();
  net::awaitable<void> session(tcp::socket socket);
  net::awaitable<void> refuse(tcp::socket socket);
  http::response<http::string_body> response(http::status status, const std::string& text, bool keep_alive,
                                             unsigned version);
  net::awaitable<void> answer(beast::tcp_stream& stream, http::status status, const std::string& text,
                              bool keep_alive, unsigned version = 11);
  net::awaitable<void> answer_and_close(beast::tcp_stream& stream, http::status status, const std::string& text);
  net::awaitable<Verdict> hand_over(HttpMessage msg);
  void count(http::status status);
  // Any thread: count in stats() and in the actor's telemetry counter.
  void bump(detail::IngestStat s, std::uint64_t n = 1) noexcept {
    sh_->stats[s].fetch_add(n, std::memory_order_relaxed);
    counters_[s].add(n);
  }
  void shutdown();  // server thread
  void maybe_finished();
  void wake(std::vector<std::shared_ptr<Handoff>>& decided);

  std::shared_ptr<detail::IngestShared> sh_;
  const HttpIngestOptions& o_;
  std::string who_;
  std::array<Counter, detail::kStatCount> counters_;
  std::string url_;
  std::mutex mu_;                                   // guards queue_ and intake_closed_ (server ↔ actor)
  std::deque<std::shared_ptr<Handoff>> queue_;      // waiting for the actor, in arrival order
  bool intake_closed_ = false;
  // Server thread only. Declared before the io_context: coroutine frames it destroys unregister from these.
  bool stopping_ = false;
  std::set<tcp::socket*> idle_;  // connections waiting for their next request (closed at once on stop)
  internal::ConnectionCounts counts_;  // served and refused connections
  net::io_context ioc_{1};
  tcp::acceptor acceptor_{ioc_};
  std::unique_ptr<net::steady_timer> last_call_;
  std::thread thread_;
};

Server::Server(std::shared_ptr<detail::IngestShared> sh, std::string who,
               std::array<Counter, detail::kStatCount> counters)
    : sh_(std::move(sh)), o_(sh_->options), who_(std::move(who)), counters_(counters) {
  auto fail = [&](const std::string& what) {
    {
      std::lock_guard lock(sh_->mu);
      sh_->last_error = what;
      sh_->failed = true;
    }
    sh_->cv.notify_all();
    throw std::runtime_error(what);
  };
  error_code ec;
  const std::string host = o_.bind == "localhost" ? "127.0.0.1" : o_.bind;
  const net::ip::address addr = net::ip::make_address(host, ec);
  if (ec)
    fail(who_ + ": cannot listen on '" + o_.bind +
         "': not an IP address (HttpIngestOptions::bind: 127.0.0.1 for this machine only, 0.0.0.0 for every "
         "interface)");
  // A restarted actor whose port was picked by the system takes the same one again, if it is still free.
  const std::uint16_t earlier = sh_->port.load();
  const bool again = o_.port == 0 && earlier != 0;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const std::uint16_t p = attempt == 0 ? (again ? earlier : o_.port) : 0;
    const tcp::endpoint ep(addr, p);
    acceptor_.open(ep.protocol(), ec);
    if (ec) fail(who_ + ": cannot open a socket: " + ec.message());
    acceptor_.set_option(net::socket_base::reuse_address(true), ec);  // a restarted actor gets its port back
    acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (!ec) break;
    const error_code failed = ec;
    acceptor_.close(ec);
    if (again && attempt == 0) continue;  // taken meanwhile: let the system pick another
    if (failed == net::error::address_in_use)
      fail(who_ + ": port " + std::to_string(p) + " on " + o_.bind +
           " is already in use (another process or another server listens there; `ss -ltnp 'sport = :" +
           std::to_string(p) + "'` shows which). Stop it, or choose a free port in HttpIngestOptions::port "
           "(0 lets the system pick one)");
    fail(who_ + ": cannot listen on " + o_.bind + ":" + std::to_string(p) + ": " + failed.message());
  }
  const std::uint16_t port = acceptor_.local_endpoint().port();
  url_ = "http://" + (addr.is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(port);
  {
    std::lock_guard lock(sh_->mu);
    sh_->port.store(port);
    sh_->last_error.clear();
    sh_->failed = false;
  }
  sh_->cv.notify_all();
  net::co_spawn(ioc_, accept_loop(), net::detached);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "http-ingest");
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {  // a bug in one request must not end the server: log, keep serving
        log(LogLevel::error, who_ + ": request handling failed: " + e.what());
      }
    }
  });
}

Server::~Server() {
  close_intake();
  net::post(ioc_, [this] { shutdown(); });
  if (thread_.joinable()) thread_.join();
  queue_.clear();  // before the io_context goes: hand-offs hold its timers
}

void Server::close_intake() {
  std::vector<std::shared_ptr<Handoff>> refused;
  {
    std::lock_guard lock(mu_);
    intake_closed_ = true;
    for (auto& h : queue_) {
      h->verdict = Verdict::closed;
      refused.push_back(std::move(h));
    }
    queue_.clear();
  }
  wake(refused);
}

template <class Put>
void Server::decide(Put&& put) {
  std::vector<std::shared_ptr<Handoff>> decided;
  {
    std::lock_guard lock(mu_);
    if (queue_.empty()) return;
    Verdict refusal = Verdict::waiting;
    for (auto& h : queue_) {
      if (refusal == Verdict::waiting) {
        const SendOutcome out = put(std::move(h->msg));
        if (out == SendOutcome::sent) {
          h->verdict = Verdict::accepted;
          bump(detail::kAccepted);
          bump(detail::kBytesIn, h->bytes);
        } else {
          refusal = out == SendOutcome::full ? Verdict::full : Verdict::closed;
        }
      }
      if (h->verdict == Verdict::waiting) h->verdict = refusal;
      decided.push_back(std::move(h));
    }
    queue_.clear();
  }
  wake(decided);
}

void Server::wake(std::vector<std::shared_ptr<Handoff>>& decided) {
  for (auto& h : decided) net::post(ioc_, [h = std::move(h)] { h->wake.cancel(); });
  decided.clear();
}

// Server thread: queue the message for the actor and wait for its verdict, or withdraw it after handoff_timeout.
net::awaitable<Verdict> Server::hand_over(HttpMessage msg) {
  const std::size_t bytes = msg.body.size();
  auto h = std::make_shared<Handoff>(std::move(msg), ioc_.get_executor());
  h->bytes = bytes;
  {
    std::lock_guard lock(mu_);
    if (intake_closed_) co_return Verdict::closed;
    queue_.push_back(h);
  }
  sh_->bell.ring();
  // No co_await between the push and this wait: the wake-up, posted to this thread, cannot come before it.
  h->wake.expires_after(o_.handoff_timeout);
  error_code ec;
  co_await h->wake.async_wait(ec_token(ec));
  std::lock_guard lock(mu_);
  if (h->verdict == Verdict::waiting) {
    std::erase(queue_, h);
    h->verdict = Verdict::withdrawn;
  }
  co_return h->verdict;
}

void Server::count(http::status status) {
  switch (status) {
    case http::status::bad_request: bump(detail::kBadRequest); break;
    case http::status::not_found: bump(detail::kNotFound); break;
    case http::status::method_not_allowed: bump(detail::kMethodNotAllowed); break;
    case http::status::request_timeout: bump(detail::kTimedOut); break;
    case http::status::payload_too_large:
    case http::status::request_header_fields_too_large: bump(detail::kTooLarge); break;
    default: break;  // 202 and the 503s are counted where they are decided
  }
}

// ---------------------------------------------------------------- connections

net::awaitable<void> Server::accept_loop() {
  co_await internal::accept_loop(acceptor_, o_.max_connections, counts_,
                                 {[this] { return stopping_; },
                                  [this](tcp::socket s) { return session(std::move(s)); },
                                  [this](tcp::socket s) { return refuse(std::move(s)); },
                                  [this] { maybe_finished(); }});
}

net::awaitable<void> Server::refuse(tcp::socket socket) {
  bump(detail::kRefusedUnavailable);
  beast::tcp_stream stream(std::move(socket));
  co_await answer_and_close(stream, http::status::service_unavailable, "too many connections; try again later\n");
}

// The text_response for `status`: Retry-After on a 503, Allow on a 405. Counted under its status.
http::response<http::string_body> Server::response(http::status status, const std::string& text, bool keep_alive,
                                                   unsigned version) {
  count(status);
  const std::string retry = std::to_string(o_.retry_after.count());
  if (status == http::status::service_unavailable)
    return internal::text_response(status, text, keep_alive, version, {{http::field::retry_after, retry}});
  if (status == http::status::method_not_allowed)
    return internal::text_response(status, text, keep_alive, version, {{http::field::allow, "POST"}});
  return internal::text_response(status, text, keep_alive, version);
}

net::awaitable<void> Server::answer(beast::tcp_stream& stream, http::status status, const std::string& text,
                                    bool keep_alive, unsigned version) {
  const auto res = response(status, text, keep_alive, version);
  error_code ec;
  stream.expires_after(kWriteTimeout);
  co_await http::async_write(stream, res, ec_token(ec));
}

// Answer and close (internal::write_then_close: the rest of what the client sent is drained first).
net::awaitable<void> Server::answer_and_close(beast::tcp_stream& stream, http::status status,
                                              const std::string& text) {
  co_await internal::write_then_close(stream, response(status, text, false, 11));
}

net::awaitable<void> Server::session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  tcp::socket* const raw = &stream.socket();
  bump(detail::kConnections);
  ++sh_->open_connections;
  struct Forget {  // the coroutine may end at any co_await when the server stops: unregister in a destructor
    Server* self;
    tcp::socket* s;
    ~Forget() {
      self->idle_.erase(s);
      --self->sh_->open_connections;
    }
  } forget{this, raw};
  beast::flat_buffer buffer(o_.max_header_bytes + 64 * 1024);
  for (;;) {
    error_code ec;
    if (buffer.size() == 0) {  // idle between requests: wait for the next one's first bytes
      if (stopping_) co_return;
      idle_.insert(raw);
      stream.expires_after(o_.idle_timeout);
      const std::size_t n = co_await stream.async_read_some(buffer.prepare(4096), ec_token(ec));
      idle_.erase(raw);
      if (ec) co_return;  // closed, idle too long, or the server stops
      buffer.commit(n);
    }
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(o_.max_header_bytes));
    parser.body_limit(o_.max_body_bytes);
    stream.expires_never();
    std::optional<RequestDeadline> deadline(std::in_place, stream.socket(), o_.request_timeout);
    co_await http::async_read_header(stream, buffer, parser, ec_token(ec));
    auto fail_read = [&](const error_code& e) -> std::pair<http::status, std::string> {
      if (deadline->expired())
        return std::pair{http::status::request_timeout, "the request did not arrive within " +
                                                            std::to_string(o_.request_timeout.count()) + " ms\n"};
      if (e == http::error::header_limit || e == http::error::buffer_overflow)
        return std::pair{http::status::request_header_fields_too_large,
                         "request head larger than " + std::to_string(o_.max_header_bytes) + " bytes\n"};
      if (e == http::error::body_limit)
        return std::pair{http::status::payload_too_large,
                         "body larger than " + std::to_string(o_.max_body_bytes) + " bytes\n"};
      return std::pair{http::status::bad_request, "malformed request: " + e.message() + "\n"};
    };
    auto gone = [](const error_code& e) {
      return e == http::error::end_of_stream || e == net::error::eof || e == net::error::connection_reset ||
             e == net::error::operation_aborted || e == http::error::partial_message;
    };
    if (ec) {
      if ((gone(ec) && !deadline->expired()) || stopping_) co_return;
      const auto [status, text] = fail_read(ec);
      co_await answer_and_close(stream, status, text);
      co_return;
    }
    const auto& head = parser.get();
    const std::string target(head.target());
    const std::string path = target.substr(0, target.find('?'));
    if (path != o_.path) {
      co_await answer_and_close(stream, http::status::not_found, "no such path: POST to " + o_.path + "\n");
      co_return;
    }
    if (head.method() != http::verb::post) {
      co_await answer_and_close(stream, http::status::method_not_allowed, "only POST is accepted here\n");
      co_return;
    }
    if (const auto len = parser.content_length(); len && *len > o_.max_body_bytes) {
      co_await answer_and_close(stream, http::status::payload_too_large,
                                "body larger than " + std::to_string(o_.max_body_bytes) + " bytes\n");
      co_return;
    }
    if (beast::iequals(head[http::field::expect], "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      co_await net::async_write(stream, net::buffer(kContinue), ec_token(ec));
      if (ec) co_return;
    }
    co_await http::async_read(stream, buffer, parser, ec_token(ec));
    if (ec) {
      if ((gone(ec) && !deadline->expired()) || stopping_) co_return;
      const auto [status, text] = fail_read(ec);
      co_await answer_and_close(stream, status, text);
      co_return;
    }
    deadline.reset();
    auto& req = parser.get();
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();
    HttpMessage msg{path, std::string(req[http::field::content_type]), std::move(req.body())};
    const Verdict v = co_await hand_over(std::move(msg));
    switch (v) {
      case Verdict::accepted:
        co_await answer(stream, http::status::accepted, "accepted\n", keep_alive && !stopping_, version);
        break;
      case Verdict::full:
        bump(detail::kRefusedFull);
        co_await answer(stream, http::status::service_unavailable,
                        "busy: the queue is full; send it again after " + std::to_string(o_.retry_after.count()) +
                            " s\n",
                        keep_alive && !stopping_, version);
        break;
      default:
        bump(detail::kRefusedUnavailable);
        co_await answer(stream, http::status::service_unavailable,
                        v == Verdict::withdrawn ? "busy: the service did not take the request in time; send it "
                                                  "again later\n"
                                                : "unavailable: the service is stopping; send it again later\n",
                        keep_alive && !stopping_, version);
        break;
    }
    if (!keep_alive || stopping_) {
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }
  }
}

// Server thread. New connections and idle ones are closed at once; requests already arriving get kStopGrace to
// finish (their hand-off is refused with 503); then the loop stops regardless.
void Server::shutdown() {
  stopping_ = true;
  error_code ec;
  acceptor_.close(ec);
  for (tcp::socket* s : idle_) s->close(ec);
  last_call_ = std::make_unique<net::steady_timer>(ioc_, kStopGrace);
  last_call_->async_wait([this](error_code) { ioc_.stop(); });
  maybe_finished();
}

void Server::maybe_finished() {
  if (stopping_ && counts_.sessions == 0 && counts_.refusing == 0 && last_call_) last_call_->cancel();
}

// ---------------------------------------------------------------- the actor

template <class O>
SendOutcome put_message(Tx<O>& tx, HttpMessage&& m) {
  if constexpr (std::is_same_v<O, HttpMessage>)
    return tx.try_send(std::move(m)).outcome();
  else
    return tx.try_send(std::move(m.body)).outcome();
}

template <class O>
Task run_ingest(Context& ctx, Tx<O>& tx, std::shared_ptr<detail::IngestShared> sh) {
  std::array<Counter, detail::kStatCount> counters;
  for (std::size_t i = 0; i < counters.size(); ++i) counters[i] = ctx.counter(detail::kStatNames[i]);
  Server server(sh, "http ingest '" + ctx.full_name() + "'", counters);
  const std::string endpoint = server.url() + sh->options.path;
  ctx.set_label("http_endpoint", endpoint);
  auto put = [&tx](HttpMessage&& m) { return put_message(tx, std::move(m)); };
  auto vote = [&]() -> Vote {
    server.decide(put);  // what was handed over before the stop still gets its chance
    server.close_intake();
    return agree();
  };
  auto next_status = std::chrono::steady_clock::time_point{};
  while (ctx.is_running(vote)) {
    (void)sh->bell.answer();  // rings from here on wake the next wait
    server.decide(put);
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_status) {
      next_status = now + std::chrono::seconds(1);
      ctx.set_status("POST " + endpoint + ": " + std::to_string(sh->stats[detail::kAccepted].load()) +
                     " accepted, " + std::to_string(sh->stats[detail::kRefusedFull].load()) + " refused (full)");
    }
    co_await ctx.wait_any(rung(sh->bell), after(std::chrono::seconds(1)));
  }
}

}  // namespace

// ---------------------------------------------------------------- HttpIngest

HttpIngest::HttpIngest(HttpIngestOptions options)
    : shared_(std::make_shared<detail::IngestShared>(std::move(options))) {}

Task HttpIngest::operator()(Context& ctx, Tx<HttpMessage>& tx) const { return run_ingest(ctx, tx, shared_); }
Task HttpIngest::operator()(Context& ctx, Tx<std::string>& tx) const { return run_ingest(ctx, tx, shared_); }

std::uint16_t HttpIngest::bound_port() const noexcept { return shared_->port.load(); }

std::uint16_t HttpIngest::wait_bound(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(shared_->mu);
  shared_->cv.wait_for(lock, timeout, [&] { return shared_->port.load() != 0 || shared_->failed; });
  return shared_->port.load();
}

std::string HttpIngest::last_error() const {
  std::lock_guard lock(shared_->mu);
  return shared_->last_error;
}

HttpIngestStats HttpIngest::stats() const noexcept {
  const auto& s = shared_->stats;
  using namespace detail;
  return {s[kAccepted].load(), s[kRefusedFull].load(), s[kRefusedUnavailable].load(), s[kBadRequest].load(),
          s[kNotFound].load(), s[kMethodNotAllowed].load(), s[kTimedOut].load(),        s[kTooLarge].load(),
          s[kBytesIn].load(),  s[kConnections].load(),      shared_->open_connections.load()};
}

const HttpIngestOptions& HttpIngest::options() const noexcept { return shared_->options; }

}  // namespace steady::actors
