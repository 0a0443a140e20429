// analysis.cpp — channels, bundles, kinds, drivers, cycles (see analysis.hpp).
#include "analysis.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "catalogue.hpp"
#include "names.hpp"

namespace steady_gen {

namespace {

struct PortUse {
  Port port;
  Binding binding;
  int edge;  // an edge behind it, for messages
};

class Analyzer {
 public:
  Analyzer(Service& s, Diagnostics& d) : s_(s), d_(d) {}

  void run() {
    check_nodes();
    infer_channels();
    collect_ports();
    build_kinds();
    check_prebuilt_ports();
    check_library_types();
    if (d_.has_errors()) return;
    plan_waits();
    find_cycles();
    collect_types();
    name_channels();
    for (const Node& n : s_.nodes)
      if (!n.troupe.empty() && std::find(s_.troupes.begin(), s_.troupes.end(), n.troupe) == s_.troupes.end())
        s_.troupes.push_back(n.troupe);
  }

 private:
  Location at(int line) const { return {s_.dot_file, line}; }
  std::string node_subject(int n) const { return "node " + s_.nodes[n].id; }
  std::string edge_subject(int e) const {
    return "edge " + s_.nodes[s_.edges[e].from].id + " -> " + s_.nodes[s_.edges[e].to].id;
  }

  void check_nodes() {
    std::map<std::string, int> by_full;
    for (int i = 0; i < static_cast<int>(s_.nodes.size()); ++i) {
      const Node& n = s_.nodes[i];
      if (auto [it, fresh] = by_full.emplace(n.full_name, i); !fresh)
        d_.error(at(n.line), node_subject(i),
                 "its actor would be named '" + n.full_name + "', like node " + s_.nodes[it->second].id,
                 "give one of them another ID");
      if (n.full_name == kStopperName)
        d_.error(at(n.line), node_subject(i),
                 "the actor name '" + n.full_name + "' is reserved for --duration", "choose another node ID");
      if (n.kind == "graph")
        d_.error(at(n.line), node_subject(i), "the actor kind 'graph' is reserved (tests/graph_test.cpp)",
                 "choose another kind, e.g. mod::graph_builder");
      const bool connected = std::any_of(s_.edges.begin(), s_.edges.end(),
                                         [&](const Edge& e) { return e.from == i || e.to == i; });
      if (!connected)
        d_.error(at(n.line), node_subject(i), "the actor has no channels",
                 "connect it with an edge, or start its ID with __ to make it a documentation node");
    }
  }

  // Fan-out bundles first (same source, name, type, capacity), then fan-in among the rest, then single
  // channels.
  void infer_channels() {
    const int ne = static_cast<int>(s_.edges.size());
    std::vector<bool> used(static_cast<std::size_t>(ne), false);
    std::vector<Channel> out;
    auto group = [&](bool by_source) {
      std::map<std::tuple<int, std::string, std::string, std::uint64_t>, std::vector<int>> groups;
      std::vector<std::tuple<int, std::string, std::string, std::uint64_t>> order;
      for (int e = 0; e < ne; ++e) {
        if (used[e]) continue;
        const Edge& ed = s_.edges[e];
        auto key = std::make_tuple(by_source ? ed.from : ed.to, ed.name, ed.type, ed.capacity);
        auto& g = groups[key];
        if (g.empty()) order.push_back(key);
        g.push_back(e);
      }
      for (const auto& key : order) {
        const auto& g = groups[key];
        if (g.size() < 2) continue;
        Channel c;
        c.shape = by_source ? Channel::Shape::fan_out : Channel::Shape::fan_in;
        const Edge& first = s_.edges[g[0]];
        c.name = first.name;
        c.type = first.type;
        c.mode = first.mode;
        c.capacity = first.capacity;
        c.batch = first.batch;
        (by_source ? c.producer : c.consumer) = by_source ? first.from : first.to;
        std::set<int> ends;
        for (int e : g) {
          const Edge& ed = s_.edges[e];
          const int other = by_source ? ed.to : ed.from;
          if (!ends.insert(other).second) {
            d_.error(at(ed.line), edge_subject(e),
                     "a second channel named '" + ed.name + "' between the same actors",
                     "give it another name:: token");
            continue;
          }
          if (ed.mode != first.mode)
            d_.error(at(ed.line), edge_subject(e),
                     "the lanes of bundle '" + ed.name + "' disagree on the mode (>>" +
                         std::string(mode_token(ed.mode)) + " here, >>" +
                         std::string(mode_token(first.mode)) + " on " + edge_subject(g[0]) + ")",
                     "use one mode on every edge of the bundle");
          c.edges.push_back(e);
          used[e] = true;
        }
        out.push_back(std::move(c));
      }
    };
    group(true);
    group(false);
    for (int e = 0; e < ne; ++e) {
      if (used[e]) continue;
      const Edge& ed = s_.edges[e];
      Channel c;
      c.name = ed.name;
      c.type = ed.type;
      c.mode = ed.mode;
      c.capacity = ed.capacity;
      c.batch = ed.batch;
      c.edges = {e};
      c.producer = ed.from;
      c.consumer = ed.to;
      out.push_back(std::move(c));
    }
    std::sort(out.begin(), out.end(),
              [](const Channel& a, const Channel& b) { return a.edges[0] < b.edges[0]; });
    s_.channels = std::move(out);
  }

