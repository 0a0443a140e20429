// examples/demo — steady_demo: a small FizzBuzz service that runs until Ctrl-C (or --duration).
//
//   counter --counted--+
//                      +--> fizzbuzz --results--> printer        (stopper: only with --duration)
//   random  --random---+
//
// The actors are in actors.hpp; this file is the service around them: the command line (steady::ops), the
// wiring, live telemetry (steady::telemetry, when it was built), and the stop report.
//
// Placement: counter, random, fizzbuzz and stopper share one thread as the troupe "pipeline"; printer runs
// solo with a small stack, so console output that blocks never holds up the pipeline.
//
// Stopping: Ctrl-C / SIGTERM (a production graph handles both) or --duration. The stop report is printed; the
// exit code is 0 for a clean stop, 1 otherwise (2 for a bad flag or a telemetry address that cannot be used).
#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <utility>

#include <steady/ops.hpp>
#include <steady/steady.hpp>
#if STEADY_DEMO_TELEMETRY
#include <steady/telemetry.hpp>
#endif

#include "actors.hpp"

namespace {

using namespace demo;

u64 channel_capacity(u64 want, u64 at_least, u64 at_most) {
  return std::bit_ceil(std::clamp(want, at_least, at_most));
}

}  // namespace

int main(int argc, char** argv) {
  std::string rate_text = "20000";
  const auto run = steady::ops::parse_command_line(
      argc, argv, "steady_demo",
      "steady_state demo: a FizzBuzz service (counter + random -> fizzbuzz -> printer)",
      {{"--rate", "Numbers per second from the counter", &rate_text}});
  if (!run) return run.exit_code();  // --help (0) or a bad flag (non-zero; CLI11 said why)
  steady::ops::init_logging(run->log_level);

  u64 rate = 0;
  try {
    rate = std::stoull(rate_text);
  } catch (const std::exception&) {
  }
  if (rate < 100 || rate > 10'000'000) {
    std::fprintf(stderr, "--rate: expected a whole number from 100 to 10000000, got '%s'\n",
                 rate_text.c_str());
    return 2;
  }
  const Pace counter_pace{10ms, rate / 100};

  std::printf("steady_demo on %s\n", steady::ops::describe_machine().c_str());

  auto graph = steady::GraphBuilder::for_production().build();  // production: SIGINT/SIGTERM request a stop
  auto [counted_tx, counted_rx] = graph.channel<u64>()
                                      .name("counted")
                                      .capacity(channel_capacity(4 * counter_pace.per_tick, 1024, 1 << 18))
                                      .build();
  auto [random_tx, random_rx] = graph.channel<u64>().name("random").capacity(1024).build();
  // Room for about two seconds of results: the printer empties it once a second.
  auto [results_tx, results_rx] = graph.channel<FizzBuzz>()
                                      .name("results")
                                      .capacity(channel_capacity(2 * (rate + 5000), 4096, 1 << 20))
                                      .build();

  auto pipeline = graph.troupe("pipeline");
  graph.actor("counter").troupe(pipeline).run(counter, std::move(counted_tx), counter_pace);
  graph.actor("random").troupe(pipeline).run(random_numbers, std::move(random_tx),
                                             u64{0x9E3779B97F4A7C15ULL});
  graph.actor("fizzbuzz")
      .troupe(pipeline)
      .run(fizzbuzz, std::move(counted_rx), std::move(random_rx), std::move(results_tx));
  graph.actor("printer").stack_size(256 * 1024).run(printer, std::move(results_rx));
  if (run->duration) graph.actor("stopper").troupe(pipeline).run(stop_after, *run->duration);

#if STEADY_DEMO_TELEMETRY
  // Declared after the graph, so it is destroyed first; it keeps serving the final frame until then.
  // --telemetry-port / --telemetry-bind / --no-telemetry (and STEADY_TELEMETRY_*) choose where, or whether.
  auto telemetry = steady::Telemetry::start(graph, steady::telemetry::from(*run));
  if (!telemetry) {
    std::fprintf(stderr, "%s\n", telemetry.error().c_str());  // which address, why, and what to do about it
    return 2;
  }
  if (telemetry->serving())
    std::printf("telemetry: %s\n", telemetry->url().c_str());
  else
    std::printf("telemetry: off (--no-telemetry)\n");
#else
  std::printf("telemetry: not built (configure with -DSTEADY_BUILD_TELEMETRY=ON)\n");
#endif

  graph.start();
  if (run->duration)
    std::printf("running: counter %llu/s, random ~5000/s; stopping after %.1f s (or Ctrl-C)\n",
                static_cast<unsigned long long>(rate), static_cast<double>(run->duration->count()) / 1000.0);
  else
    std::printf("running: counter %llu/s, random ~5000/s; Ctrl-C to stop\n",
                static_cast<unsigned long long>(rate));
  std::fflush(stdout);

  // Returns once every actor has stopped; the 1.5 s bound counts from the stop request, so a stuck actor
  // cannot keep the process alive (it is named in the report instead).
  const steady::StopReport report = graph.block_until_stopped(1500ms);
  std::printf("stop report: %s\n", report.to_string().c_str());
  return report.clean ? 0 : 1;
}
