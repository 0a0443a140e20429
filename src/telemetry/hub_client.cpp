// src/telemetry/hub_client.cpp — see hub_client.hpp. With http_server.cpp, the only translation units that include
// Beast and Asio.
#include "hub_client.hpp"

// GCC 12 reports asio's recycling allocator for coroutine frames (its own operator new/delete pair) as a mismatched
// new/delete once it inlines the frame's release here; a known false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <algorithm>
#include <atomic>
#include <cctype>
#include <exception>
#include <thread>

#include <pthread.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "steady/log.hpp"

namespace steady::telemetry {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr std::size_t kBodyLimit = 32 * 1024 * 1024;  // a snapshot of thousands of actors is a few MiB

auto ec_token(error_code& ec) { return net::redirect_error(net::use_awaitable, ec); }

const char* kExample = " (expected e.g. http://127.0.0.1:9900)";

}  // namespace

// ---------------------------------------------------------------- URLs

std::string PeerUrl::host_header() const {
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + port;
}

Result<PeerUrl> parse_peer_url(const std::string& text) {
  const std::string bad = "peer '" + text + "': ";
  const std::string scheme = "http://";
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.rfind("https://", 0) == 0)
    return Error{bad + "https is not supported: telemetry servers speak plain HTTP; use http://" + kExample};
  if (lower.rfind(scheme, 0) != 0)
    return Error{bad + "not an http:// URL of a telemetry server" + std::string(kExample)};
  std::string rest = text.substr(scheme.size());
  if (rest.find_first_of("?#") != std::string::npos)
    return Error{bad + "a query or fragment is not allowed: give the server's base URL" + kExample};
  if (rest.find('@') != std::string::npos)
    return Error{bad + "user information (user@host) is not supported" + std::string(kExample)};
  PeerUrl u;
  const std::size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? std::string() : rest.substr(slash);
  if (authority.empty()) return Error{bad + "no host" + std::string(kExample)};
  std::string port = "80";
  if (authority.front() == '[') {  // [::1]:9900
    const std::size_t close = authority.find(']');
    if (close == std::string::npos) return Error{bad + "an IPv6 address needs a closing ']'" + std::string(kExample)};
    u.host = authority.substr(1, close - 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Error{bad + "expected ':port' after the IPv6 address" + std::string(kExample)};
      port = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return Error{bad + "no host" + std::string(kExample)};
  for (char c : u.host)
    if (std::isspace(static_cast<unsigned char>(c)) != 0 || c == '/' || c == '[' || c == ']')
      return Error{bad + "the host contains '" + std::string(1, c) + "'" + kExample};
  unsigned long number = 0;
  bool digits = !port.empty() && port.size() <= 5;
  for (char c : port) digits = digits && std::isdigit(static_cast<unsigned char>(c)) != 0;
  if (digits) number = std::stoul(port);
  if (!digits || number == 0 || number > 65535)
    return Error{bad + "the port '" + port + "' is not a number in 1..65535" + kExample};
  u.port = std::to_string(number);
  while (!path.empty() && path.back() == '/') path.pop_back();
  const std::string tail = "/snapshot.json";  // someone pasted the endpoint itself
  if (path.size() >= tail.size() && path.compare(path.size() - tail.size(), tail.size(), tail) == 0)
    path.erase(path.size() - tail.size());
  while (!path.empty() && path.back() == '/') path.pop_back();
  u.prefix = path;
  u.url = "http://" + u.host_header() + u.prefix;
  return u;
}

// ---------------------------------------------------------------- the poller

struct Poller::Impl {
  Impl(std::vector<PeerUrl> p, std::chrono::milliseconds e, std::chrono::milliseconds t, OnReply r, OnTick k)
      : peers(std::move(p)), every(e), timeout(t), on_reply(std::move(r)), on_tick(std::move(k)) {}

  std::vector<PeerUrl> peers;
  std::chrono::milliseconds every, timeout;
  OnReply on_reply;
  OnTick on_tick;
  std::atomic<bool> stopping{false};
  net::io_context ioc{1};
  std::thread thread;

  net::awaitable<void> fetch(const PeerUrl& peer, PeerReply& reply);
  net::awaitable<void> peer_loop(std::size_t i);
  net::awaitable<void> tick_loop();
  void guarded(const char* what, const std::function<void()>& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      log(LogLevel::error, std::string("steady-hub: ") + what + " failed: " + e.what());
    }
  }
};

