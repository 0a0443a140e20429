// src/telemetry/hub_merge.cpp — see hub_merge.hpp. nlohmann/json reads the snapshots; every field is checked
// for type and range, so a wrong or hostile answer is an error message, never a crash.
#include "hub_merge.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "exposition.hpp"

namespace steady::telemetry {

namespace {

using json = nlohmann::json;

struct Bad {
  std::string what;
};

// A field, or `fallback` when it is missing or null; the wrong type throws (caught as "not a snapshot").
template <class T>
T field(const json& j, const char* key, T fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->get<T>();
}

const json& array_of(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array()) throw Bad{std::string("no \"") + key + "\" array"};
  return *it;
}

std::map<std::string, std::string> labels_of(const json& j) {
  std::map<std::string, std::string> out;
  if (!j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it) out[it.key()] = it->is_string() ? it->get<std::string>() : it->dump();
  return out;
}

Stats stats_of(const json& j, const std::vector<double>& pcts) {
  Stats s;
  if (!j.is_object()) return s;
  for (double p : pcts) {
    const auto it = j.find(percentile_key(p));
    if (it == j.end() || !it->is_number()) return Stats{};  // another set of percentiles: no window statistics
    s.pct.push_back(it->get<double>());
  }
  s.n = field<std::uint32_t>(j, "n", 0);
  s.avg = field<double>(j, "avg", 0);
  s.min = field<double>(j, "min", 0);
  s.max = field<double>(j, "max", 0);
  s.sd = field<double>(j, "sd", 0);
  return s;
}

LatencyStats latency_of(const json& j, const std::vector<double>& pcts) {
  LatencyStats s;
  if (!j.is_object()) return s;
  for (double p : pcts) {
    const auto it = j.find(percentile_key(p));
    if (it == j.end() || !it->is_number()) return LatencyStats{};
    s.pct.push_back(it->get<double>());
  }
  s.n = field<std::uint64_t>(j, "n", 0);
  s.avg = field<double>(j, "avg", 0);
  s.min = field<double>(j, "min", 0);
  s.max = field<double>(j, "max", 0);
  return s;
}

const json& window_of(const json& j) {
  static const json kNone = json::object();
  const auto it = j.find("window");
  return it != j.end() && it->is_object() ? *it : kNone;
}
const json& sub(const json& j, const char* key) {
  static const json kNull;
  const auto it = j.find(key);
  return it != j.end() ? *it : kNull;
}

Alert alert_of(const std::string& s) {
  if (s == "yellow") return Alert::yellow;
  if (s == "orange") return Alert::orange;
  if (s == "red") return Alert::red;
  return Alert::none;
}

GraphState state_of(const std::string& s) {
  if (s == "building") return GraphState::building;
  if (s == "stop_requested") return GraphState::stop_requested;
  if (s == "stopped") return GraphState::stopped;
  if (s == "stopped_unclean") return GraphState::stopped_unclean;
  return GraphState::running;
}

int actor_ref(const json& j, const char* key, std::size_t actors) {
  const int v = field<int>(j, key, -1);
  if (v < -1 || v >= static_cast<int>(actors)) throw Bad{std::string("\"") + key + "\" names no actor"};
  return v;
}

void check_id(const json& j, std::size_t i, const char* what) {
  if (field<std::int64_t>(j, "id", -1) != static_cast<std::int64_t>(i))
    throw Bad{std::string(what) + " ids do not match their positions"};
}

Structure structure_of(const json& j) {
  if (!j.is_object()) throw Bad{"no \"structure\" object"};
  Structure s;
  s.title = field<std::string>(j, "title", "");
  s.hash = field<std::string>(j, "hash", "");
  s.started_unix_ms = field<std::int64_t>(j, "started_unix_ms", 0);
  const json& actors = array_of(j, "actors");
  const json& channels = array_of(j, "channels");
  const json& edges = array_of(j, "edges");
  for (std::size_t i = 0; i < actors.size(); ++i) {
    const json& a = actors[i];
    check_id(a, i, "actor");
    ActorInfo x;
    x.id = static_cast<std::uint32_t>(i);
    x.name = field<std::string>(a, "name", "");
    x.kind = field<std::string>(a, "kind", x.name);
    x.suffix = field<int>(a, "suffix", -1);
    x.troupe = field<std::string>(a, "troupe", "");
    x.core = field<int>(a, "core", -1);
    x.labels = labels_of(sub(a, "labels"));
    s.actors.push_back(std::move(x));
  }
  for (std::size_t i = 0; i < edges.size(); ++i) {
    const json& e = edges[i];
    check_id(e, i, "edge");
    EdgeInfo x;
    x.id = static_cast<std::uint32_t>(i);
    x.label = field<std::string>(e, "label", "");
    x.from = actor_ref(e, "from", actors.size());
    x.to = actor_ref(e, "to", actors.size());
    for (const json& c : array_of(e, "channels")) {
      const auto id = c.get<std::int64_t>();
      if (id < 0 || id >= static_cast<std::int64_t>(channels.size())) throw Bad{"an edge names no channel"};
      x.channels.push_back(static_cast<std::uint32_t>(id));
    }
    s.edges.push_back(std::move(x));
  }
  for (std::size_t i = 0; i < channels.size(); ++i) {
    const json& c = channels[i];
    check_id(c, i, "channel");
    ChannelInfo x;
    x.id = static_cast<std::uint32_t>(i);
    x.name = field<std::string>(c, "name", "");
    x.type = field<std::string>(c, "type", "");
    x.capacity = field<std::uint64_t>(c, "capacity", 0);
    x.memory_bytes = field<std::uint64_t>(c, "memory_bytes", 0);
    x.from = actor_ref(c, "from", actors.size());
    x.to = actor_ref(c, "to", actors.size());
    x.labels = labels_of(sub(c, "labels"));
    x.bundle = field<std::string>(c, "bundle", "");
    x.lane = field<int>(c, "lane", -1);
    const auto edge = field<std::int64_t>(c, "edge", -1);
    if (edge < 0 || edge >= static_cast<std::int64_t>(edges.size())) throw Bad{"a channel names no edge"};
    x.edge = static_cast<std::uint32_t>(edge);
    x.has_latency = field<bool>(c, "latency_sampled", false);
    x.cross_process = field<bool>(c, "cross_process", false);
    s.channels.push_back(std::move(x));
  }
  return s;
}

std::shared_ptr<const Frame> frame_of(const json& j, const Structure& s, const std::vector<double>& pcts) {
  if (j.is_null()) return nullptr;
  if (!j.is_object()) throw Bad{"\"frame\" is not an object"};
  auto f = std::make_shared<Frame>();
  f->seq = field<std::uint64_t>(j, "seq", 0);
  f->unix_ms = field<std::int64_t>(j, "unix_ms", 0);
  f->uptime_s = field<double>(j, "uptime_s", 0);
  f->dt_s = field<double>(j, "dt_s", 0);
  f->state = state_of(field<std::string>(j, "state", "running"));
  f->final = field<bool>(j, "final", false);
  const json& actors = array_of(j, "actors");
  const json& channels = array_of(j, "channels");
  const json& edges = array_of(j, "edges");
  if (actors.size() != s.actors.size() || channels.size() != s.channels.size() || edges.size() != s.edges.size())
    throw Bad{"the frame does not match the structure"};
  for (const json& c : channels) {
    ChannelFigures x;
    x.sent = field<std::uint64_t>(c, "sent", 0);
    x.taken = field<std::uint64_t>(c, "taken", 0);
    x.in_flight = field<std::uint64_t>(c, "in_flight", 0);
    x.fill_pct = field<double>(c, "fill_pct", 0);
    x.rate = field<double>(c, "rate", 0);
    x.closed = field<bool>(c, "closed", false);
    x.alert = alert_of(field<std::string>(c, "alert", "none"));
    x.latency = latency_of(sub(c, "latency_ms"), pcts);
    const json& w = window_of(c);
    x.fill_win = stats_of(sub(w, "fill_pct"), pcts);
    x.rate_win = stats_of(sub(w, "rate"), pcts);
    x.latency_win = latency_of(sub(w, "latency_ms"), pcts);
    f->channels.push_back(std::move(x));
  }
  for (const json& a : actors) {
    ActorFigures x;
    x.busy_pct = field<double>(a, "busy_pct", 0);
    x.mcpu = field<double>(a, "mcpu", 0);
    x.load_pct = field<double>(a, "load_pct", 0);
    x.passes_per_s = field<double>(a, "passes_per_s", 0);
    x.passes = field<std::uint64_t>(a, "passes", 0);
    x.restarts = field<std::uint64_t>(a, "restarts", 0);
    x.resumes = field<std::uint64_t>(a, "resumes", 0);
    x.stalled = field<bool>(a, "stalled", false);
    x.restarted_recently = field<bool>(a, "restarted_recently", false);
    x.state = field<std::string>(a, "state", "");
    x.status = field<std::string>(a, "status", "");
    x.thread = field<std::string>(a, "thread", "");
    x.labels = std::make_shared<const std::map<std::string, std::string>>(labels_of(sub(a, "labels")));
    if (const json& counters = sub(a, "counters"); counters.is_object()) {  // {"bytes_read": 1234}
      for (auto it = counters.begin(); it != counters.end(); ++it) {
        if (!it->is_number_unsigned()) throw Bad{"the actor counter \"" + it.key() + "\" is not a count"};
        x.counters.emplace_back(it.key(), it->get<std::uint64_t>());
      }
    }
    x.alert = alert_of(field<std::string>(a, "alert", "none"));
    const json& w = window_of(a);
    x.busy_win = stats_of(sub(w, "busy_pct"), pcts);
    x.mcpu_win = stats_of(sub(w, "mcpu"), pcts);
    x.load_win = stats_of(sub(w, "load_pct"), pcts);
    x.passes_win = stats_of(sub(w, "passes_per_s"), pcts);
    f->actors.push_back(std::move(x));
  }
  for (const json& e : edges) {
    EdgeFigures x;
    x.rate = field<double>(e, "rate", 0);
    x.fill_pct = field<double>(e, "fill_pct", 0);
    x.sent = field<std::uint64_t>(e, "sent", 0);
    x.latency_p50_ms = field<double>(e, "latency_p50_ms", -1);
    x.latency_p99_ms = field<double>(e, "latency_p99_ms", -1);
    x.alert = alert_of(field<std::string>(e, "alert", "none"));
    f->edges.push_back(x);
  }
  if (const auto it = j.find("threads"); it != j.end() && it->is_array()) {
    for (const json& t : *it)
      f->threads.push_back({field<std::string>(t, "name", ""), field<double>(t, "mcpu", 0),
                            field<double>(t, "cpu_s_total", 0)});
  }
  return f;
}

std::uint64_t fnv1a(std::uint64_t h, const std::string& s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return (h ^ 0xff) * 0x100000001b3ULL;
}

// "127.0.0.1:9901" out of "http://127.0.0.1:9901/x".
std::string authority_of(const std::string& url) {
  std::string s = url.substr(url.find("//") == std::string::npos ? 0 : url.find("//") + 2);
  return s.substr(0, s.find('/'));
}

}  // namespace

