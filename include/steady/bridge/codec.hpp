// steady/bridge/codec.hpp — how messages become bytes when a channel crosses a process boundary.
//
// A codec is a type with two const member functions:
//
//   void encode(const T& value, std::vector<std::byte>& out) const;  // append the bytes of `value`
//   std::optional<T> decode(std::span<const std::byte> bytes) const;  // nullopt: malformed, dropped
//
// and, optionally, `static constexpr std::size_t fixed_size`: every message then encodes to exactly that many
// bytes and a frame is a plain array of them (no per-message length). Otherwise each message is framed as a
// 4-byte little-endian length followed by its bytes. A fixed-size codec may also declare
// `static constexpr bool bitwise = true` when its bytes are exactly the object representation of T (T
// trivially copyable, fixed_size == sizeof(T)), as the default codec's are: the bridges then copy whole runs
// of messages between channel and frame with memcpy instead of calling encode/decode once per message.
//
// Three ways to get one:
//   - trivially copyable types use steady::bridge::Codec<T> by default: memcpy of the object representation,
//     so both ends must agree on the layout (same type definition, endianness and ABI: fine between builds
//     of one program on one architecture; use your own codec for anything else);
//   - specialise steady::bridge::Codec<MyType> with the two functions above;
//   - or pass steady::bridge::function_codec<MyType>(encode, decode) to the bridge actor.
//
// A decode that returns nullopt never crashes the receiver: the ingress counts the message as malformed, logs
// a (rate-limited) line and delivers the rest of the frame. Codecs run on the bridge actor's thread.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace steady::bridge {

// The default codec: defined for trivially copyable types only. Specialise it for your own types.
template <class T>
struct Codec;

template <class T>
requires std::is_trivially_copyable_v<T>
struct Codec<T> {
  static constexpr std::size_t fixed_size = sizeof(T);
  static constexpr bool bitwise = true;  // the bytes are the object representation: frames copy whole runs
  void encode(const T& value, std::vector<std::byte>& out) const {
    const auto at = out.size();
    out.resize(at + sizeof(T));
    std::memcpy(out.data() + at, &value, sizeof(T));
  }
  [[nodiscard]] std::optional<T> decode(std::span<const std::byte> bytes) const noexcept {
    if (bytes.size() != sizeof(T)) return std::nullopt;
    T value;
    std::memcpy(&value, bytes.data(), sizeof(T));
    return value;
  }
};

// A codec made of two functions (lambdas, free functions). Variable-size framing.
template <class T>
struct FunctionCodec {
  std::function<void(const T&, std::vector<std::byte>&)> encode_fn;
  std::function<std::optional<T>(std::span<const std::byte>)> decode_fn;
  void encode(const T& value, std::vector<std::byte>& out) const { encode_fn(value, out); }
  [[nodiscard]] std::optional<T> decode(std::span<const std::byte> bytes) const { return decode_fn(bytes); }
};
template <class T, class Enc, class Dec>
[[nodiscard]] FunctionCodec<T> function_codec(Enc encode, Dec decode) {
  return {std::move(encode), std::move(decode)};
}

// What the bridge actors require of a codec.
template <class C, class T>
concept CodecFor = requires(const C& c, const T& v, std::vector<std::byte>& out,
                            std::span<const std::byte> in) {
  c.encode(v, out);
  { c.decode(in) } -> std::same_as<std::optional<T>>;
};

namespace detail {

template <class C>
concept FixedSizeCodec = requires {
  C::fixed_size;
}
&&(C::fixed_size > 0);

// A codec whose bytes are T's object representation (see `bitwise` above): a payload is a plain array of T.
template <class C, class T>
concept BitwiseCodec = FixedSizeCodec<C> && std::is_trivially_copyable_v<T> && requires {
  { C::bitwise } -> std::convertible_to<bool>;
} && C::bitwise && C::fixed_size == sizeof(T);

// How many messages of a fixed-size codec fill a frame of `max_bytes` payload (at least one): the same count
// as appending one message at a time until the payload reaches max_bytes.
[[nodiscard]] constexpr std::size_t fixed_batch(std::size_t max_bytes, std::size_t size) noexcept {
  return std::max<std::size_t>(1, (max_bytes + size - 1) / size);
}

inline void put_u32le(std::vector<std::byte>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xffu));
}
[[nodiscard]] inline std::uint32_t get_u32le(const std::byte* p) noexcept {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(p[i]) << (8 * i);
  return v;
}

// Append one message with the codec's framing.
template <class T, class C>
void encode_one(const C& codec, const T& value, std::vector<std::byte>& out) {
  if constexpr (FixedSizeCodec<C>) {
    codec.encode(value, out);
  } else {
    const auto at = out.size();
    put_u32le(out, 0);  // length, patched below
    codec.encode(value, out);
    const auto len = static_cast<std::uint32_t>(out.size() - at - 4);
    for (int i = 0; i < 4; ++i) out[at + i] = static_cast<std::byte>((len >> (8 * i)) & 0xffu);
  }
}

