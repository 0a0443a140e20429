// steady/log.hpp — the runtime's log lines, routed to a handler you choose.
//
// The core library depends on nothing but the standard library, so it writes its few log lines (actor failures,
// stop reports, unread messages) through this hook. By default they go to stderr at `info` and above;
// steady::ops::init_logging() routes them to spdlog. Handlers may be called from any thread.
#pragma once

#include <functional>
#include <string>
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
// exception was caught, appended to the failure's log line). The default, in a library built with
// STEADY_WITH_TRACES (the default), is the throw site: every `throw` made while an actor runs records its stack
// (a thread that runs no actor pays one thread-local check), and the record of the exception that escaped is
// resolved to "function at file:line" frames with backward-cpp + libdw. Without debug information the frames
// show function names only. nullptr: failures are logged without a trace. Returns the provider it replaced.
using FailureTraceProvider = std::string (*)();
FailureTraceProvider set_failure_trace_provider(FailureTraceProvider provider) noexcept;

// The crash handler: on SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGABRT it writes the signal and the name of the actor
// running on the crashing thread to stderr, then that thread's stack, and lets the signal end the process as it
// would have (the exit is by the signal: a process supervisor sees a failure and restarts the service). Installed
// once when the first graph that handles signals starts (production graphs; GraphBuilder::handle_signals(false)
// leaves it out with SIGINT/SIGTERM). Call it yourself to cover what runs before that, e.g. at the top of main().
// Does nothing in a library built with STEADY_WITH_TRACES=OFF.
void install_crash_handler();

}  // namespace steady
