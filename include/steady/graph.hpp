// steady/graph.hpp — build a graph of actors and channels, run it, stop it by negotiation.
//
//   auto graph = steady::GraphBuilder::for_production().build();
//   auto [tx, rx] = graph.channel<std::uint64_t>().name("numbers").capacity(1024).build();
//   auto workers = graph.troupe("workers");                      // several actors taking turns on one thread
//   graph.actor("producer").run(produce, std::move(tx));          // solo: its own thread
//   graph.actor("consumer").troupe(workers).run(consume, std::move(rx));
//   graph.start();
//   steady::StopReport report = graph.block_until_stopped(std::chrono::seconds(2));
//
// Ownership. The graph owns every channel and actor. `run(fn, ends...)` hands the channel ends (and any other
// arguments) to the graph, which lends them to `fn(ctx, ends&...)` for each incarnation of the actor — a restarted
// actor gets the same ends back, with their contents. Pass other per-actor values by value (they are stored with the
// actor) or with std::ref.
//
// Placement is configuration, not code: the same actor function runs solo or in a troupe. Channels whose two ends
// end up on one thread are made "local" (no fences) when the graph starts.
//
// Lifecycle: building → running → stop requested → stopped (clean) | stopped unclean. block_until_stopped(timeout)
// returns once every actor has stopped; the timeout counts from the stop request (by request_shutdown, an actor,
// SIGINT/SIGTERM in production mode). If actors still veto when it passes, the graph forces them out: their waits
// return `shutdown` and is_running() returns false; the report is unclean and names each vetoing actor and its reason.
// An actor whose coroutine returns counts as agreeing, and its outputs are closed for it.
//
// Threads: build and start from one thread; request_shutdown from any thread (or a signal); block_until_stopped
// from one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "channel.hpp"
#include "context.hpp"
#include "log.hpp"
#include "state.hpp"
#include "stop_report.hpp"
#include "supervision.hpp"
#include "task.hpp"

namespace steady {

enum class GraphMode { production, testing };
enum class GraphState { building, running, stop_requested, stopped, stopped_unclean };

class Graph;
class ActorBuilder;

// A named group of actors that share one thread, cooperatively. Obtain with Graph::troupe().
struct Troupe {
  std::uint32_t id = 0;
};

struct GraphOptions {
  GraphMode mode = GraphMode::production;
  bool handle_signals = true;  // SIGINT/SIGTERM request a stop (production default; off for testing)
  // Solo actors spin this many condition checks before they arm and sleep (latency knob; 0 = park at once).
  std::uint32_t default_spin = 256;
  // Then, for a wait on channels alone (no timer, no timeout), give the core away this many times
  // (sched_yield), checking after each, before they sleep: on a machine with fewer free cores than busy threads
  // the peer often runs in that time, and a park (two futex calls and a wake-up) is avoided. Not for actors that
  // spin 0 (they park at once) nor for timer waits (sleeping until the timer is the point).
  std::uint32_t default_yield = 64;
  // A troupe member that passes this many satisfied waits in a row yields to the others.
  std::uint32_t fairness_budget = 64;
  // Waits begun while the graph is stopping poll this often, so vetoing actors can vote again.
  std::chrono::milliseconds shutdown_poll{10};
  // Testing only: deterministic virtual time. The graph gets no threads; every actor runs on the caller's thread
  // inside run_until_idle(), advance() and block_until_stopped(), and timers follow a clock that only advance()
  // moves. A 10 s periodic actor is tested over 100 periods in microseconds, the same way every run.
  bool virtual_time = false;
  // What happens when an actor throws, unless its builder says otherwise (see supervision.hpp).
  RestartPolicy default_restart = RestartPolicy::restart(10, std::chrono::seconds(10));
  // An actor resumed for longer than this without reaching a wait is flagged stalled (logged, telemetry).
  std::chrono::milliseconds stall_after{2000};
};

class GraphBuilder {
 public:
  [[nodiscard]] static GraphBuilder for_production();
  // No signal handlers; meant for tests that build many graphs in one process.
  [[nodiscard]] static GraphBuilder for_testing();
  GraphBuilder& handle_signals(bool on) noexcept { o_.handle_signals = on; return *this; }
  GraphBuilder& default_spin(std::uint32_t checks) noexcept { o_.default_spin = checks; return *this; }
  GraphBuilder& default_yield(std::uint32_t times) noexcept { o_.default_yield = times; return *this; }
  GraphBuilder& fairness_budget(std::uint32_t waits) noexcept { o_.fairness_budget = waits; return *this; }
  GraphBuilder& shutdown_poll(std::chrono::milliseconds p) noexcept { o_.shutdown_poll = p; return *this; }
  GraphBuilder& default_restart(RestartPolicy p) noexcept { o_.default_restart = p; return *this; }
  GraphBuilder& stall_after(std::chrono::milliseconds d) noexcept { o_.stall_after = d; return *this; }
  // Deterministic virtual time (see GraphOptions::virtual_time). Testing graphs only.
  GraphBuilder& virtual_time(bool on = true) noexcept { o_.virtual_time = on; return *this; }
  [[nodiscard]] Graph build() const;
  [[nodiscard]] const GraphOptions& options() const noexcept { return o_; }