  void collect_ports() {
    ins_.assign(s_.nodes.size(), {});
    outs_.assign(s_.nodes.size(), {});
    for (int ci = 0; ci < static_cast<int>(s_.channels.size()); ++ci) {
      const Channel& c = s_.channels[ci];
      const Port single{c.name, c.type, c.mode, false};
      const Port bundle{c.name, c.type, c.mode, true};
      switch (c.shape) {
        case Channel::Shape::single:
          add_port(outs_[c.producer], {single, {ci, -1}, c.edges[0]}, c.producer, false);
          add_port(ins_[c.consumer], {single, {ci, -1}, c.edges[0]}, c.consumer, true);
          break;
        case Channel::Shape::fan_out:
          add_port(outs_[c.producer], {bundle, {ci, -1}, c.edges[0]}, c.producer, false);
          for (int lane = 0; lane < static_cast<int>(c.lanes()); ++lane)
            add_port(ins_[s_.edges[c.edges[lane]].to], {single, {ci, lane}, c.edges[lane]},
                     s_.edges[c.edges[lane]].to, true);
          break;
        case Channel::Shape::fan_in:
          add_port(ins_[c.consumer], {bundle, {ci, -1}, c.edges[0]}, c.consumer, true);
          for (int lane = 0; lane < static_cast<int>(c.lanes()); ++lane)
            add_port(outs_[s_.edges[c.edges[lane]].from], {single, {ci, lane}, c.edges[lane]},
                     s_.edges[c.edges[lane]].from, false);
          break;
      }
    }
  }

  void add_port(std::vector<PortUse>& ports, PortUse use, int node, bool input) {
    for (const PortUse& p : ports)
      if (p.port.name == use.port.name) {
        d_.error(at(s_.edges[use.edge].line), edge_subject(use.edge),
                 "actor " + s_.nodes[node].id + " already has an " + (input ? "input" : "output") +
                     " channel named '" + use.port.name + "' (" + edge_subject(p.edge) +
                     "), and the two do not form a bundle (their <Type> or #capacity differ)",
                 "give this channel another name:: token, or the same <Type> and #capacity to make a bundle");
        return;
      }
    ports.push_back(std::move(use));
  }

  static std::string describe(const std::vector<PortUse>& ins, const std::vector<PortUse>& outs) {
    std::string s;
    auto add = [&s](const char* dir, const PortUse& u) {
      if (!s.empty()) s += ", ";
      s += std::string(dir) + " " + u.port.name + " <" + u.port.type + "> >>" +
           std::string(mode_token(u.port.mode)) + (u.port.bundle ? " (bundle)" : "");
    };
    for (const auto& u : ins) add("in", u);
    for (const auto& u : outs) add("out", u);
    return s.empty() ? "no channels" : s;
  }

