// steady/channel.hpp — bounded SPSC channels and their two ends, Tx<T> (producer) and Rx<T> (consumer).
//
// A channel holds at most `capacity` messages and never drops one: a full channel refuses a send (handing the value
// back) and the producer waits for room (`Context::wait_vacant`). Memory is allocated once, when the channel is built.
// Any element type works, including move-only and non-trivial ones: every message is constructed exactly once when
// sent and destroyed exactly once when taken (or when the channel is destroyed).
//
// Threads. A Tx is used by one thread at a time (its actor), an Rx by one thread at a time; the two may be different
// threads. The ends are move-only, so the type system keeps each side single-owner. Status calls (`avail_units`,
// `vacant_units`) are exact for the calling side and a lower bound of what the other side may have done meanwhile.
//
// Families of calls:
//   single   try_send → SendResult (value handed back when full/closed), try_take, try_peek
//   batch    send_slice / send_slice_move (as many as fit), take_slice (as many as there are)
//   zero-copy  peek_slice → two spans (wrap-around) then advance_take(n); poke_slice → two spans of slots then
//            advance_send(n) (poke is for trivially copyable types)
//   status   avail_units, vacant_units, capacity, is_closed, is_closed_and_empty
//   close    mark_closed (producer): the consumer drains what is left, then sees is_closed_and_empty()
//
// Peek-before-commit: peek, do the work, then advance_take. If the work throws, the message is still in the channel
// and the restarted actor sees it again.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "detail/channel_core.hpp"

namespace steady {

// What a non-blocking send did.
enum class SendOutcome : std::uint8_t {
  sent,    // the message is in the channel
  full,    // no room: the value is handed back in SendResult::value
  closed,  // the channel was closed (by its producer) or its consumer is gone: handed back too
};

// Result of Tx<T>::try_send. Compares equal to a SendOutcome; a refused value can be taken back with take_back().
template <class T>
class [[nodiscard]] SendResult {
 public:
  explicit SendResult(SendOutcome o) noexcept : outcome_(o) {}
  SendResult(SendOutcome o, T&& v) : outcome_(o), value_(std::move(v)) {}
  [[nodiscard]] SendOutcome outcome() const noexcept { return outcome_; }
  [[nodiscard]] bool sent() const noexcept { return outcome_ == SendOutcome::sent; }
  explicit operator bool() const noexcept { return sent(); }
  friend bool operator==(const SendResult& r, SendOutcome o) noexcept { return r.outcome_ == o; }
  // The value that was not sent (precondition: !sent()).
  [[nodiscard]] T take_back() && { return std::move(*value_); }
  [[nodiscard]] const std::optional<T>& value() const noexcept { return value_; }

 private:
  SendOutcome outcome_;
  std::optional<T> value_;
};

// Up to two contiguous runs of a ring (the second is non-empty only when the run wraps around the end).
template <class E>
struct SlicePair {
  std::span<E> first;
  std::span<E> second;
  [[nodiscard]] std::size_t size() const noexcept { return first.size() + second.size(); }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  [[nodiscard]] E& operator[](std::size_t i) const noexcept {
    return i < first.size() ? first[i] : second[i - first.size()];
  }
};

template <class T>
class Tx;
template <class T>
class Rx;

namespace detail {

template <class T>
std::string type_name_of() {
  if constexpr (std::is_same_v<T, std::uint64_t>) return "u64";
  else if constexpr (std::is_same_v<T, std::int64_t>) return "i64";
  else if constexpr (std::is_same_v<T, std::uint32_t>) return "u32";
  else if constexpr (std::is_same_v<T, int>) return "i32";
  else if constexpr (std::is_same_v<T, double>) return "f64";
  else if constexpr (std::is_same_v<T, std::string>) return "string";
  else return typeid(T).name();
}

// The ring storage for one element type. Slots are raw storage: a slot holds a live T exactly between the send that
// constructs it and the take that destroys it.
template <class T>
class Ring final : public ChannelCore {
 public:
  Ring(std::uint64_t capacity, std::string name)
      : ChannelCore(capacity, std::move(name), type_name_of<T>()),
        mask_(std::bit_ceil(capacity) - 1),  // power-of-two slot count: index & mask instead of a division
        slots_(std::allocator<T>{}.allocate(mask_ + 1)) {}
  ~Ring() override {
    if constexpr (!std::is_trivially_destructible_v<T>) {
      for (std::uint64_t i = tail_relaxed(), h = head_relaxed(); i != h; ++i) std::destroy_at(slot(i));
    }
    std::allocator<T>{}.deallocate(slots_, mask_ + 1);
  }
  [[nodiscard]] std::size_t element_size() const noexcept override { return sizeof(T); }

