// src/telemetry/http_server.cpp — see http_server.hpp: the server's sockets. What it answers is decided in
// http_answer.cpp (shared with answer_bytes(), the fuzzer's entry point); the accept loop's connection limit and
// the error answer's write-drain-close are src/net/http_common.hpp (shared with the HTTP ingest actor).
// Each connection is an Asio C++20 coroutine on the server's single thread, so nothing here needs a lock except
// the hand-over from broadcast() (posted onto the thread).
#include "http_server.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <exception>
#include <optional>
#include <set>
#include <thread>

#include <pthread.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "../net/http_common.hpp"
#include "http_answer.hpp"

namespace steady::telemetry {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr auto kPingEvery = std::chrono::seconds(15);  // an idle stream notices a client that went away
constexpr std::size_t kQueuedPerClient = 8;          // frames a slow event client may lag behind

using internal::ec_token;
using internal::kWriteTimeout;
using http_answer::Answer;
using http_answer::Response;

const std::string kPing = ": ping\n\n";

}  // namespace

struct EventClient {
  explicit EventClient(net::any_io_executor ex) : signal(ex) {}
  std::deque<std::shared_ptr<const std::string>> queue;
  net::steady_timer signal;  // cancelled to say "the queue has news"
  tcp::socket* socket = nullptr;
};

struct HttpServer::Impl {
  explicit Impl(HttpConfig c, Handler h, Greeting g)
      : config(std::move(c)), handler(std::move(h)), greeting(std::move(g)) {}

  HttpConfig config;
  Handler handler;
  Greeting greeting;
  // Declared before the io_context: coroutine frames it still holds when it is destroyed unregister from these.
  bool stopping = false;                                  // server thread only
  std::set<std::shared_ptr<EventClient>> clients;         // server thread only
  std::set<tcp::socket*> sockets;                         // open connections, server thread only
  internal::ConnectionCounts counts;                      // served and refused connections, server thread only
  std::atomic<std::size_t> streams{0};
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::unique_ptr<net::steady_timer> last_call;  // bounds the shutdown
  std::uint16_t port = 0;
  std::string url;
  bool loopback_only = false;  // bound to a loopback address: check the Host header
  std::thread thread;

  Result<bool> open();
  net::awaitable<void> accept_loop();
  net::awaitable<void> session(tcp::socket socket);
  net::awaitable<void> refuse(tcp::socket socket);
  net::awaitable<void> event_stream(beast::tcp_stream& stream);
  void shutdown();
  void maybe_finished();  // after shutdown(): stop the loop once the last connection has ended
};

// ---------------------------------------------------------------- binding

Result<bool> HttpServer::Impl::open() {
  error_code ec;
  std::string host = config.bind == "localhost" ? "127.0.0.1" : config.bind;
  const net::ip::address addr = net::ip::make_address(host, ec);
  if (ec)
    return Error{"telemetry: cannot listen on '" + config.bind +
                 "': not an IP address (use 127.0.0.1 for this machine only, 0.0.0.0 for every interface)"};
  // Not explicit: from the requested port upwards, the first free one (port 0: the system picks).
  const unsigned tries = config.port_explicit || config.port == 0 ? 1 : 64;
  for (unsigned i = 0; i < tries && config.port + i <= 65535; ++i) {
    const auto p = static_cast<std::uint16_t>(config.port + i);
    const tcp::endpoint ep(addr, p);
    acceptor.open(ep.protocol(), ec);
    if (ec) return Error{"telemetry: cannot open a socket: " + ec.message()};
    acceptor.set_option(net::socket_base::reuse_address(true), ec);  // a restarted service gets its port back
    acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (!ec) {
      port = acceptor.local_endpoint().port();
      break;
    }
    const error_code failed = ec;
    acceptor.close(ec);
    if (failed == net::error::address_in_use && !config.port_explicit) continue;
    if (failed == net::error::address_in_use)
      return Error{"telemetry: port " + std::to_string(p) + " on " + config.bind +
                   " is already in use, and it was set explicitly (--telemetry-port / STEADY_TELEMETRY_PORT / "
                   "Options::port_explicit); choose a free port, or leave it unset to take the next free one"};
    return Error{"telemetry: cannot listen on " + config.bind + ":" + std::to_string(p) + ": " + failed.message()};
  }
  if (port == 0)
    return Error{"telemetry: ports " + std::to_string(config.port) + ".." + std::to_string(config.port + tries - 1) +
                 " on " + config.bind + " are all in use; set a free port with --telemetry-port"};
  loopback_only = addr.is_loopback();
  if (addr.is_unspecified()) host = addr.is_v6() ? "[::1]" : "127.0.0.1";  // where a browser on this machine goes
  else if (addr.is_v6()) host = "[" + host + "]";
  url = "http://" + host + ":" + std::to_string(port);
  return true;
}

// ---------------------------------------------------------------- connections

net::awaitable<void> HttpServer::Impl::accept_loop() {
  co_await internal::accept_loop(acceptor, config.max_connections, counts,
                                 {[this] { return stopping; },
                                  [this](tcp::socket s) { return session(std::move(s)); },
                                  [this](tcp::socket s) { return refuse(std::move(s)); },
                                  [this] { maybe_finished(); }});
}

net::awaitable<void> HttpServer::Impl::refuse(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  co_await internal::write_then_close(
      stream, http_answer::error_response(http::status::service_unavailable, "too many connections; try again later\n"));
}