  void build_kinds() {
    std::map<std::string, int> index;
    s_.node_kind.assign(s_.nodes.size(), -1);
    s_.in_bind.assign(s_.nodes.size(), {});
    s_.out_bind.assign(s_.nodes.size(), {});
    for (int n = 0; n < static_cast<int>(s_.nodes.size()); ++n) {
      const Node& node = s_.nodes[n];
      // A prebuilt actor is a kind of its own (no files are generated for it); "\x01" keeps the key apart
      // from every user kind name.
      const std::string key = node.prebuilt != nullptr ? "\x01" + node.full_name : node.kind;
      auto [it, fresh] = index.emplace(key, static_cast<int>(s_.kinds.size()));
      if (fresh) {
        Kind k;
        k.name = node.kind;
        k.prebuilt = node.prebuilt;
        k.cls = node.prebuilt != nullptr ? camel_case(node.prebuilt->name) : camel_case(node.kind);
        for (const auto& u : ins_[n]) k.inputs.push_back(u.port);
        for (const auto& u : outs_[n]) k.outputs.push_back(u.port);
        s_.kinds.push_back(std::move(k));
      }
      Kind& k = s_.kinds[it->second];
      s_.node_kind[n] = it->second;
      k.instances.push_back(n);
      // Bind this node's ports in the kind's order; any difference is an incompatible signature.
      bool same = ins_[n].size() == k.inputs.size() && outs_[n].size() == k.outputs.size();
      auto bind = [&](const std::vector<Port>& kind_ports, const std::vector<PortUse>& uses,
                      std::vector<Binding>& b) {
        for (const Port& p : kind_ports) {
          auto u = std::find_if(uses.begin(), uses.end(), [&](const PortUse& x) { return x.port == p; });
          if (u == uses.end()) {
            same = false;
            b.push_back({});
          } else {
            b.push_back(u->binding);
          }
        }
      };
      bind(k.inputs, ins_[n], s_.in_bind[n]);
      bind(k.outputs, outs_[n], s_.out_bind[n]);
      if (!same) {
        const int first = k.instances.front();
        d_.error(at(node.line), node_subject(n),
                 "actor kind '" + k.name + "' is used with incompatible channel signatures: " + node.id +
                     " has [" + describe(ins_[n], outs_[n]) + "] but " + s_.nodes[first].id + " has [" +
                     describe(ins_[first], outs_[first]) + "]",
                 "give " + node.id + " its own kind (mod::" + k.name +
                     "_2 or a better name), or make its channels "
                     "match (same names, <Type>s and modes)");
      }
    }
    std::set<std::string> classes;
    for (const Kind& k : s_.kinds)
      if (k.prebuilt == nullptr) classes.insert(k.cls);
    for (const Kind& k : s_.kinds)
      if (k.prebuilt != nullptr)
        continue;
      else if (const std::string why = identifier_problem(k.cls); !why.empty())
        d_.error(at(s_.nodes[k.instances[0]].line), node_subject(k.instances[0]),
                 "actor kind '" + k.name + "' gives the class name '" + k.cls + "', which " + why,
                 "choose another mod:: name");
    for (int e = 0; e < static_cast<int>(s_.edges.size()); ++e)
      if (classes.count(s_.edges[e].type) != 0)
        d_.error(at(s_.edges[e].line), edge_subject(e),
                 "message type <" + s_.edges[e].type + "> has the same name as the class of actor kind '" +
                     snake_case(s_.edges[e].type) + "'",
                 "rename the type, e.g. <" + s_.edges[e].type + "Message>");
  }

  // ---------------------------------------------------------------- prebuilt actors

  static std::string type_list(const std::vector<std::string_view>& types) {
    std::string out;
    for (std::size_t i = 0; i < types.size(); ++i)
      out += std::string(i == 0                  ? ""
                         : i + 1 == types.size() ? " or "
                                                 : ", ") +
             "<" + std::string(types[i]) + ">";
    return out;
  }

