// src/telemetry/exposition.cpp — see exposition.hpp. nlohmann/json builds every JSON document here.
#include "exposition.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

namespace steady::telemetry {

namespace {

using json = nlohmann::ordered_json;

// Fewer digits on the wire: figures are shown with 3 significant digits anyway.
double r3(double x) { return std::isfinite(x) ? std::round(x * 1e3) / 1e3 : 0.0; }
double r6(double x) { return std::isfinite(x) ? std::round(x * 1e6) / 1e6 : 0.0; }  // ms → whole ns

std::string pct_key(double p) { return percentile_key(p); }

json stats_json(const Stats& s, const Options& o) {
  if (s.n == 0) return nullptr;
  json j{{"n", s.n}, {"avg", r3(s.avg)}, {"min", r3(s.min)}, {"max", r3(s.max)}, {"sd", r3(s.sd)}};
  for (std::size_t i = 0; i < s.pct.size() && i < o.percentiles.size(); ++i) j[pct_key(o.percentiles[i])] = r3(s.pct[i]);
  return j;
}

json latency_json(const LatencyStats& s, const Options& o) {
  if (s.n == 0) return nullptr;
  json j{{"n", s.n}, {"avg", r6(s.avg)}, {"min", r6(s.min)}, {"max", r6(s.max)}};
  for (std::size_t i = 0; i < s.pct.size() && i < o.percentiles.size(); ++i) j[pct_key(o.percentiles[i])] = r6(s.pct[i]);
  return j;
}

// An actor's own counters as {"name": value}.
json counters_json(const std::vector<std::pair<std::string, std::uint64_t>>& counters) {
  json out = json::object();
  for (const auto& [name, value] : counters) out[name] = value;
  return out;
}
json options_json(const Options& o) {
  json rules = json::array();
  static const char* metrics[] = {"fill", "rate", "latency", "mcpu", "load", "busy"};
  static const char* stats[] = {"latest", "avg", "min", "max", "stddev", "percentile"};
  for (const Rule& r : o.rules) {
    rules.push_back({{"metric", metrics[static_cast<int>(r.metric)]},
                     {"stat", stats[static_cast<int>(r.stat.kind)]},
                     {"p", r.stat.p},
                     {"compare", r.compare == Rule::Compare::above ? "above" : "below"},
                     {"threshold", r.threshold},
                     {"alert", to_string(r.alert)},
                     {"match", r.match}});
  }
  return {{"frame_ms", o.frame.count()},
          {"window_ms", o.window.count()},
          {"percentiles", o.percentiles},
          {"rules", rules}};
}

json structure_object(const Structure& s) {
  json actors = json::array(), channels = json::array(), edges = json::array();
  for (const ActorInfo& a : s.actors) {
    actors.push_back({{"id", a.id},
                      {"name", a.name},
                      {"kind", a.kind},
                      {"suffix", a.suffix},
                      {"troupe", a.troupe},
                      {"core", a.core},
                      {"labels", a.labels}});
    if (a.process >= 0) actors.back()["process"] = a.process;
  }
  for (const ChannelInfo& c : s.channels) {
    channels.push_back({{"id", c.id},
                        {"name", c.name},
                        {"type", c.type},
                        {"capacity", c.capacity},
                        {"memory_bytes", c.memory_bytes},
                        {"from", c.from},
                        {"to", c.to},
                        {"labels", c.labels},
                        {"bundle", c.bundle},
                        {"lane", c.lane},
                        {"edge", c.edge},
                        {"latency_sampled", c.has_latency}});
    if (c.cross_process) channels.back()["cross_process"] = true;
  }
  for (const EdgeInfo& e : s.edges) {
    edges.push_back({{"id", e.id}, {"label", e.label}, {"from", e.from}, {"to", e.to}, {"channels", e.channels}});
  }
  json j{{"title", s.title},
         {"hash", s.hash},
         {"started_unix_ms", s.started_unix_ms},
         {"actors", std::move(actors)},
         {"channels", std::move(channels)},
         {"edges", std::move(edges)}};
  if (!s.processes.empty()) {  // a hub's merged graph
    json processes = json::array();
    for (const ProcessInfo& p : s.processes) processes.push_back({{"title", p.title}, {"url", p.url}, {"hash", p.hash}});
    j["processes"] = std::move(processes);
  }
  return j;
}

json frame_object(const Frame& f, const Options& o) {
  json channels = json::array(), actors = json::array(), edges = json::array(), threads = json::array();
  for (const ChannelFigures& c : f.channels) {
    channels.push_back({{"sent", c.sent},
                        {"taken", c.taken},
                        {"in_flight", c.in_flight},
                        {"fill_pct", r3(c.fill_pct)},
                        {"rate", r3(c.rate)},
                        {"closed", c.closed},
                        {"alert", to_string(c.alert)},
                        {"latency_ms", latency_json(c.latency, o)},
                        {"window",
                         {{"fill_pct", stats_json(c.fill_win, o)},
                          {"rate", stats_json(c.rate_win, o)},
                          {"latency_ms", latency_json(c.latency_win, o)}}}});
  }
  for (const ActorFigures& a : f.actors) {
    actors.push_back({{"busy_pct", r3(a.busy_pct)},
                      {"mcpu", r3(a.mcpu)},
                      {"load_pct", r3(a.load_pct)},
                      {"passes_per_s", r3(a.passes_per_s)},
                      {"passes", a.passes},
                      {"restarts", a.restarts},
                      {"resumes", a.resumes},
                      {"stalled", a.stalled},
                      {"restarted_recently", a.restarted_recently},
                      {"state", a.state},
                      {"status", a.status},
                      {"thread", a.thread},
                      {"labels", a.labels ? json(*a.labels) : json::object()},
                      {"counters", counters_json(a.counters)},
                      {"alert", to_string(a.alert)},
                      {"window",
                       {{"busy_pct", stats_json(a.busy_win, o)},
                        {"mcpu", stats_json(a.mcpu_win, o)},
                        {"load_pct", stats_json(a.load_win, o)},
                        {"passes_per_s", stats_json(a.passes_win, o)}}}});
  }
  for (const EdgeFigures& e : f.edges) {
    edges.push_back({{"rate", r3(e.rate)},
                     {"fill_pct", r3(e.fill_pct)},
                     {"sent", e.sent},
                     {"latency_p50_ms", e.latency_p50_ms < 0 ? json(nullptr) : json(r6(e.latency_p50_ms))},
                     {"latency_p99_ms", e.latency_p99_ms < 0 ? json(nullptr) : json(r6(e.latency_p99_ms))},
                     {"alert", to_string(e.alert)}});
  }
  for (const ThreadFigures& t : f.threads)
    threads.push_back({{"name", t.name}, {"mcpu", r3(t.mcpu)}, {"cpu_s_total", r6(t.cpu_s_total)}});
  json j{{"seq", f.seq},
         {"unix_ms", f.unix_ms},
         {"uptime_s", r3(f.uptime_s)},
         {"dt_s", r6(f.dt_s)},
         {"state", to_string(f.state)},
         {"final", f.final},
         {"channels", std::move(channels)},
         {"actors", std::move(actors)},
         {"edges", std::move(edges)},
         {"threads", std::move(threads)}};
  if (!f.processes.empty()) {  // a hub's merged frame
    json processes = json::array();
    for (const ProcessFigures& p : f.processes)
      processes.push_back({{"up", p.up},
                           {"error", p.error},
                           {"state", p.state},
                           {"last_seen_unix_ms", p.last_seen_unix_ms},
                           {"seq", p.seq}});
    j["processes"] = std::move(processes);
  }
  if (!f.structure_hash.empty()) j["hash"] = f.structure_hash;
  return j;
}

// ---------------------------------------------------------------- DOT

std::string dot_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

struct Palette {
  const char* stroke;
  const char* fill;
};
Palette palette(Alert a, bool edge) {
  switch (a) {
    case Alert::yellow: return {"#d4a800", "#fff6cc"};
    case Alert::orange: return {"#ff7f00", "#ffe3c7"};
    case Alert::red: return {"#d40000", "#ffd6d6"};
    case Alert::none: break;
  }
  return edge ? Palette{"#9e9e9e", "#ffffff"} : Palette{"#333333", "#ffffff"};
}

// The second line of a process's cluster in a hub's graph.
std::string process_line(const ProcessInfo& p, const ProcessFigures* f) {
  if (f == nullptr) return p.url;
  if (f->up) return p.url + " \u00b7 up";
  return p.url + " \u00b7 down: " + (f->error.size() > 60 ? f->error.substr(0, 59) + "\u2026" : f->error);
}

double edge_width(double rate) { return std::clamp(1.0 + 1.2 * std::log10(1.0 + rate), 1.0, 9.0); }

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

std::string actor_line4(const ActorFigures& a) {
  std::string s;
  if (a.restarts > 0) s = "restarts: " + std::to_string(a.restarts);
  if (a.stalled) s += s.empty() ? "stalled" : " \u00b7 stalled";
  if (s.empty() && !a.status.empty()) s = a.status.size() > 28 ? a.status.substr(0, 27) + "\u2026" : a.status;
  return s.empty() ? " " : s;
}

}  // namespace

std::string format_rate(double v) {
  if (!(v > 0)) return "0/s";
  if (v < 10) return fmt("%.1f/s", v);
  if (v < 1e3) return fmt("%.0f/s", v);
  if (v < 1e4) return fmt("%.2fk/s", v / 1e3);
  if (v < 1e6) return fmt("%.1fk/s", v / 1e3);
  if (v < 1e7) return fmt("%.2fM/s", v / 1e6);
  if (v < 1e9) return fmt("%.1fM/s", v / 1e6);
  return fmt("%.2fG/s", v / 1e9);
}

std::string format_ms(double ms) {
  if (ms < 0) return "\u2013";
  const double ns = ms * 1e6;
  if (ns < 1e3) return fmt("%.0fns", ns);
  if (ns < 1e6) return fmt("%.1f\u00b5s", ns / 1e3);
  if (ns < 1e9) return fmt("%.2fms", ns / 1e6);
  return fmt("%.2fs", ns / 1e9);
}

std::string percentile_key(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "p%g", p);
  return buf;
}

