// Property tests: random graphs (random_graph.hpp) built from seeds, run to the end or stopped part-way, with and
// without injected faults. For every seed:
//   - every message a source sent reaches the sinks exactly once (no loss, no duplicate, nothing unknown);
//   - each source's messages arrive in order wherever the topology keeps order (no any-lane split on the way);
//   - the graph stops cleanly (clean stop report) before a deadline — a hang is a failure naming the seed;
//   - with faults: restarts counted = faults injected (more when a one_for_all/rest_for_one group restarts others).
// Faults are only injected in graphs that run to the end: an actor failing while the graph stops is not restarted
// (supervision.hpp), so a fault during a stop would lose its input on purpose.
//
//   property_test                        the CI seeds (a few; fewer messages in sanitizer builds)
//   property_test --seeds 1..1000        a seed range (or --seeds N for 1..N; env STEADY_PROPERTY_SEEDS)
//   property_test --seeds 77..77 --verbose --gtest_filter='RandomFaults.*'   replay one seed with the runtime's logs
//   --messages N                         at most N messages per source (env STEADY_PROPERTY_MESSAGES)
#include <gtest/gtest.h>

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

#include "random_graph.hpp"

using namespace std::chrono_literals;
using steady::property::RandomGraph;
using steady::property::Run;
using steady::property::Shape;

namespace {

#ifdef STEADY_SANITIZED
constexpr std::uint64_t kCiLast = 4;  // sanitizer builds: each seed stays well under 2 s
constexpr std::uint64_t kCiMessages = 800;
#else
constexpr std::uint64_t kCiLast = 12;
constexpr std::uint64_t kCiMessages = 4000;
#endif

struct Options {
  std::uint64_t first = 1;
  std::uint64_t last = kCiLast;
  std::uint64_t max_messages = kCiMessages;
  bool verbose = false;
  std::chrono::seconds deadline{30};  // one graph must finish within this; otherwise it counts as a hang
};
Options& options() {
  static Options o;
  return o;
}

enum class Ending { run_to_the_end, stop_part_way };

struct Totals {
  std::uint64_t graphs = 0, failures = 0, actors = 0, messages = 0, faults = 0, restarts = 0;
};

// Runs one seed; returns "" when every property held, otherwise what went wrong.
std::string run_seed(std::uint64_t seed, bool faults, Ending ending, Totals& totals) {
  std::mt19937_64 rng(seed ^ 0xF00DF00Dull);
  auto run = std::make_shared<Run>();
  run->seed = seed;
  if (faults) run->fault_one_in = static_cast<std::uint32_t>(20 + rng() % 400);
  auto graph = steady::GraphBuilder::for_testing().build();
  Shape shape{seed, faults, options().max_messages};
  RandomGraph rg(graph, shape, run);
  std::uint64_t total = 0;
  for (const auto& s : rg.sources()) total += s->total;
  const std::uint64_t stop_after = total == 0 ? 0 : rng() % total;

  graph.start();
  // The watchdog: if the graph has not stopped by the deadline, ask it to stop (block_until_stopped then forces
  // vetoing actors out), so a hang fails this seed instead of the whole binary.
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  bool hung = false;
  std::thread watchdog([&] {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, options().deadline, [&] { return finished; })) {
      hung = true;
      lock.unlock();
      graph.request_shutdown();
    }
  });
  if (ending == Ending::stop_part_way) {
    const auto until = std::chrono::steady_clock::now() + options().deadline;
    while (run->delivered.load() < stop_after && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(100us);  // polling a condition, with a deadline
    graph.request_shutdown();
  }
  const steady::StopReport report = graph.block_until_stopped(10s);
  {
    std::lock_guard lock(mu);
    finished = true;
  }
  cv.notify_all();
  watchdog.join();

  std::ostringstream why;
  if (hung) why << "did not stop within " << options().deadline.count() << " s (hang); ";
  if (!report.clean) why << "unclean stop: " << report.to_string() << "; ";
  // Every message sent arrived exactly once, summed over the sinks.
  std::size_t shown = 0;
  for (const auto& src : rg.sources()) {
    if (ending == Ending::run_to_the_end && src->sent != src->total)
      why << "source " << src->id << " sent " << src->sent << " of " << src->total << "; ";
    for (std::uint64_t seq = 0; seq < src->total; ++seq) {
      unsigned seen = 0;
      for (const auto& l : rg.ledgers()) seen += l->count[src->id][seq];
      const unsigned want = seq < src->sent ? 1 : 0;
      if (seen != want && shown++ < 5)
        why << "source " << src->id << " message " << seq << " arrived " << seen << " times (want " << want << "); ";
    }
  }
  if (shown > 5) why << "(" << shown - 5 << " more messages wrong); ";
  for (const auto& l : rg.ledgers()) {
    if (l->unknown != 0) why << l->unknown << " messages nobody sent; ";
    if (rg.ordered() && l->out_of_order != 0) why << l->out_of_order << " messages out of order; ";
  }
  const std::uint64_t injected = run->injected.load();
  if (faults && !rg.co_restarts() && report.restarts != injected)
    why << report.restarts << " restarts for " << injected << " faults; ";
  if (faults && report.restarts < injected) why << report.restarts << " restarts for " << injected << " faults; ";

  ++totals.graphs;
  totals.actors += rg.actor_count();
  for (const auto& s : rg.sources()) totals.messages += s->sent;
  totals.faults += injected;
  totals.restarts += report.restarts;
  if (why.str().empty()) return {};
  ++totals.failures;
  std::ostringstream out;
  out << "seed " << seed << (faults ? " (faults, 1 in " + std::to_string(run->fault_one_in) + ")" : "")
      << (ending == Ending::stop_part_way ? " (stopped after " + std::to_string(stop_after) + " deliveries)" : "")
      << ": " << why.str() << "\nreplay: property_test --seeds " << seed << ".." << seed << " --verbose\n"
      << rg.describe();
  return out.str();
}

