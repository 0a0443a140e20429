// src/telemetry/http_answer.hpp — what the telemetry server answers, apart from its sockets: the parser's
// limits, the answer to a request that could not be read, and the answer to one read whole. http_server.cpp's
// connections and answer_bytes() (http_answer.cpp, the fuzzer's entry point) both take their decisions from
// here, so the fuzzer drives exactly the server's code. Internal: included by those two files only (Beast).
//
// Free of sockets and coroutines on purpose: http_answer.cpp is the translation unit the fuzzer instruments,
// and clang 14 cannot compile Asio's C++20 coroutines with -fsanitize=function (part of -fsanitize=undefined:
// "Cannot represent a difference across sections", LLVM issue 49689, fixed in clang 15).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http_server.hpp"

namespace steady::telemetry::http_answer {

namespace bhttp = boost::beast::http;

using Response = bhttp::response<bhttp::string_body>;
using Request = bhttp::request<bhttp::string_body>;
using RequestParser = bhttp::request_parser<bhttp::string_body>;

constexpr std::size_t kHeaderLimit = 8 * 1024;  // a browser's GET with cookies fits easily
constexpr std::size_t kBodyLimit = 1024;        // read-only server: GETs have no body
// The read buffer's max size: the parser's limits are hit first.
constexpr std::size_t kReadBuffer = 2 * (kHeaderLimit + kBodyLimit);

// Sets the header and body limits above on a fresh parser.
void limit(RequestParser& parser);

// An error answer (text/plain, HTTP/1.1); the connection closes after it.
Response error_response(bhttp::status status, std::string text);

// The answer to a request that could not be read whole, or nothing when the connection just ends (the client
// closed or went quiet, or the server stops).
std::optional<Response> read_failure(const boost::system::error_code& ec);

struct Answer {
  enum class Then {
    reply,         // write `res`; the connection stays open if res.keep_alive()
    error,         // write `res`, drain what the client still sends, close
    event_stream,  // the connection becomes an event stream (`res` unused)
  } then = Then::reply;
  Response res;
};

// The answer to a request read whole: 405 for a method other than GET or HEAD, 403 for a foreign Host when
// `loopback_only`, the event stream for config.events_path, otherwise the handler's reply (500 if it throws).
Answer answer(const Request& req, const HttpConfig& config, bool loopback_only,
              const HttpServer::Handler& handler);

}  // namespace steady::telemetry::http_answer
