// names.cpp — identifiers and case conversions (see names.hpp).
#include "names.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <vector>

namespace steady_gen {

namespace {

constexpr auto kKeywords = std::to_array<std::string_view>(
    {"alignas",     "alignof",   "and",        "and_eq",    "asm",      "auto",         "bitand",
     "bitor",       "bool",      "break",      "case",      "catch",    "char",         "char8_t",
     "char16_t",    "char32_t",  "class",      "compl",     "concept",  "const",        "consteval",
     "constexpr",   "constinit", "const_cast", "continue",  "co_await", "co_return",    "co_yield",
     "decltype",    "default",   "delete",     "do",        "double",   "dynamic_cast", "else",
     "enum",        "explicit",  "export",     "extern",    "false",    "float",        "for",
     "friend",      "goto",      "if",         "inline",    "int",      "long",         "mutable",
     "namespace",   "new",       "noexcept",   "not",       "not_eq",   "nullptr",      "operator",
     "or",          "or_eq",     "private",    "protected", "public",   "register",     "reinterpret_cast",
     "requires",    "return",    "short",      "signed",    "sizeof",   "static",       "static_assert",
     "static_cast", "struct",    "switch",     "template",  "this",     "thread_local", "throw",
     "true",        "try",       "typedef",    "typeid",    "typename", "union",        "unsigned",
     "using",       "virtual",   "void",       "volatile",  "wchar_t",  "while",        "xor",
     "xor_eq"});

bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_ident_char(char c) {
  return is_lower(c) || is_upper(c) || is_digit(c) || c == '_';
}

}  // namespace

bool is_identifier(std::string_view s) noexcept {
  if (s.empty() || is_digit(s.front())) return false;
  return std::all_of(s.begin(), s.end(), is_ident_char);
}

bool is_cpp_keyword(std::string_view s) noexcept {
  return std::find(kKeywords.begin(), kKeywords.end(), s) != kKeywords.end();
}

bool is_reserved_identifier(std::string_view s) noexcept {
  if (s.find("__") != std::string_view::npos) return true;
  return s.size() >= 2 && s[0] == '_' && is_upper(s[1]);
}

std::string identifier_problem(std::string_view s) {
  if (s.empty()) return "is empty";
  if (!is_identifier(s)) {
    if (is_digit(s.front())) return "starts with a digit";
    for (char c : s)
      if (!is_ident_char(c)) {
        if (c == ' ') return "contains a space";
        return std::string("contains '") + c + "'";
      }
  }
  if (is_cpp_keyword(s)) return "is a C++ keyword";
  if (is_reserved_identifier(s)) return "is reserved by C++ (double underscore, or underscore + capital)";
  return {};
}

std::string snake_case(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (!is_ident_char(c)) {
      if (!out.empty() && out.back() != '_') out += '_';
      continue;
    }
    if (is_upper(c)) {
      const bool prev_lower_or_digit = i > 0 && (is_lower(s[i - 1]) || is_digit(s[i - 1]));
      const bool acronym_end = i > 0 && is_upper(s[i - 1]) && i + 1 < s.size() && is_lower(s[i + 1]);
      if ((prev_lower_or_digit || acronym_end) && !out.empty() && out.back() != '_') out += '_';
      out += static_cast<char>(c - 'A' + 'a');
    } else if (c == '_') {
      if (!out.empty() && out.back() != '_') out += '_';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

std::string camel_case(std::string_view s) {
  std::string out;
  bool up = true;
  for (char c : s) {
    if (!is_ident_char(c) || c == '_') {
      up = true;
      continue;
    }
    if (up && is_lower(c)) c = static_cast<char>(c - 'a' + 'A');
    out += c;
    up = false;
  }
  return out;
}

std::string cpp_string_literal(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

InstanceName split_instance_suffix(std::string_view id) {
  std::size_t end = id.size();
  while (end > 0 && is_digit(id[end - 1])) --end;
  if (end == id.size() || end == 0) return {std::string(id), -1};
  std::string base(id.substr(0, end));
  int n = -1;
  const auto digits = id.substr(end);
  if (digits.size() > 9 || std::from_chars(digits.data(), digits.data() + digits.size(), n).ec != std::errc{})
    return {std::string(id), -1};
  while (!base.empty() && base.back() == '_') base.pop_back();
  if (base.empty()) return {std::string(id), -1};
  return {std::move(base), n};
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  std::uint64_t v = 0;
  if (std::from_chars(s.data(), s.data() + s.size(), v).ec != std::errc{}) return std::nullopt;
  return v;
}

}  // namespace steady_gen
