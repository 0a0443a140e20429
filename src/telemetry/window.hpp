// src/telemetry/window.hpp — rolling windows: the last N values of one figure, and the latency histogram of the
// last N frames. Collector thread only. Internal.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "model.hpp"
#include "steady/detail/latency.hpp"

namespace steady::telemetry {

// The last `capacity` values of a figure, oldest first when iterated.
class Series {
 public:
  explicit Series(std::size_t capacity) : v_(capacity) {}
  void push(double x) noexcept {
    v_[next_] = x;
    next_ = (next_ + 1) % v_.size();
    if (n_ < v_.size()) ++n_;
  }
  [[nodiscard]] std::size_t size() const noexcept { return n_; }
  [[nodiscard]] double at(std::size_t i) const noexcept {  // 0 = oldest
    return v_[(next_ + v_.size() - n_ + i) % v_.size()];
  }
  // avg, min, max, population std-dev and the given percentiles (nearest rank) over the window.
  [[nodiscard]] Stats stats(const std::vector<double>& percentiles, std::vector<double>& scratch) const {
    Stats s;
    s.n = static_cast<std::uint32_t>(n_);
    if (n_ == 0) return s;
    scratch.resize(n_);
    double sum = 0, lo = at(0), hi = at(0);
    for (std::size_t i = 0; i < n_; ++i) {
      const double x = at(i);
      scratch[i] = x;
      sum += x;
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    s.avg = sum / static_cast<double>(n_);
    double var = 0;
    for (std::size_t i = 0; i < n_; ++i) var += (scratch[i] - s.avg) * (scratch[i] - s.avg);
    s.sd = std::sqrt(var / static_cast<double>(n_));
    s.min = lo;
    s.max = hi;
    s.pct.reserve(percentiles.size());
    for (double p : percentiles) {
      const std::size_t k = rank_index(p, n_);
      std::nth_element(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(k), scratch.end());
      s.pct.push_back(scratch[k]);
    }
    return s;
  }

  // Nearest-rank percentile: the smallest value with at least p % of the values at or below it. 0-based index.
  [[nodiscard]] static std::size_t rank_index(double p, std::size_t n) noexcept {
    const double r = std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(n));
    return static_cast<std::size_t>(std::clamp(r, 1.0, static_cast<double>(n))) - 1;
  }

 private:
  std::vector<double> v_;
  std::size_t next_ = 0, n_ = 0;
};

using Histogram = detail::LatencyHistogram;

// A representative value of a histogram bucket, in ns: exact below 16 ns, else the middle of the bucket.
[[nodiscard]] inline double bucket_value_ns(std::size_t b) noexcept {
  if (b < 16) return static_cast<double>(b);
  const double lo = static_cast<double>(Histogram::lower(b));
  const double hi = b + 1 < Histogram::kBuckets ? static_cast<double>(Histogram::lower(b + 1)) : lo * 1.125;
  return (lo + hi) / 2;
}

// Latency statistics (ms) of a set of bucket counts.
template <class Counts>
[[nodiscard]] LatencyStats latency_stats(const Counts& counts, const std::vector<double>& percentiles) {
  LatencyStats s;
  std::uint64_t n = 0;
  double sum = 0;
  std::size_t first = Histogram::kBuckets, last = 0;
  for (std::size_t b = 0; b < Histogram::kBuckets; ++b) {
    const std::uint64_t c = counts[b];
    if (c == 0) continue;
    n += c;
    sum += bucket_value_ns(b) * static_cast<double>(c);
    first = std::min(first, b);
    last = b;
  }
  s.n = n;
  if (n == 0) return s;
  s.avg = sum / static_cast<double>(n) / 1e6;
  s.min = bucket_value_ns(first) / 1e6;
  s.max = bucket_value_ns(last) / 1e6;
  for (double p : percentiles) {
    const std::uint64_t rank = Series::rank_index(p, n) + 1;
    std::uint64_t cum = 0;
    double v = s.max;
    for (std::size_t b = first; b <= last; ++b) {
      cum += counts[b];
      if (cum >= rank) {
        v = bucket_value_ns(b) / 1e6;
        break;
      }
    }
    s.pct.push_back(v);
  }
  return s;
}

// The latency histogram of the last `frames` frames: each frame's gain is kept sparse, and the window's counts
// are kept up to date by adding the newest frame and removing the one that falls out.
class LatencyWindow {
 public:
  explicit LatencyWindow(std::size_t frames) : deltas_(frames) {}
  using Delta = std::vector<std::pair<std::uint16_t, std::uint32_t>>;
  void push(const Delta& d) {
    Delta& slot = deltas_[next_];
    for (auto [b, c] : slot) counts_[b] -= c;
    slot = d;
    for (auto [b, c] : slot) counts_[b] += c;
    next_ = (next_ + 1) % deltas_.size();
  }
  [[nodiscard]] const std::array<std::uint64_t, Histogram::kBuckets>& counts() const noexcept { return counts_; }

 private:
  std::vector<Delta> deltas_;
  std::size_t next_ = 0;
  std::array<std::uint64_t, Histogram::kBuckets> counts_{};
};

}  // namespace steady::telemetry
