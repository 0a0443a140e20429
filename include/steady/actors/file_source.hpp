// steady/actors/file_source.hpp — read a text file line by line into a channel, optionally following it like
// `tail -F`, and resume after a restart from the offset it committed (target steady::actors).
//
//   steady::actors::FileSource src({.path = "/var/log/app.log", .follow = true});
//   auto offset = graph.state<steady::actors::FileOffset>("app_log_offset")
//                     .persist("/var/lib/my_service/app_log.offset")   // survives process restarts
//                     .build();                                          // Result<State<FileOffset>>
//   if (!offset) { std::cerr << offset.error() << "\n"; return 2; }
//   graph.actor("app_log").run(src, std::move(lines_tx), *offset);     // or without the state: no resume
//   ... any thread:  src.stats().lines_read
//
// Lines. Each message is one line without its terminator ("\n"; a "\r\n" loses its "\r" too). A line longer
// than max_line_bytes is cut into pieces of that size (counted in `split_lines`). Without `follow`, a last
// line that has no newline is sent at end of file, then the actor returns and its channel is closed; with
// `follow`, such a partial line waits for its newline (it is sent as it is if the file is rotated away
// first).
//
// Following (`follow = true`): at end of file the actor sleeps `poll` on the graph's timer (no busy loop, no
// inotify), then reads what was appended. It notices rotation the way `tail -F` does: when the path names
// another file (inode or device changed), it first reads what is left of the old file, then opens the new one
// from its start (`rotations`); when the file got shorter than what was read (truncated in place,
// `copytruncate`), it reads again from the start (`truncations`). A missing file is waited for (logged once);
// it is not an error. Without `follow`, a missing file is an error (the actor throws; its restart policy
// applies).
//
// Resume. With a State<FileOffset> the actor commits the byte offset just after the last line its channel's
// consumer has *taken* (not merely sent: a line still in the channel when the process dies is read again),
// plus the file's inode, so a restarted process goes on exactly after the committed line. The channel's
// consumer should take a line only once it is done with it — a FileSink does (peek, write, then take) — so a
// kill -9 loses nothing: the lines between the committed offset and what the consumer had finished are
// delivered again (at-least-once; the duplicates are the lines taken since the last commit, never more than
// the channel's capacity: the source keeps at most that many lines sent and not committed). If the file at
// `path` is not the one the offset belongs to (another inode: it was rotated while the process was down) or
// is shorter than the offset, the actor starts at the beginning of the current file. State writes follow the
// state's cadence
// (`persist(path, every)`); at end of file and at stop the actor writes what is pending.
// With no state, the actor starts at the beginning (or at the end with `start_at_end`). Within one process a
// restarted incarnation (after an exception) continues where the previous one stopped reading: nothing is
// read twice.
//
// Stopping. The actor agrees to stop at once, then waits up to `stop_grace` for its consumer to take what is
// still in the channel, committing as it goes, and returns (its channel is closed).
//
// Telemetry counters: lines_read, bytes_read, rotations, truncations, split_lines, lines_committed.
// Thread: the actor object may be copied; every copy shares the stats. Use one object per actor.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <steady/channel.hpp>
#include <steady/context.hpp>
#include <steady/state.hpp>
#include <steady/task.hpp>

namespace steady::actors {

struct FileSourceOptions {
  std::string path{};                        // the file to read (required)
  bool follow = false;                       // keep reading appended data, across rotation (tail -F)
  std::chrono::milliseconds poll{250};       // follow: how often to look for new data and rotation
  bool start_at_end = false;                 // with no committed offset: skip what the file already holds
  std::size_t max_line_bytes = 1024 * 1024;  // longer lines are cut into pieces of this size
  std::size_t read_bytes = 64 * 1024;        // bytes per read() call
  std::chrono::milliseconds stop_grace{
      1000};  // stopping: wait this long for the consumer to take what was sent
  // Without follow: request the graph's stop once the file is read and every line was taken.
  bool stop_graph_when_done = false;
};

// What a FileSource commits: the offset just after the last line taken by the consumer, and which file it is
// in. Trivially copyable, so steady::State persists it as it is.
struct FileOffset {
  std::uint64_t offset = 0;  // bytes
  std::uint64_t inode = 0;   // 0: no file yet
  std::uint64_t device = 0;
  std::uint64_t lines = 0;  // lines committed in total (all files), for information
};

struct FileSourceStats {
  std::uint64_t lines_read = 0;        // lines sent into the channel
  std::uint64_t bytes_read = 0;        // bytes read from the file(s)
  std::uint64_t rotations = 0;         // the path named a new file
  std::uint64_t truncations = 0;       // the file got shorter: read again from its start
  std::uint64_t split_lines = 0;       // pieces cut from lines longer than max_line_bytes
  std::uint64_t lines_committed = 0;   // lines whose offset is committed (taken by the consumer)
  std::uint64_t committed_offset = 0;  // the last committed offset, in the current file
};

namespace detail {
struct FileSourceShared;  // src/actors/file_source.cpp
}

class FileSource {
 public:
  explicit FileSource(FileSourceOptions options);
  // The actor function: graph.actor("src").run(source, std::move(tx)) — no resume across process restarts.
  Task operator()(Context& ctx, Tx<std::string>& out) const;
  // With a state: resume from its committed offset (see the header comment).
  Task operator()(Context& ctx, Tx<std::string>& out, State<FileOffset>& offset) const;
  [[nodiscard]] FileSourceStats stats() const noexcept;
  [[nodiscard]] const FileSourceOptions& options() const noexcept;

 private:
  std::shared_ptr<detail::FileSourceShared> shared_;
};

}  // namespace steady::actors
