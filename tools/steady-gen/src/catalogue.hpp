// catalogue.hpp — the prebuilt actors of steady::actors, as steady-gen knows them (docs/actors.md).
//
// A DOT node whose label says `mod::steady::file_source` (or whose attributes say `prebuilt="file_source"`)
// is not a user actor kind: the generator wires the library's actor instead of writing a stub, fills its
// Options from the node's attributes (`path="in.log" follow=true`) and links the project with steady::actors.
// Everything the generator needs to know about an actor is one entry of the table in catalogue.cpp: its
// header, its class, the message type of each port, and each option attribute with its type. Adding an actor
// is adding an entry.
//
// Message types of the library have DOT names too (`<Line>` is a text line, std::string): messages.hpp
// aliases them instead of generating a struct, so user actors next to prebuilt ones exchange the library's
// types directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace steady_gen {

// What a DOT attribute value must look like, and how it becomes C++.
enum class OptionType {
  text,      // any string: a C++ string literal
  boolean,   // true / false (also yes / no, 1 / 0)
  count,     // a whole number >= 0
  real,      // a decimal number > 0, e.g. 100 or 2.5
  duration,  // an integer with a unit, as in the drivers: 10ms, 2s, 1min
  choice,    // one word of `choices`, rendered as `choice_prefix` + word
  http_url,  // http://host[:port]/path (a C++ string literal)
};
[[nodiscard]] std::string_view option_type_name(OptionType t) noexcept;

struct OptionSpec {
  std::string_view attr;   // the DOT attribute: "follow"
  std::string_view field;  // the Options field it fills: "follow"
  OptionType type = OptionType::text;
  std::string_view doc;                   // one line, for --help, docs and messages
  std::vector<std::string_view> choices;  // OptionType::choice: the words allowed
  std::string_view choice_prefix;         // OptionType::choice: "::steady::actors::FsyncPolicy::"
  std::uint64_t max = UINT64_MAX;         // OptionType::count: the largest value the field holds
  // OptionType::duration: the field's std::chrono type and its length in ns (values must be whole units of
  // it).
  std::string_view unit = "std::chrono::milliseconds";
  std::int64_t unit_ns = 1'000'000;
};

// A port of a prebuilt actor. `types` are the DOT names of the library message types it takes ("Line"), or
// empty: any message type (the actor is a template on it, T in `cls`). Every port with no types carries the
// same T.
struct PortSpec {
  std::string_view name;                // for messages: "lines"
  std::vector<std::string_view> types;  // {"Line", "HttpMessage"}, or {} = any
  bool bundle = false;                  // the actor holds all lanes (fan-out output / fan-in input)
  bool printable = false;               // the type needs `operator<<` (generated for the service's own types)
};

struct PrebuiltSpec {
  std::string_view name;    // "file_source": mod::steady::file_source, prebuilt="file_source"
  std::string_view header;  // "steady/actors/file_source.hpp"
  // The class, with placeholders: {T} the message type of the generic ports, {N} the lane count of the
  // bundle.
  std::string_view cls;      // "FileSource", "Console<{T}>", "Splitter<{T}, {N}>"
  std::string_view summary;  // one line: what it does
  std::vector<PortSpec> inputs, outputs;
  std::vector<OptionSpec> options;         // in the order of the Options struct (designated initializers)
  std::vector<std::string_view> required;  // attributes that must be given
  // True when it sends messages with nothing from outside (a ticker); false when it needs a file, a peer or
  // input (the generated graph test then does not require traffic on its outputs).
  bool emits_alone = false;
};

// A message type of the library, usable as <Name> on an edge.
struct LibraryType {
  std::string_view dot;     // "Line"
  std::string_view cpp;     // "std::string"
  std::string_view header;  // "<string>" or "<steady/actors/http.hpp>"
  std::string_view doc;     // "a text line, without its newline"
  bool trivially_copyable = false;
  bool printable = false;  // has operator<< (std::ostream)
};

[[nodiscard]] const std::vector<PrebuiltSpec>& catalogue();
[[nodiscard]] const PrebuiltSpec* find_prebuilt(std::string_view name);
[[nodiscard]] const std::vector<LibraryType>& library_types();
[[nodiscard]] const LibraryType* find_library_type(std::string_view dot);
// "file_source, file_sink, ..." for messages; and the nearest name to a misspelt one (empty if none is near).
[[nodiscard]] std::string prebuilt_names();
[[nodiscard]] std::string nearest_prebuilt(std::string_view name);

// Checks `value` against the option's type and returns the C++ expression for it; on a bad value returns
// nothing and sets `problem` to what is wrong and `example` to a value that would do.
[[nodiscard]] std::optional<std::string> option_expr(const OptionSpec& o, std::string_view value,
                                                     std::string& problem, std::string& example);

// The C++ class of a prebuilt actor: `spec.cls` with {T} and {N} filled in.
[[nodiscard]] std::string prebuilt_class(const PrebuiltSpec& spec, std::string_view type, std::size_t lanes);

// Graphviz presentation attributes (shape, color, ...) and the generator's own (label, module, ...): never
// options.
[[nodiscard]] bool is_non_option_attribute(std::string_view attr) noexcept;

}  // namespace steady_gen