void print_totals(const char* what, const Totals& t) {
  std::printf("property %s: seeds %llu..%llu, %llu graphs, %llu actors, %llu messages, %llu faults, %llu restarts, "
              "%llu failures\n",
              what, static_cast<unsigned long long>(options().first), static_cast<unsigned long long>(options().last),
              static_cast<unsigned long long>(t.graphs), static_cast<unsigned long long>(t.actors),
              static_cast<unsigned long long>(t.messages), static_cast<unsigned long long>(t.faults),
              static_cast<unsigned long long>(t.restarts), static_cast<unsigned long long>(t.failures));
  std::fflush(stdout);
}

}  // namespace

// Random shapes, capacities, batch sizes and placements; every third seed is asked to stop part-way through.
TEST(RandomGraphs, DeliverEveryMessageExactlyOnceAndStopCleanly) {
  Totals totals;
  for (std::uint64_t seed = options().first; seed <= options().last; ++seed) {
    const Ending ending = seed % 3 == 0 ? Ending::stop_part_way : Ending::run_to_the_end;
    const std::string failure = run_seed(seed, false, ending, totals);
    if (!failure.empty()) ADD_FAILURE() << failure;
    if (totals.failures >= 10) break;  // enough to go on; the rest would only repeat it
  }
  print_totals("random graphs", totals);
  EXPECT_GT(totals.messages, 0u) << "the seeds moved no messages at all";
}

// The same graphs with actors throwing at random points (before the wait, after it, between peek and commit),
// restarted by their policy or a supervisor group: still exactly once, still in order.
TEST(RandomFaults, ExactlyOnceUnderPeekBeforeCommit) {
  Totals totals;
  for (std::uint64_t seed = options().first; seed <= options().last; ++seed) {
    const std::string failure = run_seed(seed, true, Ending::run_to_the_end, totals);
    if (!failure.empty()) ADD_FAILURE() << failure;
    if (totals.failures >= 10) break;
  }
  print_totals("random faults", totals);
  EXPECT_GT(totals.faults, 0u) << "no fault was injected: the test proved nothing";
}

namespace {

// A whole number that is all of `text` (no sign, no spaces, nothing after it).
bool parse_number(std::string_view text, std::uint64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

// N (seeds 1..N, N > 0) or A..B with A <= B.
bool parse_seeds(std::string_view text) {
  std::uint64_t a = 1, b = 0;
  if (const auto dots = text.find(".."); dots == std::string_view::npos) {
    if (!parse_number(text, b) || b == 0) return false;
  } else if (!parse_number(text.substr(0, dots), a) || !parse_number(text.substr(dots + 2), b) || b < a) {
    return false;
  }
  options().first = a;
  options().last = b;
  return true;
}

bool parse_count(std::string_view text, std::uint64_t& out) {
  std::uint64_t n = 0;
  if (!parse_number(text, n) || n == 0) return false;
  out = n;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* s = std::getenv("STEADY_PROPERTY_SEEDS"); s && !parse_seeds(s)) {
    std::fprintf(stderr, "property_test: STEADY_PROPERTY_SEEDS='%s' is not N or A..B (e.g. 1..1000)\n", s);
    return 2;
  }
  if (const char* s = std::getenv("STEADY_PROPERTY_MESSAGES"); s && !parse_count(s, options().max_messages)) {
    std::fprintf(stderr, "property_test: STEADY_PROPERTY_MESSAGES='%s' is not a positive number\n", s);
    return 2;
  }
  // Our own flags come out of argv before GoogleTest sees it.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--verbose") {
      options().verbose = true;
    } else if (arg == "--seeds" || arg == "--messages") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "property_test: %s needs a value (--seeds A..B or N, --messages N)\n", arg.c_str());
        return 2;
      }
      const std::string value = argv[++i];
      if (arg == "--seeds" ? !parse_seeds(value) : !parse_count(value, options().max_messages)) {
        std::fprintf(stderr, "property_test: bad %s '%s' (want --seeds A..B with A ≤ B, or N for 1..N; "
                             "--messages N > 0)\n", arg.c_str(), value.c_str());
        return 2;
      }
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  testing::InitGoogleTest(&argc, argv);
  if (!options().verbose) {
    // Hundreds of injected faults per seed: their log lines and stack traces would drown the summary.
    steady::set_log_level(steady::LogLevel::off);
    (void)steady::set_failure_trace_provider(nullptr);
  }
  return RUN_ALL_TESTS();
}
