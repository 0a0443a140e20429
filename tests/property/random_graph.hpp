// tests/property/random_graph.hpp — a random graph of the actors in actors.hpp, drawn from one seed.
//
//   sources (1–3; several meet in a merge) → segment → sinks (1–3; several behind a split)
//   segment = a chain of 0–3 relays | a fan: split<W> → W segments → merge<W>  (W = 2–4, nested two deep: diamonds,
//             fans within fans)
//
// Each channel gets a random capacity (1, 2, 3, 4 … 256) and wait thresholds with p + q ≤ c + 1 (see actors.hpp);
// each actor a random batch size (1–64, often tiny), solo or one of up to three troupes, and sometimes spin(0) (it
// parks at once, so every wake-up goes through the doorbell). With faults, actors may also join supervisor groups
// with a random strategy. describe() lists it all, so a failing seed can be read as well as replayed.
#pragma once

#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "actors.hpp"

namespace steady::property {

struct Shape {
  std::uint64_t seed = 0;
  bool faults = false;
  std::uint64_t max_messages = 4000;  // per source
};

class RandomGraph {
 public:
  // Builds the whole graph into `g` (not started).
  RandomGraph(Graph& g, const Shape& shape, std::shared_ptr<Run> run)
      : g_(g), rng_(shape.seed * 0x2545F4914F6CDD1Dull + 7), run_(std::move(run)) {
    solo_share_ = static_cast<double>(uniform(0, 4)) / 4.0;  // 0 = everything in troupes … 1 = every actor solo
    for (std::uint64_t i = 0, n = uniform(1, 3); i < n; ++i) troupes_.push_back(g_.troupe("t" + std::to_string(i)));
    if (shape.faults && coin(2)) {
      for (std::uint64_t i = 0, n = uniform(1, 2); i < n; ++i) {
        const auto strategy = static_cast<Strategy>(uniform(0, 2));
        groups_.push_back(g_.supervisor("group" + std::to_string(i), strategy,
                                        RestartPolicy::restart(1'000'000, std::chrono::seconds(10), {{}, {}, 1.0})));
        if (strategy != Strategy::one_for_one) groups_restart_others_ = true;
        text_ << "group" << i << ": " << (strategy == Strategy::one_for_one   ? "one_for_one"
                                          : strategy == Strategy::one_for_all ? "one_for_all"
                                                                              : "rest_for_one")
              << "\n";
      }
    }
    text_ << "placement: " << solo_share_ * 100 << "% solo, " << troupes_.size() << " troupe(s)\n";

    const auto sources = uniform(1, 3);
    for (std::uint64_t s = 0; s < sources; ++s) {
      auto log = std::make_shared<SourceLog>();
      log->id = static_cast<std::uint32_t>(s);
      log->total = coin(20) ? 0 : uniform(1, shape.max_messages);
      sources_.push_back(log);
      totals_.push_back(log->total);
    }
    End cur = sources == 1 ? source_into_link(0) : with_width(sources, [&](auto w) { return gather<decltype(w)::value>(); });
    cur = segment(std::move(cur), 0);
    const auto sinks = uniform(1, 3);
    if (sinks == 1) {
      add_sink(std::move(cur));
    } else {
      with_width(sinks, [&](auto w) {
        scatter<decltype(w)::value>(std::move(cur));
        return 0;
      });
    }
  }

  [[nodiscard]] const std::vector<std::shared_ptr<SourceLog>>& sources() const noexcept { return sources_; }
  [[nodiscard]] const std::vector<std::shared_ptr<Ledger>>& ledgers() const noexcept { return ledgers_; }
  // True when every path keeps the order of each source (no any-lane split on the way).
  [[nodiscard]] bool ordered() const noexcept { return ordered_; }
  // True when a supervisor group may restart actors that did not fail (restarts > faults then).
  [[nodiscard]] bool co_restarts() const noexcept { return groups_restart_others_; }
  [[nodiscard]] std::size_t actor_count() const noexcept { return actors_; }
  [[nodiscard]] std::string describe() const { return text_.str(); }

 private:
  // The consumer side of a channel and the threshold its consumer waits for.
  struct End {
    Rx<Msg> rx;
    std::uint64_t q = 1;
    std::string name;
  };
  struct Link {
    Tx<Msg> tx;
    End end;
    std::uint64_t p = 1;
  };

