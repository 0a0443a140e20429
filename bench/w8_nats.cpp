// bench/w8_nats.cpp — W8, NATS half: u64 1..N published to a local nats-server (JetStream, file storage) and
// fetched back, through steady's bridge (NatsPublisher → server → NatsSubscriber) and through plain cnats
// doing the same work with the same batches, alternating in one run.
//
// Implementations (B = --batch u64 per NATS message):
//   cnats     one thread publishes N/B messages of B consecutive u64 with js_PublishAsync, one Nats-Msg-Id
//             each, at most 256 awaiting their PubAck (MaxPending: the call stalls beyond); another thread
//             fetches from a durable pull consumer (AckAll) min(256, 65,536/B) messages per request, checks
//             every value and acknowledges the last message of each fetch. The payload is the bare u64 array.
//   steady    producer → `numbers` (capacity 65,536) → NatsPublisher<u64> (max_batch_count = B,
//             max_in_flight 256) → server → NatsSubscriber<u64> (items_per_message = B, max_fetch 256) →
//             `received` (capacity 65,536) → checker, in one graph (every actor solo). Everything the bridge
//             promises is on: removal from the channel only after the PubAck, fetching only what the channel
//             has room for, acknowledging only what the checker took, de-duplication by position, and
//             `ordered` (each publish names its predecessor).
//   steady_unordered  the same with ordered = false: what the ordering check costs.
// Each run uses a fresh stream and consumer (deleted afterwards), so no run reads another's messages; the
// server (one for the whole program, a child process on a free port with a temporary store) persists to disk
// as in production. Timing: from the first publish (the producer's first item) to the last value checked.
//
// nats-server is found like the tests do ($STEADY_NATS_SERVER, PATH, /usr/sbin); without it the program
// prints a SKIP line and exits 0 (1 where STEADY_REQUIRE_TOOLS=1).
//
//   bench_w8_nats [--quick] [--smoke] [--rounds R] [--batch B,..] [--n N] [--impl cnats,steady,...]
#include <nats/nats.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <steady/bridge/nats.hpp>
#include <steady/steady.hpp>

#include "../tests/bridge/nats_server.hpp"
#include "common/harness.hpp"
#include "common/program.hpp"


