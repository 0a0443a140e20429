// src/throw_hook.cpp — this library's __cxa_throw: every `throw expr` in the program reaches it first. See
// failure_trace.hpp.
//
// On a thread that runs no actor it costs one thread-local load and a jump: the forwarding call is a tail
// call, so the unwinder meets no extra frame. That is why this file includes neither <cxxabi.h> nor anything
// that includes it: the declaration there is [[noreturn]], and g++ never turns a call in a [[noreturn]]
// function into a jump. A bare `throw;` is __cxa_rethrow, not hooked: the record of the first throw stays,
// which is the right one. Not for programs that link libstdc++ statically (two definitions of __cxa_throw):
// -DSTEADY_WITH_TRACES=OFF.
#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "failure_trace.hpp"

namespace {
// The runtime's own (under ASan, the sanitizer's interceptor, which then calls libstdc++'s). Racing first
// throws look up and store the same value.
using CxaThrow = void (*)(void*, void*, void (*)(void*));
std::atomic<CxaThrow> g_real_throw{nullptr};
}  // namespace

// Here rather than in failure_trace.cpp on purpose: failure_trace.o (always linked: log.o uses it) calls
// this, so a static link always pulls this file in too. Otherwise a runtime listed before this library that
// defines
// __cxa_throw itself (libasan) would satisfy the program's references first, and the hook would silently be
// left out.
void* steady::detail::next_definition(const char* symbol) noexcept {
  void* f = dlsym(RTLD_NEXT, symbol);
  if (f == nullptr) {
    static const char msg[] =
        "steady: the C++ runtime's throw functions were not found after steady_state's "
        "hooks (static libstdc++? build steady_state with -DSTEADY_WITH_TRACES=OFF)\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    std::abort();
  }
  return f;
}

extern "C" void __cxa_throw(void* object, void* type, void (*destroy)(void*)) {
  if (steady::detail::t_running_actor != nullptr)
    steady::detail::record_throw_site(__builtin_return_address(0));
  CxaThrow real = g_real_throw.load(std::memory_order_relaxed);
  if (real == nullptr) {
    real = reinterpret_cast<CxaThrow>(steady::detail::next_definition("__cxa_throw"));
    g_real_throw.store(real, std::memory_order_relaxed);
  }
  real(object, type, destroy);  // a jump: see the top of the file
}
