// model.hpp — the service a DOT file describes, as steady-gen understands it.
//
// The front end (front_end.cpp) fills nodes, edges and notes from Graphviz's parse of the file; the analysis
// (analysis.cpp) groups edges into channels and bundles, actors into kinds, checks everything DOT_GRAMMAR.md
// asks for, and plans each kind's wait. The renderer (render.cpp) only reads a validated Service.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace steady_gen {

struct PrebuiltSpec;  // catalogue.hpp

// How a consumer takes messages (edge token >>Take / >>TakeCopy / >>PeekCopy).
enum class Mode {
  take,       // ownership moves: each message is moved out of the channel
  take_copy,  // trivially copyable: batches are copied out, freeing the slots at once
  peek_copy,  // trivially copyable + peek-before-commit: removed only after the work succeeded (durable)
};
[[nodiscard]] std::string_view mode_token(Mode m) noexcept;  // "Take", "TakeCopy", "PeekCopy"

enum class Restart { unset, never, restart, stop_graph };
[[nodiscard]] std::string_view restart_token(Restart r) noexcept;

struct Duration {
  std::int64_t ns = 0;
  std::string text;  // as written, e.g. "10ms"
};

// `chan:N` or `chan:N:F` inside OnEvent(...) / OnCapacity(...).
struct ChannelRef {
  std::string channel;
  std::uint64_t n = 1;
  std::optional<double> fraction;  // of a bundle's lanes, (0, 1]
};
using RefGroup = std::vector<ChannelRef>;  // alternatives joined by ||

struct Drivers {
  std::optional<Duration> at_least_every;
  std::optional<Duration> at_most_every;
  std::vector<RefGroup> on_event;     // each OnEvent(...) is one group; groups are joined by &&
  std::vector<RefGroup> on_capacity;  // likewise
  std::vector<std::string> other;     // Other(name)
  std::string text;                   // the drivers as written, for comments
  [[nodiscard]] bool empty() const noexcept {
    return !at_least_every && !at_most_every && on_event.empty() && on_capacity.empty() && other.empty();
  }
};

struct Node {
  std::string id;          // DOT ID, e.g. "Relay3"
  std::string actor_name;  // snake case of the ID without its suffix: "relay"
  int suffix = -1;         // instance suffix: 3 (or -1)
  std::string full_name;   // the actor's name in the graph: "relay_3"
  std::string kind;        // actor kind (mod:: token / module attribute): "tick_relay"
  std::string prose;       // label text that is not a token
  Drivers drivers;
  std::string troupe;  // empty = solo
  Restart restart = Restart::unset;
  int core = -1;
  int line = 0;
  // A prebuilt actor of steady::actors (mod::steady::NAME or prebuilt="NAME"): its catalogue entry, and its
  // Options fields from the node's attributes, as C++ designated initializers in the Options struct's order.
  const PrebuiltSpec* prebuilt = nullptr;
  std::vector<std::string> options;  // ".path = \"in.log\"", ".follow = true"
  // Its attributes that are no plain Options field (OptionUse::key, OptionUse::wiring): attribute -> the C++
  // expression of the value (for key: the field name), e.g. {"offset_file", "\"tail.offset\""}.
  std::map<std::string, std::string> wiring;
};

struct Edge {
  int from = -1;  // node index
  int to = -1;
  std::string name;  // channel name
  std::string type;  // message type
  Mode mode = Mode::take;
  std::uint64_t capacity = 1024;
  std::optional<std::uint64_t> batch;
  int line = 0;
};

struct DocNote {
  std::string id;
  std::string text;
};

// One channel of the service: a single edge, or the lanes of an inferred bundle.
struct Channel {
  enum class Shape { single, fan_out, fan_in };
  Shape shape = Shape::single;
  std::string name;
  std::string type;
  Mode mode = Mode::take;
  std::uint64_t capacity = 1024;
  std::optional<std::uint64_t> batch;
  std::vector<int> edges;     // one per lane, in DOT order
  int producer = -1;          // node of a single or fan-out channel
  int consumer = -1;          // node of a single or fan-in channel
  std::string instance_name;  // unique in the graph: the name, or "<producer>.<name>" when the name repeats
  std::string var;            // C++ variable stem in the wiring
  [[nodiscard]] std::size_t lanes() const noexcept { return edges.size(); }
  [[nodiscard]] bool bundle() const noexcept { return shape != Shape::single; }
  // The names the runtime gives this channel (bundle lanes are "name[i]").
  [[nodiscard]] std::vector<std::string> runtime_names() const;
};

// What an actor kind sees of one channel: an input or output port.
struct Port {
  std::string name;
  std::string type;
  Mode mode = Mode::take;
  bool bundle = false;  // the actor holds all lanes (fan-in input / fan-out output)
  friend bool operator==(const Port&, const Port&) = default;
};