  // Each prebuilt node's channels against its catalogue entry: how many, bundle or not, which message types.
  void check_prebuilt_ports() {
    for (int n = 0; n < static_cast<int>(s_.nodes.size()); ++n) {
      const Node& node = s_.nodes[n];
      if (node.prebuilt == nullptr) continue;
      const PrebuiltSpec& spec = *node.prebuilt;
      const std::string who = "steady::" + std::string(spec.name);
      std::string generic;  // the T of the ports that take any type
      int generic_edge = -1;
      auto check = [&](const std::vector<PortSpec>& specs, const std::vector<PortUse>& uses, bool input) {
        const char* dir = input ? "input" : "output";
        if (uses.size() > specs.size()) {
          const PortUse& extra = uses[specs.size()];
          d_.error(at(s_.edges[extra.edge].line), edge_subject(extra.edge),
                   who + " has " +
                       (specs.empty()
                            ? std::string("no ") + dir + "s"
                            : std::to_string(specs.size()) + " " + dir + (specs.size() == 1 ? "" : "s")) +
                       ", and this is one more " + dir + " channel",
                   specs.empty()
                       ? std::string("remove the edge, or put an actor of your own in between")
                       : std::string(input ? "merge them first (mod::steady::merger), or remove the edge"
                                           : "fan out with mod::steady::splitter, or remove the edge"));
          return;
        }
        for (std::size_t i = 0; i < specs.size(); ++i) {
          const PortSpec& ps = specs[i];
          if (i >= uses.size()) {
            d_.error(at(node.line), node_subject(n),
                     who + " needs an " + dir + " channel (" + std::string(ps.name) +
                         (ps.types.empty() ? "" : " " + type_list(ps.types)) + ") and has none",
                     input ? "add an edge into " + node.id + ", e.g. Producer -> " + node.id
                           : "add an edge out of " + node.id + ", e.g. " + node.id + " -> Consumer");
            continue;
          }
          const PortUse& u = uses[i];
          const Edge& e = s_.edges[u.edge];
          const Channel& c = s_.channels[u.binding.channel];
          if (ps.bundle && !u.port.bundle)
            d_.error(at(e.line), edge_subject(u.edge),
                     who + "'s " + dir + " " + std::string(ps.name) + " is a bundle, but channel '" + c.name +
                         "' is a single channel",
                     std::string(input ? "join several edges into " : "draw several edges out of ") +
                         node.id + " with the same name:: and <Type> (one lane each)");
          if (!ps.bundle && u.port.bundle)
            d_.error(at(e.line), edge_subject(u.edge),
                     who + "'s " + dir + " " + std::string(ps.name) + " is one channel, but '" + c.name +
                         "' is a bundle of " + std::to_string(c.lanes()) + " lanes",
                     "give each edge its own name::, or put steady::merger / steady::splitter in between");
          if (!ps.types.empty()) {
            if (std::find(ps.types.begin(), ps.types.end(), u.port.type) == ps.types.end()) {
              std::string what;
              for (std::string_view t : ps.types)
                if (const LibraryType* lt = find_library_type(t))
                  what += (what.empty() ? "" : "; ") + std::string(t) + ": " + std::string(lt->doc);
              d_.error(at(e.line), edge_subject(u.edge),
                       "channel '" + c.name + "' carries <" + u.port.type + ">, but " + who + "'s " + dir +
                           " " + std::string(ps.name) + " " + (input ? "takes " : "sends ") +
                           type_list(ps.types) + " (" + what + ")",
                       "write <" + std::string(ps.types.front()) + "> in the edge's label (name::" + c.name +
                           " <" + std::string(ps.types.front()) + ">)");
            }
          } else if (ps.batch) {
            // <XBatch>: std::vector<X>, where X is the T of the generic ports.
            const std::string x = s_.batch_element(u.port.type);
            if (x.empty()) {
              const std::string prefix = batch_prefix(u.port.type);
              d_.error(at(e.line), edge_subject(u.edge),
                       "channel '" + c.name + "' carries <" + u.port.type + ">, but " + who + "'s " + dir +
                           " " + std::string(ps.name) + " carries batches <XBatch> (std::vector<X>) of a " +
                           "message type X of the sketch" +
                           (prefix.empty() ? std::string()
                                           : ", and <" + prefix + "> is on no edge and no library type"),
                       generic.empty()
                           ? std::string("write <LineBatch> for batches of <Line>, or <OrderBatch> "
                                         "for batches of an <Order> that another edge carries")
                           : "write <" + generic + "Batch> (batches of <" + generic + ">)");
            } else if (generic.empty()) {
              generic = x;
              generic_edge = u.edge;
            } else if (generic != x) {
              d_.error(at(e.line), edge_subject(u.edge),
                       "channel '" + c.name + "' carries <" + u.port.type + ">, batches of <" + x +
                           ">, but " + who + "'s " + (input ? "output" : "input") + " (" +
                           edge_subject(generic_edge) + ") carries <" + generic + ">",
                       "write <" + generic + "Batch> here, or <" + x + "> on " + edge_subject(generic_edge));
            }
          } else {
            if (const LibraryType* lt = find_library_type(u.port.type);
                ps.printable && lt != nullptr && !lt->printable)
              d_.error(at(e.line), edge_subject(u.edge),
                       who + " prints its messages, but <" + u.port.type + "> (" + std::string(lt->doc) +
                           ") cannot be printed",
                       "put an actor of your own in between that turns it into a <Line>");
            if (generic.empty()) {
              generic = u.port.type;
              generic_edge = u.edge;
            } else if (generic != u.port.type && spec_has_batch(spec)) {
              d_.error(at(e.line), edge_subject(u.edge),
                       "channel '" + c.name + "' carries <" + u.port.type + ">, but " + who + "'s " + dir +
                           " " + std::string(ps.name) + " carries the messages of the batches <" + generic +
                           "Batch> on " + edge_subject(generic_edge),
                       "write <" + generic + "> here (" + who + ": <X> " + (input ? "in" : "out") +
                           ", <XBatch> " + (input ? "out" : "in") + ")");
            } else if (generic != u.port.type) {
              d_.error(at(e.line), edge_subject(u.edge),
                       "channel '" + c.name + "' carries <" + u.port.type + ">, but " + who +
                           " passes on one type and " + edge_subject(generic_edge) + " carries <" + generic +
                           ">",
                       "give both edges the same <Type>");
            }
          }
        }
      };
      check(spec.inputs, ins_[n], true);
      check(spec.outputs, outs_[n], false);
      if (!generic.empty()) {
        check_key(n, generic, generic_edge);
        if (spec.bridge) check_bridge_type(n, generic, generic_edge);
      }
    }
  }

