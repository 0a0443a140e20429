// Channel semantics on one thread: single, batch and zero-copy calls, wrap-around, status, close, and the
// type contracts of the ends (move-only, noexcept where declared).
#include <array>
#include <cstdint>
#include <memory>
#include <numeric>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include <steady/steady.hpp>

namespace {

using steady::Rx;
using steady::SendOutcome;
using steady::Tx;

// ---------------------------------------------------------------- type contracts (compile time)

// The ends are move-only: the type system keeps each side single-owner.
static_assert(!std::is_copy_constructible_v<Tx<int>> && !std::is_copy_assignable_v<Tx<int>>);
static_assert(!std::is_copy_constructible_v<Rx<int>> && !std::is_copy_assignable_v<Rx<int>>);
static_assert(std::is_nothrow_move_constructible_v<Tx<int>> && std::is_nothrow_move_assignable_v<Tx<int>>);
static_assert(std::is_nothrow_move_constructible_v<Rx<int>> && std::is_nothrow_move_assignable_v<Rx<int>>);
static_assert(!std::is_copy_constructible_v<Tx<std::string>> &&
              !std::is_copy_constructible_v<Rx<std::string>>);
// Tasks and contexts are not copyable either.
static_assert(!std::is_copy_constructible_v<steady::Task> &&
              std::is_nothrow_move_constructible_v<steady::Task>);
static_assert(!std::is_copy_constructible_v<steady::Context>);

// The hot path is noexcept where the element type allows it.
struct ThrowingMove {
  ThrowingMove() = default;
  ThrowingMove(const ThrowingMove&) noexcept(false) {}
  ThrowingMove(ThrowingMove&&) noexcept(false) {}
  ThrowingMove& operator=(const ThrowingMove&) noexcept(false) { return *this; }
  ThrowingMove& operator=(ThrowingMove&&) noexcept(false) { return *this; }
};
static_assert(noexcept(std::declval<Tx<int>&>().try_send(1)));
static_assert(!noexcept(std::declval<Tx<ThrowingMove>&>().try_send(ThrowingMove{})));
static_assert(noexcept(std::declval<Rx<int>&>().try_take()));
static_assert(!noexcept(std::declval<Rx<ThrowingMove>&>().try_take()));
static_assert(noexcept(std::declval<Tx<int>&>().send_slice(std::span<const int>{})));
static_assert(noexcept(std::declval<Tx<int>&>().send_slice_move(std::span<int>{})));
static_assert(noexcept(std::declval<Rx<int>&>().take_slice(std::span<int>{})));
static_assert(noexcept(std::declval<Rx<int>&>().try_peek()));
static_assert(noexcept(std::declval<Rx<int>&>().peek_slice()));
static_assert(noexcept(std::declval<Rx<int>&>().advance_take(1)));
static_assert(noexcept(std::declval<Tx<int>&>().poke_slice()));
static_assert(noexcept(std::declval<Tx<int>&>().advance_send(1)));
static_assert(noexcept(std::declval<Tx<int>&>().vacant_units()));
static_assert(noexcept(std::declval<Rx<int>&>().avail_units()));
static_assert(noexcept(std::declval<Tx<int>&>().mark_closed()));
static_assert(noexcept(std::declval<Rx<int>&>().is_closed_and_empty()));
static_assert(noexcept(std::declval<Tx<int>&>().capacity()) && noexcept(std::declval<Rx<int>&>().capacity()));

// Copying sends need copyable elements; zero-copy pokes need trivially copyable ones.
template <class T>
concept can_send_slice = requires(Tx<T>& tx, std::span<const T> s) {
  tx.send_slice(s);
};
template <class T>
concept can_poke = requires(Tx<T>& tx) {
  tx.poke_slice();
};
static_assert(can_send_slice<int> && can_send_slice<std::string>);
static_assert(!can_send_slice<std::unique_ptr<int>>);
static_assert(can_poke<std::uint64_t> && !can_poke<std::string> && !can_poke<std::unique_ptr<int>>);
// Zero-copy reads are read-only views.
static_assert(std::is_same_v<decltype(std::declval<Rx<int>&>().peek_slice()), steady::SlicePair<const int>>);
static_assert(std::is_same_v<decltype(std::declval<Tx<int>&>().poke_slice()), steady::SlicePair<int>>);

// ---------------------------------------------------------------- helpers

// Send a run of consecutive values [from, from+n) with send_slice; returns how many went in.
std::size_t send_run(Tx<std::uint64_t>& tx, std::uint64_t from, std::size_t n) {
  std::vector<std::uint64_t> v(n);
  std::iota(v.begin(), v.end(), from);
  return tx.send_slice(v);
}

std::vector<std::uint64_t> flatten(const steady::SlicePair<const std::uint64_t>& s) {
  std::vector<std::uint64_t> out(s.first.begin(), s.first.end());
  out.insert(out.end(), s.second.begin(), s.second.end());
  return out;
}

std::vector<std::uint64_t> iota_vec(std::uint64_t from, std::size_t n) {
  std::vector<std::uint64_t> v(n);
  std::iota(v.begin(), v.end(), from);
  return v;
}

// ---------------------------------------------------------------- single calls and status

TEST(Channel, FreshChannelStatus) {
  auto [tx, rx] = steady::make_channel<int>(8, "fresh");
  EXPECT_TRUE(tx.valid());
  EXPECT_TRUE(rx.valid());
  EXPECT_EQ(tx.name(), "fresh");
  EXPECT_EQ(rx.name(), "fresh");
  EXPECT_EQ(tx.capacity(), 8u);
  EXPECT_EQ(rx.capacity(), 8u);
  EXPECT_EQ(tx.vacant_units(), 8u);
  EXPECT_EQ(rx.avail_units(), 0u);
  EXPECT_FALSE(rx.is_closed());
  EXPECT_FALSE(rx.is_closed_and_empty());
  EXPECT_EQ(rx.try_take(), std::nullopt);
  EXPECT_EQ(rx.try_peek(), nullptr);
  EXPECT_TRUE(rx.peek_slice().empty());
  Tx<int> empty_tx;
  Rx<int> empty_rx;
  EXPECT_FALSE(empty_tx.valid());
  EXPECT_FALSE(empty_rx.valid());
}

TEST(Channel, TrySendTakeIsFifoAndStatusTracksFill) {
  auto [tx, rx] = steady::make_channel<int>(4);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(tx.try_send(i * 10), SendOutcome::sent);
    EXPECT_EQ(rx.avail_units(), static_cast<std::uint64_t>(i + 1));
    EXPECT_EQ(tx.vacant_units(), static_cast<std::uint64_t>(3 - i));
  }
  ASSERT_NE(rx.try_peek(), nullptr);
  EXPECT_EQ(*rx.try_peek(), 0);
  EXPECT_EQ(rx.avail_units(), 4u) << "peek must not take";
  for (int i = 0; i < 4; ++i) EXPECT_EQ(rx.try_take(), std::optional<int>(i * 10));
  EXPECT_EQ(rx.try_take(), std::nullopt);
  EXPECT_EQ(tx.vacant_units(), 4u);
}