net::awaitable<void> HttpServer::Impl::session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  sockets.insert(&stream.socket());
  struct Forget {  // the coroutine may end at any co_await when the server stops: unregister in a destructor
    Impl* self;
    tcp::socket* s;
    ~Forget() { self->sockets.erase(s); }
  } forget{this, &stream.socket()};
  beast::flat_buffer buffer(http_answer::kReadBuffer);
  for (;;) {
    http_answer::RequestParser parser;
    http_answer::limit(parser);
    error_code ec;
    stream.expires_after(kIdleTimeout);
    co_await http::async_read(stream, buffer, parser, ec_token(ec));
    if (stopping) co_return;
    if (ec) {
      if (auto res = http_answer::read_failure(ec)) co_await internal::write_then_close(stream, *res);
      co_return;
    }
    Answer a = http_answer::answer(parser.get(), config, loopback_only, handler);
    if (a.then == Answer::Then::error) {
      co_await internal::write_then_close(stream, a.res);
      co_return;
    }
    if (a.then == Answer::Then::event_stream) {
      co_await event_stream(stream);
      co_return;
    }
    stream.expires_after(kWriteTimeout);
    co_await http::async_write(stream, a.res, ec_token(ec));
    if (ec || !a.res.keep_alive() || stopping) {
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }
  }
}

// A stream of Server-Sent Events: a header without a length (the body ends when the connection does), then each
// queued message as it comes, and a comment line when nothing came for a while.
net::awaitable<void> HttpServer::Impl::event_stream(beast::tcp_stream& stream) {
  auto client = std::make_shared<EventClient>(ioc.get_executor());
  client->socket = &stream.socket();
  clients.insert(client);
  ++streams;
  struct Leave {
    Impl* self;
    std::shared_ptr<EventClient> c;
    ~Leave() {
      self->clients.erase(c);
      --self->streams;
    }
  } leave{this, client};
  static const std::string head =
      "HTTP/1.1 200 OK\r\nServer: steady_state\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
      "Cache-Control: no-store\r\nX-Accel-Buffering: no\r\nConnection: close\r\n\r\nretry: 1000\n\n";
  client->queue.push_back(std::make_shared<const std::string>(head));
  if (greeting)
    for (auto& m : greeting()) client->queue.push_back(std::move(m));
  error_code ec;
  for (;;) {
    while (!client->queue.empty()) {
      const std::shared_ptr<const std::string> m = client->queue.front();
      client->queue.pop_front();
      stream.expires_after(kWriteTimeout);
      co_await net::async_write(stream, net::buffer(*m), ec_token(ec));
      if (ec || stopping) co_return;
    }
    stream.expires_never();
    client->signal.expires_after(kPingEvery);
    co_await client->signal.async_wait(ec_token(ec));
    if (stopping) co_return;
    if (!ec && client->queue.empty()) client->queue.push_back(std::make_shared<const std::string>(kPing));
  }
}

// Server thread. Every coroutine then ends at its next co_await, and run() returns when none is left; a 2 s timer
// stops the loop regardless (an error answer still draining its client, say).
void HttpServer::Impl::shutdown() {
  stopping = true;
  error_code ec;
  acceptor.close(ec);
  for (auto& c : clients) c->signal.cancel();
  for (tcp::socket* s : sockets) s->close(ec);  // pending reads and writes end with operation_aborted
  last_call = std::make_unique<net::steady_timer>(ioc, std::chrono::seconds(2));
  last_call->async_wait([this](error_code) { ioc.stop(); });
  maybe_finished();
}

void HttpServer::Impl::maybe_finished() {
  if (stopping && counts.sessions == 0 && counts.refusing == 0 && last_call) last_call->cancel();
}

// ---------------------------------------------------------------- HttpServer

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpConfig& config, Handler handler, Greeting greeting) {
  auto impl = std::make_unique<Impl>(config, std::move(handler), std::move(greeting));
  if (auto opened = impl->open(); !opened) return Error{opened.error()};
  Impl* self = impl.get();
  net::co_spawn(self->ioc, self->accept_loop(), net::detached);
  self->thread = std::thread([self] {
    pthread_setname_np(pthread_self(), "telemetry-http");
    for (;;) {
      try {
        self->ioc.run();
        return;
      } catch (const std::exception&) {  // a handler bug must not end the server: keep serving
      }
    }
  });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::~HttpServer() {
  if (!impl_) return;
  net::post(impl_->ioc, [self = impl_.get()] { self->shutdown(); });
  if (impl_->thread.joinable()) impl_->thread.join();
}

void HttpServer::broadcast(std::shared_ptr<const std::string> message) {
  if (impl_->streams.load(std::memory_order_relaxed) == 0) return;
  net::post(impl_->ioc, [self = impl_.get(), m = std::move(message)] {
    for (auto& c : self->clients) {
      if (c->queue.size() >= kQueuedPerClient) c->queue.pop_front();
      c->queue.push_back(m);
      c->signal.cancel();
    }
  });
}

std::size_t HttpServer::event_clients() const noexcept { return impl_->streams.load(); }
std::uint16_t HttpServer::port() const noexcept { return impl_->port; }
const std::string& HttpServer::url() const noexcept { return impl_->url; }

}  // namespace steady::telemetry
