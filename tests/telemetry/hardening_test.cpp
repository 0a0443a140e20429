// tests/telemetry/hardening_test.cpp — the telemetry server's hardening contracts (docs/reliability.md,
// "Telemetry server hardening"), each against a real server on 127.0.0.1 and a random free port:
//   loopback by default   the listening socket is on 127.0.0.1 (read from /proc/net/tcp), Host checked
//   read-only             every method but GET and HEAD gets 405 and changes nothing
//   bounded requests      8 KiB of head and 1 KiB of body pass; one byte more does not (431 / 413, chunked too)
//   bounded connections   event streams count, a flood beyond the bound gets 503, served ones keep working
//   no file system        files in the working directory and traversal paths are never served (404)
//   answer_bytes          the socket-free entry point the fuzzer uses answers as the server does
// telemetry_test.cpp has the first versions of some of these (4xx answers, 503); this file pins the limits.
// Every wait is on an observable condition with a deadline; nothing sleeps to synchronise.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "assets.hpp"
#include "http_client.hpp"
#include "http_server.hpp"
#include "steady/steady.hpp"
#include "steady/telemetry.hpp"

namespace {

using namespace std::chrono_literals;
namespace tel = steady::telemetry;
using telemetry_test::Conn;
using telemetry_test::get;
using telemetry_test::request;

steady::Task idle(steady::Context& ctx, steady::Rx<std::uint64_t>&) {
  while (ctx.is_running()) (void)co_await ctx.wait_for(10ms);
}
steady::Task hold(steady::Context& ctx, steady::Tx<std::uint64_t>&) {
  while (ctx.is_running()) (void)co_await ctx.wait_for(10ms);
}

// A running graph of two actors and one channel: enough for every route.
struct SmallGraph {
  steady::Graph graph = steady::GraphBuilder::for_testing().build();
  SmallGraph() {
    auto [tx, rx] = graph.channel<std::uint64_t>().name("values").capacity(8).build();
    graph.actor("source").run(hold, std::move(tx));
    graph.actor("sink").run(idle, std::move(rx));
  }
  ~SmallGraph() {
    graph.request_shutdown();
    (void)graph.block_until_stopped(5s);
  }
};

tel::Options serving(std::string bind = "127.0.0.1") {
  tel::Options o;
  o.read_environment = false;
  o.frame = 20ms;
  o.window = 2s;
  o.serve = true;
  o.bind = std::move(bind);
  o.port = 0;  // any free port
  o.port_explicit = true;
  return o;
}

// The local address of the listening TCP socket on `port` as /proc/net/tcp shows it ("0100007F" is 127.0.0.1),
// or "" when there is none.
std::string listening_address(std::uint16_t port) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // header
  char want[8];
  std::snprintf(want, sizeof want, "%04X", port);
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string slot, local, remote, state;
    f >> slot >> local >> remote >> state;
    const auto colon = local.find(':');
    if (colon == std::string::npos || state != "0A") continue;  // 0A: LISTEN
    if (local.substr(colon + 1) == want) return local.substr(0, colon);
  }
  return "";
}

std::string header(const telemetry_test::Response& r, const std::string& name) {
  const auto at = r.head.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  const auto from = at + 4 + name.size();
  return r.head.substr(from, r.head.find("\r\n", from) - from);
}

// ---------------------------------------------------------------- loopback by default

TEST(TelemetryHardening, LoopbackByDefault) {
  EXPECT_EQ(tel::Options{}.bind, "127.0.0.1");
  EXPECT_EQ(tel::HttpConfig{}.bind, "127.0.0.1");
  SmallGraph g;
  tel::Options o = serving();
  o.bind = tel::Options{}.bind;  // the default, whatever serving() says
  auto t = steady::Telemetry::start(g.graph, o);
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->url(), "http://127.0.0.1:" + std::to_string(t->port()));
  EXPECT_EQ(listening_address(t->port()), "0100007F");  // 127.0.0.1, not 0.0.0.0
  // Bound to loopback, it answers only requests addressed to a loopback name.
  EXPECT_EQ(request(t->port(), "GET /metrics HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n").status,
            403);
  EXPECT_EQ(request(t->port(), "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:1\r\nConnection: close\r\n\r\n").status,
            200);

  // The control: asked for every interface, the socket says so (the /proc reading above is not vacuous).
  SmallGraph g2;
  auto all = steady::Telemetry::start(g2.graph, serving("0.0.0.0"));
  ASSERT_TRUE(all) << all.error();
  EXPECT_EQ(listening_address(all->port()), "00000000");
}