 private:
  GraphOptions o_;
};

namespace detail {
class GraphCore;

// How run() learns which channel ends an actor holds: producers, consumers, or neither.
inline void register_end(auto&, ActorCore&) noexcept {}
template <class T>
void register_end(Tx<T>& tx, ActorCore& a);
template <class T>
void register_end(Rx<T>& rx, ActorCore& a);
template <class E, std::size_t N>
void register_end(std::array<E, N>& lanes, ActorCore& a) {
  for (auto& e : lanes) register_end(e, a);
}
void attach_producer(ChannelCore& ch, ActorCore& a);  // src/graph.cpp: checks single ownership

// Substitution (the testing toolkit's stage manager): when an actor with a substituted name is added, its channel
// ends are offered to the substitute, which claims the ones it wants and adds a mock actor in its place. Ends nobody
// claims are closed (outputs) or released (inputs), so the rest of the graph still drains.
struct EndOffer {
  const std::type_info* type;  // typeid(Tx<T>) or typeid(Rx<T>)
  void* end;                   // Tx<T>* / Rx<T>*
  ChannelCore* channel;
  bool producer_side;
  bool claimed = false;
  template <class E>
  [[nodiscard]] bool is() const noexcept { return !claimed && *type == typeid(E); }
  template <class E>
  [[nodiscard]] E claim() noexcept {
    claimed = true;
    return std::move(*static_cast<E*>(end));
  }
};
inline void offer_end(auto&, std::vector<EndOffer>&) noexcept {}
template <class T>
void offer_end(Tx<T>& tx, std::vector<EndOffer>& out) {
  out.push_back({&typeid(Tx<T>), &tx, &tx.ring(), true});
}
template <class T>
void offer_end(Rx<T>& rx, std::vector<EndOffer>& out) {
  out.push_back({&typeid(Rx<T>), &rx, &rx.ring(), false});
}
template <class E, std::size_t N>
void offer_end(std::array<E, N>& lanes, std::vector<EndOffer>& out) {
  for (auto& e : lanes) offer_end(e, out);
}
void release_unclaimed(std::vector<EndOffer>& offers) noexcept;  // src/graph.cpp

class Substitute {
 public:
  virtual ~Substitute() = default;
  // Claim ends from `offers` and add the mock actor with `builder` (same name, suffix and placement).
  virtual void install(ActorBuilder& builder, std::vector<EndOffer>& offers) = 0;
};
void attach_consumer(ChannelCore& ch, ActorCore& a);
template <class T>
void register_end(Tx<T>& tx, ActorCore& a) {
  attach_producer(tx.ring(), a);
}
template <class T>
void register_end(Rx<T>& rx, ActorCore& a) {
  attach_consumer(rx.ring(), a);
}
}  // namespace detail

template <class T>
class ChannelBuilder {
 public:
  ChannelBuilder& capacity(std::uint64_t n) noexcept { capacity_ = n; return *this; }
  ChannelBuilder& name(std::string n) { name_ = std::move(n); return *this; }
  ChannelBuilder& label(std::string key, std::string value) {
    labels_[std::move(key)] = std::move(value);
    return *this;
  }
  // Measure latency on one message in `n` (rounded up to a power of two; 0 = off). Default 32: one clock read per
  // 32 messages on each side.
  ChannelBuilder& latency_sample_every(std::uint32_t n) noexcept {
    sample_every_ = n;
    return *this;
  }
  // Poison messages: when this channel's consumer has failed `k` times with the same message in front, the message
  // is moved to `dead_letters` (another channel of the same type; its consumer decides what to do) and the pipeline
  // goes on. Without a dead-letter channel, the consumer's restart budget decides.
  ChannelBuilder& dead_letter(Tx<T> dead_letters, std::uint32_t k = 3) {
    dead_ = std::move(dead_letters);
    poison_after_ = k;
    return *this;
  }
  [[nodiscard]] std::pair<Tx<T>, Rx<T>> build();
  // N identical channels named "name[0]".."name[N-1]".
  template <std::size_t N>
  [[nodiscard]] std::pair<TxBundle<T, N>, RxBundle<T, N>> build_bundle();

