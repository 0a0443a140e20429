// steady/doorbell.hpp — wake an actor from outside the graph (another thread, a callback of another library).
//
//   steady::Doorbell bell;                                   // shared by the outside code and one actor
//   ... actor:  co_await ctx.wait_any(steady::rung(bell), steady::avail(rx, 1));
//               if (bell.answer()) { /* handle what the outside prepared */ }
//   ... any thread:  bell.ring();
//
// Rings are counted; a wait on `rung(bell)` is satisfied while there are rings the actor has not answered yet, so a
// ring is never lost, and many rings before the actor runs cost one wake. One actor waits on a bell (single
// waiter, like a channel end); any number of threads may ring it. The handshake is the channels' Dekker pattern.
#pragma once

#include <atomic>
#include <cstdint>

#include "detail/platform.hpp"

namespace steady {

namespace detail {
class ActorCore;
}

class Doorbell {
 public:
  Doorbell() = default;
  Doorbell(const Doorbell&) = delete;
  Doorbell& operator=(const Doorbell&) = delete;

  // Any thread. Wakes the waiting actor if it sleeps on this bell.
  void ring() noexcept;
  // Waiting actor: true when rung since the last answer(); marks those rings answered.
  bool answer() noexcept {
    const std::uint64_t n = rings_.load(std::memory_order_acquire);
    const bool any = n != answered_;
    answered_ = n;
    return any;
  }
  [[nodiscard]] bool pending() const noexcept { return rings_.load(std::memory_order_acquire) != answered_; }
  [[nodiscard]] std::uint64_t rings() const noexcept { return rings_.load(std::memory_order_acquire); }

  // For the wait machinery (context.hpp): arm for `waiter`, fence, re-check. True when already rung.
  bool arm(detail::ActorCore* waiter) noexcept;
  void disarm() noexcept { slot_.store(0, std::memory_order_relaxed); }

 private:
  alignas(detail::kCacheLine) std::atomic<std::uint64_t> rings_{0};
  std::uint64_t answered_ = 0;  // waiter's thread only
  alignas(detail::kCacheLine) std::atomic<detail::ActorCore*> slot_{nullptr};  // armed = the waiting actor
};

}  // namespace steady
