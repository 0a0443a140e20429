// bench/w8_zmq.cpp — W8, ZeroMQ half: u64 1..N from one process to another over tcp on 127.0.0.1, through
// steady's bridge (ZmqEgress → ZmqIngress) and through plain cppzmq PUSH/PULL sending the same batches,
// alternating in one run.
//
// Implementations (B = --batch u64 per ZeroMQ message, H = --hwm):
//   zmq_plain  a PUSH socket sends N/B messages of B consecutive u64 (blocking zmq_send, which copies the
//   buffer);
//              a PULL socket in the other process receives them and checks every value. SNDHWM = RCVHWM = H.
//              No acknowledgements, no resending, no end-of-stream: the bare transport.
//   steady     producer → `numbers` (capacity 65,536) → ZmqEgress<u64>  ==tcp==>  ZmqIngress<u64> →
//   `received`
//              (capacity 65,536) → checker. max_batch_count = B and max_batch_bytes = 8·B, so a full frame
//              carries exactly B messages (plus the bridge's 32-byte header); send_hwm = receive_hwm = H.
//              Everything the bridge promises is on: peek-before-commit with acknowledgements, the ack window
//              (at most the egress's channel in flight), the end-of-stream handshake.
// Placement: each side of steady is one troupe (producer + egress on one thread; ingress + checker on one
// thread), as each side of zmq_plain is one thread; each process also has ZeroMQ's I/O thread.
//
// Two processes, not two threads: the figure is meant to be the cross-process one, and a process of its own
// gives each side its own ZeroMQ context and I/O thread, as in production (steady's bridge shares one context
// per process, so two graphs in one process would share one I/O thread for both ends, and plain cppzmq would
// not). The receiving side is this same program started again with --role receiver (posix_spawn of argv[0],
// or /proc/self/exe) for every run, so every run starts from fresh sockets and connections; it binds
// tcp://127.0.0.1:* and tells the parent the ports on a pipe.
//
// Timing: in the receiving process, from the first message its consumer sees to the last (the checker actor
// for steady, the receive loop for zmq_plain), so connection set-up and process start are outside both.
// Context switches (the `ctx switches` column) are the sending process's only.
//
//   bench_w8 [--quick] [--smoke] [--rounds R] [--batch B,..] [--n N] [--impl zmq_plain,steady] [--hwm H]
//   bench_w8 --callgrind --impl steady --batch 64 --n 2000000    (one run, for valgrind; see
//   docs/benchmarks.md)
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include <steady/bridge/zmq.hpp>
#include <steady/steady.hpp>

#include "common/harness.hpp"
#include "common/program.hpp"

extern char** environ;