// For one actor: the channel behind each port (and the lane, when the actor holds one lane of a bundle).
struct Binding {
  int channel = -1;
  int lane = -1;  // -1: the whole channel (a single channel, or the bundle the actor holds)
};

// One condition of a wait, in terms of a kind's ports.
struct WaitCond {
  enum class What { avail, vacant, bell, periodic };
  enum class Lanes { one, any, all };  // on a bundle port: any lane / every lane
  What what = What::avail;
  int port = -1;  // index into the kind's inputs (avail) or outputs (vacant)
  Lanes lanes = Lanes::one;
  std::string bell;  // Other(name)
  friend bool operator==(const WaitCond&, const WaitCond&) = default;
};
struct WaitStage {
  bool any = false;  // wait_any (else wait_all)
  std::vector<WaitCond> conds;
  friend bool operator==(const WaitStage&, const WaitStage&) = default;
};
struct WaitPlan {
  enum class Timer { none, at_least_every, at_most_every };
  Timer timer = Timer::none;
  bool timer_only = false;            // wait_periodic and nothing else
  std::vector<WaitStage> stages;      // awaited in order (waits do not nest: "(a || b) && c" is two waits)
  bool approximate_fraction = false;  // a lane fraction below 100% waits for any lane (see docs)
  friend bool operator==(const WaitPlan&, const WaitPlan&) = default;
};

// Per-actor values of a kind's settings (generated as <Kind>Config).
struct PortSettings {
  std::uint64_t threshold = 1;  // inputs: wake when this many are ready; outputs: when this much room
  std::uint64_t batch = 1;      // most messages per wake-up
  bool feedback = false;        // inputs: closes a cycle back to this actor (does not hold a stop)
};
struct ActorSettings {
  std::vector<PortSettings> inputs, outputs;
  std::int64_t period_ns = 0;
  std::string period_text;
  bool prime = false;  // starts the traffic of a cycle nothing else feeds
};

struct Kind {
  std::string name;  // "tick_relay"
  std::string cls;   // "TickRelay"
  std::vector<Port> inputs, outputs;
  std::vector<int> instances;  // node indexes, DOT order
  WaitPlan plan;
  bool may_prime = false;
  std::vector<std::string> bells;          // Other(name) doorbells
  const PrebuiltSpec* prebuilt = nullptr;  // a prebuilt actor: one kind per node, no files of its own
  [[nodiscard]] bool source() const noexcept { return inputs.empty(); }
  [[nodiscard]] bool sink() const noexcept { return outputs.empty(); }
  [[nodiscard]] bool has_bundle() const noexcept;
  // A fingerprint of the ports: when it changes, the user's behaviour file no longer fits.
  [[nodiscard]] std::string signature() const;
};

struct Service {
  std::string dot_file;     // as given
  std::string graph_name;   // the digraph's name
  std::vector<Node> nodes;  // actors (documentation nodes are in notes)
  std::vector<Edge> edges;
  std::vector<DocNote> notes;
  // Filled by the analysis:
  std::vector<Channel> channels;
  std::vector<Kind> kinds;
  std::vector<std::string> types;                       // message types, first use first
  std::vector<int> node_kind;                           // node -> kind index
  std::vector<std::vector<Binding>> in_bind, out_bind;  // node -> per kind port
  std::vector<ActorSettings> settings;                  // node -> settings
  std::vector<std::string> troupes;                     // troupe names, first use first

  [[nodiscard]] const Kind& kind_of(int node) const {
    return kinds[static_cast<std::size_t>(node_kind[node])];
  }
  // Every channel name the runtime will know (bundle lanes expanded), in DOT order.
  [[nodiscard]] std::vector<std::string> runtime_channel_names() const;
  // The copy modes a type is used with (TakeCopy / PeekCopy require trivially copyable types).
  [[nodiscard]] bool type_needs_trivial_copy(const std::string& type) const;
  [[nodiscard]] std::vector<std::string> channels_of_type(const std::string& type) const;
  [[nodiscard]] bool uses_prebuilt() const noexcept;
  // <XBatch> in a sketch with prebuilt actors, where X is a message type of the sketch (on an edge, or a
  // library type such as Line): std::vector<X>, and this returns X. Otherwise empty (a type of its own).
  [[nodiscard]] std::string batch_element(const std::string& type) const;
  // Channels the whole graph is expected to carry traffic on by itself (not fed only by actors that need a
  // file, a peer or a client), bundle lanes expanded: what the generated graph test and telemetry check
  // require.
  [[nodiscard]] std::vector<std::string> live_channel_names() const;
};

}  // namespace steady_gen
