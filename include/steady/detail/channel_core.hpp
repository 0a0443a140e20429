// steady/detail/channel_core.hpp — the type-independent half of a channel: indices, close flag and wake-ups.
//
// A channel is a bounded single-producer / single-consumer ring. `head_` counts every message ever sent and `tail_`
// every message ever taken (free-running 64-bit, never wrap in practice), so fill = head - tail, and telemetry reads
// the totals for free. Each side caches the other's index to avoid touching the other side's cache line.
//
// Waking. An actor that waits for "n available" (consumer) or "n vacant" (producer) *arms* a waiter slot with the
// absolute index it needs and then re-checks; the other side, after publishing its index, checks the slot and wakes
// the waiter only when the slot is armed and satisfied. This is the Dekker pattern: both sides store, fence, then
// load, so at least one of them sees the other. Exactly one party claims an armed slot (CAS to 0), so a wake is never
// delivered twice and never lost. The armed flag and the target share one atomic word (a separate field raced).
// When both ends live on the same thread (a troupe) the link is "local": no fence is needed.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <chrono>
#include <functional>
#include <memory>

#include "latency.hpp"
#include "platform.hpp"

namespace steady::detail {

class ActorCore;

class ChannelCore {
 public:
  ChannelCore(std::uint64_t capacity, std::string name, std::string type_name);
  virtual ~ChannelCore() = default;
  ChannelCore(const ChannelCore&) = delete;
  ChannelCore& operator=(const ChannelCore&) = delete;

  // ---- identity (immutable after build)
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& type_name() const noexcept { return type_name_; }
  [[nodiscard]] std::uint64_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] virtual std::size_t element_size() const noexcept = 0;
  std::map<std::string, std::string> labels;
  std::uint32_t id = 0;  // index in its graph

  // ---- totals, readable from any thread (telemetry)
  [[nodiscard]] std::uint64_t sent_total() const noexcept { return head_.load(std::memory_order_acquire); }
  [[nodiscard]] std::uint64_t taken_total() const noexcept { return tail_.load(std::memory_order_acquire); }
  [[nodiscard]] bool is_closed() const noexcept { return closed_.load(std::memory_order_acquire); }

  // ---- wiring, set while the graph is built (single-threaded)
  void set_producer(ActorCore* a) noexcept { producer_ = a; }
  void set_consumer(ActorCore* a) noexcept { consumer_ = a; }
  [[nodiscard]] ActorCore* producer() const noexcept { return producer_; }
  [[nodiscard]] ActorCore* consumer() const noexcept { return consumer_; }
  // Local links (both ends on one executor thread) skip the fences; decided once when the graph starts.
  void set_local(bool local) noexcept { local_ = local; }
  [[nodiscard]] bool is_local() const noexcept { return local_; }

  // ---- latency sampling (see latency.hpp); configured while the graph is built
  // Stamp one message in `every` (rounded to a power of two; 0 turns sampling off), at most one in flight: the
  // next stamp waits until the consumer has taken the stamped message.
  void set_latency_sampling(std::uint32_t every);
  [[nodiscard]] std::uint32_t latency_sample_every() const noexcept {
    return prod_sample_shift_ == 0 ? 0u : (1u << (prod_sample_shift_ - 1));
  }
  [[nodiscard]] const LatencyHistogram* latency() const noexcept { return hist_.get(); }

