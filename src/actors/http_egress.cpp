// src/actors/http_egress.cpp — HttpEgress (see steady/actors/http.hpp). Beast and Asio stay in this file.
//
// The actor builds one batch at a time from what it peeks in its channel and hands the body to a Poster: an
// io_context on a helper thread that sends the POST (Asio C++20 coroutine, one deadline for the whole attempt,
// keep-alive connection reused between batches) and rings the actor's doorbell with the outcome. The actor removes
// the batch from the channel after a 2xx, or schedules the same body again after a backoff.
#include <steady/actors/http.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include <pthread.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <steady/doorbell.hpp>
#include <steady/log.hpp>

namespace steady::actors {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

struct Url {
  std::string host;  // as written (brackets removed from an IPv6 literal)
  std::string port = "80";
  std::string target = "/";  // path and query
  std::string host_header;   // host[:port] as in the url
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

Url parse_url(const std::string& url) {
  const std::string scheme = "http://";
  auto bad = [&](const std::string& why) {
    return std::invalid_argument("HttpEgress: url '" + url + "' " + why +
                                 " (expected http://host[:port]/path, e.g. http://127.0.0.1:8080/ingest)");
  };
  if (url.rfind("https://", 0) == 0)
    throw bad("uses https, which HttpEgress does not speak: send to a local TLS-terminating proxy over http://");
  if (url.rfind(scheme, 0) != 0) throw bad("does not start with http://");
  Url u;
  const std::string rest = url.substr(scheme.size());
  const auto slash = rest.find_first_of("/?");
  u.host_header = rest.substr(0, slash);
  if (slash != std::string::npos) u.target = rest[slash] == '/' ? rest.substr(slash) : "/" + rest.substr(slash);
  std::string hp = u.host_header;
  if (hp.empty()) throw bad("names no host");
  if (hp.find('@') != std::string::npos) throw bad("has user information (put credentials into headers)");
  if (hp.front() == '[') {
    const auto close = hp.find(']');
    if (close == std::string::npos) throw bad("has an unclosed '[' in its host");
    u.host = hp.substr(1, close - 1);
    if (close + 1 < hp.size()) {
      if (hp[close + 1] != ':') throw bad("has something after its IPv6 host that is not a port");
      u.port = hp.substr(close + 2);
    }
  } else {
    const auto colon = hp.find(':');
    u.host = hp.substr(0, colon);
    if (colon != std::string::npos) u.port = hp.substr(colon + 1);
  }
  if (u.host.empty()) throw bad("names no host");
  if (u.port.empty() || u.port.size() > 5 || !std::all_of(u.port.begin(), u.port.end(), is_digit) ||
      std::stoul(u.port) == 0 || std::stoul(u.port) > 65535)
    throw bad("has a port that is not a number from 1 to 65535");
  return u;
}

// The answer to one attempt: status 0 when there was none (error says why).
struct Outcome {
  unsigned status = 0;
  std::string error;
  std::optional<std::chrono::seconds> retry_after;
};

}  // namespace

namespace detail {

// What the egress counts: stats() and the actor's telemetry counters (the names in kStatNames).
enum EgressStat : std::uint8_t {
  kDelivered,
  kRequests,
  kBatches,
  kRetries,
  kFailures,
  k2xx,
  k4xx,
  k5xx,
  kOtherStatus,
  kBytesOut,
  kStatCount
};
constexpr std::array<const char*, kStatCount> kStatNames = {
    "delivered", "requests", "batches_2xx", "retries", "failures", "http_2xx", "http_4xx", "http_5xx",
    "http_other", "bytes_out"};

struct EgressShared {
  explicit EgressShared(HttpEgressOptions o) : options(std::move(o)), url(parse_url(options.url)) {}
  HttpEgressOptions options;
  Url url;
  Doorbell bell;  // rung by the Poster when an attempt ended
  std::array<std::atomic<std::uint64_t>, kStatCount> stats{};
  std::atomic<std::uint64_t> in_flight{0};
  std::mutex mu;  // guards last_failure
  std::string last_failure;
};

}  // namespace detail

namespace {

constexpr std::size_t kAnswerLimit = 64 * 1024;  // of an answer's body we keep only its first line anyway

auto ec_token(error_code& ec) { return net::redirect_error(net::use_awaitable, ec); }

// One incarnation's HTTP client: sends one POST at a time on its own thread.
class Poster {
 public:
  explicit Poster(std::shared_ptr<detail::EgressShared> sh) : sh_(std::move(sh)) {
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "http-egress");
      ioc_.run();
    });
  }
  ~Poster() {
    net::post(ioc_, [this] {
      closing_ = true;
      error_code ec;
      if (stream_) stream_->socket().close(ec);  // an attempt in progress ends with operation_aborted
      work_.reset();
    });
    thread_.join();
    stream_.reset();  // before the io_context it belongs to goes
  }
  Poster(const Poster&) = delete;
  Poster& operator=(const Poster&) = delete;

  // Actor thread: start one attempt (none may be running).
  void start(std::shared_ptr<const std::string> body) {
    net::co_spawn(ioc_, attempt(std::move(body)), [this](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        finish({0, std::string("internal error: ") + x.what(), {}});
      }
    });
  }
  // Actor thread: the outcome of the attempt, once it ended.
  std::optional<Outcome> take() {
    std::lock_guard lock(mu_);
    return std::exchange(outcome_, std::nullopt);
  }

 private:
  net::awaitable<void> attempt(std::shared_ptr<const std::string> body);
  void finish(Outcome o) {
    {
      std::lock_guard lock(mu_);
      outcome_ = std::move(o);
    }
    sh_->bell.ring();
  }

  std::shared_ptr<detail::EgressShared> sh_;
  std::optional<beast::tcp_stream> stream_;  // helper thread only; kept open between attempts (keep-alive)
  bool closing_ = false;                     // helper thread only: the actor is going, start nothing new
  net::io_context ioc_{1};
  net::executor_work_guard<net::io_context::executor_type> work_{ioc_.get_executor()};
  std::mutex mu_;
  std::optional<Outcome> outcome_;
  std::thread thread_;
};