  static bool spec_has_batch(const PrebuiltSpec& spec) {
    auto batch = [](const PortSpec& p) { return p.batch; };
    return std::any_of(spec.inputs.begin(), spec.inputs.end(), batch) ||
           std::any_of(spec.outputs.begin(), spec.outputs.end(), batch);
  }

  // key="field" (steady::splitter): the field must be one the type is known to have.
  void check_key(int n, const std::string& type, int edge) {
    const Node& node = s_.nodes[n];
    const auto key = node.wiring.find("key");
    if (key == node.wiring.end()) return;
    std::vector<std::string_view> fields{"value"};  // the service's own types: messages/<type>.hpp
    std::string what = "steady-gen knows the fields it generates in messages/" + snake_case(type) +
                       ".hpp (value), not those added there later";
    if (const LibraryType* lt = find_library_type(type)) {
      fields = lt->key_fields;
      what = "it is " + std::string(lt->doc);
    } else if (!s_.batch_element(type).empty()) {
      fields.clear();
      what = "it is a batch, std::vector<" + s_.batch_element(type) + ">, which has no key";
    }
    if (std::find(fields.begin(), fields.end(), key->second) != fields.end()) return;
    std::string list;
    for (std::string_view f : fields) list += (list.empty() ? "" : ", ") + std::string(f);
    d_.error(at(node.line), node_subject(n),
             "key=\"" + key->second + "\": <" + type + "> (on " + edge_subject(edge) + ") has no field '" +
                 key->second + "' to route by; " + what,
             fields.empty() ? std::string("remove key (round-robin), or split the messages before batching")
                            : "write key=\"" + std::string(fields.front()) + "\"" +
                                  (fields.size() > 1 ? " (or one of: " + list + ")" : std::string()) +
                                  ", or remove key for round-robin");
  }

  // A bridge sends its type's bytes: trivially copyable types with the default codec, library types with
  // their codec (<Line>); others cannot cross.
  void check_bridge_type(int n, const std::string& type, int edge) {
    const std::string who = "steady::" + std::string(s_.nodes[n].prebuilt->name);
    std::string why;
    if (const LibraryType* lt = find_library_type(type); lt != nullptr) {
      if (!lt->trivially_copyable && lt->codec.empty())
        why = std::string(lt->doc) + ", is not trivially copyable and steady-gen has no codec for it";
    } else if (const std::string x = s_.batch_element(type); !x.empty()) {
      why = "a batch (std::vector<" + x + ">), has no codec";
    }
    if (why.empty()) return;
    d_.error(
        at(s_.edges[edge].line), edge_subject(edge), who + " cannot carry <" + type + ">: it, " + why,
        "bridge <Line> (text) or a message type of your own (kept trivially copyable), and convert in an "
        "actor of your own");
  }

  // The library's message types (<Line> = std::string) are not trivially copyable: >>TakeCopy / >>PeekCopy
  // copy raw slots and cannot carry them.
  void check_library_types() {
    if (!s_.uses_prebuilt()) return;  // without prebuilt actors, <Line> is a type of the service's own
    for (int e = 0; e < static_cast<int>(s_.edges.size()); ++e) {
      const Edge& ed = s_.edges[e];
      const LibraryType* lt = find_library_type(ed.type);
      const std::string x = s_.batch_element(ed.type);
      if (ed.mode == Mode::take || (lt == nullptr && x.empty()) || (lt != nullptr && lt->trivially_copyable))
        continue;
      const std::string doc = lt != nullptr ? std::string(lt->doc) : "a batch, std::vector<" + x + ">";
      d_.error(at(ed.line), edge_subject(e),
               "<" + ed.type + "> is " + doc + ", not trivially copyable, so >>" +
                   std::string(mode_token(ed.mode)) + " cannot carry it",
               "write >>Take (or leave the mode out)");
    }
  }

  // ---------------------------------------------------------------- drivers and wait plans

  int find_port(const std::vector<Port>& ports, const std::string& name) const {
    for (int i = 0; i < static_cast<int>(ports.size()); ++i)
      if (ports[i].name == name) return i;
    return -1;
  }

  static std::string names_of(const std::vector<Port>& ports) {
    std::string s;
    for (const Port& p : ports) s += (s.empty() ? "" : ", ") + p.name;
    return s;
  }

