// tests/actors/http_test_support.hpp — what the HTTP actor tests share: a consumer actor the test can hold shut
// (so a channel fills), a tiny HTTP server on POSIX sockets whose answers the test scripts (for HttpEgress), a
// free-port finder, and polling with a deadline. The client side is tests/telemetry/http_client.hpp.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <steady/steady.hpp>

#include "../telemetry/http_client.hpp"
#include "../unit/loopback.hpp"
#include "../unit/test_support.hpp"

namespace http_test {

using namespace std::chrono_literals;

// Polling with a deadline: the core tests' helper (tests/unit/test_support.hpp).
using steady_test::eventually;

// A consumer that takes nothing until the test opens it, then records everything in order.
template <class T>
struct Gate {
  steady::Doorbell bell;
  std::atomic<bool> open{false};
  mutable std::mutex mu;
  std::vector<T> got;
  void let_through() {
    open = true;
    bell.ring();
  }
  std::vector<T> received() const {
    std::lock_guard lock(mu);
    return got;
  }
  std::size_t count() const {
    std::lock_guard lock(mu);
    return got.size();
  }
  static steady::Task actor(steady::Context& ctx, steady::Rx<T>& rx, std::shared_ptr<Gate>& self) {
    while (ctx.is_running([&] { return rx.is_closed_and_empty(); })) {
      if (!self->open) {
        co_await ctx.wait_any(steady::rung(self->bell), steady::after(100ms));
        (void)self->bell.answer();
        continue;
      }
      co_await ctx.wait_avail(rx, 1);
      {
        std::lock_guard lock(self->mu);
        while (auto v = rx.try_take()) self->got.push_back(std::move(*v));
      }
      if (rx.is_closed_and_empty()) co_return;
    }
  }
};

using steady_test::free_tcp_port;  // tests/unit/loopback.hpp
using steady_test::Listener;

// One request the test server received.
struct Received {
  std::string head;  // request line and headers
  std::string body;
  int answered = 0;  // the status it was answered with
};

// An HTTP/1.1 server for the egress tests: keep-alive, Content-Length bodies, answers chosen by `script`
// (the n-th request, 0-based → status). Records every request and how it was answered.
class ScriptedServer {
 public:
  using Script = std::function<int(std::size_t n, const Received& r)>;
  explicit ScriptedServer(Script script, std::uint16_t port = 0) : listener_(port), script_(std::move(script)) {
    if (listener_.ok()) accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~ScriptedServer() { stop(); }
  [[nodiscard]] bool ok() const { return listener_.ok(); }
  [[nodiscard]] std::uint16_t port() const { return listener_.port(); }
  void stop() {
    if (stopped_.exchange(true)) return;
    ::shutdown(listener_.fd(), SHUT_RDWR);  // wakes accept()
    if (accept_thread_.joinable()) accept_thread_.join();
    {
      std::lock_guard lock(mu_);
      for (int fd : conns_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : conn_threads_) t.join();
    for (int fd : conns_) ::close(fd);
  }
  [[nodiscard]] std::vector<Received> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  [[nodiscard]] std::size_t count() const {
    std::lock_guard lock(mu_);
    return requests_.size();
  }
  // The bodies answered with a 2xx, in the order they arrived.
  [[nodiscard]] std::vector<std::string> accepted_bodies() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& r : requests_)
      if (r.answered >= 200 && r.answered < 300) out.push_back(r.body);
    return out;
  }

 private:
  void accept_loop() {
    for (;;) {
      const int fd = ::accept(listener_.fd(), nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard lock(mu_);
      if (stopped_) {
        ::close(fd);
        return;
      }
      conns_.push_back(fd);
      conn_threads_.emplace_back([this, fd] { serve(fd); });
    }
  }
  void serve(int fd) {
    std::string buf;
    char tmp[16384];
    for (;;) {
      std::size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) return;
        buf.append(tmp, static_cast<std::size_t>(n));
      }
      Received r;
      r.head = buf.substr(0, end);
      std::size_t length = 0;
      const std::string lower = lowercase(r.head);
      if (const auto p = lower.find("content-length:"); p != std::string::npos)
        length = std::stoul(lower.substr(p + 15));
      while (buf.size() < end + 4 + length) {
        const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) return;
        buf.append(tmp, static_cast<std::size_t>(n));
      }
      r.body = buf.substr(end + 4, length);
      buf.erase(0, end + 4 + length);
      int status;
      {
        std::lock_guard lock(mu_);
        status = script_(requests_.size(), r);
        r.answered = status;
        requests_.push_back(r);
      }
      const std::string text = std::to_string(status) + " scripted\n";
      const std::string res = "HTTP/1.1 " + std::to_string(status) + " Scripted\r\nContent-Length: " +
                              std::to_string(text.size()) + "\r\nContent-Type: text/plain\r\n\r\n" + text;
      if (::send(fd, res.data(), res.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(res.size())) return;
    }
  }
  static std::string lowercase(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  Listener listener_;
  Script script_;
  std::atomic<bool> stopped_{false};
  mutable std::mutex mu_;
  std::vector<Received> requests_;
  std::vector<int> conns_;
  std::vector<std::thread> conn_threads_;
  std::thread accept_thread_;
};

// A POST with "Connection: close"; the answer is complete when the server closes.
inline telemetry_test::Response post(std::uint16_t port, const std::string& path, const std::string& body,
                                     const std::string& extra_headers = "") {
  return telemetry_test::request(port, "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                                           "Content-Type: text/plain\r\n" + extra_headers + "Content-Length: " +
                                           std::to_string(body.size()) + "\r\n\r\n" + body);
}

}  // namespace http_test