TEST(Channel, TrySendHandsTheValueBackWhenFull) {
  auto [tx, rx] = steady::make_channel<std::string>(2);
  ASSERT_TRUE(tx.try_send("a").sent());
  ASSERT_TRUE(tx.try_send("b").sent());
  auto r = tx.try_send(std::string(100, 'x'));  // long enough to live on the heap: a real move
  EXPECT_FALSE(r.sent());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(r, SendOutcome::full);
  EXPECT_EQ(r.outcome(), SendOutcome::full);
  ASSERT_TRUE(r.value().has_value());
  EXPECT_EQ(std::move(r).take_back(), std::string(100, 'x'));
  EXPECT_EQ(rx.avail_units(), 2u) << "a refused send must not change the channel";
  EXPECT_EQ(rx.try_take(), std::optional<std::string>("a"));
  EXPECT_EQ(tx.try_send("c"), SendOutcome::sent);
}

TEST(Channel, TrySendHandsTheValueBackWhenClosed) {
  auto [tx, rx] = steady::make_channel<std::unique_ptr<int>>(4);
  ASSERT_TRUE(tx.try_send(std::make_unique<int>(1)).sent());
  EXPECT_TRUE(tx.mark_closed());
  EXPECT_TRUE(tx.is_closed());
  auto p = std::make_unique<int>(42);
  int* raw = p.get();
  auto r = tx.try_send(std::move(p));
  EXPECT_EQ(r, SendOutcome::closed);
  std::unique_ptr<int> back = std::move(r).take_back();
  EXPECT_EQ(back.get(), raw) << "the very same object must come back";
  EXPECT_EQ(*back, 42);
  EXPECT_FALSE(tx.try_emplace(std::make_unique<int>(7))) << "emplace into a closed channel";
  // What was sent before the close is still delivered.
  EXPECT_TRUE(rx.is_closed());
  EXPECT_FALSE(rx.is_closed_and_empty());
  auto first = rx.try_take();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(**first, 1);
  EXPECT_TRUE(rx.is_closed_and_empty());
}