namespace bench {
namespace {

using u64 = std::uint64_t;
constexpr std::size_t kCapacity = 65536;
constexpr int kInFlight = 256;
constexpr int kMaxFetch = 256;

const char* kUsage =
    "bench_w8_nats — W8 (NATS half): u64 through a local nats-server (JetStream), steady's bridge vs plain "
    "cnats\n"
    "  --quick            fewer items and rounds     --smoke   tiny run, checks only\n"
    "  --rounds R         interleaved rounds (default 3, quick 2)\n"
    "  --batch B[,B..]    u64 per NATS message (default 64,1024)\n"
    "  --n N              items per run (default 2M, quick 500k)\n"
    "  --impl NAME[,..]   only these implementations (cnats, steady, steady_unordered)\n";

// ---------------------------------------------------------------- the server
// The tests' nats-server starter (a free loopback port, a store in a temporary folder, readiness polled).
using bridge_test::find_nats_server;
using bridge_test::NatsServer;

// A plain connection for stream set-up and clean-up.
struct Admin {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  explicit Admin(const std::string& url) {
    if (natsConnection_ConnectTo(&nc, url.c_str()) == NATS_OK) natsConnection_JetStream(&js, nc, nullptr);
  }
  ~Admin() {
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  }
  bool add_stream(const std::string& name, const std::string& subject) {
    const char* subj[] = {subject.c_str()};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name.c_str();
    cfg.Subjects = subj;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    jsStreamInfo* si = nullptr;
    const bool ok = js != nullptr && js_AddStream(&si, js, &cfg, nullptr, nullptr) == NATS_OK;
    jsStreamInfo_Destroy(si);
    return ok;
  }
  void delete_stream(const std::string& name) {
    if (js != nullptr) (void)js_DeleteStream(js, name.c_str(), nullptr, nullptr);
  }
};

std::atomic<int> g_run{0};  // names each run's stream

// ---------------------------------------------------------------- cnats reference

RunResult run_cnats(const std::string& url, u64 n, std::size_t b) {
  RunResult r;
  const std::string k = std::to_string(++g_run);
  const std::string stream = "W8_" + k, subject = "w8." + k;
  Admin admin(url);
  if (!admin.add_stream(stream, subject)) {
    r.note = "cannot create stream " + stream;
    return r;
  }
  natsConnection* pub_nc = nullptr;
  natsConnection* sub_nc = nullptr;
  jsCtx* pub_js = nullptr;
  jsCtx* sub_js = nullptr;
  natsSubscription* sub = nullptr;
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = kInFlight;
  jo.PublishAsync.StallWait = 10000;  // stall (block) until below MaxPending: a bounded in-flight window
  natsStatus s = natsConnection_ConnectTo(&pub_nc, url.c_str());
  if (s == NATS_OK) s = natsConnection_JetStream(&pub_js, pub_nc, &jo);
  if (s == NATS_OK) s = natsConnection_ConnectTo(&sub_nc, url.c_str());
  if (s == NATS_OK) s = natsConnection_JetStream(&sub_js, sub_nc, nullptr);
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Config.AckPolicy = js_AckAll;
  so.Config.MaxAckPending = 1'000'000;
  if (s == NATS_OK) s = js_PullSubscribe(&sub, sub_js, subject.c_str(), "w8", nullptr, &so, nullptr);
  if (s != NATS_OK) {
    r.note = std::string("cnats set-up: ") + natsStatus_GetText(s);
  } else {
    const int fetch =
        static_cast<int>(std::min<std::size_t>(kMaxFetch, std::max<std::size_t>(kCapacity / b, 1)));
    const u64 t0 = now_ns();
    std::atomic<bool> pub_ok{true};
    std::thread publisher([&] {
      std::vector<u64> buf(b);
      jsPubOptions po;
      jsPubOptions_Init(&po);
      std::string id;
      for (u64 next = 1; next <= n;) {
        const std::size_t k2 = static_cast<std::size_t>(std::min<u64>(b, n - next + 1));
        fill(buf.data(), k2, next);
        id = "p-" + std::to_string(next);
        po.MsgId = id.c_str();
        if (js_PublishAsync(pub_js, subject.c_str(), buf.data(), static_cast<int>(k2 * sizeof(u64)), &po) !=
            NATS_OK) {
          pub_ok = false;
          return;
        }
        next += k2;
      }
      jsPubOptions done;
      jsPubOptions_Init(&done);
      done.MaxWait = 30000;
      if (js_PublishAsyncComplete(pub_js, &done) != NATS_OK) pub_ok = false;
    });
    Check check;
    u64 got = 0, t1 = 0;
    int idle = 0;
    while (got < n && idle < 20 && pub_ok.load()) {
      natsMsgList list{};
      s = natsSubscription_Fetch(&list, sub, fetch, 500, nullptr);
      if (s != NATS_OK) {
        ++idle;
        continue;
      }
      idle = 0;
      for (int i = 0; i < list.Count; ++i) {
        const auto* p = reinterpret_cast<const u64*>(natsMsg_GetData(list.Msgs[i]));
        const std::size_t k2 = static_cast<std::size_t>(natsMsg_GetDataLength(list.Msgs[i])) / sizeof(u64);
        check.fold(p, k2);
        got += k2;
      }
      if (list.Count > 0) natsMsg_Ack(list.Msgs[list.Count - 1], nullptr);
      natsMsgList_Destroy(&list);
    }
    t1 = now_ns();
    publisher.join();
    r = check.result(n, static_cast<double>(t1 - t0) * 1e-9);
    if (!pub_ok.load()) {
      r.ok = false;
      r.note = "cnats publish failed; " + r.note;
    }
  }
  natsSubscription_Destroy(sub);
  jsCtx_Destroy(sub_js);
  jsCtx_Destroy(pub_js);
  natsConnection_Destroy(sub_nc);
  natsConnection_Destroy(pub_nc);
  admin.delete_stream(stream);
  return r;
}

// ---------------------------------------------------------------- steady

struct Counters {
  u64 n = 0;
  u64 t0 = 0, t1 = 0;
  Check check;
  u64 got = 0;
};

steady::Task producer(steady::Context& ctx, steady::Tx<u64>& out, std::shared_ptr<Counters>& c) {
  c->t0 = now_ns();
  u64 next = 1;
  while (next <= c->n && ctx.is_running()) {
    co_await ctx.wait_vacant(out, 1);
    const auto slots = out.poke_slice(std::min<u64>(4096, c->n - next + 1));
    fill(slots.first.data(), slots.first.size(), next);
    fill(slots.second.data(), slots.second.size(), next + slots.first.size());
    out.advance_send(slots.size());
    next += slots.size();
  }
}

steady::Task checker(steady::Context& ctx, steady::Rx<u64>& in, std::shared_ptr<Counters>& c) {
  while (c->got < c->n && ctx.is_running()) {
    co_await ctx.wait_avail(in, 1);
    const auto s = in.peek_slice();
    c->check.fold(s.first.data(), s.first.size());
    c->check.fold(s.second.data(), s.second.size());
    in.advance_take(s.size());
    c->got += s.size();
  }
  c->t1 = now_ns();
  ctx.request_shutdown();
}

RunResult run_steady(const std::string& url, u64 n, std::size_t b, bool ordered) {
  const std::string k = std::to_string(++g_run);
  const std::string stream = "W8_" + k, subject = "w8." + k;
  auto c = std::make_shared<Counters>();
  c->n = n;
  RunResult r;
  {
    auto g = steady::GraphBuilder::for_testing().build();
    auto [tx1, rx1] = g.channel<u64>().name("numbers").capacity(kCapacity).build();
    auto [tx2, rx2] = g.channel<u64>().name("received").capacity(kCapacity).build();
    steady::bridge::NatsPublisher<u64> pub({.url = url,
                                            .subject = subject,
                                            .stream = stream,
                                            .max_batch_count = b,
                                            .max_batch_bytes = b * sizeof(u64),
                                            .max_in_flight = kInFlight,
                                            .ordered = ordered});
    steady::bridge::NatsSubscriber<u64> sub({.url = url,
                                             .subject = subject,
                                             .stream = stream,
                                             .durable = "w8",
                                             .items_per_message = b,
                                             .max_fetch = kMaxFetch});
    g.actor("producer").run(producer, std::move(tx1), c);
    g.actor("publisher").run(pub, std::move(rx1));
    g.actor("subscriber").run(sub, std::move(tx2));
    g.actor("checker").run(checker, std::move(rx2), c);
    g.start();
    const steady::StopReport rep = g.block_until_stopped(std::chrono::seconds(60));
    r = c->check.result(n, c->t1 > c->t0 ? static_cast<double>(c->t1 - c->t0) * 1e-9 : 0.0);
    if (!rep.clean) {
      r.ok = false;
      r.note = "unclean stop: " + rep.to_string() + "; " + r.note;
    }
  }
  Admin(url).delete_stream(stream);
  return r;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  const Args args = start(argc, argv, kUsage);
  const std::vector<std::size_t> batches = args.batches_or({64, 1024});
  const u64 n = args.n_or({.smoke = 100'000, .quick = 500'000, .full = 2'000'000});
  const int rounds = args.rounds_or({.smoke = 1, .quick = 2, .full = 3});
  std::printf("%s\n", machine_line().c_str());
  const std::string binary = find_nats_server();
  if (binary.empty()) {
    const char* req = std::getenv("STEADY_REQUIRE_TOOLS");
    std::printf("SKIP bench_w8_nats: nats-server not found (scripts/setup installs Debian's nats-server)\n");
    return req != nullptr && std::string(req) == "1" ? 1 : 0;
  }
  NatsServer server(binary);
  if (!server.start()) {
    std::printf("FAIL bench_w8_nats: nats-server did not start\n");
    return 1;
  }
  std::printf("# bench_w8_nats: n=%llu capacity=%zu in_flight=%d max_fetch=%d rounds=%d server=%s\n",
              static_cast<unsigned long long>(n), kCapacity, kInFlight, kMaxFetch, rounds, binary.c_str());
  Report report("bench_w8_nats");
  for (const std::size_t b : batches) {
    Group g = batch_group("w8_nats", b, n);
    const std::string url = server.url();
    if (args.wants("cnats")) g.impls.emplace_back("cnats", [=] { return run_cnats(url, n, b); });
    if (args.wants("steady")) g.impls.emplace_back("steady", [=] { return run_steady(url, n, b, true); });
    if (args.wants("steady_unordered"))
      g.impls.emplace_back("steady_unordered", [=] { return run_steady(url, n, b, false); });
    g.comparisons.push_back({"steady", "cnats", 0, "info"});
    g.comparisons.push_back({"steady_unordered", "cnats", 0, "info"});
    report.run(g, rounds);
  }
  report.print_table();
  return report.exit_code();
}
