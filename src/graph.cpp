// src/graph.cpp — graph building, start, negotiated stop and the stop report.
#include <algorithm>
#include <stdexcept>

#include "graph_core.hpp"
#include "signals.hpp"
#include "steady/log.hpp"

namespace steady {

namespace detail {

void attach_producer(ChannelCore& ch, ActorCore& a) {
  if (ch.producer() != nullptr && ch.producer() != &a)
    throw std::logic_error("channel '" + ch.name() + "' already has a producer, actor '" + ch.producer()->full_name +
                           "'; give actor '" + a.full_name + "' a channel of its own (channels are single-producer)");
  ch.set_producer(&a);
  a.outputs.push_back(&ch);
}

void attach_consumer(ChannelCore& ch, ActorCore& a) {
  if (ch.consumer() != nullptr && ch.consumer() != &a)
    throw std::logic_error("channel '" + ch.name() + "' already has a consumer, actor '" + ch.consumer()->full_name +
                           "'; give actor '" + a.full_name + "' a channel of its own (channels are single-consumer)");
  ch.set_consumer(&a);
  a.inputs.push_back(&ch);
}

void release_unclaimed(std::vector<EndOffer>& offers) noexcept {
  for (auto& o : offers) {
    if (o.claimed) continue;
    if (o.producer_side) o.channel->mark_closed();
    else o.channel->mark_consumer_gone();
  }
}

GraphCore::~GraphCore() { unregister_signal_target(this); }

void GraphCore::request_shutdown() noexcept {
  {
    // The phase moves under the lock, after stop_requested_at is set: block_until_stopped() reads both under the
    // lock and must never see the stop phase with a deadline computed from an unset request time.
    std::lock_guard lock(mu);
    std::uint32_t expected = 0;
    if (phase.load() != 0) return;  // already stopping
    stop_requested_at = now();
    if (!phase.compare_exchange_strong(expected, 1)) return;  // force_stop() got there first
    GraphState s = GraphState::running;
    state.compare_exchange_strong(s, GraphState::stop_requested);
    cv.notify_all();
  }
  for (auto& r : actors) r->core->raise_phase(1);  // pending waits return `shutdown`; actors vote
}

void GraphCore::force_stop() noexcept {
  phase.store(2);
  for (auto& r : actors) r->core->raise_phase(2);
}

}  // namespace detail

// ---------------------------------------------------------------- builder

GraphBuilder GraphBuilder::for_production() { return GraphBuilder{}; }

GraphBuilder GraphBuilder::for_testing() {
  GraphBuilder b;
  b.o_.mode = GraphMode::testing;
  b.o_.handle_signals = false;
  return b;
}

Graph GraphBuilder::build() const { return Graph(o_); }

// ---------------------------------------------------------------- graph

Graph::Graph(const GraphOptions& options) : core_(std::make_unique<detail::GraphCore>(options)) {}
Graph::Graph(Graph&&) noexcept = default;
Graph& Graph::operator=(Graph&&) noexcept = default;

Graph::~Graph() {
  if (!core_) return;
  if (core_->state.load() != GraphState::building && !core_->joined) {
    request_shutdown();
    (void)block_until_stopped(std::chrono::seconds(5));
  }
}

GraphState Graph::state() const noexcept { return core_->state.load(); }
const GraphOptions& Graph::options() const noexcept { return core_->options; }

Troupe Graph::troupe(std::string name) {
  core_->troupes.push_back(std::move(name));
  return Troupe{static_cast<std::uint32_t>(core_->troupes.size() - 1)};
}

void Graph::add_channel(std::shared_ptr<detail::ChannelCore> ch, std::map<std::string, std::string> labels) {
  if (core_->state.load() != GraphState::building)
    throw std::logic_error("channel '" + ch->name() + "': channels are added before graph.start()");
  ch->labels = std::move(labels);
  ch->id = static_cast<std::uint32_t>(core_->channels.size());
  core_->channels.push_back(std::move(ch));
}

detail::ActorCore& Graph::add_actor(const ActorPlacement& p) {
  auto& g = *core_;
  if (g.state.load() != GraphState::building)
    throw std::logic_error("actor '" + p.name + "': actors are added before graph.start()");
  if (p.troupe >= static_cast<int>(g.troupes.size()))
    throw std::logic_error("actor '" + p.name + "': unknown troupe; create it with graph.troupe(name)");
  auto rec = std::make_unique<detail::ActorRecord>();
  rec->core = std::make_unique<detail::ActorCore>(g, p.name, p.suffix);
  const std::string& full = rec->core->full_name;
  if (g.actor_names.count(full) != 0)
    throw std::logic_error("two actors are named '" + full + "'; give each a distinct name or suffix");
  rec->core->index = static_cast<std::uint32_t>(g.actors.size());
  rec->core->fairness_reset = std::max<std::uint32_t>(1, g.options.fairness_budget);
  rec->core->shutdown_poll = g.options.shutdown_poll;
  rec->ctx = std::make_unique<Context>(*rec->core);
  if (p.group >= static_cast<int>(g.groups.size()))
    throw std::logic_error("actor '" + p.name + "': unknown supervisor group; create it with graph.supervisor()");
  rec->policy = p.policy;
  rec->group = p.group;
  if (p.group >= 0) g.groups[static_cast<std::size_t>(p.group)].members.push_back(rec->core->index);
  rec->core->stall_after_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(p.stall.count() > 0 ? p.stall : g.options.stall_after)
          .count();
  for (const auto& [key, value] : p.labels) rec->core->set_label(key, value);
  rec->troupe = p.troupe;
  rec->cpu = p.core;
  rec->spin = p.spin;
  rec->stack = p.stack;
  g.actor_names.insert(full);
  g.actors.push_back(std::move(rec));
  return *g.actors.back()->core;
}

SupervisorGroup Graph::supervisor(std::string name, Strategy strategy, RestartPolicy policy) {
  core_->groups.push_back({std::move(name), strategy, policy, {}, {}});
  return SupervisorGroup{static_cast<std::uint32_t>(core_->groups.size() - 1)};
}

void Graph::on_stop(std::function<void()> fn) { core_->on_stop.push_back(std::move(fn)); }

void Graph::substitute(std::string full_name, std::shared_ptr<detail::Substitute> sub) {
  core_->substitutes[std::move(full_name)] = std::move(sub);
}

std::shared_ptr<detail::Substitute> Graph::take_substitute(const std::string& name, int suffix) {
  auto& subs = core_->substitutes;
  if (subs.empty()) return nullptr;
  auto it = subs.find(suffix >= 0 ? name + "_" + std::to_string(suffix) : name);
  if (it == subs.end()) return nullptr;
  auto sub = std::move(it->second);
  subs.erase(it);  // the mock itself is added under the same name: it must not be substituted again
  return sub;
}

void Graph::set_factory(detail::ActorCore& a, Factory f) { core_->actors[a.index]->factory = std::move(f); }

void Graph::start() {
  auto& g = *core_;
  if (g.state.load() != GraphState::building) throw std::logic_error("graph.start() called twice");
  if (g.actors.empty()) throw std::logic_error("graph.start(): the graph has no actors");
  if (!g.substitutes.empty())
    throw std::logic_error("graph.start(): no actor named '" + g.substitutes.begin()->first +
                           "' was added, so its substitute (stage manager mock) was never used; check the name");
  if (g.options.virtual_time && g.options.mode != GraphMode::testing)
    throw std::logic_error("virtual time is for testing graphs: use GraphBuilder::for_testing().virtual_time()");
  // One executor per troupe (created lazily, so an empty troupe has no thread), one per solo actor.
  // In virtual time: one executor for everything, driven by the caller's thread.
  std::vector<detail::Executor*> troupe_exec(g.troupes.size(), nullptr);
  if (g.options.virtual_time) {
    g.executors.push_back(std::make_unique<detail::Executor>(detail::ExecutorOptions{"virtual", -1, 0, &g.virtual_now}));
    for (auto& r : g.actors) {
      r->core->in_troupe = true;
      g.executors.back()->add(*r->core);
    }
  }
  for (auto& r : g.actors) {
    if (g.options.virtual_time) break;
    detail::ActorCore& a = *r->core;
    if (r->troupe >= 0) {
      detail::Executor*& ex = troupe_exec[static_cast<std::size_t>(r->troupe)];
      if (ex == nullptr) {
        g.executors.push_back(std::make_unique<detail::Executor>(
            detail::ExecutorOptions{g.troupes[static_cast<std::size_t>(r->troupe)], r->cpu, r->stack}));
        ex = g.executors.back().get();
      }
      a.in_troupe = true;
      a.spin_iterations = 0;  // a troupe thread has other actors to run instead of spinning
      ex->add(a);
    } else {
      g.executors.push_back(
          std::make_unique<detail::Executor>(detail::ExecutorOptions{a.full_name, r->cpu, r->stack}));
      a.spin_iterations = r->spin >= 0 ? static_cast<std::uint32_t>(r->spin) : g.options.default_spin;
      a.yield_iterations = a.spin_iterations == 0 ? 0 : g.options.default_yield;
      g.executors.back()->add(a);
    }
  }
  for (auto& ch : g.channels) {
    const bool local = ch->producer() != nullptr && ch->consumer() != nullptr &&
                       ch->producer()->executor == ch->consumer()->executor;
    ch->set_local(local);
  }
  {
    std::lock_guard lock(g.mu);
    g.live = g.actors.size();
  }
  g.state.store(GraphState::running);
  if (g.options.handle_signals) register_signal_target(&g);
  for (auto& ex : g.executors) ex->start();
  if (!g.options.virtual_time && g.options.stall_after.count() > 0) g.start_watchdog();
}

void Graph::request_shutdown() noexcept { core_->request_shutdown(); }

std::chrono::steady_clock::time_point Graph::now() const noexcept { return core_->now(); }

namespace detail {
Executor& GraphCore::virtual_executor() const {
  if (!options.virtual_time) throw std::logic_error("this graph does not run in virtual time (GraphBuilder::virtual_time)");
  if (executors.empty()) throw std::logic_error("start() the graph before driving it");
  return *executors.front();
}
std::size_t GraphCore::drive() { return virtual_executor().drive_until_idle(kDriveBudget); }
}  // namespace detail

std::size_t Graph::run_until_idle() { return core_->drive(); }

void Graph::advance(std::chrono::nanoseconds d) {
  auto& g = *core_;
  detail::Executor& ex = g.virtual_executor();
  const auto target = g.now() + std::chrono::duration_cast<detail::Clock::duration>(d);
  g.drive();
  for (;;) {
    // Once every actor has finished, a timer left queued (an expired wait's timeout) has nobody to fire for.
    if (ex.live() == 0) break;
    const auto next = ex.next_deadline();
    if (next == detail::kNoDeadline || next > target) break;
    if (next > g.now()) g.virtual_now.store(next.time_since_epoch().count());
    g.drive();
  }
  g.virtual_now.store(target.time_since_epoch().count());
  g.drive();
}

// Virtual time: run the graph on this thread until it stops, jumping the clock from timer to timer. The timeout is
// measured on the virtual clock; when it passes, the caller's usual unclean-stop path takes over.
void Graph::drive_virtual_until_stopped(detail::GraphCore& g, std::chrono::nanoseconds timeout, StopReport&) {
  detail::Executor& ex = g.virtual_executor();
  const auto jump_to = [&g](detail::TimePoint t) { g.virtual_now.store(std::max(t, g.now()).time_since_epoch().count()); };
  // Messages moved so far: a busy round that moved none is an actor spinning, not a graph draining.
  const auto moved = [&g] {
    std::uint64_t n = 0;
    for (auto& ch : g.channels) n += ch->sent_total() + ch->taken_total();
    return n;
  };
  for (;;) {
    const std::uint64_t before = moved();
    const bool hit_budget = ex.drive_until_idle(detail::GraphCore::kStopDriveBudget) >= detail::GraphCore::kStopDriveBudget;
    if (ex.live() == 0) return;
    if (hit_budget && moved() != before) continue;  // still working through messages: keep driving
    const bool busy = hit_budget;                    // busy without moving a message: an actor spins
    if (g.phase.load() == 0) {
      // The test drives time with advance(); here the graph is asked to stop once it has nothing left to do now.
      if (busy)
        log(LogLevel::warn, "virtual time: the graph never goes idle (an actor loops without waiting, perhaps on a "
                            "closed input it does not return on); requesting the stop");
      g.request_shutdown();
      continue;
    }
    const auto limit = g.stop_requested_at + std::chrono::duration_cast<detail::Clock::duration>(timeout);
    const auto next = ex.next_deadline();
    if (busy || next == detail::kNoDeadline || next > limit) {
      jump_to(limit);  // a busy graph lets virtual time pass freely; either way the vote did not finish in time
      return;          // the caller reports who vetoed and forces the stop
    }
    jump_to(next);
  }
}

StopReport Graph::block_until_stopped(std::chrono::nanoseconds timeout) {
  auto& g = *core_;
  StopReport report;
  if (g.state.load() == GraphState::building) {
    report.clean = true;
    return report;
  }
  if (g.options.virtual_time) drive_virtual_until_stopped(g, timeout, report);
  std::unique_lock lock(g.mu);
  bool timed_out = false;
  if (!g.options.virtual_time) {
    g.cv.wait(lock, [&] { return g.live == 0 || g.phase.load() != 0; });
    if (g.live != 0) timed_out = !g.cv.wait_until(lock, g.stop_requested_at + timeout, [&] { return g.live == 0; });
  } else {
    timed_out = g.live != 0;  // drive_virtual_until_stopped returned with actors still voting against
  }
  if (timed_out) {
    for (auto& r : g.actors) {
      if (r->core->state.load() == detail::TaskState::finished) continue;
      std::string why = r->core->last_veto();
      report.vetoes.push_back({r->core->full_name, why.empty() ? "did not reach is_running() to vote" : why});
    }
    lock.unlock();
    g.force_stop();
    if (g.options.virtual_time) g.drive();
    lock.lock();
  }
  lock.unlock();
  for (auto& ex : g.executors) ex->join();
  g.stop_watchdog();
  for (auto& fn : g.on_stop) fn();  // final state writes, after every actor stopped
  lock.lock();
  g.joined = true;
  report.restarts = g.restarts_total.load();
  const auto stopped_at = g.now();
  if (g.phase.load() != 0)
    report.stop_duration = std::chrono::duration_cast<std::chrono::milliseconds>(stopped_at - g.stop_requested_at);
  report.failures = g.failures;
  report.timed_out = timed_out;
  report.clean = !timed_out && report.failures.empty();
  g.state.store(report.clean ? GraphState::stopped : GraphState::stopped_unclean);
  lock.unlock();
  unregister_signal_target(&g);
  log(report.clean ? LogLevel::debug : LogLevel::warn, report.to_string());
  return report;
}

}  // namespace steady
