// src/telemetry/collector.cpp — see collector.hpp.
#include "collector.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>

#include <pthread.h>

#include "../graph_core.hpp"

namespace steady::telemetry {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string program_name() {
  std::ifstream comm("/proc/self/comm");
  std::string name;
  std::getline(comm, name);
  return name.empty() ? "steady_state" : name;
}

// Hooks that not every runtime build has: read them when they exist.
bool stalled_of(const auto& a) {
  if constexpr (requires { a.stalled.load(); }) return a.stalled.load(std::memory_order_relaxed);
  else return false;
}
// Busy time so far, including the part of a resume still in progress (a solo actor that never waits would
// otherwise show 0 % until it does).
std::uint64_t busy_now(const auto& a, Clock::time_point now) {
  std::uint64_t busy = a.busy_ns.load(std::memory_order_relaxed);
  if constexpr (requires { a.running_since.load(); }) {
    const std::int64_t since = a.running_since.load(std::memory_order_relaxed);
    const std::int64_t t = now.time_since_epoch().count();
    if (since != 0 && t > since) busy += static_cast<std::uint64_t>(t - since);
  }
  return busy;
}

const char* state_name(detail::TaskState s) {
  switch (s) {
    case detail::TaskState::running: return "running";
    case detail::TaskState::waiting: return "waiting";
    case detail::TaskState::ready: return "ready";
    case detail::TaskState::finished: return "finished";
  }
  return "unknown";
}

bool matches(const std::string& pattern, const std::string& name) {
  if (pattern.empty()) return true;
  if (pattern.back() == '*') return name.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
  return pattern == name;
}

std::uint64_t fnv1a(std::uint64_t h, const std::string& s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return (h ^ 0xff) * 0x100000001b3ULL;
}

bool is_channel_metric(Metric m) { return m == Metric::fill || m == Metric::rate || m == Metric::latency; }

std::optional<double> stat_of(const Series& s, const Stats& st, Statistic which, double latest,
                              std::vector<double>& scratch) {
  if (which.kind == Statistic::Kind::latest) return latest;
  if (st.n == 0) return std::nullopt;
  switch (which.kind) {
    case Statistic::Kind::avg: return st.avg;
    case Statistic::Kind::min: return st.min;
    case Statistic::Kind::max: return st.max;
    case Statistic::Kind::stddev: return st.sd;
    case Statistic::Kind::percentile: {
      const Stats one = s.stats({which.p}, scratch);
      return one.pct.front();
    }
    case Statistic::Kind::latest: break;
  }
  return latest;
}

}  // namespace

const char* to_string(GraphState s) noexcept {
  switch (s) {
    case GraphState::building: return "building";
    case GraphState::running: return "running";
    case GraphState::stop_requested: return "stop_requested";
    case GraphState::stopped: return "stopped";
    case GraphState::stopped_unclean: return "stopped_unclean";
  }
  return "unknown";
}

const char* to_string(Alert a) noexcept {
  switch (a) {
    case Alert::none: return "none";
    case Alert::yellow: return "yellow";
    case Alert::orange: return "orange";
    case Alert::red: return "red";
  }
  return "none";
}

// ---------------------------------------------------------------- structure

