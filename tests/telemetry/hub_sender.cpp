// tests/telemetry/hub_sender.cpp — the sending process of the hub tests: a source feeding a ZmqEgress, with
// telemetry on a free loopback port.
//   hub_sender DATA_ENDPOINT ACK_ENDPOINT
//
//   source ──outbound──> uplink (ZmqEgress: connects to DATA/ACK)
//
// Prints "telemetry: <url>" once it serves; runs until SIGINT/SIGTERM (the tests kill it).
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <span>

#include <steady/bridge/zmq.hpp>
#include <steady/steady.hpp>
#include <steady/telemetry.hpp>

namespace {

using u64 = std::uint64_t;
using namespace std::chrono_literals;

u64 emit(steady::Tx<u64>& out, u64 first) {
  std::array<u64, 10> buf{};
  for (u64 i = 0; i < buf.size(); ++i) buf[i] = first + i;
  return out.send_slice(std::span<const u64>(buf));
}

// About 10,000 a second: every millisecond a batch of 10.
steady::Task source(steady::Context& ctx, steady::Tx<u64>& out) {
  u64 next = 1;
  while (ctx.is_running()) {
    const auto r = co_await ctx.wait_all(steady::periodic(1ms), steady::vacant(out, 10));
    if (r.satisfied()) next += emit(out, next);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DATA_ENDPOINT ACK_ENDPOINT\n", argv[0]);
    return 2;
  }
  auto graph = steady::GraphBuilder::for_production().build();
  auto [tx, rx] = graph.channel<u64>().name("outbound").capacity(4096).build();
  steady::bridge::ZmqEgress<u64> uplink({.endpoint = argv[1], .ack_endpoint = argv[2]});
  graph.actor("source").label("role", "generator").run(source, std::move(tx));
  graph.actor("uplink").run(uplink, std::move(rx));

  steady::telemetry::Options o;
  o.port = 0;  // any free port: the test reads the URL
  o.port_explicit = true;
  o.read_environment = false;
  o.title = "hub_sender";
  auto telemetry = steady::Telemetry::start(graph, o);
  if (!telemetry) {
    std::fprintf(stderr, "%s\n", telemetry.error().c_str());
    return 2;
  }
  std::printf("telemetry: %s\n", telemetry->url().c_str());
  std::fflush(stdout);
  graph.start();
  const steady::StopReport report = graph.block_until_stopped(std::chrono::seconds(2));
  return report.clean ? 0 : 1;
}
