// Consumer smoke test: the smallest complete program a user of steady_state writes.
// Built twice by tests/consumer: once against an installed package (find_package) and once against the
// source tree (add_subdirectory). Exit code 0 means the graph ran and stopped cleanly with the right sum.
#include <chrono>
#include <utility>

#include <steady/steady.hpp>

steady::Task produce(steady::Context& ctx, steady::Tx<int>& tx) {
  for (int i = 0; i < 100 && ctx.is_running();) {
    co_await ctx.wait_vacant(tx, 1);
    if (tx.try_send(i) == steady::SendOutcome::sent) ++i;
  }
  co_return;  // returning agrees to stop; outputs are closed by the graph
}

steady::Task consume(steady::Context& ctx, steady::Rx<int>& rx, long& sum) {
  while (ctx.is_running([&] { return rx.is_closed_and_empty(); })) {
    co_await ctx.wait_avail(rx, 1);
    while (auto v = rx.try_take()) sum += *v;
    if (rx.is_closed_and_empty()) break;
  }
}

int main() {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<int>().capacity(16).name("numbers").build();
  long sum = 0;
  graph.actor("producer").run(produce, std::move(tx));
  graph.actor("consumer")
      .run([&sum](steady::Context& c, steady::Rx<int>& r) { return consume(c, r, sum); }, std::move(rx));
  graph.start();
  auto report = graph.block_until_stopped(std::chrono::seconds(5));
  return (report.clean && sum == 4950) ? 0 : 1;
}
