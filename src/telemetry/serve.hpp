// src/telemetry/serve.hpp — what a process's telemetry (telemetry.cpp) and the hub (hub.cpp) serve the same way: the
// server's configuration from their options, plain-text replies, the embedded UI files, one frame as a
// Server-Sent Event, and /graph.svg rendered at most once per frame. Each caller keeps its own routes and its own
// error prefix; only the shared steps live here. Internal (only telemetry.cpp and hub.cpp include it).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "assets.hpp"
#include "exposition.hpp"
#include "http_server.hpp"
#include "layout.hpp"

namespace steady::telemetry {

// The server's configuration from any options with `bind`, `port`, `port_explicit` and `max_connections`
// (telemetry::Options, HubOptions): at least 2 connections, so a page and its event stream always fit.
template <class Listen>
[[nodiscard]] HttpConfig http_config(const Listen& o) {
  HttpConfig config;
  config.bind = o.bind;
  config.port = o.port;
  config.port_explicit = o.port_explicit;
  config.max_connections = std::max<std::size_t>(2, o.max_connections);
  return config;
}

[[nodiscard]] inline HttpReply text_reply(unsigned status, std::string body,
                                          std::string type = "text/plain; charset=utf-8") {
  return HttpReply{status, std::move(type), std::move(body), {}};
}

// The UI file embedded at `path` ("/" is the page, served with its Content-Security-Policy), or nothing.
[[nodiscard]] inline std::optional<HttpReply> asset_reply(const std::string& path) {
  const std::string asset = path == "/" ? "/index.html" : path;
  for (std::size_t i = 0; i < kAssetCount; ++i) {
    if (kAssets[i].path != asset) continue;
    HttpReply r = text_reply(200, std::string(kAssets[i].data), std::string(kAssets[i].content_type));
    if (asset == "/index.html")
      r.headers.emplace_back("Content-Security-Policy",
                             "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'");
    return r;
  }
  return std::nullopt;
}

// One frame, already as JSON (frame_json), as the /events message.
[[nodiscard]] inline std::shared_ptr<const std::string> frame_event(const Frame& f, const std::string& json) {
  return std::make_shared<const std::string>("event: frame\nid: " + std::to_string(f.seq) + "\ndata: " + json +
                                             "\n\n");
}

// GET /graph.svg: the live graph laid out by Graphviz, rendered again only when the frame changed. Any thread.
class LiveSvg {
 public:
  [[nodiscard]] HttpReply reply(const Structure& s, const Frame* f) {
    const std::uint64_t at = f ? f->seq : 0;
    std::lock_guard lock(mu_);
    if (at != seq_) {
      auto rendered = render_svg(dot_text(s, f, DotStyle::live));
      if (!rendered) return text_reply(500, rendered.error() + "\n");
      svg_ = std::move(rendered.value());
      seq_ = at;
    }
    return text_reply(200, svg_, "image/svg+xml");
  }

 private:
  std::mutex mu_;
  std::uint64_t seq_ = ~std::uint64_t{0};  // no frame rendered yet (0 is "no frame")
  std::string svg_;
};

}  // namespace steady::telemetry
