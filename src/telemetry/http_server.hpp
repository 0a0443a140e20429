// src/telemetry/http_server.hpp — a small read-only HTTP/1.1 server on Boost.Beast: GET/HEAD only, bounded
// request sizes, a bounded number of connections, keep-alive, and one Server-Sent Events path whose clients get
// every broadcast message. One thread runs it. Beast and Asio are included only by http_server.cpp (the one
// translation unit that pays for them). Internal.
//
// Answers it gives by itself: 400 for a malformed request, 405 for other methods, 413 for a body over 1 KiB,
// 431 for a request head over 8 KiB, 503 when the connections are all taken, 500 when the handler throws, and —
// when bound to a loopback address — 403 for a Host header that names another host (DNS rebinding). A connection
// idle for 30 s is closed. None of these stop the server.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "steady/result.hpp"

namespace steady::telemetry {

struct HttpReply {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpConfig {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 9900;
  bool port_explicit = false;  // in use = error, instead of trying the next ports
  std::size_t max_connections = 32;
  std::string events_path = "/events";
};

class HttpServer {
 public:
  // Runs on the server thread for every GET/HEAD except events_path. `path` is percent-decoded only as far as
  // HTTP requires nothing: it is compared verbatim. `query` is what follows '?', or "".
  using Handler = std::function<HttpReply(const std::string& path, const std::string& query)>;
  // Runs on the server thread when an event-stream client connects: what it is sent first (complete SSE messages).
  using Greeting = std::function<std::vector<std::shared_ptr<const std::string>>()>;

  // Binds and starts the thread. Fails with a readable message (port in use, bad address, no free port).
  [[nodiscard]] static Result<std::unique_ptr<HttpServer>> start(const HttpConfig& config, Handler handler,
                                                                 Greeting greeting);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Any thread: queue one complete SSE message ("event: …\ndata: …\n\n") for every event-stream client. A client
  // that falls behind loses its oldest queued messages, never blocks the others.
  void broadcast(std::shared_ptr<const std::string> message);
  [[nodiscard]] std::size_t event_clients() const noexcept;
  [[nodiscard]] std::uint16_t port() const noexcept;
  [[nodiscard]] const std::string& url() const noexcept;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The server's answer to `bytes`, everything one connection sent before shutting its sending side, without a
// socket or a thread: each response it would write, serialized (HEAD answers without their body), up to the one
// after which it closes; an event-stream request ends the answer with the line "[event stream]". The same
// parser limits and the same decisions as the server's (its connections call the same functions). For the fuzzer
// (fuzz/http_request.cpp) and tests; any thread.
[[nodiscard]] std::string answer_bytes(std::string_view bytes, const HttpConfig& config, bool loopback_only,
                                       const HttpServer::Handler& handler);

}  // namespace steady::telemetry
