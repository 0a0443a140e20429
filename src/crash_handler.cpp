// src/crash_handler.cpp — what a crash signal prints before the process dies. See failure_trace.hpp.
//
// Order of work in the handler, safest first:
//   1. one line written with write(2) from a stack buffer: the signal, the fault address, the actor running
//   on the
//      crashing thread (t_running_actor) and the thread's name. Async-signal-safe.
//   2. the stack, unwound with _Unwind_Backtrace into a static buffer and resolved by describe_frames():
//   neither is
//      async-signal-safe (the unwinder may take the loader's lock, libdw allocates), so this part runs under
//      an alarm: if it deadlocks, SIGALRM ends the process anyway and the process supervisor still restarts
//      it.
//   3. the previous disposition is restored (default: terminate with a core dump; under ASan its own report)
//   and
//      the signal is taken again: a fault by returning to the faulting instruction, a sent signal (kill,
//      abort) by raising it once more. Either way the process exits by the signal, not by a status we invent.
// Only the first thread to crash reports; another thread crashing meanwhile waits for the process to end.
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <mutex>
#include <string>

#include "failure_trace.hpp"
#include "steady/detail/actor_core.hpp"

namespace steady::detail {
namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
constexpr std::size_t kSignalCount = std::size(kSignals);
struct sigaction g_previous[kSignalCount];  // written once by install_crash_handler, before any handler runs
std::atomic<bool> g_installed{false};
std::atomic<long> g_crashing_thread{0};  // tid of the thread that reports; 0 = none yet

constexpr std::size_t kMaxFrames = 64;
void* g_frames[kMaxFrames];              // only the reporting thread writes it
constexpr unsigned kReportSeconds = 10;  // bound on step 2 (resolving a trace takes well under a second)
// Room for libdw resolving a trace after a stack overflow; only the pages touched become memory.
constexpr std::size_t kAltStackBytes = 256 * 1024;

// An async-signal-safe line builder: a fixed buffer, flushed with write(2).
class SafeLine {
 public:
  SafeLine& operator<<(const char* s) { return append(s, std::strlen(s)); }
  SafeLine& append(const char* s, std::size_t n) {
    for (std::size_t i = 0; i < n && len_ < sizeof buf_; ++i) buf_[len_++] = s[i];
    return *this;
  }
  SafeLine& hex(std::uintptr_t v) {
    char digits[2 * sizeof v];
    std::size_t n = 0;
    do {
      digits[n++] = "0123456789abcdef"[v & 0xf];
      v >>= 4;
    } while (v != 0);
    *this << "0x";
    while (n > 0) append(&digits[--n], 1);
    return *this;
  }
  void flush() {
    std::size_t done = 0;
    while (done < len_) {
      const ssize_t w = write(STDERR_FILENO, buf_ + done, len_ - done);
      if (w <= 0 && errno != EINTR) break;
      if (w > 0) done += static_cast<std::size_t>(w);
    }
    len_ = 0;
  }

 private:
  char buf_[512];
  std::size_t len_ = 0;
};

const char* signal_name(int sig) {
  switch (sig) {
    case SIGSEGV:
      return "SIGSEGV (invalid memory access)";
    case SIGBUS:
      return "SIGBUS (bus error)";
    case SIGFPE:
      return "SIGFPE (arithmetic error)";
    case SIGILL:
      return "SIGILL (illegal instruction)";
    case SIGABRT:
      return "SIGABRT (abort)";
  }
  return "signal";
}

// The pc the signal interrupted, so the trace starts there and not inside this handler.
std::uintptr_t interrupted_pc(const void* ucontext) {
  const auto* uc = static_cast<const ucontext_t*>(ucontext);
#if defined(__x86_64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.pc);
#else
  (void)uc;
  return 0;
#endif
}

void report(int sig, const siginfo_t* info, const void* ucontext) {
  SafeLine line;
  line << "steady: fatal signal " << signal_name(sig);
  if (sig != SIGABRT) line.append(" at address ", 12).hex(reinterpret_cast<std::uintptr_t>(info->si_addr));
  if (const ActorCore* a = t_running_actor) {
    line << " in actor '";
    line.append(a->full_name.data(), a->full_name.size()) << "'";
  } else {
    line << " outside any actor";
  }
  char thread[17] = {};
  if (prctl(PR_GET_NAME, thread) == 0) line << " (thread '" << thread << "')";
  line << "\n";
  line.flush();

  // Best effort from here on (see the top of the file).
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGALRM, &dfl, nullptr);
  alarm(kReportSeconds);
  const std::size_t count = capture_stack(g_frames, kMaxFrames);
  std::size_t first = 0;
  const std::uintptr_t pc = interrupted_pc(ucontext);
  for (std::size_t i = 0; i < count; ++i)
    if (reinterpret_cast<std::uintptr_t>(g_frames[i]) == pc) {
      first = i;
      break;
    }
  try {
    const std::string text = "steady: stack of the crashing thread (most recent call first):\n" +
                             describe_frames(g_frames + first, count - first, false);
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t w = write(STDERR_FILENO, text.data() + done, text.size() - done);
      if (w <= 0 && errno != EINTR) break;
      if (w > 0) done += static_cast<std::size_t>(w);
    }
  } catch (...) {  // out of memory: the line above has named the actor already
  }
  alarm(0);
}

