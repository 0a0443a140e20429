// steady/actors/file_sink.hpp — append each message of a channel to a file as one line, in batches, with an
// fsync policy and rotation by size (target steady::actors).
//
//   steady::actors::FileSink sink({.path = "/var/log/my_service/events.log",
//                                  .fsync = steady::actors::Fsync::every_batch,
//                                  .rotate_bytes = 64 * 1024 * 1024, .keep = 5});
//   graph.actor("events_file").run(sink, std::move(events_rx));
//   ... any thread:  sink.stats().bytes_written
//
// Records. Each message (std::string) is written followed by "\n" (a message that already ends in "\n" gets
// no second one). Up to `batch` messages go out in one write() call. The sink peeks at the messages, writes
// them, and only then takes them from its channel: a message taken is in the file (in the OS's page cache at
// least, so it survives a kill -9 of the process; `fsync` decides about power loss). A write that fails (disk
// full, say) throws: the messages stay in the channel and the restarted actor writes them again.
//
// Durability (`fsync`): never (leave it to the OS), every_batch (fsync after each write: nothing acknowledged
// is lost to a power cut, at a cost), or interval (at most `fsync_every` after a write, and at stop).
//
// Rotation (`rotate_bytes` > 0): before a write would take the file past rotate_bytes, the file is closed and
// renamed `path.1` (the older ones shift to `.2` … `.keep`; the oldest beyond `keep` is deleted) and a new
// file is started. A single message larger than rotate_bytes gets a file of its own. The directory must
// exist.
//
// The file is opened for appending (created with mode 0644 if missing), so a restarted process continues it.
// Stopping: the actor drains its input (until it is closed and empty), then fsyncs (unless never) and closes.
//
// Telemetry counters: records_written, bytes_written, writes, fsyncs, rotations.
// Thread: copies share the stats; one object per actor.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <steady/channel.hpp>
#include <steady/context.hpp>
#include <steady/task.hpp>

namespace steady::actors {

enum class Fsync : std::uint8_t {
  never,        // the OS writes back when it likes
  every_batch,  // fsync after every write
  interval,     // fsync at most fsync_every after a write
};

struct FileSinkOptions {
  std::string path{};       // the file to append to (required; its directory must exist)
  std::size_t batch = 256;  // messages per write() at most
  Fsync fsync = Fsync::never;
  std::chrono::milliseconds fsync_every{1000};  // with Fsync::interval
  std::uint64_t rotate_bytes = 0;               // rotate before the file would grow past this; 0 = never
  std::size_t keep = 5;                         // rotated files kept: path.1 (newest) … path.keep
};

struct FileSinkStats {
  std::uint64_t records_written = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t writes = 0;  // write batches
  std::uint64_t fsyncs = 0;
  std::uint64_t rotations = 0;
};

namespace detail {
struct FileSinkShared;  // src/actors/file_sink.cpp
}

class FileSink {
 public:
  explicit FileSink(FileSinkOptions options);
  // The actor function: graph.actor("sink").run(sink, std::move(rx)).
  Task operator()(Context& ctx, Rx<std::string>& in) const;
  [[nodiscard]] FileSinkStats stats() const noexcept;
  [[nodiscard]] const FileSinkOptions& options() const noexcept;

 private:
  std::shared_ptr<detail::FileSinkShared> shared_;
};

}  // namespace steady::actors