  std::uint64_t uniform(std::uint64_t lo, std::uint64_t hi) {
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng_);
  }
  bool coin(std::uint64_t one_in) { return uniform(1, one_in) == 1; }
  std::uint64_t capacity() {
    static constexpr std::uint64_t kChoices[] = {1, 2, 3, 4, 5, 7, 8, 16, 31, 64, 256};
    return kChoices[uniform(0, std::size(kChoices) - 1)];
  }
  std::uint64_t producer_wait(std::uint64_t c) { return coin(2) ? 1 : uniform(1, std::min<std::uint64_t>(c, 96)); }
  std::uint64_t consumer_wait(std::uint64_t c, std::uint64_t p) {
    return coin(2) ? 1 : uniform(1, std::min<std::uint64_t>(c + 1 - p, 96));  // p + q ≤ c + 1: no deadlock
  }
  std::string next_name(const char* kind) { return kind + std::to_string(names_++); }

  Link link() {
    const auto c = capacity();
    const auto p = producer_wait(c);
    std::string name = next_name("ch");
    auto [tx, rx] = g_.channel<Msg>().name(name).capacity(c).build();
    text_ << "  " << name << ": capacity " << c << ", producer waits " << p;
    const auto q = consumer_wait(c, p);
    text_ << ", consumer waits " << q << "\n";
    return {std::move(tx), {std::move(rx), q, name}, p};
  }

  Knobs knobs(std::uint64_t in_q, std::uint64_t out_p) {
    Knobs k;
    k.run = run_;
    k.batch = coin(2) ? uniform(1, 4) : uniform(1, kMaxBatch);
    k.in_q = in_q;
    k.out_p = out_p;
    return k;
  }

  template <class F, class... Args>
  void add(const char* kind, const std::string& wiring, const Knobs& k, F fn, Args&&... args) {
    auto b = g_.actor(kind).suffix(static_cast<int>(actors_));
    std::ostringstream line;
    line << kind << "_" << actors_ << " " << wiring << " batch " << k.batch;
    if (static_cast<double>(uniform(0, 999)) / 1000.0 >= solo_share_) {
      const auto t = uniform(0, troupes_.size() - 1);
      b.troupe(troupes_[t]);
      line << ", troupe t" << t;
    } else {
      line << ", solo";
    }
    if (coin(3)) {
      b.spin(0);
      line << ", spin 0";
    }
    if (!groups_.empty() && coin(3)) {
      const auto gi = uniform(0, groups_.size() - 1);
      b.supervisor(groups_[gi]);
      line << ", group" << gi;
    }
    if (run_->fault_one_in != 0)
      b.restart(RestartPolicy::restart(1'000'000, std::chrono::seconds(10), {{}, {}, 1.0}));
    text_ << line.str() << "\n";
    ++actors_;
    b.run(fn, std::forward<Args>(args)..., k);
  }

  // w in 2..4 as a compile-time constant.
  template <class F>
  static auto with_width(std::uint64_t w, F&& f)
      -> decltype(f(std::integral_constant<std::size_t, 2>{})) {
    switch (w) {
      case 2: return f(std::integral_constant<std::size_t, 2>{});
      case 3: return f(std::integral_constant<std::size_t, 3>{});
      default: return f(std::integral_constant<std::size_t, 4>{});
    }
  }

  End source_into_link(std::size_t s) {
    Link l = link();
    const Knobs k = knobs(1, l.p);
    add_source(s, std::move(l.tx), k, l.end.name);
    return std::move(l.end);
  }
  void add_source(std::size_t s, Tx<Msg> tx, const Knobs& k, const std::string& out) {
    const std::string wiring = "sends " + std::to_string(sources_[s]->total) + " → " + out + ",";
    add("source", wiring, k, [](Context& ctx, Tx<Msg>& o, std::shared_ptr<SourceLog>& log, Knobs& kk) {
      return source(ctx, o, kk, log);
    }, std::move(tx), sources_[s]);
  }

  // Several sources into one merge.
  template <std::size_t W>
  End gather() {
    RxBundle<Msg, W> lanes;
    std::uint64_t q = ~std::uint64_t{0};
    std::string names;
    for (std::size_t s = 0; s < W; ++s) {
      End e = source_into_link(s);
      q = std::min(q, e.q);
      names += e.name + " ";
      lanes[s] = std::move(e.rx);
    }
    return add_merge<W>(std::move(lanes), q, names);
  }

