// src/channel.cpp — the slow half of channels: arming waits, closing, and claiming a wake-up.
#include "steady/channel.hpp"

#include <bit>
#include <chrono>

#include "steady/detail/actor_core.hpp"
#include "steady/log.hpp"

namespace steady::detail {

ChannelCore::ChannelCore(std::uint64_t capacity, std::string name, std::string type_name)
    : capacity_(capacity), name_(std::move(name)), type_name_(std::move(type_name)) {}

// Waiter side of the Dekker handshake: publish the slot, fence, then look at the other side's index again.
// A local link (both ends on this executor thread) needs no fence: the other side's commits and closes run on this
// same thread, before or after this call in program order, so either the re-check below sees them or they see the
// armed slot (the same reasoning as notify() skipping its fence). mark_closed() from another thread (the graph
// closing the outputs of an actor that returned) runs on the producer's executor, which is this one for a local
// link. The same holds for arm_vacant / mark_consumer_gone.
bool ChannelCore::arm_avail(std::uint64_t n) noexcept {
  const std::uint64_t target = tail_.load(std::memory_order_relaxed) + n;
  consumer_wait_.store(target | kArmed, std::memory_order_relaxed);
  if (!local_) std::atomic_thread_fence(std::memory_order_seq_cst);  // slot store before the head/closed loads
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
  if (!local_) std::atomic_thread_fence(std::memory_order_seq_cst);  // slot store before the tail load
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

void ChannelCore::set_dead_letter(std::uint32_t k, std::string dlq_name, std::function<bool()> move_front,
                                  std::function<void()> close_dlq) {
  poison_after_ = k == 0 ? 1 : k;
  dlq_name_ = std::move(dlq_name);
  move_front_ = std::move(move_front);
  close_dlq_ = std::move(close_dlq);
}

bool ChannelCore::note_consumer_failure(const std::string& consumer_name) {
  if (avail_units_fresh() == 0) return false;  // nothing in front: this input is not the cause
  const std::uint64_t t = tail_.load(std::memory_order_relaxed);
  fail_repeats_ = (t == fail_tail_) ? fail_repeats_ + 1 : 1;
  fail_tail_ = t;
  if (!move_front_ || fail_repeats_ < poison_after_) return false;
  if (!move_front_()) {
    log(LogLevel::error, "channel '" + name_ + "': poison message after " + std::to_string(fail_repeats_) +
                             " failures of '" + consumer_name + "', but dead-letter channel '" + dlq_name_ +
                             "' is full; it stays in front");
    return false;
  }
  dead_lettered_.fetch_add(1, std::memory_order_relaxed);
  log(LogLevel::warn, "channel '" + name_ + "': message " + std::to_string(t) + " failed '" + consumer_name + "' " +
                          std::to_string(fail_repeats_) + " times; moved it to dead-letter channel '" + dlq_name_ +
                          "'");
  fail_repeats_ = 0;
  fail_tail_ = ~std::uint64_t{0};
  return true;
}

void ChannelCore::set_latency_sampling(std::uint32_t every) {
  if (every == 0) {
    prod_sample_shift_ = cons_sample_shift_ = 0;
    return;
  }
  const std::uint32_t k = std::bit_ceil(every);
  const auto shift = static_cast<std::uint8_t>(std::countr_zero(k));
  prod_sample_shift_ = cons_sample_shift_ = static_cast<std::uint8_t>(shift + 1);
  const std::uint64_t slots = std::bit_ceil(capacity_ / k + 4);
  stamps_ = std::make_unique<Stamp[]>(slots);
  stamp_mask_ = slots - 1;
  if (!hist_) hist_ = std::make_unique<LatencyHistogram>();
}

namespace {
std::int64_t steady_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

void ChannelCore::stamp_send(std::uint64_t j) noexcept {
  prod_stamped_at_ = j << (prod_sample_shift_ - 1);  // the message the consumer must take before the next stamp
  Stamp& s = stamps_[j & stamp_mask_];
  s.ns.store(steady_ns(), std::memory_order_relaxed);
  s.tag.store(j, std::memory_order_release);  // the time before the tag that says whose time it is
}

void ChannelCore::stamp_take(std::uint64_t j) noexcept {
  Stamp& s = stamps_[j & stamp_mask_];
  if (s.tag.load(std::memory_order_acquire) != j) return;  // the producer stamped a later multiple in one batch
  const std::int64_t d = steady_ns() - s.ns.load(std::memory_order_relaxed);
  hist_->record(d > 0 ? static_cast<std::uint64_t>(d) : 0);
}

}  // namespace steady::detail
