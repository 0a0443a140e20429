// steady/actors/http.hpp — HTTP in and out of a graph (target steady::actors): HttpIngest turns POSTed bodies into
// messages, HttpEgress POSTs messages to a URL in batches. Plain HTTP/1.1 only (no TLS: put a reverse proxy such
// as nginx in front of the ingest, or send to a local TLS-terminating sidecar).
//
//   steady::actors::HttpIngest ingest({.bind = "127.0.0.1", .port = 8080, .path = "/ingest"});
//   graph.actor("ingest").run(ingest, std::move(tx));          // a Tx<HttpMessage>, or a Tx<std::string> (bodies)
//   steady::actors::HttpEgress egress({.url = "http://10.0.0.7:9000/events"});
//   graph.actor("egress").run(egress, std::move(rx));          // an Rx<std::string> (or Rx<HttpMessage>: bodies)
//
// Keep a copy of the actor object (copies share their state) to read bound_port() and stats() from any thread.
//
// HttpIngest. A server on its own thread (Boost.Beast) answers `POST <path>` (exactly that path; a query string is
// allowed and ignored). Each body is handed to the actor, which puts it into its channel, and only then is the
// answer sent:
//   202 Accepted        the message is in the channel (the actor's try_send succeeded): nothing accepted is lost,
//                       also when the graph stops or the actor restarts afterwards.
//   503 + Retry-After   the channel was full (backpressure), the actor did not take the request within
//                       handoff_timeout (stalled or restarting), or the server is stopping. Nothing was put into
//                       the channel: send the same body again later.
//   400 malformed request, 404 another path, 405 another method (Allow: POST), 408 the request did not arrive
//   within request_timeout, 413 body larger than max_body_bytes, 431 request head larger than max_header_bytes.
// A client whose connection breaks after the message went into the channel does not see the 202; if it sends
// the body again, the channel gets it twice (delivery is at-least-once from the client's view). Requests from
// many connections are put into the channel in the order the actor takes them. At most max_connections are
// served at once; beyond that a connection gets 503 and is closed. `Expect: 100-continue` is honoured (curl sends
// it for bodies above 1 KiB): the server refuses a wrong path, method or size before the body is sent.
// The port: 0 picks a free one (read it with bound_port() / wait_bound()); a restarted actor binds the same port
// again. A port in use, or an address that is not an IP address, makes the actor fail with an exception that
// names the address and says what to do (the supervision policy then decides; see supervision.hpp).
// Stopping: the server stops reading new requests, answers what was handed over (202 if it fits, else 503), and
// closes; the actor then agrees to the stop.
//
// HttpEgress. The actor peeks up to max_batch_count messages (max_batch_bytes), joins them into one body
// (`format`) and POSTs it to `url` from a helper thread; the messages leave the channel only when the server
// answered 2xx (peek-before-commit), so a batch is sent again, the same, until it is accepted, and messages
// arrive in channel order (one request in flight at a time). Retried: connection failures, timeouts, 5xx, 408
// and 429 (honouring Retry-After), after an exponential backoff (backoff_initial × 2^(n−1), at most
// backoff_max). With max_attempts = 0 (the default) it retries for ever and backpressure builds up behind it in
// the channel. With max_attempts = N, and for any other 4xx answer (the server refuses this batch for good), the
// actor fails with an exception naming the URL and the last answer; the batch stays in the channel, and the
// supervision policy decides (restart: try again; a channel's dead_letter with poison_after moves the front
// message away). On stop it vetoes while messages wait to be delivered (the stop report says how many, and the
// last error), and agrees once its input is closed and everything was delivered.
//
// Telemetry counters (Context::counter; /metrics as steady_actor_count_total{actor=...,name=...}):
//   ingest  http_202_accepted, http_503_full, http_503_unavailable, http_400_malformed, http_404_not_found,
//           http_405_method, http_408_timeout, http_413_too_large (413 and 431), bytes_in, connections
//   egress  delivered, requests, batches_2xx, retries, failures, http_2xx, http_4xx, http_5xx, http_other,
//           bytes_out
// The same numbers from stats() (atomics, any thread; copies share them), a status line, and a label
// (http_endpoint: the ingest's URL; http_url: the egress's).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <steady/channel.hpp>
#include <steady/context.hpp>
#include <steady/task.hpp>

