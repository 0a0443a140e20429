// src/ops/ops.cpp — CLI11 + spdlog behind steady/ops.hpp (the only translation unit that includes them).
#include "steady/ops.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <map>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <thread>

namespace steady::ops {
namespace {
const std::map<std::string, LogLevel> kLevels{{"trace", LogLevel::trace}, {"debug", LogLevel::debug},
                                              {"info", LogLevel::info},   {"warn", LogLevel::warn},
                                              {"error", LogLevel::error}, {"off", LogLevel::off}};

spdlog::level::level_enum to_spd(LogLevel l) {
  switch (l) {
    case LogLevel::trace: return spdlog::level::trace;
    case LogLevel::debug: return spdlog::level::debug;
    case LogLevel::info: return spdlog::level::info;
    case LogLevel::warn: return spdlog::level::warn;
    case LogLevel::error: return spdlog::level::err;
    case LogLevel::off: return spdlog::level::off;
  }
  return spdlog::level::info;
}
}  // namespace

ParseResult parse_command_line(int argc, const char* const* argv, const std::string& app_name,
                               const std::string& description, std::vector<Extra> extras) {
  CLI::App app{description, app_name};
  RunOptions o;
  double seconds = 0;
  std::string level = "info";
  app.add_option("--duration", seconds, "Stop by itself after this many seconds (default: until Ctrl-C)")
      ->check(CLI::PositiveNumber);
  app.add_option("--log-level", level, "trace|debug|info|warn|error|off")
      ->envname("STEADY_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option("--telemetry-bind", o.telemetry_bind, "Address the telemetry server binds")
      ->envname("STEADY_TELEMETRY_BIND");
  auto* port = app.add_option("--telemetry-port", o.telemetry_port, "Telemetry port (must be free when set)")
                   ->envname("STEADY_TELEMETRY_PORT");
  bool no_telemetry = false;
  app.add_flag("--no-telemetry", no_telemetry, "Do not serve telemetry");
  std::vector<std::string> extra_values(extras.size());
  for (std::size_t i = 0; i < extras.size(); ++i) {
    std::string* into = extras[i].target != nullptr ? extras[i].target : &extra_values[i];
    app.add_option(extras[i].flag, *into, extras[i].description)->capture_default_str();
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints --help, or what was wrong with the flags
    return ParseResult(code == 0 ? 0 : 2);
  }
  if (seconds > 0) o.duration = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  o.log_level = kLevels.at(level);
  o.telemetry_port_explicit = port->count() > 0;
  o.telemetry = !no_telemetry;
  for (std::size_t i = 0; i < extras.size(); ++i)
    o.extra.push_back(extras[i].target != nullptr ? *extras[i].target : extra_values[i]);
  return ParseResult(std::move(o));
}

void init_logging(LogLevel level) {
  auto logger = spdlog::stderr_color_mt("steady");
  spdlog::set_default_logger(logger);
  spdlog::set_level(to_spd(level));
  spdlog::set_pattern("%H:%M:%S.%e %^%-5l%$ %v");
  set_log_level(level);
  set_log_handler([](LogLevel l, std::string_view msg) { spdlog::log(to_spd(l), "{}", msg); });
}

void info(const std::string& message) { spdlog::info("{}", message); }
void warn(const std::string& message) { spdlog::warn("{}", message); }

unsigned core_count() noexcept { return std::max(1u, std::thread::hardware_concurrency()); }

std::string describe_machine() {
  std::string model = "unknown CPU";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  const double gib = static_cast<double>(pages) * static_cast<double>(page) / (1024.0 * 1024 * 1024);
  return std::to_string(core_count()) + " cores, " + model + ", " + std::to_string(static_cast<int>(gib + 0.5)) +
         " GiB";
}

}  // namespace steady::ops
