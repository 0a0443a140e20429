// fuzz/bridge_frame.cpp — libFuzzer target: how the bridges turn received bytes into messages
// (steady/bridge/codec.hpp, read_header in src/bridge/zmq.cpp, nats_read_header in src/bridge/nats.cpp).
//
// Input: 3 control bytes, then the bytes of one received ZeroMQ frame or NATS message payload.
//   byte 0  bit 0: ZeroMQ frame (0) or NATS payload (1); bits 1-2: the codec (below)
//   byte 1  how many messages were delivered before (a resend's skip), at most the frame's count
//   byte 2  the room of the receiving channel per pass (1..16), as the ZeroMQ ingress decodes a frame a part
//           at a time
// Codecs: the default one of a trivially copyable type (bitwise: the ingress memcpys whole runs), a fixed-size
// one that refuses some values, a variable-size one (strings), and a variable-size one that refuses some.
// The ZeroMQ path is the ingress's: read_header, then for a data frame open_payload + decode_some pass after pass
// (or the memcpy run of a bitwise codec); the NATS path: nats_read_header, then decode_payload.
// Checked on every input, beyond "no crash, no sanitizer report, no hang":
//   - messages delivered + malformed = count - skip (+1 for trailing bytes, variable-size framing only);
//   - decoding a part at a time (decode_some) delivers exactly what decoding at once (decode_payload) does;
//   - a header that reads back re-encodes to the same 32 bytes (the ZeroMQ header has one encoding).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <steady/bridge/codec.hpp>
#include <steady/bridge/zmq.hpp>
#ifdef STEADY_FUZZ_NATS
#include <steady/bridge/nats.hpp>
#endif

namespace sb = steady::bridge;
namespace sd = steady::bridge::detail;