std::shared_ptr<const Structure> read_structure(detail::GraphCore& g, const std::string& title) {
  auto s = std::make_shared<Structure>();
  s->title = title.empty() ? program_name() : title;
  s->started_unix_ms = unix_ms_now();
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (auto& rec : g.actors) {
    ActorInfo a;
    a.id = static_cast<std::uint32_t>(s->actors.size());
    a.actor = rec->core.get();
    a.name = a.actor->full_name;
    a.kind = a.actor->name;
    a.suffix = a.actor->suffix;
    if (rec->troupe >= 0 && static_cast<std::size_t>(rec->troupe) < g.troupes.size())
      a.troupe = g.troupes[static_cast<std::size_t>(rec->troupe)];
    a.core = rec->cpu;
    a.labels = *a.actor->labels();
    h = fnv1a(fnv1a(h, a.name), a.troupe);
    s->actors.push_back(std::move(a));
  }
  auto actor_id = [&](const detail::ActorCore* p) -> int {
    return p == nullptr ? -1 : static_cast<int>(p->index);
  };
  std::map<std::tuple<std::string, int, int>, std::uint32_t> bundles;  // (bundle, from, to) → edge
  for (auto& ch : g.channels) {
    ChannelInfo c;
    c.id = static_cast<std::uint32_t>(s->channels.size());
    c.channel = ch;
    c.name = ch->name();
    c.type = ch->type_name();
    c.capacity = ch->capacity();
    c.memory_bytes = std::bit_ceil(ch->capacity()) * ch->element_size();
    c.from = actor_id(ch->producer());
    c.to = actor_id(ch->consumer());
    c.labels = ch->labels;
    c.has_latency = ch->latency() != nullptr;
    if (auto it = c.labels.find("bundle"); it != c.labels.end()) c.bundle = it->second;
    if (auto it = c.labels.find("lane"); it != c.labels.end()) c.lane = std::atoi(it->second.c_str());
    std::optional<std::uint32_t> edge;
    if (!c.bundle.empty()) {
      auto key = std::make_tuple(c.bundle, c.from, c.to);
      if (auto it = bundles.find(key); it != bundles.end()) edge = it->second;
      else bundles[key] = static_cast<std::uint32_t>(s->edges.size());
    }
    if (!edge) {
      EdgeInfo e;
      e.id = static_cast<std::uint32_t>(s->edges.size());
      e.label = c.name;
      e.from = c.from;
      e.to = c.to;
      s->edges.push_back(std::move(e));
      edge = s->edges.back().id;
    }
    c.edge = *edge;
    s->edges[*edge].channels.push_back(c.id);
    h = fnv1a(fnv1a(fnv1a(h, c.name), c.type), std::to_string(c.from) + ">" + std::to_string(c.to));
    s->channels.push_back(std::move(c));
  }
  for (auto& e : s->edges) {
    if (e.channels.size() > 1)
      e.label = s->channels[e.channels.front()].bundle + " \u00d7" + std::to_string(e.channels.size());
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  s->hash = hex;
  return s;
}

// ---------------------------------------------------------------- collector state

struct Collector::ChannelState {
  ChannelState(std::size_t frames) : fill(frames), rate(frames), latency(frames) {}
  std::uint64_t last_sent = 0;
  std::vector<std::uint64_t> last_hist;  // cumulative bucket counts at the previous frame
  Series fill, rate;
  LatencyWindow latency;
};

struct Collector::ActorState {
  ActorState(std::size_t frames) : busy(frames), mcpu(frames), load(frames), passes(frames) {}
  std::uint64_t last_busy = 0, last_passes = 0, last_restarts = 0;
  std::uint64_t restart_seq = 0;  // frame in which restarts last grew (0 = never)
  double cpu_s_total = 0;
  int thread = -1;  // index in threads_
  Series busy, mcpu, load, passes;
};

struct Collector::ThreadState {
  const detail::Executor* executor = nullptr;
  std::string name;
  std::chrono::nanoseconds last_cpu{0};
  double cpu_s_total = 0;
  std::vector<std::uint32_t> actors;
};

Collector::Collector(detail::GraphCore& g, const Options& options, std::shared_ptr<const Structure> structure)
    : graph_(g),
      options_(options),
      structure_(std::move(structure)),
      window_frames_(std::clamp<std::size_t>(
          static_cast<std::size_t>(options.window.count() / std::max<std::int64_t>(1, options.frame.count())), 2,
          10'000)),
      stats_every_(static_cast<std::uint64_t>(
          std::max<std::int64_t>(1, 100 / std::max<std::int64_t>(1, options.frame.count())))),
      started_(Clock::now()) {
  last_ = started_;
  channels_.reserve(structure_->channels.size());
  for (const ChannelInfo& c : structure_->channels) {
    ChannelState& st = channels_.emplace_back(window_frames_);
    st.last_sent = c.channel->sent_total();
    if (const auto* h = c.channel->latency()) {
      st.last_hist.resize(Histogram::kBuckets);
      for (std::size_t b = 0; b < Histogram::kBuckets; ++b) st.last_hist[b] = h->count(b);
    }
  }
  actors_.reserve(structure_->actors.size());
  for (const ActorInfo& a : structure_->actors) {
    ActorState& st = actors_.emplace_back(window_frames_);
    st.last_busy = busy_now(*a.actor, started_);
    st.last_passes = a.actor->passes.load(std::memory_order_relaxed);
    st.last_restarts = a.actor->restarts.load(std::memory_order_relaxed);
  }
}

Collector::~Collector() { stop(); }

void Collector::start(Listener listener) {
  listener_ = std::move(listener);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "telemetry");
    run();
  });
}

