// Building a graph: mistakes are reported at build time with messages that name what is wrong.
#include <memory>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace {

using namespace steady_test::actor_names;

Task produce(Context& ctx, Tx<int>& out) {
  while (ctx.is_running()) co_await ctx.wait_vacant(out, 1);
}
Task consume(Context& ctx, Rx<int>& in) {
  while (ctx.is_running()) co_await ctx.wait_avail(in, 1);
}
Task idle(Context& ctx) {
  while (ctx.is_running()) co_await ctx.wait_for(1ms);
}

// A second end onto the same ring, without ownership: the only way the type system lets two actors share a
// side.
template <template <class> class End, class T>
End<T> second_end(steady::detail::Ring<T>& ring) {
  return End<T>(std::shared_ptr<steady::detail::Ring<T>>(std::shared_ptr<void>(), &ring));
}

// Run `f`, expecting an exception of type E whose message contains every one of `needles`.
template <class E, class F>
void expect_throw_naming(F&& f, std::initializer_list<std::string> needles) {
  try {
    f();
    ADD_FAILURE() << "expected an exception";
  } catch (const E& e) {
    const std::string what = e.what();
    for (const auto& n : needles)
      EXPECT_NE(what.find(n), std::string::npos) << "'" << n << "' not in: " << what;
  }
}

TEST(Builder, CapacityZeroIsRejectedNamingTheChannel) {
  auto graph = steady::GraphBuilder::for_testing().build();
  expect_throw_naming<std::invalid_argument>(
      [&] { (void)graph.channel<int>().name("empty_pipe").capacity(0).build(); }, {"empty_pipe", "capacity"});
  // invalid_argument is a logic_error: callers catching logic_error for all build mistakes see it too.
  EXPECT_THROW((void)graph.channel<int>().name("x").capacity(0).build(), std::logic_error);
  EXPECT_NO_THROW((void)graph.channel<int>().name("one").capacity(1).build());
}

TEST(Builder, TwoProducersOnOneChannelAreRejectedNamingIt) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<int>().name("contested").capacity(4).build();
  Tx<int> again = second_end<Tx>(tx.ring());
  graph.actor("first").run(produce, std::move(tx));
  expect_throw_naming<std::logic_error>([&] { graph.actor("second").run(produce, std::move(again)); },
                                        {"contested", "first", "second"});
}

TEST(Builder, TwoConsumersOnOneChannelAreRejectedNamingIt) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<int>().name("shared_input").capacity(4).build();
  Rx<int> again = second_end<Rx>(rx.ring());
  graph.actor("reader_a").run(consume, std::move(rx));
  expect_throw_naming<std::logic_error>([&] { graph.actor("reader_b").run(consume, std::move(again)); },
                                        {"shared_input", "reader_a", "reader_b"});
}

TEST(Builder, DuplicateActorNamesAreRejected) {
  auto graph = steady::GraphBuilder::for_testing().build();
  graph.actor("worker").suffix(1).run(idle);
  graph.actor("worker").suffix(2).run(idle);
  expect_throw_naming<std::logic_error>([&] { graph.actor("worker").suffix(1).run(idle); }, {"worker_1"});
  graph.actor("solo").run(idle);
  expect_throw_naming<std::logic_error>([&] { graph.actor("solo").run(idle); }, {"solo"});
}

TEST(Builder, UnknownTroupeIsRejected) {
  auto graph = steady::GraphBuilder::for_testing().build();
  EXPECT_THROW(graph.actor("lost").troupe(steady::Troupe{7}).run(idle), std::logic_error);
}

TEST(Builder, StartNeedsActorsAndHappensOnce) {
  auto graph = steady::GraphBuilder::for_testing().build();
  EXPECT_THROW(graph.start(), std::logic_error) << "a graph with no actors";
  graph.actor("a").run(idle);
  graph.start();
  EXPECT_THROW(graph.start(), std::logic_error) << "start twice";
  EXPECT_THROW((void)graph.channel<int>().name("late").build(), std::logic_error) << "channel after start";
  EXPECT_THROW(graph.actor("late").run(idle), std::logic_error) << "actor after start";
  graph.request_shutdown();
  EXPECT_TRUE(graph.block_until_stopped(5s).clean);
}

TEST(Builder, OptionsAreKept) {
  auto b = steady::GraphBuilder::for_testing().fairness_budget(7).default_spin(3).shutdown_poll(25ms);
  EXPECT_EQ(b.options().mode, steady::GraphMode::testing);
  EXPECT_FALSE(b.options().handle_signals) << "testing graphs leave signals alone";
  auto graph = b.build();
  EXPECT_EQ(graph.options().fairness_budget, 7u);
  EXPECT_EQ(graph.options().default_spin, 3u);
  EXPECT_EQ(graph.options().shutdown_poll, 25ms);
  auto prod = steady::GraphBuilder::for_production();
  EXPECT_EQ(prod.options().mode, steady::GraphMode::production);
  EXPECT_TRUE(prod.options().handle_signals);
}

TEST(Builder, ChannelDefaultsAndLabels) {
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<int>().name("plain").build();
  EXPECT_EQ(tx.capacity(), 64u) << "documented default capacity";
  auto [ltx, lrx] = graph.channel<int>().name("labelled").label("unit", "m/s").build();
  EXPECT_EQ(lrx.ring().labels.at("unit"), "m/s");
  EXPECT_EQ(lrx.ring().type_name(), "i32");
}

}  // namespace
