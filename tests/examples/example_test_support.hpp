// tests/examples/example_test_support.hpp — what the examples' actor tests share: the numbers 1..n to feed or
// expect, a count of printed lines, and a producer run alone in virtual time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <steady/testing.hpp>
#include <steady/testing/matchers.hpp>

namespace example_test {

// 1, 2, ..., n.
inline std::vector<std::uint64_t> one_to(std::uint64_t n) {
  std::vector<std::uint64_t> v(n);
  std::iota(v.begin(), v.end(), std::uint64_t{1});
  return v;
}

// How many lines of `text` start with `prefix`.
inline int count_lines_starting_with(const std::string& text, const std::string& prefix) {
  int n = 0;
  for (std::size_t at = 0; at < text.size();) {
    if (text.compare(at, prefix.size(), prefix) == 0) ++n;
    const std::size_t nl = text.find('\n', at);
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  return n;
}

// Runs the producer `fn(ctx, out, args...)` (actor `name`) alone for `how_long` of virtual time into the
// recorded channel `channel`, expects it to agree to stop at once, and returns what it sent.
template <class T, class Fn, class... Args>
std::vector<T> sent_in(std::chrono::milliseconds how_long, const std::string& name,
                       const std::string& channel, std::uint64_t capacity, Fn fn, Args... args) {
  steady::testing::Harness h;
  auto& out = h.output<T>(channel, capacity);
  h.actor(name).run(fn, out.end(), args...);
  h.advance(how_long);
  EXPECT_THAT(h.run_to_stop(std::chrono::seconds(1)), steady::testing::IsCleanStop());
  return out.received();
}

}  // namespace example_test
