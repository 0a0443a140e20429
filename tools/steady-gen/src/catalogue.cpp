// catalogue.cpp — the table of prebuilt actors (see catalogue.hpp). One entry per actor; keep each in step
// with its header in include/steady/actors/ (the option order is the order of the Options struct's fields).
#include "catalogue.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "names.hpp"

namespace steady_gen {

namespace {

using T = OptionType;

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kSec = 1'000'000'000;

OptionSpec ms(std::string_view attr, std::string_view doc) {
  return {attr, attr, T::duration, doc, {}, {}, UINT64_MAX, "std::chrono::milliseconds", kMs};
}
OptionSpec seconds(std::string_view attr, std::string_view doc) {
  return {attr, attr, T::duration, doc, {}, {}, UINT64_MAX, "std::chrono::seconds", kSec};
}
OptionSpec opt(std::string_view attr, OptionType t, std::string_view doc, std::uint64_t max = UINT64_MAX) {
  return {attr, attr, t, doc, {}, {}, max, "std::chrono::milliseconds", kMs};
}
OptionSpec choice(std::string_view attr, std::vector<std::string_view> words, std::string_view prefix,
                  std::string_view doc) {
  return {attr, attr, T::choice, doc, std::move(words), prefix, UINT64_MAX, "std::chrono::milliseconds", kMs};
}

OptionSpec wiring(OptionSpec o) {
  o.use = OptionUse::wiring;
  return o;
}

// splitter's key="field": the Options' key function, on that field of the message type.
OptionSpec key_option() {
  OptionSpec o =
      opt("key", T::key_field,
          "route by this field of the message (lane = hash % lanes, so one key stays on one lane); "
          "`message`: the whole message. Without it: round-robin");
  o.use = OptionUse::key;
  return o;
}

// A bridge's entry: its namespace, link target, and whether it holds the stop without a peer.
PrebuiltSpec bridge(PrebuiltSpec p, std::string_view target, bool holds_stop_without_peer) {
  p.ns = "::steady::bridge::";
  p.target = target;
  p.bridge = true;
  p.holds_stop_without_peer = holds_stop_without_peer;
  return p;
}

OptionSpec endpoint(std::string_view attr, std::string_view doc) {
  return opt(attr, T::zmq_endpoint, doc);
}

std::vector<PrebuiltSpec> make_catalogue() {
  std::vector<PrebuiltSpec> c;
  // ---------------------------------------------------------------- files (steady/actors/file_*.hpp)
  c.push_back({"file_source",
               "steady/actors/file_source.hpp",
               "FileSource",
               "reads a text file line by line; follow=true keeps reading it like tail -F, across rotation",
               {},
               {{"lines", {"Line"}, false}},
               {opt("path", T::text, "the file to read"),
                opt("follow", T::boolean, "keep reading appended data, across rotation (tail -F)"),
                ms("poll", "with follow: how often to look for new data and rotation"),
                opt("start_at_end", T::boolean, "skip what the file already holds"),
                opt("max_line_bytes", T::count, "longer lines are cut into pieces of this size"),
                opt("read_bytes", T::count, "bytes per read() call"),
                ms("stop_grace", "stopping: how long to wait for the consumer to take what was sent"),
                opt("stop_graph_when_done", T::boolean,
                    "without follow: stop the graph once the file is read and every line was taken"),
                wiring(opt("offset_file", T::text,
                           "resume: the file that keeps the offset of the last line taken (a persisted "
                           "State<FileOffset>); a restarted service goes on after it")),
                wiring(ms("offset_every",
                          "with offset_file: write the offset at most this often (0: at every "
                          "commit)"))},
               {"path"},
               false});
  c.push_back(
      {"file_sink",
       "steady/actors/file_sink.hpp",
       "FileSink",
       "appends each message to a file as a line, in batches, with an fsync policy and rotation by size",
       {{"lines", {"Line"}, false}},
       {},
       {opt("path", T::text, "the file to append to (its directory must exist)"),
        opt("batch", T::count, "messages per write() at most"),
        choice("fsync", {"never", "every_batch", "interval"}, "::steady::actors::Fsync::",
               "when to fsync: never, after every write, or at most fsync_every after one"),
        ms("fsync_every", "with fsync=interval"),
        opt("rotate_bytes", T::count, "rotate before the file would grow past this; 0 = never"),
        opt("keep", T::count, "rotated files kept: path.1 … path.keep")},
       {"path"},
       false});
  // ---------------------------------------------------------------- timing and plumbing
  c.push_back({"ticker",
               "steady/actors/ticker.hpp",
               "Ticker",
               "sends a tick (0, 1, 2, ...) every period; a tick that finds the channel full is dropped",
               {},
               {{"ticks", {"Tick"}, false}},
               {ms("period", "the time between ticks"),
                opt("count", T::count, "ticks to send before returning; 0 = forever"),
                opt("stop_graph_when_done", T::boolean, "with count: stop the graph after the last tick")},
               {},
               true});
  c.push_back({"console",
               "steady/actors/console.hpp",
               "Console<{T}>",
               "prints each message on its own line on stdout",
               {{"messages", {}, false, true}},
               {},
               {opt("prefix", T::text, "written before each message"),
                opt("batch", T::count, "messages per pass at most"),
                opt("flush_each_batch", T::boolean, "flush stdout after each pass")},
               {},
               false});
  c.push_back({"rate_limiter",
               "steady/actors/rate_limiter.hpp",
               "RateLimiter<{T}>",
               "passes messages on at most per_second on average, in bursts of at most burst (token bucket)",
               {{"in", {}, false}},
               {{"out", {}, false}},
               {opt("per_second", T::real, "the sustained rate, messages per second (> 0)"),
                opt("burst", T::count, "messages that may pass back to back (at least 1)"),
                opt("batch", T::count, "messages moved per pass at most")},
               {},
               false});
  c.push_back({"splitter",
               "steady/actors/splitter.hpp",
               "Splitter<{T}, {N}>",
               "spreads one channel over a bundle of lanes, round-robin among the lanes with room",
               {{"in", {}, false}},
               {{"lanes", {}, true}},
               {key_option(), opt("batch", T::count, "messages routed per pass at most")},
               {},
               false});
  c.push_back({"merger",
               "steady/actors/splitter.hpp",
               "Merger<{T}, {N}>",
               "gathers a bundle of lanes into one channel, taking from the lanes in turn",
               {{"lanes", {}, true}},
               {{"out", {}, false}},
               {opt("batch", T::count, "messages merged per pass at most")},
               {},
               false});
  c.push_back({"batcher",
               "steady/actors/batcher.hpp",
               "Batcher<{T}>",
               "groups messages <X> into batches <XBatch> (std::vector<X>) of max_items, or after max_delay",
               {{"in", {}, false}},
               {{"batches", {}, false, false, true}},
               {opt("max_items", T::count, "messages per batch at most (at least 1)"),
                ms("max_delay", "a batch waits at most this long for more messages")},
               {},
               false});
  c.push_back({"unbatcher",
               "steady/actors/batcher.hpp",
               "Unbatcher<{T}>",
               "splits batches <XBatch> back into their messages <X>, in order",
               {{"batches", {}, false, false, true}},
               {{"out", {}, false}},
               {opt("batch", T::count, "messages sent per pass at most")},
               {},
               false});
  // ---------------------------------------------------------------- HTTP (steady/actors/http.hpp)
  c.push_back(
      {"http_ingest",
       "steady/actors/http.hpp",
       "HttpIngest",
       "an HTTP server: each POSTed body becomes a message (202), 503 + Retry-After when the channel is full",
       {},
       {{"requests", {"Line", "HttpMessage"}, false}},
       {opt("bind", T::text, "the IP address to listen on (0.0.0.0: every interface)"),
        opt("port", T::count, "the TCP port; 0 picks a free one", 65535),
        opt("path", T::text, "the one path that accepts POSTs, e.g. /ingest"),
        opt("max_body_bytes", T::count, "larger bodies get 413"),
        opt("max_header_bytes", T::count, "larger request heads get 431"),
        opt("max_connections", T::count, "beyond this a new connection gets 503"),
        ms("request_timeout", "a request must arrive within this (408)"),
        ms("idle_timeout", "an idle keep-alive connection closes after this"),
        ms("handoff_timeout", "the actor must take a request within this (else 503)"),
        seconds("retry_after", "the Retry-After of a 503")},
       {},
       false});
  c.push_back(
      {"http_egress",
       "steady/actors/http.hpp",
       "HttpEgress",
       "POSTs messages in batches to a URL, retrying with backoff; messages leave the channel on a 2xx",
       {{"messages", {"Line", "HttpMessage"}, false}},
       {},
       {opt("url", T::http_url, "where to POST: http://host[:port]/path (no https)"),
        choice("format", {"lines", "json_array", "json_strings"},
               "::steady::actors::HttpBatchFormat::", "how a batch is joined into one body"),
        opt("content_type", T::text, "the Content-Type; empty: the format's"),
        opt("max_batch_count", T::count, "messages per request at most"),
        opt("max_batch_bytes", T::count, "body bytes per request at most"),
        ms("request_timeout", "connect, send and answer, per attempt"),
        ms("backoff_initial", "the wait before the first retry, doubled for each next one"),
        ms("backoff_max", "the longest wait between retries"),
        opt("max_attempts", T::count, "attempts per batch before the actor fails; 0 = for ever", 4294967295),
        ms("retry_log_every", "how often the 'delivery failing' warning is logged"),
        opt("stop_graph_when_done", T::boolean,
            "request the graph's stop once the input is closed and everything was delivered")},
       {"url"},
       false});
  // ---------------------------------------------------------------- bridges (steady/bridge/*.hpp)
  c.push_back(bridge(
      {"zmq_egress",
       "steady/bridge/zmq.hpp",
       "ZmqEgress<{T}{C}>",
       "sends its messages to a zmq_ingress in another process (ZeroMQ PUSH); they leave the channel when "
       "acknowledged",
       {{"messages", {}, false}},
       {},
       {endpoint("endpoint", "the data socket, e.g. tcp://10.0.0.2:5555 or ipc:///run/app/ticks"),
        endpoint("ack_endpoint", "the control socket (hello, acknowledgements), e.g. tcp://10.0.0.2:5556"),
        opt("bind", T::boolean, "bind both sockets (default: connect; the ingress binds)"),
        opt("max_batch_count", T::count, "messages per frame at most"),
        opt("max_batch_bytes", T::count, "payload bytes per frame at most"),
        opt("send_hwm", T::count, "frames ZeroMQ may queue", 2147483647),
        ms("retry_log_every", "how often the 'peer unreachable' warning is logged"),
        opt("stop_graph_when_done", T::boolean,
            "request the graph's stop once end-of-stream was acknowledged"),
        ms("eos_ack_grace",
           "stopping with everything acknowledged: how long to wait for the end-of-stream ack")},
       {"endpoint", "ack_endpoint"}},
      "bridge_zmq", true));
  c.push_back(
      bridge({"zmq_ingress",
              "steady/bridge/zmq.hpp",
              "ZmqIngress<{T}{C}>",
              "receives what a zmq_egress in another process sends (ZeroMQ PULL), while its channel has room",
              {},
              {{"messages", {}, false}},
              {endpoint("endpoint",
                        "the data socket, e.g. tcp://0.0.0.0:5555 (tcp://127.0.0.1:* picks a free port)"),
               endpoint("ack_endpoint", "the control socket, e.g. tcp://0.0.0.0:5556"),
               opt("bind", T::boolean, "bind both sockets (the default); false: connect"),
               opt("receive_hwm", T::count, "frames ZeroMQ may queue on the receiving side", 2147483647),
               ms("hello_every", "announce the session this often until the egress answers"),
               ms("linger", "how long closing the sockets may flush the last acknowledgement"),
               opt("stop_graph_at_end", T::boolean, "request the graph's stop after end-of-stream")},
              {"endpoint", "ack_endpoint"}},
             "bridge_zmq", false));
  // NATS: both Options structs start with url, subject, stream (the subscriber's durable comes next), then
  // ensure_stream and stream_subjects.
  const OptionSpec url = opt("url", T::text, "the server, nats://host:4222 (several: comma-separated)");
  const OptionSpec ensure =
      opt("ensure_stream", T::boolean, "create the stream if it does not exist (file storage)");
  const OptionSpec subjects =
      opt("stream_subjects", T::text_list, "with ensure_stream: the stream's subjects (default: subject)");
  const OptionSpec reconnect = ms("reconnect_wait", "between reconnect attempts");
  const OptionSpec poll = ms("poll", "housekeeping while idle");
  const OptionSpec retry_log = ms("retry_log_every", "how often the 'server unreachable' warning is logged");
  c.push_back(bridge(
      {"nats_publisher",
       "steady/bridge/nats.hpp",
       "NatsPublisher<{T}{C}>",
       "publishes its messages to a NATS JetStream stream; they leave the channel when JetStream "
       "acknowledged "
       "them",
       {{"messages", {}, false}},
       {},
       {url, opt("subject", T::text, "where batches are published"),
        opt("stream", T::text, "the stream that captures the subject"), ensure, subjects,
        opt("max_batch_count", T::count, "messages per NATS message at most"),
        opt("max_batch_bytes", T::count, "payload bytes per NATS message at most"),
        opt("max_in_flight", T::count, "publishes awaiting their PubAck at most"),
        opt("msg_id_prefix", T::text, "names this publisher's messages for de-duplication (default: random)"),
        opt("ordered", T::boolean, "keep the stream in the channel's order (the only writer of its stream)"),
        ms("ack_timeout", "no PubAck by then: publish again (same id)"), reconnect, poll, retry_log,
        opt("stop_graph_when_done", T::boolean,
            "request the graph's stop once the input is closed and everything was acknowledged")},
       {"subject", "stream"}},
      "bridge_nats", true));
  c.push_back(bridge(
      {"nats_subscriber",
       "steady/bridge/nats.hpp",
       "NatsSubscriber<{T}{C}>",
       "fetches a NATS JetStream stream through a durable consumer into its channel (at-least-once)",
       {},
       {{"messages", {}, false}},
       {url, opt("subject", T::text, "the consumer's filter subject"),
        opt("stream", T::text, "the stream to consume"),
        opt("durable", T::text, "the durable consumer's name: one subscriber per name"), ensure, subjects,
        opt("items_per_message", T::count, "at least the publisher's max_batch_count"),
        opt("max_fetch", T::count, "NATS messages per fetch request at most"),
        ms("ack_wait", "the server redelivers what is not acknowledged this long"),
        ms("fetch_wait", "how long one fetch request waits for messages"), reconnect, poll, retry_log,
        ms("stop_ack_grace", "stopping: how long to wait for the consumer to take what was delivered")},
       {"subject", "stream"}},
      "bridge_nats", false));
  return c;
}

}  // namespace

std::string_view option_type_name(OptionType t) noexcept {
  switch (t) {
    case T::text:
      return "text";
    case T::boolean:
      return "true or false";
    case T::count:
      return "a whole number";
    case T::real:
      return "a number";
    case T::duration:
      return "a duration (10ms, 2s, 1min)";
    case T::choice:
      return "one of a few words";
    case T::http_url:
      return "an http:// URL";
    case T::zmq_endpoint:
      return "a ZeroMQ endpoint (tcp://, ipc://)";
    case T::text_list:
      return "comma-separated words";
    case T::key_field:
      return "a field of the message type";
  }
  return "text";
}

const std::vector<PrebuiltSpec>& catalogue() {
  static const std::vector<PrebuiltSpec> table = make_catalogue();
  return table;
}

const PrebuiltSpec* find_prebuilt(std::string_view name) {
  for (const PrebuiltSpec& p : catalogue())
    if (p.name == name) return &p;
  return nullptr;
}

const std::vector<LibraryType>& library_types() {
  static const std::vector<LibraryType> types{
      {"Line",
       "std::string",
       "<string>",
       "a text line without its newline (std::string)",
       false,
       true,
       {"message"},
       "line_codec()",
       "::steady::bridge::FunctionCodec<std::string>"},
      {"Tick",
       "std::uint64_t",
       "<cstdint>",
       "a tick's sequence number (std::uint64_t)",
       true,
       true,
       {"message"},
       {},
       {}},
      {"HttpMessage",
       "::steady::actors::HttpMessage",
       "<steady/actors/http.hpp>",
       "one POSTed request: path, content_type, body",
       false,
       false,
       {"path", "content_type", "body"},
       {},
       {}},
  };
  return types;
}

const LibraryType* find_library_type(std::string_view dot) {
  for (const LibraryType& t : library_types())
    if (t.dot == dot) return &t;
  return nullptr;
}

std::string prebuilt_names() {
  std::string out;
  for (const PrebuiltSpec& p : catalogue()) out += (out.empty() ? "" : ", ") + std::string(p.name);
  return out;
}

std::string nearest_prebuilt(std::string_view name) {
  std::string best;
  std::size_t best_d = 3;  // at most two edits away
  for (const PrebuiltSpec& p : catalogue())
    if (const std::size_t d = edit_distance(name, p.name); d < best_d) {
      best_d = d;
      best = p.name;
    }
  return best;
}

std::optional<std::string> option_expr(const OptionSpec& o, std::string_view value, std::string& problem,
                                       std::string& example) {
  const std::string attr(o.attr);
  switch (o.type) {
    case T::text:
      return cpp_string_literal(value);
    case T::http_url:
      if (value.rfind("http://", 0) != 0 || value.size() <= 7) {
        problem = value.rfind("https://", 0) == 0 ? "https is not supported (plain HTTP only)"
                                                  : "is not an http:// URL";
        example = attr + "=\"http://127.0.0.1:9000/events\"";
        return std::nullopt;
      }
      return cpp_string_literal(value);
    case T::zmq_endpoint:
      if ((value.rfind("tcp://", 0) != 0 && value.rfind("ipc://", 0) != 0) || value.size() <= 6) {
        problem = "is not a ZeroMQ endpoint (tcp://host:port or ipc://path)";
        example = attr + "=\"tcp://127.0.0.1:5555\"";
        return std::nullopt;
      }
      return cpp_string_literal(value);
    case T::text_list: {
      std::string out;
      std::size_t from = 0;
      while (from <= value.size()) {
        std::size_t comma = value.find(',', from);
        if (comma == std::string_view::npos) comma = value.size();
        std::string_view word = value.substr(from, comma - from);
        while (!word.empty() && word.front() == ' ') word.remove_prefix(1);
        while (!word.empty() && word.back() == ' ') word.remove_suffix(1);
        if (word.empty()) {
          problem = "has an empty item";
          example = attr + "=\"orders.*, audit\"";
          return std::nullopt;
        }
        out += (out.empty() ? "" : ", ") + cpp_string_literal(word);
        from = comma + 1;
      }
      return "{" + out + "}";
    }
    case T::key_field:
      if (!is_identifier(value)) {
        problem = "is not a field name";
        example = attr + "=\"value\"";
        return std::nullopt;
      }
      return std::string(value);
    case T::boolean:
      if (value == "true" || value == "yes" || value == "1") return "true";
      if (value == "false" || value == "no" || value == "0") return "false";
      problem = "is not true or false";
      example = attr + "=true";
      return std::nullopt;
    case T::count:
      if (auto v = parse_u64(value); v && *v <= o.max) return std::to_string(*v);
      problem = parse_u64(value) ? "is larger than " + std::to_string(o.max) : "is not a whole number";
      example = attr + "=" + std::to_string(std::min<std::uint64_t>(o.max, 100));
      return std::nullopt;
    case T::real: {
      const std::string text(value);
      char* end = nullptr;
      const double d = std::strtod(text.c_str(), &end);
      if (!text.empty() && end == text.c_str() + text.size() && std::isfinite(d) && d > 0) {
        std::string out = text;
        if (out.find_first_of(".eE") == std::string::npos) out += ".0";
        return out;
      }
      problem = "is not a number above 0";
      example = attr + "=100";
      return std::nullopt;
    }
    case T::duration: {
      std::size_t digits = 0;
      while (digits < value.size() && value[digits] >= '0' && value[digits] <= '9') ++digits;
      const auto n = parse_u64(value.substr(0, digits));
      const std::string_view unit = value.substr(digits);
      std::int64_t per = 0;
      if (unit == "us") per = 1'000;
      if (unit == "ms") per = kMs;
      if (unit == "s" || unit == "sec") per = kSec;
      if (unit == "min") per = 60 * kSec;
      example = attr + "=" + (o.unit_ns >= kSec ? "\"5s\"" : "\"500ms\"");
      if (!n || per == 0) {
        problem = n ? "has no known unit (us, ms, s or sec, min)" : "is not a duration";
        return std::nullopt;
      }
      const std::int64_t ns = static_cast<std::int64_t>(*n) * per;
      if (ns % o.unit_ns != 0) {
        problem = std::string("is not a whole number of ") +
                  (o.unit_ns >= kSec ? "seconds" : "milliseconds") + " (the option is " +
                  std::string(o.unit) + ")";
        return std::nullopt;
      }
      return std::string(o.unit) + "(" + std::to_string(ns / o.unit_ns) + ")";
    }
    case T::choice:
      for (std::string_view w : o.choices)
        if (w == value) return std::string(o.choice_prefix) + std::string(w);
      problem = "is not one of:";
      for (std::string_view w : o.choices) problem += " " + std::string(w);
      example = attr + "=" + std::string(o.choices.front());
      return std::nullopt;
  }
  return std::nullopt;
}

std::string prebuilt_class(const PrebuiltSpec& spec, std::string_view type, std::size_t lanes,
                           std::string_view codec_type) {
  std::string out(spec.cls);
  const std::string codec = codec_type.empty() ? std::string() : ", " + std::string(codec_type);
  for (std::size_t p; (p = out.find("{T}")) != std::string::npos;) out.replace(p, 3, type);
  for (std::size_t p; (p = out.find("{N}")) != std::string::npos;) out.replace(p, 3, std::to_string(lanes));
  for (std::size_t p; (p = out.find("{C}")) != std::string::npos;) out.replace(p, 3, codec);
  return std::string(spec.ns) + out;
}

std::string batch_prefix(std::string_view type) {
  constexpr std::string_view kSuffix = "Batch";
  if (type.size() <= kSuffix.size() || type.substr(type.size() - kSuffix.size()) != kSuffix) return {};
  return std::string(type.substr(0, type.size() - kSuffix.size()));
}

bool is_non_option_attribute(std::string_view attr) noexcept {
  static constexpr std::string_view kNames[] = {
      // steady-gen's own
      "label", "module", "driver", "troupe", "restart", "core", "prebuilt",
      // Graphviz node presentation (https://graphviz.org/doc/info/attrs.html, nodes)
      "area", "class", "color", "colorscheme", "comment", "distortion", "fillcolor", "fixedsize", "fontcolor",
      "fontname", "fontsize", "gradientangle", "group", "height", "href", "id", "image", "imagepos",
      "imagescale", "labelloc", "layer", "margin", "nojustify", "ordering", "orientation", "penwidth",
      "peripheries", "pin", "pos", "rects", "regular", "root", "samplepoints", "shape", "shapefile",
      "showboxes", "sides", "skew", "sortv", "style", "target", "tooltip", "URL", "vertices", "width",
      "xlabel", "xlp", "z"};
  return std::find(std::begin(kNames), std::end(kNames), attr) != std::end(kNames);
}

}  // namespace steady_gen
