// tests/actors/files_test.cpp — FileSource and FileSink on real files in a temporary folder: reading,
// resuming from a committed offset, following across rotation and truncation, the sink's batches, fsync
// policy and rotation by size, and the counters they publish to telemetry. Every wait polls a condition with
// a deadline.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <steady/actors.hpp>
#include <steady/telemetry.hpp>
#include <steady/testing.hpp>

#include "../telemetry/telemetry_support.hpp"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace act = steady::actors;
using u64 = std::uint64_t;

// A fresh folder, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() /
            ("steady_actors_" + std::to_string(::getpid()) + "_" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

void append(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::app | std::ios::binary);
  f << text;
}
std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}
std::vector<std::string> numbered(int from, int to) {
  std::vector<std::string> v;
  for (int i = from; i < to; ++i) v.push_back("line " + std::to_string(i));
  return v;
}
std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}
bool poll_until(const std::function<bool()>& cond, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
    std::this_thread::sleep_for(1ms);  // polling interval of a condition with a deadline, not synchronisation
  }
  return true;
}

// ---------------------------------------------------------------- FileSource

TEST(FileSource, ReadsEveryLineThenClosesItsChannel) {
  TempDir dir;
  const auto in = dir.file("in.log");
  append(in, "first\r\nsecond\n\nlast without newline");
  steady::testing::Harness h;
  auto& out = h.output<std::string>("lines");
  act::FileSource src({.path = in});
  h.actor("src").run(src, out.end());
  EXPECT_TRUE(h.run_to_stop(1s).clean);
  EXPECT_EQ(out.received(), (std::vector<std::string>{"first", "second", "", "last without newline"}));
  EXPECT_EQ(src.stats().lines_read, 4u);
  EXPECT_EQ(src.stats().bytes_read, slurp(in).size());
  EXPECT_EQ(src.stats().lines_committed, 4u);
}

TEST(FileSource, CutsLinesLongerThanTheLimit) {
  TempDir dir;
  const auto in = dir.file("in.log");
  append(in, std::string(10, 'x') + "\nshort\n");
  steady::testing::Harness h;
  auto& out = h.output<std::string>("lines");
  act::FileSource src({.path = in, .max_line_bytes = 4});
  h.actor("src").run(src, out.end());
  EXPECT_TRUE(h.run_to_stop(1s).clean);
  EXPECT_EQ(out.received(), (std::vector<std::string>{"xxxx", "xxxx", "xx", "shor", "t"}));
  EXPECT_EQ(src.stats().split_lines, 3u);
}

TEST(FileSource, AMissingFileWithoutFollowIsAClearError) {
  TempDir dir;
  auto graph =
      steady::GraphBuilder::for_testing().default_restart(steady::RestartPolicy::stop_graph()).build();
  auto [tx, rx] = graph.channel<std::string>().name("lines").build();
  act::FileSource src({.path = dir.file("nope.log")});
  graph.actor("src").run(src, std::move(tx));
  auto sink = std::make_shared<steady::testing::Sink<std::string>>();
  graph.actor("sink").run(&steady::testing::Sink<std::string>::actor, std::move(rx), sink);
  graph.start();
  const auto report = graph.block_until_stopped(5s);
  ASSERT_EQ(report.failures.size(), 1u) << report.to_string();
  EXPECT_NE(report.failures[0].what.find("nope.log"), std::string::npos) << report.to_string();
  EXPECT_NE(report.failures[0].what.find("check the path"), std::string::npos) << report.to_string();
  EXPECT_TRUE(sink->received().empty());
}

// Resume in-process from a persisted State<FileOffset>: a second graph goes on after the committed line.
TEST(FileSource, ResumesAfterTheCommittedLine) {
  TempDir dir;
  const auto in = dir.file("in.log");
  const auto state_path = dir.file("in.offset");
  append(in, joined(numbered(0, 100)));
  for (int run = 0; run < 2; ++run) {
    steady::testing::Harness h;
    auto offset = h.graph().state<act::FileOffset>("offset").persist(state_path).build();
    ASSERT_TRUE(offset) << offset.error();
    auto& out = h.output<std::string>("lines");
    act::FileSource src({.path = in});
    h.actor("src").run(src, out.end(), *offset);
    EXPECT_TRUE(h.run_to_stop(1s).clean);
    if (run == 0) {
      EXPECT_EQ(out.received(), numbered(0, 100));
      EXPECT_EQ(offset->get().offset, slurp(in).size());
      EXPECT_EQ(offset->get().lines, 100u);
      append(in, joined(numbered(100, 130)));  // more data while "the process is down"
    } else {
      EXPECT_EQ(out.received(), numbered(100, 130));  // only the new lines
      EXPECT_EQ(offset->get().lines, 130u);
    }
  }
}