// ---------------------------------------------------------------- read-only

TEST(TelemetryHardening, EveryMethodButGetAndHeadIs405AndChangesNothing) {
  SmallGraph g;
  auto t = steady::Telemetry::start(g.graph, serving());
  ASSERT_TRUE(t) << t.error();
  g.graph.start();
  const std::uint16_t port = t->port();
  const auto before = get(port, "/index.html");
  ASSERT_EQ(before.status, 200);
  for (const std::string method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "MKCOL"}) {
    for (const std::string path : {"/", "/index.html", "/metrics", "/events", "/snapshot.json"}) {
      const auto r = request(port, method + " " + path +
                                       " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 9\r\n\r\nreplaced!");
      EXPECT_EQ(r.status, 405) << method << " " << path;
      EXPECT_EQ(header(r, "Allow"), "GET, HEAD") << method << " " << path;
    }
  }
  // CONNECT takes an authority, not a path.
  EXPECT_EQ(request(port, "CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").status, 405);
  const auto after = get(port, "/index.html");
  ASSERT_EQ(after.status, 200);
  EXPECT_EQ(after.body, before.body);
  EXPECT_EQ(after.body.find("replaced!"), std::string::npos);
  // HEAD reads without a body.
  const auto head = request(port, "HEAD /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(header(head, "Content-Length"), std::to_string(before.body.size()));
}

// ---------------------------------------------------------------- bounded request size