  [[nodiscard]] T* slot(std::uint64_t index) const noexcept { return slots_ + (index & mask_); }
  // The run of `n` slots starting at absolute index `from`, split at the physical end of the buffer.
  template <class E>
  [[nodiscard]] SlicePair<E> run(std::uint64_t from, std::uint64_t n) const noexcept {
    const std::uint64_t start = from & mask_;
    const std::uint64_t first = std::min<std::uint64_t>(n, mask_ + 1 - start);
    return {std::span<E>(slots_ + start, first), std::span<E>(slots_, n - first)};
  }
  [[nodiscard]] std::uint64_t head_index() const noexcept { return head_relaxed(); }
  [[nodiscard]] std::uint64_t tail_index() const noexcept { return tail_relaxed(); }

 private:
  const std::uint64_t mask_;
  T* const slots_;
};

}  // namespace detail

// The producer end of a channel. Move-only; lent by the graph to one actor at a time.
template <class T>
class Tx {
 public:
  Tx() = default;
  explicit Tx(std::shared_ptr<detail::Ring<T>> ring) noexcept : ring_(std::move(ring)) {}
  Tx(Tx&&) noexcept = default;
  Tx& operator=(Tx&&) noexcept = default;
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;

  [[nodiscard]] bool valid() const noexcept { return ring_ != nullptr; }
  [[nodiscard]] const std::string& name() const noexcept { return ring_->name(); }
  [[nodiscard]] std::uint64_t capacity() const noexcept { return ring_->capacity(); }
  // Room for at least this many messages now (exact for the producer; the consumer may free more meanwhile).
  [[nodiscard]] std::uint64_t vacant_units() noexcept { return ring_->vacant_units_fresh(); }
  [[nodiscard]] bool is_closed() const noexcept { return ring_->is_closed(); }

