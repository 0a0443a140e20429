// Peek-before-commit under faults: a 5-stage pipeline where every stage throws on about 1 in 1000 batches, at
// random points of its work. Every message arrives exactly once and in order; restarts counted = faults injected.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>

#include <steady/testing/matchers.hpp>

using namespace std::chrono_literals;
using steady::testing::IsCleanStop;

namespace {

constexpr std::size_t kBatch = 64;

// A million messages in the plain build, a quarter of that in sanitizer builds (STEADY_SANITIZED, defined by
// tests/supervision/CMakeLists.txt: ASan and TSan run 5-20x slower), still some 20 faults on average.
// STEADY_TEST_SCALE multiplies it, as it does the core tests' counts (tests/unit/test_support.hpp).
std::uint64_t message_count() {
#ifdef STEADY_SANITIZED
  double n = 250'000;
#else
  double n = 1'000'000;
#endif
  if (const char* s = std::getenv("STEADY_TEST_SCALE")) {
    const double f = std::strtod(s, nullptr);
    if (f > 0) n *= f;
  }
  return std::max<std::uint64_t>(static_cast<std::uint64_t>(n), 10'000);
}

struct Faults {
  std::atomic<std::uint64_t> injected{0};
};

// One batch of one stage: read up to kBatch peeked values, transform into a local buffer (this part may throw),
// then send them and advance past the inputs — the commit, which cannot throw. A fault leaves the input untouched.
std::size_t stage_batch(steady::Rx<std::uint64_t>& in, steady::Tx<std::uint64_t>& out, std::mt19937_64& rng,
                        Faults& faults) {
  const std::size_t room = static_cast<std::size_t>(std::min<std::uint64_t>(out.vacant_units(), kBatch));
  const auto peeked = in.peek_slice(room);
  if (peeked.empty()) return 0;
  std::array<std::uint64_t, kBatch> buf;
  const std::size_t fault_at = (rng() % 1000 == 0) ? rng() % peeked.size() : peeked.size();
  for (std::size_t i = 0; i < peeked.size(); ++i) {
    if (i == fault_at) {
      faults.injected.fetch_add(1);
      throw std::runtime_error("injected fault");
    }
    buf[i] = peeked[i];  // identity transform: the sink checks the sequence
  }
  const std::size_t sent = out.send_slice(std::span<const std::uint64_t>(buf.data(), peeked.size()));
  in.advance_take(sent);
  return sent;
}

steady::Task stage(steady::Context& ctx, steady::Rx<std::uint64_t>& in, steady::Tx<std::uint64_t>& out,
                   std::shared_ptr<Faults>& faults) {
  std::mt19937_64 rng(std::hash<std::string>{}(ctx.full_name()) + ctx.restarts());
  while (ctx.is_running([&] { return in.is_closed_and_empty() && out.mark_closed(); })) {
    co_await ctx.wait_all(steady::avail(in, 1), steady::vacant(out, 1));
    (void)stage_batch(in, out, rng, *faults);
    if (in.is_closed_and_empty()) co_return;
  }
}

void produce_batch(steady::Tx<std::uint64_t>& out, std::uint64_t& next, std::uint64_t end) {
  std::array<std::uint64_t, kBatch> buf;
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>({kBatch, end - next, out.vacant_units()}));
  for (std::size_t i = 0; i < n; ++i) buf[i] = next + i;
  next += out.send_slice(std::span<const std::uint64_t>(buf.data(), n));
}

steady::Task producer(steady::Context& ctx, steady::Tx<std::uint64_t>& out, std::uint64_t& end) {
  std::uint64_t next = 0;
  while (next < end && ctx.is_running()) {
    co_await ctx.wait_vacant(out, kBatch);
    produce_batch(out, next, end);
  }
}

struct Check {
  std::uint64_t expected = 0;
  std::uint64_t duplicates_or_gaps = 0;
};

void check_batch(steady::Rx<std::uint64_t>& in, Check& c) {
  const auto got = in.peek_slice(kBatch);
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (got[i] != c.expected) ++c.duplicates_or_gaps;
    c.expected = got[i] + 1;
  }
  in.advance_take(got.size());
}

steady::Task checker(steady::Context& ctx, steady::Rx<std::uint64_t>& in, std::shared_ptr<Check>& c) {
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    co_await ctx.wait_avail(in, 1);
    check_batch(in, *c);
    if (in.is_closed_and_empty()) co_return;
  }
}

}  // namespace

TEST(ExactlyOnce, FiveStagePipelineUnderRandomFaults) {
  const std::uint64_t n = message_count();
  auto graph = steady::GraphBuilder::for_testing()
                   .default_restart(steady::RestartPolicy::restart(100'000, 10s, {0ns, 0ns, 1.0}))
                   .build();
  auto faults = std::make_shared<Faults>();
  auto check = std::make_shared<Check>();
  auto troupe = graph.troupe("stages");
  std::vector<std::pair<steady::Tx<std::uint64_t>, steady::Rx<std::uint64_t>>> links;
  for (int i = 0; i < 6; ++i) links.push_back(graph.channel<std::uint64_t>().name("link" + std::to_string(i)).capacity(512).build());
  graph.actor("producer").run(producer, std::move(links[0].first), std::uint64_t(n));
  for (int s = 0; s < 5; ++s)
    graph.actor("stage").suffix(s).troupe(troupe).run(stage, std::move(links[s].second), std::move(links[s + 1].first),
                                                      faults);
  graph.actor("checker").run(checker, std::move(links[5].second), check);
  graph.start();
  const auto report = graph.block_until_stopped(60s);  // runs until every actor returned: no stop request needed
  EXPECT_THAT(report, IsCleanStop());
  EXPECT_EQ(check->expected, n) << "the last message seen";
  EXPECT_EQ(check->duplicates_or_gaps, 0u);
  EXPECT_GT(faults->injected.load(), 0u);
  EXPECT_EQ(report.restarts, faults->injected.load()) << "restarts counted = faults injected";
  std::printf("moved %llu messages through 5 stages, %llu faults injected, %llu restarts\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(faults->injected.load()),
              static_cast<unsigned long long>(report.restarts));
}
