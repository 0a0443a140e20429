// src/context.cpp — wait conditions, the shared awaiter logic, and stop votes.
#include "steady/context.hpp"

#include "graph_core.hpp"

namespace steady {

namespace detail {

ActorCore::ActorCore(GraphCore& g, std::string n, int sfx) : graph(g), name(std::move(n)), suffix(sfx) {
  full_name = suffix >= 0 ? name + "_" + std::to_string(suffix) : name;
}

void ActorCore::record_veto(std::string reason) {
  std::lock_guard lock(veto_mu_);
  veto_reason_ = std::move(reason);
  vetoing.store(true, std::memory_order_relaxed);
}
void ActorCore::clear_veto() {
  std::lock_guard lock(veto_mu_);
  veto_reason_.clear();
  vetoing.store(false, std::memory_order_relaxed);
}
void ActorCore::set_status(std::string text) {
  std::lock_guard lock(veto_mu_);
  status_ = std::move(text);
}
std::string ActorCore::status() const {
  std::lock_guard lock(veto_mu_);
  return status_;
}
void ActorCore::set_label(std::string key, std::string value) {
  std::lock_guard lock(veto_mu_);
  auto it = labels_->find(key);
  if (value.empty() ? it == labels_->end() : it != labels_->end() && it->second == value) return;  // unchanged
  auto next = std::make_shared<Labels>(*labels_);
  if (value.empty())
    next->erase(key);
  else
    (*next)[std::move(key)] = std::move(value);
  labels_ = std::move(next);
}
std::shared_ptr<const ActorCore::Labels> ActorCore::labels() const {
  std::lock_guard lock(veto_mu_);
  return labels_;
}
std::string ActorCore::last_veto() const {
  std::lock_guard lock(veto_mu_);
  return veto_reason_;
}

// ---- conditions

bool cond_ready(Cond& c, TimePoint now) noexcept {
  switch (c.kind) {
    case Cond::Kind::avail: return c.channel->avail_ready(c.units);
    case Cond::Kind::vacant: return c.channel->vacant_ready(c.units);
    case Cond::Kind::after:
    case Cond::Kind::periodic: return now >= c.at;
    case Cond::Kind::bell: return c.bell->pending();
  }
  return false;
}

bool cond_finished(Cond& c) noexcept {
  if (c.kind == Cond::Kind::avail) return c.channel->is_closed_and_empty();
  if (c.kind == Cond::Kind::vacant) return c.channel->consumer_gone();
  return false;
}

bool cond_arm(Cond& c) noexcept {
  switch (c.kind) {
    case Cond::Kind::avail: return c.channel->arm_avail(c.units);
    case Cond::Kind::vacant: return c.channel->arm_vacant(c.units);
    case Cond::Kind::after:
    case Cond::Kind::periodic: return false;  // timers are armed through the wait's deadline, then re-checked
    case Cond::Kind::bell: return c.bell->arm(c.waiter);
  }
  return false;
}

void cond_disarm(Cond& c) noexcept {
  if (c.kind == Cond::Kind::avail) c.channel->disarm_avail();
  else if (c.kind == Cond::Kind::vacant) c.channel->disarm_vacant();
  else if (c.kind == Cond::Kind::bell) c.bell->disarm();
}

void cond_resolve(Cond& c, ActorCore& core, TimePoint now) noexcept {
  switch (c.kind) {
    case Cond::Kind::avail:
    case Cond::Kind::vacant: c.units = std::min(c.units, c.channel->capacity()); break;
    case Cond::Kind::after: c.at = now + c.duration; break;
    case Cond::Kind::bell: c.waiter = &core; break;
    case Cond::Kind::periodic: {
      const auto d = std::chrono::duration_cast<Clock::duration>(c.duration);
      TimePoint next = core.last_period == kNoDeadline ? now + d : core.last_period + d;
      if (next + d < now) next = now;  // fell behind by more than a period: start over instead of bursting
      c.at = next;
      break;
    }
  }
}

void cond_complete(Cond& c, ActorCore& core, TimePoint now) noexcept {
  if (c.kind == Cond::Kind::periodic && now >= c.at) core.last_period = c.at;
}

// ---- WaitBase

bool WaitBase::fairness_yield() noexcept {
  // Troupe fairness: after a run of satisfied waits, give the other members a turn.
  core_.fairness_budget = core_.fairness_reset;
  yield_ = true;
  return false;
}

bool WaitBase::not_ready() noexcept {
  poll_at_ = kNoDeadline;  // only a suspending wait reads it (see WaitBase)
  if (core_.forced_stop()) {
    status_ = WaitStatus::shutdown;
    return true;
  }
  if (core_.stop_requested()) poll_at_ = core_.now() + core_.shutdown_poll;
  return false;
}

bool WaitBase::await_suspend(std::coroutine_handle<>) noexcept {
  if (yield_) {
    core_.state.store(TaskState::ready);
    core_.schedule();
    return true;
  }
  return core_.suspend_on(*this);
}

TimePoint WaitBase::deadline() const noexcept { return std::min(timeout_at_, poll_at_); }

bool WaitBase::should_resume(TimePoint now) noexcept {
  if (ready()) {
    status_ = WaitStatus::satisfied;
    return true;
  }
  if (core_.stop_requested_fenced()) {
    // A wait pending when the stop came returns at once; one begun during the stop polls (the actor votes again).
    if (core_.forced_stop() || poll_at_ == kNoDeadline || now >= poll_at_) {
      status_ = WaitStatus::shutdown;
      return true;
    }
  }
  if (now >= timeout_at_) {
    status_ = WaitStatus::timed_out;
    return true;
  }
  return false;
}

}  // namespace detail

bool Doorbell::arm(detail::ActorCore* waiter) noexcept {
  slot_.store(waiter, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // Dekker: slot store before the rings load
  if (pending()) {
    disarm();
    return true;
  }
  return false;
}

void Doorbell::ring() noexcept {
  rings_.fetch_add(1);  // seq_cst: the ring before the slot load
  detail::ActorCore* w = slot_.load();
  if (w != nullptr && slot_.compare_exchange_strong(w, nullptr)) w->wake();
}

void Context::request_shutdown() noexcept { core_.graph.request_shutdown(); }

}  // namespace steady