 private:
  friend class Graph;
  explicit ChannelBuilder(Graph& g) noexcept : graph_(g) {}
  Graph& graph_;
  std::uint64_t capacity_ = 64;
  std::uint32_t sample_every_ = 32;
  Tx<T> dead_;
  std::uint32_t poison_after_ = 0;
  std::string name_;
  std::map<std::string, std::string> labels_;
};

class ActorBuilder {
 public:
  // Instance suffix: actors of one kind are told apart as "name_0", "name_1", ...
  ActorBuilder& suffix(int n) noexcept { suffix_ = n; return *this; }
  // Run as a member of this troupe (cooperatively, on the troupe's thread). Default: solo, own thread.
  ActorBuilder& troupe(Troupe t) noexcept { troupe_ = static_cast<int>(t.id); return *this; }
  // Pin the actor's thread to this core (solo actors, or the troupe's thread). -1 = no pinning.
  ActorBuilder& core(int cpu) noexcept { core_ = cpu; return *this; }
  // Solo actors: spin this many condition checks before sleeping (overrides the graph default).
  ActorBuilder& spin(std::uint32_t checks) noexcept { spin_ = static_cast<int>(checks); return *this; }
  // Stack size of the actor's thread (solo actors / the troupe's thread), in bytes. 0 = system default.
  ActorBuilder& stack_size(std::size_t bytes) noexcept { stack_ = bytes; return *this; }
  // What to do when the actor throws (default: the graph's default_restart). See supervision.hpp.
  ActorBuilder& restart(RestartPolicy p) noexcept { policy_ = p; return *this; }
  // Let this supervisor group restart the actor (its strategy and budget apply instead of the actor's policy).
  ActorBuilder& supervisor(SupervisorGroup g) noexcept { group_ = static_cast<int>(g.id); return *this; }
  // Flag the actor stalled after this long resumed without reaching a wait (default: the graph's stall_after).
  ActorBuilder& stall_after(std::chrono::milliseconds d) noexcept { stall_ = d; return *this; }
  // A key/value label telemetry shows with the actor (the actor may add more at run time: Context::set_label).
  ActorBuilder& label(std::string key, std::string value) {
    labels_[std::move(key)] = std::move(value);
    return *this;
  }

  // Add the actor. `fn(Context&, Args&...)` must return steady::Task. The graph keeps `args` (channel ends and any
  // other values) and lends them to each incarnation by reference.
  template <class F, class... Args>
  void run(F fn, Args&&... args);

 private:
  friend class Graph;
  ActorBuilder(Graph& g, std::string name) : graph_(g), name_(std::move(name)) {}
  Graph& graph_;
  std::string name_;
  int suffix_ = -1;
  int troupe_ = -1;
  int core_ = -1;
  int spin_ = -1;
  std::size_t stack_ = 0;
  std::optional<RestartPolicy> policy_;
  int group_ = -1;
  std::chrono::milliseconds stall_{0};
  std::map<std::string, std::string> labels_;
};

class Graph {
 public:
  Graph(Graph&&) noexcept;
  Graph& operator=(Graph&&) noexcept;
  ~Graph();  // requests a stop and waits for it if the graph is still running