net::awaitable<void> Poster::attempt(std::shared_ptr<const std::string> body) {
  const HttpEgressOptions& o = sh_->options;
  const Url& u = sh_->url;
  const auto deadline = Clock::now() + o.request_timeout;
  http::request<http::string_body> req{http::verb::post, u.target, 11};
  req.set(http::field::host, u.host_header);
  req.set(http::field::user_agent, "steady_state");
  std::string type = o.content_type;
  if (type.empty())
    type = o.format == HttpBatchFormat::lines ? "text/plain; charset=utf-8" : "application/json";
  req.set(http::field::content_type, type);
  for (const auto& [k, v] : o.headers) req.set(k, v);
  req.keep_alive(true);
  req.body() = *body;
  req.prepare_payload();
  // A kept-alive connection the server closed meanwhile fails before any answer: then once more on a new one.
  for (int round = 0; round < 2 && !closing_; ++round) {
    error_code ec;
    const bool reused = stream_.has_value();
    if (!stream_) {
      tcp::resolver resolver(ioc_);
      const auto endpoints = co_await resolver.async_resolve(u.host, u.port, ec_token(ec));
      if (ec || closing_) {
        finish({0, "resolve " + u.host + ": " + (closing_ ? std::string("stopping") : ec.message()), {}});
        co_return;
      }
      stream_.emplace(ioc_);
      stream_->expires_at(deadline);
      co_await stream_->async_connect(endpoints, ec_token(ec));
      if (ec) {
        stream_.reset();
        finish({0, "connect to " + u.host_header + ": " +
                       (ec == beast::error::timeout ? std::string("timed out") : ec.message()),
                {}});
        co_return;
      }
    }
    stream_->expires_at(deadline);
    co_await http::async_write(*stream_, req, ec_token(ec));
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kAnswerLimit);
    if (!ec) co_await http::async_read(*stream_, buffer, parser, ec_token(ec));
    if (ec && !(ec == http::error::body_limit && parser.is_header_done())) {
      stream_.reset();
      const bool nothing_came = !parser.got_some();
      if (reused && nothing_came && ec != beast::error::timeout) continue;  // stale keep-alive connection
      finish({0, (ec == beast::error::timeout ? "no answer within " + std::to_string(o.request_timeout.count()) +
                                                   " ms"
                                              : "POST: " + ec.message()),
              {}});
      co_return;
    }
    const auto& res = parser.get();
    Outcome out{res.result_int(), {}, {}};
    if (out.status < 200 || out.status >= 300) {
      std::string first = ec ? std::string() : res.body().substr(0, res.body().find('\n'));
      if (first.size() > 200) first.resize(200);
      out.error = "HTTP " + std::to_string(out.status) + (first.empty() ? "" : ": " + first);
    }
    if (const auto ra = res[http::field::retry_after];
        !ra.empty() && std::all_of(ra.begin(), ra.end(), is_digit) && ra.size() < 7)
      out.retry_after = std::chrono::seconds(std::stol(std::string(ra)));
    if (ec || !res.keep_alive()) stream_.reset();
    finish(std::move(out));
    co_return;
  }
}