// The offset is committed only for lines the consumer took: lines left in the channel are read again next
// time.
TEST(FileSource, CommitsOnlyWhatTheConsumerTook) {
  TempDir dir;
  const auto in = dir.file("in.log");
  const auto state_path = dir.file("in.offset");
  append(in, joined(numbered(0, 50)));
  {
    auto graph = steady::GraphBuilder::for_testing().virtual_time().build();
    auto offset = graph.state<act::FileOffset>("offset").persist(state_path).build();
    ASSERT_TRUE(offset);
    auto [tx, rx] = graph.channel<std::string>().name("lines").capacity(8).build();
    act::FileSource src({.path = in, .stop_grace = 10ms});
    graph.actor("src").run(src, std::move(tx), *offset);
    // A consumer that takes exactly 5 lines and then stops taking (but keeps its input open).
    graph.actor("slow").run(
        [](steady::Context& ctx, steady::Rx<std::string>& rx) -> steady::Task {
          int taken = 0;
          while (ctx.is_running()) {
            (void)co_await ctx.wait_avail(rx, 1);
            if (taken < 5 && rx.try_take()) ++taken;
            if (taken == 5) (void)co_await ctx.wait_for(1h);
          }
        },
        std::move(rx));
    graph.start();
    graph.run_until_idle();
    EXPECT_EQ(src.stats().lines_read, 13u);  // 5 taken + 8 in the channel
    (void)graph.block_until_stopped(1s);
    EXPECT_EQ(src.stats().lines_committed, 5u);
    EXPECT_EQ(offset->get().lines, 5u);
    EXPECT_EQ(offset->get().offset, joined(numbered(0, 5)).size());
  }
  steady::testing::Harness h;
  auto offset = h.graph().state<act::FileOffset>("offset").persist(state_path).build();
  ASSERT_TRUE(offset);
  auto& out = h.output<std::string>("lines");
  h.actor("src").run(act::FileSource({.path = in}), out.end(), *offset);
  EXPECT_TRUE(h.run_to_stop(1s).clean);
  EXPECT_EQ(out.received(), numbered(5, 50));
}

// tail -F: appended data, a rotation (rename + new file) and a truncation, with real threads and files.
TEST(FileSource, FollowsAppendsRotationAndTruncation) {
  TempDir dir;
  const auto in = dir.file("app.log");
  append(in, joined(numbered(0, 3)));
  steady::testing::Harness h(steady::testing::Time::real_time);
  auto& out = h.output<std::string>("lines", 256);
  act::FileSource src({.path = in, .follow = true, .poll = 5ms});
  h.actor("src").run(src, out.end());
  h.start();
  auto& sink = out.sink();
  ASSERT_TRUE(sink.wait_for_count(3, 10s));
  append(in, joined(numbered(3, 5)) + "partial");  // a line without its newline waits for it
  ASSERT_TRUE(sink.wait_for_count(5, 10s));
  append(in, " line\n");
  ASSERT_TRUE(sink.wait_for_count(6, 10s));
  // Rotation: the old file is renamed (and written to once more, as a logger may before it reopens), a new
  // one starts at the path.
  fs::rename(in, in + ".1");
  append(in + ".1", "late line in the old file\n");
  append(in, joined(numbered(5, 8)));
  ASSERT_TRUE(sink.wait_for_count(10, 10s));
  ASSERT_TRUE(poll_until([&] { return src.stats().rotations == 1; }));
  // Truncation in place (copytruncate): read again from the start.
  ASSERT_EQ(::truncate(in.c_str(), 0), 0);
  ASSERT_TRUE(poll_until([&] { return src.stats().truncations == 1; }));
  append(in, joined(numbered(8, 10)));
  ASSERT_TRUE(sink.wait_for_count(12, 10s));
  EXPECT_TRUE(h.run_to_stop(5s).clean);
  std::vector<std::string> want = numbered(0, 5);
  want.push_back("partial line");
  want.push_back("late line in the old file");
  for (auto& l : numbered(5, 10)) want.push_back(l);
  EXPECT_EQ(out.received(), want);
}

