// labels.cpp — parsing label tokens and structured attributes (see labels.hpp).
#include "labels.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>

#include "names.hpp"

namespace steady_gen {

namespace {

constexpr std::array<std::string_view, 5> kDrivers{"AtLeastEvery", "AtMostEvery", "OnEvent", "OnCapacity",
                                                   "Other"};
constexpr std::string_view kUnits = "us, ms, s (or sec), min";

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b])) != 0) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1])) != 0) --e;
  return std::string(s.substr(b, e - b));
}

// Collapse runs of whitespace (and lone "&&" glue) into single spaces.
std::string tidy_prose(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  std::string cleaned;
  std::size_t i = 0;
  while (i < out.size()) {  // drop "&&" left between removed drivers
    if (out.compare(i, 2, "&&") == 0) {
      i += 2;
      continue;
    }
    cleaned += out[i++];
  }
  return trim(cleaned);
}

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// A run of non-space characters starting at `from`, without trailing sentence punctuation.
std::string word_at(std::string_view s, std::size_t from) {
  std::size_t e = from;
  while (e < s.size() && std::isspace(static_cast<unsigned char>(s[e])) == 0) ++e;
  std::string w(s.substr(from, e - from));
  while (!w.empty() && (w.back() == '.' || w.back() == ',' || w.back() == ';')) w.pop_back();
  return w;
}

// One `name::value` token; returns the value and blanks the token out of `text`.
std::optional<std::string> take_prefixed(std::string& text, std::string_view prefix, const Reporter& r) {
  std::optional<std::string> found;
  std::size_t pos = 0;
  while ((pos = text.find(prefix, pos)) != std::string::npos) {
    if (pos > 0 && is_word_char(text[pos - 1])) {
      pos += prefix.size();
      continue;
    }
    std::string value = word_at(text, pos + prefix.size());
    if (found)
      r.error("two " + std::string(prefix) + " tokens ('" + *found + "' and '" + value + "')",
              "keep one " + std::string(prefix) + "name token in the label");
    else
      found = value;
    const std::size_t len = prefix.size() + value.size();
    text.replace(pos, len, std::string(len, ' '));
  }
  return found;
}

struct DriverToken {
  std::string_view name;
  std::string args;
  std::size_t begin, end;  // in the text
};

// Finds Name(args) tokens of known drivers; reports near-miss spellings and unclosed parentheses.
std::vector<DriverToken> find_drivers(std::string_view text, const Reporter& r) {
  std::vector<DriverToken> out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!std::isupper(static_cast<unsigned char>(text[i])) || (i > 0 && is_word_char(text[i - 1]))) {
      ++i;
      continue;
    }
    std::size_t e = i;
    while (e < text.size() && std::isalpha(static_cast<unsigned char>(text[e])) != 0) ++e;
    std::size_t p = e;
    while (p < text.size() && text[p] == ' ') ++p;
    if (p >= text.size() || text[p] != '(') {
      i = e;
      continue;
    }
    const std::string_view word = text.substr(i, e - i);
    const auto known = std::find(kDrivers.begin(), kDrivers.end(), word);
    if (known == kDrivers.end()) {
      for (std::string_view d : kDrivers)
        if (edit_distance(word, d) <= 2) {
          r.error("unknown driver '" + std::string(word) + "(...)'",
                  "did you mean " + std::string(d) + "(...)?");
          break;
        }
      i = e;
      continue;
    }
    const std::size_t close = text.find(')', p);
    if (close == std::string_view::npos) {
      r.error(std::string(word) + "( is not closed",
              "write " + std::string(word) + "(...) with a closing ')'");
      return out;
    }
    out.push_back({*known, std::string(text.substr(p + 1, close - p - 1)), i, close + 1});
    i = close + 1;
  }
  return out;
}