  template <class T>
  [[nodiscard]] ChannelBuilder<T> channel() {
    return ChannelBuilder<T>(*this);
  }
  [[nodiscard]] ActorBuilder actor(std::string name) { return ActorBuilder(*this, std::move(name)); }
  [[nodiscard]] Troupe troupe(std::string name);
  // A supervisor group (Erlang-style); add members with ActorBuilder::supervisor. See supervision.hpp.
  [[nodiscard]] SupervisorGroup supervisor(std::string name, Strategy strategy,
                                           RestartPolicy policy = RestartPolicy::restart(10, std::chrono::seconds(10)));
  // State owned by the graph, handed to each incarnation of an actor (see state.hpp).
  template <class S>
  [[nodiscard]] StateBuilder<S> state(std::string name) {
    return StateBuilder<S>(*this, std::move(name));
  }

  // Testing hook (used by steady::testing::StageManager): the actor named `full_name`, when it is added, is replaced
  // by what `substitute` installs. start() throws if a substitute was never used (a misspelt name).
  void substitute(std::string full_name, std::shared_ptr<detail::Substitute> substitute);

  void start();
  // Any thread, idempotent. Pending waits return `shutdown`; actors vote through is_running().
  void request_shutdown() noexcept;
  // Block until every actor has stopped. `timeout` counts from the stop request (see the header comment).
  // In virtual time the graph runs here: it runs until idle, is asked to stop (the test moves time with advance()
  // before), then time jumps from timer to timer while the actors vote; the timeout is virtual.
  StopReport block_until_stopped(std::chrono::nanoseconds timeout);

  // ---- virtual time (graphs built with virtual_time(); each throws std::logic_error otherwise)
  // Run every runnable actor on this thread until none is runnable and no timer is due. Returns the resumes done;
  // stops after 1,000,000 resumes (an actor that loops without ever waiting would otherwise hang the test).
  std::size_t run_until_idle();
  // Move the virtual clock forward by d. Timers due on the way fire in deadline order, each followed by
  // run_until_idle(), so a periodic actor sees every one of its periods.
  void advance(std::chrono::nanoseconds d);
  // The graph's clock: virtual time, or the steady clock.
  [[nodiscard]] std::chrono::steady_clock::time_point now() const noexcept;

  [[nodiscard]] GraphState state() const noexcept;
  [[nodiscard]] const GraphOptions& options() const noexcept;
  [[nodiscard]] detail::GraphCore& core() noexcept { return *core_; }

 private:
  friend class GraphBuilder;
  template <class T>
  friend class ChannelBuilder;
  friend class ActorBuilder;
  explicit Graph(const GraphOptions& options);

  struct ActorPlacement {
    std::string name;
    int suffix, troupe, core, spin;
    std::size_t stack;
    std::optional<RestartPolicy> policy;
    int group;
    std::chrono::milliseconds stall;
    std::map<std::string, std::string> labels;
  };
  template <class S>
  friend class StateBuilder;
  void on_stop(std::function<void()> fn);  // run after every actor stopped (state flushes)
  using Factory = std::function<Task(Context&)>;
  void add_channel(std::shared_ptr<detail::ChannelCore> ch, std::map<std::string, std::string> labels);
  detail::ActorCore& add_actor(const ActorPlacement& p);
  std::shared_ptr<detail::Substitute> take_substitute(const std::string& name, int suffix);
  void set_factory(detail::ActorCore& a, Factory f);
  static void drive_virtual_until_stopped(detail::GraphCore& g, std::chrono::nanoseconds timeout, StopReport& r);

