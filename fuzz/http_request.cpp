// fuzz/http_request.cpp — libFuzzer target: the telemetry server's request handling (src/telemetry/http_answer.cpp)
// on arbitrary bytes from a client.
//
// The input is everything one connection sends. telemetry::answer_bytes runs it through the server's own parser
// limits and decisions (the code its connections run, minus the socket), once bound to loopback (Host check on) and
// once not. Under libFuzzer it links only http_answer.cpp and the UI assets (steady_fuzz_http_answer), not the
// server's sockets and coroutines, which clang 14 cannot instrument (src/telemetry/http_answer.hpp). The handler stands in for Telemetry's routes: the embedded UI assets by exact path, 404 otherwise.
// Checked on every input, beyond "no crash, no sanitizer report, no hang":
//   - every answer is one the server documents: 200, 400, 403, 404, 405, 413 or 431;
//   - the handler sees the path without its query.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "assets.hpp"
#include "http_server.hpp"

namespace tel = steady::telemetry;

namespace {

void check(bool ok, const std::string& what, std::string_view input) {
  if (ok) return;
  std::cerr << "fuzz_http_request: " << what << "\n  input: " << std::string(input.substr(0, 300)) << "\n";
  std::abort();
}

// Every status line in the answer ("HTTP/1.x NNN ...", at the start of each response).
void check_answer(const std::string& out, std::string_view input) {
  std::size_t at = 0;
  while ((at = out.find("HTTP/1.", at)) != std::string::npos) {
    if (at != 0 && out.compare(at - 2, 2, "\r\n") != 0) {  // inside a body (an asset mentioning HTTP/1.)
      ++at;
      continue;
    }
    const std::string status = out.substr(at + 9, 3);
    check(status == "200" || status == "400" || status == "403" || status == "404" || status == "405" ||
              status == "413" || status == "431",
          "an undocumented status " + status, input);
    at += 12;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const tel::HttpConfig config;  // the defaults Telemetry uses: 127.0.0.1, /events
  for (const bool loopback : {true, false}) {
    const tel::HttpServer::Handler handler = [&](const std::string& path, const std::string& query) {
      check(path.find('?') == std::string::npos, "the handler got a path with a query", in);
      (void)query;
      const std::string asset = path == "/" ? "/index.html" : path;
      for (std::size_t i = 0; i < tel::kAssetCount; ++i)
        if (tel::kAssets[i].path == asset)
          return tel::HttpReply{200, std::string(tel::kAssets[i].content_type), std::string(tel::kAssets[i].data), {}};
      return tel::HttpReply{404, "text/plain; charset=utf-8", "not found: " + path + "\n", {}};
    };
    const std::string out = tel::answer_bytes(in, config, loopback, handler);
    check_answer(out, in);
  }
  return 0;
}
