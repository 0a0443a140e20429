// examples/08_large_scale — large_scale: a thousand actors and more, in troupes, that run until stopped.
//
//   shard s (one troupe, one thread):
//     generator --raw--> router ==lane[0..7]==> filter_1 -> filter_2 -> ... -> filter_K ==> user
//
// --lanes N gives N / 8 shards of 8 lanes; --chain K filters per lane. Each shard is 3 + 8·K actors: the
// defaults (128 lanes, chain 8) make 16 shards of 67 = 1,072 actors on 16 troupe threads, plus `stopper`,
// and `chaos` with --fault-every. The actors are in actors.hpp.
//
// Faults: with --fault-every MS, every MS ms a filter picked at random throws part way through a batch; its
// restart policy (up to 1,000,000 restarts in 10 s, 1 ms backoff) restarts it, and because filters work
// peek-before-commit nothing is lost or repeated: at a clean stop `out` equals `in`, and every lane arrived
// complete and in order.
//
// Stopping: Ctrl-C / SIGTERM, or --duration SECONDS (0 = until a signal). The `stopper` actor handles both:
// it ends the planned faults, waits for the last failed filter to be restarted, then requests the graph's
// stop (so this graph handles the signals itself: GraphBuilder::handle_signals(false); a second Ctrl-C kills
// the process). On the stop request the generators stop, their outputs close, and every other actor drains
// what is in flight and then agrees. The last line is
//   large_scale totals: in=<sent> out=<received> restarts=<R> faults=<F> order_errors=<E> value_errors=<V>
// and the exit code is 0 when the stop was clean, out == in and no error was seen (1 otherwise, 2 for a bad
// flag or a telemetry port that cannot be used).
//
// Flags (besides steady::ops's --duration, --log-level, --telemetry-port P (default 9900, 0 = a free port,
// the address is printed), --telemetry-bind, --no-telemetry):
//   --lanes N          lanes in all, a multiple of 8 (default 128)
//   --chain K          filters per lane (default 8)
//   --fault-every MS   a random filter throws every MS ms (default 0 = never)
//   --rate R           messages per second in all, over the shards (default 100000; 0 = flat out)
//
// Run:  build/examples/large_scale --duration 10 --fault-every 100
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <steady/ops.hpp>
#include <steady/steady.hpp>
#if STEADY_EXAMPLE_TELEMETRY
#include <steady/telemetry.hpp>
#endif

#include "actors.hpp"

using namespace large_scale;

