// src/channel.cpp — the slow half of channels: arming waits, closing, and claiming a wake-up.
#include "steady/channel.hpp"

#include "steady/detail/actor_core.hpp"

namespace steady::detail {

ChannelCore::ChannelCore(std::uint64_t capacity, std::string name, std::string type_name)
    : capacity_(capacity), name_(std::move(name)), type_name_(std::move(type_name)) {}

// Waiter side of the Dekker handshake: publish the slot, fence, then look at the other side's index again.
bool ChannelCore::arm_avail(std::uint64_t n) noexcept {
  const std::uint64_t target = tail_.load(std::memory_order_relaxed) + n;
  consumer_wait_.store(target | kArmed, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // slot store before the head/closed loads
  if (avail_units_fresh() >= n || is_closed()) {
    disarm_avail();
    return true;
  }
  return false;
}

bool ChannelCore::arm_vacant(std::uint64_t n) noexcept {
  // Room for n means tail ≥ head + n − capacity.
  const std::uint64_t h = head_.load(std::memory_order_relaxed);
  const std::uint64_t target = h + n > capacity_ ? h + n - capacity_ : 0;
  producer_wait_.store(target | kArmed, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // slot store before the tail load
  if (vacant_units_fresh() >= n || consumer_gone()) {
    disarm_vacant();
    return true;
  }
  return false;
}

void ChannelCore::claim_and_wake(std::atomic<std::uint64_t>& slot, std::uint64_t seen, ActorCore* waiter) noexcept {
  // Only one party may turn an armed slot into a wake: the waiter's own disarm races with us harmlessly (a wake to
  // an actor that is already running is dropped by its state machine).
  if (slot.compare_exchange_strong(seen, 0, std::memory_order_acq_rel) && waiter != nullptr) waiter->wake();
}

bool ChannelCore::mark_closed() noexcept {
  if (!closed_.exchange(true)) {  // seq_cst: the closed flag before the slot load (same handshake as a commit)
    std::uint64_t w = consumer_wait_.load();
    if ((w & kArmed) != 0) claim_and_wake(consumer_wait_, w, consumer_);
  }
  return true;
}

void ChannelCore::mark_consumer_gone() noexcept {
  if (!consumer_gone_.exchange(true)) {
    std::uint64_t w = producer_wait_.load();
    if ((w & kArmed) != 0) claim_and_wake(producer_wait_, w, producer_);
  }
}

}  // namespace steady::detail