// ---------------------------------------------------------------- batches

void append_json_string(std::string& out, const std::string& s) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char esc[8];
          std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(c));
          out += esc;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

const std::string& text_of(const std::string& m) { return m; }
const std::string& text_of(const HttpMessage& m) { return m.body; }

// Join up to max_batch_count of the ready messages into one body, stopping before max_batch_bytes (at least one
// message). Returns how many.
template <class T>
std::size_t build_batch(const SlicePair<const T>& ready, const HttpEgressOptions& o, std::string& body) {
  body.clear();
  const std::size_t limit = std::min(ready.size(), std::max<std::size_t>(o.max_batch_count, 1));
  const bool json = o.format != HttpBatchFormat::lines;
  if (json) body += '[';
  std::size_t n = 0;
  for (; n < limit; ++n) {
    const std::string& m = text_of(ready[n]);
    if (n != 0 && body.size() + m.size() + 2 > o.max_batch_bytes) break;
    if (o.format == HttpBatchFormat::lines) {
      body += m;
      body += '\n';
    } else {
      if (n != 0) body += ',';
      if (o.format == HttpBatchFormat::json_strings)
        append_json_string(body, m);
      else
        body += m;
    }
  }
  if (json) body += ']';
  return n;
}

struct EgressState {
  explicit EgressState(detail::EgressShared& s) : sh(s) {}
  detail::EgressShared& sh;
  std::array<Counter, detail::kStatCount> counters;  // the actor's telemetry counters
  void bump(detail::EgressStat s, std::uint64_t n = 1) noexcept {
    sh.stats[s].fetch_add(n, std::memory_order_relaxed);
    counters[s].add(n);
  }
  std::shared_ptr<const std::string> body;  // the batch being delivered (null: none)
  std::size_t count = 0;                    // its messages (the channel's first `count`)
  bool in_flight = false;
  std::uint32_t attempts = 0;  // for this batch
  Clock::time_point retry_at{};
  Clock::time_point last_warning{};
  std::uint64_t suppressed = 0;
};

bool retryable(unsigned status) { return status == 0 || status >= 500 || status == 408 || status == 429; }

// One pass: take the outcome of the attempt that ended, then start the next one when it is time. Throws when a
// batch cannot be delivered (max_attempts spent, or refused for good).
template <class T>
void egress_pass(Rx<T>& rx, Poster& poster, detail::EgressShared& sh, EgressState& st, const std::string& who) {
  const HttpEgressOptions& o = sh.options;
  const auto now = Clock::now();
  if (st.in_flight) {
    std::optional<Outcome> out = poster.take();
    if (!out) return;
    st.in_flight = false;
    const unsigned s = out->status;
    if (s >= 200 && s < 300) st.bump(detail::k2xx);
    else if (s >= 400 && s < 500) st.bump(detail::k4xx);
    else if (s >= 500) st.bump(detail::k5xx);
    else if (s != 0) st.bump(detail::kOtherStatus);  // 1xx, 3xx (redirects are not followed)
    if (s >= 200 && s < 300) {
      rx.advance_take(st.count);  // peek-before-commit: the batch leaves the channel only now
      st.bump(detail::kDelivered, st.count);
      st.bump(detail::kBatches);
      sh.in_flight.store(0, std::memory_order_relaxed);
      st.body.reset();
      st.count = 0;
      st.attempts = 0;
    } else {
      st.bump(detail::kFailures);
      {
        std::lock_guard lock(sh.mu);
        sh.last_failure = out->error;
      }
      const std::string what = who + ": POST of " + std::to_string(st.count) + " messages to " + o.url +
                               " failed (attempt " + std::to_string(st.attempts) + "): " + out->error;
      if (!retryable(s))
        throw std::runtime_error(what + "; the server refuses this batch for good (a 4xx answer), so it stays in "
                                        "the channel: fix the server or the messages (a dead_letter channel with "
                                        "poison_after moves such a message aside)");
      if (o.max_attempts != 0 && st.attempts >= o.max_attempts)
        throw std::runtime_error(what + "; max_attempts (" + std::to_string(o.max_attempts) +
                                 ") spent, the batch stays in the channel");
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
          o.backoff_initial * (1ULL << std::min<std::uint32_t>(st.attempts - 1, 20)));
      wait = std::min(wait, o.backoff_max);
      if (out->retry_after) wait = std::max<std::chrono::milliseconds>(wait, *out->retry_after);
      st.retry_at = now + wait;
      if (now - st.last_warning >= o.retry_log_every) {
        log(LogLevel::warn, what + "; retrying in " + std::to_string(wait.count()) + " ms" +
                                (st.suppressed ? " (" + std::to_string(st.suppressed) + " more failures not logged)"
                                               : ""));
        st.last_warning = now;
        st.suppressed = 0;
      } else {
        ++st.suppressed;
      }
    }
  }
  if (st.in_flight || now < st.retry_at) return;
  if (!st.body) {
    const auto ready = rx.peek_slice(std::max<std::size_t>(o.max_batch_count, 1));
    if (ready.empty()) return;
    auto body = std::make_shared<std::string>();
    st.count = build_batch<T>(ready, o, *body);
    st.body = std::move(body);
    sh.in_flight.store(st.count, std::memory_order_relaxed);
  }
  if (st.attempts != 0) st.bump(detail::kRetries);
  ++st.attempts;
  st.bump(detail::kRequests);
  st.bump(detail::kBytesOut, st.body->size());
  st.in_flight = true;
  poster.start(st.body);
}

