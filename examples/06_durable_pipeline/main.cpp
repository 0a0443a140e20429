// examples/06_durable_pipeline — exactly once, in order, while every stage keeps failing.
//
//   source --link0--> stage_0 --> stage_1 --> stage_2 --> stage_3 --> stage_4 --link5--> verifier
//                                                                                          |finished
//                                                                                       deadline
//
// 200,000 records go through five stages that each throw on about one batch in 1000, at a random point of
// their work. Every stage works peek-before-commit (actors.hpp), and its restart policy brings it back after
// a short backoff with the same channels and their contents. The example prints the faults and restarts per
// stage and checks, at the end of the pipeline, that every record arrived exactly once, in order, through all
// five stages, and that the restarts equal the faults injected — no failure went unnoticed, and none was
// extra.
//
// The five stages share one thread as a troupe; source, verifier and deadline run solo. The deadline actor
// bounds the run to 10 s.
//
// Run: build/examples/example_06_durable_pipeline [seed]      (exit 0 when every check passed)
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <steady/steady.hpp>

#include "actors.hpp"

using namespace std::chrono_literals;
using namespace durable_pipeline;

int main(int argc, char** argv) {
  constexpr u64 kRecords = 200'000;
  constexpr u64 kFaultOneIn = 1000;  // batches
  const u64 seed = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : std::random_device{}();

  // The faults are planned: log each one as a single line, without the stack trace of its throw.
  steady::set_failure_trace_provider(nullptr);
  auto graph = steady::GraphBuilder::for_production().build();
  std::vector<std::pair<steady::Tx<Record>, steady::Rx<Record>>> links;
  for (std::size_t i = 0; i <= kStages; ++i)
    links.push_back(graph.channel<Record>().name("link" + std::to_string(i)).capacity(512).build());
  auto [finished_tx, finished_rx] = graph.channel<Finished>().name("finished").capacity(1).build();

  std::array<StageStats, kStages> stats{};
  for (std::size_t i = 0; i < kStages; ++i) stats[i].chaos = Chaos{std::mt19937_64(seed + i), kFaultOneIn};
  Verdict verdict;
  bool expired = false;

  // A stage that fails comes back after 0.1 ms, doubling to at most 10 ms while failures come close together;
  // 100 restarts in any second before the failure escalates.
  const auto policy = steady::RestartPolicy::restart(100, 1s, steady::Backoff{100us, 10ms, 2.0});
  graph.actor("source").run(source, std::move(links[0].first), kRecords);
  const auto stages = graph.troupe("stages");
  for (std::size_t i = 0; i < kStages; ++i) {
    graph.actor("stage")
        .suffix(static_cast<int>(i))
        .troupe(stages)
        .restart(policy)
        .run(stage, std::move(links[i].second), std::move(links[i + 1].first), std::ref(stats[i]));
  }
  graph.actor("verifier")
      .run(verifier, std::move(links[kStages].second), std::move(finished_tx), std::ref(verdict));
  graph.actor("deadline")
      .run(deadline, std::move(finished_rx), std::chrono::milliseconds(10s), std::ref(expired));

  const auto t0 = std::chrono::steady_clock::now();
  graph.start();
  const steady::StopReport report = graph.block_until_stopped(2s);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::printf(
      "06_durable_pipeline: %llu records through %zu peek-before-commit stages, a fault on about 1 batch "
      "in %llu (seed %llu)\n",
      static_cast<unsigned long long>(kRecords), kStages, static_cast<unsigned long long>(kFaultOneIn),
      static_cast<unsigned long long>(seed));
  u64 faults = 0;
  bool each_stage_matches = true;
  for (std::size_t i = 0; i < kStages; ++i) {
    std::printf("  stage_%zu: %llu faults injected, %llu restarts\n", i,
                static_cast<unsigned long long>(stats[i].chaos.injected),
                static_cast<unsigned long long>(stats[i].restarts));
    faults += stats[i].chaos.injected;
    each_stage_matches &= stats[i].restarts == stats[i].chaos.injected;
  }
  std::printf("  total: %llu faults injected, %llu restarts in the stop report\n",
              static_cast<unsigned long long>(faults), static_cast<unsigned long long>(report.restarts));
  const bool exact = verdict.exactly_once_in_order(kRecords);
  std::printf(
      "  verifier: %llu received, %llu duplicates, %llu missing, %llu not through every stage -> "
      "exactly once, in order: %s\n",
      static_cast<unsigned long long>(verdict.received), static_cast<unsigned long long>(verdict.duplicates),
      static_cast<unsigned long long>(verdict.missing), static_cast<unsigned long long>(verdict.wrong_hops),
      exact ? "yes" : "no");
  if (expired) std::printf("  the 10 s deadline passed before the verifier finished\n");
  if (faults == 0) std::printf("  no fault was injected, so this run proved nothing: try another seed\n");
  std::printf("  %.2f s; stop report: %s\n", secs, report.to_string().c_str());

  const bool ok =
      report.clean && !expired && exact && faults > 0 && report.restarts == faults && each_stage_matches;
  std::printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
