// tests/unit/test_support.hpp — what the core tests share: message-count scaling, a watchdog that turns a
// hang into a failed assertion, a bounded condition wait, a lifetime-tracking element type, and the names
// their actors are written with.
//
// Scaling. Heavy tests take their counts through scaled(n): n times STEADY_TEST_SCALE (default 1), divided by
// 8 in sanitizer builds (ASan/TSan run 5-20x slower), never below a floor that still exercises wrap-around.
//
// No sleeps as synchronisation: eventually() polls a condition until a deadline and reports whether it held;
// the Watchdog asks a graph to stop if a test has not finished in time, so a lost wake-up fails an assertion
// instead of hanging until the CTest timeout.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <unordered_set>

#include <steady/steady.hpp>

namespace steady_test {

using namespace std::chrono_literals;

// The names the core tests write their actors with, in one line: `using namespace steady_test::actor_names;`.
namespace actor_names {
using namespace std::chrono_literals;
using steady::Context;
using steady::Rx;
using steady::Task;
using steady::Tx;
using u64 = std::uint64_t;
}  // namespace actor_names

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

inline double scale_factor() {
  double f = 1.0;
  if (const char* s = std::getenv("STEADY_TEST_SCALE")) {
    const double v = std::strtod(s, nullptr);
    if (v > 0) f = v;
  }
  return kSanitized ? f / 8 : f;
}

// n scaled for this build, at least `floor`.
inline std::uint64_t scaled(std::uint64_t n, std::uint64_t floor = 1000) {
  const auto v = static_cast<std::uint64_t>(static_cast<double>(n) * scale_factor());
  return v < floor ? floor : v;
}

// Generous limit for a test that normally takes well under a second (sanitizers are much slower).
inline constexpr std::chrono::seconds kHangLimit =
    kSanitized ? std::chrono::seconds(40) : std::chrono::seconds(20);

// Poll `pred` until it holds or `limit` passes; returns whether it held. For waiting on another thread's
// progress.
template <class Pred>
bool eventually(Pred&& pred, std::chrono::milliseconds limit =
                                 std::chrono::duration_cast<std::chrono::milliseconds>(kHangLimit)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(200us);
  }
  return true;
}

// Asks `graph` to stop if it is still running after `limit`; fired() tells the test it had to.
class Watchdog {
 public:
  Watchdog(steady::Graph& graph, std::chrono::milliseconds limit =
                                     std::chrono::duration_cast<std::chrono::milliseconds>(kHangLimit))
      : thread_([this, &graph, limit] {
          std::unique_lock lock(mu_);
          if (!cv_.wait_for(lock, limit, [this] { return disarmed_; })) {
            fired_.store(true);
            lock.unlock();
            graph.request_shutdown();
          }
        }) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() { disarm(); }
  void disarm() {
    {
      std::lock_guard lock(mu_);
      disarmed_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  [[nodiscard]] bool fired() const noexcept { return fired_.load(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool disarmed_ = false;
  std::atomic<bool> fired_{false};
  std::thread thread_;
};

// Start the graph and wait for it to stop by itself (its actors return or request the stop), with a watchdog.
inline steady::StopReport run_graph(
    steady::Graph& graph, bool* watchdog_fired = nullptr,
    std::chrono::milliseconds limit = std::chrono::duration_cast<std::chrono::milliseconds>(kHangLimit)) {
  Watchdog dog(graph, limit);
  graph.start();
  steady::StopReport report = graph.block_until_stopped(5s);
  dog.disarm();
  if (watchdog_fired != nullptr) *watchdog_fired = dog.fired();
  return report;
}

// An element type that keeps a registry of its live instances: constructing over a live object, destroying
// one twice, or copying/moving from a destroyed one are counted as errors. Single-threaded tests only (the
// registry is guarded, but the counters are meant to be read while nothing else runs).
class Tracked {
 public:
  static constexpr std::uint64_t kMovedFrom = ~std::uint64_t{0};

  explicit Tracked(std::uint64_t v = 0) : value(v) { born(); }
  Tracked(const Tracked& o) : value(o.value) {
    check_live(&o);
    born();
    ++copies();
  }
  Tracked(Tracked&& o) noexcept : value(o.value) {
    check_live(&o);
    o.value = kMovedFrom;
    born();
    ++moves();
  }
  Tracked& operator=(const Tracked& o) {
    check_live(this);
    check_live(&o);
    value = o.value;
    ++copies();
    return *this;
  }
  Tracked& operator=(Tracked&& o) noexcept {
    check_live(this);
    check_live(&o);
    value = o.value;
    o.value = kMovedFrom;
    ++moves();
    return *this;
  }
  ~Tracked() {
    std::lock_guard lock(mu());
    if (live_set().erase(this) == 0) ++errors();  // destroyed twice, or never constructed
    ++destroyed();
  }

  std::uint64_t value;

  static void reset() {
    std::lock_guard lock(mu());
    live_set().clear();
    constructed() = destroyed() = copies() = moves() = errors() = 0;
  }
  static long live() {
    std::lock_guard lock(mu());
    return static_cast<long>(live_set().size());
  }
  static long& constructed() {
    static long n = 0;
    return n;
  }
  static long& destroyed() {
    static long n = 0;
    return n;
  }
  static long& copies() {
    static long n = 0;
    return n;
  }
  static long& moves() {
    static long n = 0;
    return n;
  }
  static long& errors() {
    static long n = 0;
    return n;
  }

 private:
  static std::mutex& mu() {
    static std::mutex m;
    return m;
  }
  static std::unordered_set<const void*>& live_set() {
    static std::unordered_set<const void*> s;
    return s;
  }
  void born() {
    std::lock_guard lock(mu());
    if (!live_set().insert(this).second) ++errors();  // constructed over a live object
    ++constructed();
  }
  static void check_live(const Tracked* p) {
    std::lock_guard lock(mu());
    if (live_set().count(p) == 0) ++errors();  // use of a destroyed (or never constructed) object
  }
};

}  // namespace steady_test
