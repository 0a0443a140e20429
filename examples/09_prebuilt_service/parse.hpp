// examples/09_prebuilt_service/parse.hpp — the one actor of example 09 that is not prebuilt: it turns POSTed
// bodies into normalised records.
//
// A body holds one record per line, each a list of `key=value` pairs separated by spaces:
//   "User=ann  action=login"   ->  "action=login user=ann"
// Keys are lower-cased and sorted; pairs are joined by one space. A line is rejected (counted, not passed on)
// when a word has no '=', an empty key, a key with characters other than letters, digits, '_', '.', '-', or a
// key given twice. Blank lines are skipped. Values are kept as they are (no spaces, since spaces separate the
// pairs).
//
// The actor reads bodies (Rx<std::string>, one per HTTP request) and writes records (Tx<std::string>). A body
// may hold more records than there is room for: the rest wait in ParseState::pending and go out first, as
// room appears, before the next body is read; so records leave in the order they arrived and none is dropped.
// It vetoes a stop until its input is closed and drained and nothing is pending.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <steady/steady.hpp>

namespace prebuilt_service {

// The normalised form of one line, or nothing when the line is not a valid record (see the header comment).
// A blank line gives an empty string.
[[nodiscard]] inline std::optional<std::string> normalise(std::string_view line) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i])) != 0) ++i;
    std::size_t end = i;
    while (end < line.size() && std::isspace(static_cast<unsigned char>(line[end])) == 0) ++end;
    if (end == i) break;
    const std::string_view word = line.substr(i, end - i);
    i = end;
    const std::size_t eq = word.find('=');
    if (eq == std::string_view::npos || eq == 0) return std::nullopt;
    std::string key(word.substr(0, eq));
    for (char& c : key) {
      const auto u = static_cast<unsigned char>(c);
      if (std::isalnum(u) == 0 && c != '_' && c != '.' && c != '-') return std::nullopt;
      c = static_cast<char>(std::tolower(u));
    }
    pairs.emplace_back(std::move(key), std::string(word.substr(eq + 1)));
  }
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t k = 1; k < pairs.size(); ++k)
    if (pairs[k].first == pairs[k - 1].first) return std::nullopt;  // a key given twice
  std::string out;
  for (const auto& [key, value] : pairs) out += (out.empty() ? "" : " ") + key + "=" + value;
  return out;
}

// The actor's state: records not yet sent, and counts (read by main after the stop).
struct ParseState {
  std::deque<std::string> pending;
  std::uint64_t bodies = 0;    // bodies read
  std::uint64_t records = 0;   // records sent
  std::uint64_t rejected = 0;  // lines that were not valid records
};

// Every line of `body` into st.pending (or st.rejected).
inline void parse_body(std::string_view body, ParseState& st) {
  ++st.bodies;
  while (!body.empty()) {
    const std::size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view{} : body.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (std::optional<std::string> rec = normalise(line)) {
      if (!rec->empty()) st.pending.push_back(std::move(*rec));
    } else {
      ++st.rejected;
    }
  }
}

// Send what is pending while there is room.
inline void flush(steady::Tx<std::string>& out, ParseState& st) {
  while (!st.pending.empty() && out.vacant_units() > 0) {
    if (!out.try_send(std::move(st.pending.front())).sent()) return;  // closed: the graph is stopping
    st.pending.pop_front();
    ++st.records;
  }
}

inline steady::Task parse(steady::Context& ctx, steady::Rx<std::string>& bodies, steady::Tx<std::string>& out,
                          ParseState& st) {
  auto vote = [&] {
    if (!st.pending.empty()) return steady::veto(std::to_string(st.pending.size()) + " records not sent yet");
    return steady::drained(bodies);
  };
  while (ctx.is_running(vote)) {
    if (st.pending.empty())
      co_await ctx.wait_all(steady::avail(bodies, 1));  // a closed input counts, so the end is noticed
    else
      co_await ctx.wait_all(steady::vacant(out, 1));
    flush(out, st);
    while (st.pending.empty()) {
      std::optional<std::string> body = bodies.try_take();
      if (!body) break;
      parse_body(*body, st);
      flush(out, st);
    }
    if (bodies.is_closed_and_empty() && st.pending.empty()) co_return;  // returning closes `records`
  }
}

}  // namespace prebuilt_service