  template <std::size_t W>
  End add_merge(RxBundle<Msg, W> lanes, std::uint64_t q, const std::string& names) {
    Link out = link();
    add("merge", names + "→ " + out.end.name + ",", knobs(q, out.p),
        [](Context& ctx, RxBundle<Msg, W>& in, Tx<Msg>& o, Knobs& kk) { return merge<W>(ctx, in, o, kk); },
        std::move(lanes), std::move(out.tx));
    return std::move(out.end);
  }

  // A split's lanes: one bundle, one capacity; each lane's consumer picks its own threshold.
  template <std::size_t W>
  std::vector<End> add_split(End in, Routing* chosen) {
    const Routing routing = coin(2) ? Routing::keyed : Routing::any_lane;
    if (routing == Routing::any_lane) ordered_ = false;
    if (chosen) *chosen = routing;
    const auto c = capacity();
    const auto p = producer_wait(c);
    const std::string name = next_name("bundle");
    auto [txs, rxs] = g_.channel<Msg>().name(name).capacity(c).template build_bundle<W>();
    text_ << "  " << name << "[" << W << "]: capacity " << c << ", producer waits " << p << "\n";
    std::vector<End> lanes;
    for (std::size_t i = 0; i < W; ++i)
      lanes.push_back({std::move(rxs[i]), consumer_wait(c, p), name + "[" + std::to_string(i) + "]"});
    add("split", in.name + " → " + name + (routing == Routing::keyed ? " keyed," : " any lane,"), knobs(in.q, p),
        [](Context& ctx, Rx<Msg>& i, TxBundle<Msg, W>& o, Routing r, Knobs& kk) { return split<W>(ctx, i, o, kk, r); },
        std::move(in.rx), std::move(txs), routing);
    return lanes;
  }

  template <std::size_t W>
  End fan(End in, int depth) {
    std::vector<End> lanes = add_split<W>(std::move(in), nullptr);
    RxBundle<Msg, W> merged;
    std::uint64_t q = ~std::uint64_t{0};
    std::string names;
    for (std::size_t i = 0; i < W; ++i) {
      End e = segment(std::move(lanes[i]), depth + 1);
      q = std::min(q, e.q);
      names += e.name + " ";
      merged[i] = std::move(e.rx);
    }
    return add_merge<W>(std::move(merged), q, names);
  }

  End chain(End in, std::uint64_t relays) {
    for (std::uint64_t i = 0; i < relays; ++i) {
      Link out = link();
      add("relay", in.name + " → " + out.end.name + ",", knobs(in.q, out.p),
          [](Context& ctx, Rx<Msg>& i, Tx<Msg>& o, Knobs& kk) { return relay(ctx, i, o, kk); }, std::move(in.rx),
          std::move(out.tx));
      in = std::move(out.end);
    }
    return in;
  }

  End segment(End in, int depth) {
    const bool may_fan = depth < 2 && actors_ < 24;
    switch (may_fan ? uniform(0, 2) : 0) {
      case 0: return chain(std::move(in), uniform(0, actors_ < 24 ? 3 : 1));
      case 1: return with_width(uniform(2, 4), [&](auto w) { return fan<decltype(w)::value>(std::move(in), depth); });
      default: {
        End mid = chain(std::move(in), uniform(1, 2));
        return with_width(uniform(2, 4), [&](auto w) { return fan<decltype(w)::value>(std::move(mid), depth); });
      }
    }
  }

  void add_sink(End in) {
    auto ledger = std::make_shared<Ledger>(totals_);
    ledgers_.push_back(ledger);
    add("sink", "← " + in.name + ",", knobs(in.q, 1),
        [](Context& ctx, Rx<Msg>& i, std::shared_ptr<Ledger>& l, Knobs& kk) { return sink(ctx, i, kk, l); },
        std::move(in.rx), ledger);
  }

  template <std::size_t W>
  void scatter(End in) {
    std::vector<End> lanes = add_split<W>(std::move(in), nullptr);
    for (auto& lane : lanes) add_sink(std::move(lane));
  }

  Graph& g_;
  std::mt19937_64 rng_;
  std::shared_ptr<Run> run_;
  double solo_share_ = 0;
  std::vector<Troupe> troupes_;
  std::vector<SupervisorGroup> groups_;
  bool groups_restart_others_ = false;
  std::vector<std::shared_ptr<SourceLog>> sources_;
  std::vector<std::uint64_t> totals_;
  std::vector<std::shared_ptr<Ledger>> ledgers_;
  bool ordered_ = true;
  std::size_t actors_ = 0;
  int names_ = 0;
  std::ostringstream text_;
};

}  // namespace steady::property
