// steady/testing.hpp — the testing toolkit: test one actor with injected channels, mock actors, drive and observe
// a whole running graph, and deterministic virtual time. No test framework needed; steady/testing/matchers.hpp adds
// GoogleTest/GMock matchers on top.
//
// One actor, deterministic (virtual time, no threads, no sleeps):
//
//   steady::testing::Harness h;                               // a testing graph in virtual time
//   auto& in  = h.input<int>("numbers");                      // the test feeds this channel
//   auto& out = h.output<int>("doubled");                     // the test records this one
//   h.actor("doubler").run(doubler, in.end(), out.end());     // the actor under test, with injected ends
//   in.push({1, 2, 3});
//   in.close();
//   steady::StopReport r = h.run_to_stop(std::chrono::seconds(1));   // runs until every actor agrees to stop
//   // r.clean is false (naming the actor and its veto reason) if it did not agree by the (virtual) deadline
//   // out.received() == {2, 4, 6}
//
// Timers in virtual time: h.advance(std::chrono::seconds(10)) fires every timer due on the way, in order.
//
// A whole graph (real threads): StageManager replaces named actors of the production wiring with mocks, pushes
// messages in, waits (bounded) until a sink has seen them, then release() closes the mock sources so the graph
// drains and stops cleanly.
//
// Mock actors, usable in any graph: Source<T> (from a sequence, optionally paced, or pushed at run time),
// Sink<T> (records, with expectations on count, order and a predicate), transform()/echo(), and fault_injector()
// (throws at chosen messages, for supervision tests). Each mock's state lives in a shared object the test keeps.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "steady.hpp"

namespace steady::testing {

// ---------------------------------------------------------------- Source

// What a mock source sends, and when it is done. Push and close from any thread, before or after the graph starts.
template <class T>
class Source {
 public:
  void push(T value) {
    {
      std::lock_guard lock(mu_);
      pending_.push_back(std::move(value));
    }
    bell_.ring();
  }
  void push(std::initializer_list<T> values) { push_all(values); }
  template <class Range>
  void push_all(const Range& values) {
    {
      std::lock_guard lock(mu_);
      for (const auto& v : values) pending_.push_back(v);
    }
    bell_.ring();
  }
  // After everything pushed so far is sent, the source stops and its channel is closed.
  void close() {
    {
      std::lock_guard lock(mu_);
      close_requested_ = true;
    }
    bell_.ring();
  }
  // Send at most one message per `interval` (0 = as fast as the channel takes them).
  void pace(std::chrono::nanoseconds interval) noexcept { pace_ = interval; }
  [[nodiscard]] std::uint64_t sent() const noexcept { return sent_.load(std::memory_order_acquire); }

  // The actor function: graph.actor("src").run(&Source<T>::actor, std::move(tx), source_ptr)
  static Task actor(Context& ctx, Tx<T>& tx, std::shared_ptr<Source>& self) { return self->run(ctx, tx); }

 private:
  Task run(Context& ctx, Tx<T>& tx) {
    while (ctx.is_running([&] { return vote(); })) {
      const std::size_t sent_now = send_some(tx, pace_.count() == 0 ? ~std::size_t{0} : 1);
      if (done()) co_return;  // returning agrees to stop; the graph closes our output
      if (sent_now == 0 || pace_.count() == 0) {
        if (has_pending()) co_await ctx.wait_vacant(tx, 1);
        else co_await ctx.wait_any(rung(bell_));
        bell_.answer();
      } else {
        co_await ctx.wait_periodic(pace_);
      }
    }
  }
  std::size_t send_some(Tx<T>& tx, std::size_t max) {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    while (n < max && !pending_.empty()) {
      auto r = tx.try_send(std::move(pending_.front()));
      if (!r.sent()) {
        pending_.front() = std::move(r).take_back();
        break;
      }
      pending_.pop_front();
      ++n;
    }
    sent_.fetch_add(n, std::memory_order_release);
    return n;
  }
  bool has_pending() {
    std::lock_guard lock(mu_);
    return !pending_.empty();
  }
  bool done() {
    std::lock_guard lock(mu_);
    return close_requested_ && pending_.empty();
  }
  Vote vote() {
    std::lock_guard lock(mu_);
    if (!close_requested_) return veto("the test has not closed this source (call close() or release())");
    if (!pending_.empty()) return veto(std::to_string(pending_.size()) + " pushed messages not sent yet");
    return agree();
  }

