// tests/bridge/support.hpp — what the in-process bridge tests (ZeroMQ and NATS) share: a capture of the
// runtime's log lines that a test can wait on, and a run of consecutive numbers to send.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include <steady/log.hpp>

namespace bridge_test {

// Collects log lines (the handler may be called from any thread).
struct LogCapture {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> lines;
  LogCapture() {
    steady::set_log_handler([this](steady::LogLevel, std::string_view m) {
      std::lock_guard lock(mu);
      lines.emplace_back(m);
      cv.notify_all();
    });
  }
  ~LogCapture() { steady::set_log_handler(nullptr); }
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] {
      for (auto& l : lines)
        if (l.find(needle) != std::string::npos) return true;
      return false;
    });
  }
};

// first, first + 1, ..., n of them.
inline std::vector<std::uint64_t> iota_values(std::uint64_t n, std::uint64_t first = 1) {
  std::vector<std::uint64_t> v(n);
  std::iota(v.begin(), v.end(), first);
  return v;
}

}  // namespace bridge_test