TEST(Channel, MarkClosedIsIdempotentAndSendsNothingAfter) {
  auto [tx, rx] = steady::make_channel<std::uint64_t>(8);
  EXPECT_EQ(send_run(tx, 0, 3), 3u);
  EXPECT_TRUE(tx.mark_closed());
  EXPECT_TRUE(tx.mark_closed());
  EXPECT_EQ(send_run(tx, 3, 3), 0u) << "send_slice into a closed channel";
  std::vector<std::uint64_t> more{9, 9};
  EXPECT_EQ(tx.send_slice_move(more), 0u);
  EXPECT_TRUE(tx.poke_slice().empty()) << "no slots to poke once closed";
  EXPECT_EQ(rx.avail_units(), 3u);
  std::array<std::uint64_t, 8> out{};
  EXPECT_EQ(rx.take_slice(out), 3u);
  EXPECT_TRUE(rx.is_closed_and_empty());
}

TEST(Channel, TryEmplaceConstructsInPlace) {
  auto [tx, rx] = steady::make_channel<std::pair<int, std::string>>(1);
  EXPECT_TRUE(tx.try_emplace(7, "seven"));
  EXPECT_FALSE(tx.try_emplace(8, "eight")) << "full";
  auto v = rx.try_take();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->first, 7);
  EXPECT_EQ(v->second, "seven");
}

// ---------------------------------------------------------------- batches and wrap-around

TEST(Channel, SendSliceSendsAsManyAsFit) {
  auto [tx, rx] = steady::make_channel<std::uint64_t>(8);
  EXPECT_EQ(send_run(tx, 0, 5), 5u);
  EXPECT_EQ(send_run(tx, 5, 5), 3u) << "only 3 slots were vacant";
  EXPECT_EQ(send_run(tx, 100, 1), 0u);
  std::vector<std::uint64_t> out(20, 999);
  EXPECT_EQ(rx.take_slice(out), 8u);
  EXPECT_EQ(std::vector<std::uint64_t>(out.begin(), out.begin() + 8), iota_vec(0, 8));
  EXPECT_EQ(out[8], 999u) << "take_slice must not write past what it took";
  EXPECT_EQ(rx.take_slice(out), 0u);
}