  const Channel& channel_of(int node, bool input, int port) const {
    const Binding b = (input ? s_.in_bind : s_.out_bind)[node][port];
    return s_.channels[b.channel];
  }

  // Checks one ref; returns the port index or -1.
  int check_ref(int n, const ChannelRef& ref, bool input) {
    const Node& node = s_.nodes[n];
    const Kind& k = s_.kind_of(n);
    const std::vector<Port>& ports = input ? k.inputs : k.outputs;
    const std::vector<Port>& others = input ? k.outputs : k.inputs;
    const char* driver = input ? "OnEvent" : "OnCapacity";
    const std::string tok = std::string(driver) + "(" + ref.channel + ":" + std::to_string(ref.n) + ")";
    const int p = find_port(ports, ref.channel);
    if (p < 0) {
      if (find_port(others, ref.channel) >= 0)
        d_.error(at(node.line), node_subject(n),
                 tok + ": '" + ref.channel + "' is an " + (input ? "output" : "input") + " of " + node.id +
                     ", but " + driver + " waits on " + (input ? "an input" : "an output"),
                 std::string("write ") + (input ? "OnCapacity(" : "OnEvent(") + ref.channel + ":" +
                     std::to_string(ref.n) + ")");
      else
        d_.error(at(node.line), node_subject(n),
                 tok + ": " + node.id + " has no " + (input ? "input" : "output") + " channel named '" +
                     ref.channel + "'",
                 ports.empty()
                     ? std::string("it has no ") + (input ? "inputs" : "outputs") + "; remove " + driver
                     : std::string("its ") + (input ? "inputs" : "outputs") + " are: " + names_of(ports));
      return -1;
    }
    const Channel& c = channel_of(n, input, p);
    if (ref.n > c.capacity)
      d_.error(at(node.line), node_subject(n),
               tok + " waits for " + std::to_string(ref.n) + " but channel '" + c.name + "' has capacity " +
                   std::to_string(c.capacity),
               "lower N to at most " + std::to_string(c.capacity) + " or raise the channel's #capacity");
    if (ref.fraction && !ports[p].bundle)
      d_.error(at(node.line), node_subject(n),
               "a lane fraction on '" + ref.channel + "', which is a single channel, not a bundle",
               "write " + std::string(driver) + "(" + ref.channel + ":" + std::to_string(ref.n) + ")");
    return p;
  }

  WaitCond cond_for(const ChannelRef& ref, int port, bool input, const Kind& k, bool in_alternatives,
                    bool& approximate, bool& all_lanes) const {
    const Port& p = (input ? k.inputs : k.outputs)[port];
    WaitCond c{input ? WaitCond::What::avail : WaitCond::What::vacant, port, WaitCond::Lanes::one, {}};
    all_lanes = false;
    if (!p.bundle) return c;
    const bool all = ref.fraction && *ref.fraction >= 1.0;
    if (all && !in_alternatives) {
      c.lanes = WaitCond::Lanes::all;
      all_lanes = true;
      return c;
    }
    if (ref.fraction && (*ref.fraction < 1.0 || in_alternatives)) approximate = true;
    c.lanes = WaitCond::Lanes::any;
    return c;
  }

