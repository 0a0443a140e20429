// src/telemetry/http_answer.cpp — see http_answer.hpp: the telemetry server's decisions, and answer_bytes()
// (declared in http_server.hpp), the same decisions over bytes in memory. No sockets, no coroutines.
#include "http_answer.hpp"

#include <algorithm>
#include <exception>
#include <sstream>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/write.hpp>

#include "../net/http_common.hpp"

namespace steady::telemetry {

namespace http_answer {

namespace net = boost::asio;
namespace beast = boost::beast;
using error_code = boost::system::error_code;

namespace {

// A web page elsewhere can make a browser send requests to a loopback port under its own host name (DNS
// rebinding); a server bound to loopback answers only requests that name a loopback host.
bool loopback_host(beast::string_view host) {
  std::string h(host);
  if (h.empty()) return true;  // HTTP/1.0 clients send none
  if (h.front() == '[') return h.rfind("[::1]", 0) == 0;
  h = h.substr(0, h.find(':'));
  return h == "localhost" || h.rfind("127.", 0) == 0;
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

}  // namespace

void limit(RequestParser& parser) {
  parser.header_limit(kHeaderLimit);
  parser.body_limit(kBodyLimit);
}

Response error_response(bhttp::status status, std::string text) {
  return internal::text_response(status, std::move(text));
}

std::optional<Response> read_failure(const error_code& ec) {
  if (ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == beast::error::timeout ||
      ec == net::error::connection_reset || ec == net::error::operation_aborted)
    return std::nullopt;
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow)
    return error_response(bhttp::status::request_header_fields_too_large, "request head larger than 8 KiB\n");
  if (ec == bhttp::error::body_limit)
    return error_response(bhttp::status::payload_too_large, "request body larger than 1 KiB\n");
  return error_response(bhttp::status::bad_request, "malformed request: " + ec.message() + "\n");
}

Answer answer(const Request& req, const HttpConfig& config, bool loopback_only,
              const HttpServer::Handler& handler) {
  if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
    Response res{bhttp::status::method_not_allowed, req.version()};
    res.set(bhttp::field::allow, "GET, HEAD");
    res.set(bhttp::field::server, "steady_state");
    res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    res.body() = "read-only: GET or HEAD\n";
    res.keep_alive(false);
    res.prepare_payload();
    return {Answer::Then::reply, std::move(res)};
  }
  if (loopback_only && !loopback_host(req[bhttp::field::host]))
    return {Answer::Then::error,
            error_response(
                bhttp::status::forbidden,
                "Host not allowed: this server listens on loopback and answers only requests addressed "
                "to 127.0.0.1, localhost or [::1] (a guard against DNS rebinding)\n")};
  const std::string target(req.target());
  const std::string path = target.substr(0, target.find('?'));
  if (path == config.events_path && req.method() == bhttp::verb::get) return {Answer::Then::event_stream, {}};
  const HttpReply reply = dispatch(handler, target);
  Response res{static_cast<bhttp::status>(reply.status), req.version()};
  res.set(bhttp::field::server, "steady_state");
  res.set(bhttp::field::content_type, reply.content_type);
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  for (const auto& [k, v] : reply.headers) res.set(k, v);
  res.keep_alive(req.keep_alive());
  res.body() = reply.body;
  res.prepare_payload();
  if (req.method() == bhttp::verb::head) res.body().clear();  // Content-Length stays that of the GET
  return {Answer::Then::reply, std::move(res)};
}

}  // namespace http_answer

// The read loop of http::async_read (Beast's read_some), over bytes in memory: the buffer is filled as far as
// its max size allows, the parser consumes what it can; at the end of the bytes, a request begun is put_eof'd
// (an error unless it is complete) and no request at all is end_of_stream, as on a socket the client shut.
std::string answer_bytes(std::string_view bytes, const HttpConfig& config, bool loopback_only,
                         const HttpServer::Handler& handler) {
  namespace net = boost::asio;
  namespace bhttp = boost::beast::http;
  using namespace http_answer;
  std::ostringstream out;
  boost::beast::flat_buffer buffer(kReadBuffer);
  for (;;) {
    RequestParser parser;
    limit(parser);
    parser.eager(true);  // as http::read
    boost::system::error_code ec;
    while (!ec && !parser.is_done()) {
      if (buffer.size() != 0) {
        buffer.consume(parser.put(buffer.data(), ec));
        if (ec != bhttp::error::need_more) continue;
        ec = {};
      }
      if (bytes.empty()) {
        if (parser.got_some())
          parser.put_eof(ec);
        else
          ec = bhttp::error::end_of_stream;
        break;
      }
      const std::size_t room = buffer.max_size() - buffer.size();
      if (room == 0) {
        ec = bhttp::error::buffer_overflow;
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

}  // namespace steady::telemetry
