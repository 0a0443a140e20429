// example.09_prebuilt_service: the real example_09_prebuilt_service binary, driven from outside. It POSTs
// real HTTP requests on 127.0.0.1 to the port the service picked, and checks that the records file holds
// exactly the parsed records, in the order they were sent; that the console side prints the source file's
// lines (also one appended while it runs: the source follows the file); and that SIGTERM gives a clean stop
// (exit status 0). Every wait polls for a condition with a deadline; nothing sleeps to synchronise.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bridge/process.hpp"
#include "telemetry/http_client.hpp"

#ifndef EXAMPLE09_BINARY
#error "EXAMPLE09_BINARY (the path of example_09_prebuilt_service) must be defined"
#endif

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using bridge_test::in;
using bridge_test::Process;

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() /
            ("steady_example09_" + std::to_string(::getpid()) + "_" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// Polls the file until it holds `want` (or the deadline passes); returns what it held last.
std::string wait_for_content(const fs::path& p, const std::string& want, std::chrono::milliseconds timeout) {
  const auto deadline = in(timeout);
  std::string got;
  while (std::chrono::steady_clock::now() < deadline) {
    got = read_file(p);
    if (got == want || got.size() > want.size()) return got;
    ::poll(nullptr, 0, 20);  // the poll period of this wait, not synchronisation
  }
  return got;
}

// True once the process has printed `line` (as a whole line), earlier or within the deadline.
bool printed(Process& p, const std::string& line, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    if (("\n" + p.all_output()).find("\n" + line + "\n") != std::string::npos) return true;
    if (!p.next_line(deadline)) return false;
  }
}

telemetry_test::Response post(std::uint16_t port, const std::string& path, const std::string& body) {
  return telemetry_test::request(port, "POST " + path +
                                           " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                                           "Content-Length: " +
                                           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
                                           body);
}

TEST(Example09Service, PostedRecordsReachTheFileInOrderTheSourceIsPrintedAndSigtermStopsCleanly) {
  TempDir dir;
  const fs::path records = dir.path() / "records.log";
  const fs::path source = dir.path() / "source.log";
  {
    std::ofstream s(source);
    s << "first source line\nsecond source line\n";
  }
  Process p({EXAMPLE09_BINARY, "--port", "0", "--records", records.string(), "--source", source.string(),
             "--telemetry-port", "0", "--log-level", "warn"});
  const auto listening = p.wait_line("listening: http://127.0.0.1:", in(30s));
  ASSERT_TRUE(listening.has_value()) << "no 'listening:' line; output:\n" << p.all_output();
  const std::string prefix = "listening: http://127.0.0.1:";
  const auto port = static_cast<std::uint16_t>(std::stoi(listening->substr(prefix.size())));
  ASSERT_GT(port, 0);

  // The bodies, one request each, sent one after the other (each answered 202 before the next is sent).
  const std::vector<std::string> bodies{"User=ann action=login", "b=2 a=1\nthis is not a record\nZ=26",
                                        "not=valid not=twice", "item=42 qty=3 Price=9.50"};
  for (const std::string& body : bodies) {
    const telemetry_test::Response r = post(port, "/ingest", body);
    ASSERT_EQ(r.status, 202) << "POST " << body << " answered:\n" << r.head << "\n" << r.body;
  }
  EXPECT_EQ(post(port, "/elsewhere", "a=1").status, 404) << "only /ingest takes POSTs";
  const std::string want = "action=login user=ann\na=1 b=2\nz=26\nitem=42 price=9.50 qty=3\n";
  EXPECT_EQ(wait_for_content(records, want, 30s), want)
      << "the records file: exactly the parsed records, in order";

  // The console side: the file's lines, then one appended while the service runs (the source follows the
  // file).
  EXPECT_TRUE(printed(p, "source: first source line", in(30s))) << p.all_output();
  EXPECT_TRUE(printed(p, "source: second source line", in(30s))) << p.all_output();
  {
    std::ofstream s(source, std::ios::app);
    s << "appended while running\n";
  }
  EXPECT_TRUE(printed(p, "source: appended while running", in(30s))) << p.all_output();

  p.signal(SIGTERM);
  const auto status = p.wait_exit(in(30s));
  ASSERT_TRUE(status.has_value()) << "still running 30 s after SIGTERM; output:\n" << p.all_output();
  EXPECT_EQ(*status, 0) << "not a clean stop; output:\n" << p.all_output();
  const std::string out = p.all_output();
  EXPECT_NE(out.find("clean stop"), std::string::npos) << out;
  EXPECT_NE(out.find("summary bodies=4 records=4 rejected=2 written=4 printed=3"), std::string::npos) << out;
  EXPECT_EQ(read_file(records), want) << "nothing more, nothing less after the stop";
}

TEST(Example09Service, APortInUseIsAClearErrorNotAHang) {
  TempDir dir;
  // Occupy a port with a first instance, then start a second one on it.
  Process first({EXAMPLE09_BINARY, "--port", "0", "--records", (dir.path() / "a.log").string(), "--source",
                 (dir.path() / "a.src").string(), "--no-telemetry", "--log-level", "warn"});
  const auto listening = first.wait_line("listening: http://127.0.0.1:", in(30s));
  ASSERT_TRUE(listening.has_value()) << first.all_output();
  const std::string port = listening->substr(std::string("listening: http://127.0.0.1:").size());
  const std::string port_number = port.substr(0, port.find('/'));

  Process second({EXAMPLE09_BINARY, "--port", port_number, "--records", (dir.path() / "b.log").string(),
                  "--source", (dir.path() / "b.src").string(), "--no-telemetry", "--log-level", "warn"});
  const auto status = second.wait_exit(in(60s));
  ASSERT_TRUE(status.has_value()) << "the second instance did not exit; output:\n" << second.all_output();
  EXPECT_EQ(*status, 1) << second.all_output();
  EXPECT_NE(second.all_output().find(port_number), std::string::npos)
      << "the stop report names the port; output:\n"
      << second.all_output();

  first.signal(SIGTERM);
  const auto first_status = first.wait_exit(in(30s));
  ASSERT_TRUE(first_status.has_value());
  EXPECT_EQ(*first_status, 0) << first.all_output();
}

}  // namespace
