// bench/refs/raw_ring.hpp — the hand-written references the benchmarks compare steady_state against.
//
// RawRing<T>: a bounded single-producer / single-consumer ring, the "practical limit" of PERFORMANCE.md:
//   - free-running 64-bit head (producer) and tail (consumer) indices, each on its own cache line;
//   - each side keeps a cached copy of the other side's index on its own line and refreshes it only when the
//     cached value says "full" / "empty";
//   - power-of-two slot count (index & mask), storage allocated once;
//   - single-item (push/pop), copying batch (push_n/pop_n) and zero-copy (write_runs/publish, read_runs/release) calls.
//
// Waiting strategies, chosen per benchmark (template parameter of the wait helpers):
//   Wait::spin_yield       spin `kSpin` checks with a CPU pause, then sched_yield() until the condition holds.
//                          No wake protocol at all, so publishing costs nothing extra (a busy pair's best case).
//   Wait::spin_yield_park  spin, then yield `kYields` times, then park on a futex. The sleeper raises an "asleep"
//                          flag (its own cache line), fences, re-checks and sleeps; the other side, after publishing
//                          its index, fences and reads the flag, and only when the peer is actually asleep claims the
//                          flag (exchange) and issues FUTEX_WAKE. That is the Dekker handshake: index store, full
//                          fence, flag load on one side; flag store, full fence, index load on the other.
//
// Header-only and independent of steady_state on purpose: the references must not share code with what they measure.
#pragma once

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <type_traits>