template <class T>
Task run_egress(Context& ctx, Rx<T>& rx, std::shared_ptr<detail::EgressShared> sh) {
  const std::string who = "http egress '" + ctx.full_name() + "'";
  Poster poster(sh);
  ctx.set_label("http_url", sh->options.url);
  EgressState st(*sh);
  for (std::size_t i = 0; i < st.counters.size(); ++i) st.counters[i] = ctx.counter(detail::kStatNames[i]);
  auto vote = [&]() -> Vote {
    const std::uint64_t waiting = rx.avail_units();
    if (waiting != 0) {
      std::string last;
      {
        std::lock_guard lock(sh->mu);
        last = sh->last_failure;
      }
      return veto(std::to_string(waiting) + " messages not yet delivered to " + sh->options.url +
                  (last.empty() ? std::string() : " (last failure: " + last + ")"));
    }
    if (!rx.is_closed()) return veto("its input is not closed yet");
    return agree();
  };
  auto next_status = Clock::time_point{};
  while (ctx.is_running(vote)) {
    (void)sh->bell.answer();  // rings from here on wake the next wait
    egress_pass(rx, poster, *sh, st, who);
    const auto now = Clock::now();
    if (now >= next_status) {
      next_status = now + std::chrono::seconds(1);
      ctx.set_status("POST " + sh->options.url + ": " + std::to_string(sh->stats[detail::kDelivered].load()) + " delivered" +
                     (st.attempts > 1 ? ", retrying (attempt " + std::to_string(st.attempts) + ")" : ""));
    }
    if (!st.body && rx.is_closed_and_empty()) {
      if (sh->options.stop_graph_when_done) ctx.request_shutdown();
      co_return;
    }
    if (st.in_flight)
      co_await ctx.wait_any(rung(sh->bell), after(std::chrono::seconds(1)));
    else if (st.body)
      co_await ctx.wait_any(rung(sh->bell), after(st.retry_at - now));
    else
      co_await ctx.wait_any(rung(sh->bell), avail(rx, 1), after(std::chrono::seconds(1)));
  }
}

}  // namespace

// ---------------------------------------------------------------- HttpEgress

HttpEgress::HttpEgress(HttpEgressOptions options)
    : shared_(std::make_shared<detail::EgressShared>(std::move(options))) {}

Task HttpEgress::operator()(Context& ctx, Rx<std::string>& rx) const { return run_egress(ctx, rx, shared_); }
Task HttpEgress::operator()(Context& ctx, Rx<HttpMessage>& rx) const { return run_egress(ctx, rx, shared_); }

HttpEgressStats HttpEgress::stats() const noexcept {
  const auto& s = shared_->stats;
  using namespace detail;
  return {s[kDelivered].load(), s[kRequests].load(), s[kBatches].load(), s[kRetries].load(),
          s[kFailures].load(),  s[k2xx].load(),      s[k4xx].load(),     s[k5xx].load(),
          s[kOtherStatus].load(), s[kBytesOut].load(), shared_->in_flight.load()};
}

std::string HttpEgress::last_failure() const {
  std::lock_guard lock(shared_->mu);
  return shared_->last_failure;
}

const HttpEgressOptions& HttpEgress::options() const noexcept { return shared_->options; }

}  // namespace steady::actors