// What decoding one frame's payload found.
struct DecodeTally {
  std::size_t malformed = 0;  // messages the codec refused, or that the framing could not delimit
};

// Decode the `count` messages of `payload`; for message i (0-based) call deliver(i, T&&) unless i < skip
// (already delivered before: a resend). Malformed messages are counted, not delivered. Never throws on bad
// input; a truncated or overlong payload counts every message it cannot delimit as malformed.
template <class T, class C, class Deliver>
DecodeTally decode_payload(const C& codec, std::span<const std::byte> payload, std::size_t count,
                           std::size_t skip, Deliver&& deliver) {
  DecodeTally t;
  if constexpr (FixedSizeCodec<C>) {
    constexpr std::size_t k = C::fixed_size;
    if (payload.size() != count * k) {
      t.malformed = count > skip ? count - skip : 0;
      return t;
    }
    for (std::size_t i = skip; i < count; ++i) {
      auto v = codec.decode(payload.subspan(i * k, k));
      if (v)
        deliver(i, std::move(*v));
      else
        ++t.malformed;
    }
  } else {
    std::size_t at = 0;
    for (std::size_t i = 0; i < count; ++i) {
      if (payload.size() - at < 4) {
        t.malformed += count - std::max(i, skip);
        return t;
      }
      const std::size_t len = get_u32le(payload.data() + at);
      at += 4;
      if (payload.size() - at < len) {
        t.malformed += count - std::max(i, skip);
        return t;
      }
      if (i >= skip) {
        auto v = codec.decode(payload.subspan(at, len));
        if (v)
          deliver(i, std::move(*v));
        else
          ++t.malformed;
      }
      at += len;
    }
    if (at != payload.size())
      ++t.malformed;  // trailing bytes: count the frame's tail as one malformed message
  }
  return t;
}

// Where decoding one frame's payload a part at a time has got to (the ZeroMQ ingress decodes only as many
// messages as its channel has room for, and keeps its place in the frame meanwhile). Same rules as
// decode_payload.
struct PayloadCursor {
  std::size_t count = 0;  // messages in the payload
  std::size_t skip = 0;   // the first `skip` were delivered before (a resend): passed over, not decoded
  std::size_t next = 0;   // index of the next message
  std::size_t at = 0;     // its byte offset (variable-size framing)
  [[nodiscard]] bool done() const noexcept { return next >= count; }
};

// Start on a payload of `count` messages. Returns the messages found malformed at once: all those not skipped
// when a fixed-size payload has the wrong length (the cursor is then done).
template <class C>
std::size_t open_payload(std::span<const std::byte> payload, std::size_t count, std::size_t skip,
                         PayloadCursor& c) noexcept {
  c = {count, skip, 0, 0};
  if constexpr (FixedSizeCodec<C>) {
    c.next = std::min(skip, count);
    if (payload.size() != count * C::fixed_size) {
      c.next = count;
      return count > skip ? count - skip : 0;
    }
  } else if (count == 0 && !payload.empty()) {
    return 1;  // no message, yet bytes: trailing bytes, one malformed message (as decode_payload counts them)
  }
  return 0;
}

// Decode from the cursor, calling deliver(T&&) for each good message, until `room` were delivered or the
// payload is done. Returns how many malformed messages it passed (codec refusals; what the framing cannot
// delimit; trailing bytes after the last message count as one). Never throws on bad input.
template <class T, class C, class Deliver>
std::size_t decode_some(const C& codec, std::span<const std::byte> payload, PayloadCursor& c,
                        std::size_t room, Deliver&& deliver) {
  std::size_t malformed = 0, delivered = 0;
  if constexpr (FixedSizeCodec<C>) {
    constexpr std::size_t k = C::fixed_size;
    for (; c.next < c.count && delivered < room; ++c.next) {
      auto v = codec.decode(payload.subspan(c.next * k, k));
      if (v) {
        deliver(std::move(*v));
        ++delivered;
      } else {
        ++malformed;
      }
    }
  } else {
    while (c.next < c.count && delivered < room) {
      const std::size_t len = payload.size() - c.at < 4 ? ~std::size_t{0} : get_u32le(payload.data() + c.at);
      if (len == ~std::size_t{0} || payload.size() - c.at - 4 < len) {
        malformed += c.count - std::max(c.next, c.skip);  // the rest cannot be delimited
        c.next = c.count;
        c.at = payload.size();
        return malformed;
      }
      c.at += 4;
      if (c.next >= c.skip) {
        auto v = codec.decode(payload.subspan(c.at, len));
        if (v) {
          deliver(std::move(*v));
          ++delivered;
        } else {
          ++malformed;
        }
      }
      c.at += len;
      ++c.next;
    }
    if (c.next == c.count && c.at != payload.size()) {
      ++malformed;  // trailing bytes: count the frame's tail as one malformed message
      c.at = payload.size();
    }
  }
  return malformed;
}

}  // namespace detail
}  // namespace steady::bridge