  // Send one message if there is room. On full or closed the value is handed back inside the result.
  SendResult<T> try_send(T value) noexcept(std::is_nothrow_move_constructible_v<T>) {
    if (ring_->is_closed() || ring_->consumer_gone()) [[unlikely]]
      return SendResult<T>(SendOutcome::closed, std::move(value));
    if (ring_->vacant_units() == 0) return SendResult<T>(SendOutcome::full, std::move(value));
    std::construct_at(ring_->slot(ring_->head_index()), std::move(value));
    ring_->commit_send(1);
    return SendResult<T>(SendOutcome::sent);
  }
  // Construct a message in place; false when full or closed (nothing is constructed then).
  template <class... Args>
  [[nodiscard]] bool try_emplace(Args&&... args) {
    if (ring_->is_closed() || ring_->consumer_gone() || ring_->vacant_units() == 0) return false;
    std::construct_at(ring_->slot(ring_->head_index()), std::forward<Args>(args)...);
    ring_->commit_send(1);
    return true;
  }
  // Copy as many of `items` as fit; returns how many were sent (0 when closed).
  [[nodiscard]] std::size_t send_slice(std::span<const T> items) noexcept(std::is_nothrow_copy_constructible_v<T>)
    requires std::copy_constructible<T>
  {
    if constexpr (std::is_trivially_copyable_v<T>) {
      return send_bits(items.data(), items.size());
    } else {
      return send_n(items.size(), [&](std::size_t i, T* at) { std::construct_at(at, items[i]); });
    }
  }
  // Move as many of `items` as fit into the channel; returns how many were moved (the rest are untouched).
  [[nodiscard]] std::size_t send_slice_move(std::span<T> items) noexcept(std::is_nothrow_move_constructible_v<T>) {
    if constexpr (std::is_trivially_copyable_v<T>) {
      return send_bits(items.data(), items.size());
    } else {
      return send_n(items.size(), [&](std::size_t i, T* at) { std::construct_at(at, std::move(items[i])); });
    }
  }
  // Zero-copy write: the vacant slots (up to `max`) as two spans. Write into them, then advance_send(n) publishes
  // the first n. Only for trivially copyable types, whose slots need no construction.
  [[nodiscard]] SlicePair<T> poke_slice(std::uint64_t max = ~std::uint64_t{0}) noexcept
    requires std::is_trivially_copyable_v<T>
  {
    if (ring_->is_closed()) return {};
    const std::uint64_t n = std::min(max, ring_->vacant_units_fresh());
    return ring_->template run<T>(ring_->head_index(), n);
  }
  // Publish n poked messages (n ≤ what poke_slice returned).
  void advance_send(std::uint64_t n) noexcept
    requires std::is_trivially_copyable_v<T>
  {
    if (n != 0) ring_->commit_send(n);
  }
  // No more messages will be sent. The consumer still gets everything already sent. Idempotent; returns true so it
  // composes in stop votes: `rx.is_closed_and_empty() && tx.mark_closed()`.
  bool mark_closed() noexcept { return ring_->mark_closed(); }

  [[nodiscard]] detail::Ring<T>& ring() const noexcept { return *ring_; }  // for the runtime and telemetry

 private:
  // How many of `want` messages fit now (0 when closed or the consumer is gone).
  std::size_t room_for(std::size_t want) noexcept {
    if (ring_->is_closed() || ring_->consumer_gone()) return 0;
    std::uint64_t room = ring_->vacant_units();
    if (room < want) room = ring_->vacant_units_fresh();
    return static_cast<std::size_t>(std::min<std::uint64_t>(want, room));
  }
  template <class Construct>
  std::size_t send_n(std::size_t want, Construct&& construct) {
    const std::size_t n = room_for(want);
    const std::uint64_t h = ring_->head_index();
    for (std::size_t i = 0; i < n; ++i) construct(i, ring_->slot(h + i));
    if (n != 0) ring_->commit_send(n);
    return n;
  }
  // Trivially copyable messages: copy the (at most two) contiguous runs of slots with memcpy instead of one
  // masked slot at a time (a trivially copyable T needs no constructor call; memcpy creates it in the slot).
  std::size_t send_bits(const T* src, std::size_t want) noexcept {
    const std::size_t n = room_for(want);
    if (n == 0) return 0;
    const SlicePair<T> r = ring_->template run<T>(ring_->head_index(), n);
    std::memcpy(r.first.data(), src, r.first.size_bytes());
    if (!r.second.empty()) std::memcpy(r.second.data(), src + r.first.size(), r.second.size_bytes());
    ring_->commit_send(n);
    return n;
  }
  std::shared_ptr<detail::Ring<T>> ring_;
};

// The consumer end of a channel. Move-only; lent by the graph to one actor at a time.
template <class T>
class Rx {
 public:
  Rx() = default;
  explicit Rx(std::shared_ptr<detail::Ring<T>> ring) noexcept : ring_(std::move(ring)) {}
  Rx(Rx&&) noexcept = default;
  Rx& operator=(Rx&&) noexcept = default;
  Rx(const Rx&) = delete;
  Rx& operator=(const Rx&) = delete;

