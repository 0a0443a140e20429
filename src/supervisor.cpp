// src/supervisor.cpp — incarnations, failures and their policies (see steady/supervision.hpp), the watchdog.
#include <algorithm>
#include <cmath>

#include "graph_core.hpp"
#include "steady/log.hpp"

namespace steady {

std::chrono::nanoseconds Backoff::delay(std::uint32_t n) const noexcept {
  if (n == 0) return std::chrono::nanoseconds(0);
  const double d = static_cast<double>(initial.count()) * std::pow(factor, static_cast<double>(n - 1));
  return d >= static_cast<double>(max.count()) ? max : std::chrono::nanoseconds(static_cast<std::int64_t>(d));
}

namespace detail {

namespace {

std::string describe(const std::exception_ptr& err) {
  try {
    std::rethrow_exception(err);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
  }
  return "unknown exception (not derived from std::exception)";
}

// Keep only the restarts inside the window ending now; true when one more is within the budget.
bool within_budget(std::deque<TimePoint>& times, const RestartPolicy& p, TimePoint now) {
  while (!times.empty() && now - times.front() >= p.window) times.pop_front();
  return times.size() < p.max_restarts;
}

}  // namespace

void GraphCore::begin_incarnation(ActorCore& a) {
  ActorRecord& r = *actors[a.index];
  a.recycling.store(false);
  // The new incarnation starts in the graph's phase (a restart during a stop must still vote).
  const std::uint32_t gp = phase.load();
  a.phase.store(gp);
  if (const std::uint32_t now = phase.load(); now > gp) a.phase.store(now);  // a stop raced with us
  r.task = r.factory(*r.ctx);
  a.handle = r.task.handle();
  a.pending = nullptr;
  a.fairness_budget = a.fairness_reset;
  a.state.store(TaskState::ready);
}

// Executor thread of `a`, its coroutine finished: returned, was recycled by its group, or threw.
void GraphCore::end_incarnation(ActorCore& a) {
  ActorRecord& r = *actors[a.index];
  const std::exception_ptr err = r.task.error();
  const bool recycled = a.recycling.exchange(false);
  r.task.reset();
  a.handle = {};
  a.clear_veto();

  enum class Next { stop_for_good, restart } next = Next::stop_for_good;
  std::chrono::nanoseconds delay{0};
  bool stop_graph = false;

  if (err) {
    const std::string what = describe(err);
    std::string trace = take_failure_trace();
    log(LogLevel::error, "actor '" + a.full_name + "' failed: " + what + (trace.empty() ? "" : "\n" + trace));
    // Poison detection: the message each input had in front when the actor failed.
    for (ChannelCore* in : a.inputs) (void)in->note_consumer_failure(a.full_name);

    std::vector<ActorRecord*> also;  // group members to restart with it
    {
      std::lock_guard lock(mu);
      r.last_error = what;
      const bool stopping = phase.load() != 0;
      const RestartPolicy policy =
          r.group >= 0 ? groups[static_cast<std::size_t>(r.group)].policy : r.policy.value_or(options.default_restart);
      const TimePoint now = a.now();
      if (policy.kind == RestartPolicy::Kind::never) {
        failures.push_back({a.full_name, what + " (restart policy: never; the actor stays stopped)"});
      } else if (policy.kind == RestartPolicy::Kind::stop_graph) {
        failures.push_back({a.full_name, what + " (restart policy: stop the graph)"});
        stop_graph = true;
      } else if (stopping) {
        failures.push_back({a.full_name, what + " (failed while the graph was stopping; not restarted)"});
      } else {
        auto& times = r.group >= 0 ? groups[static_cast<std::size_t>(r.group)].restart_times : r.restart_times;
        if (!within_budget(times, policy, now)) {
          const std::string budget = std::to_string(policy.max_restarts) + " restarts in " +
                                     std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                        policy.window).count()) + " ms";
          failures.push_back({a.full_name, what + " (restart budget of " + budget + " spent: escalated, stopping "
                                                  "the graph)"});
          log(LogLevel::error, "actor '" + a.full_name + "': restart budget of " + budget +
                                   " spent; escalating: stopping the graph");
          stop_graph = true;
        } else {
          times.push_back(now);
          delay = policy.backoff.delay(static_cast<std::uint32_t>(times.size()));
          next = Next::restart;
          if (r.group >= 0) {
            const auto& g = groups[static_cast<std::size_t>(r.group)];
            const auto self = std::find(g.members.begin(), g.members.end(), a.index);
            auto first = g.members.begin();
            if (g.strategy == Strategy::rest_for_one) first = self + 1;
            if (g.strategy != Strategy::one_for_one)
              for (auto it = first; it != g.members.end(); ++it)
                if (*it != a.index && !actors[*it]->done_for_good) also.push_back(actors[*it].get());
          }
        }
      }
    }
    for (ActorRecord* m : also) {  // ask them to leave at their next wait; they restart after the same delay
      m->recycle_delay_ns.store(delay.count());
      m->core->recycling.store(true);
      m->core->raise_phase(2);
      log(LogLevel::info, "actor '" + m->core->full_name + "' restarts with '" + a.full_name + "' (group " +
                              groups[static_cast<std::size_t>(r.group)].name + ")");
    }
  } else if (recycled) {
    next = Next::restart;
    delay = std::chrono::nanoseconds(r.recycle_delay_ns.load());
  }

