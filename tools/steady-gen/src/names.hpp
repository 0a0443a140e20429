// names.hpp — identifiers and case conversions for steady-gen.
//
// The generator turns DOT IDs and label tokens into C++ names, file names and actor names. Every name it
// writes must be a valid C++ identifier that collides with no keyword, so the generated project always
// compiles; the checks live here so the front end can say precisely what is wrong with a name and what to
// write instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace steady_gen {

// [A-Za-z_][A-Za-z0-9_]*
[[nodiscard]] bool is_identifier(std::string_view s) noexcept;
// C++20 keywords and alternative tokens (and, or, not, ...).
[[nodiscard]] bool is_cpp_keyword(std::string_view s) noexcept;
// Identifiers the C++ standard reserves: a double underscore anywhere, or underscore + capital at the start.
[[nodiscard]] bool is_reserved_identifier(std::string_view s) noexcept;
// Empty when `s` can be used as a C++ name; otherwise why not ("is a C++ keyword", ...).
[[nodiscard]] std::string identifier_problem(std::string_view s);

// "OrderSource" -> "order_source", "HTTPServer" -> "http_server", "DivBy3" -> "div_by3". Non-identifier
// characters become '_' (so a suggestion can be made for a bad name); runs of '_' collapse.
[[nodiscard]] std::string snake_case(std::string_view s);
// "print_now" -> "PrintNow", "values" -> "Values"; already CamelCase stays as is.
[[nodiscard]] std::string camel_case(std::string_view s);
// "C++ string literal" escaping for generated code.
[[nodiscard]] std::string cpp_string_literal(std::string_view s);

// A DOT node ID split into its base and instance suffix: "Relay3" -> {"Relay", 3}; "Generator" ->
// {"Generator", -1}.
struct InstanceName {
  std::string base;
  int suffix = -1;
};
[[nodiscard]] InstanceName split_instance_suffix(std::string_view id);

// The number of single-character edits (insert, delete, replace) that turn `a` into `b`: how near a
// misspelt name is to a known one, for "did you mean" suggestions.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);
// Digits only ("42"), fitting in 64 bits; nothing for "", "-1", "4x" or an overflow.
[[nodiscard]] std::optional<std::uint64_t> parse_u64(std::string_view s);

}  // namespace steady_gen
