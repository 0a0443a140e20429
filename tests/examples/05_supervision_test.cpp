// Unit tests of examples/05_supervision: each actor alone (or the storage group) with injected channels, in
// virtual time, so restart backoff delays are exact and no test waits for real.
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <steady/testing/matchers.hpp>

#include "05_supervision/actors.hpp"

using namespace std::chrono_literals;
using namespace supervision_example;
using steady::testing::IsCleanStop;

// The failures in these tests are planned: skip resolving the stack trace of each throw (slow, and noise
// here).
[[maybe_unused]] const steady::FailureTraceProvider no_failure_traces =
    steady::set_failure_trace_provider(nullptr);

namespace {

std::vector<Order> orders(std::uint64_t first, std::uint64_t last, bool priced = false) {
  std::vector<Order> v;
  for (std::uint64_t id = first; id <= last; ++id) v.push_back(Order{id, priced ? price_of(id) : 0});
  return v;
}

std::vector<std::chrono::milliseconds> gaps(const Life& life) {
  std::vector<std::chrono::milliseconds> out;
  for (std::size_t i = 1; i < life.started.size(); ++i)
    out.push_back(
        std::chrono::duration_cast<std::chrono::milliseconds>(life.started[i] - life.started[i - 1]));
  return out;
}

std::vector<std::uint64_t> ids(const std::vector<Order>& v) {
  std::vector<std::uint64_t> out;
  for (const Order& o : v) out.push_back(o.id);
  return out;
}

}  // namespace

TEST(Example05Supervision, DependencyFailsExactlyDuringItsOutage) {
  Dependency d{"down", /*outage_at=*/2, /*outage_calls=*/2};
  d.call();
  d.call();
  EXPECT_THROW(d.call(), std::runtime_error);
  EXPECT_THROW(d.call(), std::runtime_error);
  d.call();  // the outage is over
  EXPECT_EQ(d.served, 3u);
}

TEST(Example05Supervision, ProcessReadyLeavesTheFailedOrderInFrontAndKeepsWhatSucceeded) {
  auto [in_tx, in] = steady::make_channel<Order>(8);
  auto [out, out_rx] = steady::make_channel<Order>(8);
  for (const Order& o : orders(1, 4)) ASSERT_TRUE(in_tx.try_send(o).sent());
  Dependency d{"down", 2, 1};
  auto work = [&](const Order& o) {
    d.call();
    return o;
  };
  EXPECT_THROW(process_ready(in, out, work), std::runtime_error);
  EXPECT_EQ(out_rx.avail_units(), 2u) << "orders 1 and 2 were sent before the failure";
  ASSERT_NE(in.try_peek(), nullptr);
  EXPECT_EQ(in.try_peek()->id, 3u) << "order 3 failed and is still in front";
  EXPECT_EQ(process_ready(in, out, work), 2u) << "the retry moves 3 and 4";
}

TEST(Example05Supervision, FeedSendsOrdersOneToCountAndCloses) {
  steady::testing::Harness h;
  auto& out = h.output<Order>("orders", 8);
  Life life;
  h.actor("feed").run(feed, out.end(), std::uint64_t{30}, std::ref(life));
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
  EXPECT_EQ(ids(out.received()), ids(orders(1, 30)));
  EXPECT_EQ(life.started.size(), 1u);
}

TEST(Example05Supervision, ValidatorRestartsThroughAnOutageWithDoublingBackoffAndLosesNothing) {
  steady::testing::Harness h;
  auto& in = h.input<Order>("orders", 8);
  auto& out = h.output<Order>("priced", 8);
  Life life;
  h.actor("validator")
      .restart(steady::RestartPolicy::restart(5, 10s, steady::Backoff{5ms, 100ms, 2.0}))
      .run(validator, in.end(), out.end(), Dependency{"pricing service unavailable", 0, 3}, std::ref(life));
  in.push_all(orders(1, 20));
  in.close();
  h.run_until_idle();
  h.advance(1s);  // more than the backoff delays together
  const steady::StopReport report = h.run_to_stop(1s);
  EXPECT_THAT(report, IsCleanStop());
  EXPECT_EQ(report.restarts, 3u);
  EXPECT_EQ(life.restarts, 3u);
  EXPECT_EQ(gaps(life), (std::vector<std::chrono::milliseconds>{5ms, 10ms, 20ms}));
  const std::vector<Order> got = out.received();
  EXPECT_EQ(ids(got), ids(orders(1, 20))) << "every order once, in order, although the first failed 3 times";
  for (const Order& o : got) EXPECT_EQ(o.cents, price_of(o.id));
}

