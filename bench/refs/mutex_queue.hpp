// bench/refs/mutex_queue.hpp — the mutex + condition-variable baseline of PERFORMANCE.md: a bounded FIFO of
// u64 guarded by one std::mutex, with one condition variable per side. The textbook blocking queue: a waiting
// side sleeps on its condition variable, the other side notifies after every operation. Batches move under
// one lock.
//
// Header-only and independent of steady_state, like raw_ring.hpp.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace bench::ref {

class MutexQueue {
 public:
  explicit MutexQueue(std::size_t capacity) : slots_(capacity) {}

  // Block until `k` slots are free, then append p[0..k).
  void push_n(const std::uint64_t* p, std::size_t k) {
    std::unique_lock lock(m_);
    not_full_.wait(lock, [&] { return slots_.size() - count_ >= k; });
    for (std::size_t i = 0; i < k; ++i) slots_[(head_ + count_ + i) % slots_.size()] = p[i];
    count_ += k;
    lock.unlock();
    not_empty_.notify_one();
  }
  // Block until `k` items are queued, then remove them into p[0..k).
  void pop_n(std::uint64_t* p, std::size_t k) {
    std::unique_lock lock(m_);
    not_empty_.wait(lock, [&] { return count_ >= k; });
    for (std::size_t i = 0; i < k; ++i) p[i] = slots_[(head_ + i) % slots_.size()];
    head_ = (head_ + k) % slots_.size();
    count_ -= k;
    lock.unlock();
    not_full_.notify_one();
  }

 private:
  std::mutex m_;
  std::condition_variable not_full_, not_empty_;
  std::vector<std::uint64_t> slots_;
  std::size_t head_ = 0, count_ = 0;
};

}  // namespace bench::ref