  if (next == Next::restart) {
    a.restarts.fetch_add(1, std::memory_order_relaxed);
    restarts_total.fetch_add(1, std::memory_order_relaxed);
    begin_incarnation(a);  // same ends, same contents, same State: only the coroutine is new
    if (delay.count() > 0) {
      r.delay.actor = &a;
      r.delay.at = a.now() + std::chrono::duration_cast<Clock::duration>(delay);
      a.pending = &r.delay;
      ++a.wait_seq;
      a.state.store(TaskState::waiting);
      a.executor->add_timer(r.delay.at, a, a.wait_seq);
    }
    return;
  }

  // For good: returning agrees to stop. Close what it produced; tell producers feeding it that nobody will read.
  {
    std::lock_guard lock(mu);
    r.done_for_good = true;
  }
  for (ChannelCore* out : a.outputs) out->mark_closed();
  for (ChannelCore* in : a.inputs) {
    if (const auto left = in->avail_units_fresh(); left != 0)
      log(LogLevel::warn, "actor '" + a.full_name + "' stopped with " + std::to_string(left) +
                              " unread messages on channel '" + in->name() + "'");
    in->mark_consumer_gone();
    in->close_dead_letter();
  }
  if (stop_graph) request_shutdown();
  std::lock_guard lock(mu);
  if (--live == 0) cv.notify_all();
}

// ---------------------------------------------------------------- watchdog

void GraphCore::start_watchdog() {
  watchdog = std::thread([this] {
    std::unique_lock lock(mu);
    const auto period = std::max(std::chrono::milliseconds(20), options.stall_after / 4);
    while (live != 0) {
      watchdog_cv.wait_for(lock, period);
      const std::int64_t now = Clock::now().time_since_epoch().count();
      for (auto& rec : actors) {
        ActorCore& a = *rec->core;
        const std::int64_t since = a.running_since.load(std::memory_order_relaxed);
        const std::int64_t bound = a.stall_after_ns;
        if (since != 0 && bound > 0 && now - since > bound && !a.stalled.exchange(true))
          log(LogLevel::warn, "actor '" + a.full_name + "' stalled: resumed " +
                                  std::to_string((now - since) / 1'000'000) +
                                  " ms ago and has not reached a wait (blocking call or long loop?)");
      }
    }
  });
}

void GraphCore::stop_watchdog() {
  {
    std::lock_guard lock(mu);
    watchdog_cv.notify_all();
  }
  if (watchdog.joinable()) watchdog.join();
}

}  // namespace detail
}  // namespace steady
