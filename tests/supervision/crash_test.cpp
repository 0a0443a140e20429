// Crash signals: the process prints which actor was running on the crashing thread, then dies by that signal
// (a process supervisor restarts it). Runs crash_child in a child process, one mode per test.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

extern char** environ;

namespace {

struct Crash {
  int status = 0;
  std::string err;  // everything the child wrote to stderr
};

Crash run_child(const std::string& mode) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  std::string program = CRASH_CHILD;
  std::vector<char*> argv{program.data(), const_cast<char*>(mode.c_str()), nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    throw std::runtime_error("spawn " + program);
  }
  Crash c;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    c.err.append(buf, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  waitpid(pid, &c.status, 0);
  return c;
}

// Plain builds die by the signal itself. Under a sanitizer the crash handler hands the signal to the
// sanitizer's own handler (installed before ours), which prints its report and exits with a failure status
// instead.
void expect_death_by(const Crash& c, int sig) {
#if defined(STEADY_SANITIZED)
  EXPECT_TRUE((WIFSIGNALED(c.status) && WTERMSIG(c.status) == sig) ||
              (WIFEXITED(c.status) && WEXITSTATUS(c.status) != 0))
      << "status " << c.status << "\n"
      << c.err;
#else
  ASSERT_TRUE(WIFSIGNALED(c.status)) << "status " << c.status << "\n" << c.err;
  EXPECT_EQ(WTERMSIG(c.status), sig) << c.err;
#endif
}

}  // namespace

// TSan runs signal handlers itself and reports the handler's best-effort part (resolving the trace
// allocates), after which the child hangs in TSan's runtime until the handler's alarm ends it by SIGALRM, 10
// s later. The first line (signal and actor) is still written; the exit by the crash signal is not what TSan
// gives.
#if defined(STEADY_SANITIZED_THREAD)
#define SKIP_UNDER_TSAN() \
  GTEST_SKIP() << "TSan reports the crash handler's (non-async-signal-safe) trace step"
#else
#define SKIP_UNDER_TSAN() (void)0
#endif

TEST(CrashHandler, ANullDereferenceInAnActorNamesTheActorAndDiesBySigsegv) {
  SKIP_UNDER_TSAN();
  const Crash c = run_child("null");
  expect_death_by(c, SIGSEGV);
  EXPECT_NE(c.err.find("fatal signal SIGSEGV"), std::string::npos) << c.err;
  EXPECT_NE(c.err.find("in actor 'sensor_reader'"), std::string::npos) << c.err;
#if !defined(STEADY_SANITIZED)
  EXPECT_NE(c.err.find("dereference_null_sensor"), std::string::npos)
      << c.err;  // the trace names the function
#endif
}

TEST(CrashHandler, AnAbortInAnActorNamesTheActorAndDiesBySigabrt) {
  SKIP_UNDER_TSAN();
  const Crash c = run_child("abort");
  expect_death_by(c, SIGABRT);
  EXPECT_NE(c.err.find("fatal signal SIGABRT"), std::string::npos) << c.err;
  EXPECT_NE(c.err.find("in actor 'sensor_reader'"), std::string::npos) << c.err;
}

TEST(CrashHandler, AStackOverflowInAnActorStillNamesIt) {
  SKIP_UNDER_TSAN();
  const Crash c = run_child("overflow");
  expect_death_by(c, SIGSEGV);
  EXPECT_NE(c.err.find("in actor 'sensor_reader'"), std::string::npos) << c.err;
#if !defined(STEADY_SANITIZED)
  EXPECT_NE(c.err.find("recurse_without_end"), std::string::npos) << c.err;  // resolved on the signal stack
#endif
}

TEST(CrashHandler, ACrashOutsideAnyActorSaysSo) {
  SKIP_UNDER_TSAN();
  const Crash c = run_child("main");
  expect_death_by(c, SIGSEGV);
  EXPECT_NE(c.err.find("fatal signal SIGSEGV"), std::string::npos) << c.err;
  EXPECT_NE(c.err.find("outside any actor"), std::string::npos) << c.err;
  EXPECT_EQ(c.err.find("in actor"), std::string::npos) << c.err;
}
