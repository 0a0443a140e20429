// tests/bridge/bridge_process_test.cpp — two real processes joined by the ZeroMQ bridge over tcp on
// 127.0.0.1: exactly-once delivery of 10,000,000 u64, a clean drain on SIGTERM, and backpressure with bounded
// memory. The receiver binds tcp://127.0.0.1:* (any free port) and prints the endpoints; the sender connects
// to them.
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "process.hpp"

using namespace std::chrono_literals;
using bridge_test::in;
using bridge_test::Process;

namespace {

struct Endpoints {
  std::string data, ack;
};

Endpoints wait_bound(Process& receiver) {
  const auto line = receiver.wait_line("bound ", in(10s));
  if (!line) return {};
  std::istringstream s(*line);
  std::string word;
  Endpoints e;
  s >> word >> e.data >> e.ack;
  return e;
}

struct Result {
  unsigned long long count = 0, sum = 0, last = 0, dups = 0;
  int in_order = 0, eos = 0;
  bool found = false;
};

Result parse_result(Process& receiver, std::chrono::steady_clock::time_point deadline) {
  Result r;
  if (auto line = receiver.wait_line("result ", deadline)) {
    r.found = std::sscanf(line->c_str(), "result count=%llu sum=%llu in_order=%d last=%llu eos=%d dups=%llu",
                          &r.count, &r.sum, &r.in_order, &r.last, &r.eos, &r.dups) == 6;
  }
  return r;
}

unsigned long long triangle(unsigned long long k) {
  return k % 2 == 0 ? (k / 2) * (k + 1) : k * ((k + 1) / 2);
}

// Instrumented children are too slow for these timings, and libzmq's internals are invisible to TSan; the
// in-process tests cover the actors under TSan.
#if defined(__SANITIZE_THREAD__)
#define SKIP_UNDER_TSAN() GTEST_SKIP() << "two-process tests are not run under TSan"
#else
#define SKIP_UNDER_TSAN() (void)0
#endif

}  // namespace