std::optional<ChannelRef> parse_ref(std::string_view raw, std::string_view driver, const Reporter& r) {
  const std::string ref = trim(raw);
  const std::string example = std::string(driver) + "(" + (ref.empty() ? "chan" : ref) + ":1)";
  std::vector<std::string> parts;
  std::size_t b = 0;
  for (std::size_t k = 0; k <= ref.size(); ++k)
    if (k == ref.size() || ref[k] == ':') {
      parts.push_back(trim(std::string_view(ref).substr(b, k - b)));
      b = k + 1;
    }
  if (ref.empty() || parts[0].empty()) {
    r.error(std::string(driver) + "(" + std::string(raw) + ") names no channel",
            "write " + std::string(driver) + "(chan:N), e.g. " + std::string(driver) + "(orders:32)");
    return std::nullopt;
  }
  ChannelRef out;
  out.channel = parts[0];
  if (const std::string why = identifier_problem(out.channel); !why.empty()) {
    r.error("channel '" + out.channel + "' in " + std::string(driver) + "(...) is not a valid identifier (" +
                why + ")",
            "use the channel's name:: token, e.g. " + std::string(driver) + "(orders:32)");
    return std::nullopt;
  }
  if (parts.size() < 2) {
    r.error(std::string(driver) + "(" + ref + ") has no count N", "write " + example);
    return std::nullopt;
  }
  if (parts.size() > 3) {
    r.error("'" + ref + "' has too many ':' parts", "write chan:N or, on a bundle, chan:N:50%");
    return std::nullopt;
  }
  const auto n = parse_u64(parts[1]);
  if (!n) {
    r.error("N '" + parts[1] + "' in " + std::string(driver) + "(" + ref +
                ") is not a whole number (non-numeric)",
            "write a count of messages, e.g. " + std::string(driver) + "(" + out.channel + ":16)");
    return std::nullopt;
  }
  if (*n == 0) {
    r.error("N in " + std::string(driver) + "(" + ref + ") is 0",
            "N is at least 1, e.g. " + std::string(driver) + "(" + out.channel + ":1)");
    return std::nullopt;
  }
  out.n = *n;
  if (parts.size() == 3) {
    std::string f = parts[2];
    double v = -1;
    const bool percent = !f.empty() && f.back() == '%';
    if (percent) f.pop_back();
    const auto res = std::from_chars(f.data(), f.data() + f.size(), v);
    if (res.ec != std::errc{} || res.ptr != f.data() + f.size()) v = -1;
    if (percent) v /= 100.0;
    if (!(v > 0.0 && v <= 1.0)) {
      r.error("lane fraction '" + parts[2] + "' in " + std::string(driver) + "(" + ref + ") is not in (0, 1]",
              "write a percentage or a fraction, e.g. " + out.channel + ":" + parts[1] + ":50% or :0.5");
      return std::nullopt;
    }
    out.fraction = v;
  }
  return out;
}

std::optional<RefGroup> parse_refs(std::string_view args, std::string_view driver, const Reporter& r) {
  RefGroup g;
  std::size_t b = 0;
  bool ok = true;
  const std::string a(args);
  for (;;) {
    const std::size_t bar = a.find("||", b);
    const std::string_view part =
        std::string_view(a).substr(b, bar == std::string::npos ? std::string::npos : bar - b);
    if (auto ref = parse_ref(part, driver, r))
      g.push_back(*ref);
    else
      ok = false;
    if (bar == std::string::npos) break;
    b = bar + 2;
  }
  if (!ok) return std::nullopt;
  return g;
}

// Applies the driver tokens found in `text`; returns the text with them blanked out.
std::string apply_drivers(std::string_view text, Drivers& d, const Reporter& r, bool& any) {
  std::string rest(text);
  const auto tokens = find_drivers(text, r);
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    const DriverToken& t = tokens[k];
    any = true;
    if (k > 0) {  // what joins this driver to the previous one
      const std::string_view glue = text.substr(tokens[k - 1].end, t.begin - tokens[k - 1].end);
      if (glue.find("||") != std::string_view::npos)
        r.error("drivers are joined with '&&', not '||'",
                "to wake on any of several channels write one OnEvent(a:1 || b:1)");
    }
    if (t.name == "AtLeastEvery" || t.name == "AtMostEvery") {
      auto dur = parse_duration(t.args, t.name, r);
      auto& slot = t.name == "AtLeastEvery" ? d.at_least_every : d.at_most_every;
      if (dur && slot)
        r.error("two " + std::string(t.name) + "(...) drivers", "keep one");
      else if (dur)
        slot = dur;
    } else if (t.name == "OnEvent" || t.name == "OnCapacity") {
      if (auto g = parse_refs(t.args, t.name, r))
        (t.name == "OnEvent" ? d.on_event : d.on_capacity).push_back(*g);
    } else {  // Other
      const std::string name = trim(t.args);
      if (const std::string why = identifier_problem(name); !why.empty())
        r.error("Other(" + name + "): the event name " + why, "write Other(my_event) with a C++ identifier");
      else
        d.other.push_back(name);
    }
    if (!d.text.empty()) d.text += " && ";
    d.text += std::string(text.substr(t.begin, t.end - t.begin));
    rest.replace(t.begin, t.end - t.begin, std::string(t.end - t.begin, ' '));
  }
  if (d.at_least_every && d.at_most_every)
    r.error("both AtLeastEvery and AtMostEvery",
            "keep one timer: AtLeastEvery (wake at least this often) or "
            "AtMostEvery (wake no more often than this)");
  return rest;
}

}  // namespace