  std::mutex mu_;
  std::deque<T> pending_;
  bool close_requested_ = false;
  Doorbell bell_;
  std::chrono::nanoseconds pace_{0};
  std::atomic<std::uint64_t> sent_{0};
};

// ---------------------------------------------------------------- Sink

// The verdict of a sink's expectations: ok, or what differed.
struct Check {
  bool ok = true;
  std::string message;
  explicit operator bool() const noexcept { return ok; }
};

// Records every message it takes. Read from any thread; wait_for_count() blocks (bounded) until enough arrived.
template <class T>
class Sink {
 public:
  // Expectations, checked by verify().
  Sink& expect_count(std::size_t n) {
    expected_count_ = n;
    return *this;
  }
  Sink& expect_ordered_by(std::function<bool(const T&, const T&)> less) {
    ordered_by_ = std::move(less);
    return *this;
  }
  Sink& expect_each(std::function<bool(const T&)> pred, std::string description) {
    each_.push_back({std::move(pred), std::move(description)});
    return *this;
  }
  [[nodiscard]] Check verify() const {
    std::lock_guard lock(mu_);
    if (expected_count_ && got_.size() != *expected_count_)
      return {false, "expected " + std::to_string(*expected_count_) + " messages, received " +
                         std::to_string(got_.size())};
    if (ordered_by_) {
      for (std::size_t i = 1; i < got_.size(); ++i)
        if (ordered_by_(got_[i], got_[i - 1]))
          return {false, "message " + std::to_string(i) + " arrived out of order (before its predecessor)"};
    }
    for (const auto& [pred, what] : each_) {
      for (std::size_t i = 0; i < got_.size(); ++i)
        if (!pred(got_[i])) return {false, "message " + std::to_string(i) + " is not " + what};
    }
    return {};
  }

  [[nodiscard]] std::vector<T> received() const {
    std::lock_guard lock(mu_);
    return got_;
  }
  [[nodiscard]] std::vector<T> take_received() {
    std::lock_guard lock(mu_);
    return std::exchange(got_, {});
  }
  [[nodiscard]] std::size_t count() const {
    std::lock_guard lock(mu_);
    return got_.size() + taken_before_;
  }
  // Real-time graphs: block until at least n messages arrived or the timeout passed. True when they arrived.
  [[nodiscard]] bool wait_for_count(std::size_t n, std::chrono::nanoseconds timeout) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return got_.size() >= n; });
  }

  static Task actor(Context& ctx, Rx<T>& rx, std::shared_ptr<Sink>& self) { return self->run(ctx, rx); }

 private:
  Task run(Context& ctx, Rx<T>& rx) {
    while (ctx.is_running([&] { return drained(rx); })) {
      co_await ctx.wait_avail(rx, 1);
      record(rx);
      if (rx.is_closed_and_empty()) co_return;
    }
  }
  void record(Rx<T>& rx) {
    std::lock_guard lock(mu_);
    while (auto v = rx.try_take()) got_.push_back(std::move(*v));
    cv_.notify_all();
  }

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<T> got_;
  std::size_t taken_before_ = 0;
  std::optional<std::size_t> expected_count_;
  std::function<bool(const T&, const T&)> ordered_by_;
  std::vector<std::pair<std::function<bool(const T&)>, std::string>> each_;
};

// ---------------------------------------------------------------- transform / echo / fault injector

// An actor that maps each message with `fn` (In → Out), in batches, preserving order.
//   graph.actor("double").run(steady::testing::transform<int, int>([](int x) { return 2 * x; }), rx, tx);
template <class In, class Out, class F>
auto transform(F fn) {
  return [fn](Context& ctx, Rx<In>& rx, Tx<Out>& tx) -> Task {
    while (ctx.is_running([&] { return rx.is_closed_and_empty() && tx.mark_closed(); })) {
      co_await ctx.wait_all(avail(rx, 1), vacant(tx, 1));
      while (tx.vacant_units() > 0) {
        auto v = rx.try_take();
        if (!v) break;
        (void)tx.try_send(fn(std::move(*v)));
      }
      if (rx.is_closed_and_empty()) co_return;
    }
  };
}
template <class T>
auto echo() {
  return transform<T, T>([](T v) { return v; });
}

