// Two raw threads on one channel (make_channel, no graph): millions of u64 through every family of calls,
// with order and checksum checks. This is the channel's memory-ordering test; run it under TSan too.
//
// The threads poll (yield when full or empty), so tiny capacities make every message a scheduler hand-off:
// cheap on an idle machine, ~100x dearer on an oversubscribed one. Their counts are small for that reason;
// the millions go through the batch cases.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace {

using steady_test::scaled;

// A small deterministic generator, so the batch sizes differ from run to run of the loop but not between
// runs.
struct Lcg {
  std::uint64_t s;
  std::uint64_t next() noexcept {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return s >> 33;
  }
};

std::uint64_t mix(
    std::uint64_t v) noexcept {  // what the checksum adds per value: order-sensitive with the index
  v ^= v >> 31;
  v *= 0x9e3779b97f4a7c15ULL;
  return v ^ (v >> 29);
}

struct Outcome {
  std::uint64_t received = 0;
  std::uint64_t checksum = 0;
  std::uint64_t first_out_of_order =
      ~std::uint64_t{0};  // index of the first value that was not the expected one
};

// Producer: values 0..n-1, mixing try_send, send_slice and poke_slice+advance_send; closes at the end.
void produce(steady::Tx<std::uint64_t> tx, std::uint64_t n, std::uint64_t seed, std::uint64_t* checksum) {
  Lcg rng{seed};
  std::vector<std::uint64_t> batch(256);
  std::uint64_t next = 0, sum = 0;
  while (next < n) {
    const std::uint64_t mode = rng.next() % 3;
    std::uint64_t sent = 0;
    if (mode == 0) {
      if (tx.try_send(next)) sent = 1;
    } else if (mode == 1) {
      const std::size_t want = 1 + rng.next() % std::min<std::uint64_t>(batch.size(), n - next);
      for (std::size_t i = 0; i < want; ++i) batch[i] = next + i;
      sent = tx.send_slice(std::span<const std::uint64_t>(batch.data(), want));
    } else {
      auto slots = tx.poke_slice(std::min<std::uint64_t>(1 + rng.next() % 256, n - next));
      for (std::size_t i = 0; i < slots.size(); ++i) slots[i] = next + i;
      tx.advance_send(slots.size());
      sent = slots.size();
    }
    for (std::uint64_t i = 0; i < sent; ++i) sum += mix(next + i) * (next + i + 1);
    next += sent;
    if (sent == 0)
      std::this_thread::yield();  // full: let the consumer run (a progress hint, not synchronisation)
  }
  *checksum = sum;
  tx.mark_closed();
}

// Consumer: mixing try_take, take_slice and peek_slice+advance_take until the channel is closed and drained.
void consume(steady::Rx<std::uint64_t> rx, std::uint64_t seed, Outcome* out) {
  Lcg rng{seed};
  std::vector<std::uint64_t> batch(256);
  Outcome o;
  auto accept = [&o](std::uint64_t v) {
    if (v != o.received && o.first_out_of_order == ~std::uint64_t{0}) o.first_out_of_order = o.received;
    o.checksum += mix(v) * (o.received + 1);
    ++o.received;
  };
  for (;;) {
    const std::uint64_t mode = rng.next() % 3;
    std::uint64_t got = 0;
    if (mode == 0) {
      if (auto v = rx.try_take()) {
        accept(*v);
        got = 1;
      }
    } else if (mode == 1) {
      const std::size_t want = 1 + rng.next() % batch.size();
      got = rx.take_slice(std::span<std::uint64_t>(batch.data(), want));
      for (std::size_t i = 0; i < got; ++i) accept(batch[i]);
    } else {
      auto view = rx.peek_slice(1 + rng.next() % 256);
      for (std::size_t i = 0; i < view.size(); ++i) accept(view[i]);
      rx.advance_take(view.size());
      got = view.size();
    }
    if (got == 0) {
      if (rx.is_closed_and_empty()) break;
      std::this_thread::yield();
    }
  }
  *out = o;
}

struct StressCase {
  std::uint64_t capacity;
  std::uint64_t messages;
};

void PrintTo(const StressCase& c, std::ostream* os) {
  *os << "capacity " << c.capacity << ", " << c.messages << " messages";
}

class ChannelStress : public ::testing::TestWithParam<StressCase> {};

TEST_P(ChannelStress, TwoThreadsEveryMessageOnceInOrder) {
  const auto [capacity, messages] = GetParam();
  const std::uint64_t n = scaled(messages, 10'000);
  auto [tx, rx] = steady::make_channel<std::uint64_t>(capacity, "stress");
  std::uint64_t sent_sum = 0;
  Outcome got;
  std::thread consumer(consume, std::move(rx), 7, &got);
  std::thread producer(produce, std::move(tx), n, 11, &sent_sum);
  producer.join();
  consumer.join();
  EXPECT_EQ(got.received, n);
  EXPECT_EQ(got.first_out_of_order, ~std::uint64_t{0})
      << "first out-of-order value at index " << got.first_out_of_order;
  EXPECT_EQ(got.checksum, sent_sum);
}

INSTANTIATE_TEST_SUITE_P(Capacities, ChannelStress,
                         ::testing::Values(StressCase{1024, 2'000'000},  // power of two, big batches
                                           StressCase{1000, 1'000'000},  // not a power of two
                                           StressCase{7, 60'000},        // tiny and odd: constant wrap-around
                                           StressCase{1, 15'000}),       // every message is a hand-off
                         [](const auto& info) { return "cap" + std::to_string(info.param.capacity); });

// Status calls from the two sides stay within bounds while the other side works: the consumer never sees more
// than capacity available, the producer never more than capacity vacant.
TEST(ChannelStressStatus, StatusNeverExceedsCapacity) {
  const std::uint64_t n = scaled(100'000, 20'000);
  constexpr std::uint64_t cap = 100;
  auto [tx, rx] = steady::make_channel<std::uint64_t>(cap);
  std::atomic<std::uint64_t> bad_vacant{0}, bad_avail{0};
  std::thread producer([&, tx = std::move(tx)]() mutable {
    for (std::uint64_t i = 0; i < n;) {
      const auto v = tx.vacant_units();
      if (v > cap) bad_vacant.fetch_add(1);
      if (tx.try_send(i))
        ++i;
      else
        std::this_thread::yield();
    }
    tx.mark_closed();
  });
  std::uint64_t expect = 0, out_of_order = 0;
  for (;;) {
    const auto a = rx.avail_units();
    if (a > cap) bad_avail.fetch_add(1);
    if (auto v = rx.try_take()) {
      if (*v != expect) ++out_of_order;
      ++expect;
    } else if (rx.is_closed_and_empty()) {
      break;
    } else {
      std::this_thread::yield();
    }
  }
  producer.join();
  EXPECT_EQ(expect, n);
  EXPECT_EQ(out_of_order, 0u);
  EXPECT_EQ(bad_vacant.load(), 0u);
  EXPECT_EQ(bad_avail.load(), 0u);
}

}  // namespace