std::string unescape_label(std::string_view raw) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size()) {
      const char n = raw[i + 1];
      if (n == 'n' || n == 'l' || n == 'r') {
        out += '\n';
        ++i;
        continue;
      }
      if (n == '"' || n == '\\') {
        out += n;
        ++i;
        continue;
      }
    }
    out += raw[i];
  }
  return out;
}

std::optional<Duration> parse_duration(std::string_view text, std::string_view context, const Reporter& r) {
  const std::string t = trim(text);
  const std::string ctx(context);
  if (t.empty()) {
    r.error(ctx + "() has no duration", "write " + ctx + "(100ms) (units: " + std::string(kUnits) + ")");
    return std::nullopt;
  }
  std::size_t k = 0;
  while (k < t.size() && t[k] >= '0' && t[k] <= '9') ++k;
  const std::string digits = t.substr(0, k);
  const std::string unit = trim(std::string_view(t).substr(k));
  if (digits.empty()) {
    r.error("duration '" + t + "' in " + ctx + "(" + t + ") is not a whole number with a unit",
            "write " + ctx + "(100ms) (units: " + std::string(kUnits) + ")");
    return std::nullopt;
  }
  if (unit.empty()) {
    r.error("duration '" + t + "' in " + ctx + "(" + t + ") has no unit",
            "write " + ctx + "(" + digits + "ms) or another unit: " + std::string(kUnits));
    return std::nullopt;
  }
  std::int64_t scale = 0;
  if (unit == "us")
    scale = 1'000;
  else if (unit == "ms")
    scale = 1'000'000;
  else if (unit == "s" || unit == "sec")
    scale = 1'000'000'000;
  else if (unit == "min")
    scale = 60'000'000'000;
  if (scale == 0) {
    r.error("duration '" + t + "' in " + ctx + "(" + t + ") has an unknown unit '" + unit + "'",
            "units: " + std::string(kUnits) + ", e.g. " + ctx + "(" + digits + "ms)");
    return std::nullopt;
  }
  const auto v = parse_u64(digits);
  if (!v || *v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / scale)) {
    r.error("duration '" + t + "' is too long", "use a bigger unit or a smaller number");
    return std::nullopt;
  }
  if (*v == 0) {
    r.error("duration '" + t + "' in " + ctx + "(" + t + ") is zero",
            "a period is longer than 0, e.g. " + ctx + "(1ms)");
    return std::nullopt;
  }
  return Duration{static_cast<std::int64_t>(*v) * scale, digits + unit};
}

NodeTokens parse_node_label(std::string_view text, const Reporter& r) {
  NodeTokens out;
  std::string rest(text);
  out.module = take_prefixed(rest, "mod::", r);
  rest = apply_drivers(rest, out.drivers, r, out.has_drivers);
  out.prose = tidy_prose(rest);
  return out;
}

Drivers parse_driver_attribute(std::string_view text, const Reporter& r) {
  Drivers d;
  bool any = false;
  const std::string rest = tidy_prose(apply_drivers(text, d, r, any));
  if (!rest.empty())
    r.error("driver attribute: '" + rest + "' is not a driver",
            "drivers are AtLeastEvery(D), AtMostEvery(D), OnEvent(chan:N || ...), OnCapacity(chan:N), "
            "Other(name), "
            "joined by &&");
  return d;
}

std::optional<Mode> parse_mode(std::string_view text, const Reporter& r) {
  const std::string t = trim(text);
  if (t == "Take") return Mode::take;
  if (t == "TakeCopy") return Mode::take_copy;
  if (t == "PeekCopy") return Mode::peek_copy;
  r.error("unknown mode '" + t + "'",
          "write >>Take (ownership moves), >>TakeCopy (trivially copyable, batches) or "
          ">>PeekCopy (trivially copyable, committed after processing)");
  return std::nullopt;
}