// Shared state of a fault injector: which message positions throw, and how many faults fired. Survives restarts.
struct FaultPlan {
  std::set<std::uint64_t> throw_at;  // 0-based positions in the stream
  bool repeat = false;               // throw every time the message is seen (a poison message), not only once
  std::atomic<std::uint64_t> passed{0};
  std::atomic<std::uint64_t> faults{0};
  std::mutex mu;
  std::set<std::uint64_t> fired;
};

// Passes messages through with peek-before-commit and throws std::runtime_error at the planned positions. With a
// restart policy, the restarted actor sees the same message again (it was not taken), so nothing is lost.
template <class T>
auto fault_injector(std::shared_ptr<FaultPlan> plan) {
  return [plan](Context& ctx, Rx<T>& rx, Tx<T>& tx) -> Task {
    while (ctx.is_running([&] { return rx.is_closed_and_empty() && tx.mark_closed(); })) {
      co_await ctx.wait_all(avail(rx, 1), vacant(tx, 1));
      while (tx.vacant_units() > 0) {
        const T* next = rx.try_peek();
        if (next == nullptr) break;
        const std::uint64_t pos = plan->passed.load();
        if (plan->throw_at.contains(pos)) {
          std::lock_guard lock(plan->mu);
          if (plan->repeat || plan->fired.insert(pos).second) {
            plan->faults.fetch_add(1);
            throw std::runtime_error("injected fault at message " + std::to_string(pos));
          }
        }
        (void)tx.try_send(T(*next));
        rx.advance_take(1);
        plan->passed.fetch_add(1);
      }
      if (rx.is_closed_and_empty()) co_return;
    }
  };
}

// ---------------------------------------------------------------- Harness

// A channel into the actor under test, fed by a mock Source the test controls.
template <class T>
class Input {
 public:
  Input(Graph& g, const std::string& name, std::uint64_t capacity) : source_(std::make_shared<Source<T>>()) {
    auto [tx, rx] = g.channel<T>().name(name).capacity(capacity).build();
    rx_ = std::move(rx);
    g.actor(name + ".source").run(&Source<T>::actor, std::move(tx), source_);
  }
  // The Rx to give the actor under test (once).
  [[nodiscard]] Rx<T> end() {
    if (!rx_.valid()) throw std::logic_error("Input::end() was already taken");
    return std::move(rx_);
  }
  void push(T v) { source_->push(std::move(v)); }
  void push(std::initializer_list<T> vs) { source_->push_all(vs); }
  template <class Range>
  void push_all(const Range& vs) {
    source_->push_all(vs);
  }
  void close() { source_->close(); }
  [[nodiscard]] Source<T>& source() noexcept { return *source_; }

 private:
  std::shared_ptr<Source<T>> source_;
  Rx<T> rx_;
};

// A channel out of the actor under test, drained into a recording Sink.
template <class T>
class Output {
 public:
  Output(Graph& g, const std::string& name, std::uint64_t capacity) : sink_(std::make_shared<Sink<T>>()) {
    auto [tx, rx] = g.channel<T>().name(name).capacity(capacity).build();
    tx_ = std::move(tx);
    g.actor(name + ".sink").run(&Sink<T>::actor, std::move(rx), sink_);
  }
  [[nodiscard]] Tx<T> end() {
    if (!tx_.valid()) throw std::logic_error("Output::end() was already taken");
    return std::move(tx_);
  }
  [[nodiscard]] std::vector<T> received() const { return sink_->received(); }
  [[nodiscard]] std::vector<T> take_received() { return sink_->take_received(); }
  [[nodiscard]] Sink<T>& sink() noexcept { return *sink_; }

 private:
  std::shared_ptr<Sink<T>> sink_;
  Tx<T> tx_;
};

enum class Time { virtual_time, real_time };

class Harness {
 public:
  explicit Harness(Time t = Time::virtual_time)
      : graph_(GraphBuilder::for_testing().virtual_time(t == Time::virtual_time).build()) {}