TEST(Channel, SendSliceMoveLeavesTheRestUntouched) {
  auto [tx, rx] = steady::make_channel<std::unique_ptr<int>>(3);
  std::vector<std::unique_ptr<int>> items;
  for (int i = 0; i < 5; ++i) items.push_back(std::make_unique<int>(i));
  EXPECT_EQ(tx.send_slice_move(items), 3u);
  EXPECT_EQ(items[0], nullptr);
  EXPECT_EQ(items[2], nullptr);
  ASSERT_NE(items[3], nullptr) << "items that did not fit must stay with the caller";
  EXPECT_EQ(*items[3], 3);
  ASSERT_NE(items[4], nullptr);
  std::array<std::unique_ptr<int>, 4> out;
  EXPECT_EQ(rx.take_slice(out), 3u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_NE(out[i], nullptr);
    EXPECT_EQ(*out[i], i);
  }
  EXPECT_EQ(out[3], nullptr);
}

// Drive the ring through many laps with odd batch sizes; every value arrives once, in order.
void many_laps(std::uint64_t capacity) {
  auto [tx, rx] = steady::make_channel<std::uint64_t>(capacity);
  std::uint64_t next_send = 0, next_take = 0;
  std::vector<std::uint64_t> out(capacity + 3);
  for (int round = 0; round < 500; ++round) {
    const std::size_t want = 1 + (round * 7) % (capacity + 2);
    const std::uint64_t room = tx.vacant_units();
    const std::size_t sent = send_run(tx, next_send, want);
    ASSERT_EQ(sent, std::min<std::uint64_t>(want, room));
    next_send += sent;
    ASSERT_EQ(rx.avail_units() + tx.vacant_units(), capacity);
    const std::size_t take = 1 + (round * 5) % (capacity + 1);
    const std::size_t got = rx.take_slice(std::span(out).first(std::min(take, out.size())));
    for (std::size_t i = 0; i < got; ++i) ASSERT_EQ(out[i], next_take++) << "round " << round;
  }
  while (auto v = rx.try_take()) ASSERT_EQ(*v, next_take++);
  EXPECT_EQ(next_take, next_send);
  EXPECT_GT(next_send, 10 * capacity) << "the test should lap the ring many times";
}

TEST(Channel, ManyLapsPowerOfTwoCapacity) {
  many_laps(16);
}
TEST(Channel, ManyLapsNonPowerOfTwoCapacity) {
  many_laps(5);
}
TEST(Channel, ManyLapsCapacityOne) {
  many_laps(1);
}

TEST(Channel, NonPowerOfTwoCapacityIsExact) {
  auto [tx, rx] = steady::make_channel<std::uint64_t>(5);
  EXPECT_EQ(tx.capacity(), 5u);
  EXPECT_EQ(send_run(tx, 0, 10), 5u) << "capacity 5 holds exactly 5, not the 8 slots backing it";
  EXPECT_EQ(tx.vacant_units(), 0u);
  EXPECT_EQ(tx.try_send(99), SendOutcome::full);
  EXPECT_EQ(tx.poke_slice().size(), 0u);
  EXPECT_EQ(rx.avail_units(), 5u);
  EXPECT_EQ(rx.peek_slice().size(), 5u);
}

// ---------------------------------------------------------------- zero-copy slices at the wrap