void Collector::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

FramePtr Collector::latest() const {
  std::lock_guard lock(mu_);
  return latest_;
}

std::vector<FramePtr> Collector::history() const {
  std::lock_guard lock(mu_);
  return {history_.begin(), history_.end()};
}

bool Collector::wait_for_frames(std::uint64_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return count_.load() >= n; });
}

void Collector::run() {
  auto next = Clock::now() + options_.frame;
  for (;;) {
    bool final_now = false;
    {
      std::unique_lock lock(mu_);
      if (final_taken_) {
        cv_.wait(lock, [&] { return stopping_; });  // the graph stopped: keep the last frame, read nothing more
        return;
      }
      if (cv_.wait_until(lock, next, [&] { return stopping_ || final_requested_; }) && stopping_) return;
      final_now = final_requested_;
    }
    const auto now = Clock::now();
    FramePtr f = sample(now, final_now);
    const bool final = f->final;
    publish(std::move(f));
    if (final) {
      {
        std::lock_guard lock(mu_);
        final_taken_ = true;
      }
      cv_.notify_all();
    }
    next += options_.frame;
    if (next <= now) next = now + options_.frame;  // fell behind (a paused machine): skip, do not burst
  }
}

void Collector::take_final_frame() {
  std::unique_lock lock(mu_);
  if (final_taken_ || stopping_ || !thread_.joinable()) return;
  final_requested_ = true;
  cv_.notify_all();
  // Bounded: a collector stuck somewhere must not hold up the graph's stop for long.
  cv_.wait_for(lock, std::chrono::seconds(5), [&] { return final_taken_ || stopping_; });
}

void Collector::publish(FramePtr f) {
  {
    std::lock_guard lock(mu_);
    latest_ = f;
    history_.push_back(f);
    while (history_.size() > window_frames_) history_.pop_front();
    count_.fetch_add(1, std::memory_order_release);
  }
  cv_.notify_all();
  if (listener_) listener_(f);
}

// Executors exist once the graph runs; the vector is complete when `state` says so (start() stores it last).
void Collector::bind_executors() {
  std::map<const detail::Executor*, int> index;
  for (const auto& ex : graph_.executors) {
    index[ex.get()] = static_cast<int>(threads_.size());
    ThreadState t;
    t.executor = ex.get();
    t.name = ex->options().name;
    std::chrono::nanoseconds cpu{0};
    if (ex->cpu_time(cpu)) t.last_cpu = cpu;
    threads_.push_back(std::move(t));
  }
  for (const ActorInfo& a : structure_->actors) {
    auto it = index.find(a.actor->executor);
    if (it == index.end()) continue;
    actors_[a.id].thread = it->second;
    threads_[static_cast<std::size_t>(it->second)].actors.push_back(a.id);
  }
  executors_bound_ = true;
}