  // ---- poison messages (supervision): consumer failures with the same message in front
  void set_dead_letter(std::uint32_t k, std::string dlq_name, std::function<bool()> move_front,
                       std::function<void()> close_dlq);
  // The consumer stopped for good: nothing more can be dead-lettered, so the dead-letter channel closes.
  void close_dead_letter() {
    if (close_dlq_) close_dlq_();
  }
  // Consumer's thread, its actor not running: count a failure; true when the front message was moved away.
  bool note_consumer_failure(const std::string& consumer_name);
  [[nodiscard]] std::uint64_t dead_lettered() const noexcept { return dead_lettered_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint32_t front_failures() const noexcept { return fail_repeats_; }

  // ---- producer side
  [[nodiscard]] std::uint64_t vacant_units() noexcept {
    const std::uint64_t h = head_.load(std::memory_order_relaxed);
    std::uint64_t free = capacity_ - (h - prod_cached_tail_);
    if (free == 0) {  // refresh the cached tail only when it says "full"
      prod_cached_tail_ = tail_.load(std::memory_order_acquire);
      free = capacity_ - (h - prod_cached_tail_);
    }
    return free;
  }
  [[nodiscard]] std::uint64_t vacant_units_fresh() noexcept {
    prod_cached_tail_ = tail_.load(std::memory_order_acquire);
    return capacity_ - (head_.load(std::memory_order_relaxed) - prod_cached_tail_);
  }
  // Publish `n` more messages (slots already constructed) and wake a waiting consumer if its threshold is met.
  void commit_send(std::uint64_t n) noexcept {
    const std::uint64_t old = head_.load(std::memory_order_relaxed);
    const std::uint64_t h = old + n;
    // shift is stored +1 so that 0 means "off" and the common test is one compare. At most one sample is in
    // flight: a new one only once the consumer has taken the last stamped message (a stale tail only delays it),
    // so a channel that holds many messages pays two clock reads per residence time, not per K messages.
    if (prod_sample_shift_ != 0 && (old >> (prod_sample_shift_ - 1)) != (h >> (prod_sample_shift_ - 1)) &&
        tail_.load(std::memory_order_relaxed) >= prod_stamped_at_) [[unlikely]]
      stamp_send(h >> (prod_sample_shift_ - 1));
    head_.store(h, std::memory_order_release);  // release: the slots' contents before the index
    notify(consumer_wait_, h, consumer_);
  }
  // Producer says "no more". Wakes a waiting consumer whatever its threshold. Returns true (for use in stop votes).
  bool mark_closed() noexcept;

  // ---- consumer side
  [[nodiscard]] std::uint64_t avail_units() noexcept {
    const std::uint64_t t = tail_.load(std::memory_order_relaxed);
    std::uint64_t n = cons_cached_head_ - t;
    if (n == 0) {  // refresh the cached head only when it says "empty"
      cons_cached_head_ = head_.load(std::memory_order_acquire);
      n = cons_cached_head_ - t;
    }
    return n;
  }
  [[nodiscard]] std::uint64_t avail_units_fresh() noexcept {
    cons_cached_head_ = head_.load(std::memory_order_acquire);
    return cons_cached_head_ - tail_.load(std::memory_order_relaxed);
  }
  void commit_take(std::uint64_t n) noexcept {
    const std::uint64_t old = tail_.load(std::memory_order_relaxed);
    const std::uint64_t t = old + n;
    if (cons_sample_shift_ != 0 && (old >> (cons_sample_shift_ - 1)) != (t >> (cons_sample_shift_ - 1)))
      [[unlikely]] stamp_take(t >> (cons_sample_shift_ - 1));
    tail_.store(t, std::memory_order_release);  // release: we are done with the slots before the producer reuses them
    notify(producer_wait_, t, producer_);
  }
  [[nodiscard]] bool is_closed_and_empty() noexcept { return is_closed() && avail_units_fresh() == 0; }

  // ---- waits (called by the waiting side only, on its own thread)
  // Ready checks, cheap enough for the "already satisfied" fast path.
  [[nodiscard]] bool avail_ready(std::uint64_t n) noexcept {
    const std::uint64_t t = tail_.load(std::memory_order_relaxed);
    if (cons_cached_head_ - t >= n) return true;  // the cached head may be stale, but never ahead
    return avail_units_fresh() >= n || is_closed();
  }
  [[nodiscard]] bool vacant_ready(std::uint64_t n) noexcept {
    const std::uint64_t h = head_.load(std::memory_order_relaxed);
    if (capacity_ - (h - prod_cached_tail_) >= n) return true;
    return vacant_units_fresh() >= n || consumer_gone_.load(std::memory_order_acquire);
  }
  // Arm the slot, fence, re-check. Returns true when the condition already holds (the slot is then disarmed).
  bool arm_avail(std::uint64_t n) noexcept;
  bool arm_vacant(std::uint64_t n) noexcept;
  void disarm_avail() noexcept { consumer_wait_.store(0, std::memory_order_relaxed); }
  void disarm_vacant() noexcept { producer_wait_.store(0, std::memory_order_relaxed); }

  // The consuming actor finished for good: producers stop waiting for room that will never come.
  void mark_consumer_gone() noexcept;
  [[nodiscard]] bool consumer_gone() const noexcept { return consumer_gone_.load(std::memory_order_acquire); }

 protected:
  [[nodiscard]] std::uint64_t head_relaxed() const noexcept { return head_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t tail_relaxed() const noexcept { return tail_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::uint64_t kArmed = std::uint64_t{1} << 63;  // flag bit; the low 63 bits hold the target index

  void notify(std::atomic<std::uint64_t>& slot, std::uint64_t index, ActorCore* waiter) noexcept {
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtsan"  // TSan does not model fences; the stress tests check this protocol
#endif
    if (!local_) std::atomic_thread_fence(std::memory_order_seq_cst);  // Dekker: our index store before the slot load
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#pragma GCC diagnostic pop
#endif
    std::uint64_t w = slot.load(std::memory_order_relaxed);
    if ((w & kArmed) != 0 && index >= (w & ~kArmed)) [[unlikely]] claim_and_wake(slot, w, waiter);
  }
  void claim_and_wake(std::atomic<std::uint64_t>& slot, std::uint64_t seen, ActorCore* waiter) noexcept;
  void stamp_send(std::uint64_t j) noexcept;
  void stamp_take(std::uint64_t j) noexcept;

  // Producer's cache line: its index and its stale copy of the consumer's.
  alignas(kCacheLine) std::atomic<std::uint64_t> head_{0};
  std::uint64_t prod_cached_tail_ = 0;
  std::uint64_t prod_stamped_at_ = 0;   // index of the last stamped message (the sample in flight)
  std::uint8_t prod_sample_shift_ = 0;  // log2(K) + 1, 0 = off
  // Consumer's cache line.
  alignas(kCacheLine) std::atomic<std::uint64_t> tail_{0};
  std::uint64_t cons_cached_head_ = 0;
  std::uint8_t cons_sample_shift_ = 0;
  // Waiter slots: written rarely (when a side goes to sleep), read on every commit by the other side, so each gets
  // a line of its own that stays shared in both caches.
  alignas(kCacheLine) std::atomic<std::uint64_t> consumer_wait_{0};
  alignas(kCacheLine) std::atomic<std::uint64_t> producer_wait_{0};
  alignas(kCacheLine) std::atomic<bool> closed_{false};
  std::atomic<bool> consumer_gone_{false};
  bool local_ = false;

  const std::uint64_t capacity_;
  const std::string name_;
  const std::string type_name_;
  ActorCore* producer_ = nullptr;
  ActorCore* consumer_ = nullptr;

  // Stamps of sampled messages, indexed by (index / K) modulo a power of two larger than the messages of one
  // capacity's worth, so the producer never overwrites a stamp the consumer has not read yet.
  struct Stamp {
    std::atomic<std::uint64_t> tag{~std::uint64_t{0}};
    std::atomic<std::int64_t> ns{0};
  };
  std::unique_ptr<Stamp[]> stamps_;
  std::uint64_t stamp_mask_ = 0;
  std::unique_ptr<LatencyHistogram> hist_;

  std::uint64_t fail_tail_ = ~std::uint64_t{0};
  std::uint32_t fail_repeats_ = 0;
  std::uint32_t poison_after_ = 0;
  std::string dlq_name_;
  std::function<bool()> move_front_;
  std::function<void()> close_dlq_;
  std::atomic<std::uint64_t> dead_lettered_{0};
};

}  // namespace steady::detail
