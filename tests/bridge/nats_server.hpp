// tests/bridge/nats_server.hpp — a real nats-server with JetStream for the NATS bridge tests: started on
// 127.0.0.1 on a free port with its store in a temporary folder, stopped (or SIGKILLed and restarted on the
// same port and store) by the test. Readiness is polled with a deadline (a TCP connect to the port); nothing
// sleeps to synchronise.
//
// A missing nats-server skips the test (GTEST_SKIP via NATS_SERVER_OR_SKIP), except where
// STEADY_REQUIRE_TOOLS=1: there it fails. scripts/setup installs Debian's nats-server (/usr/sbin).
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "../unit/loopback.hpp"
#include "process.hpp"

namespace bridge_test {

// The nats-server binary: $STEADY_NATS_SERVER, else `nats-server` on PATH, else /usr/sbin or /usr/bin.
inline std::string find_nats_server() {
  if (const char* e = std::getenv("STEADY_NATS_SERVER"); e != nullptr && ::access(e, X_OK) == 0) return e;
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    for (std::string d; std::getline(ss, d, ':');) dirs.push_back(d);
  }
  dirs.insert(dirs.end(), {"/usr/sbin", "/usr/bin", "/usr/local/bin"});
  for (const auto& d : dirs)
    if (const auto p = d + "/nats-server"; ::access(p.c_str(), X_OK) == 0) return p;
  return {};
}

inline bool tools_required() {
  const char* req = std::getenv("STEADY_REQUIRE_TOOLS");
  return req != nullptr && std::string(req) == "1";
}

using steady_test::free_tcp_port;

inline bool port_accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

class NatsServer {
 public:
  explicit NatsServer(std::string binary)
      : binary_(std::move(binary)),
        port_(free_tcp_port()),
        dir_(std::filesystem::temp_directory_path() /
             ("steady-nats-" + std::to_string(::getpid()) + "-" + std::to_string(port_))) {
    std::filesystem::create_directories(dir_);
  }
  ~NatsServer() {
    process_.reset();  // SIGKILL + reap
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  // Start (or restart: same port, same store) and wait until it accepts connections; false at the deadline.
  bool start(std::chrono::milliseconds within = std::chrono::milliseconds(15000)) {
    process_ = std::make_unique<Process>(std::vector<std::string>{binary_, "-js", "-a", "127.0.0.1", "-p",
                                                                  std::to_string(port_), "-sd", dir_.string(),
                                                                  "-l", (dir_ / "server.log").string()});
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      if (port_accepts(port_)) return true;
      if (process_->wait_exit(std::chrono::steady_clock::now() + std::chrono::milliseconds(20))) return false;
    }
    return false;
  }
  void kill() {
    if (process_) process_->signal(SIGKILL);
    if (process_) (void)process_->wait_exit(std::chrono::steady_clock::now() + std::chrono::seconds(10));
    process_.reset();
  }
  // Stop gracefully (SIGTERM), waiting for its exit.
  void stop() {
    if (process_) process_->signal(SIGTERM);
    if (process_) (void)process_->wait_exit(std::chrono::steady_clock::now() + std::chrono::seconds(10));
    process_.reset();
  }
  [[nodiscard]] std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] int port() const noexcept { return port_; }
  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }

 private:
  std::string binary_;
  int port_;
  std::filesystem::path dir_;
  std::unique_ptr<Process> process_;
};

}  // namespace bridge_test

// In a TEST body: the nats-server binary, or skip (fail where STEADY_REQUIRE_TOOLS=1).
#define NATS_SERVER_OR_SKIP(var)                                                                             \
  const std::string var = bridge_test::find_nats_server();                                                   \
  if (var.empty()) {                                                                                         \
    if (bridge_test::tools_required())                                                                       \
      FAIL() << "nats-server not found (scripts/setup installs Debian's nats-server; or set "                \
                "STEADY_NATS_SERVER)";                                                                       \
    GTEST_SKIP()                                                                                             \
        << "nats-server not found (scripts/setup installs Debian's nats-server; or set STEADY_NATS_SERVER)"; \
  }

// In a TEST body: a nats-server of the test's own, `var`, started (the test fails if it does not accept
// connections in time), or skip as NATS_SERVER_OR_SKIP does.
#define NATS_SERVER_STARTED_OR_SKIP(var)     \
  NATS_SERVER_OR_SKIP(var##_binary);         \
  bridge_test::NatsServer var(var##_binary); \
  ASSERT_TRUE(var.start())
