// steady/bridge/codec.hpp — how messages become bytes when a channel crosses a process boundary.
//
// A codec is a type with two const member functions:
//
//   void encode(const T& value, std::vector<std::byte>& out) const;  // append the bytes of `value`
//   std::optional<T> decode(std::span<const std::byte> bytes) const;  // nullopt: malformed, dropped
//
// and, optionally, `static constexpr std::size_t fixed_size`: every message then encodes to exactly that many
// bytes and a frame is a plain array of them (no per-message length). Otherwise each message is framed as a
// 4-byte little-endian length followed by its bytes.
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

}  // namespace detail
}  // namespace steady::bridge