std::string structure_json(const Structure& s) { return structure_object(s).dump(); }

std::string frame_json(const Frame& f, const Options& o) { return frame_object(f, o).dump(); }

std::string snapshot_json(const Structure& s, const Frame* f, const Options& o) {
  json j{{"structure", structure_object(s)},
         {"options", options_json(o)},
         {"frame", f == nullptr ? json(nullptr) : frame_object(*f, o)}};
  return j.dump();
}

std::string recording_header(const Structure& s, const Options& o, const std::string& layout_svg) {
  json j{{"kind", "steady-telemetry-recording"},
         {"version", 1},
         {"structure", structure_object(s)},
         {"options", options_json(o)},
         {"layout_svg", layout_svg}};
  return j.dump();
}

std::string history_json(const Structure& s, const std::vector<FramePtr>& frames) {
  json t = json::array();
  std::vector<json> actors(s.actors.size()), channels(s.channels.size());
  for (auto& a : actors) a = {{"busy_pct", json::array()}, {"mcpu", json::array()}, {"load_pct", json::array()},
                               {"passes_per_s", json::array()}};
  for (auto& c : channels) c = {{"rate", json::array()}, {"fill_pct", json::array()}, {"latency_p50_ms", json::array()}};
  std::uint64_t last_seq = 0;
  for (const FramePtr& f : frames) {
    t.push_back(f->unix_ms);
    last_seq = f->seq;
    for (std::size_t i = 0; i < actors.size() && i < f->actors.size(); ++i) {
      const ActorFigures& a = f->actors[i];
      actors[i]["busy_pct"].push_back(r3(a.busy_pct));
      actors[i]["mcpu"].push_back(r3(a.mcpu));
      actors[i]["load_pct"].push_back(r3(a.load_pct));
      actors[i]["passes_per_s"].push_back(r3(a.passes_per_s));
    }
    for (std::size_t i = 0; i < channels.size() && i < f->channels.size(); ++i) {
      const ChannelFigures& c = f->channels[i];
      channels[i]["rate"].push_back(r3(c.rate));
      channels[i]["fill_pct"].push_back(r3(c.fill_pct));
      // The window's median latency as it stood at that frame (null before any sample).
      channels[i]["latency_p50_ms"].push_back(c.latency_win.n == 0 || c.latency_win.pct.empty()
                                                  ? json(nullptr)
                                                  : json(r6(c.latency_win.pct.front())));
    }
  }
  json j{{"seq", last_seq}, {"unix_ms", std::move(t)}, {"actors", std::move(actors)}, {"channels", std::move(channels)}};
  return j.dump();
}

