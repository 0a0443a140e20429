// src/testing.cpp — the parts of steady/testing.hpp that need the graph's internals.
#include "steady/testing.hpp"

#include <thread>

#include "graph_core.hpp"

namespace steady::testing {

bool StageManager::wait_taken(const std::string& channel, std::uint64_t n, std::chrono::nanoseconds timeout) {
  detail::ChannelCore* ch = nullptr;
  for (auto& c : graph_.core().channels)
    if (c->name() == channel) ch = c.get();
  if (ch == nullptr) throw std::invalid_argument("stage manager: the graph has no channel named '" + channel + "'");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Observation only: we poll the channel's own counter (what telemetry reads), backing off to 200 µs.
  auto pause = std::chrono::microseconds(1);
  while (ch->taken_total() < n) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(200));
  }
  return true;
}

}  // namespace steady::testing