namespace {

void check(bool ok, const char* what) {
  if (ok) return;
  std::cerr << "fuzz_bridge_frame: " << what << "\n";
  std::abort();
}

struct Tick {  // a trivially copyable message: the default, bitwise codec
  std::uint64_t seq;
  std::uint32_t value;
  std::uint32_t flags;
  bool operator==(const Tick&) const = default;
};

struct Reading {  // six bytes, not bitwise: the codec checks a sensor id
  std::uint16_t sensor;
  std::int32_t value;
  bool operator==(const Reading&) const = default;
};
struct ReadingCodec {
  static constexpr std::size_t fixed_size = 6;
  void encode(const Reading& r, std::vector<std::byte>& out) const {
    const auto at = out.size();
    out.resize(at + 6);
    std::memcpy(out.data() + at, &r.sensor, 2);
    std::memcpy(out.data() + at + 2, &r.value, 4);
  }
  [[nodiscard]] std::optional<Reading> decode(std::span<const std::byte> b) const {
    if (b.size() != 6) return std::nullopt;
    Reading r{};
    std::memcpy(&r.sensor, b.data(), 2);
    std::memcpy(&r.value, b.data() + 2, 4);
    if (r.sensor >= 1000) return std::nullopt;  // no such sensor: malformed
    return r;
  }
};

struct TextCodec {  // variable size; `strict` refuses bytes that are not printable ASCII
  bool strict = false;
  void encode(const std::string& s, std::vector<std::byte>& out) const {
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    out.insert(out.end(), p, p + s.size());
  }
  [[nodiscard]] std::optional<std::string> decode(std::span<const std::byte> b) const {
    std::string s(reinterpret_cast<const char*>(b.data()), b.size());
    if (strict && std::any_of(s.begin(), s.end(), [](char c) { return c < 0x20 || c > 0x7e; })) return std::nullopt;
    return s;
  }
};

// One payload of `count` messages, skipping `skip`: at once, then a part at a time, compared.
template <class T, class C>
void decode_both(const C& codec, std::span<const std::byte> payload, std::size_t count, std::size_t skip,
                 std::size_t room) {
  std::vector<T> whole;
  std::size_t last = 0;
  const sd::DecodeTally tally = sd::decode_payload<T>(codec, payload, count, skip, [&](std::size_t i, T&& v) {
    check(i >= skip && i < count && (whole.empty() || i > last), "decode_payload delivered an index out of order");
    last = i;
    whole.push_back(std::move(v));
  });
  const bool trailing_possible = !sd::FixedSizeCodec<C>;
  const std::size_t expected = count - skip;
  check(whole.size() + tally.malformed == expected ||
            (trailing_possible && whole.size() + tally.malformed == expected + 1),
        "decode_payload: delivered + malformed != count - skip");

  std::vector<T> parts;
  sd::PayloadCursor c;
  std::size_t malformed = sd::open_payload<C>(payload, count, skip, c);
  if constexpr (sd::BitwiseCodec<C, T>) {
    // The ZeroMQ ingress's bulk path: copy runs of whole messages straight out of the frame.
    while (!c.done()) {
      const std::size_t n = std::min<std::size_t>(room, c.count - c.next);
      check(payload.size() >= (c.next + n) * sizeof(T), "a bitwise run past the end of the payload");
      const std::size_t at = parts.size();
      parts.resize(at + n);
      std::memcpy(static_cast<void*>(parts.data() + at), payload.data() + c.next * sizeof(T), n * sizeof(T));
      c.next += n;
    }
  } else {
    for (std::size_t passes = 0; !c.done(); ++passes) {
      check(passes <= count + 1, "decode_some makes no progress");
      malformed += sd::decode_some<T>(codec, payload, c, room, [&](T&& v) { parts.push_back(std::move(v)); });
    }
  }
  check(parts == whole, "decode_some and decode_payload delivered different messages");
  check(malformed == tally.malformed, "decode_some and decode_payload counted different malformed messages");
}

template <class T, class C>
void zmq_frame(const C& codec, std::span<const std::byte> frame, std::size_t skip_wish, std::size_t room) {
  const auto h = sd::read_header(frame);
  if (!h) return;
  std::vector<std::byte> again;
  sd::write_header(again, *h);
  check(std::equal(again.begin(), again.end(), frame.begin()) ||
            // bytes [5,8) and [28,32) are written as zero and not checked on reading
            (std::equal(again.begin(), again.begin() + 5, frame.begin()) &&
             std::equal(again.begin() + 8, again.begin() + 28, frame.begin() + 8)),
        "a header read back re-encodes differently");
  if (h->kind != sd::FrameKind::data) return;
  decode_both<T>(codec, frame.subspan(sd::kHeaderBytes), h->count, std::min<std::size_t>(skip_wish, h->count),
                 room);
}

#ifdef STEADY_FUZZ_NATS
template <class T, class C>
void nats_payload(const C& codec, std::span<const std::byte> payload, std::size_t skip_wish, std::size_t room) {
  const auto count = sd::nats_read_header(payload);
  if (!count) return;
  decode_both<T>(codec, payload.subspan(sd::kNatsHeaderBytes), *count, std::min<std::size_t>(skip_wish, *count),
                 room);
}
#endif

template <class T, class C>
void run(const C& codec, bool nats, std::span<const std::byte> bytes, std::size_t skip, std::size_t room) {
#ifdef STEADY_FUZZ_NATS
  if (nats) {
    nats_payload<T>(codec, bytes, skip, room);
    return;
  }
#else
  (void)nats;
#endif
  zmq_frame<T>(codec, bytes, skip, room);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const bool nats = (data[0] & 1) != 0;
  const unsigned codec = (data[0] >> 1) & 3;
  const std::size_t skip = data[1];
  const std::size_t room = 1 + data[2] % 16;
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data + 3), size - 3);
  switch (codec) {
    case 0:
      run<Tick>(sb::Codec<Tick>{}, nats, bytes, skip, room);
      break;
    case 1:
      run<Reading>(ReadingCodec{}, nats, bytes, skip, room);
      break;
    case 2:
      run<std::string>(TextCodec{false}, nats, bytes, skip, room);
      break;
    default:
      run<std::string>(TextCodec{true}, nats, bytes, skip, room);
      break;
  }
  return 0;
}
