// examples/05_supervision — what happens when actors throw: restart policies with a budget and backoff, a
// supervisor group, escalation, and the stop report.
//
//   phase 1   feed --orders--> validator --priced--> writer --written--> indexer
//                                                    \_______ group "storage" ______/  (rest_for_one)
//   phase 2   feed --orders--> notifier
//
// Phase 1: transient faults are restarted and nothing is lost.
//   validator  its own policy: at most 5 restarts in 10 s, backoff 5 ms doubling. The pricing service is down
//              for its first 3 calls, so it restarts 3 times, 5, 10 and 20 ms apart, then prices every order.
//   writer     a member of the supervisor group "storage" (rest_for_one, 3 restarts in 10 s). The disk fails
//              once, at order 1200: the group restarts the writer and every member added after it — the
//              indexer.
//   indexer    restarted with the writer although it did nothing wrong; its ledger and its input survive.
// The graph stops by itself when the last order is indexed; the stop report is clean and counts 5 restarts.
//
// Phase 2: a fault that does not go away escalates. The notifier's SMTP relay refuses every call; its budget
// is 2 restarts, so the third failure stops the graph, and the stop report names the notifier and its
// exception.
//
// The actors are in actors.hpp. Failures are logged (to stderr) as they happen.
// Run: build/examples/example_05_supervision      (exit 0 when both phases went exactly as described)
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <steady/steady.hpp>

#include "actors.hpp"

using namespace std::chrono_literals;
using namespace supervision_example;

namespace {

constexpr std::uint64_t kOrders = 2000;

std::string gaps_ms(const Life& life) {
  std::string out;
  for (std::size_t i = 1; i < life.started.size(); ++i) {
    const double ms =
        std::chrono::duration<double, std::milli>(life.started[i] - life.started[i - 1]).count();
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%.1f", i == 1 ? "" : ", ", ms);
    out += buf;
  }
  return out;
}

void print_life(const char* name, const Life& life, const char* why) {
  std::printf("    %-10s %llu restart%s%s\n", name, static_cast<unsigned long long>(life.restarts),
              life.restarts == 1 ? "" : "s", why);
}

// Phase 1: every fault is transient; the check is that nothing was lost and each actor restarted as planned.
bool transient_faults() {
  std::printf("  phase 1: transient faults are restarted, nothing is lost\n");
  auto graph = steady::GraphBuilder::for_production().build();
  auto [orders_tx, orders_rx] = graph.channel<Order>().name("orders").capacity(64).build();
  auto [priced_tx, priced_rx] = graph.channel<Order>().name("priced").capacity(64).build();
  auto [written_tx, written_rx] = graph.channel<Order>().name("written").capacity(64).build();

  Life feed_life, validator_life, writer_life, indexer_life;
  Ledger ledger;
  const auto validator_policy = steady::RestartPolicy::restart(5, 10s, steady::Backoff{5ms, 100ms, 2.0});
  const auto storage =
      graph.supervisor("storage", steady::Strategy::rest_for_one,
                       steady::RestartPolicy::restart(3, 10s, steady::Backoff{1ms, 10ms, 2.0}));

  graph.actor("feed").run(feed, std::move(orders_tx), kOrders, std::ref(feed_life));
  graph.actor("validator")
      .restart(validator_policy)
      .run(validator, std::move(orders_rx), std::move(priced_tx),
           Dependency{"pricing service unavailable", /*outage_at=*/0, /*outage_calls=*/3},
           std::ref(validator_life));
  // Group members, in order: a failure of the writer restarts the writer and the indexer (added after it).
  graph.actor("writer").supervisor(storage).run(
      writer, std::move(priced_rx), std::move(written_tx),
      Dependency{"disk full", /*outage_at=*/1199, /*outage_calls=*/1}, std::ref(writer_life));
  graph.actor("indexer").supervisor(storage).run(indexer, std::move(written_rx), std::ref(ledger),
                                                 std::ref(indexer_life));

  graph.start();
  const steady::StopReport report = graph.block_until_stopped(2s);

  print_life("feed", feed_life, "");
  const std::string validator_gaps =
      "  (pricing service down for 3 calls; backoff 5 ms doubling: incarnations " + gaps_ms(validator_life) +
      " ms apart)";
  print_life("validator", validator_life, validator_gaps.c_str());
  print_life("writer", writer_life, "  (disk full once, at order 1200)");
  print_life("indexer", indexer_life, "  (restarted with the writer by group 'storage', rest_for_one)");
  const std::uint64_t want_cents = price_of(1) * kOrders * (kOrders + 1) / 2;
  std::printf("    indexed %llu orders (want %llu), in order: %s, total %llu cents (want %llu)\n",
              static_cast<unsigned long long>(ledger.count), static_cast<unsigned long long>(kOrders),
              ledger.in_order ? "yes" : "no", static_cast<unsigned long long>(ledger.cents),
              static_cast<unsigned long long>(want_cents));
  std::printf("    stop report: %s\n", report.to_string().c_str());

  // Backoff is a lower bound: each restart came at least that long after the one before.
  bool backoff_kept = validator_life.started.size() == 4;
  const std::chrono::milliseconds want_gaps[] = {5ms, 10ms, 20ms};
  for (std::size_t i = 1; backoff_kept && i < 4; ++i)
    backoff_kept = validator_life.started[i] - validator_life.started[i - 1] >= want_gaps[i - 1];

  return report.clean && report.restarts == 5 && feed_life.restarts == 0 && validator_life.restarts == 3 &&
         writer_life.restarts == 1 && indexer_life.restarts == 1 && backoff_kept && ledger.count == kOrders &&
         ledger.in_order && ledger.cents == want_cents;
}

// Phase 2: the fault stays; the budget is spent and the failure escalates to a stop of the whole graph.
bool escalation() {
  std::printf("  phase 2: a fault that does not go away escalates\n");
  auto graph = steady::GraphBuilder::for_production().build();
  auto [orders_tx, orders_rx] = graph.channel<Order>().name("orders").capacity(64).build();
  Life feed_life, notifier_life;
  graph.actor("feed").run(feed, std::move(orders_tx), std::uint64_t{100}, std::ref(feed_life));
  graph.actor("notifier")
      .restart(steady::RestartPolicy::restart(2, 10s, steady::Backoff{1ms, 1ms, 1.0}))
      .run(notifier, std::move(orders_rx),
           Dependency{"SMTP relay refused the connection", 0, std::numeric_limits<std::uint64_t>::max()},
           std::ref(notifier_life));

  graph.start();
  const steady::StopReport report = graph.block_until_stopped(2s);
  print_life("notifier", notifier_life,
             ", then its budget (2 restarts in 10 s) was spent: the graph stopped");
  std::printf("    stop report: %s\n", report.to_string().c_str());

  const bool named = report.failures.size() == 1 && report.failures[0].actor == "notifier" &&
                     report.failures[0].what.find("budget") != std::string::npos;
  return !report.clean && named && report.restarts == 2 && notifier_life.started.size() == 3;
}

}  // namespace

int main() {
  // The failures here are planned: log each one as a single line, without the stack trace of its throw (a
  // real service keeps the trace: it says where the exception came from).
  steady::set_failure_trace_provider(nullptr);
  std::printf("05_supervision: restart policies, a supervisor group, escalation, the stop report\n");
  const bool phase1 = transient_faults();
  const bool phase2 = escalation();
  const bool ok = phase1 && phase2;
  std::printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
