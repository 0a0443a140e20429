// tests/actors/file_source_crash_test.cpp — a FileSource killed mid-file (SIGKILL) and restarted resumes
// exactly where it committed. The child (file_pipe) runs file source → file sink with the offset persisted in
// a State.
//
// What is checked, with real processes and files:
//   - the first run's output is an exact prefix of the input (nothing lost, nothing doubled, in order);
//   - the offset it committed is at a line boundary no further than what its output holds (a committed line
//   is
//     always in the output), and at most one channel's worth behind it (the documented redelivery window);
//   - the second run's output is exactly the input from the committed line on;
//   - so the first run up to its committed line plus the second run is every line exactly once, in order.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "process.hpp"

#ifndef STEADY_FILE_PIPE
#error "STEADY_FILE_PIPE must name the file_pipe test program"
#endif

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using bridge_test::in;
using bridge_test::Process;

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (std::size_t nl; (nl = text.find('\n', from)) != std::string::npos; from = nl + 1)
    out.push_back(text.substr(from, nl - from));
  return out;
}

TEST(FileSourceCrash, KilledMidFileResumesExactlyAtTheCommittedLine) {
  std::random_device rd;
  const fs::path dir =
      fs::temp_directory_path() / ("steady_crash_" + std::to_string(::getpid()) + "_" + std::to_string(rd()));
  fs::create_directories(dir);
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{dir};
  const std::string input = (dir / "in.log").string(), out1 = (dir / "out1.log").string(),
                    out2 = (dir / "out2.log").string(), state = (dir / "in.offset").string();
  constexpr int kLines = 15'000;  // about 0.45 MB; a commit (an fsync'd state write) per pass
  std::vector<std::string> want;
  std::vector<std::uint64_t> end_of;  // byte offset after each line
  {
    std::ofstream f(input, std::ios::binary);
    std::uint64_t at = 0;
    for (int i = 0; i < kLines; ++i) {
      want.push_back("record " + std::to_string(i) + " " +
                     std::string(static_cast<std::size_t>(i % 37), 'x'));
      f << want.back() << '\n';
      at += want.back().size() + 1;
      end_of.push_back(at);
    }
  }

  // Run 1: wait until part of the file is through, then kill -9.
  {
    Process child({STEADY_FILE_PIPE, input, out1, state});
    ASSERT_TRUE(child.wait_line("resume 0 0", in(10s))) << child.all_output();
    ASSERT_TRUE(child.wait_line("running", in(10s))) << child.all_output();
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!fs::exists(out1) || fs::file_size(out1) < 60'000) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the child wrote too little";
      std::this_thread::sleep_for(1ms);  // polling a condition with a deadline
    }
    child.signal(SIGKILL);
    const auto status = child.wait_exit(in(10s));
    ASSERT_TRUE(status.has_value());
    ASSERT_EQ(*status, -SIGKILL) << "the child finished before it was killed: make the input larger";
  }
  const auto got1 = lines_of(slurp(out1));
  ASSERT_GT(got1.size(), 0u);
  ASSERT_LT(got1.size(), static_cast<std::size_t>(kLines)) << "killed too late to be mid-file";
  for (std::size_t i = 0; i < got1.size(); ++i) ASSERT_EQ(got1[i], want[i]) << "run 1, line " << i;

  // Run 2: resumes from the committed offset and runs to the end.
  std::uint64_t offset = 0, committed = 0;
  {
    Process child({STEADY_FILE_PIPE, input, out2, state});
    const auto resume = child.wait_line("resume ", in(10s));
    ASSERT_TRUE(resume) << child.all_output();
    std::istringstream(resume->substr(7)) >> offset >> committed;
    ASSERT_TRUE(child.wait_line("done", in(60s))) << child.all_output();
    const auto status = child.wait_exit(in(10s));
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(*status, 0);
  }
  std::cout << "run 1 wrote " << got1.size() << " lines, committed " << committed
            << "; run 2 resumed at byte " << offset << std::endl;
  ASSERT_GT(committed, 0u);
  ASSERT_LE(committed, got1.size()) << "committed a line that never reached the output";
  EXPECT_LE(got1.size() - committed, 64u) << "redelivered more than one channel's worth";
  EXPECT_EQ(offset, end_of[committed - 1]) << "the committed offset is not the end of the committed line";

  const auto got2 = lines_of(slurp(out2));
  ASSERT_EQ(got2.size(), kLines - committed);
  for (std::size_t i = 0; i < got2.size(); ++i)
    ASSERT_EQ(got2[i], want[committed + i]) << "run 2, line " << i;

  // The union: run 1 up to its committed line, then run 2 — every line exactly once, in order.
  std::vector<std::string> all(got1.begin(), got1.begin() + static_cast<std::ptrdiff_t>(committed));
  all.insert(all.end(), got2.begin(), got2.end());
  EXPECT_EQ(all, want);
}

}  // namespace
