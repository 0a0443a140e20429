// State<S>: kept across restarts, persisted atomically, checked on load, and surviving SIGKILL of the process.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <steady/testing/matchers.hpp>

extern char** environ;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/steady-state-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

struct Pair {
  std::uint64_t a, b;
};

// A child process whose stdout we read line by line.
struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;
  explicit Child(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) throw std::runtime_error("spawn");
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    out = fdopen(fds[0], "r");
  }
  bool line(std::string& l) {
    char buf[256];
    if (fgets(buf, sizeof buf, out) == nullptr) return false;
    l = buf;
    return true;
  }
  int wait_exit() {
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return status;
  }
  ~Child() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (out != nullptr) fclose(out);
  }
};

std::pair<std::uint64_t, std::uint64_t> parse(const std::string& line, const char* word) {
  unsigned long long a = 0, b = 0;
  const std::string fmt = std::string(word) + " %llu %llu";
  if (std::sscanf(line.c_str(), fmt.c_str(), &a, &b) != 2) return {~0ULL, ~0ULL};
  return {a, b};
}

}  // namespace

TEST(State, PersistsAndReloadsInProcess) {
  TempDir dir;
  const fs::path file = dir.path / "pair.state";
  {
    auto g = steady::GraphBuilder::for_testing().build();
    auto s = g.state<Pair>("pair").init(Pair{1, 2}).persist(file).build();
    ASSERT_TRUE(s) << s.error();
    EXPECT_EQ((*s)->a, 1u);
    (*s)->a = 40;
    (*s)->b = 2;
    ASSERT_TRUE(s->commit());
    EXPECT_EQ(s->writes(), 1u);
  }
  auto g = steady::GraphBuilder::for_testing().build();
  auto s = g.state<Pair>("pair").init(Pair{1, 2}).persist(file).build();
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ((*s)->a, 40u);
  EXPECT_FALSE(fs::exists(file.string() + ".tmp"));
}

TEST(State, CorruptTruncatedAndVersionMismatchedFilesAreClearErrors) {
  TempDir dir;
  const fs::path file = dir.path / "pair.state";
  {
    auto g = steady::GraphBuilder::for_testing().build();
    auto s = g.state<Pair>("pair").persist(file).build();
    ASSERT_TRUE(s);
    (*s)->a = 7;
    ASSERT_TRUE(s->commit());
  }
  const auto bytes = fs::file_size(file);
  {  // flip one payload byte
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(bytes - 1));
    f.put('\x5a');
  }
  auto g = steady::GraphBuilder::for_testing().build();
  auto bad = g.state<Pair>("pair").persist(file).build();
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("corrupt"), std::string::npos) << bad.error();
  EXPECT_NE(bad.error().find(file.string()), std::string::npos) << bad.error();
  EXPECT_NE(bad.error().find("Refusing to start"), std::string::npos) << bad.error();

  fs::resize_file(file, bytes - 3);  // cut short
  auto cut = g.state<Pair>("pair").persist(file).build();
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().find("cut short"), std::string::npos) << cut.error();

  {  // a valid file of another version
    auto g2 = steady::GraphBuilder::for_testing().build();
    fs::remove(file);
    auto v2 = g2.state<Pair>("pair").version(2).persist(file).build();
    ASSERT_TRUE(v2);
    ASSERT_TRUE(v2->commit());
  }
  auto v1 = g.state<Pair>("pair").version(1).persist(file).build();
  ASSERT_FALSE(v1);
  EXPECT_NE(v1.error().find("version 2"), std::string::npos) << v1.error();

  // Asked explicitly: the bad file is moved aside (kept), and the state starts fresh.
  auto fresh = g.state<Pair>("pair").init(Pair{9, 9}).persist(file).start_fresh_if_corrupt().build();
  ASSERT_TRUE(fresh) << fresh.error();
  EXPECT_EQ((*fresh)->a, 9u);
  bool kept = false;
  for (const auto& e : fs::directory_iterator(dir.path))
    if (e.path().filename().string().rfind("pair.state.corrupt-", 0) == 0) kept = true;
  EXPECT_TRUE(kept);
}

TEST(State, SurvivesRestartsOfItsActor) {
  steady::testing::Harness h;
  auto totals = h.graph().state<Pair>("totals").init(Pair{0, 0}).build();
  ASSERT_TRUE(totals);
  auto& in = h.input<int>("in");
  h.actor("adder").run(
      [](steady::Context& ctx, steady::Rx<int>& rx, steady::State<Pair>& st) -> steady::Task {
        st->b += 1;  // incarnations
        while (ctx.is_running([&] { return rx.is_closed_and_empty(); })) {
          co_await ctx.wait_avail(rx, 1);
          const int* v = rx.try_peek();
          if (v != nullptr && *v == 3 && ctx.restarts() == 0) throw std::runtime_error("three");
          if (v != nullptr) {
            st->a += static_cast<std::uint64_t>(*v);
            rx.advance_take(1);
          }
          if (rx.is_closed_and_empty()) co_return;
        }
      },
      in.end(), *totals);
  in.push({1, 2, 3, 4});
  in.close();
  h.run_until_idle();
  h.advance(1s);
  EXPECT_THAT(h.run_to_stop(1s), steady::testing::IsCleanStop());
  EXPECT_EQ((*totals)->a, 10u);  // 1+2+3+4, each once
  EXPECT_EQ((*totals)->b, 2u);   // two incarnations saw the same state object
}

TEST(State, AKilledProcessResumesFromItsLastCommittedWrite) {
  TempDir dir;
  const std::string file = (dir.path / "totals.state").string();
  std::uint64_t last_committed = 0, last_sum = 0;
  {
    Child c({STATE_CHILD, file});
    std::string l;
    ASSERT_TRUE(c.line(l));
    EXPECT_EQ(parse(l, "loaded").first, 0u);
    while (last_committed < 150 && c.line(l)) std::tie(last_committed, last_sum) = parse(l, "committed");
    ASSERT_EQ(last_committed, 150u);
    kill(c.pid, SIGKILL);  // mid-run, no chance to flush or clean up
    const int st = c.wait_exit();
    ASSERT_TRUE(WIFSIGNALED(st));
  }
  Child again({STATE_CHILD, file});
  std::string l;
  ASSERT_TRUE(again.line(l));
  const auto [loaded, sum] = parse(l, "loaded");
  // Every commit before the printed line is on disk; the kill may have landed after one more commit.
  EXPECT_GE(loaded, last_committed);
  EXPECT_LE(loaded, last_committed + 1);
  EXPECT_EQ(sum, loaded * (loaded + 1) / 2) << "the record is whole (both fields from the same write)";
  std::uint64_t next = 0;
  ASSERT_TRUE(again.line(l));
  next = parse(l, "committed").first;
  EXPECT_EQ(next, loaded + 1) << "counting resumes where the file left off";
  kill(again.pid, SIGTERM);
  const int st = again.wait_exit();
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "a clean stop on SIGTERM";

  // Now corrupt the file: the service refuses to start, and says why.
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x01');
  }
  Child refused({STATE_CHILD, file});
  std::string any;
  EXPECT_FALSE(refused.line(any)) << "nothing starts: " << any;
  const int rs = refused.wait_exit();
  EXPECT_TRUE(WIFEXITED(rs));
  EXPECT_EQ(WEXITSTATUS(rs), 2);
}
