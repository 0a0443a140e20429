// render.cpp — the project-level files: CMake, README, main, unit file, messages, wiring, graph test.
#include "render.hpp"

#include <algorithm>

#include "analysis.hpp"
#include "catalogue.hpp"
#include "names.hpp"
#include "render_util.hpp"

namespace steady_gen {

std::vector<OutputFile> render_kind(const Service& s, const Kind& k, const RenderOptions& o);
std::string config_init_for(const Service& s, const Kind& k, int node);

namespace detail {

std::string lanes_param(const Port& p) {
  return camel_case(p.name) + "Lanes";
}

std::string chrono_expr(std::int64_t ns) {
  if (ns % 60'000'000'000 == 0) return "std::chrono::minutes(" + std::to_string(ns / 60'000'000'000) + ")";
  if (ns % 1'000'000'000 == 0) return "std::chrono::seconds(" + std::to_string(ns / 1'000'000'000) + ")";
  if (ns % 1'000'000 == 0) return "std::chrono::milliseconds(" + std::to_string(ns / 1'000'000) + ")";
  if (ns % 1'000 == 0) return "std::chrono::microseconds(" + std::to_string(ns / 1'000) + ")";
  return "std::chrono::nanoseconds(" + std::to_string(ns) + ")";
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? "" : sep) + parts[i];
  return out;
}

std::string instances_text(const Service& s, const Kind& k) {
  std::vector<std::string> ids;
  for (int n : k.instances) ids.push_back(s.nodes[n].id);
  return (ids.size() == 1 ? "actor " : "actors ") + join(ids, ", ");
}

bool is_library_type(const Service& s, const std::string& type) {
  return s.uses_prebuilt() && (find_library_type(type) != nullptr || !s.batch_element(type).empty());
}

Vars common_vars(const Service&, const std::string& ns, const std::string& dot_file) {
  Vars v;
  v["ns"] = ns;
  v["name"] = ns;
  v["dot_file"] = dot_file;
  return v;
}

namespace {

std::string node_ids(const Service& s, const std::vector<int>& nodes) {
  std::vector<std::string> ids;
  for (int n : nodes) ids.push_back(s.nodes[n].id);
  return join(ids, ", ");
}

std::string channel_ends(const Service& s, const Channel& c) {
  std::vector<int> from, to;
  for (int e : c.edges) {
    if (std::find(from.begin(), from.end(), s.edges[e].from) == from.end()) from.push_back(s.edges[e].from);
    if (std::find(to.begin(), to.end(), s.edges[e].to) == to.end()) to.push_back(s.edges[e].to);
  }
  return node_ids(s, from) + " → " + node_ids(s, to);
}

// ---------------------------------------------------------------- generated/graph.cpp

std::string end_arg(const Service& s, const Binding& b, bool input) {
  const Channel& c = s.channels[b.channel];
  const std::string v = c.var + (input ? "_rx" : "_tx");
  if (b.lane >= 0) return "std::move(" + v + "[" + std::to_string(b.lane) + "])";
  return "std::move(" + v + ")";
}

// graph.actor("name").suffix(..).troupe(..).core(..).restart(..)
std::string actor_builder(const Node& node) {
  std::string a = "graph.actor(" + cpp_string_literal(node.actor_name) + ")";
  if (node.suffix >= 0) a += ".suffix(" + std::to_string(node.suffix) + ")";
  if (!node.troupe.empty()) a += ".troupe(troupe_" + node.troupe + ")";
  if (node.core >= 0) a += ".core(" + std::to_string(node.core) + ")";
  switch (node.restart) {  // see steady/supervision.hpp
    case Restart::unset:
      break;
    case Restart::restart:
      a += ".restart(steady::RestartPolicy::restart(10, std::chrono::seconds(10)))";
      break;
    case Restart::never:
      a += ".restart(steady::RestartPolicy::never())";
      break;
    case Restart::stop_graph:
      a += ".restart(steady::RestartPolicy::stop_graph())";
      break;
  }
  return a;
}

// The T of a prebuilt node's generic ports: the type of its first generic port, or X of its first <XBatch>
// port (steady::unbatcher: <XBatch> in, <X> out). Empty when it has no generic port.
std::string prebuilt_type(const Service& s, int n) {
  const Kind& k = s.kind_of(n);
  const PrebuiltSpec& spec = *k.prebuilt;
  auto scan = [&](const std::vector<Port>& list, const std::vector<PortSpec>& specs) -> std::string {
    for (std::size_t p = 0; p < list.size() && p < specs.size(); ++p)
      if (specs[p].types.empty()) return specs[p].batch ? s.batch_element(list[p].type) : list[p].type;
    return {};
  };
  std::string t = scan(k.inputs, spec.inputs);
  return t.empty() ? scan(k.outputs, spec.outputs) : t;
}

// A prebuilt actor: the library's class, built from its Options (the node's attributes), on its channels.
std::string prebuilt_actor(const Service& s, int n) {
  const Node& node = s.nodes[n];
  const Kind& k = s.kind_of(n);
  const PrebuiltSpec& spec = *k.prebuilt;
  const std::string type = prebuilt_type(s, n);  // T of the ports that take any type
  std::size_t lanes = 0;
  std::vector<std::string> args;
  auto ports = [&](const std::vector<Port>& list, const std::vector<Binding>& binds, bool input) {
    for (std::size_t p = 0; p < list.size(); ++p) {
      if (list[p].bundle) lanes = s.channels[binds[p].channel].lanes();
      args.push_back(end_arg(s, binds[p], input));
    }
  };
  ports(k.inputs, s.in_bind[n], true);
  ports(k.outputs, s.out_bind[n], false);
  std::string a =
      "// " + node.id + ": mod::steady::" + std::string(spec.name) + " — " + std::string(spec.summary) + "\n";
  std::vector<std::string> options = node.options;
  if (auto key = node.wiring.find("key"); key != node.wiring.end()) {  // the first field of SplitterOptions
    const std::string what = key->second == "message" ? "m" : "m." + key->second;
    options.insert(options.begin(), ".key = [](const " + type + "& m) { return static_cast<std::uint64_t>(" +
                                        "std::hash<std::remove_cvref_t<decltype(" + what + ")>>{}(" + what +
                                        ")); }");
    a += "// key=\"" + key->second + "\": every message with the same " +
         (key->second == "message" ? std::string("content") : key->second) + " goes to the same lane\n";
  }
  std::string codec_type, codec_arg;
  if (const LibraryType* lt = find_library_type(type); spec.bridge && lt != nullptr && !lt->codec.empty()) {
    codec_type = lt->codec_type;
    codec_arg = ", " + std::string(lt->codec);
  }
  if (auto file = node.wiring.find("offset_file"); file != node.wiring.end()) {
    // Resume (file_source): a persisted State<FileOffset> (steady/state.hpp).
    const std::string var = node.full_name + "_offset";
    const auto every = node.wiring.find("offset_every");
    a += "// offset_file: it resumes after the last line taken, across restarts of the service\n";
    a += "auto " + var + " = graph.state<::steady::actors::FileOffset>(" +
         cpp_string_literal(node.full_name + "_offset") + ")\n    .persist(" + file->second +
         (every != node.wiring.end() ? ", " + every->second : std::string()) + ")\n    .build();\n";
    a += "if (!" + var + ") throw std::runtime_error(" + cpp_string_literal(node.id + " (offset_file): ") +
         " + " + var + ".error());\n";
    args.push_back("*" + var);
  }
  a += actor_builder(node);
  std::string opts = options.empty() ? "{}" : "{" + join(options, ", ") + "}";
  if (opts.size() > 80) opts = "{\n        " + join(options, ",\n        ") + "}";
  a += ".run(\n    " + prebuilt_class(spec, type, lanes, codec_type) + "(" + opts + codec_arg + "),\n    " +
       join(args, ",\n    ") + ");";
  return a;
}

Vars wiring_vars(const Service& s, const RenderOptions& o) {
  Vars v = common_vars(s, o.name, o.dot_file);
  std::vector<std::string> includes, channels, troupes, actors;
  if (s.uses_prebuilt()) includes.push_back("#include \"messages.hpp\"");  // no stub header may bring it in
  for (const Kind& k : s.kinds) {
    const std::string inc = k.prebuilt != nullptr ? "#include <" + std::string(k.prebuilt->header) + ">"
                                                  : "#include \"generated/" + k.name + "_actor.hpp\"";
    if (std::find(includes.begin(), includes.end(), inc) == includes.end()) includes.push_back(inc);
  }
  for (const Channel& c : s.channels) {
    std::string line = "// " + c.instance_name +
                       (c.bundle() ? " (" + std::to_string(c.lanes()) + " lanes)" : "") + ": " +
                       channel_ends(s, c) + ", >>" + std::string(mode_token(c.mode)) + "\n";
    line += "auto [" + c.var + "_tx, " + c.var + "_rx] = graph.channel<" + c.type + ">().name(" +
            cpp_string_literal(c.instance_name) + ").capacity(" + std::to_string(c.capacity) + ")";
    line += c.bundle() ? ".build_bundle<" + std::to_string(c.lanes()) + ">();" : ".build();";
    channels.push_back(line);
  }
  for (const std::string& t : s.troupes)
    troupes.push_back("const steady::Troupe troupe_" + t + " = graph.troupe(" + cpp_string_literal(t) + ");");
  for (int n = 0; n < static_cast<int>(s.nodes.size()); ++n) {
    const Node& node = s.nodes[n];
    const Kind& k = s.kind_of(n);
    if (k.prebuilt != nullptr) {
      actors.push_back(prebuilt_actor(s, n));
      continue;
    }
    std::string a = "// " + node.id + ": mod::" + k.name;
    if (!node.drivers.text.empty()) a += ", " + node.drivers.text;
    if (!node.troupe.empty()) a += ", troupe " + node.troupe;
    a += "\n";
    std::string fn = "&" + k.name + "_actor";
    std::vector<std::string> targs, args;
    for (std::size_t p = 0; p < k.inputs.size(); ++p) {
      const Binding b = s.in_bind[n][p];
      if (k.inputs[p].bundle) targs.push_back(std::to_string(s.channels[b.channel].lanes()));
      args.push_back(end_arg(s, b, true));
    }
    for (std::size_t p = 0; p < k.outputs.size(); ++p) {
      const Binding b = s.out_bind[n][p];
      if (k.outputs[p].bundle) targs.push_back(std::to_string(s.channels[b.channel].lanes()));
      args.push_back(end_arg(s, b, false));
    }
    if (!targs.empty()) fn += "<" + join(targs, ", ") + ">";
    args.push_back("std::make_shared<actors::" + k.cls + ">()");
    args.push_back(config_init_for(s, k, n));
    a += actor_builder(node);
    a += ".run(\n    " + fn + ",\n    " + join(args, ",\n    ") + ");";
    actors.push_back(a);
  }
  v["includes"] = join(includes, "\n");
  v["channels"] = join(channels, "\n");
  v["has_troupes"] = troupes.empty() ? "" : "1";
  v["troupes"] = join(troupes, "\n");
  v["actors"] = join(actors, "\n\n");
  bool line_codec = false;
  for (int n = 0; n < static_cast<int>(s.nodes.size()); ++n)
    if (const Kind& k = s.kind_of(n); k.prebuilt != nullptr && k.prebuilt->bridge) {
      const LibraryType* lt = find_library_type(prebuilt_type(s, n));
      line_codec = line_codec || (lt != nullptr && !lt->codec.empty());
    }
  v["line_codec"] = line_codec ? "1" : "";
  v["stopper"] = kStopperName;
  std::vector<std::string> names;
  for (const std::string& n : s.runtime_channel_names()) names.push_back(cpp_string_literal(n));
  v["channel_count"] = std::to_string(names.size());
  v["channel_names"] = join(names, ", ");
  std::vector<std::string> busy;
  for (const std::string& n : s.live_channel_names()) busy.push_back(cpp_string_literal(n));
  v["busy_count"] = std::to_string(busy.size());
  v["busy_names"] = join(busy, ", ");
  return v;
}

// ---------------------------------------------------------------- tests/graph_test.cpp

Vars graph_test_vars(const Service& s, const RenderOptions& o) {
  Vars v = common_vars(s, o.name, o.dot_file);
  v["cls"] = camel_case(o.name);
  std::vector<std::string> mocks, waits;
  for (int n = 0; n < static_cast<int>(s.nodes.size()); ++n) {
    const Kind& k = s.kind_of(n);
    if (!k.sink() || k.inputs.empty()) continue;
    const Node& node = s.nodes[n];
    // A mock only where traffic is expected (not behind a prebuilt actor that waits for a file or a client).
    const std::vector<std::string> live = s.live_channel_names();
    const std::vector<std::string> lanes = s.channels[s.in_bind[n][0].channel].runtime_names();
    if (std::none_of(lanes.begin(), lanes.end(), [&](const std::string& l) {
          return std::find(live.begin(), live.end(), l) != live.end();
        }))
      continue;
    const std::string var = "sink_" + node.full_name;
    mocks.push_back("auto& " + var + " = stage.replace_with_sink<" + k.inputs[0].type + ">(" +
                    cpp_string_literal(node.full_name) + ");  // in place of " + node.id);
    waits.push_back("EXPECT_TRUE(" + var +
                    ".wait_for_count(1, 30s)) << \"nothing reached the mock in place of " + node.id + "\";");
  }
  // A bridge sender with no peer (none runs in this test) holds what it took and vetoes the stop: where
  // traffic reaches it, a mock takes its place in the first test too.
  std::vector<std::string> bridge_mocks;
  const std::vector<std::string> live = s.live_channel_names();
  for (int n = 0; n < static_cast<int>(s.nodes.size()); ++n) {
    const Kind& k = s.kind_of(n);
    if (k.prebuilt == nullptr || !k.prebuilt->holds_stop_without_peer || k.inputs.empty()) continue;
    const std::string lane = s.channels[s.in_bind[n][0].channel].runtime_names()[0];
    if (std::find(live.begin(), live.end(), lane) == live.end()) continue;
    bridge_mocks.push_back("(void)stage.replace_with_sink<" + k.inputs[0].type + ">(" +
                           cpp_string_literal(s.nodes[n].full_name) + ");  // " + s.nodes[n].id +
                           ": steady::" + std::string(k.prebuilt->name) + ", whose peer is not running here");
  }
  v["has_bridge_mocks"] = bridge_mocks.empty() ? "" : "1";
  v["bridge_mocks"] = join(bridge_mocks, "\n");
  v["has_sinks"] = mocks.empty() ? "" : "1";
  v["sink_mocks"] = join(mocks, "\n");
  v["sink_waits"] = join(waits, "\n");
  return v;
}

// ---------------------------------------------------------------- messages

std::vector<OutputFile> render_messages(const Service& s, const RenderOptions& o) {
  std::vector<OutputFile> out;
  Vars v = common_vars(s, o.name, o.dot_file);
  std::vector<std::string> includes, asserts;
  std::vector<std::string> aliases, batch_aliases;
  // Message types that cross a bridge: the default codec copies their bytes.
  std::vector<std::string> bridged;
  for (int n = 0; n < static_cast<int>(s.nodes.size()); ++n)
    if (const Kind& k = s.kind_of(n); k.prebuilt != nullptr && k.prebuilt->bridge)
      for (const Port& p : k.prebuilt->inputs.empty() ? k.outputs : k.inputs)
        if (std::find(bridged.begin(), bridged.end(), p.type) == bridged.end()) bridged.push_back(p.type);
  for (const std::string& type : s.types) {
    if (const std::string x = s.batch_element(type); !x.empty()) {  // <XBatch>: std::vector<X>
      const LibraryType* lt = find_library_type(x);
      const std::string elem = lt != nullptr ? std::string(lt->cpp) : x;
      if (std::find(includes.begin(), includes.end(), "#include <vector>") == includes.end())
        includes.insert(includes.begin(), "#include <vector>");
      if (lt != nullptr && std::find(includes.begin(), includes.end(),
                                     "#include " + std::string(lt->header)) == includes.end())
        includes.insert(includes.begin(), "#include " + std::string(lt->header));
      batch_aliases.push_back("using " + type + " = std::vector<" + elem + ">;  // batches of <" + x +
                              "> (steady::batcher / steady::unbatcher)");
      continue;
    }
    if (is_library_type(s, type)) {  // a message type of steady::actors: an alias, no file of its own
      const LibraryType& lt = *find_library_type(type);
      const std::string inc = "#include " + std::string(lt.header);
      if (std::find(includes.begin(), includes.end(), inc) == includes.end())
        includes.insert(includes.begin(), inc);
      aliases.push_back("using " + type + " = " + std::string(lt.cpp) + ";  // " + std::string(lt.doc) +
                        ", from steady::actors");
      asserts.push_back("static_assert(std::is_default_constructible_v<" + type +
                        "> && std::is_copy_constructible_v<" + type + ">);");
      continue;
    }
    const std::string file = snake_case(type);
    includes.push_back("#include \"messages/" + file + ".hpp\"");
    const auto chans = s.channels_of_type(type);
    if (std::find(bridged.begin(), bridged.end(), type) != bridged.end())
      asserts.push_back(
          "static_assert(std::is_trivially_copyable_v<" + type + ">, \"" + type +
          " crosses a bridge to another process with the default codec, which copies its bytes: "
          "keep it trivially copyable\");");
    if (s.type_needs_trivial_copy(type))
      asserts.push_back("static_assert(std::is_trivially_copyable_v<" + type + ">, \"" + type +
                        " travels in >>TakeCopy / >>PeekCopy mode (channels " + join(chans, ", ") +
                        "), which copies raw slots: keep it trivially copyable\");");
    asserts.push_back("static_assert(std::is_default_constructible_v<" + type +
                      "> && std::is_copy_constructible_v<" + type +
                      ">, \"the generated stubs and tests build and copy " + type + "\");");
    Vars m = v;
    m["file"] = file;
    m["type"] = type;
    m["channels"] = join(chans, ", ");
    m["plural"] = chans.size() == 1 ? "" : "s";
    m["trivial"] = s.type_needs_trivial_copy(type) ? "1" : "";
    std::vector<std::string> printers;  // prebuilt actors that print it (steady::actors::Console)
    for (int n = 0; n < static_cast<int>(s.nodes.size()); ++n) {
      const Kind& k = s.kind_of(n);
      if (k.prebuilt == nullptr) continue;
      for (std::size_t p = 0; p < k.inputs.size() && p < k.prebuilt->inputs.size(); ++p)
        if (k.prebuilt->inputs[p].printable && k.inputs[p].type == type) printers.push_back(s.nodes[n].id);
    }
    m["printable"] = printers.empty() ? "" : "1";
    m["printed_by"] = join(printers, ", ");
    out.push_back(
        {"messages/" + file + ".hpp", render_template("message.hpp.in", m), OutputFile::Owner::user, {}});
  }
  v["includes"] = join(includes, "\n");
  for (std::string& a : batch_aliases) aliases.push_back(std::move(a));  // after the types they hold
  v["aliases"] = join(aliases, "\n");
  v["asserts"] = join(asserts, "\n");
  out.insert(out.begin(),
             {"messages.hpp", render_template("messages.hpp.in", v), OutputFile::Owner::generated, {}});
  return out;
}

// ---------------------------------------------------------------- CMakeLists.txt

// The library targets the prebuilt actors need (steady::actors, steady::bridge_zmq, ...), each checked with
// a message that says how to build it, and linked.
std::string prebuilt_links(const Service& s, const std::string& name) {
  struct Target {
    std::string_view target, flags;
  };
  static constexpr Target kTargets[] = {
      {"actors", "-DSTEADY_BUILD_ACTORS=ON"},
      {"bridge_zmq", "-DSTEADY_BUILD_BRIDGES=ON"},
      {"bridge_nats", "-DSTEADY_BUILD_BRIDGES=ON -DSTEADY_BUILD_BRIDGE_NATS=ON"},
  };
  std::string out;
  for (const Target& t : kTargets) {
    std::vector<std::string> users;
    for (const Kind& k : s.kinds)
      if (k.prebuilt != nullptr && k.prebuilt->target == t.target &&
          std::find(users.begin(), users.end(), std::string(k.prebuilt->name)) == users.end())
        users.push_back(std::string(k.prebuilt->name));
    if (users.empty()) continue;
    const std::string target = "steady::" + std::string(t.target);
    out += "# mod::steady::" + join(users, ", mod::steady::") + " in the DOT file: " + target + ".\n";
    out += "if(NOT TARGET " + target + ")\n";
    out += "  message(FATAL_ERROR \"" + name + " uses " + join(users, ", ") +
           ", but this steady_state has no " + target +
           ": build and \"\n                      \"install it with " + std::string(t.flags) +
           "\")\nendif()\n";
    out += "target_link_libraries(" + name + "_actors PUBLIC " + target + ")\n";
  }
  if (!out.empty()) out.pop_back();
  return out;
}

// ---------------------------------------------------------------- README

Vars readme_vars(const Service& s, const RenderOptions& o) {
  Vars v = common_vars(s, o.name, o.dot_file);
  std::vector<std::string> notes, actor_rows, channel_rows;
  for (const DocNote& n : s.notes) notes.push_back(n.text);
  for (const Node& n : s.nodes) {
    std::string wakes = n.drivers.text.empty() ? "any input; room on outputs" : n.drivers.text;
    std::string runs = n.troupe.empty() ? "own thread" : "troupe `" + n.troupe + "`";
    if (n.core >= 0) runs += ", core " + std::to_string(n.core);
    if (n.restart != Restart::unset) runs += ", restart=" + std::string(restart_token(n.restart));
    actor_rows.push_back("| " + n.id + " (`" + n.full_name + "`) | `" + n.kind + "` | `" + wakes + "` | " +
                         runs + " |");
  }
  for (const Channel& c : s.channels) {
    std::string name = "`" + c.instance_name + "`";
    if (c.bundle()) name += " (bundle of " + std::to_string(c.lanes()) + ")";
    channel_rows.push_back("| " + name + " | " + channel_ends(s, c) + " | `" + c.type + "` | " +
                           std::string(mode_token(c.mode)) + " | " + std::to_string(c.capacity) + " |");
  }
  v["has_notes"] = notes.empty() ? "" : "1";
  v["notes"] = join(notes, "\n\n");
  v["actor_rows"] = join(actor_rows, "\n");
  v["channel_rows"] = join(channel_rows, "\n");
  v["dot_path"] = o.dot_path;
  return v;
}

}  // namespace
}  // namespace detail