TEST(TelemetryHardening, RequestSizeIsBoundedAtTheDocumentedLimits) {
  SmallGraph g;
  auto t = steady::Telemetry::start(g.graph, serving());
  ASSERT_TRUE(t) << t.error();
  const std::uint16_t port = t->port();
  const std::string start = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  // A head just under 8 KiB (request line, headers, the blank line) passes; one well over it does not. (Beast
  // applies header_limit to what it has buffered of an incomplete head, so the exact cut-off depends on how the
  // bytes arrive: a complete head of 8 KiB + 1 may pass.)
  auto head_of = [&](std::size_t total) {
    const std::size_t fixed = start.size() + std::string("X-Pad: \r\n\r\n").size();
    return start + "X-Pad: " + std::string(total - fixed, 'p') + "\r\n\r\n";
  };
  EXPECT_EQ(head_of(8000).size(), 8000u);
  EXPECT_EQ(request(port, head_of(8000)).status, 200);
  EXPECT_EQ(request(port, head_of(10'000)).status, 431);
  EXPECT_EQ(request(port, head_of(16'000)).status, 431);
  // A body of 1 KiB passes (a GET may carry one; it is ignored); 1 KiB + 1 does not, whatever the framing.
  EXPECT_EQ(request(port, start + "Content-Length: 1024\r\n\r\n" + std::string(1024, 'b')).status, 200);
  EXPECT_EQ(request(port, start + "Content-Length: 1025\r\n\r\n" + std::string(1025, 'b')).status, 413);
  std::string chunked = start + "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 12; ++i) chunked += "64\r\n" + std::string(100, 'c') + "\r\n";  // 12 x 100 bytes
  chunked += "0\r\n\r\n";
  EXPECT_EQ(request(port, chunked).status, 413);
  // A huge announced length is refused from the head alone, before any body is read.
  EXPECT_EQ(request(port, start + "Content-Length: 99999999999\r\n\r\n").status, 413);
  EXPECT_EQ(get(port, "/metrics").status, 200);  // still serving
}

// ---------------------------------------------------------------- bounded connections

TEST(TelemetryHardening, EventStreamsCountAndAFloodGets503) {
  SmallGraph g;
  tel::Options o = serving();
  o.max_connections = 3;
  auto t = steady::Telemetry::start(g.graph, o);
  ASSERT_TRUE(t) << t.error();
  g.graph.start();
  const std::uint16_t port = t->port();
  // Two event streams and one keep-alive conversation take the three connections.
  std::vector<std::unique_ptr<Conn>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<Conn>(port));
    ASSERT_TRUE(held.back()->send("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    const std::string got = held.back()->read(10s, [](const std::string& s) { return s.find("retry:") != std::string::npos; });
    ASSERT_NE(got.find("text/event-stream"), std::string::npos) << got;
  }
  auto talker = std::make_unique<Conn>(port);
  ASSERT_TRUE(talker->send("GET /structure.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  ASSERT_NE(talker->read(5s, [](const std::string& s) { return s.find("\"hash\"") != std::string::npos; }).find("200 OK"),
            std::string::npos);
  // A flood of twenty more: each is refused with 503 (or closed), none is served.
  int refused = 0;
  for (int i = 0; i < 20; ++i) {
    const auto r = get(port, "/metrics");
    EXPECT_NE(r.status, 200) << "connection " << i << " was served beyond the bound";
    refused += r.status == 503 ? 1 : 0;
  }
  EXPECT_GT(refused, 0);
  // The connections that were let in keep working.
  talker->clear();
  ASSERT_TRUE(talker->send("GET /graph.dot HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  EXPECT_NE(talker->read(5s, [](const std::string& s) { return s.find("digraph") != std::string::npos; }).find("digraph"),
            std::string::npos);
  // Once they leave, the server answers again (it notices closes asynchronously: retry, bounded).
  held.clear();
  talker.reset();
  int status = 0;
  for (int i = 0; i < 200 && status != 200; ++i) {
    status = get(port, "/metrics").status;
    if (status != 200) (void)t->wait_for_frames(t->frames() + 1, 100ms);
  }
  EXPECT_EQ(status, 200);
}

// ---------------------------------------------------------------- no file system access

// Runs in a scratch working directory holding files a file-serving server would hand out.
class ScratchDir {
 public:
  ScratchDir() {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() / ("steady_hardening_" + std::to_string(rd()));
    std::filesystem::create_directories(dir_ / "web");
    old_ = std::filesystem::current_path();
    std::filesystem::current_path(dir_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::current_path(old_, ec);
    std::filesystem::remove_all(dir_, ec);
  }
  void write(const std::string& name, const std::string& text) const { std::ofstream(dir_ / name) << text; }
  [[nodiscard]] const std::filesystem::path& path() const { return dir_; }

 private:
  std::filesystem::path dir_, old_;
};

TEST(TelemetryHardening, NoFileIsEverServed) {
  ScratchDir scratch;
  const std::string secret = "TOP-SECRET-" + std::to_string(std::random_device{}());
  scratch.write("secret.txt", secret);
  scratch.write("index.html", "FAKE-INDEX " + secret);
  scratch.write("web/app.js", "FAKE-APP " + secret);
  SmallGraph g;
  auto t = steady::Telemetry::start(g.graph, serving());
  ASSERT_TRUE(t) << t.error();
  const std::uint16_t port = t->port();
  const std::string dirname = scratch.path().filename().string();
  const std::string abs = (scratch.path() / "secret.txt").string();
  const std::vector<std::string> targets = {"/secret.txt", "/./secret.txt", "//secret.txt", "/web/app.js", "/%2e%2e/" + dirname + "/secret.txt",
        "/../" + dirname + "/secret.txt", "/index.html/../secret.txt", "/app.js/../../secret.txt", "/..%2fsecret.txt",
        "/secret.txt%00.html", "/%5csecret.txt", abs, "/" + abs, "/../../../../../../../.." + abs,
        "/../../etc/passwd", "/etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/proc/self/environ",
        "http://127.0.0.1/secret.txt", "secret.txt", "*"};
  for (const std::string& target : targets) {
    const auto r = request(port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(r.status == 404 || r.status == 400) << target << " -> " << r.status;
    EXPECT_EQ(r.body.find(secret), std::string::npos) << target;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << target;
  }
  // The UI comes from the library, not from the working directory.
  for (const std::string path : {"/", "/index.html", "/app.js"}) {
    const auto r = get(port, path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body.find(secret), std::string::npos) << path;
  }
  std::size_t served = 0;
  for (std::size_t i = 0; i < tel::kAssetCount; ++i) {
    const auto r = get(port, std::string(tel::kAssets[i].path));
    served += r.status == 200 && r.body == tel::kAssets[i].data ? 1 : 0;
  }
  EXPECT_EQ(served, tel::kAssetCount);
}

// ---------------------------------------------------------------- the fuzzer's entry point

int status_of(const std::string& wire) {
  return wire.rfind("HTTP/1.", 0) == 0 && wire.size() > 12 ? std::stoi(wire.substr(9, 3)) : 0;
}

// answer_bytes (what fuzz/http_request.cpp drives) decides as the live server does, request for request.
TEST(TelemetryHardening, AnswerBytesAnswersAsTheServerDoes) {
  SmallGraph g;
  auto t = steady::Telemetry::start(g.graph, serving());
  ASSERT_TRUE(t) << t.error();
  const tel::HttpServer::Handler assets = [](const std::string& path, const std::string&) {
    const std::string asset = path == "/" ? "/index.html" : path;
    for (std::size_t i = 0; i < tel::kAssetCount; ++i)
      if (tel::kAssets[i].path == asset)
        return tel::HttpReply{200, std::string(tel::kAssets[i].content_type), std::string(tel::kAssets[i].data), {}};
    return tel::HttpReply{404, "text/plain; charset=utf-8", "not found\n", {}};
  };
  const std::string host = "Host: 127.0.0.1\r\nConnection: close\r\n";
  const std::vector<std::string> requests = {
      "GET / HTTP/1.1\r\n" + host + "\r\n",
      "GET /app.js?v=2 HTTP/1.1\r\n" + host + "\r\n",
      "GET /no/such HTTP/1.1\r\n" + host + "\r\n",
      "HEAD /style.css HTTP/1.1\r\n" + host + "\r\n",
      "GARBAGE\r\n\r\n",
      "GET / HTTP/1.1\r\nBad Header Line\r\n\r\n",
      "DELETE / HTTP/1.1\r\n" + host + "\r\n",
      "GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n",
      "GET / HTTP/1.1\r\n" + host + "X-Big: " + std::string(9000, 'x') + "\r\n\r\n",
      "GET / HTTP/1.1\r\n" + host + "Content-Length: 2000\r\n\r\n" + std::string(2000, 'y'),
  };
  for (const std::string& raw : requests) {
    const std::string offline = tel::answer_bytes(raw, tel::HttpConfig{}, true, assets);
    const auto live = request(t->port(), raw);
    EXPECT_EQ(status_of(offline), live.status) << raw.substr(0, 60);
    EXPECT_NE(status_of(offline), 0) << raw.substr(0, 60);
  }
  // Keep-alive: both pipelined answers, in order; the event stream ends the answer.
  const std::string two = tel::answer_bytes(
      "GET /app.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /events "
      "HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET / HTTP/1.1\r\n\r\n",
      tel::HttpConfig{}, true, assets);
  const auto first = two.find("HTTP/1.1 200 OK");
  const auto second = two.find("HTTP/1.1 404 Not Found");
  ASSERT_NE(first, std::string::npos) << two.substr(0, 200);
  ASSERT_NE(second, std::string::npos);
  EXPECT_LT(first, second);
  EXPECT_EQ(two.substr(two.size() - 15), "[event stream]\n");
  // The client shut its side: after no request at all, a quiet close; in the middle of one, a 400.
  EXPECT_EQ(tel::answer_bytes("", tel::HttpConfig{}, true, assets), "");
  EXPECT_EQ(status_of(tel::answer_bytes("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nab",
                                        tel::HttpConfig{}, true, assets)),
            400);
}

}  // namespace
