// front_end.cpp — reading a DOT file with cgraph (see front_end.hpp).
#include "front_end.hpp"

#include <graphviz/cgraph.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <regex>

#include "catalogue.hpp"
#include "dot_locator.hpp"
#include "labels.hpp"
#include "names.hpp"

// cgraph's scanner (exported by libcgraph, not declared in its headers): frees the buffer, resets every
// state.
extern "C" int aaglex_destroy(void);

namespace steady_gen {

namespace {

struct GraphCloser {
  void operator()(Agraph_t* g) const noexcept { agclose(g); }
};

// An attribute's value, or nothing when it is not declared or empty for this object.
std::optional<std::string> attr(void* obj, const char* name) {
  const char* v = agget(obj, const_cast<char*>(name));  // cgraph's API is not const-correct
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

std::string label_of(void* obj) {
  auto l = attr(obj, "label");
  if (!l || *l == "\\N" || *l == "\\E" || *l == "\\G") return {};
  return unescape_label(*l);
}

// A prebuilt actor's node: its catalogue entry and its options, from the node's attributes.
void read_prebuilt(Agraph_t* g, Agnode_t* n, const std::string& name, const Reporter& r, Node& out) {
  out.kind = "steady::" + name;
  const PrebuiltSpec* spec = find_prebuilt(name);
  if (spec == nullptr) {
    const std::string near = nearest_prebuilt(name);
    r.error("unknown prebuilt actor 'steady::" + name + "'",
            (near.empty() ? std::string() : "did you mean mod::steady::" + near + "? ") +
                "the prebuilt actors are: " + prebuilt_names() + " (docs/actors.md)");
    return;
  }
  out.prebuilt = spec;
  if (!out.drivers.empty())
    r.error("drivers (" + out.drivers.text + ") on the prebuilt actor steady::" + name +
                ", which chooses its own waits",
            "remove the drivers from the label, or use an actor kind of your own");
  std::vector<std::optional<std::string>> values(spec->options.size());
  std::vector<bool> given(spec->options.size(), false);  // also when the value was wrong (reported once)
  std::string known;
  for (const OptionSpec& o : spec->options) known += (known.empty() ? "" : ", ") + std::string(o.attr);
  for (Agsym_t* sym = agnxtattr(g, AGNODE, nullptr); sym != nullptr; sym = agnxtattr(g, AGNODE, sym)) {
    const std::string attr_name = sym->name;
    const char* raw = agxget(n, sym);
    if (raw == nullptr || *raw == '\0' || is_non_option_attribute(attr_name)) continue;
    const std::string value = raw;
    const auto o = std::find_if(spec->options.begin(), spec->options.end(),
                                [&](const OptionSpec& x) { return x.attr == attr_name; });
    if (o == spec->options.end()) {
      r.error("steady::" + name + " has no option '" + attr_name + "'",
              "its options are: " + (known.empty() ? std::string("none") : known) + " (docs/actors.md)");
      continue;
    }
    given[static_cast<std::size_t>(o - spec->options.begin())] = true;
    std::string problem, example;
    if (auto expr = option_expr(*o, value, problem, example))
      values[static_cast<std::size_t>(o - spec->options.begin())] = std::move(*expr);
    else
      r.error("option " + attr_name + "=\"" + value + "\" " + problem + " (" + std::string(o->attr) + ": " +
                  std::string(o->doc) + ")",
              "write " + example);
  }
  for (std::string_view req : spec->required) {
    const auto o = std::find_if(spec->options.begin(), spec->options.end(),
                                [&](const OptionSpec& x) { return x.attr == req; });
    if (o != spec->options.end() && !given[static_cast<std::size_t>(o - spec->options.begin())])
      r.error("steady::" + name + " needs the option " + std::string(req) + " (" + std::string(o->doc) + ")",
              "add " + std::string(req) + "=\"...\" to the node's attributes, e.g. " + out.id +
                  " [label=\"mod::steady::" + name + "\", " + std::string(req) + "=\"...\"]");
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!values[i]) continue;
    const OptionSpec& o = spec->options[i];
    if (o.use == OptionUse::field)
      out.options.push_back("." + std::string(o.field) + " = " + *values[i]);
    else
      out.wiring[std::string(o.attr)] = *values[i];
  }
  if (out.wiring.count("offset_every") != 0 && out.wiring.count("offset_file") == 0)
    r.error("offset_every without offset_file: steady::" + name + " keeps no offset to write",
            "add offset_file=\"" + out.full_name +
                ".offset\" (the file that keeps the offset), or remove "
                "offset_every");
}

void read_node(Agraph_t* g, Agnode_t* n, const DotLocator& where, const std::string& file, Diagnostics& diags,
               Node& out) {
  out.id = agnameof(n);
  out.line = where.node_line(out.id);
  const Reporter r{diags, {file, out.line}, "node " + out.id};
  if (const std::string why = identifier_problem(out.id); !why.empty()) {
    std::string suggestion = camel_case(snake_case(out.id));
    if (suggestion.empty() || !is_identifier(suggestion)) suggestion = "MyActor";
    r.error("node ID '" + out.id + "' is not a C++ identifier (" + why + "); it names the actor",
            "write a CamelCase ID such as " + suggestion + " (and put prose in the label)");
  }
  const NodeTokens tokens = parse_node_label(label_of(n), r);
  out.prose = tokens.prose;
  out.drivers = tokens.drivers;
  if (auto d = attr(n, "driver")) {
    if (tokens.has_drivers)
      r.warning("the driver attribute overrides the drivers in the label", "keep the drivers in one place");
    out.drivers = parse_driver_attribute(*d, r);
  }
  const InstanceName inst = split_instance_suffix(out.id);
  out.actor_name = snake_case(inst.base);
  out.suffix = inst.suffix;
  out.full_name = out.suffix >= 0 ? out.actor_name + "_" + std::to_string(out.suffix) : out.actor_name;
  out.kind = out.actor_name;
  if (auto m = tokens.module) out.kind = *m;
  if (auto m = attr(n, "module")) out.kind = *m;
  // mod::steady::NAME (or module="steady::NAME", or prebuilt="NAME"): a prebuilt actor of steady::actors.
  std::optional<std::string> prebuilt;
  constexpr std::string_view kLibrary = "steady::";
  if ((tokens.module || attr(n, "module")) && out.kind.rfind(kLibrary, 0) == 0)
    prebuilt = out.kind.substr(kLibrary.size());
  if (auto p = attr(n, "prebuilt")) {
    if (prebuilt && *prebuilt != *p)
      r.error("prebuilt=\"" + *p + "\" and mod::steady::" + *prebuilt + " disagree", "keep one of them");
    else if (!prebuilt && (tokens.module || attr(n, "module")))
      r.error("prebuilt=\"" + *p + "\" and the actor kind '" + out.kind + "' disagree",
              "remove mod::" + out.kind + " (a prebuilt actor has no kind of its own)");
    prebuilt = *p;
  }
  if (prebuilt)
    read_prebuilt(g, n, *prebuilt, r, out);
  else if (tokens.module || attr(n, "module"))
    (void)check_snake_name(out.kind, "actor kind", "mod::", r);
  else if (!out.kind.empty() && !is_identifier(out.kind))
    r.error("the default actor kind '" + out.kind + "' (from the node ID) is not an identifier",
            "add mod::my_kind to the label");

  if (auto t = attr(n, "troupe")) {
    if (const std::string why = identifier_problem(*t); !why.empty())
      r.error("troupe '" + *t + "' " + why, "write troupe=\"" + snake_case(*t) + "\"");
    else
      out.troupe = *t;
  }
  if (auto rs = attr(n, "restart")) {
    if (*rs == "never")
      out.restart = Restart::never;
    else if (*rs == "restart")
      out.restart = Restart::restart;
    else if (*rs == "stop_graph")
      out.restart = Restart::stop_graph;
    else
      r.error("restart '" + *rs + "' is not a policy",
              "write restart=\"never\", \"restart\" or \"stop_graph\"");
  }
  if (auto c = attr(n, "core")) {
    char* end = nullptr;
    const long v = std::strtol(c->c_str(), &end, 10);
    if (end == c->c_str() || *end != '\0' || v < 0 || v > 4095)
      r.error("core '" + *c + "' is not a core number", "write core=\"0\" (a CPU index) or leave it out");
    else
      out.core = static_cast<int>(v);
  }
}

void read_edge(Agedge_t* e, const Node& from, const Node& to, const DotLocator& where,
               const std::string& file, Diagnostics& diags, Edge& out) {
  out.line = where.edge_line(from.id, to.id);
  const Reporter r{diags, {file, out.line}, "edge " + from.id + " -> " + to.id};
  const EdgeTokens tokens = parse_edge_label(label_of(e), r);
  out.name = snake_case(from.id) + "_to_" + snake_case(to.id);
  if (tokens.name) out.name = *tokens.name;
  if (auto c = attr(e, "channel")) out.name = *c;
  const bool named = tokens.name || attr(e, "channel");
  if (named) (void)check_snake_name(out.name, "channel name", "name::", r);

  out.type = camel_case(out.name);
  if (tokens.type) out.type = *tokens.type;
  if (auto t = attr(e, "type")) out.type = *t;
  if (tokens.type || attr(e, "type"))
    (void)check_type_name(out.type, r);
  else if (!is_identifier(out.type))
    r.error("no message type could be derived from channel '" + out.name + "'",
            "add <TypeName> to the label");

  if (tokens.mode) out.mode = *tokens.mode;
  if (auto m = attr(e, "mode")) {
    if (auto pm = parse_mode(*m, r)) out.mode = *pm;
  }
  if (tokens.capacity) out.capacity = *tokens.capacity;
  if (auto c = attr(e, "capacity")) {
    if (auto pc = parse_count(*c, "capacity", "capacity=\"1024\"", r)) out.capacity = *pc;
  }
  if (auto b = attr(e, "batch")) out.batch = parse_count(*b, "batch", "batch=\"64\"", r);
}

}  // namespace

std::optional<Service> read_dot(const std::string& file, const std::string& text, Diagnostics& diags) {
  const DotLocator where(text);
  agseterr(AGMAX);  // keep cgraph quiet: its messages come back through aglasterr()
  // cgraph's flex scanner keeps its start condition across parses: a file ending inside a quoted string left
  // it in the string state and the next file read in this process failed (found by fuzz/dot.cpp). Reset it
  // fully.
  aaglex_destroy();
  agreseterrors();
  std::string file_copy = file;
  agsetfile(file_copy.data());
  std::unique_ptr<Agraph_t, GraphCloser> g(agmemread(text.c_str()));
  if (!g) {
    char* last = aglasterr();  // malloc'd: ours to free (found by fuzz/dot.cpp under LeakSanitizer)
    std::string msg = last != nullptr ? last : "";
    std::free(last);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    int line = 0;
    std::smatch m;
    if (std::regex_search(msg, m, std::regex("line ([0-9]+)"))) line = std::stoi(m[1]);
    if (msg.empty()) {
      diags.error({file, where.graph_line() > 0 ? where.graph_line() : 1}, "graph",
                  "empty graph: the file holds no digraph",
                  "write digraph my_service { Producer -> Consumer [label=\"name::items <Item>\"]; }");
      return std::nullopt;
    }
    // cgraph says "<file>: syntax error in line 2 near '['"; keep what follows the file name.
    if (const auto p = msg.find(": "); p != std::string::npos && msg.compare(0, p, file) == 0)
      msg.erase(0, p + 2);
    diags.error(
        {file, line}, "", "DOT " + msg,
        "check the brackets, quotes and semicolons on that line (steady-gen --help shows the grammar)");
    return std::nullopt;
  }
  Service s;
  s.dot_file = file;
  s.graph_name = agnameof(g.get());
  if (!agisdirected(g.get())) {
    diags.error({file, where.graph_line()}, "graph " + s.graph_name,
                "an undirected 'graph': channels need a direction, so steady-gen reads only a digraph",
                "write 'digraph " + s.graph_name + " { ... }' with '->' edges");
    return std::nullopt;
  }

  std::vector<Agnode_t*> actor_nodes;
  std::vector<int> index_of;  // by AGSEQ order position
  std::vector<Agnode_t*> all;
  for (Agnode_t* n = agfstnode(g.get()); n != nullptr; n = agnxtnode(g.get(), n)) all.push_back(n);
  auto node_index = [&](Agnode_t* n) -> int {
    const auto it = std::find(actor_nodes.begin(), actor_nodes.end(), n);
    return it == actor_nodes.end() ? -1 : static_cast<int>(it - actor_nodes.begin());
  };
  for (Agnode_t* n : all) {
    const std::string id = agnameof(n);
    if (id.rfind("__", 0) == 0) {  // documentation node
      std::string text = label_of(n);
      if (text.empty()) text = id.substr(2);
      s.notes.push_back({id, text});
      continue;
    }
    actor_nodes.push_back(n);
    s.nodes.emplace_back();
    read_node(g.get(), n, where, file, diags, s.nodes.back());
  }

  std::vector<Agedge_t*> edges;
  for (Agnode_t* n : all)
    for (Agedge_t* e = agfstout(g.get(), n); e != nullptr; e = agnxtout(g.get(), e)) edges.push_back(e);
  std::sort(edges.begin(), edges.end(), [](Agedge_t* a, Agedge_t* b) { return AGSEQ(a) < AGSEQ(b); });
  for (Agedge_t* e : edges) {
    const int from = node_index(agtail(e));
    const int to = node_index(aghead(e));
    if (from < 0 || to < 0) continue;  // touches a documentation node
    Edge out;
    out.from = from;
    out.to = to;
    read_edge(e, s.nodes[from], s.nodes[to], where, file, diags, out);
    s.edges.push_back(std::move(out));
  }
  if (s.nodes.empty())
    diags.error({file, where.graph_line()}, "graph " + s.graph_name, "empty graph: no actors",
                "add nodes and edges, e.g. Producer -> Consumer [label=\"name::items <Item>\"]");
  return s;
}

}  // namespace steady_gen
