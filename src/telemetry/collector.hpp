// src/telemetry/collector.hpp — the sampling thread: once per frame it reads every channel's indices and latency
// histogram, every actor's counters and every executor thread's CPU clock, turns the deltas into figures, keeps
// the rolling windows, applies the triggers and publishes an immutable Frame. Internal.
//
// Cost on the hot path: none beyond what the runtime already does (the collector only loads atomics the actors
// write anyway; each load makes the line shared once per frame).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "model.hpp"
#include "window.hpp"

namespace steady::detail {
class GraphCore;
class Executor;
}  // namespace steady::detail

namespace steady::telemetry {

// Reads the graph's structure. Call on the thread that built the graph, once it is complete.
[[nodiscard]] std::shared_ptr<const Structure> read_structure(detail::GraphCore& g, const std::string& title);

class Collector {
 public:
  using Listener = std::function<void(const FramePtr&)>;
  Collector(detail::GraphCore& g, const Options& options, std::shared_ptr<const Structure> structure);
  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // Starts the thread; `listener` runs on it after each frame is published.
  void start(Listener listener);
  void stop();
  // The graph's stop (any thread, once its actors' threads have been joined): take the final frame now and wait
  // until it is published (at most 5 s). After it the collector reads nothing of the graph any more.
  void take_final_frame();

  [[nodiscard]] FramePtr latest() const;
  // The frames of the window, oldest first.
  [[nodiscard]] std::vector<FramePtr> history() const;
  [[nodiscard]] std::uint64_t frames() const noexcept { return count_.load(std::memory_order_acquire); }
  bool wait_for_frames(std::uint64_t n, std::chrono::milliseconds timeout) const;
  [[nodiscard]] const Options& options() const noexcept { return options_; }
  [[nodiscard]] const Structure& structure() const noexcept { return *structure_; }

 private:
  struct ChannelState;
  struct ActorState;
  struct ThreadState;

  void run();
  FramePtr sample(std::chrono::steady_clock::time_point now, bool final_requested);
  void bind_executors();
  void apply_rules(Frame& f);
  void publish(FramePtr f);

  detail::GraphCore& graph_;
  const Options options_;
  const std::shared_ptr<const Structure> structure_;
  const std::size_t window_frames_;
  const std::uint64_t stats_every_;  // frames between two refreshes of the window statistics

  // collector thread only
  std::vector<ChannelState> channels_;
  std::vector<ActorState> actors_;
  std::vector<ThreadState> threads_;
  bool executors_bound_ = false;
  std::chrono::steady_clock::time_point last_{};
  const std::chrono::steady_clock::time_point started_;
  std::vector<double> scratch_;
  std::uint64_t seq_ = 0;
  std::shared_ptr<Frame> prev_;  // the previous frame (its window statistics are reused between refreshes)
  Listener listener_;

  // shared
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;  // frames published, and the stop request
  bool stopping_ = false;
  bool final_requested_ = false;  // by the graph's stop
  bool final_taken_ = false;      // the final frame is published: the graph is left alone
  FramePtr latest_;
  std::deque<FramePtr> history_;
  std::atomic<std::uint64_t> count_{0};
  std::thread thread_;
};

}  // namespace steady::telemetry