TEST(Example05Supervision, ValidatorEscalatesWhenTheOutageOutlastsItsBudget) {
  steady::testing::Harness h;
  auto& in = h.input<Order>("orders", 8);
  auto& out = h.output<Order>("priced", 8);
  Life life;
  h.actor("validator")
      .restart(steady::RestartPolicy::restart(2, 10s, steady::Backoff{1ms, 1ms, 1.0}))
      .run(validator, in.end(), out.end(), Dependency{"pricing service unavailable", 0, 100}, std::ref(life));
  in.push(Order{1, 0});
  in.close();
  h.run_until_idle();
  h.advance(100ms);
  const steady::StopReport report = h.run_to_stop(1s);
  EXPECT_FALSE(report.clean);
  EXPECT_EQ(life.started.size(), 3u) << "the first incarnation and 2 restarts";
  ASSERT_EQ(report.failures.size(), 1u) << report.to_string();
  EXPECT_EQ(report.failures[0].actor, "validator");
  EXPECT_THAT(report.failures[0].what, ::testing::HasSubstr("pricing service unavailable"));
  EXPECT_THAT(report.failures[0].what, ::testing::HasSubstr("budget"));
  EXPECT_TRUE(out.received().empty());
}

TEST(Example05Supervision, RestForOneRestartsTheWriterAndTheIndexerButNotTheMemberBeforeThem) {
  steady::testing::Harness h;
  auto& in = h.input<Order>("orders", 16);
  auto [priced_tx, priced_rx] = h.graph().channel<Order>().name("priced").capacity(16).build();
  auto [written_tx, written_rx] = h.graph().channel<Order>().name("written").capacity(16).build();
  Life validator_life, writer_life, indexer_life;
  Ledger ledger;
  const auto storage =
      h.graph().supervisor("storage", steady::Strategy::rest_for_one,
                           steady::RestartPolicy::restart(3, 10s, steady::Backoff{1ms, 10ms, 2.0}));
  h.actor("validator")
      .supervisor(storage)
      .run(validator, in.end(), std::move(priced_tx), Dependency{"pricing", 0, 0}, std::ref(validator_life));
  h.actor("writer").supervisor(storage).run(writer, std::move(priced_rx), std::move(written_tx),
                                            Dependency{"disk full", 24, 1}, std::ref(writer_life));
  h.actor("indexer").supervisor(storage).run(indexer, std::move(written_rx), std::ref(ledger),
                                             std::ref(indexer_life));
  in.push_all(orders(1, 60));
  in.close();
  h.run_until_idle();
  h.advance(1s);
  const steady::StopReport report = h.run_to_stop(1s);
  EXPECT_THAT(report, IsCleanStop());
  EXPECT_EQ(validator_life.restarts, 0u) << "added before the writer: rest_for_one leaves it alone";
  EXPECT_EQ(writer_life.restarts, 1u);
  EXPECT_EQ(indexer_life.restarts, 1u) << "added after the writer: restarted with it";
  EXPECT_EQ(report.restarts, 2u);
  EXPECT_EQ(ledger.count, 60u) << "the indexer's restart lost nothing and counted nothing twice";
  EXPECT_TRUE(ledger.in_order);
  EXPECT_EQ(ledger.cents, price_of(1) * 60 * 61 / 2);
}

TEST(Example05Supervision, IndexerTalliesAndNoticesAnOrderOutOfSequence) {
  steady::testing::Harness h;
  auto& in = h.input<Order>("written", 8);
  Ledger ledger;
  Life life;
  h.actor("indexer").run(indexer, in.end(), std::ref(ledger), std::ref(life));
  in.push({Order{1, 100}, Order{2, 200}, Order{4, 400}});
  in.close();
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
  EXPECT_EQ(ledger.count, 3u);
  EXPECT_EQ(ledger.cents, 700u);
  EXPECT_FALSE(ledger.in_order);
}

TEST(Example05Supervision, NotifierRetriesTheSameOrderAndMailsEachOnceWhenTheRelayRecovers) {
  steady::testing::Harness h;
  auto& in = h.input<Order>("orders", 8);
  Life life;
  Dependency smtp{"SMTP relay refused the connection", 1, 2};  // order 2 fails twice
  h.actor("notifier")
      .restart(steady::RestartPolicy::restart(5, 10s, steady::Backoff{1ms, 1ms, 1.0}))
      .run(notifier, in.end(), std::ref(smtp), std::ref(life));
  in.push_all(orders(1, 5));
  in.close();
  h.run_until_idle();
  h.advance(100ms);
  EXPECT_THAT(h.run_to_stop(1s), IsCleanStop());
  EXPECT_EQ(life.restarts, 2u);
  EXPECT_EQ(smtp.served, 5u) << "each order mailed once";
}
