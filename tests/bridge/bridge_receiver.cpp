// tests/bridge/bridge_receiver.cpp — the receiving process of the bridge tests: a ZmqIngress feeding a
// checker that verifies the stream is 1, 2, 3, ... with nothing missing, repeated or reordered.
//   bridge_receiver DATA_ENDPOINT ACK_ENDPOINT [MICROSECONDS_PER_1000]   (the last one makes a slow receiver)
// Prints "bound <data> <ack>" once listening, "progress <n>" every 2^20 messages, and at the end
// "result count=<n> sum=<s> in_order=<0|1> last=<v>" and "report <clean|unclean> ...".
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>

#include <steady/bridge/zmq.hpp>
#include <steady/steady.hpp>

namespace {

using u64 = std::uint64_t;

struct Tally {
  u64 count = 0, sum = 0, last = 0;
  bool in_order = true;
};

void check(std::span<const u64> got, Tally& t) {
  for (u64 v : got) {
    t.in_order &= (v == t.last + 1);
    t.last = v;
    t.sum += v;
    ++t.count;
    if ((t.count & ((u64{1} << 20) - 1)) == 0) {
      std::printf("progress %llu\n", static_cast<unsigned long long>(t.count));
      std::fflush(stdout);
    }
  }
}

std::size_t take_batch(steady::Rx<u64>& in, Tally& t, std::size_t max) {
  const auto s = in.peek_slice(max);
  check(s.first, t);
  check(s.second, t);
  in.advance_take(s.size());
  return s.size();
}

steady::Task checker(steady::Context& ctx, steady::Rx<u64>& in, std::shared_ptr<Tally>& t, long us_per_1000) {
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    if (us_per_1000 > 0) {
      co_await ctx.wait_avail(in, 1);
      take_batch(in, *t, 1000);
      co_await ctx.wait_for(std::chrono::microseconds(us_per_1000));  // the slow consumer's "work"
    } else {
      co_await ctx.wait_avail(in, 4096);
      take_batch(in, *t, ~std::size_t{0});
    }
    if (in.is_closed_and_empty()) {
      ctx.request_shutdown();
      co_return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DATA ACK [MICROSECONDS_PER_1000]\n", argv[0]);
    return 2;
  }
  const long slow = argc > 3 ? std::stol(argv[3]) : 0;
  auto graph = steady::GraphBuilder::for_production().build();
  auto [tx, rx] = graph.channel<u64>().name("received").capacity(slow > 0 ? 4096 : 65536).build();
  steady::bridge::ZmqIngress<u64> ingress({.endpoint = argv[1], .ack_endpoint = argv[2]});
  auto tally = std::make_shared<Tally>();
  graph.actor("ingress").run(ingress, std::move(tx));
  graph.actor("checker").run(checker, std::move(rx), tally, slow);
  graph.start();
  if (auto ep = ingress.bound_endpoints(std::chrono::seconds(10))) {
    std::printf("bound %s %s\n", ep->first.c_str(), ep->second.c_str());
    std::fflush(stdout);
  }
  const steady::StopReport report = graph.block_until_stopped(std::chrono::seconds(20));
  const auto st = ingress.stats();
  std::printf("result count=%llu sum=%llu in_order=%d last=%llu eos=%d dups=%llu\n",
              static_cast<unsigned long long>(tally->count), static_cast<unsigned long long>(tally->sum),
              tally->in_order ? 1 : 0, static_cast<unsigned long long>(tally->last), st.end_of_stream ? 1 : 0,
              static_cast<unsigned long long>(st.duplicates));
  std::printf("report %s %s\n", report.clean ? "clean" : "unclean", report.to_string().c_str());
  std::fflush(stdout);
  return report.clean ? 0 : 1;
}
