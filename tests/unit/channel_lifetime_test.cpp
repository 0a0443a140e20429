// Every message is constructed exactly once when sent and destroyed exactly once when taken, or when the
// channel is destroyed with it still inside. Checked with an element type that registers its live instances
// (test_support.hpp) and with move-only types.
#include <array>
#include <memory>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace {

using steady::SendOutcome;
using steady_test::Tracked;

class ChannelLifetime : public ::testing::Test {
 protected:
  void SetUp() override { Tracked::reset(); }
  void TearDown() override {
    EXPECT_EQ(Tracked::live(), 0) << "leaked: some element was never destroyed";
    EXPECT_EQ(Tracked::errors(), 0) << "double destroy, construct over a live object, or use after destroy";
    EXPECT_EQ(Tracked::constructed(), Tracked::destroyed());
  }
};

TEST_F(ChannelLifetime, EmptyChannelHoldsNoElements) {
  {
    auto [tx, rx] = steady::make_channel<Tracked>(64);
    EXPECT_EQ(Tracked::constructed(), 0) << "slots are raw storage, not default-constructed elements";
  }
  EXPECT_EQ(Tracked::destroyed(), 0) << "destroying an empty channel destroys nothing";
}

TEST_F(ChannelLifetime, TrySendConstructsOneSlotAndTryTakeDestroysIt) {
  auto [tx, rx] = steady::make_channel<Tracked>(4);
  for (std::uint64_t i = 0; i < 3; ++i) {
    Tracked t(i);
    const long before = Tracked::live();
    ASSERT_TRUE(tx.try_send(std::move(t)).sent());
    EXPECT_EQ(Tracked::live(), before + 1)
        << "exactly one slot constructed; the by-value parameter is gone again";
  }
  EXPECT_EQ(Tracked::live(), 3) << "the three messages, and nothing else";
  {
    auto v = rx.try_take();
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->value, 0u);
    // The slot is destroyed as the message leaves it (try_take may also move through a temporary of its own).
    EXPECT_EQ(Tracked::live(), 3) << "two in the channel, one in the optional";
  }
  EXPECT_EQ(Tracked::live(), 2);
  EXPECT_EQ(rx.avail_units(), 2u);
}

TEST_F(ChannelLifetime, RefusedSendConstructsNoSlot) {
  auto [tx, rx] = steady::make_channel<Tracked>(1);
  ASSERT_TRUE(tx.try_send(Tracked(1)).sent());
  const long live_before = Tracked::live();
  {
    auto r = tx.try_send(Tracked(2));
    EXPECT_EQ(r, SendOutcome::full);
    EXPECT_EQ(Tracked::live(), live_before + 1) << "only the handed-back value is alive";
    Tracked back = std::move(r).take_back();
    EXPECT_EQ(back.value, 2u);
  }
  EXPECT_EQ(Tracked::live(), live_before);
  EXPECT_FALSE(tx.try_emplace(3u));
  EXPECT_EQ(Tracked::live(), live_before) << "a refused emplace constructs nothing";
  tx.mark_closed();
  {
    auto r = tx.try_send(Tracked(4));
    EXPECT_EQ(r, SendOutcome::closed);
    EXPECT_EQ(std::move(r).take_back().value, 4u);
  }
  EXPECT_EQ(Tracked::live(), live_before);
}

TEST_F(ChannelLifetime, TryEmplaceConstructsExactlyOnceWithoutMoves) {
  auto [tx, rx] = steady::make_channel<Tracked>(2);
  ASSERT_TRUE(tx.try_emplace(9u));
  EXPECT_EQ(Tracked::constructed(), 1);
  EXPECT_EQ(Tracked::moves(), 0);
  EXPECT_EQ(Tracked::copies(), 0);
  ASSERT_NE(rx.try_peek(), nullptr);
  EXPECT_EQ(rx.try_peek()->value, 9u);
}

TEST_F(ChannelLifetime, SendSliceCopiesOncePerMessageAndTakeSliceDestroysEachSlot) {
  auto [tx, rx] = steady::make_channel<Tracked>(8);
  std::vector<Tracked> src;
  for (std::uint64_t i = 0; i < 12; ++i) src.emplace_back(i);
  const long copies_before = Tracked::copies();
  const long constructed_before = Tracked::constructed();
  EXPECT_EQ(tx.send_slice(src), 8u);
  EXPECT_EQ(Tracked::copies() - copies_before, 8) << "one copy per message that fit";
  EXPECT_EQ(Tracked::constructed() - constructed_before, 8);
  EXPECT_EQ(Tracked::live(), 12 + 8);

  std::vector<Tracked> out(5);
  const long destroyed_before = Tracked::destroyed();
  EXPECT_EQ(rx.take_slice(out), 5u);
  EXPECT_EQ(Tracked::destroyed() - destroyed_before, 5) << "each taken slot destroyed exactly once";
  for (std::uint64_t i = 0; i < 5; ++i) EXPECT_EQ(out[i].value, i);
  EXPECT_EQ(Tracked::live(), 12 + 5 + 3);
}

TEST_F(ChannelLifetime, SendSliceMoveMovesOncePerMessage) {
  auto [tx, rx] = steady::make_channel<Tracked>(3);
  std::vector<Tracked> src;
  for (std::uint64_t i = 0; i < 5; ++i) src.emplace_back(i);
  const long moves_before = Tracked::moves();
  EXPECT_EQ(tx.send_slice_move(src), 3u);
  EXPECT_EQ(Tracked::moves() - moves_before, 3);
  EXPECT_EQ(src[2].value, Tracked::kMovedFrom);
  EXPECT_EQ(src[3].value, 3u) << "elements that did not fit are untouched";
  EXPECT_EQ(src[4].value, 4u);
}