std::optional<std::uint64_t> parse_count(std::string_view text, std::string_view what,
                                         std::string_view example, const Reporter& r) {
  const std::string t = trim(text);
  const auto v = parse_u64(t);
  if (!v) {
    r.error(std::string(what) + " '" + t + "' is not a whole number (non-numeric)",
            "write " + std::string(example));
    return std::nullopt;
  }
  if (*v == 0) {
    r.error(std::string(what) + " is 0: a channel must hold at least one message",
            "write " + std::string(example));
    return std::nullopt;
  }
  if (*v > (std::uint64_t{1} << 32)) {
    r.error(std::string(what) + " " + t + " is too large (channels allocate it up front)",
            "write " + std::string(example));
    return std::nullopt;
  }
  return v;
}

bool check_type_name(std::string_view type, const Reporter& r) {
  const std::string why = identifier_problem(type);
  const std::string suggestion = camel_case(snake_case(type));
  if (!why.empty()) {
    r.error("message type '" + std::string(type) + "' is not a valid C++ identifier (" + why + ")",
            "write a CamelCase struct name such as <" +
                (suggestion.empty() ? std::string("MyMessage") : suggestion) + ">");
    return false;
  }
  if (!std::isupper(static_cast<unsigned char>(type.front()))) {
    r.error("message type '" + std::string(type) + "' must start with a capital letter (a type identifier)",
            "write <" + suggestion + ">");
    return false;
  }
  return true;
}

bool check_snake_name(std::string_view name, std::string_view what, std::string_view token,
                      const Reporter& r) {
  const std::string why = identifier_problem(name);
  std::string suggestion = snake_case(name);
  if (!suggestion.empty() && is_cpp_keyword(suggestion))
    suggestion += what == std::string_view("channel name") ? "_channel" : "_actor";
  if (suggestion.empty() || !identifier_problem(suggestion).empty()) suggestion = "my_name";
  if (!why.empty()) {
    r.error(std::string(what) + " '" + std::string(name) + "' is not a valid C++ identifier (" + why + ")",
            "write " + std::string(token) + suggestion);
    return false;
  }
  if (name != snake_case(name)) {
    r.error(std::string(what) + " '" + std::string(name) + "' is not snake_case",
            "write " + std::string(token) + suggestion);
    return false;
  }
  return true;
}

EdgeTokens parse_edge_label(std::string_view text, const Reporter& r) {
  EdgeTokens out;
  std::string rest(text);
  out.name = take_prefixed(rest, "name::", r);
  // >>Mode first, so that its '>' characters are not mistaken for the end of a <Type>.
  for (std::size_t pos = rest.find(">>"); pos != std::string::npos; pos = rest.find(">>", pos)) {
    std::size_t e = pos + 2;
    while (e < rest.size() && std::isalpha(static_cast<unsigned char>(rest[e])) != 0) ++e;
    const std::string word = rest.substr(pos + 2, e - pos - 2);
    if (auto m = parse_mode(word.empty() ? ">>" : word, r)) {
      if (out.mode && *out.mode != *m)
        r.error("two modes (>>" + std::string(mode_token(*out.mode)) + " and >>" + word + ")", "keep one");
      out.mode = m;
    }
    rest.replace(pos, e - pos, std::string(e - pos, ' '));
  }
  for (std::size_t pos = rest.find('<'); pos != std::string::npos; pos = rest.find('<', pos)) {
    const std::size_t close = rest.find_first_of(">\n", pos + 1);
    if (close == std::string::npos || rest[close] != '>') {
      r.error("'<' without a closing '>'", "write the message type as <TypeName>");
      break;
    }
    const std::string type = rest.substr(pos + 1, close - pos - 1);
    if (out.type)
      r.error("two message types (<" + *out.type + "> and <" + type + ">)", "keep one <TypeName>");
    else
      out.type = type;
    rest.replace(pos, close + 1 - pos, std::string(close + 1 - pos, ' '));
  }
  for (std::size_t pos = rest.find('#'); pos != std::string::npos; pos = rest.find('#', pos + 1)) {
    const std::string word = word_at(rest, pos + 1);
    if (auto c = parse_count(word, "capacity", "#1024 (or the capacity attribute)", r)) out.capacity = c;
    rest.replace(pos, word.size() + 1, std::string(word.size() + 1, ' '));
  }
  out.prose = tidy_prose(rest);
  return out;
}

}  // namespace steady_gen