// ---------------------------------------------------------------- DOT

std::string dot_text(const Structure& s, const Frame* f, DotStyle style) {
  const bool live = style == DotStyle::live && f != nullptr;
  std::string out;
  out.reserve(4096);
  out += "digraph steady {\n";
  out += "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, nodesep=0.35, ranksep=0.55";
  // The UI shows the title in its header; a standalone picture carries it itself.
  if (style == DotStyle::live) out += ", labelloc=t, label=\"" + dot_escape(s.title) + "\"";
  out += "];\n";
  out += "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11, penwidth=1.5, "
         "margin=\"0.14,0.06\"];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=9, arrowsize=0.7];\n";

  // Actors of one kind (worker_0, worker_1, ...) stay together in a dashed cluster.
  std::map<std::string, std::vector<std::uint32_t>> kinds;
  for (const ActorInfo& a : s.actors) kinds[a.kind].push_back(a.id);
  auto node = [&](const ActorInfo& a) {
    std::string l2 = "mCPU 1024 \u00b7 load 100%", l3 = "busy 100% \u00b7 99.9k/s", l4 = "restarts: 999 \u00b7 stalled";
    Palette p = palette(Alert::none, false);
    if (live) {
      const ActorFigures& x = f->actors[a.id];
      l2 = fmt("mCPU %.0f", x.mcpu) + fmt(" \u00b7 load %.0f%%", x.load_pct);
      l3 = fmt("busy %.0f%%", x.busy_pct) + " \u00b7 " + format_rate(x.passes_per_s);
      l4 = actor_line4(x);
      p = palette(x.alert, false);
    } else if (style == DotStyle::live) {
      l2 = l3 = l4 = " ";
    }
    // A tooltip for people reading /graph.svg (with the actor's labels); the UI has its own, so the layout has none.
    std::string tip;
    if (style == DotStyle::live) {
      std::string text = a.name + (a.troupe.empty() ? " (solo)" : " (troupe " + a.troupe + ")");
      const auto& labels = live && f->actors[a.id].labels ? *f->actors[a.id].labels : a.labels;
      for (const auto& [k, v] : labels) text += "\n" + k + "=" + v;
      tip = ", tooltip=\"" + dot_escape(text) + "\"";
    }
    out += "    a" + std::to_string(a.id) + " [id=\"a" + std::to_string(a.id) + "\", label=\"" + dot_escape(a.name) +
           "\\n" + dot_escape(l2) + "\\n" + dot_escape(l3) + "\\n" + dot_escape(l4) + "\", color=\"" + p.stroke +
           "\", fillcolor=\"" + p.fill + "\"" + tip + "];\n";
  };
  // In the order the actors were added (the layout follows it), a kind's cluster where its first actor stands.
  int cluster = 0;
  auto actors_of = [&](int process) {  // -1: every actor
    bool any = false;
    for (const ActorInfo& a : s.actors) {
      if (process >= 0 && a.process != process) continue;
      any = true;
      const std::vector<std::uint32_t>& ids = kinds[a.kind];
      if (ids.size() < 2) {
        node(a);
        continue;
      }
      if (ids.front() != a.id) continue;  // drawn with its cluster
      out += "  subgraph cluster_" + std::to_string(cluster++) + " {\n    label=\"" + dot_escape(a.kind) + " \u00d7" +
             std::to_string(ids.size()) + "\"; style=dashed; color=\"#b0b0b0\"; fontsize=10; fontcolor=\"#707070\";\n";
      for (std::uint32_t id : ids) node(s.actors[id]);
      out += "  }\n";
    }
    return any;
  };
  if (s.processes.empty()) (void)actors_of(-1);
  // A hub's merged graph: one cluster per process, titled with its name, where it is polled and whether it is up
  // (the UI rewrites that second line every frame).
  for (std::size_t i = 0; i < s.processes.size(); ++i) {
    const ProcessInfo& p = s.processes[i];
    const ProcessFigures* pf = f != nullptr && i < f->processes.size() ? &f->processes[i] : nullptr;
    const bool down = pf != nullptr && !pf->up;
    const std::string id = "p" + std::to_string(i);
    out += "  subgraph cluster_" + id + " {\n    id=\"" + id + "\"; label=\"" + dot_escape(p.title) + "\\n" +
           dot_escape(process_line(p, pf)) + "\"; style=\"rounded\"; color=\"" + (down ? "#d40000" : "#5b7fa6") +
           "\"; fontsize=11; fontcolor=\"" + (down ? "#d40000" : "#2f4f6f") + "\"; penwidth=1.2;\n";
    if (!actors_of(static_cast<int>(i)))  // never reached: nothing known but its address
      out += "    " + id + "n [id=\"" + id + "n\", label=\"no graph known yet\", shape=note, style=dashed, "
             "color=\"#9e9e9e\", fontcolor=\"#707070\"];\n";
    out += "  }\n";
  }

  for (const EdgeInfo& e : s.edges) {
    const std::string id = std::to_string(e.id);
    auto end = [&](int actor, const char* side) {
      if (actor >= 0) return "a" + std::to_string(actor);
      const std::string x = std::string("x") + side + id;  // an end no actor holds: a small dot
      out += "  " + x + " [id=\"" + x + "\", shape=point, width=0.08, label=\"\", color=\"#9e9e9e\"];\n";
      return x;
    };
    const std::string from = end(e.from, "f"), to = end(e.to, "t");
    std::string l2 = "999.9M/s \u00b7 fill 100%", l3 = "p50 999.9\u00b5s \u00b7 p99 999.9\u00b5s";
    Palette p = palette(Alert::none, true);
    double width = 1.5;
    if (live) {
      const EdgeFigures& x = f->edges[e.id];
      l2 = format_rate(x.rate) + fmt(" \u00b7 fill %.0f%%", x.fill_pct);
      l3 = x.latency_p50_ms < 0 ? std::string(" ")
                                : "p50 " + format_ms(x.latency_p50_ms) + " \u00b7 p99 " + format_ms(x.latency_p99_ms);
      p = palette(x.alert, true);
      width = edge_width(x.rate);
    } else if (style == DotStyle::live) {
      l2 = l3 = " ";
    }
    // A hub's bridged link between two processes is dashed: it is a network connection, not a channel.
    const bool bridged = e.channels.size() == 1 && s.channels[e.channels.front()].cross_process;
    out += "  " + from + " -> " + to + " [id=\"e" + id + "\", label=\"" + dot_escape(e.label) + "\\n" +
           dot_escape(l2) + "\\n" + dot_escape(l3) + "\", color=\"" + p.stroke + "\", fontcolor=\"#303030\", " +
           fmt("penwidth=%.2f", width) + (bridged ? ", style=dashed" : "") + "];\n";
  }
  out += "}\n";
  return out;
}

