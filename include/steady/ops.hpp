// steady/ops.hpp — the operational basics every service wants: standard command-line options, logging, machine
// info. Part of the separate `steady::ops` target (CLI11 and spdlog stay inside its one translation unit).
//
//   int main(int argc, char** argv) {
//     auto opts = steady::ops::parse_command_line(argc, argv, "my_service", "What my service does");
//     if (!opts) return opts.exit_code();          // --help, or a bad flag (message already printed)
//     steady::ops::init_logging(opts->log_level);
//     ...
//     if (opts->duration) { /* stop after *opts->duration */ }
//   }
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "log.hpp"

namespace steady::ops {

// The options every steady service understands (flag, then environment variable):
//   --duration SECONDS    stop by itself after this long (default: run until SIGINT/SIGTERM)
//   --log-level LEVEL     trace|debug|info|warn|error|off   (STEADY_LOG_LEVEL, default info)
//   --telemetry-bind ADDR (STEADY_TELEMETRY_BIND, default 127.0.0.1)
//   --telemetry-port PORT (STEADY_TELEMETRY_PORT, default 9900; set explicitly = must be free)
//   --no-telemetry
struct RunOptions {
  std::optional<std::chrono::milliseconds> duration;
  LogLevel log_level = LogLevel::info;
  std::string telemetry_bind = "127.0.0.1";
  std::uint16_t telemetry_port = 9900;
  bool telemetry_port_explicit = false;
  bool telemetry = true;
  std::vector<std::string> extra;  // values of options added with Extra below, in order
};

// An option of your own, parsed along with the standard ones (its value lands in RunOptions::extra, or in `target`).
struct Extra {
  std::string flag;         // e.g. "--rate"
  std::string description;  // shown by --help
  std::string* target;      // receives the value as text; keep your own default in it
};

class ParseResult {
 public:
  explicit ParseResult(RunOptions o) : opts_(std::move(o)) {}
  explicit ParseResult(int exit_code) : exit_code_(exit_code) {}
  explicit operator bool() const noexcept { return opts_.has_value(); }
  const RunOptions* operator->() const noexcept { return &*opts_; }
  const RunOptions& operator*() const noexcept { return *opts_; }
  // 0 after --help, 2 after a bad flag (CLI11 already printed what was wrong).
  [[nodiscard]] int exit_code() const noexcept { return exit_code_; }

 private:
  std::optional<RunOptions> opts_;
  int exit_code_ = 0;
};

[[nodiscard]] ParseResult parse_command_line(int argc, const char* const* argv, const std::string& app_name,
                                             const std::string& description, std::vector<Extra> extras = {});

// Route steady's own log lines and yours (spdlog) to a coloured console sink at `level`.
void init_logging(LogLevel level);
// Log through spdlog (after init_logging) — handy for code that does not include spdlog itself.
void info(const std::string& message);
void warn(const std::string& message);

// "2 cores, Intel(R) Xeon(R) ..., 24 GiB" — printed by demos and recorded by benchmarks.
[[nodiscard]] std::string describe_machine();
[[nodiscard]] unsigned core_count() noexcept;

}  // namespace steady::ops
