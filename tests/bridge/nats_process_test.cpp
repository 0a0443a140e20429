// tests/bridge/nats_process_test.cpp — two real processes joined through a real nats-server (JetStream, file
// store): nats_publisher sends 1,000,000 u64 (0..N-1), nats_subscriber writes what it takes to a file. The
// test SIGKILLs the subscriber mid-way and starts a new one, then SIGKILLs the server mid-way and restarts it
// (same port, same store). At the end the file must hold 0..N-1, each exactly once, in order, with stream
// positions that only grow: nothing lost across either crash, nothing duplicated into the sink.
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "nats_server.hpp"
#include "process.hpp"

using namespace std::chrono_literals;
using bridge_test::in;
using bridge_test::Process;

namespace {

// Wait for a "<prefix>N" line with N >= at_least; the N seen, or nullopt at the deadline.
std::optional<unsigned long long> wait_count(Process& p, const std::string& prefix,
                                             unsigned long long at_least,
                                             std::chrono::steady_clock::time_point deadline) {
  while (auto line = p.wait_line(prefix, deadline)) {
    unsigned long long n = 0;
    if (std::sscanf(line->c_str() + prefix.size(), "%llu", &n) == 1 && n >= at_least) return n;
  }
  return std::nullopt;
}

// The "stats ..." line of a process's output, and one "name=value" figure of it (all ones when missing: fails
// an equality check).
std::string stats_line(const std::string& out) {
  const auto at = out.find("stats ");
  return at == std::string::npos ? std::string() : out.substr(at, out.find('\n', at) - at);
}
unsigned long long stat(const std::string& line, const std::string& name) {
  const auto at = line.find(" " + name + "=");
  return at == std::string::npos ? ~0ull : std::stoull(line.substr(at + name.size() + 2));
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// cnats is not instrumented: its internal hand-offs look like races to TSan (the in-process tests run under ASan).
#if defined(__SANITIZE_THREAD__)
#define SKIP_UNDER_TSAN() GTEST_SKIP() << "the two-process test is not run under TSan"
#else
#define SKIP_UNDER_TSAN() (void)0
#endif

}  // namespace

TEST(NatsProcess, AMillionU64SurviveASubscriberKillAndAServerKillExactlyOnceInOrder) {
  SKIP_UNDER_TSAN();
  NATS_SERVER_OR_SKIP(binary);
  constexpr unsigned long long kCount = 1'000'000;
  // ~3.3 s of publishing in 1 ms ticks: publishes are in flight most of the time; both kills land mid-stream.
  const std::string batch = "128", rate = "300000";
  bridge_test::NatsServer server(binary);
  ASSERT_TRUE(server.start()) << "nats-server did not start";
  const std::string file = (server.dir() / "sink.txt").string();
  const auto t0 = std::chrono::steady_clock::now();

  auto sub = std::make_unique<Process>(
      std::vector<std::string>{SUBSCRIBER_EXE, server.url(), file, std::to_string(kCount), batch});
  ASSERT_TRUE(sub->wait_line("resume 0 0 0", in(10s))) << sub->all_output();
  Process pub({PUBLISHER_EXE, server.url(), std::to_string(kCount), batch, rate});
  ASSERT_TRUE(pub.wait_line("started", in(10s))) << pub.all_output();

  // 1. SIGKILL the subscriber mid-way; a new one resumes from its file.
  ASSERT_TRUE(wait_count(*sub, "progress ", 150'000, in(30s))) << sub->all_output();
  std::printf("[ nats ] %.2f s: SIGKILL to the subscriber\n", since(t0));
  sub->signal(SIGKILL);
  EXPECT_EQ(sub->wait_exit(in(10s)), -SIGKILL);
  sub = std::make_unique<Process>(
      std::vector<std::string>{SUBSCRIBER_EXE, server.url(), file, std::to_string(kCount), batch});
  const auto resumed = sub->wait_line("resume ", in(10s));
  ASSERT_TRUE(resumed) << sub->all_output();
  unsigned long long rseq = 0, rrecords = 0;
  unsigned rindex = 0;
  ASSERT_EQ(std::sscanf(resumed->c_str(), "resume %llu %u %llu", &rseq, &rindex, &rrecords), 3);
  EXPECT_GE(rrecords, 150'000u);
  EXPECT_GT(rseq, 0u);

  // 2. SIGKILL the server while the publisher is mid-stream; restart it on the same port and store. First the
  // new subscriber must have delivered past its resume point (its consumer exists), so the kill tests a
  // re-created consumer's recovery rather than racing its creation.
  ASSERT_TRUE(wait_count(*sub, "progress ", rrecords + 1, in(30s))) << sub->all_output();
  ASSERT_TRUE(wait_count(pub, "acked ", 600'000, in(30s))) << pub.all_output();
  std::printf("[ nats ] %.2f s: SIGKILL to the server\n", since(t0));
  server.kill();
  ASSERT_TRUE(server.start()) << "nats-server did not restart";
  std::printf("[ nats ] %.2f s: server restarted\n", since(t0));

  // 3. Everything arrives; both processes stop cleanly.
  ASSERT_TRUE(sub->wait_line("done", in(60s))) << sub->all_output() << "\n--- publisher:\n"
                                               << pub.all_output();
  const double secs = since(t0);
  const auto pub_report = pub.wait_line("report ", in(30s));
  ASSERT_TRUE(pub_report) << pub.all_output();
  EXPECT_EQ(pub_report->rfind("report clean", 0), 0u) << *pub_report;
  EXPECT_EQ(pub.wait_exit(in(10s)), 0);
  const auto sub_report = sub->wait_line("report ", in(30s));
  ASSERT_TRUE(sub_report) << sub->all_output();
  EXPECT_EQ(sub_report->rfind("report clean", 0), 0u) << *sub_report;
  EXPECT_EQ(sub->wait_exit(in(10s)), 0);

  // 4. The file: 0..N-1, each once, in order; positions strictly increasing.
  std::ifstream f(file);
  ASSERT_TRUE(f) << file;
  unsigned long long seq = 0, value = 0, expected = 0, prev_seq = 0;
  unsigned index = 0, prev_index = 0;
  std::string line;
  while (std::getline(f, line)) {
    ASSERT_EQ(std::sscanf(line.c_str(), "%llu %u %llu", &seq, &index, &value), 3) << "line " << expected;
    ASSERT_EQ(value, expected) << "record " << expected << " (lost or duplicated around here)";
    if (expected > 0)
      ASSERT_TRUE(seq > prev_seq || (seq == prev_seq && index > prev_index)) << "record " << expected;
    prev_seq = seq;
    prev_index = index;
    ++expected;
  }
  EXPECT_EQ(expected, kCount);
  // Both sides saw the server go and come back: the publisher resent what was in flight (timing decides how
  // much, so it is printed, not checked), the subscriber re-created its consumer after reconnecting.
  const std::string pub_stats = stats_line(pub.all_output()), sub_stats = stats_line(sub->all_output());
  ASSERT_FALSE(pub_stats.empty()) << pub.all_output();
  ASSERT_FALSE(sub_stats.empty()) << sub->all_output();
  EXPECT_GE(stat(pub_stats, "reconnects"), 1u) << pub_stats;
  EXPECT_EQ(stat(pub_stats, "acknowledged"), kCount) << pub_stats;
  EXPECT_GE(stat(sub_stats, "reconnects"), 1u) << sub_stats;
  EXPECT_GE(stat(sub_stats, "resyncs"), 2u) << sub_stats;
  EXPECT_EQ(stat(sub_stats, "malformed"), 0u) << sub_stats;
  std::printf("[ nats ] 1M u64 through JetStream with a subscriber kill and a server kill in %.1f s\n", secs);
  std::printf("[ nats ] publisher %s\n[ nats ] subscriber %s\n", pub_stats.c_str(), sub_stats.c_str());
}