TEST_F(ChannelLifetime, AdvanceTakeDestroysExactlyThePeekedMessages) {
  auto [tx, rx] = steady::make_channel<Tracked>(8);
  for (std::uint64_t i = 0; i < 6; ++i) ASSERT_TRUE(tx.try_emplace(i));
  auto view = rx.peek_slice(4);
  ASSERT_EQ(view.size(), 4u);
  EXPECT_EQ(view[3].value, 3u);
  EXPECT_EQ(Tracked::live(), 6) << "peeking copies nothing";
  rx.advance_take(4);
  EXPECT_EQ(Tracked::live(), 2);
  EXPECT_EQ(Tracked::destroyed(), 4);
  ASSERT_NE(rx.try_peek(), nullptr);
  EXPECT_EQ(rx.try_peek()->value, 4u);
}

TEST_F(ChannelLifetime, MessagesLeftInsideAreDestroyedWithTheChannel) {
  {
    auto [tx, rx] = steady::make_channel<Tracked>(5);  // 8 slots behind capacity 5
    // Lap the ring so that the leftovers straddle the physical wrap.
    for (int lap = 0; lap < 3; ++lap) {
      for (std::uint64_t i = 0; i < 5; ++i) ASSERT_TRUE(tx.try_emplace(i));
      std::array<Tracked, 3> out;
      ASSERT_EQ(rx.take_slice(out), 3u);
      while (rx.avail_units() > 0) (void)rx.try_take();
    }
    for (std::uint64_t i = 0; i < 4; ++i) ASSERT_TRUE(tx.try_emplace(100 + i));
    EXPECT_EQ(Tracked::live(), 4);
    // Dropping only one end keeps the channel (and its messages) alive for the other.
    { [[maybe_unused]] auto gone = std::move(tx); }
    EXPECT_EQ(Tracked::live(), 4);
    auto first = rx.try_take();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->value, 100u);
  }
  // TearDown checks that the three leftovers were destroyed exactly once each.
  EXPECT_EQ(Tracked::destroyed(), Tracked::constructed());
}

TEST_F(ChannelLifetime, ClosedChannelDestroyedWithMessagesInside) {
  {
    auto [tx, rx] = steady::make_channel<Tracked>(16);
    for (std::uint64_t i = 0; i < 16; ++i) ASSERT_TRUE(tx.try_emplace(i));
    tx.mark_closed();
    EXPECT_FALSE(rx.is_closed_and_empty());
  }
  EXPECT_EQ(Tracked::destroyed(), 16);
}

// ---------------------------------------------------------------- move-only types

struct Counter {
  int deleted = 0;
};
struct CountingDeleter {
  Counter* c;
  void operator()(int* p) const noexcept {
    ++c->deleted;
    delete p;
  }
};
using Owned = std::unique_ptr<int, CountingDeleter>;

TEST(ChannelMoveOnly, UniquePtrMessagesAreOwnedByTheChannel) {
  Counter counter;
  auto make = [&](int v) { return Owned(new int(v), CountingDeleter{&counter}); };
  {
    auto [tx, rx] = steady::make_channel<Owned>(4);
    ASSERT_TRUE(tx.try_send(make(1)).sent());
    ASSERT_TRUE(tx.try_emplace(new int(2), CountingDeleter{&counter}));
    std::vector<Owned> batch;
    batch.push_back(make(3));
    batch.push_back(make(4));
    batch.push_back(make(5));
    EXPECT_EQ(tx.send_slice_move(batch), 2u);
    EXPECT_EQ(batch[0], nullptr);
    ASSERT_NE(batch[2], nullptr);
    EXPECT_EQ(*batch[2], 5);
    auto full = tx.try_send(make(6));
    EXPECT_EQ(full, SendOutcome::full);
    EXPECT_EQ(*std::move(full).take_back(), 6);
    EXPECT_EQ(counter.deleted, 1) << "only the handed-back 6 is gone so far";

    auto one = rx.try_take();
    ASSERT_TRUE(one.has_value());
    EXPECT_EQ(**one, 1);
    std::array<Owned, 1> out{Owned(nullptr, CountingDeleter{&counter})};
    ASSERT_EQ(rx.take_slice(out), 1u);
    EXPECT_EQ(*out[0], 2);
    EXPECT_EQ(counter.deleted, 1) << "taking transfers ownership, it does not delete";
    // 3 and 4 stay in the channel; 5 stays in `batch`.
  }
  EXPECT_EQ(counter.deleted, 6) << "every object deleted exactly once: 1..6";
}

TEST(ChannelMoveOnly, PeekThenAdvanceTakeDeletesLeftUnread) {
  Counter counter;
  {
    auto [tx, rx] = steady::make_channel<Owned>(3);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(tx.try_emplace(new int(i), CountingDeleter{&counter}));
    auto view = rx.peek_slice();
    ASSERT_EQ(view.size(), 3u);
    EXPECT_EQ(*view[1], 1);
    rx.advance_take(2);  // the work on the first two "succeeded": they are dropped
    EXPECT_EQ(counter.deleted, 2);
  }
  EXPECT_EQ(counter.deleted, 3);
}

}  // namespace