  void plan_waits() {
    s_.settings.assign(s_.nodes.size(), {});
    std::vector<bool> planned(s_.kinds.size(), false);
    for (int n = 0; n < static_cast<int>(s_.nodes.size()); ++n) {
      const Node& node = s_.nodes[n];
      Kind& k = s_.kinds[s_.node_kind[n]];
      ActorSettings& st = s_.settings[n];
      st.inputs.resize(k.inputs.size());
      st.outputs.resize(k.outputs.size());
      std::vector<bool> named_in(k.inputs.size(), false), named_out(k.outputs.size(), false);
      WaitPlan plan;
      std::vector<WaitCond> all;
      std::vector<std::vector<WaitCond>> anys;
      const Drivers& d = node.drivers;
      auto take_groups = [&](const std::vector<RefGroup>& groups, bool input) {
        for (const RefGroup& g : groups) {
          std::vector<WaitCond> alts;
          for (const ChannelRef& ref : g) {
            const int p = check_ref(n, ref, input);
            if (p < 0) continue;
            auto& named = input ? named_in : named_out;
            PortSettings& ps = (input ? st.inputs : st.outputs)[p];
            if (!named[p]) ps.threshold = ref.n;
            named[p] = true;
            bool all_lanes = false;
            WaitCond c = cond_for(ref, p, input, k, g.size() > 1, plan.approximate_fraction, all_lanes);
            if (g.size() == 1 && (c.lanes != WaitCond::Lanes::any))
              all.push_back(c);
            else
              alts.push_back(c);
          }
          if (!alts.empty()) anys.push_back(std::move(alts));
        }
      };
      take_groups(d.on_event, true);
      take_groups(d.on_capacity, false);
      for (const std::string& bell : d.other)
        all.push_back({WaitCond::What::bell, -1, WaitCond::Lanes::one, bell});
      const bool explicit_conds = !d.on_event.empty() || !d.on_capacity.empty() || !d.other.empty();
      const bool no_drivers = d.empty();
      if (no_drivers) {  // default: any input has a message, and every output has room
        std::vector<WaitCond> alts;
        for (int p = 0; p < static_cast<int>(k.inputs.size()); ++p)
          alts.push_back({WaitCond::What::avail,
                          p,
                          k.inputs[p].bundle ? WaitCond::Lanes::any : WaitCond::Lanes::one,
                          {}});
        if (alts.size() == 1 && alts[0].lanes == WaitCond::Lanes::one)
          all.push_back(alts[0]);
        else if (!alts.empty())
          anys.push_back(std::move(alts));
      }
      if (no_drivers || explicit_conds) {  // outputs the drivers do not name: wait for room for one message
        for (int p = 0; p < static_cast<int>(k.outputs.size()); ++p) {
          if (named_out[p]) continue;
          if (k.outputs[p].bundle)
            anys.push_back({{WaitCond::What::vacant, p, WaitCond::Lanes::any, {}}});
          else
            all.push_back({WaitCond::What::vacant, p, WaitCond::Lanes::one, {}});
        }
      }
      if (d.at_least_every) {
        plan.timer = WaitPlan::Timer::at_least_every;
        st.period_ns = d.at_least_every->ns;
        st.period_text = d.at_least_every->text;
      } else if (d.at_most_every) {
        plan.timer = WaitPlan::Timer::at_most_every;
        st.period_ns = d.at_most_every->ns;
        st.period_text = d.at_most_every->text;
      }
      if (all.empty() && anys.empty()) {
        plan.timer_only = plan.timer != WaitPlan::Timer::none;
      } else {
        if (plan.timer == WaitPlan::Timer::at_most_every)
          all.push_back({WaitCond::What::periodic, -1, WaitCond::Lanes::one, {}});
        for (auto& a : anys) plan.stages.push_back({true, std::move(a)});
        if (!all.empty()) plan.stages.push_back({false, std::move(all)});
      }
      // Batches: the edge's batch attribute, else the driver's N, else all there is (inputs) / one (outputs).
      for (std::size_t p = 0; p < k.inputs.size(); ++p) {
        const Channel& c = channel_of(n, true, static_cast<int>(p));
        st.inputs[p].batch = c.batch ? *c.batch : named_in[p] ? st.inputs[p].threshold : c.capacity;
      }
      for (std::size_t p = 0; p < k.outputs.size(); ++p) {
        const Channel& c = channel_of(n, false, static_cast<int>(p));
        st.outputs[p].batch = c.batch ? *c.batch : st.outputs[p].threshold;
      }
      if (!planned[s_.node_kind[n]]) {
        planned[s_.node_kind[n]] = true;
        k.plan = plan;
        k.bells = d.other;
      } else if (!(k.plan == plan)) {
        const Node& first = s_.nodes[k.instances.front()];
        d_.error(at(node.line), node_subject(n),
                 "instances of actor kind '" + k.name + "' must wait the same way, but " + node.id +
                     " has drivers '" + d.text + "' and " + first.id + " has '" + first.drivers.text + "'",
                 "give " + node.id + " the same drivers as " + first.id +
                     " (the numbers may differ), or its own kind with mod::");
      }
    }
  }

  // ---------------------------------------------------------------- cycles

