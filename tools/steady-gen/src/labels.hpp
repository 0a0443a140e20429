// labels.hpp — the label tokens and structured attributes of DOT_GRAMMAR.md.
//
// Node labels carry `mod::kind` and drivers (AtLeastEvery(D), AtMostEvery(D), OnEvent(chan:N || ...),
// OnCapacity(chan:N), Other(name)) joined by &&; edge labels carry `name::chan`, `<Type>`, `>>Mode` and
// `#capacity`. Free prose may surround the tokens. Structured attributes (module=, driver=, channel=, type=,
// mode=, capacity=, batch=) override them. Every malformed token is reported with what to write instead;
// nothing is silently dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "diagnostics.hpp"
#include "model.hpp"

namespace steady_gen {

// Where a token comes from, for messages.
struct Reporter {
  Diagnostics& diags;
  Location where;
  std::string subject;
  void error(std::string message, std::string fix = {}) const {
    diags.error(where, subject, std::move(message), std::move(fix));
  }
  void warning(std::string message, std::string fix = {}) const {
    diags.warning(where, subject, std::move(message), std::move(fix));
  }
};

// Graphviz escapes: \n, \l, \r are line breaks; \" and \\ are themselves.
[[nodiscard]] std::string unescape_label(std::string_view raw);

struct NodeTokens {
  std::optional<std::string> module;
  Drivers drivers;
  bool has_drivers = false;
  std::string prose;
};
[[nodiscard]] NodeTokens parse_node_label(std::string_view text, const Reporter& r);
// The `driver` attribute: drivers only (joined by &&).
[[nodiscard]] Drivers parse_driver_attribute(std::string_view text, const Reporter& r);

struct EdgeTokens {
  std::optional<std::string> name;
  std::optional<std::string> type;
  std::optional<Mode> mode;
  std::optional<std::uint64_t> capacity;
  std::string prose;
};
[[nodiscard]] EdgeTokens parse_edge_label(std::string_view text, const Reporter& r);

// "10ms" -> 10'000'000 ns. `context` is the driver being parsed ("AtLeastEvery"), for the message.
[[nodiscard]] std::optional<Duration> parse_duration(std::string_view text, std::string_view context,
                                                     const Reporter& r);
[[nodiscard]] std::optional<Mode> parse_mode(std::string_view text, const Reporter& r);
// A capacity or batch: a whole number >= 1. `what` names it in messages ("capacity", "batch").
[[nodiscard]] std::optional<std::uint64_t> parse_count(std::string_view text, std::string_view what,
                                                       std::string_view example, const Reporter& r);
// Message types: C++ identifiers starting with a capital letter.
[[nodiscard]] bool check_type_name(std::string_view type, const Reporter& r);
// Actor kinds and channel names: snake_case identifiers.
[[nodiscard]] bool check_snake_name(std::string_view name, std::string_view what, std::string_view token,
                                    const Reporter& r);

}  // namespace steady_gen
