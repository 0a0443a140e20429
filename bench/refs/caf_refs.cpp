// bench/refs/caf_refs.cpp — the CAF 0.17 references (see caf_refs.hpp): the only file of the suite that
// includes CAF. Idiomatic CAF: event-based actors with behaviours, `send`, `request(...).then(...)`, streams;
// the default work-stealing scheduler limited to 2 workers (the machine's cores).
#include "caf_refs.hpp"

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>

namespace bench::caf_ref {
namespace {

using u64 = std::uint64_t;
using start_atom = caf::atom_constant<caf::atom("start")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;

constexpr auto kRunLimit = std::chrono::seconds(60);

// What one run shares between its actors and the thread that waits for it.
struct Shared {
  u64 n = 0;
  u64 t0 = 0;  // the producer's first item
  u64 t1 = 0;  // the consumer's last
  Check check;
  std::promise<void> done;
};

struct Config : caf::actor_system_config {
  Config() { set("scheduler.max-threads", 2); }
};

// Wait for the consumer (bounded), then turn the shared state into a RunResult.
RunResult await_result(Shared& s, std::future<void>& f) {
  if (f.wait_for(kRunLimit) != std::future_status::ready) {
    RunResult r;
    r.items = s.n;
    r.note = "CAF run did not finish within 60 s";
    return r;
  }
  return s.check.result(s.n, s.t1 > s.t0 ? static_cast<double>(s.t1 - s.t0) * 1e-9 : 0.0);
}

// ---------------------------------------------------------------- W2, one message per item / vectors

// Producer: keeps at most `window` items (per_message) or vectors (batched) in flight; sends more on each
// ack.
struct ProducerState {
  u64 next = 1;
  u64 in_flight = 0;
  caf::actor relay;
};

caf::behavior producer(caf::stateful_actor<ProducerState>* self, std::shared_ptr<Shared> sh,
                       std::size_t batch, u64 window) {
  // batch 0 = one message per item (window in items); otherwise vectors of `batch` (window in vectors).
  auto send_more = [self, sh, batch, window] {
    auto& st = self->state;
    while (st.next <= sh->n && st.in_flight < window) {
      if (batch == 0) {
        self->send(st.relay, st.next++);
        ++st.in_flight;
      } else {
        const u64 k = std::min<u64>(batch, sh->n - st.next + 1);
        std::vector<u64> v(k);
        fill(v.data(), k, st.next);
        st.next += k;
        self->send(st.relay, std::move(v));
        ++st.in_flight;
      }
    }
    if (st.next > sh->n && st.in_flight == 0) self->quit();
  };
  return {
      [self, sh, send_more](start_atom, caf::actor relay) {
        self->state.relay = std::move(relay);
        sh->t0 = now_ns();
        send_more();
      },
      [self, send_more](ack_atom, u64 k) {
        self->state.in_flight -= k;
        send_more();
      },
  };
}

caf::behavior relay(caf::event_based_actor* self, caf::actor consumer, u64 messages) {
  auto left = std::make_shared<u64>(messages);
  return {
      [self, consumer, left](u64 x) {
        self->send(consumer, x);
        if (--*left == 0) self->quit();
      },
      [self, consumer, left](std::vector<u64>& v) {
        self->send(consumer,
                   std::move(v));  // moved on: the message held the only reference, nothing is copied
        if (--*left == 0) self->quit();
      },
  };
}

caf::behavior consumer(caf::event_based_actor* self, std::shared_ptr<Shared> sh, caf::actor producer,
                       u64 ack_every) {
  auto got = std::make_shared<u64>(0);
  auto unacked = std::make_shared<u64>(0);
  auto finish = [self, sh, got] {
    if (*got == sh->n) {
      sh->t1 = now_ns();
      sh->done.set_value();
      self->quit();
    }
  };
  return {
      [self, sh, producer, ack_every, got, unacked, finish](u64 x) {
        sh->check.fold_one(x);
        ++*got;
        if (++*unacked == ack_every || *got == sh->n) {
          self->send(producer, ack_atom::value, *unacked);
          *unacked = 0;
        }
        finish();
      },
      [self, sh, producer, got, finish](const std::vector<u64>& v) {
        sh->check.fold(v.data(), v.size());
        *got += v.size();
        self->send(producer, ack_atom::value, u64{1});
        finish();
      },
  };
}

// One W2 run of n items in an actor system of its own: `spawn(sys, sh)` spawns the actors, sends the start message
// and returns the actors, to be stopped when the run does not finish in time.
template <class Spawn>
RunResult run_w2(u64 n, Spawn&& spawn) {
  auto sh = std::make_shared<Shared>();
  sh->n = n;
  auto fut = sh->done.get_future();
  RunResult r;
  {
    Config cfg;
    caf::actor_system sys{cfg};
    const std::vector<caf::actor> actors = spawn(sys, sh);
    r = await_result(*sh, fut);
    if (!r.note.empty()) {  // stuck: stop the actors so the system can shut down
      for (const caf::actor& a : actors) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    }
  }  // ~actor_system waits for every actor
  return r;
}

RunResult run_messages(u64 n, std::size_t batch, std::size_t window) {
  return run_w2(n, [=](caf::actor_system& sys, const std::shared_ptr<Shared>& sh) {
    const u64 messages = batch == 0 ? n : (n + batch - 1) / batch;
    const u64 win = batch == 0 ? window : std::max<u64>(window / batch, 2);
    const u64 ack_every = std::max<u64>(window / 4, 1);
    auto p = sys.spawn(producer, sh, batch, win);
    auto c = sys.spawn(consumer, sh, p, ack_every);
    auto m = sys.spawn(relay, c, messages);
    caf::anon_send(p, start_atom::value, m);
    return std::vector<caf::actor>{p, m, c};
  });
}

// ---------------------------------------------------------------- W2, CAF streams

caf::behavior stream_source(caf::event_based_actor* self, std::shared_ptr<Shared> sh) {
  return {
      [self, sh](start_atom) {
        return caf::attach_stream_source(
            self,
            [sh](u64& next) {
              next = 1;
              sh->t0 = now_ns();
            },
            [sh](u64& next, caf::downstream<u64>& out, std::size_t hint) {
              const u64 end = std::min<u64>(next + hint, sh->n + 1);
              for (; next < end; ++next) out.push(next);
            },
            [sh](const u64& next) { return next > sh->n; },
            [self](u64&, const caf::error&) { self->quit(); });
      },
  };
}

caf::behavior stream_stage(caf::event_based_actor* self) {
  return {
      [self](caf::stream<u64> in) {
        return caf::attach_stream_stage(
            self, in, [](caf::unit_t&) {},
            [](caf::unit_t&, caf::downstream<u64>& out, u64 x) { out.push(x); },
            [self](caf::unit_t&, const caf::error&) { self->quit(); });
      },
  };
}

caf::behavior stream_sink(caf::event_based_actor* self, std::shared_ptr<Shared> sh) {
  return {
      [self, sh](caf::stream<u64> in) {
        return caf::attach_stream_sink(
            self, in, [](caf::unit_t&) {}, [sh](caf::unit_t&, u64 x) { sh->check.fold_one(x); },
            [self, sh](caf::unit_t&, const caf::error&) {
              sh->t1 = now_ns();
              sh->done.set_value();
              self->quit();
            });
      },
  };
}

// ---------------------------------------------------------------- W3

struct PingState {
  std::size_t left = 0;
  u64 sent_at = 0;
};

caf::behavior ponger(caf::event_based_actor*) {
  return {[](u64 x) { return x; }};
}

caf::behavior pinger(caf::stateful_actor<PingState>* self, caf::actor pong, std::size_t rounds,
                     std::vector<double>* rtts, std::promise<void>* done) {
  self->state.left = rounds;
  auto ping = std::make_shared<std::function<void()>>();
  *ping = [self, pong, rtts, done, ping] {
    if (self->state.left == 0) {
      done->set_value();
      self->quit();
      *ping = nullptr;  // break the self-reference
      return;
    }
    --self->state.left;
    self->state.sent_at = now_ns();
    self->request(pong, caf::infinite, u64{self->state.left}).then([self, rtts, ping](u64) {
      rtts->push_back(static_cast<double>(now_ns() - self->state.sent_at));
      (*ping)();
    });
  };
  return {[ping](start_atom) { (*ping)(); }};
}

}  // namespace

RunResult w2_per_message(std::uint64_t n, std::size_t window) {
  return run_messages(n, 0, window);
}

RunResult w2_batched(std::uint64_t n, std::size_t batch, std::size_t window) {
  return run_messages(n, std::max<std::size_t>(batch, 1), window);
}

RunResult w2_stream(std::uint64_t n) {
  return run_w2(n, [](caf::actor_system& sys, const std::shared_ptr<Shared>& sh) {
    auto src = sys.spawn(stream_source, sh);
    auto stg = sys.spawn(stream_stage);
    auto snk = sys.spawn(stream_sink, sh);
    auto pipeline = snk * stg * src;
    caf::anon_send(pipeline, start_atom::value);
    return std::vector<caf::actor>{src, stg, snk};
  });
}

std::vector<double> w3_ping_pong(std::size_t rounds, std::string& note) {
  std::vector<double> rtts;
  rtts.reserve(rounds);
  std::promise<void> done;
  auto fut = done.get_future();
  Config cfg;
  caf::actor_system sys{cfg};
  auto pong = sys.spawn(ponger);
  auto ping = sys.spawn(pinger, pong, rounds, &rtts, &done);
  caf::anon_send(ping, start_atom::value);
  if (fut.wait_for(kRunLimit) != std::future_status::ready) {
    note = "CAF ping-pong did not finish within 60 s";
    caf::anon_send_exit(ping, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(pong, caf::exit_reason::user_shutdown);
    sys.await_all_actors_done();
    return {};
  }
  caf::anon_send_exit(pong, caf::exit_reason::user_shutdown);
  return rtts;
}

std::size_t worker_count() {
  Config cfg;
  caf::actor_system sys{cfg};
  return sys.scheduler().num_workers();
}

}  // namespace bench::caf_ref
