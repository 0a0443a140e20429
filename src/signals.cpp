// src/signals.cpp — see signals.hpp.
#include "signals.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>
#include <vector>

#include "failure_trace.hpp"
#include "graph_core.hpp"
#include "steady/log.hpp"

namespace steady::detail {
namespace {

std::atomic<std::uint32_t> g_signals{0};  // futex word: count of SIGINT/SIGTERM received
std::atomic<int> g_last_signal{0};

struct Targets {
  std::mutex mu;
  std::vector<GraphCore*> graphs;
};
Targets& targets() {
  static Targets* t = new Targets;  // leaked on purpose: the watcher thread may outlive static destruction
  return *t;
}

void on_signal(int sig) {
  g_last_signal.store(sig);
  if (g_signals.fetch_add(1) >= 1) {
    static const char msg[] = "\nsteady: second signal, exiting now\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    _exit(130);
  }
  futex_wake_all(g_signals);
}

void watch() {
  std::uint32_t seen = 0;
  for (;;) {
    futex_wait(g_signals, seen, std::chrono::nanoseconds::max());
    const std::uint32_t now = g_signals.load();
    if (now == seen) continue;
    seen = now;
    const int sig = g_last_signal.load();
    log(LogLevel::info, std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping the graph");
    std::lock_guard lock(targets().mu);
    for (GraphCore* g : targets().graphs) g->request_shutdown();
  }
}

}  // namespace

void register_signal_target(GraphCore* g) {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::thread(watch).detach();
    install_crash_handler();  // same moment, same opt-out (GraphBuilder::handle_signals(false))
  });
  std::lock_guard lock(targets().mu);
  targets().graphs.push_back(g);
  // A graph started after a signal already arrived still stops (the signal is not lost to a late start).
  if (g_signals.load() != 0) g->request_shutdown();
}

void unregister_signal_target(GraphCore* g) {
  std::lock_guard lock(targets().mu);
  auto& v = targets().graphs;
  v.erase(std::remove(v.begin(), v.end(), g), v.end());
}

}  // namespace steady::detail