namespace {

std::string describe(const error_code& ec, std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout || ec == net::error::operation_aborted)
    return "no answer within " + std::to_string(timeout.count()) + " ms";
  if (ec == net::error::connection_refused) return "connection refused (is the process running?)";
  if (ec == http::error::body_limit) return "its snapshot is larger than 32 MiB";
  if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset)
    return "the connection closed before an answer (" + ec.message() + ")";
  return ec.message();
}

}  // namespace

net::awaitable<void> Poller::Impl::fetch(const PeerUrl& peer, PeerReply& reply) {
  reply = PeerReply{};
  error_code ec;
  // The resolver has no deadline of its own: a timer cancels it (it is shared, so a timer that fires late finds it).
  auto resolver = std::make_shared<tcp::resolver>(ioc);
  net::steady_timer guard(ioc);
  guard.expires_after(timeout);
  guard.async_wait([resolver](error_code e) {
    if (!e) resolver->cancel();
  });
  const auto results = co_await resolver->async_resolve(peer.host, peer.port, ec_token(ec));
  guard.cancel();
  if (ec) {
    reply.error = ec == net::error::operation_aborted ? "cannot resolve '" + peer.host + "' within " +
                                                            std::to_string(timeout.count()) + " ms"
                                                      : "cannot resolve '" + peer.host + "': " + ec.message();
    co_return;
  }
  beast::tcp_stream stream(ioc);
  stream.expires_after(timeout);  // one deadline for connect, write and read together
  co_await stream.async_connect(results, ec_token(ec));
  if (ec) {
    reply.error = describe(ec, timeout);
    co_return;
  }
  http::request<http::empty_body> req{http::verb::get, peer.prefix + "/snapshot.json", 11};
  req.set(http::field::host, peer.host_header());
  req.set(http::field::user_agent, "steady-hub");
  req.set(http::field::accept, "application/json");
  req.keep_alive(false);
  co_await http::async_write(stream, req, ec_token(ec));
  if (ec) {
    reply.error = describe(ec, timeout);
    co_return;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  co_await http::async_read(stream, buffer, parser, ec_token(ec));
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  if (ec && !parser.is_done()) {
    reply.error = describe(ec, timeout);
    co_return;
  }
  auto res = parser.release();
  if (res.result() != http::status::ok) {
    reply.error = "GET " + std::string(req.target()) + " answered HTTP " + std::to_string(res.result_int()) +
                  " (is it a steady_state telemetry server?)";
    co_return;
  }
  reply.ok = true;
  reply.body = std::move(res.body());
  co_return;
}

net::awaitable<void> Poller::Impl::peer_loop(std::size_t i) {
  net::steady_timer timer(ioc);
  auto next = std::chrono::steady_clock::now();
  while (!stopping.load()) {
    PeerReply reply;
    co_await fetch(peers[i], reply);
    if (stopping.load()) co_return;
    guarded("handling a peer's answer", [&] { on_reply(i, std::move(reply)); });
    next += every;
    const auto now = std::chrono::steady_clock::now();
    if (next <= now) next = now;  // a slow peer: ask again at once, but only this one waits for it
    timer.expires_at(next);
    error_code ec;
    co_await timer.async_wait(ec_token(ec));
  }
}

net::awaitable<void> Poller::Impl::tick_loop() {
  net::steady_timer timer(ioc);
  auto next = std::chrono::steady_clock::now();
  while (!stopping.load()) {
    guarded("merging the peers' graphs", [&] { on_tick(); });
    next += every;
    const auto now = std::chrono::steady_clock::now();
    if (next <= now) next = now + every;  // fell behind: skip, do not burst
    timer.expires_at(next);
    error_code ec;
    co_await timer.async_wait(ec_token(ec));
  }
}

Poller::Poller(std::vector<PeerUrl> peers, std::chrono::milliseconds every, std::chrono::milliseconds timeout,
               OnReply on_reply, OnTick on_tick)
    : impl_(std::make_unique<Impl>(std::move(peers), every, timeout, std::move(on_reply), std::move(on_tick))) {
  Impl* self = impl_.get();
  for (std::size_t i = 0; i < self->peers.size(); ++i) net::co_spawn(self->ioc, self->peer_loop(i), net::detached);
  net::co_spawn(self->ioc, self->tick_loop(), net::detached);
  self->thread = std::thread([self] {
    pthread_setname_np(pthread_self(), "hub-poller");
    for (;;) {
      try {
        self->ioc.run();
        return;
      } catch (const std::exception& e) {  // a bug in one loop must not end the polling of the others
        log(LogLevel::error, std::string("steady-hub: poller: ") + e.what());
      }
    }
  });
}

Poller::~Poller() {
  impl_->stopping.store(true);
  impl_->ioc.stop();  // pending requests and timers are dropped with the io_context, after the join
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace steady::telemetry
