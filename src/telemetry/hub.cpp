// src/telemetry/hub.cpp — steady::telemetry::Hub: the peers' answers, the merge once per frame, the layout when the
// merged structure changes, and the routes (the UI assets and the formats of exposition.cpp, as a process serves
// them, with serve.hpp's shared steps).
#include "hub.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "exposition.hpp"
#include "http_server.hpp"
#include "hub_client.hpp"
#include "hub_merge.hpp"
#include "layout.hpp"
#include "serve.hpp"
#include "steady/log.hpp"

namespace steady::telemetry {

namespace {

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct Hub::Impl {
  HubOptions options;
  Options view;  // what the UI is told (frame, window, percentiles); the peers' figures are read for these
  std::size_t window_frames = 2;
  std::vector<PeerState> peers;  // poller thread only (and start(), before the poller)
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_tick = started;
  std::uint64_t seq = 0;  // poller thread
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<Poller> poller;

  // published by the poller thread, read by the server's
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::shared_ptr<const Structure> structure;
  FramePtr frame;
  std::string layout_svg, layout_error;
  std::deque<FramePtr> history;  // the merged frames of the window, for the current structure
  std::uint64_t count = 0;

  LiveSvg live_svg;  // /graph.svg

  ~Impl() {
    poller.reset();  // no more merges (they broadcast through the server)
    server.reset();
  }

  void on_reply(std::size_t i, PeerReply reply);
  void tick();
  [[nodiscard]] HttpReply route(const std::string& path);
  [[nodiscard]] std::vector<std::shared_ptr<const std::string>> greeting() const {
    std::lock_guard lock(mu);
    if (!frame) return {};
    return {frame_event(*frame, frame_json(*frame, view))};
  }
  [[nodiscard]] std::pair<std::shared_ptr<const Structure>, FramePtr> latest() const {
    std::lock_guard lock(mu);
    return {structure, frame};
  }
  [[nodiscard]] std::string metrics() const {
    std::lock_guard lock(mu);
    return hub_metrics_text(*structure, frame.get(), count);
  }
};

// Poller thread: one peer answered (or failed to).
void Hub::Impl::on_reply(std::size_t i, PeerReply reply) {
  PeerState& p = peers[i];
  if (!reply.ok) {
    if (p.up) log(LogLevel::warn, "steady-hub: " + p.url + " is down: " + reply.error + " (asking again every frame)");
    p.up = false;
    p.error = std::move(reply.error);
    return;
  }
  auto snap = parse_snapshot(reply.body, view.percentiles);
  if (!snap) {
    if (p.up) log(LogLevel::warn, "steady-hub: " + p.url + ": " + snap.error());
    p.up = false;
    p.error = snap.error();
    return;
  }
  if (!p.up) log(LogLevel::info, "steady-hub: " + p.url + " is up");
  p.last = std::move(snap.value());
  p.up = true;
  p.error.clear();
  p.last_seen_unix_ms = unix_ms_now();
}

// Poller thread (and start()): merge what the peers said last into the frame of this instant.
void Hub::Impl::tick() {
  std::shared_ptr<const Structure> previous;
  {
    std::lock_guard lock(mu);
    previous = structure;
  }
  Merged m = merge(peers, options.title, previous);
  const auto now = std::chrono::steady_clock::now();
  m.frame->seq = ++seq;
  m.frame->unix_ms = unix_ms_now();
  m.frame->uptime_s = std::chrono::duration<double>(now - started).count();
  m.frame->dt_s = std::max(1e-6, std::chrono::duration<double>(now - last_tick).count());
  m.frame->structure_hash = m.structure->hash;
  last_tick = now;
  const bool changed = m.structure != previous;
  std::string svg_text, svg_error;
  if (changed) {  // a process came up, went away with a new graph, or a link was made: lay out again
    auto rendered = render_svg(dot_text(*m.structure, m.frame.get(), DotStyle::layout));
    if (rendered) svg_text = std::move(rendered.value());
    else svg_error = rendered.error();
  }
  const FramePtr f = m.frame;
  {
    std::lock_guard lock(mu);
    if (changed) {
      auto s = std::const_pointer_cast<Structure>(m.structure);
      if (!previous) s->started_unix_ms = unix_ms_now();
      structure = std::move(m.structure);
      layout_svg = std::move(svg_text);
      layout_error = std::move(svg_error);
      history.clear();
    }
    frame = f;
    history.push_back(f);
    while (history.size() > window_frames) history.pop_front();
    ++count;
  }
  cv.notify_all();
  if (server && server->event_clients() > 0) server->broadcast(frame_event(*f, frame_json(*f, view)));
}

HttpReply Hub::Impl::route(const std::string& path) {
  if (auto asset = asset_reply(path)) return std::move(*asset);
  const auto [s, f] = latest();
  if (path == "/snapshot.json")
    return text_reply(200, telemetry::snapshot_json(*s, f.get(), view), "application/json");
  if (path == "/structure.json") return text_reply(200, structure_json(*s), "application/json");
  if (path == "/history.json") {
    std::vector<FramePtr> frames;
    {
      std::lock_guard lock(mu);
      if (structure == s) frames.assign(history.begin(), history.end());
    }
    return text_reply(200, history_json(*s, frames), "application/json");
  }
  if (path == "/graph.dot")
    return text_reply(200, dot_text(*s, f.get(), DotStyle::live), "text/vnd.graphviz; charset=utf-8");
  if (path == "/layout.svg") {
    std::lock_guard lock(mu);
    if (structure != s) return text_reply(503, "the graph changed just now; ask again\n");
    if (layout_svg.empty()) return text_reply(500, layout_error + "\n");
    return text_reply(200, layout_svg, "image/svg+xml");
  }
  if (path == "/graph.svg") return live_svg.reply(*s, f.get());
  if (path == "/metrics") return text_reply(200, metrics(), "text/plain; version=0.0.4; charset=utf-8");
  return text_reply(404,
                    "not found: " + path + "\n(try /, /graph.dot, /graph.svg, /snapshot.json, /events, /metrics)\n");
}

// ---------------------------------------------------------------- Hub

Hub::Hub(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Hub::~Hub() = default;

Result<std::unique_ptr<Hub>> Hub::start(HubOptions options) {
  if (options.peers.empty())
    return Error{"steady-hub: no peers; give each process's telemetry URL with --peer http://127.0.0.1:9901"};
  std::vector<PeerUrl> urls;
  for (const std::string& text : options.peers) {
    auto u = parse_peer_url(text);
    if (!u) return Error{"steady-hub: " + u.error()};
    urls.push_back(u.value());
  }
  options.frame = std::clamp(options.frame, std::chrono::milliseconds(20), std::chrono::milliseconds(60'000));
  options.timeout = std::clamp(options.timeout, std::chrono::milliseconds(10), std::chrono::milliseconds(60'000));
  options.window = std::max(options.window, 2 * options.frame);
  if (options.title.empty()) options.title = "steady-hub";

  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->view.frame = options.frame;
  impl->view.window = options.window;
  impl->view.title = options.title;
  impl->window_frames = static_cast<std::size_t>(
      std::clamp<std::int64_t>(options.window.count() / options.frame.count(), 2, 10'000));
  for (const PeerUrl& u : urls) {
    PeerState p;
    p.url = u.url;
    p.port = u.port;
    impl->peers.push_back(std::move(p));
  }
  impl->tick();  // a graph to serve from the first request on: every process "not asked yet"

  Impl* self = impl.get();
  auto server = HttpServer::start(
      http_config(options), [self](const std::string& path, const std::string&) { return self->route(path); },
      [self] { return self->greeting(); });
  if (!server) return Error{"steady-hub: " + server.error()};
  impl->server = std::move(server.value());
  impl->poller = std::make_unique<Poller>(
      std::move(urls), options.frame, options.timeout,
      [self](std::size_t i, PeerReply r) { self->on_reply(i, std::move(r)); }, [self] { self->tick(); });
  return std::unique_ptr<Hub>(new Hub(std::move(impl)));
}

const std::string& Hub::url() const noexcept { return impl_->server->url(); }
std::uint16_t Hub::port() const noexcept { return impl_->server->port(); }

std::uint64_t Hub::frames() const {
  std::lock_guard lock(impl_->mu);
  return impl_->count;
}

bool Hub::wait_for_frames(std::uint64_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->count >= n; });
}

std::string Hub::snapshot_json() const {
  const auto [s, f] = impl_->latest();
  return telemetry::snapshot_json(*s, f.get(), impl_->view);
}

std::string Hub::metrics() const { return impl_->metrics(); }

std::string Hub::dot() const {
  const auto [s, f] = impl_->latest();
  return dot_text(*s, f.get(), DotStyle::live);
}

}  // namespace steady::telemetry