namespace bench {
namespace {

using u64 = std::uint64_t;
constexpr u64 kCapacity = 65'536;
constexpr std::chrono::seconds kRunDeadline{300};
// This program, to start again as the receiver: argv[0] when it is a path (under valgrind /proc/self/exe
// would be valgrind itself), else /proc/self/exe.
std::string g_self = "/proc/self/exe";  // a run that takes longer failed (a side is stuck or gone)

const char* kUsage =
    "bench_w8 — W8 ZeroMQ bridge: u64 1..N between two processes over tcp loopback, steady vs plain cppzmq\n"
    "  --quick            fewer items and rounds     --smoke   tiny run, checks only\n"
    "  --rounds R         interleaved rounds (default 5, quick 3)\n"
    "  --batch B[,B..]    u64 per ZeroMQ message (default 64,1024,4096)\n"
    "  --n N              items per run (default 4M, quick 1M)\n"
    "  --impl NAME[,..]   only these implementations (zmq_plain, steady)\n"
    "  --hwm H            ZeroMQ high-water marks, both sides and implementations (default 16)\n"
    "  --callgrind        one run of one implementation (the sending side is this process)\n";

struct Config {
  std::string impl;
  u64 n = 0;
  std::size_t batch = 0;
  int hwm = 16;
};

// ================================================================ the receiving process (--role receiver)

// Printed on stdout, one line each: "bound <data> <ack>", then "result ok=<0|1> seconds=<s> frames=<f>
// note=<...>".
struct Timing {
  u64 t_first = 0, t_last = 0;
  Check check;
  u64 seen = 0;
};

void print_result(const Timing& t, u64 n, u64 frames, const std::string& extra) {
  const RunResult r =
      t.check.result(n, t.t_last > t.t_first ? static_cast<double>(t.t_last - t.t_first) * 1e-9 : 0);
  std::string note = r.note;
  if (!extra.empty()) note += (note.empty() ? "" : "; ") + extra;
  std::printf("result ok=%d seconds=%.9f frames=%llu note=%s\n", r.ok && extra.empty() ? 1 : 0, r.seconds,
              static_cast<unsigned long long>(frames), note.c_str());
  std::fflush(stdout);
}

int receive_plain(const Config& c) {
  zmq::context_t ctx(1);
  zmq::socket_t pull(ctx, zmq::socket_type::pull);
  pull.set(zmq::sockopt::rcvhwm, c.hwm);
  pull.set(zmq::sockopt::rcvtimeo, 30'000);  // a sender that is gone for 30 s ends the run (as a failure)
  pull.bind("tcp://127.0.0.1:*");
  std::printf("bound %s -\n", pull.get(zmq::sockopt::last_endpoint).c_str());
  std::fflush(stdout);
  Timing t;
  u64 frames = 0;
  zmq::message_t msg;
  while (t.seen < c.n) {
    if (!pull.recv(msg)) {
      print_result(t, c.n, frames, "no message for 30 s after " + std::to_string(t.seen) + " items");
      return 1;
    }
    if (t.seen == 0) t.t_first = now_ns();
    const std::size_t k = msg.size() / sizeof(u64);
    t.check.fold(static_cast<const u64*>(msg.data()), k);  // ZeroMQ's buffers are 8-byte aligned
    t.seen += k;
    ++frames;
  }
  t.t_last = now_ns();
  print_result(t, c.n, frames, "");
  return 0;
}

steady::Task checker(steady::Context& ctx, steady::Rx<u64>& in, Timing& t, u64 n) {
  while (ctx.is_running([&] { return steady::drained(in); })) {
    co_await ctx.wait_avail(in, std::min<u64>(4096, std::max<u64>(n - t.seen, 1)));
    const steady::SlicePair<const u64> s = in.peek_slice();
    if (!s.empty() && t.seen == 0) t.t_first = now_ns();
    t.check.fold(s.first.data(), s.first.size());
    t.check.fold(s.second.data(), s.second.size());
    t.seen += s.size();
    in.advance_take(s.size());
    if (t.seen >= n && t.t_last == 0) t.t_last = now_ns();
    if (in.is_closed_and_empty()) co_return;  // the sender ended the stream
  }
}

int receive_steady(const Config& c) {
  auto g = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = g.channel<u64>().name("received").capacity(kCapacity).build();
  steady::bridge::ZmqIngress<u64> ingress({.endpoint = "tcp://127.0.0.1:*",
                                           .ack_endpoint = "tcp://127.0.0.1:*",
                                           .receive_hwm = c.hwm,
                                           .stop_graph_at_end = true});
  Timing t;
  const steady::Troupe side = g.troupe("receiver");
  g.actor("ingress").troupe(side).run(ingress, std::move(tx));
  g.actor("checker").troupe(side).run(checker, std::move(rx), std::ref(t), c.n);
  g.start();
  const auto ep = ingress.bound_endpoints(std::chrono::seconds(10));
  if (!ep) {
    std::printf("result ok=0 seconds=0 frames=0 note=the ingress did not bind within 10 s\n");
    std::fflush(stdout);
    g.request_shutdown();
    (void)g.block_until_stopped(std::chrono::seconds(5));
    return 1;
  }
  std::printf("bound %s %s\n", ep->first.c_str(), ep->second.c_str());
  std::fflush(stdout);
  // Runs until the sender's end-of-stream (stop_graph_at_end); the deadline only catches a sender that is
  // gone.
  const auto deadline = std::chrono::steady_clock::now() + kRunDeadline;
  while (g.state() == steady::GraphState::running && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the poll period of this watchdog
  g.request_shutdown();
  const steady::StopReport rep = g.block_until_stopped(std::chrono::seconds(10));
  std::string extra;
  if (!rep.clean) extra = "unclean stop: " + rep.to_string();
  if (!ingress.stats().end_of_stream) extra += (extra.empty() ? "" : "; ") + std::string("no end-of-stream");
  print_result(t, c.n, ingress.stats().frames_received, extra);
  return extra.empty() ? 0 : 1;
}

// ================================================================ the sending process (this one)

// The receiving process: started with --role receiver, its stdout on a pipe; killed if still there at the
// end.
class Receiver {
 public:
  explicit Receiver(const Config& c) {
    std::vector<std::string> argv{g_self,
                                  "--role",
                                  "receiver",
                                  "--impl",
                                  c.impl,
                                  "--n",
                                  std::to_string(c.n),
                                  "--batch",
                                  std::to_string(c.batch),
                                  "--hwm",
                                  std::to_string(c.hwm)};
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int rc = posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    out_ = fds[0];
    if (rc != 0) throw std::runtime_error("cannot start the receiving process");
  }
  ~Receiver() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(out_);
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // The next line starting with `prefix`, or nullopt at the deadline or the end of its output.
  std::optional<std::string> line(const std::string& prefix, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      for (std::size_t nl; (nl = buf_.find('\n')) != std::string::npos;) {
        std::string l = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        if (l.rfind(prefix, 0) == 0) return l;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 1000))) <= 0) continue;
      char chunk[4096];
      const ssize_t n = ::read(out_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  int wait_exit() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buf_;
};

std::string field(const std::string& line, const std::string& key) {
  const auto at = line.find(" " + key + "=");
  if (at == std::string::npos) return {};
  const auto from = at + key.size() + 2;
  if (key == "note") return line.substr(from);
  return line.substr(from, line.find(' ', from) - from);
}

// Start the receiver, run `send(data, ack)` here, and turn the receiver's result line into a RunResult.
template <class Send>
RunResult with_receiver(const Config& c, Send&& send) {
  RunResult r;
  r.items = c.n;
  Receiver rcv(c);
  const auto deadline = std::chrono::steady_clock::now() + kRunDeadline;
  const auto bound = rcv.line("bound ", std::chrono::steady_clock::now() + std::chrono::seconds(20));
  if (!bound) {
    r.note = "the receiving process did not report its endpoints";
    return r;
  }
  std::istringstream words(*bound);
  std::string word, data, ack;
  words >> word >> data >> ack;
  std::string send_note = send(data, ack, rcv, deadline);
  const auto result = rcv.line("result ", deadline);
  const int rc = rcv.wait_exit();
  if (!result) {
    r.note = "no result from the receiving process (exit " + std::to_string(rc) + ")" +
             (send_note.empty() ? "" : "; " + send_note);
    return r;
  }
  r.seconds = std::stod(field(*result, "seconds"));
  r.ok = field(*result, "ok") == "1" && send_note.empty() && rc == 0;
  if (!r.ok)
    r.note = "receiver: " + field(*result, "note") + (send_note.empty() ? "" : "; sender: " + send_note);
  return r;
}

RunResult send_plain(const Config& c) {
  return with_receiver(c, [&](const std::string& data, const std::string&, Receiver&, auto) -> std::string {
    zmq::context_t ctx(1);
    zmq::socket_t push(ctx, zmq::socket_type::push);
    push.set(zmq::sockopt::sndhwm, c.hwm);
    push.set(zmq::sockopt::linger, 10'000);  // the last messages must leave before close
    push.set(zmq::sockopt::sndtimeo, 30'000);
    push.connect(data);
    std::vector<u64> buf(c.batch);
    for (u64 next = 1; next <= c.n;) {
      const std::size_t k = static_cast<std::size_t>(std::min<u64>(c.batch, c.n - next + 1));
      fill(buf.data(), k, next);
      if (!push.send(zmq::buffer(buf.data(), k * sizeof(u64)), zmq::send_flags::none))
        return "send timed out at item " + std::to_string(next);
      next += k;
    }
    return {};
  });
}

steady::Task producer(steady::Context& ctx, steady::Tx<u64>& out, u64 n) {
  u64 next = 1;
  while (next <= n && ctx.is_running()) {
    co_await ctx.wait_vacant(out, std::min<u64>(4096, n - next + 1));
    const steady::SlicePair<u64> slots = out.poke_slice(n - next + 1);
    fill(slots.first.data(), slots.first.size(), next);
    fill(slots.second.data(), slots.second.size(), next + slots.first.size());
    out.advance_send(slots.size());
    next += slots.size();
  }
}

RunResult send_steady(const Config& c, u64* frames_out) {
  return with_receiver(
      c,
      [&](const std::string& data, const std::string& ack, Receiver& rcv,
          std::chrono::steady_clock::time_point deadline) -> std::string {
        (void)rcv;
        auto g = steady::GraphBuilder::for_testing().build();
        auto [tx, rx] = g.channel<u64>().name("numbers").capacity(kCapacity).build();
        steady::bridge::ZmqEgress<u64> egress({.endpoint = data,
                                               .ack_endpoint = ack,
                                               .max_batch_count = c.batch,
                                               .max_batch_bytes = c.batch * sizeof(u64),
                                               .send_hwm = c.hwm,
                                               .stop_graph_when_done = true});
        const steady::Troupe side = g.troupe("sender");
        g.actor("producer").troupe(side).run(producer, std::move(tx), c.n);
        g.actor("egress").troupe(side).run(egress, std::move(rx));
        g.start();
        // Done when the receiver acknowledged the end of the stream (stop_graph_when_done).
        while (g.state() == steady::GraphState::running && std::chrono::steady_clock::now() < deadline)
          std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the poll period of this watchdog
        g.request_shutdown();
        const steady::StopReport rep = g.block_until_stopped(std::chrono::seconds(10));
        if (frames_out) *frames_out = egress.stats().frames_sent;
        if (!rep.clean) return "unclean stop: " + rep.to_string();
        if (egress.stats().acknowledged != c.n)
          return "acknowledged " + std::to_string(egress.stats().acknowledged) + " of " + std::to_string(c.n);
        return {};
      });
}

RunResult run_impl(const Config& c, u64* frames = nullptr) {
  try {
    return c.impl == "steady" ? send_steady(c, frames) : send_plain(c);
  } catch (const std::exception& e) {
    RunResult r;
    r.note = std::string("exception: ") + e.what();
    return r;
  }
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  if (std::string(argv[0]).find('/') != std::string::npos) g_self = argv[0];
  // --role and --hwm are this program's own flags; the rest go to the shared harness.
  std::string role;
  int hwm = 16;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--role" && i + 1 < argc) {
      role = argv[++i];
    } else if (a == "--hwm" && i + 1 < argc) {
      hwm = std::atoi(argv[++i]);
      if (hwm < 1) {
        std::fprintf(stderr, "bench_w8: --hwm must be at least 1\n");
        return 2;
      }
    } else {
      rest.push_back(argv[i]);
    }
  }
  const Args args = start(static_cast<int>(rest.size()), rest.data(), kUsage);

  if (role == "receiver") {
    Config c{args.impls.empty() ? "" : args.impls.front(), args.n,
             args.batches.empty() ? 0 : args.batches.front(), hwm};
    if (c.n == 0 || c.batch == 0 || (c.impl != "steady" && c.impl != "zmq_plain")) {
      std::fprintf(stderr, "bench_w8 --role receiver: needs --impl steady|zmq_plain --n N --batch B\n");
      return 2;
    }
    return c.impl == "steady" ? receive_steady(c) : receive_plain(c);
  }
  if (!role.empty()) {
    std::fprintf(stderr, "bench_w8: --role must be receiver (the sending side is the default)\n");
    return 2;
  }
  for (const auto& impl : args.impls) {
    if (impl != "steady" && impl != "zmq_plain") {
      std::fprintf(stderr, "bench_w8: unknown implementation '%s' (zmq_plain, steady)\n", impl.c_str());
      return 2;
    }
  }

  const std::vector<std::size_t> batches = args.batches_or({64, 1024, 4096});
  const u64 n = args.n_or({.smoke = 200'000, .quick = 1'000'000, .full = 4'000'000});
  const int rounds = args.rounds_or({.smoke = 1, .quick = 3, .full = 5});

  if (args.callgrind) {
    const Config c{args.impls.empty() ? "steady" : args.impls.front(), n, batches.front(), hwm};
    u64 frames = 0;
    const RunResult r = run_impl(c, &frames);
    std::printf("callgrind run: impl=%s batch=%zu n=%llu ok=%d %.2f M items/s frames=%llu %s\n",
                c.impl.c_str(), c.batch, static_cast<unsigned long long>(n), r.ok ? 1 : 0, r.mitems_s(),
                static_cast<unsigned long long>(frames), r.note.c_str());
    return r.ok ? 0 : 1;
  }

  std::printf("%s\n", machine_line().c_str());
  std::printf("# bench_w8: n=%llu hwm=%d rounds=%d; two processes over tcp 127.0.0.1; steady channels %llu\n",
              static_cast<unsigned long long>(n), hwm, rounds, static_cast<unsigned long long>(kCapacity));
  Report report("bench_w8");
  for (const std::size_t b : batches) {
    Group g;
    g.workload = "w8";
    g.params = "batch=" + std::to_string(b) + " n=" + std::to_string(n) + " hwm=" + std::to_string(hwm);
    for (const char* impl : {"zmq_plain", "steady"}) {
      if (!args.wants(impl)) continue;
      const Config c{impl, n, b, hwm};
      g.impls.emplace_back(impl, [c] { return run_impl(c); });
    }
    g.comparisons.push_back({"steady", "zmq_plain", 0.8, "≥ 0.8× plain cppzmq"});
    report.run(g, rounds);
  }
  report.print_table();
  return report.exit_code();
}