  void find_cycles() {
    const int nn = static_cast<int>(s_.nodes.size());
    std::vector<std::vector<int>> adj(static_cast<std::size_t>(nn));
    for (const Edge& e : s_.edges) adj[e.from].push_back(e.to);
    std::vector<int> index(nn, -1), low(nn, 0), comp(nn, -1), stack;
    std::vector<bool> on(nn, false);
    int counter = 0, comps = 0;
    std::function<void(int)> strong = [&](int v) {
      index[v] = low[v] = counter++;
      stack.push_back(v);
      on[v] = true;
      for (int w : adj[v]) {
        if (index[w] < 0) {
          strong(w);
          low[v] = std::min(low[v], low[w]);
        } else if (on[w]) {
          low[v] = std::min(low[v], index[w]);
        }
      }
      if (low[v] == index[v]) {
        for (;;) {
          const int w = stack.back();
          stack.pop_back();
          on[w] = false;
          comp[w] = comps;
          if (w == v) break;
        }
        ++comps;
      }
    };
    for (int v = 0; v < nn; ++v)
      if (index[v] < 0) strong(v);
    std::vector<int> size(comps, 0);
    std::vector<bool> self_loop(comps, false), fed(comps, false);
    for (int v = 0; v < nn; ++v) ++size[comp[v]];
    for (const Edge& e : s_.edges) {
      if (e.from == e.to) self_loop[comp[e.from]] = true;
      if (comp[e.from] != comp[e.to]) fed[comp[e.to]] = true;
    }
    auto cyclic_comp = [&](int c) { return size[c] > 1 || self_loop[c]; };
    // In each cycle, a depth-first walk from its entry (the first actor fed from outside it, else the first
    // in the DOT) marks the edges that close a loop back onto the walk: feedback edges. A feedback input
    // cannot close before its consumer stops, so it must not hold a stop; the other edges drain front to back
    // as usual.
    std::vector<bool> feedback(s_.edges.size(), false);
    std::vector<int> root(comps, -1);
    for (int c = 0; c < comps; ++c) {
      if (!cyclic_comp(c)) continue;
      for (int v = 0; v < nn && root[c] < 0; ++v)
        if (comp[v] == c && std::any_of(s_.edges.begin(), s_.edges.end(),
                                        [&](const Edge& e) { return e.to == v && comp[e.from] != c; }))
          root[c] = v;
      for (int v = 0; v < nn && root[c] < 0; ++v)
        if (comp[v] == c) root[c] = v;
      std::vector<int> state(nn, 0);  // 0 unseen, 1 on the walk, 2 done
      std::function<void(int)> walk = [&](int v) {
        state[v] = 1;
        for (int e = 0; e < static_cast<int>(s_.edges.size()); ++e) {
          const Edge& ed = s_.edges[e];
          if (ed.from != v || comp[ed.to] != c) continue;
          if (state[ed.to] == 1)
            feedback[e] = true;
          else if (state[ed.to] == 0)
            walk(ed.to);
        }
        state[v] = 2;
      };
      walk(root[c]);
    }
    for (int n = 0; n < nn; ++n) {
      const Kind& k = s_.kind_of(n);
      for (std::size_t p = 0; p < k.inputs.size(); ++p) {
        const Binding b = s_.in_bind[n][p];
        const Channel& ch = s_.channels[b.channel];
        bool fb = false;
        if (b.lane >= 0)
          fb = feedback[ch.edges[b.lane]];
        else
          for (int e : ch.edges) fb = fb || feedback[e];
        s_.settings[n].inputs[p].feedback = fb;
      }
    }
    for (int c = 0; c < comps; ++c) {  // a cycle nothing feeds: its entry starts the traffic
      if (!cyclic_comp(c) || fed[c]) continue;
      s_.settings[root[c]].prime = true;
      s_.kinds[s_.node_kind[root[c]]].may_prime = true;
    }
  }

  void collect_types() {
    std::map<std::string, std::string> by_file;
    for (const Channel& c : s_.channels) {
      if (std::find(s_.types.begin(), s_.types.end(), c.type) != s_.types.end()) continue;
      s_.types.push_back(c.type);
      const std::string file = snake_case(c.type);
      if (auto [it, fresh] = by_file.emplace(file, c.type); !fresh)
        d_.error(at(s_.edges[c.edges[0]].line), edge_subject(c.edges[0]),
                 "message types <" + it->second + "> and <" + c.type + "> would share the file messages/" +
                     file + ".hpp",
                 "rename one of them");
    }
  }

  void name_channels() {
    std::map<std::string, int> uses;
    for (const Channel& c : s_.channels) ++uses[c.name];
    std::set<std::string> taken;
    for (Channel& c : s_.channels) {
      std::string base = c.name;
      if (uses[c.name] > 1) {
        const int owner = c.producer >= 0 ? c.producer : c.consumer;
        base = s_.nodes[owner].full_name + "." + c.name;
      }
      std::string name = base;
      for (int k = 2; taken.count(name) != 0; ++k) name = base + "_" + std::to_string(k);
      taken.insert(name);
      c.instance_name = name;
      std::string var = name;
      std::replace(var.begin(), var.end(), '.', '_');
      c.var = var;
    }
  }

  Service& s_;
  Diagnostics& d_;
  std::vector<std::vector<PortUse>> ins_, outs_;
};

}  // namespace

void analyze(Service& s, Diagnostics& diags) {
  Analyzer(s, diags).run();
}

}  // namespace steady_gen
