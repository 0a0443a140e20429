// tests/telemetry/http_client.hpp — a deliberately dumb HTTP client on POSIX sockets, for the telemetry
// tests: it sends exactly the bytes it is given (so it can send malformed requests too) and reads with a
// deadline.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace telemetry_test {

class Conn {
 public:
  explicit Conn(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  [[nodiscard]] bool ok() const { return fd_ >= 0; }
  bool send(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }
  // Read until `until` returns true for what was read so far, the peer closes, or the deadline passes.
  template <class Until>
  std::string read(std::chrono::milliseconds timeout, Until until) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!until(buf_)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char tmp[16384];
      const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      buf_.append(tmp, static_cast<std::size_t>(n));
    }
    return buf_;
  }
  std::string read_all(std::chrono::milliseconds timeout) {
    return read(timeout, [](const std::string&) { return false; });
  }
  [[nodiscard]] bool closed() const { return closed_; }
  void clear() { buf_.clear(); }

 private:
  int fd_ = -1;
  std::string buf_;
  bool closed_ = false;
};

struct Response {
  int status = 0;
  std::string head, body;
};

inline Response parse(const std::string& raw) {
  Response r;
  const auto sep = raw.find("\r\n\r\n");
  r.head = raw.substr(0, sep);
  if (sep != std::string::npos) r.body = raw.substr(sep + 4);
  if (raw.rfind("HTTP/1.", 0) == 0 && raw.size() > 12) r.status = std::stoi(raw.substr(9, 3));
  return r;
}

// One request with "Connection: close"; the answer is complete when the server closes.
inline Response request(std::uint16_t port, const std::string& raw,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000)) {
  Conn c(port);
  if (!c.ok() || !c.send(raw)) return {};
  return parse(c.read_all(timeout));
}

inline Response get(std::uint16_t port, const std::string& path) {
  return request(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
}

}  // namespace telemetry_test
