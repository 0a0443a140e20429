// tests/bridge/support.hpp — what the in-process bridge tests (ZeroMQ and NATS) share: a capture of the
// runtime's log lines that a test can wait on, a run of consecutive numbers to send, a text codec that
// refuses some messages, the wiring of a bridge actor to a test source (feed) or a recording sink (drain),
// and a bounded stop.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <steady/bridge/codec.hpp>
#include <steady/log.hpp>
#include <steady/steady.hpp>
#include <steady/testing.hpp>

namespace bridge_test {

// Collects log lines (the handler may be called from any thread).
struct LogCapture {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> lines;
  LogCapture() {
    steady::set_log_handler([this](steady::LogLevel, std::string_view m) {
      std::lock_guard lock(mu);
      lines.emplace_back(m);
      cv.notify_all();
    });
  }
  ~LogCapture() { steady::set_log_handler(nullptr); }
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] {
      for (auto& l : lines)
        if (l.find(needle) != std::string::npos) return true;
      return false;
    });
  }
};

// first, first + 1, ..., n of them.
inline std::vector<std::uint64_t> iota_values(std::uint64_t n, std::uint64_t first = 1) {
  std::vector<std::uint64_t> v(n);
  std::iota(v.begin(), v.end(), first);
  return v;
}

// A message of text, and a codec for it whose decode refuses every text that starts with '!' (this codec's
// notion of "malformed").
struct Text {
  std::string s;
  bool operator==(const Text&) const = default;
};
inline auto text_codec() {
  return steady::bridge::function_codec<Text>(
      [](const Text& t, std::vector<std::byte>& out) {
        const auto* p = reinterpret_cast<const std::byte*>(t.s.data());
        out.insert(out.end(), p, p + t.s.size());
      },
      [](std::span<const std::byte> b) -> std::optional<Text> {
        std::string s(reinterpret_cast<const char*>(b.data()), b.size());
        if (!s.empty() && s[0] == '!') return std::nullopt;
        return Text{std::move(s)};
      });
}

// Asks `graph` to stop and waits for it, 10 s at most; the report says whether every actor agreed in time.
inline steady::StopReport stopped(steady::Graph& graph) {
  graph.request_shutdown();
  return graph.block_until_stopped(std::chrono::seconds(10));
}

// Adds a test source (actor "source") sending into a new channel that `actor` (an egress or a publisher,
// named `name`) takes from; returns the source, for the test to push to and close.
template <class T, class Actor>
std::shared_ptr<steady::testing::Source<T>> feed(steady::Graph& graph, const std::string& name, Actor actor,
                                                 const std::string& channel, std::uint64_t capacity) {
  auto [tx, rx] = graph.channel<T>().name(channel).capacity(capacity).build();
  auto source = std::make_shared<steady::testing::Source<T>>();
  graph.actor("source").run(&steady::testing::Source<T>::actor, std::move(tx), source);
  graph.actor(name).run(std::move(actor), std::move(rx));
  return source;
}

// Adds `actor` (an ingress or a subscriber, named `name`) sending into a new channel that a recording sink
// (actor "sink") takes from; returns the sink.
template <class T, class Actor>
std::shared_ptr<steady::testing::Sink<T>> drain(steady::Graph& graph, const std::string& name, Actor actor,
                                                const std::string& channel, std::uint64_t capacity) {
  auto [tx, rx] = graph.channel<T>().name(channel).capacity(capacity).build();
  auto sink = std::make_shared<steady::testing::Sink<T>>();
  graph.actor(name).run(std::move(actor), std::move(tx));
  graph.actor("sink").run(&steady::testing::Sink<T>::actor, std::move(rx), sink);
  return sink;
}

}  // namespace bridge_test