FramePtr Collector::sample(Clock::time_point now, bool final_requested) {
  auto f = std::make_shared<Frame>();
  const Structure& s = *structure_;
  const std::vector<double>& pcts = options_.percentiles;
  f->seq = ++seq_;
  f->unix_ms = unix_ms_now();
  f->uptime_s = std::chrono::duration<double>(now - started_).count();
  const double dt = std::max(1e-6, std::chrono::duration<double>(now - last_).count());
  f->dt_s = dt;
  last_ = now;
  f->state = graph_.state.load(std::memory_order_acquire);
  // Stopped means every executor thread has been joined: these are the final counts. The graph's stop asks for
  // this frame itself (take_final_frame) after joining its threads and before it stores its final state, so the
  // state is told here the way the stop report will tell it.
  f->final = final_requested || f->state == GraphState::stopped || f->state == GraphState::stopped_unclean;
  if (final_requested && f->state != GraphState::stopped && f->state != GraphState::stopped_unclean) {
    std::lock_guard lock(graph_.mu);
    f->state = graph_.phase.load() >= 2 || !graph_.failures.empty() ? GraphState::stopped_unclean : GraphState::stopped;
  }
  if (!executors_bound_ && f->state != GraphState::building) bind_executors();
  // Window statistics (sorting for percentiles is most of the collector's work) are refreshed at most ten times a
  // second; frames in between carry the last ones. The final frame always refreshes.
  const bool refresh = prev_ == nullptr || f->final || (f->seq - 1) % stats_every_ == 0;

  // ---- channels
  f->channels.resize(s.channels.size());
  for (std::size_t i = 0; i < s.channels.size(); ++i) {
    const ChannelInfo& info = s.channels[i];
    ChannelState& st = channels_[i];
    ChannelFigures& c = f->channels[i];
    const detail::ChannelCore& ch = *info.channel;
    c.taken = ch.taken_total();  // taken first: the later sent total can only be larger, so fill is never < 0
    c.sent = ch.sent_total();
    c.in_flight = std::min(c.sent - std::min(c.taken, c.sent), info.capacity);
    c.fill_pct = info.capacity == 0 ? 0 : 100.0 * static_cast<double>(c.in_flight) / static_cast<double>(info.capacity);
    c.rate = static_cast<double>(c.sent - std::min(st.last_sent, c.sent)) / dt;
    st.last_sent = c.sent;
    c.closed = ch.is_closed();
    st.fill.push(c.fill_pct);
    st.rate.push(c.rate);
    if (refresh) {
      c.fill_win = st.fill.stats(pcts, scratch_);
      c.rate_win = st.rate.stats(pcts, scratch_);
    } else {
      c.fill_win = prev_->channels[i].fill_win;
      c.rate_win = prev_->channels[i].rate_win;
    }
    if (const auto* h = ch.latency()) {
      std::array<std::uint64_t, Histogram::kBuckets> delta{};
      c.latency_cumulative.assign(kPromBuckets + 1, 0);
      std::uint64_t total = 0;
      std::size_t edge = 0;
      for (std::size_t b = 0; b < Histogram::kBuckets; ++b) {
        const std::uint64_t now_count = h->count(b);
        const std::uint64_t d = now_count - std::min(now_count, st.last_hist[b]);
        st.last_hist[b] = now_count;
        if (d != 0) {
          delta[b] = d;
          c.latency_delta.emplace_back(static_cast<std::uint16_t>(b), static_cast<std::uint32_t>(d));
        }
        // Prometheus buckets: the counts of every bucket below 2^k ns are the values ≤ 2^k - 1 ns.
        while (edge < kPromBuckets && Histogram::lower(b) >= (std::uint64_t{1} << (kPromFirstShift + edge))) {
          c.latency_cumulative[edge] = total;
          ++edge;
        }
        total += now_count;
        c.latency_sum_s += bucket_value_ns(b) * static_cast<double>(now_count) * 1e-9;
      }
      for (; edge <= kPromBuckets; ++edge) c.latency_cumulative[edge] = total;
      c.latency = latency_stats(delta, pcts);
      st.latency.push(c.latency_delta);
      c.latency_win = refresh ? latency_stats(st.latency.counts(), pcts) : prev_->channels[i].latency_win;
    }
  }

  // ---- actors and their threads
  const std::size_t na = s.actors.size();
  std::vector<double> busy_delta(na, 0), cpu_share(na, -1);
  double busy_sum = 0;
  f->actors.resize(na);
  for (std::size_t i = 0; i < na; ++i) {
    const detail::ActorCore& a = *s.actors[i].actor;
    ActorState& st = actors_[i];
    ActorFigures& x = f->actors[i];
    const std::uint64_t busy = busy_now(a, now);
    busy_delta[i] = static_cast<double>(busy - std::min(busy, st.last_busy)) * 1e-9;
    st.last_busy = std::max(busy, st.last_busy);
    busy_sum += busy_delta[i];
    x.passes = a.passes.load(std::memory_order_relaxed);
    x.restarts = a.restarts.load(std::memory_order_relaxed);
    x.resumes = a.resumes.load(std::memory_order_relaxed);
    x.busy_s_total = static_cast<double>(st.last_busy) * 1e-9;
    x.passes_per_s = static_cast<double>(x.passes - std::min(x.passes, st.last_passes)) / dt;
    st.last_passes = x.passes;
    if (x.restarts > st.last_restarts) st.restart_seq = f->seq;
    st.last_restarts = x.restarts;
    x.restarted_recently = st.restart_seq != 0 && f->seq - st.restart_seq < window_frames_;
    x.stalled = stalled_of(a);
    x.state = state_name(a.state.load(std::memory_order_relaxed));
    x.status = a.status();
    x.labels = a.labels();  // a shared snapshot: no copy
    x.counters = a.counters();
    x.busy_pct = std::min(100.0, 100.0 * busy_delta[i] / dt);
  }
  for (ThreadState& t : threads_) {
    std::chrono::nanoseconds cpu{0};
    double d = 0;
    if (t.executor->cpu_time(cpu)) {  // false once the thread has exited: its time is already counted
      d = static_cast<double>(std::max<std::int64_t>(0, (cpu - t.last_cpu).count())) * 1e-9;
      t.last_cpu = cpu;
    }
    t.cpu_s_total += d;
    // A troupe's thread time is shared by busy time (evenly when nobody was busy: parking overhead).
    double group_busy = 0;
    for (std::uint32_t id : t.actors) group_busy += busy_delta[id];
    for (std::uint32_t id : t.actors)
      cpu_share[id] = group_busy > 0 ? d * busy_delta[id] / group_busy : d / static_cast<double>(t.actors.size());
    ThreadFigures& tf = f->threads.emplace_back();
    tf.name = t.name;
    tf.mcpu = d / dt * 1024.0;
    tf.cpu_s_total = t.cpu_s_total;
  }
  for (std::size_t i = 0; i < na; ++i) {
    ActorState& st = actors_[i];
    ActorFigures& x = f->actors[i];
    if (st.thread >= 0) x.thread = threads_[static_cast<std::size_t>(st.thread)].name;
    const double cpu = std::max(0.0, cpu_share[i]);
    st.cpu_s_total += cpu;
    x.cpu_s_total = st.cpu_s_total;
    x.mcpu = cpu / dt * 1024.0;
    x.load_pct = busy_sum > 0 ? 100.0 * busy_delta[i] / busy_sum : 0;
    st.busy.push(x.busy_pct);
    st.mcpu.push(x.mcpu);
    st.load.push(x.load_pct);
    st.passes.push(x.passes_per_s);
    if (refresh) {
      x.busy_win = st.busy.stats(pcts, scratch_);
      x.mcpu_win = st.mcpu.stats(pcts, scratch_);
      x.load_win = st.load.stats(pcts, scratch_);
      x.passes_win = st.passes.stats(pcts, scratch_);
    } else {
      const ActorFigures& p = prev_->actors[i];
      x.busy_win = p.busy_win;
      x.mcpu_win = p.mcpu_win;
      x.load_win = p.load_win;
      x.passes_win = p.passes_win;
    }
  }

  apply_rules(*f);
  prev_ = f;

  // ---- drawn edges: a bundle's lanes together
  f->edges.resize(s.edges.size());
  for (const EdgeInfo& e : s.edges) {
    EdgeFigures& ef = f->edges[e.id];
    std::uint64_t in_flight = 0, capacity = 0;
    std::array<std::uint64_t, Histogram::kBuckets> lat{};
    bool any_latency = false;
    for (std::uint32_t id : e.channels) {
      const ChannelFigures& c = f->channels[id];
      ef.rate += c.rate;
      ef.sent += c.sent;
      in_flight += c.in_flight;
      capacity += s.channels[id].capacity;
      ef.alert = std::max(ef.alert, c.alert);
      if (s.channels[id].has_latency) {
        const auto& counts = channels_[id].latency.counts();
        for (std::size_t b = 0; b < Histogram::kBuckets; ++b) lat[b] += counts[b];
        any_latency = true;
      }
    }
    ef.fill_pct = capacity == 0 ? 0 : 100.0 * static_cast<double>(in_flight) / static_cast<double>(capacity);
    if (any_latency) {
      const LatencyStats ls = latency_stats(lat, {50, 99});
      if (ls.n > 0) {
        ef.latency_p50_ms = ls.pct[0];
        ef.latency_p99_ms = ls.pct[1];
      }
    }
  }
  return f;
}