// ---------------------------------------------------------------- Prometheus

namespace {

std::string label_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

class Exposition {
 public:
  void family(const char* name, const char* type, const char* help) {
    name_ = name;
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
  }
  void sample(const std::string& labels, double v, const char* suffix = "") {
    out += name_;
    out += suffix;
    if (!labels.empty()) {
      out += '{';
      out += labels;
      out += '}';
    }
    out += ' ';
    out += number(v);
    out += '\n';
  }
  void sample(const std::string& labels, std::uint64_t v, const char* suffix = "") {
    sample(labels, static_cast<double>(v), suffix);
  }
  std::string out;

 private:
  std::string name_;
};

std::string kv(const char* k, const std::string& v) { return std::string(k) + "=\"" + label_escape(v) + "\""; }

// An actor label as a Prometheus label: the key made a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, not "__…"), and
// prefixed "label_" where it would clash with the info family's own labels. Keys that end up equal: the first wins.
std::string own_labels(const std::map<std::string, std::string>& labels) {
  static const std::set<std::string> kOwn = {"actor", "kind", "troupe", "thread"};
  std::set<std::string> seen;
  std::string out;
  for (const auto& [key, value] : labels) {
    std::string name;
    for (char c : key) name += std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ? c : '_';
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front())) != 0 || name.rfind("__", 0) == 0 ||
        kOwn.count(name) != 0)
      name = "label_" + name;
    if (!seen.insert(name).second) continue;
    out += "," + kv(name.c_str(), value);
  }
  return out;
}

}  // namespace

