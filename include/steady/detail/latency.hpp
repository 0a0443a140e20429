// steady/detail/latency.hpp — measured channel latency: a sampled enqueue→dequeue timestamp pair and a histogram.
//
// The producer stamps the time when its head index crosses a multiple of K (one message in K, K a power of two);
// the consumer, when its tail crosses the same multiple, reads the stamp and records now − stamp. So the figure is
// the real time a message spent in the channel, not an estimate from fill and rate. At most one sample is in flight:
// the producer stamps again only once the consumer has taken the last stamped message. Cost: one clock read per
// sample on each side, a sample every max(K, messages held) messages — so a full channel moving large batches does
// not read the clock on every commit (a clock read costs as much as moving dozens of messages). The histogram is log-linear (8 sub-buckets per power of two, ≤ 12.5 % error), written by
// the consumer thread only and read by the telemetry collector from any thread.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>

namespace steady::detail {

class LatencyHistogram {
 public:
  static constexpr std::size_t kBuckets = 16 + 40 * 8;  // exact below 16 ns, then up to 2^44 ns (~4.9 hours)

  static constexpr std::size_t bucket_of(std::uint64_t ns) noexcept {
    if (ns < 16) return static_cast<std::size_t>(ns);
    const unsigned e = 63u - static_cast<unsigned>(std::countl_zero(ns));  // floor(log2 ns) ≥ 4
    const std::size_t b = 16 + (e - 4) * 8 + ((ns >> (e - 3)) & 7u);
    return b < kBuckets ? b : kBuckets - 1;
  }
  // Lower edge of a bucket, in ns (its values lie in [lower(b), lower(b+1))).
  static constexpr std::uint64_t lower(std::size_t b) noexcept {
    if (b < 16) return b;
    const std::size_t e = (b - 16) / 8 + 4;
    const std::size_t sub = (b - 16) % 8;
    return (std::uint64_t{1} << e) + (static_cast<std::uint64_t>(sub) << (e - 3));
  }

  // Consumer thread only: a plain load + store, no read-modify-write needed with one writer.
  void record(std::uint64_t ns) noexcept {
    auto& c = counts_[bucket_of(ns)];
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    total_.store(total_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
  // Any thread.
  [[nodiscard]] std::uint64_t count(std::size_t b) const noexcept { return counts_[b].load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t total() const noexcept { return total_.load(std::memory_order_acquire); }

 private:
  std::array<std::atomic<std::uint64_t>, kBuckets> counts_{};
  std::atomic<std::uint64_t> total_{0};
};

}  // namespace steady::detail