Result<std::shared_ptr<const PeerSnapshot>> parse_snapshot(const std::string& json_text,
                                                           const std::vector<double>& percentiles) {
  try {
    const json j = json::parse(json_text);
    if (!j.is_object() || !j.contains("structure"))
      return Error{"not a steady_state telemetry snapshot (no \"structure\")"};
    auto snap = std::make_shared<PeerSnapshot>();
    snap->structure = structure_of(j["structure"]);
    snap->frame = frame_of(sub(j, "frame"), snap->structure, percentiles);
    snap->frame_ms = field<std::int64_t>(sub(j, "options").is_object() ? j["options"] : json::object(), "frame_ms", 0);
    return std::shared_ptr<const PeerSnapshot>(std::move(snap));
  } catch (const Bad& b) {
    return Error{"not a valid steady_state telemetry snapshot: " + b.what};
  } catch (const json::exception& e) {
    return Error{std::string("not a valid steady_state telemetry snapshot: ") + e.what()};
  }
}

Merged merge(const std::vector<PeerState>& peers, const std::string& title,
             const std::shared_ptr<const Structure>& previous) {
  auto s = std::make_shared<Structure>();
  auto f = std::make_shared<Frame>();
  s->title = title;
  s->started_unix_ms = previous ? previous->started_unix_ms : 0;

  // Unique process titles: "svc", then "svc@9902", then "svc@9902#3".
  std::set<std::string> taken;
  for (std::size_t i = 0; i < peers.size(); ++i) {
    const PeerState& p = peers[i];
    std::string t = p.last && !p.last->structure.title.empty() ? p.last->structure.title : authority_of(p.url);
    if (taken.count(t) != 0) t += "@" + p.port;
    if (taken.count(t) != 0) t += "#" + std::to_string(i + 1);
    taken.insert(t);
    s->processes.push_back({t, p.url, p.last ? p.last->structure.hash : std::string()});
  }

  bool any_running = false, any_up = false;
  for (std::size_t i = 0; i < peers.size(); ++i) {
    const PeerState& p = peers[i];
    const std::string prefix = s->processes[i].title + "/";
    ProcessFigures pf;
    pf.up = p.up;
    pf.error = p.up ? std::string() : p.error;
    pf.last_seen_unix_ms = p.last_seen_unix_ms;
    if (p.last && p.last->frame) {
      pf.state = to_string(p.last->frame->state);
      pf.seq = p.last->frame->seq;
    }
    f->processes.push_back(pf);
    if (!p.last) continue;
    any_up = any_up || p.up;
    const Structure& ps = p.last->structure;
    const Frame* pfr = p.last->frame.get();
    if (p.up && pfr != nullptr && pfr->state == GraphState::running) any_running = true;
    const int actor_base = static_cast<int>(s->actors.size());
    const auto channel_base = static_cast<std::uint32_t>(s->channels.size());
    const auto edge_base = static_cast<std::uint32_t>(s->edges.size());
    auto shift = [&](int actor) { return actor < 0 ? -1 : actor + actor_base; };
    for (const ActorInfo& a : ps.actors) {
      ActorInfo x = a;
      x.id = static_cast<std::uint32_t>(shift(static_cast<int>(a.id)));
      x.name = prefix + a.name;
      x.kind = prefix + a.kind;  // a kind's dashed cluster stays inside its process
      if (!x.troupe.empty()) x.troupe = prefix + x.troupe;
      x.process = static_cast<int>(i);
      x.actor = nullptr;
      s->actors.push_back(std::move(x));
    }
    for (const ChannelInfo& c : ps.channels) {
      ChannelInfo x = c;
      x.id += channel_base;
      x.name = prefix + c.name;
      x.from = shift(c.from);
      x.to = shift(c.to);
      x.edge += edge_base;
      x.channel = nullptr;
      s->channels.push_back(std::move(x));
    }
    for (const EdgeInfo& e : ps.edges) {
      EdgeInfo x = e;
      x.id += edge_base;
      x.from = shift(e.from);
      x.to = shift(e.to);
      for (auto& c : x.channels) c += channel_base;
      s->edges.push_back(std::move(x));
    }
    // Figures: the last frame's; a process that is down shows no activity, and its actors are red.
    std::vector<ActorFigures> actors = pfr ? pfr->actors : std::vector<ActorFigures>(ps.actors.size());
    std::vector<ChannelFigures> channels = pfr ? pfr->channels : std::vector<ChannelFigures>(ps.channels.size());
    std::vector<EdgeFigures> edges = pfr ? pfr->edges : std::vector<EdgeFigures>(ps.edges.size());
    if (!p.up) {
      for (ActorFigures& a : actors) {
        a.state = "unreachable";
        a.busy_pct = a.mcpu = a.load_pct = a.passes_per_s = 0;
        a.alert = Alert::red;
      }
      for (ChannelFigures& c : channels) c.rate = 0;
      for (EdgeFigures& e : edges) e.rate = 0;
    }
    for (ActorFigures& a : actors) {
      if (!a.thread.empty()) a.thread = prefix + a.thread;
      f->actors.push_back(std::move(a));
    }
    for (ChannelFigures& c : channels) f->channels.push_back(std::move(c));
    for (EdgeFigures& e : edges) f->edges.push_back(e);
    if (pfr != nullptr)
      for (const ThreadFigures& t : pfr->threads)
        f->threads.push_back({prefix + t.name, p.up ? t.mcpu : 0.0, t.cpu_s_total});
  }

  // Bridged links: an egress and an ingress that name the same link.
  struct End {
    int actor;
    std::string bridge, link, endpoint;
  };
  std::vector<End> egresses, ingresses;
  for (const ActorInfo& a : s->actors) {
    const auto& labels = f->actors[a.id].labels ? *f->actors[a.id].labels : a.labels;
    auto get = [&](const char* k) {
      const auto it = labels.find(k);
      return it == labels.end() ? std::string() : it->second;
    };
    End e{static_cast<int>(a.id), get("bridge"), get("bridge_link"), get("bridge_endpoint")};
    if (e.link.empty()) continue;
    const std::string role = get("bridge_role");
    if (role == "egress") egresses.push_back(std::move(e));
    else if (role == "ingress") ingresses.push_back(std::move(e));
  }
  const std::size_t local_channels = s->channels.size();
  auto sum_of = [&](int actor, bool outputs, ChannelFigures& into) {  // the actor's own channels' figures
    std::size_t n = 0;
    for (std::size_t c = 0; c < local_channels; ++c) {
      const ChannelInfo& ci = s->channels[c];
      if ((outputs ? ci.from : ci.to) != actor) continue;
      const ChannelFigures& x = f->channels[c];
      into.rate += x.rate;
      into.sent += outputs ? x.sent : x.taken;
      into.rate_win = x.rate_win;
      ++n;
    }
    if (n != 1) into.rate_win = Stats{};
    return n;
  };
  for (const End& e : egresses) {
    for (const End& g : ingresses) {
      if (g.link != e.link || g.bridge != e.bridge || g.actor == e.actor) continue;
      const int pe = s->actors[static_cast<std::size_t>(e.actor)].process;
      const int pg = s->actors[static_cast<std::size_t>(g.actor)].process;
      const bool both_up = peers[static_cast<std::size_t>(pe)].up && peers[static_cast<std::size_t>(pg)].up;
      ChannelInfo c;
      c.id = static_cast<std::uint32_t>(s->channels.size());
      c.name = !e.endpoint.empty() ? e.endpoint : !g.endpoint.empty() ? g.endpoint : "bridge " + e.link;
      c.type = "bridge " + (e.bridge.empty() ? std::string("?") : e.bridge);
      c.from = e.actor;
      c.to = g.actor;
      c.labels = {{"bridge", e.bridge}, {"bridge_link", e.link}, {"bridge_endpoint", c.name}};
      c.cross_process = true;
      c.edge = static_cast<std::uint32_t>(s->edges.size());
      ChannelFigures x;
      if (both_up && sum_of(g.actor, true, x) == 0) sum_of(e.actor, false, x);
      x.taken = x.sent;
      x.alert = both_up ? Alert::none : Alert::red;  // a broken link
      EdgeFigures ef;
      ef.rate = x.rate;
      ef.sent = x.sent;
      ef.alert = x.alert;
      s->edges.push_back({c.edge, c.name, c.from, c.to, {c.id}});
      s->channels.push_back(std::move(c));
      f->channels.push_back(std::move(x));
      f->edges.push_back(ef);
    }
  }

  f->state = any_running ? GraphState::running : any_up ? GraphState::stopped : GraphState::building;
  std::uint64_t h = fnv1a(0xcbf29ce484222325ULL, title);
  for (const ProcessInfo& p : s->processes) h = fnv1a(fnv1a(fnv1a(h, p.title), p.url), p.hash);
  for (const ActorInfo& a : s->actors)  // the builders' labels (the peers' own hashes leave them out)
    for (const auto& [k, v] : a.labels) h = fnv1a(fnv1a(h, k), v);
  for (std::size_t c = local_channels; c < s->channels.size(); ++c)
    h = fnv1a(fnv1a(h, std::to_string(s->channels[c].from) + ">" + std::to_string(s->channels[c].to)),
              s->channels[c].name);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  s->hash = hex;
  if (previous && previous->hash == s->hash) return {previous, f};
  return {s, f};
}

}  // namespace steady::telemetry
