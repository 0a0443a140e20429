// Throw-site traces: an exception escaping an actor is logged with the actor's name, its text and the stack
// of the throw (not of the catch); exceptions caught inside actors, and exceptions outside actors, behave as
// usual.
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <steady/steady.hpp>

using namespace std::chrono_literals;

namespace {

// Collects the error lines the runtime logs while it is alive; restores the stderr default after.
class LogCapture {
 public:
  LogCapture() {
    steady::set_log_handler([this](steady::LogLevel level, std::string_view message) {
      if (level < steady::LogLevel::error) return;
      std::lock_guard lock(mu_);
      errors_.emplace_back(message);
    });
  }
  ~LogCapture() { steady::set_log_handler(nullptr); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  [[nodiscard]] std::vector<std::string> errors() const {
    std::lock_guard lock(mu_);
    return errors_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> errors_;
};

// The line of frame #0 in a logged failure ("" when there is no trace).
std::string first_frame(const std::string& failure) {
  const auto at = failure.find("  #0 ");
  if (at == std::string::npos) return {};
  return failure.substr(at, failure.find('\n', at) - at);
}

// noinline: each must be a frame of its own for the assertions below to name it.
[[gnu::noinline]] void parse_sensor_frame_or_throw(int frame) {
  if (frame >= 0) throw std::runtime_error("sensor frame " + std::to_string(frame) + " is corrupt");
}
[[gnu::noinline]] void throw_and_catch_inside(int& caught) {
  try {
    throw std::invalid_argument("handled here");
  } catch (const std::invalid_argument&) {
    ++caught;
  }
}
[[gnu::noinline]] void rethrow_carried_in(const std::exception_ptr& error) {
  std::rethrow_exception(error);
}

steady::Task sensor_reader(steady::Context&) {
  parse_sensor_frame_or_throw(7);
  co_return;
}

// Runs `actor` alone in a real-thread testing graph with RestartPolicy::never() and returns the stop report.
template <class Fn>
steady::StopReport run_alone(const std::string& name, Fn actor) {
  auto graph = steady::GraphBuilder::for_testing().default_restart(steady::RestartPolicy::never()).build();
  graph.actor(name).run(std::move(actor));
  graph.start();
  return graph.block_until_stopped(5s);
}

}  // namespace

TEST(FailureTrace, NamesTheActorTheTextAndTheThrowingFunction) {
  LogCapture log;
  const auto report = run_alone("sensor_reader", sensor_reader);
  ASSERT_EQ(report.failures.size(), 1u) << report.to_string();

  const auto errors = log.errors();
  ASSERT_EQ(errors.size(), 1u);
  const std::string& failure = errors[0];
  EXPECT_NE(failure.find("actor 'sensor_reader' failed"), std::string::npos) << failure;
  EXPECT_NE(failure.find("sensor frame 7 is corrupt"), std::string::npos) << failure;
  // The innermost frame is the function that threw, not the hook and not the catch in the executor.
  EXPECT_NE(first_frame(failure).find("parse_sensor_frame_or_throw"), std::string::npos) << failure;
  // Its caller, the actor, is in the trace too, with source locations (the tests build with debug
  // information).
  EXPECT_NE(failure.find("sensor_reader"), failure.rfind("sensor_reader")) << failure;
  EXPECT_NE(failure.find("failure_trace_test.cpp:"), std::string::npos) << failure;
}

TEST(FailureTrace, WorksInVirtualTimeOnTheTestThread) {
  LogCapture log;
  auto graph = steady::GraphBuilder::for_testing()
                   .virtual_time()
                   .default_restart(steady::RestartPolicy::never())
                   .build();
  graph.actor("virtual_reader").run(sensor_reader);
  graph.start();
  (void)graph.run_until_idle();
  const auto report = graph.block_until_stopped(1s);
  ASSERT_EQ(report.failures.size(), 1u) << report.to_string();
  const auto errors = log.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("actor 'virtual_reader' failed"), std::string::npos) << errors[0];
  EXPECT_NE(first_frame(errors[0]).find("parse_sensor_frame_or_throw"), std::string::npos) << errors[0];
}

TEST(FailureTrace, ExceptionsCaughtInsideAnActorAreUnaffected) {
  LogCapture log;
  int caught = 0;
  std::string rethrown_text;
  const auto report = run_alone("careful", [&](steady::Context&) -> steady::Task {
    for (int i = 0; i < 1000; ++i) throw_and_catch_inside(caught);
    try {  // a bare rethrow and a nested exception: still ordinary C++
      try {
        throw std::out_of_range("inner");
      } catch (...) {
        std::throw_with_nested(std::runtime_error("outer"));
      }
    } catch (const std::runtime_error& e) {
      try {
        std::rethrow_if_nested(e);
      } catch (const std::out_of_range& inner) {
        rethrown_text = std::string(e.what()) + "/" + inner.what();
      }
    }
    co_return;
  });
  EXPECT_TRUE(report.clean) << report.to_string();
  EXPECT_EQ(report.restarts, 0u);
  EXPECT_TRUE(report.failures.empty());
  EXPECT_EQ(caught, 1000);
  EXPECT_EQ(rethrown_text, "outer/inner");
  EXPECT_TRUE(log.errors().empty());
}

TEST(FailureTrace, ALaterFailureShowsItsOwnThrowSiteNotAnEarlierCaughtOne) {
  LogCapture log;
  int caught = 0;
  const auto report = run_alone("mixed", [&](steady::Context&) -> steady::Task {
    throw_and_catch_inside(caught);
    parse_sensor_frame_or_throw(3);
    co_return;
  });
  ASSERT_EQ(report.failures.size(), 1u);
  EXPECT_EQ(caught, 1);
  const auto errors = log.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(first_frame(errors[0]).find("parse_sensor_frame_or_throw"), std::string::npos) << errors[0];
  EXPECT_EQ(errors[0].find("throw_and_catch_inside"), std::string::npos) << errors[0];
}

TEST(FailureTrace, AnExceptionCarriedInIsTracedWhereItIsRethrown) {
  // Made outside any actor (no throw site recorded), rethrown inside one after that actor threw and caught
  // its own: the trace must be the rethrow's, never the stale one of the caught exception.
  const std::exception_ptr carried = std::make_exception_ptr(std::logic_error("carried in"));
  LogCapture log;
  int caught = 0;
  const auto report = run_alone("relay", [&](steady::Context&) -> steady::Task {
    throw_and_catch_inside(caught);
    rethrow_carried_in(carried);
    co_return;
  });
  ASSERT_EQ(report.failures.size(), 1u);
  const auto errors = log.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("carried in"), std::string::npos) << errors[0];
  EXPECT_NE(first_frame(errors[0]).find("rethrow_carried_in"), std::string::npos) << errors[0];
  EXPECT_EQ(errors[0].find("throw_and_catch_inside"), std::string::npos) << errors[0];
}

