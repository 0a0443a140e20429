// src/telemetry/telemetry.cpp — steady::Telemetry: options and environment, the routes of the HTTP server, the
// recording file, and the glue between the collector and the server.
#include "steady/telemetry.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>

#include "../graph_core.hpp"
#include "collector.hpp"
#include "exposition.hpp"
#include "http_server.hpp"
#include "layout.hpp"
#include "serve.hpp"
#include "steady/log.hpp"

namespace steady {

using namespace telemetry;

namespace {
// The graph's stop reaches the collector through this, for as long as the collector exists (the graph may stop
// after the Telemetry is gone: then the hook does nothing).
struct FinalLink {
  std::mutex mu;
  Collector* collector = nullptr;
};
}  // namespace

class Telemetry::Impl {
 public:
  Options options;
  std::shared_ptr<const Structure> structure;
  std::string layout_svg;
  std::string layout_error;
  std::unique_ptr<Collector> collector;
  std::unique_ptr<HttpServer> server;
  std::string url;
  std::uint16_t port = 0;

  std::ofstream record;  // collector thread only, once started
  std::shared_ptr<FinalLink> link;

  LiveSvg live_svg;  // /graph.svg

  ~Impl() {
    if (link) {
      std::lock_guard lock(link->mu);  // waits for a final frame being taken right now
      link->collector = nullptr;
    }
    if (collector) collector->stop();  // no more frames (the listener uses the server)
    server.reset();                    // no more requests (they read the collector's last frame)
    collector.reset();
  }

