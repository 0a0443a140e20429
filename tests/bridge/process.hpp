// tests/bridge/process.hpp — start a child process with its stdout on a pipe, read its lines with deadlines,
// signal it and reap it. Every wait is bounded; nothing sleeps to synchronise.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace bridge_test {

class Process {
 public:
  explicit Process(std::vector<std::string> argv) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int rc = posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    out_ = fds[0];
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  }
  ~Process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // The next output line, or nullopt at the deadline / end of output.
  std::optional<std::string> next_line(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      if (const auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        lines_.push_back(line);
        return line;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || eof_) return std::nullopt;
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[4096];
      const ssize_t n = ::read(out_, chunk, sizeof chunk);
      if (n <= 0)
        eof_ = true;
      else
        buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  // The first line (from now on) starting with `prefix`.
  std::optional<std::string> wait_line(const std::string& prefix,
                                       std::chrono::steady_clock::time_point deadline) {
    while (auto l = next_line(deadline))
      if (l->rfind(prefix, 0) == 0) return l;
    return std::nullopt;
  }
  void signal(int sig) { ::kill(pid_, sig); }
  // Exit status (or -signal), waiting up to the deadline; nullopt if it has not exited by then.
  std::optional<int> wait_exit(std::chrono::steady_clock::time_point deadline) {
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      }
      pollfd p{out_, POLLIN, 0};  // wait for output (or its end) while polling the exit; drain it into buf_
      if (eof_) {
        ::poll(nullptr, 0, 5);
      } else if (::poll(&p, 1, 5) > 0) {
        char chunk[4096];
        const ssize_t n = ::read(out_, chunk, sizeof chunk);
        if (n <= 0)
          eof_ = true;
        else
          buf_.append(chunk, static_cast<std::size_t>(n));
      }
    }
    return std::nullopt;
  }
  // Everything read so far, including lines not yet consumed.
  std::string all_output() const {
    std::string s;
    for (auto& l : lines_) s += l + "\n";
    return s + buf_;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buf_;
  std::vector<std::string> lines_;
  bool eof_ = false;
};

inline std::chrono::steady_clock::time_point in(std::chrono::milliseconds d) {
  return std::chrono::steady_clock::now() + d;
}

}  // namespace bridge_test