void restore_previous(int sig) {
  for (std::size_t i = 0; i < kSignalCount; ++i)
    if (kSignals[i] == sig) sigaction(sig, &g_previous[i], nullptr);
}

void on_crash(int sig, siginfo_t* info, void* ucontext) {
  const int saved_errno = errno;
  const long self = syscall(SYS_gettid);
  long reporter = 0;
  if (g_crashing_thread.compare_exchange_strong(reporter, self)) {
    report(sig, info, ucontext);
  } else if (reporter != self) {
    for (;;) pause();  // another thread is reporting its crash; the process ends when it is done
  }
  // (reporter == self: a crash inside our own report; skip straight to the previous disposition)
  restore_previous(sig);
  errno = saved_errno;
  if (info->si_code <= 0) raise(sig);  // sent, not a fault: pending now, delivered when we return
}

}  // namespace

void install_crash_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_crash;
    sigemptyset(&sa.sa_mask);
    for (int s : kSignals) sigaddset(&sa.sa_mask, s);  // one report at a time on this thread
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    for (std::size_t i = 0; i < kSignalCount; ++i) sigaction(kSignals[i], &sa, &g_previous[i]);
    // The first unwind initialises the unwinder's caches: do it now, outside any signal handler.
    void* warm[4];
    (void)capture_stack(warm, 4);
    g_installed.store(true, std::memory_order_release);
  });
}

AltSignalStack::AltSignalStack() noexcept {
  if (!g_installed.load(std::memory_order_acquire)) return;  // no crash handler, nothing runs on it
  // Ours replaces one the thread may have (a sanitizer's is too small for resolving a trace) until we leave.
  stack_t previous{};
  if (sigaltstack(nullptr, &previous) != 0) return;
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  void* p = mmap(nullptr, kAltStackBytes + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;
  // A guard page below: overflowing the signal stack faults instead of writing over other memory.
  (void)mprotect(p, page, PROT_NONE);
  stack_t ss{};
  ss.ss_sp = static_cast<char*>(p) + page;
  ss.ss_size = kAltStackBytes;
  if (sigaltstack(&ss, nullptr) != 0) {
    munmap(p, kAltStackBytes + page);
    return;
  }
  stack_ = p;
  previous_sp_ = previous.ss_sp;
  previous_size_ = previous.ss_size;
  previous_disabled_ = (previous.ss_flags & SS_DISABLE) != 0;
}

AltSignalStack::~AltSignalStack() {
  if (stack_ == nullptr) return;
  stack_t ss{};  // give the thread back what it had: its owner (e.g. ASan at thread exit) frees that one
  ss.ss_sp = previous_sp_;
  ss.ss_size = previous_size_;
  ss.ss_flags = previous_disabled_ ? SS_DISABLE : 0;
  sigaltstack(&ss, nullptr);
  munmap(stack_, kAltStackBytes + static_cast<std::size_t>(sysconf(_SC_PAGESIZE)));
}

}  // namespace steady::detail
