// src/telemetry/http_server.cpp — see http_server.hpp. The only translation unit that includes Beast and Asio.
// Each connection is an Asio C++20 coroutine on the server's single thread, so nothing here needs a lock except
// the hand-over from broadcast() (posted onto the thread).
#include "http_server.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <exception>
#include <optional>
#include <set>
#include <sstream>
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
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/http/error.hpp>

namespace steady::telemetry {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr std::size_t kHeaderLimit = 8 * 1024;       // a browser's GET with cookies fits easily
constexpr std::size_t kBodyLimit = 1024;             // read-only server: GETs have no body
constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr auto kWriteTimeout = std::chrono::seconds(10);
constexpr auto kPingEvery = std::chrono::seconds(15);  // an idle stream notices a client that went away
constexpr std::size_t kQueuedPerClient = 8;          // frames a slow event client may lag behind
constexpr std::size_t kRefusing = 64;                // 503 answers in flight at most; beyond, just close

auto ec_token(error_code& ec) { return net::redirect_error(net::use_awaitable, ec); }

// A web page elsewhere can make a browser send requests to a loopback port under its own host name (DNS
// rebinding); a server bound to loopback answers only requests that name a loopback host.
bool loopback_host(beast::string_view host) {
  std::string h(host);
  if (h.empty()) return true;  // HTTP/1.0 clients send none
  if (h.front() == '[') return h.rfind("[::1]", 0) == 0;
  h = h.substr(0, h.find(':'));
  return h == "localhost" || h.rfind("127.", 0) == 0;
}

const std::string kPing = ": ping\n\n";

using Response = http::response<http::string_body>;

// ---------------------------------------------------------------- what to answer
// The decisions of a connection, apart from its socket: session() and answer_bytes() both take them from here.

// An error answer; the connection closes after it.
Response error_response(http::status status, const std::string& text) {
  Response res{status, 11};
  res.set(http::field::server, "steady_state");
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(false);
  res.body() = text;
  res.prepare_payload();
  return res;
}

// The answer to a request that could not be read whole, or nothing when the connection just ends (the client
// closed or went quiet, or the server stops).
std::optional<Response> read_failure(const error_code& ec) {
  if (ec == http::error::end_of_stream || ec == net::error::eof || ec == beast::error::timeout ||
      ec == net::error::connection_reset || ec == net::error::operation_aborted)
    return std::nullopt;
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
    return error_response(http::status::request_header_fields_too_large, "request head larger than 8 KiB\n");
  if (ec == http::error::body_limit)
    return error_response(http::status::payload_too_large, "request body larger than 1 KiB\n");
  return error_response(http::status::bad_request, "malformed request: " + ec.message() + "\n");
}

HttpReply dispatch(const HttpServer::Handler& handler, const std::string& target) {
  const auto q = target.find('?');
  const std::string path = target.substr(0, q);
  const std::string query = q == std::string::npos ? std::string() : target.substr(q + 1);
  try {
    return handler(path, query);
  } catch (const std::exception& e) {
    return HttpReply{500, "text/plain; charset=utf-8", std::string("internal error: ") + e.what() + "\n", {}};
  } catch (...) {
    return HttpReply{500, "text/plain; charset=utf-8", "internal error\n", {}};
  }
}

struct Answer {
  enum class Then {
    reply,           // write `res`; the connection stays open if res.keep_alive()
    error,           // write `res`, drain what the client still sends, close
    event_stream,    // the connection becomes an event stream (`res` unused)
  } then = Then::reply;
  Response res;
};

// The answer to a request read whole.
Answer answer(const http::request<http::string_body>& req, const HttpConfig& config, bool loopback_only,
              const HttpServer::Handler& handler) {
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    Response res{http::status::method_not_allowed, req.version()};
    res.set(http::field::allow, "GET, HEAD");
    res.set(http::field::server, "steady_state");
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.body() = "read-only: GET or HEAD\n";
    res.keep_alive(false);
    res.prepare_payload();
    return {Answer::Then::reply, std::move(res)};
  }
  if (loopback_only && !loopback_host(req[http::field::host]))
    return {Answer::Then::error,
            error_response(http::status::forbidden,
                           "Host not allowed: this server listens on loopback and answers only requests addressed "
                           "to 127.0.0.1, localhost or [::1] (a guard against DNS rebinding)\n")};
  const std::string target(req.target());
  const std::string path = target.substr(0, target.find('?'));
  if (path == config.events_path && req.method() == http::verb::get) return {Answer::Then::event_stream, {}};
  const HttpReply reply = dispatch(handler, target);
  Response res{static_cast<http::status>(reply.status), req.version()};
  res.set(http::field::server, "steady_state");
  res.set(http::field::content_type, reply.content_type);
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  for (const auto& [k, v] : reply.headers) res.set(k, v);
  res.keep_alive(req.keep_alive());
  res.body() = reply.body;
  res.prepare_payload();
  if (req.method() == http::verb::head) res.body().clear();  // Content-Length stays that of the GET
  return {Answer::Then::reply, std::move(res)};
}