  template <class T>
  Input<T>& input(const std::string& name, std::uint64_t capacity = 64) {
    auto p = std::make_shared<Input<T>>(graph_, name, capacity);
    keep_.push_back(p);
    return *p;
  }
  template <class T>
  Output<T>& output(const std::string& name, std::uint64_t capacity = 64) {
    auto p = std::make_shared<Output<T>>(graph_, name, capacity);
    keep_.push_back(p);
    return *p;
  }
  // The actor under test (or several): the graph's own ActorBuilder.
  [[nodiscard]] ActorBuilder actor(std::string name) { return graph_.actor(std::move(name)); }
  [[nodiscard]] Graph& graph() noexcept { return graph_; }

  void start() {
    if (graph_.state() == GraphState::building) graph_.start();
  }
  // Virtual time only: run until nothing is runnable; move the clock.
  std::size_t run_until_idle() {
    start();
    return graph_.run_until_idle();
  }
  void advance(std::chrono::nanoseconds d) {
    start();
    graph_.advance(d);
  }
  // Run until every actor agrees to stop, within `deadline` (virtual time: virtual deadline). In virtual time the
  // stop is requested once nothing is left to do; in real time it is requested at once and the actors drain.
  // An actor still vetoing at the deadline makes the report unclean, with its name and veto reason.
  StopReport run_to_stop(std::chrono::nanoseconds deadline) {
    start();
    if (!graph_.options().virtual_time) graph_.request_shutdown();
    return graph_.block_until_stopped(deadline);
  }

 private:
  Graph graph_;
  std::vector<std::shared_ptr<void>> keep_;
};

// ---------------------------------------------------------------- StageManager

// Drive and observe a whole graph built by production wiring code. Replace edge actors by name before the wiring
// runs; the mocks take the replaced actor's channel ends of the matching type.
class StageManager {
 public:
  explicit StageManager(Graph& g) : graph_(g) {}

  // The actor named `full_name` becomes a mock source on its first output of type Tx<T>.
  template <class T>
  Source<T>& replace_with_source(const std::string& full_name) {
    auto src = std::make_shared<Source<T>>();
    graph_.substitute(full_name, std::make_shared<SourceSub<T>>(src, full_name));
    closers_.push_back([src] { src->close(); });
    keep_.push_back(src);
    return *src;
  }
  // The actor named `full_name` becomes a recording sink on its first input of type Rx<T>.
  template <class T>
  Sink<T>& replace_with_sink(const std::string& full_name) {
    auto sink = std::make_shared<Sink<T>>();
    graph_.substitute(full_name, std::make_shared<SinkSub<T>>(sink, full_name));
    keep_.push_back(sink);
    return *sink;
  }
  // Close every mock source: the graph drains front to back. Then request the stop.
  void release() {
    for (auto& c : closers_) c();
    graph_.request_shutdown();
  }
  // Bounded wait until the channel named `channel` has delivered at least n messages to its consumer (it has seen
  // them). Polls the channel's counters; true when reached.
  [[nodiscard]] bool wait_taken(const std::string& channel, std::uint64_t n, std::chrono::nanoseconds timeout);

 private:
  template <class T>
  struct SourceSub final : detail::Substitute {
    SourceSub(std::shared_ptr<Source<T>> s, std::string n) : src(std::move(s)), name(std::move(n)) {}
    void install(ActorBuilder& b, std::vector<detail::EndOffer>& offers) override {
      for (auto& o : offers)
        if (o.is<Tx<T>>()) return b.run(&Source<T>::actor, o.claim<Tx<T>>(), src);
      throw std::logic_error("stage manager: actor '" + name + "' has no output of the source's message type");
    }
    std::shared_ptr<Source<T>> src;
    std::string name;
  };
  template <class T>
  struct SinkSub final : detail::Substitute {
    SinkSub(std::shared_ptr<Sink<T>> s, std::string n) : sink(std::move(s)), name(std::move(n)) {}
    void install(ActorBuilder& b, std::vector<detail::EndOffer>& offers) override {
      for (auto& o : offers)
        if (o.is<Rx<T>>()) return b.run(&Sink<T>::actor, o.claim<Rx<T>>(), sink);
      throw std::logic_error("stage manager: actor '" + name + "' has no input of the sink's message type");
    }
    std::shared_ptr<Sink<T>> sink;
    std::string name;
  };

  Graph& graph_;
  std::vector<std::function<void()>> closers_;
  std::vector<std::shared_ptr<void>> keep_;
};

}  // namespace steady::testing