namespace bench::ref {

inline constexpr std::size_t kLine = 64;
inline constexpr unsigned kSpin = 256;   // same as steady_state's default solo spin (GraphOptions::default_spin)
inline constexpr unsigned kYields = 64;  // sched_yield() rounds before parking (spin_yield_park only)

inline void cpu_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

inline void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) noexcept {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}
inline void futex_wake_one(std::atomic<std::uint32_t>& word) noexcept {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

// spin_park: spin, then park at once, no yield phase (investigation only: steady_state's solo actors wait this way).
// park: no spin at all, park at once (W3's sleeping receiver: every message wakes a sleeping thread).
enum class Wait { spin_yield, spin_yield_park, spin_park, park };

// One side's "asleep" flag, alone on its cache line.
struct alignas(kLine) Parker {
  std::atomic<std::uint32_t> asleep{0};

  // Block until ready() holds, with the chosen strategy. ready() refreshes the index it needs.
  template <Wait W, class Ready>
  void wait_until(Ready&& ready) noexcept {
    for (unsigned i = 0; i < (W == Wait::park ? 0u : kSpin); ++i) {
      if (ready()) return;
      cpu_pause();
    }
    if constexpr (W == Wait::spin_yield) {
      while (!ready()) sched_yield();
    } else {
      if constexpr (W == Wait::spin_yield_park) {
        for (unsigned i = 0; i < kYields; ++i) {
          if (ready()) return;
          sched_yield();
        }
      }
      for (;;) {
        asleep.store(1, std::memory_order_seq_cst);  // flag, full fence (xchg on x86) ...
        if (ready()) {                                // ... then re-check the other side's index
          asleep.store(0, std::memory_order_relaxed);
          return;
        }
        futex_wait(asleep, 1);  // returns at once when a waker already cleared the flag
        if (ready()) {
          asleep.store(0, std::memory_order_relaxed);
          return;
        }
      }
    }
  }
  // Waker side, right after publishing an index: wake the peer only when it is asleep.
  template <Wait W>
  void wake_if_asleep() noexcept {
    if constexpr (W != Wait::spin_yield) {
      std::atomic_thread_fence(std::memory_order_seq_cst);  // index store before the flag load
      if (asleep.load(std::memory_order_relaxed) != 0 && asleep.exchange(0) != 0) futex_wake_one(asleep);
    }
  }
};

// A contiguous run of slots (at most two per request: before and after the wrap).
template <class E>
struct Run {
  E* ptr = nullptr;
  std::size_t len = 0;
};
template <class E>
struct Runs {
  Run<E> a, b;
  [[nodiscard]] std::size_t size() const noexcept { return a.len + b.len; }
};

template <class T>
class RawRing {
  static_assert(std::is_trivially_copyable_v<T>, "the reference ring is for trivially copyable payloads");

 public:
  explicit RawRing(std::size_t capacity)
      : cap_(capacity),
        mask_(std::bit_ceil(capacity) - 1),
        buf_(static_cast<T*>(::operator new[]((mask_ + 1) * sizeof(T), std::align_val_t{kLine}))) {}
  ~RawRing() { ::operator delete[](buf_, std::align_val_t{kLine}); }
  RawRing(const RawRing&) = delete;
  RawRing& operator=(const RawRing&) = delete;

  [[nodiscard]] std::size_t capacity() const noexcept { return cap_; }

  // ---------------------------------------------------------------- producer
  // Room now; refreshes the cached tail only when the cached value is not enough for `want`.
  [[nodiscard]] std::size_t vacant(std::size_t want = 1) noexcept {
    const std::uint64_t h = p_.head_local;
    std::size_t room = cap_ - (h - p_.cached_tail);
    if (room < want) {
      p_.cached_tail = tail_.value.load(std::memory_order_acquire);
      room = cap_ - (h - p_.cached_tail);
    }
    return room;
  }
  bool push(const T& v) noexcept {
    if (vacant(1) == 0) return false;
    const std::uint64_t h = p_.head_local;
    buf_[h & mask_] = v;
    p_.head_local = h + 1;
    head_.value.store(h + 1, std::memory_order_release);
    return true;
  }
  // Copy up to n items in; returns how many.
  std::size_t push_n(const T* src, std::size_t n) noexcept {
    n = std::min(n, vacant(n));
    if (n == 0) return 0;
    const std::uint64_t h = p_.head_local;
    const std::size_t start = h & mask_;
    const std::size_t first = std::min(n, mask_ + 1 - start);
    std::copy_n(src, first, buf_ + start);
    std::copy_n(src + first, n - first, buf_);
    p_.head_local = h + n;
    head_.value.store(h + n, std::memory_order_release);
    return n;
  }
  // Zero-copy: up to n vacant slots to write into, then publish(k).
  [[nodiscard]] Runs<T> write_runs(std::size_t n) noexcept {
    n = std::min(n, vacant(n));
    return runs<T>(p_.head_local, n);
  }
  void publish(std::size_t n) noexcept {
    p_.head_local += n;
    head_.value.store(p_.head_local, std::memory_order_release);
  }

  // ---------------------------------------------------------------- consumer
  [[nodiscard]] std::size_t avail(std::size_t want = 1) noexcept {
    const std::uint64_t t = c_.tail_local;
    std::size_t n = c_.cached_head - t;
    if (n < want) {
      c_.cached_head = head_.value.load(std::memory_order_acquire);
      n = c_.cached_head - t;
    }
    return n;
  }
  bool pop(T& out) noexcept {
    if (avail(1) == 0) return false;
    const std::uint64_t t = c_.tail_local;
    out = buf_[t & mask_];
    c_.tail_local = t + 1;
    tail_.value.store(t + 1, std::memory_order_release);
    return true;
  }
  std::size_t pop_n(T* dst, std::size_t n) noexcept {
    n = std::min(n, avail(n));
    if (n == 0) return 0;
    const std::uint64_t t = c_.tail_local;
    const std::size_t start = t & mask_;
    const std::size_t first = std::min(n, mask_ + 1 - start);
    std::copy_n(buf_ + start, first, dst);
    std::copy_n(buf_, n - first, dst + first);
    c_.tail_local = t + n;
    tail_.value.store(t + n, std::memory_order_release);
    return n;
  }
  [[nodiscard]] Runs<const T> read_runs(std::size_t n) noexcept {
    n = std::min(n, avail(n));
    return runs<const T>(c_.tail_local, n);
  }
  void release(std::size_t n) noexcept {
    c_.tail_local += n;
    tail_.value.store(c_.tail_local, std::memory_order_release);
  }

  // ---------------------------------------------------------------- waiting (see the header comment)
  template <Wait W>
  void wait_vacant(std::size_t n) noexcept {
    if (vacant(n) >= n) return;
    p_park.template wait_until<W>([&] { return vacant(n) >= n; });
  }
  template <Wait W>
  void wait_avail(std::size_t n) noexcept {
    if (avail(n) >= n) return;
    c_park.template wait_until<W>([&] { return avail(n) >= n; });
  }
  template <Wait W>
  void wake_consumer() noexcept {  // producer, after publishing
    c_park.template wake_if_asleep<W>();
  }
  template <Wait W>
  void wake_producer() noexcept {  // consumer, after releasing
    p_park.template wake_if_asleep<W>();
  }

 private:
  template <class E>
  [[nodiscard]] Runs<E> runs(std::uint64_t from, std::size_t n) const noexcept {
    const std::size_t start = from & mask_;
    const std::size_t first = std::min(n, mask_ + 1 - start);
    return {{buf_ + start, first}, {buf_, n - first}};
  }

  // Each shared index alone on its line; each side's private copies on a line of their own (rigtorp's layout), so
  // the producer's bookkeeping never invalidates the line the consumer polls, and vice versa.
  struct alignas(kLine) SharedIndex {
    std::atomic<std::uint64_t> value{0};
  };
  struct alignas(kLine) ProducerLine {
    std::uint64_t head_local = 0;  // the producer's own copy (no atomic load on its hot path)
    std::uint64_t cached_tail = 0;
  };
  struct alignas(kLine) ConsumerLine {
    std::uint64_t tail_local = 0;
    std::uint64_t cached_head = 0;
  };
  SharedIndex head_;
  SharedIndex tail_;
  ProducerLine p_;
  ConsumerLine c_;
  Parker p_park;  // the producer sleeps here waiting for room
  Parker c_park;  // the consumer sleeps here waiting for messages
  alignas(kLine) const std::size_t cap_;
  const std::size_t mask_;
  T* const buf_;
};

}  // namespace bench::ref
