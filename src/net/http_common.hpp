// src/net/http_common.hpp — what the library's two Beast servers share: the telemetry server
// (src/telemetry/http_server.cpp) and the HTTP ingest actor (src/actors/http_ingest.cpp). Internal: never
// installed, included only by those .cpp files (it pulls in Beast and Asio).
//
//   text_response     a text/plain answer with the headers both send (Server, Content-Type, Cache-Control)
//   write_then_close  write an answer, drain what the client still sends (briefly, bounded), close
//   accept_loop       accept connections up to a limit; beyond it answer 503 (kMaxRefusing at a time at
//                     most), beyond that just close
//
// Header-only (inline) because the two servers live in two libraries that are installed and linked
// separately: each gets the same definition, and there is no third library to install. Everything here runs
// on the server's own thread (its io_context); nothing takes a lock.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <initializer_list>
#include <string>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace steady::internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

using TextResponse = bhttp::response<bhttp::string_body>;

// Completion token of a coroutine step that reports its error in `ec` instead of throwing.
inline auto ec_token(boost::system::error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}

// A text/plain answer: `Server: steady_state`, `Cache-Control: no-store`, then `extra` headers in order, the
// keep-alive decision (`Connection`) and the body's Content-Length.
inline TextResponse text_response(
    bhttp::status status, std::string text, bool keep_alive = false, unsigned version = 11,
    std::initializer_list<std::pair<bhttp::field, beast::string_view>> extra = {}) {
  TextResponse res{status, version};
  res.set(bhttp::field::server, "steady_state");
  res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  res.set(bhttp::field::cache_control, "no-store");
  for (const auto& [field, value] : extra) res.set(field, value);
  res.keep_alive(keep_alive);
  res.body() = std::move(text);
  res.prepare_payload();
  return res;
}

constexpr auto kWriteTimeout = std::chrono::seconds(10);  // a client that does not read its answer is dropped

// Write `res` and close. The rest of what the client sent is read and dropped first (for 1 s and 256 KiB at
// most), so that the close does not reset the connection before the client has read the answer.
inline asio::awaitable<void> write_then_close(beast::tcp_stream& stream, const TextResponse& res) {
  boost::system::error_code ec;
  stream.expires_after(kWriteTimeout);
  co_await bhttp::async_write(stream, res, ec_token(ec));
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  std::array<char, 4096> sink{};
  stream.expires_after(std::chrono::seconds(1));
  for (std::size_t drained = 0; !ec && drained < 256 * 1024;)
    drained += co_await stream.async_read_some(asio::buffer(sink), ec_token(ec));
  stream.socket().close(ec);
}

constexpr std::size_t kMaxRefusing = 64;  // 503 answers in flight at most; beyond, a connection just closes

// An accept loop's counts (server thread only): connections being served, and 503 answers being written.
struct ConnectionCounts {
  std::size_t sessions = 0;
  std::size_t refusing = 0;
};

// What accept_loop calls, all on the server thread.
struct AcceptHandlers {
  std::function<bool()> stopping;                                      // true: the loop ends at once
  std::function<asio::awaitable<void>(asio::ip::tcp::socket)> serve;   // one admitted connection, to its end
  std::function<asio::awaitable<void>(asio::ip::tcp::socket)> refuse;  // over the limit: answer 503 and close
  std::function<void()> ended;  // after a serve or refuse coroutine ended, its count already lowered
};

// Accepts until the acceptor is closed (or `stopping()`): each connection is served while fewer than
// `max_connections` are, refused while fewer than kMaxRefusing refusals are in flight, and closed otherwise.
// An accept error (out of descriptors, say) pauses 50 ms instead of spinning.
inline asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, std::size_t max_connections,
                                         ConnectionCounts& counts, AcceptHandlers handlers) {
  for (;;) {
    boost::system::error_code ec;
    asio::ip::tcp::socket socket = co_await acceptor.async_accept(ec_token(ec));
    if (handlers.stopping() || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(ec_token(ec));
      continue;
    }
    if (counts.sessions >= max_connections) {
      if (counts.refusing < kMaxRefusing) {
        ++counts.refusing;
        asio::co_spawn(acceptor.get_executor(), handlers.refuse(std::move(socket)),
                       [&counts, ended = handlers.ended](std::exception_ptr) {
                         --counts.refusing;
                         ended();
                       });
      }
      continue;  // beyond that the socket just closes
    }
    ++counts.sessions;
    asio::co_spawn(acceptor.get_executor(), handlers.serve(std::move(socket)),
                   [&counts, ended = handlers.ended](std::exception_ptr) {
                     --counts.sessions;
                     ended();
                   });
  }
}

}  // namespace steady::internal