namespace {

std::atomic<bool> g_signalled{false};  // lock-free: safe to store from a signal handler

extern "C" void on_signal(int) {
  g_signalled.store(true);
}

// SIGINT/SIGTERM raise g_signalled once; SA_RESETHAND restores the default, so a second signal ends the
// process.
void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// A whole number from `text`, within [lo, hi]; nullopt (after saying why) otherwise.
std::optional<u64> parse_count(const char* flag, const std::string& text, u64 lo, u64 hi) {
  u64 v = 0;
  std::size_t used = 0;
  try {
    v = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || v < lo || v > hi) {
    std::fprintf(stderr, "%s: expected a whole number from %llu to %llu, got '%s'\n", flag,
                 static_cast<unsigned long long>(lo), static_cast<unsigned long long>(hi), text.c_str());
    return std::nullopt;
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::string lanes_text = "128", chain_text = "8", fault_text = "0", rate_text = "100000";
  const auto run = steady::ops::parse_command_line(
      argc, argv, "large_scale",
      "steady_state large-scale example: shards of generator -> router -> 8 lanes of chained filters -> user",
      {{"--lanes", "Lanes in all, a multiple of 8 (default 128)", &lanes_text},
       {"--chain", "Filters per lane (default 8)", &chain_text},
       {"--fault-every", "A random filter throws every this many ms (default 0 = never)", &fault_text},
       {"--rate", "Messages per second in all (default 100000; 0 = as fast as it goes)", &rate_text}});
  if (!run) return run.exit_code();
  steady::ops::init_logging(run->log_level);
  steady::set_failure_trace_provider(nullptr);  // the faults are planned: one log line each, no stack trace

  const auto lanes = parse_count("--lanes", lanes_text, kFanOut, 1'000'000);
  const auto chain = parse_count("--chain", chain_text, 1, 10'000);
  const auto fault_ms = parse_count("--fault-every", fault_text, 0, 86'400'000);
  const auto rate = parse_count("--rate", rate_text, 0, 1'000'000'000);
  if (!lanes || !chain || !fault_ms || !rate) return 2;
  if (*lanes % kFanOut != 0) {
    std::fprintf(stderr, "--lanes: must be a multiple of %zu (each router feeds %zu lanes), got %llu\n",
                 kFanOut, kFanOut, static_cast<unsigned long long>(*lanes));
    return 2;
  }
  const std::size_t shards = *lanes / kFanOut;
  const std::size_t k = *chain;
  const std::size_t filters = shards * kFanOut * k;
  // Messages per shard per 10 ms tick; at least one when a rate was asked for.
  const u64 per_tick = *rate == 0 ? 0 : std::max<u64>(1, *rate / 100 / shards);

  // Production graph, but the signals go to the stopper actor (see the top of this file).
  auto graph = steady::GraphBuilder::for_production().handle_signals(false).build();
  std::vector<Tally> tallies(shards);
  std::vector<RouterState> routers(shards);
  std::vector<UserState> users(shards);
  Faults faults(filters);
  const auto filter_policy = steady::RestartPolicy::restart(1'000'000, 10s, steady::Backoff{1ms, 1ms, 1.0});

  std::vector<steady::Troupe> troupes;
  for (std::size_t s = 0; s < shards; ++s) {
    const int si = static_cast<int>(s);
    const steady::Troupe troupe = graph.troupe("shard_" + std::to_string(s));
    troupes.push_back(troupe);
    auto [raw_tx, raw_rx] = graph.channel<Msg>().name("raw_" + std::to_string(s)).capacity(256).build();
    auto [lane_tx, lane_rx] =
        graph.channel<Msg>().name("lane_" + std::to_string(s)).capacity(256).build_bundle<kFanOut>();
    graph.actor("generator")
        .suffix(si)
        .troupe(troupe)
        .run(generator, std::move(raw_tx), per_tick, std::ref(tallies[s]));
    graph.actor("router").suffix(si).troupe(troupe).run(router, std::move(raw_rx), std::move(lane_tx),
                                                        std::ref(routers[s]));
    steady::RxBundle<Msg, kFanOut> ends;  // each lane's last channel, for the user
    for (std::size_t l = 0; l < kFanOut; ++l) {
      steady::Rx<Msg> in = std::move(lane_rx[l]);
      for (std::size_t f = 0; f < k; ++f) {
        const std::size_t id = (s * kFanOut + l) * k + f;
        auto [tx, rx] = graph.channel<Msg>().name("link_" + std::to_string(id)).capacity(256).build();
        graph.actor("filter")
            .suffix(static_cast<int>(id))
            .troupe(troupe)
            .restart(filter_policy)
            .run(filter, std::move(in), std::move(tx), std::ref(faults.armed[id]), std::ref(faults));
        in = std::move(rx);
      }
      ends[l] = std::move(in);
    }
    graph.actor("user").suffix(si).troupe(troupe).run(user, std::move(ends), k, std::ref(users[s]),
                                                      std::ref(tallies[s]));
  }
  std::size_t actors = shards * (3 + kFanOut * k);
  if (*fault_ms > 0) {
    graph.actor("chaos")
        .troupe(troupes[0])
        .run(chaos, std::chrono::milliseconds(*fault_ms), std::ref(faults));
    ++actors;
  }
  graph.actor("stopper")
      .troupe(troupes[0])
      .run(stopper, run->duration.value_or(std::chrono::milliseconds(0)), std::ref(g_signalled),
           std::ref(faults));
  ++actors;

#if STEADY_EXAMPLE_TELEMETRY
  // Declared after the graph, so it is destroyed first. --telemetry-port 0 picks a free port.
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

  std::printf("large_scale: %zu actors in %zu troupes (%llu lanes, chain %zu), rate %s, faults %s; %s\n",
              actors, shards, static_cast<unsigned long long>(*lanes), k,
              *rate == 0 ? "unlimited" : (std::to_string(per_tick * 100 * shards) + "/s").c_str(),
              *fault_ms == 0 ? "off" : ("every " + std::to_string(*fault_ms) + " ms").c_str(),
              run->duration
                  ? ("stopping after " + std::to_string(run->duration->count()) + " ms or Ctrl-C").c_str()
                  : "Ctrl-C to stop");
  std::fflush(stdout);
  install_signal_handlers();
  graph.start();

  // Returns once every actor has stopped; the bound counts from the stop request.
  const steady::StopReport report = graph.block_until_stopped(10s);
  Tally total;
  for (const Tally& t : tallies) {
    total.in += t.in;
    total.out += t.out;
    total.order_errors += t.order_errors;
    total.value_errors += t.value_errors;
  }
  std::printf("stop report: %s\n", report.to_string().c_str());
  std::printf(
      "large_scale totals: in=%llu out=%llu restarts=%llu faults=%llu order_errors=%llu value_errors=%llu\n",
      static_cast<unsigned long long>(total.in), static_cast<unsigned long long>(total.out),
      static_cast<unsigned long long>(report.restarts),
      static_cast<unsigned long long>(faults.injected.load()),
      static_cast<unsigned long long>(total.order_errors),
      static_cast<unsigned long long>(total.value_errors));
  const bool ok = report.clean && total.out == total.in && total.order_errors == 0 && total.value_errors == 0;
  return ok ? 0 : 1;
}
