// A small production service that crashes on purpose, for crash_test. The actor 'sensor_reader' (or, for
// `main`, the main thread while the graph runs) does what the mode says; the crash handler must name it on
// stderr.
//   crash_child null|abort|overflow|main
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <steady/steady.hpp>

namespace {

std::string g_mode;

// UBSan would stop the store before it faults; this test is about the fault.
[[gnu::noinline, gnu::no_sanitize_undefined]] void dereference_null_sensor() {
  volatile int* volatile sensor = nullptr;  // the compiler can neither see it is null nor drop the store
  *sensor = 42;
}

// Not a tail call, and each level keeps a buffer the compiler cannot drop: the stack really grows.
[[gnu::noinline]] int recurse_without_end(int depth) {
  volatile char buffer[512];
  buffer[0] = static_cast<char>(depth);
  return recurse_without_end(depth + 1) + buffer[0];
}

steady::Task sensor_reader(steady::Context& ctx) {
  if (g_mode == "null") dereference_null_sensor();
  if (g_mode == "abort") std::abort();
  if (g_mode == "overflow") std::printf("%d\n", recurse_without_end(0));
  while (ctx.is_running()) co_await ctx.wait_periodic(std::chrono::milliseconds(1));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: crash_child null|abort|overflow|main\n");
    return 64;
  }
  g_mode = argv[1];
  const rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);  // the test crashes this process on purpose: no core files
  alarm(60);                         // if it does not crash, SIGALRM ends it and the test says so
  auto graph = steady::GraphBuilder::for_production().build();
  // A small stack, so the overflow comes quickly.
  graph.actor("sensor_reader").stack_size(std::size_t{1} << 20).run(sensor_reader);
  graph.start();
  if (g_mode == "main") dereference_null_sensor();
  (void)graph.block_until_stopped(std::chrono::seconds(10));
  std::fprintf(stderr, "crash_child: no crash happened\n");
  return 0;
}
