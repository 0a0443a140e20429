// steady/stop_report.hpp — what Graph::block_until_stopped tells you about how the graph stopped.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace steady {

struct StopReport {
  struct Veto {
    std::string actor;   // full name, e.g. "worker_2"
    std::string reason;  // what its stop vote said last
  };
  struct Failure {
    std::string actor;
    std::string what;  // the exception text
  };
  // True when every actor agreed to stop (or returned) before the timeout and none failed for good.
  bool clean = false;
  // True when the timeout passed with actors still voting against the stop.
  bool timed_out = false;
  std::vector<Veto> vetoes;
  std::vector<Failure> failures;
  std::chrono::milliseconds stop_duration{0};
  std::uint64_t restarts = 0;  // actor restarts during the graph's life (each after a failure was supervised)  // from the stop request to the last actor stopping

  // One readable paragraph: "clean stop in 3 ms" or "unclean stop: actor 'x' vetoed: reason ...".
  [[nodiscard]] std::string to_string() const;
};

}  // namespace steady