TEST(BridgeProcess, TenMillionU64ArriveExactlyOnceInOrder) {
  SKIP_UNDER_TSAN();
  constexpr unsigned long long kCount = 10'000'000;
  Process receiver({RECEIVER_EXE, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*"});
  const Endpoints ep = wait_bound(receiver);
  ASSERT_FALSE(ep.data.empty()) << receiver.all_output();
  const auto t0 = std::chrono::steady_clock::now();
  Process sender({SENDER_EXE, ep.data, ep.ack, std::to_string(kCount), "65536"});
  const Result r = parse_result(receiver, in(50s));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r.found) << receiver.all_output();
  EXPECT_EQ(r.count, kCount);
  EXPECT_EQ(r.in_order, 1);
  EXPECT_EQ(r.last, kCount);
  EXPECT_EQ(r.sum, triangle(kCount));
  EXPECT_EQ(r.eos, 1) << "the receiver should have seen end-of-stream";
  EXPECT_TRUE(receiver.wait_line("report clean", in(10s))) << receiver.all_output();
  EXPECT_TRUE(sender.wait_line("report clean", in(10s))) << sender.all_output();
  EXPECT_EQ(sender.wait_exit(in(10s)), 0);
  EXPECT_EQ(receiver.wait_exit(in(10s)), 0);
  std::printf("[ bridge ] 10M u64 over tcp loopback in %.2f s: %.1f M msg/s (%.0f MB/s payload)\n", secs,
              kCount / secs / 1e6, kCount * 8 / secs / 1e6);
}

TEST(BridgeProcess, SigtermToTheSenderDrainsAContiguousPrefix) {
  SKIP_UNDER_TSAN();
  Process receiver({RECEIVER_EXE, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*"});
  const Endpoints ep = wait_bound(receiver);
  ASSERT_FALSE(ep.data.empty()) << receiver.all_output();
  Process sender({SENDER_EXE, ep.data, ep.ack, "0", "65536"});  // unbounded: only the signal ends it
  ASSERT_TRUE(receiver.wait_line("progress", in(30s))) << receiver.all_output();  // mid-stream
  sender.signal(SIGTERM);
  const auto report = sender.wait_line("report ", in(20s));
  ASSERT_TRUE(report) << sender.all_output();
  EXPECT_EQ(report->rfind("report clean", 0), 0u) << *report;
  EXPECT_EQ(sender.wait_exit(in(10s)), 0);
  const Result r = parse_result(receiver, in(20s));
  ASSERT_TRUE(r.found) << receiver.all_output();
  EXPECT_GT(r.count, 1u << 20);
  EXPECT_EQ(r.in_order, 1);
  EXPECT_EQ(r.last, r.count) << "a contiguous prefix 1..k";
  EXPECT_EQ(r.sum, triangle(r.count));
  EXPECT_EQ(r.eos, 1);
  EXPECT_EQ(receiver.wait_exit(in(10s)), 0);
}

// A receiver that takes 1000 messages per 2 ms: the sender's channel fills and stays full, and the sender's
// memory does not grow. Its buffers are the channel (allocated at start) and ZeroMQ's queues: send_hwm 16
// frames × 64 KiB on each side plus a frame being encoded, ~2–3 MiB even if every one were full and newly
// touched. So RSS growth after the channel first filled is bounded by 8 MiB (leaving room for allocator
// noise); an unbounded queue would grow at the sender's rate (tens of MB per second).
TEST(BridgeProcess, SlowReceiverFillsTheSendersChannelAndMemoryStaysBounded) {
  SKIP_UNDER_TSAN();
  Process receiver({RECEIVER_EXE, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*", "2000"});
  const Endpoints ep = wait_bound(receiver);
  ASSERT_FALSE(ep.data.empty()) << receiver.all_output();
  constexpr unsigned long long kCapacity = 65536;
  Process sender({SENDER_EXE, ep.data, ep.ack, "0", std::to_string(kCapacity), "--report-fill"});
  long rss_at_full = -1, rss_max = 0;
  int full_samples = 0;
  const auto deadline = in(40s);
  // 100 samples (20 ms apart) with the channel full: ~2 s of sustained backpressure.
  while (full_samples < 100) {
    const auto line = sender.wait_line("fill ", deadline);
    ASSERT_TRUE(line) << "the sender's channel never stayed full: " << sender.all_output();
    unsigned long long held = 0, cap = 0;
    long rss = 0;
    ASSERT_EQ(std::sscanf(line->c_str(), "fill %llu %llu %ld", &held, &cap, &rss), 3);
    ASSERT_EQ(cap, kCapacity);
    if (held + 1024 >= cap) {  // within one generator batch of full
      if (rss_at_full < 0) rss_at_full = rss;
      ++full_samples;
    }
    if (rss_at_full >= 0) rss_max = std::max(rss_max, rss);
  }
  // Not under sanitizers: ASan's quarantine keeps freed blocks (ZeroMQ allocates one per frame), so RSS
  // grows.
#ifndef STEADY_SANITIZED
  EXPECT_LT(rss_max - rss_at_full, 8 * 1024)
      << "sender RSS grew from " << rss_at_full << " kB to " << rss_max << " kB while its channel was full";
#endif
  std::printf(
      "[ bridge ] sender channel full for %d samples; RSS %ld kB when it filled, at most %ld kB after\n",
      full_samples, rss_at_full, rss_max);
  sender.signal(SIGTERM);  // the slow receiver still gets everything: the drain is lossless
  const auto report = sender.wait_line("report ", in(60s));
  ASSERT_TRUE(report) << sender.all_output();
  EXPECT_EQ(report->rfind("report clean", 0), 0u) << *report;
  const Result r = parse_result(receiver, in(60s));
  ASSERT_TRUE(r.found) << receiver.all_output();
  EXPECT_EQ(r.in_order, 1);
  EXPECT_EQ(r.last, r.count);
  EXPECT_EQ(r.sum, triangle(r.count));
}
