// src/failure_trace.hpp — which actor runs on this thread; throw-site traces; the crash handler. Internal.
//
// Executor threads mark the actor whose code they are running (RunningActorScope around each resume of its
// coroutine). Two consumers read that mark:
//   - the throw hook (failure_trace.cpp) interposes __cxa_throw: on a thread running an actor it records the
//   stack
//     of the throw site before forwarding to the real __cxa_throw; on any other thread it only forwards. When
//     the exception escapes the actor, throw_site_trace() (the default failure-trace provider, see
//     steady/log.hpp) resolves that record into "function at file:line" frames.
//   - the crash handler (crash_handler.cpp) writes, on SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGABRT, the signal and
//   the
//     name of the actor running on the crashing thread with async-signal-safe writes, then a resolved trace
//     (best effort, bounded by an alarm), then lets the previous disposition (default: die) take the signal
//     again.
// Built with STEADY_WITH_TRACES=OFF, failure_trace_off.cpp stands in: no hook, no handler, empty traces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace steady::detail {

struct ActorCore;

// The actor running on this thread, or null. Written only by its own thread; read by that thread, including
// from its signal handlers (an aligned pointer load). Constant-initialised, so reading it costs one TLS load.
inline thread_local const ActorCore* t_running_actor = nullptr;
// Counts the resumes begun on this thread: a throw site recorded during the last one belongs to the actor
// that the supervisor is now handling (it runs on the same thread, right after that resume).
inline thread_local std::uint64_t t_resumes = 0;

// Executor thread: marks `a` as running for the scope's lifetime (nests: restores the previous mark).
class RunningActorScope {
 public:
  explicit RunningActorScope(const ActorCore& a) noexcept : previous_(t_running_actor) {
    t_running_actor = &a;
    ++t_resumes;
  }
  ~RunningActorScope() { t_running_actor = previous_; }
  RunningActorScope(const RunningActorScope&) = delete;
  RunningActorScope& operator=(const RunningActorScope&) = delete;

 private:
  const ActorCore* previous_;
};

// The throw hooks, on a thread running an actor: record the stack of the throw, from `thrower` (the return
// address into the function that threw) outwards. No allocation; safe to call from inside __cxa_throw.
void record_throw_site(void* thrower) noexcept;
// The definition of `symbol` that this library's own definition hides (dlsym RTLD_NEXT); aborts with a
// message when there is none (libstdc++ linked statically).
void* next_definition(const char* symbol) noexcept;

// The default failure-trace provider, called by the supervisor right after an actor's resume ended in an
// exception: the site of the last throw (or std::rethrow_exception) made during that resume, formatted one
// frame a line; "" when there is none (or traces are off). Taking it clears it.
std::string throw_site_trace();

// Walks the calling thread's stack (innermost first) into `frames`: addresses inside the call instructions
// (or, for a frame a signal interrupted, the interrupted instruction). No allocation. Returns how many were
// written.
std::size_t capture_stack(void** frames, std::size_t max) noexcept;

// Resolves return addresses into one line per frame ("  #3 fn(args) at file.cpp:42", inlined calls included).
// `frames[0]` is the innermost. `wait_for_resolver`: false from a signal handler, where a resolver held by
// the crashing thread itself would deadlock; the frames are then printed as raw addresses.
std::string describe_frames(void* const* frames, std::size_t count, bool wait_for_resolver);

// Installs the crash handler for SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT (once; later calls do nothing).
void install_crash_handler();

// Gives the calling thread an alternate signal stack while it lives, so the crash handler still runs after a
// stack overflow (only once the crash handler is installed; otherwise it does nothing). The thread's previous
// alternate stack, if any (a sanitizer's), is put back at the end. Executor threads hold one while they run.
class AltSignalStack {
 public:
  AltSignalStack() noexcept;
  ~AltSignalStack();
  AltSignalStack(const AltSignalStack&) = delete;
  AltSignalStack& operator=(const AltSignalStack&) = delete;

 private:
  void* stack_ = nullptr;  // ours to unmap; null when there is no handler or mapping failed
  void* previous_sp_ = nullptr;
  std::size_t previous_size_ = 0;
  bool previous_disabled_ = true;
};

}  // namespace steady::detail
