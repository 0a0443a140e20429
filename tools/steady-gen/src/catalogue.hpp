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
// types directly. `<XBatch>`, where X is another message type of the sketch, is std::vector<X> (what
// steady::batcher sends and steady::unbatcher takes); it is an alias too.
//
// The bridges (steady/bridge/zmq.hpp, nats.hpp) are entries like the others, with their own link target
// (steady::bridge_zmq, steady::bridge_nats). A trivially copyable message crosses with the bridge's default
// codec; `<Line>` with the line codec that the generated graph.cpp defines (the text's bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace steady_gen {

// What a DOT attribute value must look like, and how it becomes C++.
enum class OptionType {
  text,          // any string: a C++ string literal
  boolean,       // true / false (also yes / no, 1 / 0)
  count,         // a whole number >= 0
  real,          // a decimal number > 0, e.g. 100 or 2.5
  duration,      // an integer with a unit, as in the drivers: 10ms, 2s, 1min
  choice,        // one word of `choices`, rendered as `choice_prefix` + word
  http_url,      // http://host[:port]/path (a C++ string literal)
  zmq_endpoint,  // tcp://host:port or ipc://path (a C++ string literal)
  text_list,     // comma-separated words: a braced list of C++ string literals, {"a", "b"}
  key_field,     // a field of the message type (or `message`: the whole message); see OptionUse::key
};
[[nodiscard]] std::string_view option_type_name(OptionType t) noexcept;

// What an option attribute fills.
enum class OptionUse {
  field,   // the Options field `field`, with the attribute's value as C++
  key,     // the Options' key function (steady::splitter): it hashes the named field of the message type. It
           // is the first field of the Options struct: the renderer puts it first.
  wiring,  // no Options field: the wiring uses it (file_source's offset_file: a persisted State<FileOffset>)
};

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
  OptionUse use = OptionUse::field;
};

// A port of a prebuilt actor. `types` are the DOT names of the library message types it takes ("Line"), or
// empty: any message type (the actor is a template on it, T in `cls`). Every port with no types carries the
// same T.
struct PortSpec {
  std::string_view name;                // for messages: "lines"
  std::vector<std::string_view> types;  // {"Line", "HttpMessage"}, or {} = any
  bool bundle = false;                  // the actor holds all lanes (fan-out output / fan-in input)
  bool printable = false;               // the type needs `operator<<` (generated for the service's own types)
  bool batch = false;                   // the port carries <TBatch> (std::vector<T>) of the generic T
};

struct PrebuiltSpec {
  std::string_view name;    // "file_source": mod::steady::file_source, prebuilt="file_source"
  std::string_view header;  // "steady/actors/file_source.hpp"
  // The class, with placeholders: {T} the message type of the generic ports, {N} the lane count of the
  // bundle, {C} the codec argument of a bridge (empty, or ", Codec" for a type that needs one). Relative to
  // `ns`.
  std::string_view cls;      // "FileSource", "Console<{T}>", "Splitter<{T}, {N}>", "ZmqEgress<{T}{C}>"
  std::string_view summary;  // one line: what it does
  std::vector<PortSpec> inputs, outputs;
  std::vector<OptionSpec> options;         // in the order of the Options struct (designated initializers)
  std::vector<std::string_view> required;  // attributes that must be given
  // True when it sends messages with nothing from outside (a ticker); false when it needs a file, a peer or
  // input (the generated graph test then does not require traffic on its outputs).
  bool emits_alone = false;
  std::string_view ns = "::steady::actors::";  // the namespace of `cls`
  std::string_view target = "actors";          // the CMake target: steady::actors, steady::bridge_zmq, ...
  // A bridge: its messages cross a process boundary through a codec (steady/bridge/codec.hpp).
  bool bridge = false;
  // A bridge sender with no peer holds what it took and vetoes the stop (it never gives messages up): the
  // generated graph test, which runs with no peer, puts a mock in its place when traffic reaches it.
  bool holds_stop_without_peer = false;
};

// A message type of the library, usable as <Name> on an edge.
struct LibraryType {
  std::string_view dot;     // "Line"
  std::string_view cpp;     // "std::string"
  std::string_view header;  // "<string>" or "<steady/actors/http.hpp>"
  std::string_view doc;     // "a text line, without its newline"
  bool trivially_copyable = false;
  bool printable = false;  // has operator<< (std::ostream)
  // What a splitter's key="..." may name: fields of the type, or "message" (the whole message, which must be
  // hashable with std::hash).
  std::vector<std::string_view> key_fields;
  // A bridge carries it with this codec expression (empty: the default codec of a trivially copyable type),
  // of C++ type `codec_type`.
  std::string_view codec;       // "line_codec()" (graph.cpp defines it)
  std::string_view codec_type;  // "::steady::bridge::FunctionCodec<std::string>"
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

// The C++ class of a prebuilt actor: `spec.cls` with {T}, {N} and {C} filled in (`codec_type` empty: the
// default codec).
[[nodiscard]] std::string prebuilt_class(const PrebuiltSpec& spec, std::string_view type, std::size_t lanes,
                                         std::string_view codec_type = {});

// <XBatch>: "LineBatch" -> "Line"; empty when the name does not end in "Batch" (or is just "Batch"). Whether
// X is a message type of the sketch is the model's question (Service::batch_element).
[[nodiscard]] std::string batch_prefix(std::string_view type);

// Graphviz presentation attributes (shape, color, ...) and the generator's own (label, module, ...): never
// options.
[[nodiscard]] bool is_non_option_attribute(std::string_view attr) noexcept;

}  // namespace steady_gen
