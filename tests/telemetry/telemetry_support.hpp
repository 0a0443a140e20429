// tests/telemetry/telemetry_support.hpp — what the in-process telemetry tests (and the actors' counter tests)
// share: collector options that serve nothing (or only on a free loopback port) and ignore the environment,
// and a bounded wait, frame by frame, for a snapshot that shows what a test expects.
#pragma once

#include <chrono>

#include <nlohmann/json.hpp>

#include "steady/telemetry.hpp"

namespace telemetry_test {

// No server, no STEADY_TELEMETRY_* from the environment, a frame every `frame`, a 2 s statistics window.
inline steady::telemetry::Options quiet(std::chrono::milliseconds frame = std::chrono::milliseconds(20)) {
  steady::telemetry::Options o;
  o.serve = false;
  o.read_environment = false;
  o.frame = frame;
  o.window = std::chrono::seconds(2);
  return o;
}

// quiet(), but serving on 127.0.0.1 on any free port.
inline steady::telemetry::Options serving() {
  steady::telemetry::Options o = quiet();
  o.serve = true;
  o.port = 0;  // any free port
  o.port_explicit = true;
  return o;
}

// Waits frame by frame (bounded) until `pred(snapshot)` holds; returns the last snapshot seen.
template <class Pred>
nlohmann::json until(const steady::Telemetry& t, Pred pred,
                     std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    nlohmann::json s = nlohmann::json::parse(t.snapshot_json());
    if (!s["frame"].is_null() && pred(s)) return s;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return s;
    (void)t.wait_for_frames(t.frames() + 1, left);
  }
}

}  // namespace telemetry_test
