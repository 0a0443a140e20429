// src/log.cpp — the core's log hook (see steady/log.hpp).
#include "steady/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "failure_trace.hpp"

namespace steady {
namespace {
std::atomic<LogLevel> g_level{LogLevel::info};
LogHandler& handler() {
  static LogHandler h;
  return h;
}
std::mutex& stderr_mu() {
  static std::mutex m;
  return m;
}
const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::trace: return "trace";
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
    case LogLevel::off: return "off";
  }
  return "?";
}
}  // namespace

void set_log_handler(LogHandler h) { handler() = std::move(h); }
void set_log_level(LogLevel l) { g_level.store(l); }
LogLevel log_level() noexcept { return g_level.load(); }

void log(LogLevel level, std::string_view message) {
  if (level < g_level.load(std::memory_order_relaxed) || level == LogLevel::off) return;
  if (auto& h = handler()) {
    h(level, message);
    return;
  }
  std::lock_guard lock(stderr_mu());
  std::fprintf(stderr, "[steady %s] %.*s\n", level_name(level), static_cast<int>(message.size()), message.data());
}

namespace {
// The throw site (failure_trace.cpp), or an empty string when built without traces (failure_trace_off.cpp).
std::atomic<FailureTraceProvider> g_trace_provider{&detail::throw_site_trace};
}  // namespace
FailureTraceProvider set_failure_trace_provider(FailureTraceProvider p) noexcept {
  return g_trace_provider.exchange(p);
}
void install_crash_handler() { detail::install_crash_handler(); }

namespace detail {
std::string take_failure_trace() {
  const FailureTraceProvider p = g_trace_provider.load();
  return p != nullptr ? p() : std::string{};
}
}  // namespace detail

}  // namespace steady
