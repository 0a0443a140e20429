// src/failure_trace.cpp — throw-site records and their resolution (backward-cpp + libdw). See
// failure_trace.hpp.
//
// The hooks (__cxa_throw in throw_hook.cpp, std::rethrow_exception here) call record_throw_site() on threads
// that run an actor: up to kDepth addresses into a thread-local array, no allocation, no symbol lookup.
// Lookups (libdw reading DWARF) happen only when an exception escapes an actor, in throw_site_trace().
#define BACKWARD_HAS_DW 1  // file:line and inlined calls through libdw
#include "failure_trace.hpp"

#include <unistd.h>
#include <unwind.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <utility>

#include <backward.hpp>

namespace steady::detail {
namespace {

constexpr std::size_t kDepth =
    48;  // deep enough for the actor's own calls plus the executor frames under them

// The last throw site recorded on this thread, during resume number `resume` (0 = none kept). Plain data, so
// the thread_local needs no constructor, destructor or guard.
struct ThrowSite {
  void* frames[kDepth];
  std::size_t count;
  std::uint64_t resume;
};
thread_local ThrowSite t_site{};

}  // namespace

// `thrower` is the return address into the function that threw: the frames above it (this hook) are dropped.
void record_throw_site(void* thrower) noexcept {
  t_site.resume = 0;
  std::size_t n = capture_stack(t_site.frames, kDepth);
  std::size_t first = 0;
  while (first < n && t_site.frames[first] != static_cast<char*>(thrower) - 1) ++first;
  if (first == n) first = 0;  // not found (no unwind information?): keep everything
  n -= first;
  for (std::size_t i = 0; i < n; ++i) t_site.frames[i] = t_site.frames[first + i];
  t_site.count = n;
  t_site.resume = t_resumes;
}

namespace {

using RethrowException = void (*)(std::exception_ptr);
std::atomic<RethrowException> g_real_rethrow_exception{nullptr};  // racing first calls store the same value

// One resolver for the process: libdw reads each object's debug information once and keeps it. Leaked on
// purpose: an actor may fail (or a thread crash) during static destruction.
std::mutex& resolver_mu() {
  static auto* mu = new std::mutex;
  return *mu;
}
backward::TraceResolver& resolver() {
  static auto* r = new backward::TraceResolver;
  return *r;
}

std::string hex(const void* p) {
  static const char digits[] = "0123456789abcdef";
  auto v = reinterpret_cast<std::uintptr_t>(p);
  std::string s;
  do {
    s.insert(s.begin(), digits[v & 0xf]);
    v >>= 4;
  } while (v != 0);
  return "0x" + s;
}

void add_line(std::string& out, std::size_t& n, const std::string& function, const std::string& file,
              unsigned line, bool inlined) {
  out += "  #" + std::to_string(n++) + " " + function;
  if (inlined) out += " (inlined)";
  if (!file.empty()) {
    out += " at " + file;
    if (line != 0) out += ":" + std::to_string(line);
  }
  out += '\n';
}

// One address, innermost first: the functions inlined at it (backward lists them innermost first, each with
// the place it was called from), then the function they were inlined into.
void add_frame(std::string& out, std::size_t& n, const backward::ResolvedTrace& t) {
  std::string file = t.source.filename;
  unsigned line = t.source.line;
  for (const auto& inl : t.inliners) {
    add_line(out, n, inl.function.empty() ? "??" : inl.function, file, line, true);
    file = inl.filename;
    line = inl.line;
  }
  std::string function = !t.object_function.empty() ? t.object_function : t.source.function;
  if (function.empty()) function = "?? " + hex(t.addr);
  if (file.empty() && !t.object_filename.empty()) file = t.object_filename;
  add_line(out, n, function, file, line, false);
}

}  // namespace

std::string describe_frames(void* const* frames, std::size_t count, bool wait_for_resolver) {
  std::string out;
  std::size_t n = 0;
  std::unique_lock lock(resolver_mu(), std::defer_lock);
  if (wait_for_resolver ? (lock.lock(), true) : lock.try_lock()) {
    backward::TraceResolver& r = resolver();
    r.load_addresses(frames, static_cast<int>(count));
    for (std::size_t i = 0; i < count; ++i) {
      std::size_t same = 0;  // a recursion (a stack overflow) shows as one frame and a count
      while (i + 1 < count && frames[i + 1] == frames[i]) ++i, ++same;
      add_frame(out, n, r.resolve(backward::ResolvedTrace(backward::Trace(frames[i], i))));
      if (same != 0) out += "  ... the same call " + std::to_string(same) + " more times\n";
    }
  } else {
    for (std::size_t i = 0; i < count; ++i) out += "  #" + std::to_string(n++) + " " + hex(frames[i]) + '\n';
  }
  return out;
}

std::size_t capture_stack(void** frames, std::size_t max) noexcept {
  struct Walk {
    void** frames;
    std::size_t max, count;
  } walk{frames, max, 0};
  auto step = [](_Unwind_Context* ctx, void* arg) -> _Unwind_Reason_Code {
    auto& w = *static_cast<Walk*>(arg);
    if (w.count >= w.max) return _URC_END_OF_STACK;
    int exact = 0;  // 1 for the frame a signal interrupted: its pc is the faulting instruction itself
    std::uintptr_t ip = _Unwind_GetIPInfo(ctx, &exact);
    if (ip == 0) return _URC_END_OF_STACK;
    if (exact == 0) ip -= 1;  // a return address: point into the call, so the line shown is the call's
    w.frames[w.count++] = reinterpret_cast<void*>(ip);
    return _URC_NO_REASON;
  };
  _Unwind_Backtrace(step, &walk);
  return walk.count;
}

std::string throw_site_trace() {
  const bool fresh =
      t_site.resume != 0 && t_site.resume == t_resumes;  // else: an earlier resume's, not this one's
  t_site.resume = 0;
  if (!fresh || t_site.count == 0) return {};
  return "thrown at (most recent call first):\n" + describe_frames(t_site.frames, t_site.count, true);
}

}  // namespace steady::detail

// std::rethrow_exception: an exception carried in from elsewhere is recorded where it is rethrown, so the
// trace of an earlier exception that this actor threw and caught is never shown for it. (__cxa_throw:
// throw_hook.cpp.)
namespace std {
void rethrow_exception(exception_ptr error) {
  using steady::detail::g_real_rethrow_exception;
  if (steady::detail::t_running_actor != nullptr)
    steady::detail::record_throw_site(__builtin_return_address(0));
  auto real = g_real_rethrow_exception.load(memory_order_relaxed);
  if (real == nullptr) {
    real = reinterpret_cast<steady::detail::RethrowException>(
        steady::detail::next_definition("_ZSt17rethrow_exceptionNSt15__exception_ptr13exception_ptrE"));
    g_real_rethrow_exception.store(real, memory_order_relaxed);
  }
  real(std::move(error));
  __builtin_unreachable();
}
}  // namespace std