std::string metrics_text(const Structure& s, const Frame* f, const Options& o, std::uint64_t frames) {
  Exposition e;
  e.out.reserve(1024 + 600 * s.channels.size() + 400 * s.actors.size());
  auto actor_name = [&](int id) { return id < 0 ? std::string() : s.actors[static_cast<std::size_t>(id)].name; };
  std::vector<std::string> ch_labels, actor_labels;
  for (const ChannelInfo& c : s.channels)
    ch_labels.push_back(kv("channel", c.name) + "," + kv("from", actor_name(c.from)) + "," +
                        kv("to", actor_name(c.to)) + "," + kv("type", c.type));
  for (const ActorInfo& a : s.actors) actor_labels.push_back(kv("actor", a.name));

  e.family("steady_channel_sent_total", "counter", "Messages sent into the channel.");
  for (std::size_t i = 0; i < s.channels.size(); ++i) e.sample(ch_labels[i], f ? f->channels[i].sent : 0);
  e.family("steady_channel_taken_total", "counter", "Messages taken out of the channel.");
  for (std::size_t i = 0; i < s.channels.size(); ++i) e.sample(ch_labels[i], f ? f->channels[i].taken : 0);
  e.family("steady_channel_in_flight", "gauge", "Messages in the channel: sent and not yet taken.");
  for (std::size_t i = 0; i < s.channels.size(); ++i) e.sample(ch_labels[i], f ? f->channels[i].in_flight : 0);
  e.family("steady_channel_capacity", "gauge", "Messages the channel can hold.");
  for (std::size_t i = 0; i < s.channels.size(); ++i) e.sample(ch_labels[i], s.channels[i].capacity);
  e.family("steady_channel_fill_ratio", "gauge", "Messages in flight as a fraction of the capacity (0..1).");
  for (std::size_t i = 0; i < s.channels.size(); ++i) e.sample(ch_labels[i], f ? f->channels[i].fill_pct / 100 : 0.0);
  e.family("steady_channel_memory_bytes", "gauge", "Memory of the channel's slots (slot count times element size).");
  for (std::size_t i = 0; i < s.channels.size(); ++i) e.sample(ch_labels[i], s.channels[i].memory_bytes);
  e.family("steady_channel_closed", "gauge", "1 when the producer has closed the channel.");
  for (std::size_t i = 0; i < s.channels.size(); ++i) e.sample(ch_labels[i], f && f->channels[i].closed ? 1.0 : 0.0);
  e.family("steady_channel_latency_seconds", "histogram",
           "Time sampled messages spent in the channel, enqueue to dequeue (one message in K is timestamped; "
           "_sum is estimated from bucket midpoints).");
  for (std::size_t i = 0; i < s.channels.size(); ++i) {
    if (!s.channels[i].has_latency) continue;
    static const std::vector<std::uint64_t> kEmpty(kPromBuckets + 1, 0);
    const auto& cum = f ? f->channels[i].latency_cumulative : kEmpty;
    for (std::size_t k = 0; k < kPromBuckets; ++k) {
      const double le = static_cast<double>(std::uint64_t{1} << (kPromFirstShift + k)) * 1e-9;
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.9g", le);
      e.sample(ch_labels[i] + ",le=\"" + buf + "\"", cum[k], "_bucket");
    }
    e.sample(ch_labels[i] + ",le=\"+Inf\"", cum[kPromBuckets], "_bucket");
    e.sample(ch_labels[i], f ? f->channels[i].latency_sum_s : 0.0, "_sum");
    e.sample(ch_labels[i], cum[kPromBuckets], "_count");
  }

  e.family("steady_actor_busy_seconds_total", "counter", "Time the actor spent resumed, outside its waits.");
  for (std::size_t i = 0; i < s.actors.size(); ++i) e.sample(actor_labels[i], f ? f->actors[i].busy_s_total : 0.0);
  e.family("steady_actor_cpu_seconds_total", "counter",
           "Thread CPU time of the actor since telemetry started (a troupe's thread time shared by busy time).");
  for (std::size_t i = 0; i < s.actors.size(); ++i) e.sample(actor_labels[i], f ? f->actors[i].cpu_s_total : 0.0);
  e.family("steady_actor_passes_total", "counter", "Loop passes of the actor (is_running() calls).");
  for (std::size_t i = 0; i < s.actors.size(); ++i) e.sample(actor_labels[i], f ? f->actors[i].passes : 0);
  e.family("steady_actor_resumes_total", "counter", "Times the actor was resumed after waiting.");
  for (std::size_t i = 0; i < s.actors.size(); ++i) e.sample(actor_labels[i], f ? f->actors[i].resumes : 0);
  e.family("steady_actor_restarts_total", "counter", "Times the actor was restarted after a failure.");
  for (std::size_t i = 0; i < s.actors.size(); ++i) e.sample(actor_labels[i], f ? f->actors[i].restarts : 0);
  e.family("steady_actor_stalled", "gauge", "1 while the actor has been resumed too long without reaching a wait.");
  for (std::size_t i = 0; i < s.actors.size(); ++i) e.sample(actor_labels[i], f && f->actors[i].stalled ? 1.0 : 0.0);
  e.family("steady_actor_load_ratio", "gauge", "The actor's share of the graph's busy time in the last frame (0..1).");
  for (std::size_t i = 0; i < s.actors.size(); ++i) e.sample(actor_labels[i], f ? f->actors[i].load_pct / 100 : 0.0);
  e.family("steady_actor_count_total", "counter",
           "The actor's own counters (Context::counter); the label name says which, e.g. bytes_read.");
  if (f != nullptr)
    for (std::size_t i = 0; i < s.actors.size() && i < f->actors.size(); ++i)
      for (const auto& [name, value] : f->actors[i].counters) e.sample(actor_labels[i] + "," + kv("name", name), value);
  e.family("steady_actor_info", "gauge",
           "Placement of the actor (kind, troupe, thread) and its own labels, e.g. a bridge's endpoint (always 1).");
  for (std::size_t i = 0; i < s.actors.size(); ++i) {
    const ActorInfo& a = s.actors[i];
    const auto& labels = f && f->actors[i].labels ? *f->actors[i].labels : a.labels;
    e.sample(actor_labels[i] + "," + kv("kind", a.kind) + "," + kv("troupe", a.troupe) + "," +
                 kv("thread", f ? f->actors[i].thread : std::string()) + own_labels(labels),
             1.0);
  }

  e.family("steady_thread_cpu_seconds_total", "counter", "CPU time of an executor thread since telemetry started.");
  if (f != nullptr)
    for (const ThreadFigures& t : f->threads) e.sample(kv("thread", t.name), t.cpu_s_total);

  e.family("steady_graph_state", "gauge", "The graph's lifecycle state (1 for the current one).");
  for (GraphState st : {GraphState::building, GraphState::running, GraphState::stop_requested, GraphState::stopped,
                        GraphState::stopped_unclean})
    e.sample(kv("state", to_string(st)), f != nullptr && f->state == st ? 1.0 : 0.0);
  e.family("steady_telemetry_frames_total", "counter", "Frames the telemetry collector has taken.");
  e.sample("", frames);
  e.family("steady_telemetry_frame_interval_seconds", "gauge", "Time between two telemetry frames.");
  e.sample("", static_cast<double>(o.frame.count()) / 1000.0);
  return std::move(e.out);
}

