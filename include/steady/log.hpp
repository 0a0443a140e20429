// steady/log.hpp — the runtime's log lines, routed to a handler you choose.
//
// The core library depends on nothing but the standard library, so it writes its few log lines (actor failures,
// stop reports, unread messages) through this hook. By default they go to stderr at `info` and above;
// steady::ops::init_logging() routes them to spdlog. Handlers may be called from any thread.
#pragma once

#include <functional>
#include <string_view>

namespace steady {

enum class LogLevel { trace, debug, info, warn, error, off };

using LogHandler = std::function<void(LogLevel, std::string_view message)>;

// Replace the handler (nullptr restores the stderr default). Not thread-safe against concurrent logging: set it
// before building graphs.
void set_log_handler(LogHandler handler);
void set_log_level(LogLevel min_level);
[[nodiscard]] LogLevel log_level() noexcept;
void log(LogLevel level, std::string_view message);

// Where the text of a failed actor's stack trace comes from (called on the actor's thread right after its
// exception was caught). steady::ops installs one that records the throw site (backward-cpp); none by default.
using FailureTraceProvider = std::string (*)();
void set_failure_trace_provider(FailureTraceProvider provider) noexcept;

}  // namespace steady