TEST(FailureTrace, ExceptionsOutsideActorsAreUnaffected) {
  // While an actor runs (and fails) on its own thread, threads that run no actor throw, catch and carry
  // exceptions as usual, and nothing they throw ends up in the actor's trace.
  LogCapture log;
  std::atomic<int> caught{0};
  auto worker = [&] {
    for (int i = 0; i < 1000; ++i) {
      try {
        throw std::runtime_error("not an actor");
      } catch (const std::runtime_error& e) {
        if (std::string(e.what()) == "not an actor") caught.fetch_add(1);
      }
    }
  };
  std::thread other(worker);
  const auto report = run_alone("sensor_reader", sensor_reader);
  worker();
  other.join();
  EXPECT_EQ(caught.load(), 2000);

  std::exception_ptr carried;
  try {
    throw std::out_of_range("carried");
  } catch (...) {
    carried = std::current_exception();
  }
  EXPECT_THROW(std::rethrow_exception(carried), std::out_of_range);

  ASSERT_EQ(report.failures.size(), 1u);
  const auto errors = log.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(first_frame(errors[0]).find("parse_sensor_frame_or_throw"), std::string::npos) << errors[0];
  EXPECT_EQ(errors[0].find("TestBody"), std::string::npos) << errors[0];  // nothing from this thread
}

TEST(FailureTrace, AProviderCanBeReplacedAndSwitchedOff) {
  LogCapture log;
  const auto throw_site = steady::set_failure_trace_provider([] { return std::string("custom trace"); });
  ASSERT_NE(throw_site, nullptr);  // the library's default
  (void)run_alone("a", sensor_reader);
  steady::set_failure_trace_provider(nullptr);
  (void)run_alone("b", sensor_reader);
  steady::set_failure_trace_provider(throw_site);
  (void)run_alone("c", sensor_reader);
  const auto errors = log.errors();
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_NE(errors[0].find("\ncustom trace"), std::string::npos) << errors[0];
  EXPECT_EQ(errors[1].find('\n'), std::string::npos) << errors[1];  // one line: no trace at all
  EXPECT_NE(first_frame(errors[2]).find("parse_sensor_frame_or_throw"), std::string::npos) << errors[2];
}