void Collector::apply_rules(Frame& f) {
  const Structure& s = *structure_;
  const bool channel_rules = std::any_of(options_.rules.begin(), options_.rules.end(),
                                         [](const Rule& r) { return is_channel_metric(r.metric); });
  for (std::size_t i = 0; i < f.channels.size(); ++i) {
    ChannelFigures& c = f.channels[i];
    ChannelState& st = channels_[i];
    Alert alert = Alert::none;
    if (!channel_rules && c.fill_win.n > 0) {  // the default ladder, on avg fill over the window
      const double fill = c.fill_win.avg;
      alert = fill >= 80 ? Alert::red : fill >= 40 ? Alert::orange : fill >= 10 ? Alert::yellow : Alert::none;
    }
    for (const Rule& r : options_.rules) {
      if (!is_channel_metric(r.metric) || !matches(r.match, s.channels[i].name)) continue;
      std::optional<double> v;
      if (r.metric == Metric::fill) v = stat_of(st.fill, c.fill_win, r.stat, c.fill_pct, scratch_);
      else if (r.metric == Metric::rate) v = stat_of(st.rate, c.rate_win, r.stat, c.rate, scratch_);
      else if (c.latency_win.n > 0) {
        switch (r.stat.kind) {
          case Statistic::Kind::latest:
            if (c.latency.n > 0) v = c.latency.avg;
            break;
          case Statistic::Kind::avg: v = c.latency_win.avg; break;
          case Statistic::Kind::min: v = c.latency_win.min; break;
          case Statistic::Kind::max: v = c.latency_win.max; break;
          case Statistic::Kind::stddev: break;  // not kept for latency
          case Statistic::Kind::percentile: v = latency_stats(st.latency.counts(), {r.stat.p}).pct.front(); break;
        }
      }
      if (!v) continue;
      const bool fires = r.compare == Rule::Compare::above ? *v > r.threshold : *v < r.threshold;
      if (fires) alert = std::max(alert, r.alert);
    }
    c.alert = alert;
  }
  for (std::size_t i = 0; i < f.actors.size(); ++i) {
    ActorFigures& x = f.actors[i];
    ActorState& st = actors_[i];
    Alert alert = (x.stalled || x.restarted_recently) ? Alert::red : Alert::none;
    for (const Rule& r : options_.rules) {
      if (is_channel_metric(r.metric) || !matches(r.match, s.actors[i].name)) continue;
      std::optional<double> v;
      if (r.metric == Metric::mcpu) v = stat_of(st.mcpu, x.mcpu_win, r.stat, x.mcpu, scratch_);
      else if (r.metric == Metric::load) v = stat_of(st.load, x.load_win, r.stat, x.load_pct, scratch_);
      else v = stat_of(st.busy, x.busy_win, r.stat, x.busy_pct, scratch_);
      if (!v) continue;
      const bool fires = r.compare == Rule::Compare::above ? *v > r.threshold : *v < r.threshold;
      if (fires) alert = std::max(alert, r.alert);
    }
    x.alert = alert;
  }
}

}  // namespace steady::telemetry