  [[nodiscard]] bool valid() const noexcept { return ring_ != nullptr; }
  [[nodiscard]] const std::string& name() const noexcept { return ring_->name(); }
  [[nodiscard]] std::uint64_t capacity() const noexcept { return ring_->capacity(); }
  // Messages ready to take now (exact for the consumer; the producer may add more meanwhile).
  [[nodiscard]] std::uint64_t avail_units() noexcept { return ring_->avail_units_fresh(); }
  [[nodiscard]] bool is_closed() const noexcept { return ring_->is_closed(); }
  // Closed by the producer and nothing left: the usual stop condition of a consumer.
  [[nodiscard]] bool is_closed_and_empty() noexcept { return ring_->is_closed_and_empty(); }

  // Take the oldest message, if any.
  [[nodiscard]] std::optional<T> try_take() noexcept(std::is_nothrow_move_constructible_v<T>) {
    if (ring_->avail_units() == 0) return std::nullopt;
    T* p = ring_->slot(ring_->tail_index());
    std::optional<T> out(std::move(*p));
    std::destroy_at(p);
    ring_->commit_take(1);
    return out;
  }
  // Look at the oldest message without taking it (nullptr when empty). Valid until the next take/advance.
  [[nodiscard]] const T* try_peek() noexcept {
    if (ring_->avail_units() == 0) return nullptr;
    return ring_->slot(ring_->tail_index());
  }
  // Move up to out.size() messages into `out`; returns how many.
  [[nodiscard]] std::size_t take_slice(std::span<T> out) noexcept(std::is_nothrow_move_assignable_v<T>) {
    std::uint64_t have = ring_->avail_units();
    if (have < out.size()) have = ring_->avail_units_fresh();
    const std::size_t n = std::min<std::uint64_t>(out.size(), have);
    if (n == 0) return 0;
    const std::uint64_t t = ring_->tail_index();
    if constexpr (std::is_trivially_copyable_v<T>) {  // whole runs at once; nothing to destroy
      const SlicePair<const T> r = ring_->template run<const T>(t, n);
      std::memcpy(out.data(), r.first.data(), r.first.size_bytes());
      if (!r.second.empty()) std::memcpy(out.data() + r.first.size(), r.second.data(), r.second.size_bytes());
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        T* p = ring_->slot(t + i);
        out[i] = std::move(*p);
        std::destroy_at(p);
      }
    }
    ring_->commit_take(n);
    return n;
  }
  // Zero-copy read: up to `max` ready messages as two spans (oldest first). Nothing is removed until advance_take.
  [[nodiscard]] SlicePair<const T> peek_slice(std::uint64_t max = ~std::uint64_t{0}) noexcept {
    const std::uint64_t n = std::min(max, ring_->avail_units_fresh());
    return ring_->template run<const T>(ring_->tail_index(), n);
  }
  // Remove (destroy) the n oldest messages, typically after their work succeeded. n ≤ avail_units().
  void advance_take(std::uint64_t n) noexcept {
    assert(n <= ring_->avail_units_fresh() && "advance_take past what is available");
    if constexpr (!std::is_trivially_destructible_v<T>) {
      const std::uint64_t t = ring_->tail_index();
      for (std::uint64_t i = 0; i < n; ++i) std::destroy_at(ring_->slot(t + i));
    }
    if (n != 0) ring_->commit_take(n);
  }

  [[nodiscard]] detail::Ring<T>& ring() const noexcept { return *ring_; }  // for the runtime and telemetry

 private:
  std::shared_ptr<detail::Ring<T>> ring_;
};

// Bundles: fixed arrays of identical channels. Context has lane waits for them (wait_avail_any, wait_vacant_any).
template <class T, std::size_t N>
using TxBundle = std::array<Tx<T>, N>;
template <class T, std::size_t N>
using RxBundle = std::array<Rx<T>, N>;

// A channel outside any graph (for tests of channel code, or hand-wired threads). Inside a graph use
// `graph.channel<T>()`, which also names the channel for telemetry and wires wake-ups to the actors.
template <class T>
[[nodiscard]] std::pair<Tx<T>, Rx<T>> make_channel(std::uint64_t capacity, std::string name = "channel") {
  auto ring = std::make_shared<detail::Ring<T>>(capacity, std::move(name));
  return {Tx<T>(ring), Rx<T>(ring)};
}

}  // namespace steady