std::string hub_metrics_text(const Structure& s, const Frame* f, std::uint64_t frames) {
  Exposition e;
  auto up = [&](std::size_t p) { return f != nullptr && p < f->processes.size() && f->processes[p].up; };
  e.family("steady_hub_process_up", "gauge", "1 when the process answered the hub's last poll, else 0.");
  for (std::size_t p = 0; p < s.processes.size(); ++p)
    e.sample(kv("process", s.processes[p].title) + "," + kv("url", s.processes[p].url), up(p) ? 1.0 : 0.0);
  e.family("steady_actor_count_total", "counter",
           "The actor's own counters (Context::counter); the label name says which, e.g. bytes_read.");
  if (f != nullptr) {
    for (std::size_t i = 0; i < s.actors.size() && i < f->actors.size(); ++i) {
      const ActorInfo& a = s.actors[i];
      if (a.process < 0 || static_cast<std::size_t>(a.process) >= s.processes.size()) continue;
      const auto p = static_cast<std::size_t>(a.process);
      if (!up(p)) continue;  // no current figures: steady_hub_process_up says why
      const std::string& title = s.processes[p].title;
      const bool prefixed = a.name.size() > title.size() && a.name.compare(0, title.size(), title) == 0 &&
                            a.name[title.size()] == '/';
      const std::string labels =
          kv("process", title) + "," + kv("actor", prefixed ? a.name.substr(title.size() + 1) : a.name);
      for (const auto& [name, value] : f->actors[i].counters) e.sample(labels + "," + kv("name", name), value);
    }
  }
  e.family("steady_hub_frames_total", "counter", "Merged frames the hub has made.");
  e.sample("", frames);
  return std::move(e.out);
}

}  // namespace steady::telemetry
