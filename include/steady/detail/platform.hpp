// steady/detail/platform.hpp — cache-line size, CPU pause and the futex primitives the runtime parks on.
// Internal: included by the public headers, not meant to be used directly.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace steady::detail {

// 64 bytes on every x86-64 and most AArch64 parts; std::hardware_destructive_interference_size is 64 on g++ 12
// too, but using it in a public header triggers -Winterference-size, so we fix the constant once here.
inline constexpr std::size_t kCacheLine = 64;

// Tells the CPU we are spinning (lower power, frees the sibling hyper-thread).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// Block while *word == expected, for at most `timeout` (negative or max = forever). Spurious returns are allowed.
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                std::chrono::nanoseconds timeout) noexcept;
// Wake every thread blocked in futex_wait on `word`. Async-signal-safe (a raw syscall).
void futex_wake_all(std::atomic<std::uint32_t>& word) noexcept;

}  // namespace steady::detail