TEST(FileSource, FollowWaitsForAFileThatDoesNotExistYet) {
  TempDir dir;
  const auto in = dir.file("later.log");
  steady::testing::Harness h(steady::testing::Time::real_time);
  auto& out = h.output<std::string>("lines");
  h.actor("src").run(act::FileSource({.path = in, .follow = true, .poll = 5ms}), out.end());
  h.start();
  append(in, "hello\n");
  ASSERT_TRUE(out.sink().wait_for_count(1, 10s));
  EXPECT_TRUE(h.run_to_stop(5s).clean);
  EXPECT_EQ(out.received(), (std::vector<std::string>{"hello"}));
}

// ---------------------------------------------------------------- FileSink

TEST(FileSink, AppendsOneLinePerMessageInBatches) {
  TempDir dir;
  const auto path = dir.file("out.log");
  append(path, "already there\n");
  steady::testing::Harness h;
  auto& in = h.input<std::string>("records", 256);
  act::FileSink sink({.path = path, .batch = 16, .fsync = act::Fsync::every_batch});
  h.actor("sink").run(sink, in.end());
  auto records = numbered(0, 100);
  records.push_back("ends in newline\n");
  in.push_all(records);
  in.close();
  EXPECT_TRUE(h.run_to_stop(1s).clean);
  records.back().pop_back();
  EXPECT_EQ(slurp(path), "already there\n" + joined(records));
  const auto st = sink.stats();
  EXPECT_EQ(st.records_written, 101u);
  EXPECT_EQ(st.bytes_written, joined(records).size());
  EXPECT_GE(st.writes, 101u / 16);  // batches of at most 16
  EXPECT_EQ(st.fsyncs, st.writes);  // every batch
}

TEST(FileSink, RotatesBySizeKeepingKFiles) {
  TempDir dir;
  const auto path = dir.file("out.log");
  steady::testing::Harness h;
  auto& in = h.input<std::string>("records", 256);
  // Records of 10 bytes with their newline; files of at most 35 bytes hold 3 records.
  act::FileSink sink({.path = path, .batch = 7, .rotate_bytes = 35, .keep = 2});
  h.actor("sink").run(sink, in.end());
  std::vector<std::string> records;
  for (int i = 0; i < 20; ++i)
    records.push_back("record " + std::string(i < 10 ? "0" : "") + std::to_string(i));
  in.push_all(records);
  in.close();
  EXPECT_TRUE(h.run_to_stop(1s).clean);
  // 20 records = 6 full files + 2 records: the current file and the two newest rotated ones remain.
  EXPECT_EQ(sink.stats().rotations, 6u);
  EXPECT_EQ(slurp(path), "record 18\nrecord 19\n");
  EXPECT_EQ(slurp(path + ".1"), "record 15\nrecord 16\nrecord 17\n");
  EXPECT_EQ(slurp(path + ".2"), "record 12\nrecord 13\nrecord 14\n");
  EXPECT_FALSE(fs::exists(path + ".3"));
  for (const auto& f : {path, path + ".1", path + ".2"}) EXPECT_LE(fs::file_size(f), 35u);
}

TEST(FileSink, IntervalFsyncHappensAfterItsDelay) {
  TempDir dir;
  const auto path = dir.file("out.log");
  steady::testing::Harness h;
  auto& in = h.input<std::string>("records");
  act::FileSink sink({.path = path, .fsync = act::Fsync::interval, .fsync_every = 100ms});
  h.actor("sink").run(sink, in.end());
  in.push({"a", "b"});
  h.run_until_idle();
  EXPECT_EQ(slurp(path), "a\nb\n");  // written at once
  EXPECT_EQ(sink.stats().fsyncs, 0u);
  h.advance(99ms);
  EXPECT_EQ(sink.stats().fsyncs, 0u);
  h.advance(1ms);
  EXPECT_EQ(sink.stats().fsyncs, 1u);
  in.close();
  EXPECT_TRUE(h.run_to_stop(1s).clean);
}

