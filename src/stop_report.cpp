// src/stop_report.cpp — StopReport::to_string.
#include "steady/stop_report.hpp"

namespace steady {

std::string StopReport::to_string() const {
  std::string s = clean ? "clean stop" : "unclean stop";
  s += " in " + std::to_string(stop_duration.count()) + " ms";
  if (timed_out) s += " (timed out waiting for stop votes)";
  for (const auto& v : vetoes) s += "; actor '" + v.actor + "' vetoed: " + v.reason;
  for (const auto& f : failures) s += "; actor '" + f.actor + "' failed: " + f.what;
  return s;
}

}  // namespace steady
