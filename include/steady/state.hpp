// steady/state.hpp — actor state owned by the graph: kept across restarts, optionally persisted across process
// restarts, inspectable after the graph stops.
//
//   auto counter = graph.state<Totals>("totals")
//                      .init(Totals{})                                  // used when there is no saved state
//                      .persist("/var/lib/my_service/totals.state")     // optional: survives process restarts
//                      .build();                                        // Result<State<Totals>>
//   if (!counter) { std::cerr << counter.error() << "\n"; return 2; }  // e.g. a corrupt file: never a silent reset
//   graph.actor("count").run(count_fn, std::move(rx), *counter);       // the actor gets State<Totals>&
//   ... in the actor:   state->seen += n; state.commit();               // after the work it describes
//   ... after the stop: counter->seen
//
// Initialisation runs once per graph; each incarnation of the actor (after a restart) sees the same object.
// Persistence writes atomically — a temporary file, fsync, rename, fsync of the directory — with a header holding
// a format version, your state version and a checksum. Loading a file that is truncated, altered or of another
// version is an error that refuses to start, unless you asked for `start_fresh_if_corrupt()`, which moves the bad
// file aside (never deletes it) and starts from init. Cadence: every commit (the default), or at most every N ms
// (`persist(path, every)`), with a final write when the graph stops.
//
// Codec: trivially copyable types are stored as their bytes. For other types specialise steady::StateCodec<S>
// with `static std::string encode(const S&)` and `static bool decode(std::string_view, S&)`.
//
// Threads: one actor uses a State at a time (like a channel end); read it from elsewhere only after the stop.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "result.hpp"

namespace steady {

template <class S>
struct StateCodec {
  static_assert(std::is_trivially_copyable_v<S>,
                "State<S> persistence needs a trivially copyable S or a StateCodec<S> specialisation");
  static std::string encode(const S& s) { return std::string(reinterpret_cast<const char*>(&s), sizeof(S)); }
  static bool decode(std::string_view bytes, S& out) {
    if (bytes.size() != sizeof(S)) return false;
    std::memcpy(&out, bytes.data(), sizeof(S));
    return true;
  }
};

namespace detail {
// The file format and atomic write (src/state.cpp). load: nullopt payload when the file does not exist.
Result<std::optional<std::string>> load_state_file(const std::filesystem::path& path, std::uint32_t version);
Result<bool> write_state_file(const std::filesystem::path& path, std::uint32_t version, std::string_view payload);
// The same format in memory (the loader and writer use these; so does fuzz/state.cpp): the file's bytes from a
// payload, and back (an error naming `where` when the bytes are not a valid file of `version`).
[[nodiscard]] std::string encode_state_file(std::uint32_t version, std::string_view payload);
[[nodiscard]] Result<std::string> decode_state_file(std::string_view data, const std::string& where,
                                                    std::uint32_t version);
// Move a bad file aside as <path>.corrupt-<seconds>; returns the new name.
std::filesystem::path quarantine_state_file(const std::filesystem::path& path);

struct PersistConfig {
  std::filesystem::path path;
  std::chrono::milliseconds every{0};
  std::uint32_t version = 1;
};

template <class S>
struct StateBox {
  S value;
  std::string name;
  std::optional<PersistConfig> persist;
  std::function<std::string(const S&)> encode;
  std::chrono::steady_clock::time_point last_write{};
  bool dirty = false;
  std::uint64_t writes = 0;
  std::string last_error;
};
}  // namespace detail

template <class S>
class State {
 public:
  State() = default;
  explicit State(std::shared_ptr<detail::StateBox<S>> box) noexcept : box_(std::move(box)) {}

  [[nodiscard]] S& operator*() noexcept { return box_->value; }
  [[nodiscard]] S* operator->() noexcept { return &box_->value; }
  [[nodiscard]] const S& get() const noexcept { return box_->value; }
  [[nodiscard]] const std::string& name() const noexcept { return box_->name; }
  [[nodiscard]] bool persistent() const noexcept { return box_->persist.has_value(); }
  [[nodiscard]] std::uint64_t writes() const noexcept { return box_->writes; }

  // The changes so far describe finished work: persist them (now, or within the configured cadence).
  // Returns false when the write failed (the message is logged and kept in last_error(); the next commit retries).
  bool commit() {
    if (!box_->persist) return true;
    box_->dirty = true;
    const auto now = std::chrono::steady_clock::now();
    if (box_->persist->every.count() != 0 && now - box_->last_write < box_->persist->every) return true;
    return flush();
  }
  // Write now if anything changed since the last write.
  bool flush() {
    if (!box_->persist || !box_->dirty) return true;
    auto r = detail::write_state_file(box_->persist->path, box_->persist->version, box_->encode(box_->value));
    if (!r) {
      box_->last_error = r.error();
      return false;
    }
    box_->dirty = false;
    box_->last_write = std::chrono::steady_clock::now();
    ++box_->writes;
    return true;
  }
  [[nodiscard]] const std::string& last_error() const noexcept { return box_->last_error; }
  [[nodiscard]] bool valid() const noexcept { return box_ != nullptr; }

 private:
  std::shared_ptr<detail::StateBox<S>> box_;
};

class Graph;

template <class S>
class StateBuilder {
 public:
  StateBuilder(Graph& g, std::string name) : graph_(g), name_(std::move(name)) {}
  StateBuilder& init(S value) {
    init_ = std::move(value);
    return *this;
  }
  // Persist to `path` (its directory must exist), at every commit or at most every `every`.
  StateBuilder& persist(std::filesystem::path path, std::chrono::milliseconds every = std::chrono::milliseconds(0)) {
    persist_ = detail::PersistConfig{std::move(path), every, version_};
    return *this;
  }
  // Your state layout's version: a file written with another version is refused (bump it when S changes).
  StateBuilder& version(std::uint32_t v) {
    version_ = v;
    if (persist_) persist_->version = v;
    return *this;
  }
  // A corrupt or unreadable file is moved aside and the state starts from init() (logged loudly).
  StateBuilder& start_fresh_if_corrupt(bool on = true) {
    fresh_ = on;
    return *this;
  }
  Result<State<S>> build();

 private:
  Graph& graph_;
  std::string name_;
  S init_{};
  std::optional<detail::PersistConfig> persist_;
  std::uint32_t version_ = 1;
  bool fresh_ = false;
};

}  // namespace steady