TEST(Channel, PeekSliceReturnsTwoSpansAtTheWrap) {
  auto [tx, rx] = steady::make_channel<std::uint64_t>(8);
  ASSERT_EQ(send_run(tx, 0, 6), 6u);
  std::array<std::uint64_t, 6> sink{};
  ASSERT_EQ(rx.take_slice(sink), 6u);   // tail and head now at index 6 of 8
  ASSERT_EQ(send_run(tx, 100, 5), 5u);  // slots 6,7 then 0,1,2
  auto s = rx.peek_slice();
  EXPECT_EQ(s.first.size(), 2u);
  EXPECT_EQ(s.second.size(), 3u);
  EXPECT_EQ(s.size(), 5u);
  EXPECT_EQ(flatten(s), iota_vec(100, 5));
  for (std::size_t i = 0; i < s.size(); ++i)
    EXPECT_EQ(s[i], 100 + i) << "SlicePair::operator[] across the wrap";
  // Peeking takes nothing; a bounded peek stays in the first run.
  EXPECT_EQ(rx.avail_units(), 5u);
  auto two = rx.peek_slice(2);
  EXPECT_EQ(two.first.size(), 2u);
  EXPECT_TRUE(two.second.empty());
  auto three = rx.peek_slice(3);
  EXPECT_EQ(three.first.size(), 2u);
  EXPECT_EQ(three.second.size(), 1u);
  // Commit part of it: the rest is still there, in order.
  rx.advance_take(3);
  EXPECT_EQ(rx.avail_units(), 2u);
  EXPECT_EQ(tx.vacant_units(), 6u);
  auto rest = rx.peek_slice();
  EXPECT_EQ(rest.first.size(), 2u);
  EXPECT_TRUE(rest.second.empty());
  EXPECT_EQ(flatten(rest), iota_vec(103, 2));
  rx.advance_take(0);  // a no-op
  EXPECT_EQ(rx.avail_units(), 2u);
}

TEST(Channel, PokeSliceReturnsTwoSpansAtTheWrapAndAdvanceSendPublishes) {
  auto [tx, rx] = steady::make_channel<std::uint64_t>(8);
  ASSERT_EQ(send_run(tx, 0, 5), 5u);
  std::array<std::uint64_t, 5> sink{};
  ASSERT_EQ(rx.take_slice(sink), 5u);  // head and tail at 5 of 8
  auto slots = tx.poke_slice();
  EXPECT_EQ(slots.first.size(), 3u);   // 5,6,7
  EXPECT_EQ(slots.second.size(), 5u);  // 0..4
  for (std::size_t i = 0; i < slots.size(); ++i) slots[i] = 1000 + i;
  EXPECT_EQ(rx.avail_units(), 0u) << "nothing is visible before advance_send";
  tx.advance_send(6);
  EXPECT_EQ(rx.avail_units(), 6u);
  EXPECT_EQ(tx.vacant_units(), 2u);
  EXPECT_EQ(flatten(rx.peek_slice()), iota_vec(1000, 6));
  // A bounded poke; its unpublished slots are overwritten by the next send.
  auto more = tx.poke_slice(1);
  ASSERT_EQ(more.size(), 1u);
  more[0] = 77;
  EXPECT_EQ(tx.try_send(5555), SendOutcome::sent) << "an unpublished poke reserves nothing";
  std::vector<std::uint64_t> out(10);
  ASSERT_EQ(rx.take_slice(out), 7u);
  EXPECT_EQ(out[6], 5555u);
}

TEST(Channel, ZeroCopyWrapWithNonPowerOfTwoCapacity) {
  // Capacity 5 lives in 8 slots: the physical wrap is at slot 8, and fill never exceeds 5.
  auto [tx, rx] = steady::make_channel<std::uint64_t>(5);
  std::uint64_t sent = 0, taken = 0;
  bool saw_split_peek = false, saw_split_poke = false;
  for (int round = 0; round < 200; ++round) {
    auto slots = tx.poke_slice(1 + round % 4);
    ASSERT_LE(slots.size(), 5u - rx.avail_units());
    saw_split_poke |= !slots.second.empty();
    for (std::size_t i = 0; i < slots.size(); ++i) slots[i] = sent + i;
    tx.advance_send(slots.size());
    sent += slots.size();
    auto view = rx.peek_slice(1 + round % 3);
    saw_split_peek |= !view.second.empty();
    for (std::size_t i = 0; i < view.size(); ++i) ASSERT_EQ(view[i], taken + i);
    rx.advance_take(view.size());
    taken += view.size();
    ASSERT_LE(rx.avail_units(), 5u);
  }
  EXPECT_TRUE(saw_split_peek);
  EXPECT_TRUE(saw_split_poke);
  EXPECT_GT(taken, 100u);
}

}  // namespace