TEST(FileSink, AMissingDirectoryIsAClearError) {
  TempDir dir;
  auto graph =
      steady::GraphBuilder::for_testing().default_restart(steady::RestartPolicy::stop_graph()).build();
  auto [tx, rx] = graph.channel<std::string>().name("records").build();
  auto src = std::make_shared<steady::testing::Source<std::string>>();
  graph.actor("src").run(&steady::testing::Source<std::string>::actor, std::move(tx), src);
  graph.actor("sink").run(act::FileSink({.path = dir.file("no/such/dir/out.log")}), std::move(rx));
  src->close();
  graph.start();
  const auto report = graph.block_until_stopped(5s);
  ASSERT_EQ(report.failures.size(), 1u) << report.to_string();
  EXPECT_NE(report.failures[0].what.find("does its directory exist?"), std::string::npos)
      << report.to_string();
}

// ---------------------------------------------------------------- telemetry counters

// The counters an actor publishes with Context::counter appear in /snapshot.json and /metrics.
TEST(ActorCounters, ShowInTheSnapshotAndMetrics) {
  TempDir dir;
  const auto in = dir.file("in.log");
  append(in, joined(numbered(0, 40)));
  auto graph = steady::GraphBuilder::for_testing().build();
  auto [tx, rx] = graph.channel<std::string>().name("lines").build();
  act::FileSource src({.path = in, .stop_graph_when_done = true});
  act::FileSink sink({.path = dir.file("out.log"), .fsync = act::Fsync::every_batch});
  graph.actor("src").run(src, std::move(tx));
  graph.actor("sink").run(sink, std::move(rx));
  auto t = steady::Telemetry::start(graph, telemetry_test::quiet());
  ASSERT_TRUE(t) << t.error();
  graph.start();
  ASSERT_TRUE(graph.block_until_stopped(10s).clean);
  const auto snap = nlohmann::json::parse(t->snapshot_json());
  const auto& names = snap["structure"]["actors"];
  const auto& actors = snap["frame"]["actors"];
  ASSERT_EQ(names.size(), actors.size());
  std::map<std::string, nlohmann::json> counters;
  for (std::size_t i = 0; i < names.size(); ++i)
    counters[names[i]["name"].get<std::string>()] = actors[i]["counters"];
  ASSERT_TRUE(counters.count("src") && counters.count("sink")) << snap.dump(1);
  EXPECT_EQ(counters["src"]["lines_read"].get<u64>(), 40u);
  EXPECT_EQ(counters["src"]["bytes_read"].get<u64>(), slurp(in).size());
  EXPECT_EQ(counters["sink"]["bytes_written"].get<u64>(), slurp(in).size());
  EXPECT_EQ(counters["sink"]["fsyncs"].get<u64>(), sink.stats().fsyncs);
  const std::string metrics = t->metrics();
  EXPECT_NE(metrics.find("steady_actor_count_total{actor=\"src\",name=\"lines_read\"} 40"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("steady_actor_count_total{actor=\"sink\",name=\"records_written\"} 40"),
            std::string::npos);
}

// Context::counter directly: one counter per name, kept across a restart of the actor.
TEST(ActorCounters, SurviveARestart) {
  auto graph = steady::GraphBuilder::for_testing().virtual_time().build();
  int incarnation = 0;
  std::uint64_t things = 0;
  graph.actor("counting").run([&incarnation, &things](steady::Context& ctx) -> steady::Task {
    auto c = ctx.counter("things");
    c.add(5);
    if (++incarnation == 1) throw std::runtime_error("first incarnation fails");
    ctx.counter("things").add(1);  // the same name is the same counter
    things = c.value();
    co_return;
  });
  graph.start();
  (void)graph.block_until_stopped(1s);
  EXPECT_EQ(incarnation, 2);
  EXPECT_EQ(things, 11u);  // 5 + 5 + 1: the second incarnation went on from the first one's total
}

}  // namespace
