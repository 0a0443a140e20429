// fuzz/state.cpp — libFuzzer target: the persisted-state loader (src/state.cpp) on arbitrary file contents.
//
// The input is a whole state file. It goes through detail::decode_state_file (magic, format, size, checksum,
// version) for the version this build expects (1) and for the version the header claims, then through the codecs
// a State would apply to the payload: the default one (trivially copyable S) and a variable-length one like a
// user's StateCodec specialisation. Checked on every input, beyond "no crash, no sanitizer report":
//   - a file that loads re-encodes to exactly the same bytes (the format has one encoding per payload);
//   - any payload encodes to a file that loads back to it (round trip), for both versions;
//   - a load error names the file (`where`), so a user can act on it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>

#include "steady/state.hpp"

namespace {

// What a service might persist (06_durable_pipeline keeps counters like these).
struct Totals {
  std::uint64_t seen = 0;
  std::uint64_t bad = 0;
  double mean = 0;
  std::uint32_t stage = 0;
};

// A variable-length codec, as users write for non-trivial state: "<count>\n" then count lines.
struct Lines {
  std::string text;
  std::size_t count = 0;
};

bool decode_lines(std::string_view bytes, Lines& out) {
  const auto nl = bytes.find('\n');
  if (nl == std::string_view::npos || nl == 0 || nl > 9) return false;
  std::size_t n = 0;
  for (char c : bytes.substr(0, nl)) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  std::size_t lines = 0;
  for (char c : bytes.substr(nl + 1)) lines += c == '\n' ? 1 : 0;
  if (lines != n) return false;
  out.text = std::string(bytes.substr(nl + 1));
  out.count = n;
  return true;
}

void check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  std::cerr << "fuzz_state: " << what << " (input of " << input.size() << " bytes)\n";
  std::abort();
}

const std::string kWhere = "state file 'fuzz.state'";

void load(std::string_view data, std::uint32_t version) {
  auto r = steady::detail::decode_state_file(data, kWhere, version);
  if (!r) {
    check(r.error().rfind(kWhere, 0) == 0, "a load error that does not name the file", data);
    return;
  }
  const std::string& payload = r.value();
  check(steady::detail::encode_state_file(version, payload) == data, "a loaded file re-encodes differently", data);
  Totals t;
  const bool fits = steady::StateCodec<Totals>::decode(payload, t);
  check(fits == (payload.size() == sizeof(Totals)), "the default codec accepted a payload of the wrong size", data);
  if (fits) check(steady::StateCodec<Totals>::encode(t) == payload, "the default codec does not round-trip", data);
  Lines l;
  (void)decode_lines(payload, l);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  load(in, 1);
  if (size >= 16) {
    std::uint32_t claimed = 0;
    std::memcpy(&claimed, data + 12, 4);
    if (claimed != 1) load(in, claimed);
  }
  // Round trip: the input as a payload.
  for (std::uint32_t version : {1u, 7u}) {
    const std::string file = steady::detail::encode_state_file(version, in);
    auto back = steady::detail::decode_state_file(file, kWhere, version);
    check(back && back.value() == in, "encode then decode lost the payload", in);
    auto other = steady::detail::decode_state_file(file, kWhere, version + 1);
    check(!other, "a file loaded under another state version", in);
  }
  return 0;
}