  [[nodiscard]] HttpReply route(const std::string& path, const std::string& query);
  void on_frame(const FramePtr& f);
  [[nodiscard]] std::vector<std::shared_ptr<const std::string>> greeting() const;
  [[nodiscard]] std::string snapshot() const {
    const FramePtr f = collector->latest();
    return telemetry::snapshot_json(*structure, f.get(), options);
  }
  [[nodiscard]] std::string metrics() const {
    const FramePtr f = collector->latest();
    return metrics_text(*structure, f.get(), options, collector->frames());
  }
  [[nodiscard]] std::string dot() const {
    const FramePtr f = collector->latest();
    return dot_text(*structure, f.get(), DotStyle::live);
  }
};

namespace {

const std::string kEmpty;

// Environment overrides (the command line has its own, through steady::ops).
Result<bool> read_environment(Options& o) {
  if (const char* bind = std::getenv("STEADY_TELEMETRY_BIND"); bind != nullptr && *bind != '\0') o.bind = bind;
  if (const char* port = std::getenv("STEADY_TELEMETRY_PORT"); port != nullptr && *port != '\0') {
    unsigned value = 0;
    const char* end = port + std::strlen(port);
    const auto [p, ec] = std::from_chars(port, end, value);
    if (ec != std::errc{} || p != end || value > 65535)
      return Error{std::string("telemetry: STEADY_TELEMETRY_PORT='") + port + "' is not a port number (0..65535)"};
    o.port = static_cast<std::uint16_t>(value);
    o.port_explicit = true;
  }
  return true;
}

}  // namespace

std::vector<std::shared_ptr<const std::string>> Telemetry::Impl::greeting() const {
  std::vector<std::shared_ptr<const std::string>> out;
  if (const FramePtr f = collector->latest()) out.push_back(frame_event(*f, frame_json(*f, options)));
  return out;
}

// Collector thread, after each frame.
void Telemetry::Impl::on_frame(const FramePtr& f) {
  const bool stream = server && server->event_clients() > 0;
  if (!stream && !record.is_open()) return;
  const std::string json = frame_json(*f, options);
  if (record.is_open()) {
    record << json << '\n';
    record.flush();  // a killed process loses at most the frame being written
  }
  if (stream) server->broadcast(frame_event(*f, json));
}

HttpReply Telemetry::Impl::route(const std::string& path, const std::string& query) {
  (void)query;
  if (auto asset = asset_reply(path)) return std::move(*asset);
  if (path == "/snapshot.json") return text_reply(200, snapshot(), "application/json");
  if (path == "/structure.json") return text_reply(200, structure_json(*structure), "application/json");
  if (path == "/history.json")
    return text_reply(200, history_json(*structure, collector->history()), "application/json");
  if (path == "/metrics") return text_reply(200, metrics(), "text/plain; version=0.0.4; charset=utf-8");
  if (path == "/graph.dot") return text_reply(200, dot(), "text/vnd.graphviz; charset=utf-8");
  if (path == "/layout.svg") {
    if (layout_svg.empty()) return text_reply(500, layout_error + "\n");
    return text_reply(200, layout_svg, "image/svg+xml");
  }
  if (path == "/graph.svg") return live_svg.reply(*structure, collector->latest().get());
  return text_reply(404,
                    "not found: " + path + "\n(try /, /graph.dot, /graph.svg, /snapshot.json, /events, /metrics)\n");
}

// ---------------------------------------------------------------- Telemetry

Result<Telemetry> Telemetry::start(Graph& graph, Options options) {
  Telemetry t;
  if (!options.enabled) return t;
  if (options.read_environment) {
    if (auto env = read_environment(options); !env) return Error{env.error()};
  }
  options.frame = std::clamp(options.frame, std::chrono::milliseconds(20), std::chrono::milliseconds(10'000));
  options.window = std::max(options.window, 2 * options.frame);
  for (double& p : options.percentiles) p = std::clamp(p, 0.0, 100.0);
  if (options.percentiles.empty()) options.percentiles = {50};

  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->structure = read_structure(graph.core(), options.title);
  if (auto svg = render_svg(dot_text(*impl->structure, nullptr, DotStyle::layout))) {
    impl->layout_svg = std::move(svg.value());
  } else {
    impl->layout_error = svg.error();
    log(LogLevel::warn, svg.error() + "; the UI shows no graph, the other endpoints work");
  }
  if (!options.record_path.empty()) {
    impl->record.open(options.record_path, std::ios::out | std::ios::trunc);
    if (!impl->record)
      return Error{"telemetry: cannot write the recording '" + options.record_path + "': " + std::strerror(errno)};
    impl->record << recording_header(*impl->structure, impl->options, impl->layout_svg) << '\n';
    impl->record.flush();
  }
  impl->collector = std::make_unique<Collector>(graph.core(), impl->options, impl->structure);
  if (options.serve) {
    Impl* self = impl.get();
    auto server = HttpServer::start(
        http_config(options), [self](const std::string& path, const std::string& query) { return self->route(path, query); },
        [self] { return self->greeting(); });
    if (!server) return Error{server.error()};
    impl->server = std::move(server.value());
    impl->url = impl->server->url();
    impl->port = impl->server->port();
  }
  Impl* self = impl.get();
  impl->collector->start([self](const FramePtr& f) { self->on_frame(f); });
  // Telemetry stops last: when the graph stops (block_until_stopped, or the Graph's destructor), after its actors'
  // threads have been joined, the collector takes the final frame, and from then on never reads the graph again.
  impl->link = std::make_shared<FinalLink>();
  impl->link->collector = impl->collector.get();
  graph.core().on_stop.push_back([link = impl->link] {
    std::lock_guard lock(link->mu);
    if (link->collector != nullptr) link->collector->take_final_frame();
  });
  t.impl_ = std::move(impl);
  return t;
}

Telemetry::Telemetry(Telemetry&&) noexcept = default;
Telemetry& Telemetry::operator=(Telemetry&&) noexcept = default;
Telemetry::~Telemetry() = default;

bool Telemetry::active() const noexcept { return impl_ != nullptr; }
bool Telemetry::serving() const noexcept { return impl_ != nullptr && impl_->server != nullptr; }
const std::string& Telemetry::url() const noexcept { return impl_ ? impl_->url : kEmpty; }
std::uint16_t Telemetry::port() const noexcept { return impl_ ? impl_->port : 0; }
std::uint64_t Telemetry::frames() const noexcept { return impl_ ? impl_->collector->frames() : 0; }

bool Telemetry::wait_for_frames(std::uint64_t n, std::chrono::milliseconds timeout) const {
  return impl_ && impl_->collector->wait_for_frames(n, timeout);
}

std::string Telemetry::snapshot_json() const { return impl_ ? impl_->snapshot() : "null"; }
std::string Telemetry::metrics() const { return impl_ ? impl_->metrics() : std::string(); }
std::string Telemetry::dot() const { return impl_ ? impl_->dot() : std::string(); }

}  // namespace steady