void limit(http::request_parser<http::string_body>& parser) {
  parser.header_limit(kHeaderLimit);
  parser.body_limit(kBodyLimit);
}
constexpr std::size_t kReadBuffer = 2 * (kHeaderLimit + kBodyLimit);  // its max size: the parser's limits hit first

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
  std::atomic<std::size_t> connections{0}, streams{0}, refusing{0};
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
  net::awaitable<void> answer_error(beast::tcp_stream& stream, Response res);
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
  for (;;) {
    error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(ec_token(ec));
    if (stopping || ec == net::error::operation_aborted) co_return;
    if (ec) {  // out of descriptors, say: wait a little instead of spinning
      net::steady_timer pause(ioc, std::chrono::milliseconds(50));
      co_await pause.async_wait(ec_token(ec));
      continue;
    }
    if (connections.load() >= config.max_connections) {
      if (refusing.load() < kRefusing) {
        ++refusing;
        net::co_spawn(ioc, refuse(std::move(socket)), [this](std::exception_ptr) {
          --refusing;
          maybe_finished();
        });
      }
      continue;  // beyond that the socket just closes
    }
    ++connections;
    net::co_spawn(ioc, session(std::move(socket)), [this](std::exception_ptr) {
      --connections;
      maybe_finished();
    });
  }
}

net::awaitable<void> HttpServer::Impl::refuse(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  co_await answer_error(stream,
                        error_response(http::status::service_unavailable, "too many connections; try again later\n"));
}

// Answer with an error and close. The rest of what the client sent is read and dropped first (briefly), so the
// close does not reset the connection before the client has read the answer.
net::awaitable<void> HttpServer::Impl::answer_error(beast::tcp_stream& stream, Response res) {
  error_code ec;
  stream.expires_after(kWriteTimeout);
  co_await http::async_write(stream, res, ec_token(ec));
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  std::array<char, 4096> sink{};
  stream.expires_after(std::chrono::seconds(1));
  for (std::size_t drained = 0; !ec && drained < 256 * 1024;)
    drained += co_await stream.async_read_some(net::buffer(sink), ec_token(ec));
  stream.socket().close(ec);
}

net::awaitable<void> HttpServer::Impl::session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  sockets.insert(&stream.socket());
  struct Forget {  // the coroutine may end at any co_await when the server stops: unregister in a destructor
    Impl* self;
    tcp::socket* s;
    ~Forget() { self->sockets.erase(s); }
  } forget{this, &stream.socket()};
  beast::flat_buffer buffer(kReadBuffer);
  for (;;) {
    http::request_parser<http::string_body> parser;
    limit(parser);
    error_code ec;
    stream.expires_after(kIdleTimeout);
    co_await http::async_read(stream, buffer, parser, ec_token(ec));
    if (stopping) co_return;
    if (ec) {
      if (auto res = read_failure(ec)) co_await answer_error(stream, std::move(*res));
      co_return;
    }
    Answer a = answer(parser.get(), config, loopback_only, handler);
    if (a.then == Answer::Then::error) {
      co_await answer_error(stream, std::move(a.res));
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
  if (stopping && connections.load() == 0 && refusing.load() == 0 && last_call) last_call->cancel();
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

// ---------------------------------------------------------------- without a socket

// The read loop of http::async_read (Beast's read_some), over bytes in memory: the buffer is filled as far as
// its max size allows, the parser consumes what it can; at the end of the bytes, a request begun is put_eof'd
// (an error unless it is complete) and no request at all is end_of_stream, as on a socket the client shut.
std::string answer_bytes(std::string_view bytes, const HttpConfig& config, bool loopback_only,
                         const HttpServer::Handler& handler) {
  std::ostringstream out;
  beast::flat_buffer buffer(kReadBuffer);
  for (;;) {
    http::request_parser<http::string_body> parser;
    limit(parser);
    parser.eager(true);  // as http::read
    error_code ec;
    while (!ec && !parser.is_done()) {
      if (buffer.size() != 0) {
        buffer.consume(parser.put(buffer.data(), ec));
        if (ec != http::error::need_more) continue;
        ec = {};
      }
      if (bytes.empty()) {
        if (parser.got_some())
          parser.put_eof(ec);
        else
          ec = http::error::end_of_stream;
        break;
      }
      const std::size_t room = buffer.max_size() - buffer.size();
      if (room == 0) {
        ec = http::error::buffer_overflow;
        break;
      }
      const std::size_t n = std::min(room, bytes.size());
      auto into = buffer.prepare(n);
      net::buffer_copy(into, net::buffer(bytes.data(), n));
      buffer.commit(n);
      bytes.remove_prefix(n);
    }
    if (ec) {
      if (auto res = read_failure(ec)) out << *res;
      return out.str();
    }
    Answer a = answer(parser.get(), config, loopback_only, handler);
    if (a.then == Answer::Then::event_stream) {
      out << "[event stream]\n";
      return out.str();
    }
    out << a.res;
    if (a.then == Answer::Then::error || !a.res.keep_alive()) return out.str();
  }
}

std::size_t HttpServer::event_clients() const noexcept { return impl_->streams.load(); }
std::uint16_t HttpServer::port() const noexcept { return impl_->port; }
const std::string& HttpServer::url() const noexcept { return impl_->url; }

}  // namespace steady::telemetry