namespace steady::actors {

// One POSTed request, as HttpIngest puts it into a Tx<HttpMessage>.
struct HttpMessage {
  std::string path;          // the request's path (without the query string)
  std::string content_type;  // its Content-Type header ("" when it had none)
  std::string body;
  friend bool operator==(const HttpMessage&, const HttpMessage&) = default;
};

struct HttpIngestOptions {
  std::string bind = "127.0.0.1";  // an IP address; 0.0.0.0 for every interface
  std::uint16_t port = 0;          // 0: a free port the system picks (see HttpIngest::bound_port)
  std::string path = "/ingest";    // the one path that accepts POSTs
  std::size_t max_body_bytes = 1024 * 1024;  // larger bodies get 413
  std::size_t max_header_bytes = 8 * 1024;   // larger request heads get 431
  std::size_t max_connections = 256;         // beyond this, a new connection gets 503 and is closed
  // A request (head and body) must arrive within this once it started, or it gets 408 and the connection closes.
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds idle_timeout{30'000};  // a keep-alive connection with no request for this long closes
  // The actor must take a request within this, or it gets 503 (the actor is stalled or restarting).
  std::chrono::milliseconds handoff_timeout{5'000};
  std::chrono::seconds retry_after{1};  // the Retry-After header of a 503
};

// What an HttpIngest did (counts since the actor object was made, over every incarnation).
struct HttpIngestStats {
  std::uint64_t accepted = 0;            // 202: messages put into the channel
  std::uint64_t refused_full = 0;        // 503: the channel was full
  std::uint64_t refused_unavailable = 0; // 503: too many connections, handoff timeout, or stopping
  std::uint64_t bad_request = 0;         // 400
  std::uint64_t not_found = 0;           // 404
  std::uint64_t method_not_allowed = 0;  // 405
  std::uint64_t timed_out = 0;           // 408
  std::uint64_t too_large = 0;           // 413 and 431
  std::uint64_t bytes_in = 0;            // bodies accepted into the channel
  std::uint64_t connections = 0;         // connections accepted
  std::uint64_t open_connections = 0;    // open now
};

// How HttpEgress joins a batch into one request body.
enum class HttpBatchFormat : std::uint8_t {
  lines,         // each message followed by "\n" (Content-Type text/plain; charset=utf-8): NDJSON, log lines
  json_array,    // "[m1,m2,...]": each message is a JSON text already, put in as it is (application/json)
  json_strings,  // "[\"m1\",\"m2\"]": each message becomes a JSON string, escaped (application/json)
};

struct HttpEgressOptions {
  std::string url{};  // http://host[:port]/path (required; port 80 when left out; no https)
  HttpBatchFormat format = HttpBatchFormat::lines;
  std::string content_type{};  // "" = the format's
  std::vector<std::pair<std::string, std::string>> headers{};  // sent with every request (e.g. Authorization)
  std::size_t max_batch_count = 100;         // messages per request at most
  std::size_t max_batch_bytes = 1024 * 1024;  // body bytes per request at most (one message may exceed it)
  std::chrono::milliseconds request_timeout{10'000};  // connect, send and answer, per attempt
  std::chrono::milliseconds backoff_initial{100};     // the wait before the first retry, doubled for each next one
  std::chrono::milliseconds backoff_max{10'000};
  std::uint32_t max_attempts = 0;  // attempts per batch before the actor fails; 0 = for ever (backpressure)
  std::chrono::milliseconds retry_log_every{5'000};  // rate of the "delivery failing" warning
  // Request the graph's stop once the input is closed and everything was delivered.
  bool stop_graph_when_done = false;
};

struct HttpEgressStats {
  std::uint64_t delivered = 0;  // messages the server accepted (2xx) and that left the channel
  std::uint64_t requests = 0;   // POSTs sent, retries included
  std::uint64_t batches = 0;    // POSTs answered 2xx
  std::uint64_t retries = 0;    // POSTs that repeated an earlier one
  std::uint64_t failures = 0;   // attempts that failed (no answer, or a status other than 2xx)
  std::uint64_t status_2xx = 0, status_4xx = 0, status_5xx = 0, status_other = 0;
  std::uint64_t bytes_out = 0;  // request body bytes sent, retries included
  std::uint64_t in_flight = 0;  // messages in the batch being sent now
};

namespace detail {
struct IngestShared;  // src/actors/http_ingest.cpp
struct EgressShared;  // src/actors/http_egress.cpp
}  // namespace detail

// The HTTP ingest actor: graph.actor("ingest").run(ingest, std::move(tx)).
class HttpIngest {
 public:
  using Options = HttpIngestOptions;
  explicit HttpIngest(HttpIngestOptions options);

  // The actor function, for a channel of whole requests or of bodies only.
  Task operator()(Context& ctx, Tx<HttpMessage>& tx) const;
  Task operator()(Context& ctx, Tx<std::string>& tx) const;

  // The port the server listens on (any thread); 0 until it is bound.
  [[nodiscard]] std::uint16_t bound_port() const noexcept;
  // Block the calling thread (not an actor) until the server is bound, or it failed, or `timeout` passed. The
  // port, or 0 (then last_error() may say why).
  [[nodiscard]] std::uint16_t wait_bound(std::chrono::milliseconds timeout) const;
  // Why the server could not start the last time ("" when it did).
  [[nodiscard]] std::string last_error() const;
  [[nodiscard]] HttpIngestStats stats() const noexcept;
  [[nodiscard]] const HttpIngestOptions& options() const noexcept;

 private:
  std::shared_ptr<detail::IngestShared> shared_;
};

// The HTTP egress actor: graph.actor("egress").run(egress, std::move(rx)).
class HttpEgress {
 public:
  using Options = HttpEgressOptions;
  // Throws std::invalid_argument when the url is not http://host[:port]/path.
  explicit HttpEgress(HttpEgressOptions options);

  Task operator()(Context& ctx, Rx<std::string>& rx) const;
  Task operator()(Context& ctx, Rx<HttpMessage>& rx) const;  // sends the bodies

  [[nodiscard]] HttpEgressStats stats() const noexcept;
  // The last failed attempt ("HTTP 500: <first line of the answer>", "connect: Connection refused"), or "".
  [[nodiscard]] std::string last_failure() const;
  [[nodiscard]] const HttpEgressOptions& options() const noexcept;

 private:
  std::shared_ptr<detail::EgressShared> shared_;
};

}  // namespace steady::actors
