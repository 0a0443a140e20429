// tests/telemetry/hub_receiver.cpp — the receiving process of the hub tests: a ZmqIngress bound to a free loopback
// port feeding a sink, with telemetry on a free loopback port.
//   hub_receiver
//
//   downlink (ZmqIngress: binds tcp://127.0.0.1:*) ──inbound──> sink
//
// Prints "bound <data> <ack>" once listening and "telemetry: <url>" once it serves; runs until SIGINT/SIGTERM.
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

void drain(steady::Rx<u64>& in) {
  std::array<u64, 256> buf{};
  while (in.take_slice(std::span<u64>(buf)) != 0) {
  }
}

steady::Task sink(steady::Context& ctx, steady::Rx<u64>& in) {
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    (void)co_await ctx.wait_avail(in, 1);
    drain(in);
  }
}

}  // namespace

int main() {
  auto graph = steady::GraphBuilder::for_production().build();
  auto [tx, rx] = graph.channel<u64>().name("inbound").capacity(4096).build();
  steady::bridge::ZmqIngress<u64> downlink({.endpoint = "tcp://127.0.0.1:*", .ack_endpoint = "tcp://127.0.0.1:*"});
  graph.actor("downlink").run(downlink, std::move(tx));
  graph.actor("sink").run(sink, std::move(rx));

  steady::telemetry::Options o;
  o.port = 0;
  o.port_explicit = true;
  o.read_environment = false;
  o.title = "hub_receiver";
  auto telemetry = steady::Telemetry::start(graph, o);
  if (!telemetry) {
    std::fprintf(stderr, "%s\n", telemetry.error().c_str());
    return 2;
  }
  graph.start();
  if (auto ep = downlink.bound_endpoints(std::chrono::seconds(10))) {
    std::printf("bound %s %s\n", ep->first.c_str(), ep->second.c_str());
  } else {
    std::fprintf(stderr, "hub_receiver: the ingress did not bind within 10 s\n");
    return 1;
  }
  std::printf("telemetry: %s\n", telemetry->url().c_str());
  std::fflush(stdout);
  const steady::StopReport report = graph.block_until_stopped(std::chrono::seconds(2));
  return report.clean ? 0 : 1;
}