std::vector<OutputFile> render(const Service& s, const RenderOptions& o) {
  using detail::common_vars;
  using Owner = OutputFile::Owner;
  std::vector<OutputFile> out;
  Vars v = common_vars(s, o.name, o.dot_file);

  Vars cm = v;
  std::string upper = o.name;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  cm["NAME"] = upper;
  std::vector<std::string> actor_sources, test_sources;
  for (const Kind& k : s.kinds) {
    if (k.prebuilt != nullptr) continue;  // in steady::actors
    actor_sources.push_back("actors/" + k.name + ".cpp");
    test_sources.push_back("tests/" + k.name + "_test.cpp");
  }
  cm["actor_sources"] = detail::join(actor_sources, "\n");
  cm["test_sources"] = detail::join(test_sources, "\n");
  cm["prebuilt"] = s.uses_prebuilt() ? "1" : "";
  cm["prebuilt_links"] = detail::prebuilt_links(s, o.name);
  out.push_back({"CMakeLists.txt", render_template("CMakeLists.txt.in", cm), Owner::generated, {}});

  out.push_back({"README.md", render_template("README.md.in", detail::readme_vars(s, o)), Owner::user, {}});
  out.push_back({o.name + ".service.in", render_template("service.in", v), Owner::user, {}});
  Vars mv = v;
  mv["description"] =
      cpp_string_literal(o.name + ": a steady_state service (generated from " + o.dot_file + ")");
  out.push_back({"main.cpp", render_template("main.cpp.in", mv), Owner::user, {}});

  for (auto& f : detail::render_messages(s, o)) out.push_back(std::move(f));
  out.push_back({"generated/support.hpp", render_template("support.hpp.in", v), Owner::generated, {}});
  const Vars wiring = detail::wiring_vars(s, o);
  out.push_back({"generated/graph.hpp", render_template("graph.hpp.in", wiring), Owner::generated, {}});
  out.push_back({"generated/graph.cpp", render_template("graph.cpp.in", wiring), Owner::generated, {}});
  out.push_back({"tests/graph_test.cpp",
                 render_template("graph_test.cpp.in", detail::graph_test_vars(s, o)),
                 Owner::generated,
                 {}});
  for (const Kind& k : s.kinds)
    if (k.prebuilt == nullptr)
      for (auto& f : render_kind(s, k, o)) out.push_back(std::move(f));
  return out;
}

}  // namespace steady_gen
