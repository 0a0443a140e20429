// src/telemetry/hub_client.hpp — the hub's side of HTTP: peer URLs, and a poller that GETs every peer's
// /snapshot.json once per frame. Beast and Asio are included only by hub_client.cpp. Internal.
//
// Each peer has its own loop (an Asio coroutine on the poller's one thread): request, hand the answer over, wait
// for the next frame. Every request has one deadline for resolve, connect, write and read together, so a peer that
// is down, slow or silent costs at most that and never holds up the others. A tick runs once per frame on the
// same thread, so the answers and the ticks need no lock between them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "steady/result.hpp"

namespace steady::telemetry {

// Where a peer's telemetry server is: "http://127.0.0.1:9901", or with a path prefix behind a reverse proxy.
struct PeerUrl {
  std::string url;     // as normalised: "http://host:port[/prefix]" (no trailing slash)
  std::string host;    // "127.0.0.1", "localhost", "::1" (no brackets)
  std::string port;    // "9901"
  std::string prefix;  // "" or "/prefix"
  [[nodiscard]] std::string host_header() const;  // "127.0.0.1:9901", "[::1]:9901"
};

// Parses "http://host[:port][/prefix][/snapshot.json]". Fails with a message that says what is wrong and what a
// good one looks like (https, a missing host, a bad port, a query, ...).
[[nodiscard]] Result<PeerUrl> parse_peer_url(const std::string& text);

struct PeerReply {
  bool ok = false;
  std::string body;   // the JSON (ok)
  std::string error;  // what went wrong (not ok): "connection refused", "no answer within 1000 ms", "HTTP 404", ...
};

class Poller {
 public:
  using OnReply = std::function<void(std::size_t peer, PeerReply reply)>;
  using OnTick = std::function<void()>;

  // Starts the thread: every `every`, each peer is asked for its /snapshot.json (deadline `timeout`) and `on_reply`
  // gets the answer; `on_tick` runs every `every` too. Both run on the poller's thread; an exception they throw
  // is logged and the polling goes on.
  Poller(std::vector<PeerUrl> peers, std::chrono::milliseconds every, std::chrono::milliseconds timeout,
         OnReply on_reply, OnTick on_tick);
  ~Poller();  // stops and joins: no callback runs after it returns
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace steady::telemetry
