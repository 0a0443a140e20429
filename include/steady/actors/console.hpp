// steady/actors/console.hpp — print each message of a channel on its own line (target steady::actors).
//
//   graph.actor("print").run(steady::actors::Console<std::string>({}), std::move(lines_rx));   // stdout
//   std::ostringstream seen;
//   steady::actors::Console<Reading> print({.out = &seen, .prefix = "reading: "});
//   graph.actor("print").run(print, std::move(readings_rx));
//
// Any T with `std::ostream& operator<<(std::ostream&, const T&)` works (std::string prints as it is). Each
// message is written as prefix + message + "\n"; up to `batch` messages per pass, then the stream is flushed
// (with flush_each_batch). The stream must outlive the graph and must not be written by anyone else while the
// graph runs (std::cout is fine when nothing else prints). The actor returns once its input is closed and
// drained.
//
// Telemetry counters: printed.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <memory>
#include <ostream>
#include <string>

#include <steady/actors/detail/tally.hpp>
#include <steady/channel.hpp>
#include <steady/context.hpp>
#include <steady/task.hpp>

namespace steady::actors {

struct ConsoleOptions {
  std::ostream* out = nullptr;  // nullptr: std::cout
  std::string prefix{};         // written before each message
  std::size_t batch = 64;       // messages per pass at most
  bool flush_each_batch = true;
};

struct ConsoleStats {
  std::uint64_t printed = 0;
};

template <class T>
class Console {
  static_assert(
      requires(std::ostream & os, const T& v) { os << v; },
      "steady::actors::Console<T> needs `std::ostream& operator<<(std::ostream&, const T&)`");

 public:
  explicit Console(ConsoleOptions options) : shared_(std::make_shared<Shared>(std::move(options))) {}
  // The actor function: graph.actor("print").run(console, std::move(rx)).
  Task operator()(Context& ctx, Rx<T>& in) const { return run(ctx, in, shared_); }
  [[nodiscard]] ConsoleStats stats() const noexcept {
    return {shared_->printed.load(std::memory_order_relaxed)};
  }

 private:
  struct Shared {
    explicit Shared(ConsoleOptions o) : options(std::move(o)) {}
    const ConsoleOptions options;
    std::atomic<std::uint64_t> printed{0};
  };
  // One batch, outside the coroutine (see task.hpp). Returns how many were printed.
  static std::size_t print_batch(Rx<T>& in, const ConsoleOptions& o) {
    std::ostream& os = o.out != nullptr ? *o.out : std::cout;
    const auto items = in.peek_slice(o.batch == 0 ? 1 : o.batch);
    for (std::size_t i = 0; i < items.size(); ++i) os << o.prefix << items[i] << '\n';
    if (o.flush_each_batch) os.flush();
    in.advance_take(items.size());
    return items.size();
  }
  static Task run(Context& ctx, Rx<T>& in, std::shared_ptr<Shared> sh) {
    detail::Tally printed(ctx, "printed", sh->printed);
    while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
      (void)co_await ctx.wait_avail(in, 1);
      if (in.is_closed_and_empty()) co_return;
      printed.add(print_batch(in, sh->options));
    }
  }
  std::shared_ptr<Shared> shared_;
};

}  // namespace steady::actors