  std::unique_ptr<detail::GraphCore> core_;
};

// ---------------------------------------------------------------- template definitions

template <class T>
std::pair<Tx<T>, Rx<T>> ChannelBuilder<T>::build() {
  if (capacity_ == 0) throw std::invalid_argument("channel '" + name_ + "': capacity must be at least 1");
  auto ring = std::make_shared<detail::Ring<T>>(capacity_, name_);
  ring->set_latency_sampling(sample_every_);
  if (dead_.valid()) {
    // Runs on the consumer's thread while the failed consumer is not running: it owns the consumer side then.
    auto dlq = std::make_shared<Tx<T>>(std::move(dead_));
    detail::Ring<T>* r = ring.get();
    ring->set_dead_letter(poison_after_, dlq->name(), [r, dlq]() -> bool {
      T* front = r->slot(r->tail_index());
      auto sent = dlq->try_send(std::move(*front));
      if (!sent.sent()) {
        *front = std::move(sent).take_back();
        return false;
      }
      std::destroy_at(front);
      r->commit_take(1);
      return true;
    }, [dlq] { dlq->mark_closed(); });
  }
  graph_.add_channel(ring, labels_);
  return {Tx<T>(ring), Rx<T>(ring)};
}

template <class T>
template <std::size_t N>
std::pair<TxBundle<T, N>, RxBundle<T, N>> ChannelBuilder<T>::build_bundle() {
  std::pair<TxBundle<T, N>, RxBundle<T, N>> out;
  const std::string base = name_;
  for (std::size_t i = 0; i < N; ++i) {
    name_ = base + "[" + std::to_string(i) + "]";
    labels_["lane"] = std::to_string(i);
    labels_["bundle"] = base;
    auto [tx, rx] = build();
    out.first[i] = std::move(tx);
    out.second[i] = std::move(rx);
  }
  name_ = base;
  return out;
}

template <class F, class... Args>
void ActorBuilder::run(F fn, Args&&... args) {
  static_assert(std::is_invocable_r_v<Task, F&, Context&, std::decay_t<Args>&...>,
                "an actor function must be callable as fn(steady::Context&, Args&...) and return steady::Task");
  if (auto sub = graph_.take_substitute(name_, suffix_)) {  // a stage manager put a mock in this actor's place
    std::tuple<std::decay_t<Args>...> ends{std::forward<Args>(args)...};
    std::vector<detail::EndOffer> offers;
    std::apply([&offers](auto&... e) { (detail::offer_end(e, offers), ...); }, ends);
    sub->install(*this, offers);
    detail::release_unclaimed(offers);
    return;
  }
  detail::ActorCore& a =
      graph_.add_actor({name_, suffix_, troupe_, core_, spin_, stack_, policy_, group_, stall_, labels_});
  // The function and the arguments live with the actor for the graph's lifetime; each incarnation borrows them.
  struct Held {
    F fn;
    std::tuple<std::decay_t<Args>...> args;
  };
  auto held = std::make_shared<Held>(Held{std::move(fn), {std::forward<Args>(args)...}});
  std::apply([&a](auto&... e) { (detail::register_end(e, a), ...); }, held->args);
  graph_.set_factory(a, [held](Context& ctx) -> Task {
    return std::apply([&](auto&... e) { return std::invoke(held->fn, ctx, e...); }, held->args);
  });
}

template <class S>
Result<State<S>> StateBuilder<S>::build() {
  auto box = std::make_shared<detail::StateBox<S>>();
  box->name = name_;
  box->value = std::move(init_);
  box->encode = [](const S& v) { return StateCodec<S>::encode(v); };
  if (persist_) {
    persist_->version = version_;
    box->persist = persist_;
    auto loaded = detail::load_state_file(persist_->path, version_);
    std::string problem;
    if (!loaded) {
      problem = loaded.error();
    } else if (loaded.value()) {
      if (!StateCodec<S>::decode(*loaded.value(), box->value))
        problem = "state file '" + persist_->path.string() + "' for state '" + name_ +
                  "' has a valid checksum but does not decode as this state type (was the layout changed without "
                  "bumping .version()?)";
    }
    if (!problem.empty()) {
      if (!fresh_)
        return Error{problem + ". Refusing to start: restore the file from a backup, move it away, or build the "
                               "state with .start_fresh_if_corrupt()"};
      const auto aside = detail::quarantine_state_file(persist_->path);
      log(LogLevel::error, problem + "; moved it to '" + aside.string() + "' and starting state '" + name_ +
                               "' fresh, as start_fresh_if_corrupt() asked");
      box->value = std::move(init_);
    }
  }
  State<S> handle(box);
  if (persist_) graph_.on_stop([handle]() mutable { (void)handle.flush(); });
  return handle;
}

}  // namespace steady
