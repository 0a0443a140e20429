// src/actors/file_source.cpp — FileSource (include/steady/actors/file_source.hpp): a reader that keeps its
// place in the actor object (so a restarted incarnation continues it), the lines between the file and the
// channel, and the commit of what the channel's consumer has taken.
#include "steady/actors/file_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "steady/actors/detail/tally.hpp"
#include "steady/log.hpp"

namespace steady::actors {

namespace detail {

// A file, named by its identity (what `tail -F` compares to notice a rotation).
struct FileId {
  std::uint64_t inode = 0;
  std::uint64_t device = 0;
  friend bool operator==(const FileId&, const FileId&) = default;
};

// A line read but not sent yet, and a line sent but not taken yet: where it ends in which file.
struct PendingLine {
  std::string text;
  std::uint64_t end = 0;  // offset just after the line (and its newline)
  FileId file;
};
struct InFlight {
  std::uint64_t position = 0;  // the channel's sent_total just after this line was sent
  std::uint64_t end = 0;
  FileId file;
};

struct FileSourceShared {
  explicit FileSourceShared(FileSourceOptions o) : options(std::move(o)) {}
  ~FileSourceShared() {
    if (fd >= 0) ::close(fd);
  }
  FileSourceShared(const FileSourceShared&) = delete;
  FileSourceShared& operator=(const FileSourceShared&) = delete;

  const FileSourceOptions options;
  // The reader (the actor's thread only; kept across incarnations).
  int fd = -1;
  FileId file;
  std::uint64_t read_offset = 0;   // offset of the next byte to read
  std::string partial;             // bytes after the last newline read
  std::deque<PendingLine> ready;   // read, waiting for room in the channel
  std::deque<InFlight> in_flight;  // in the channel, waiting for the consumer to take them
  bool finished_reading = false;   // without follow: the end of the file was reached
  bool warned_missing = false;
  // Figures (any thread reads).
  std::atomic<std::uint64_t> lines_read{0}, bytes_read{0}, rotations{0}, truncations{0}, split_lines{0},
      lines_committed{0}, committed_offset{0};
};

namespace {

// The actor's telemetry counters (one set per incarnation).
struct Tallies {
  actors::detail::Tally lines_read, bytes_read, rotations, truncations, split_lines, lines_committed;
};

std::string errno_text(int e) {
  return std::string(std::strerror(e));
}

// Open `path`; false when it does not exist (follow waits for it). Other errors throw.
bool open_file(FileSourceShared& sh) {
  const std::string& path = sh.options.path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    if (e == ENOENT && sh.options.follow) return false;
    throw std::runtime_error("file_source: cannot open '" + path + "': " + errno_text(e) +
                             (e == ENOENT ? " (check the path, or set follow to wait for the file to appear)"
                                          : " (check the path and its permissions)"));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    throw std::runtime_error("file_source: cannot stat '" + path + "': " + errno_text(e));
  }
  if (sh.fd >= 0) ::close(sh.fd);
  sh.fd = fd;
  sh.file = {static_cast<std::uint64_t>(st.st_ino), static_cast<std::uint64_t>(st.st_dev)};
  sh.read_offset = 0;
  sh.partial.clear();
  return true;
}

std::uint64_t file_size(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_size);
}

// First open of this actor object: place the reader at the committed offset when it belongs to this file.
bool open_initial(FileSourceShared& sh, State<FileOffset>* state) {
  if (!open_file(sh)) {
    if (!sh.warned_missing) {
      log(LogLevel::warn,
          "file_source: '" + sh.options.path + "' does not exist yet; waiting for it (follow)");
      sh.warned_missing = true;
    }
    return false;
  }
  const std::uint64_t size = file_size(sh.fd);
  if (state != nullptr && (*state)->inode != 0) {
    const FileOffset& saved = state->get();
    if (FileId{saved.inode, saved.device} == sh.file && saved.offset <= size) {
      sh.read_offset = saved.offset;
    } else {
      log(LogLevel::info,
          "file_source: the committed offset of '" + sh.options.path +
              "' belongs to another file (rotated, or truncated, while stopped): starting at its "
              "beginning");
    }
  } else if (sh.options.start_at_end) {
    sh.read_offset = size;
  }
  sh.committed_offset.store(sh.read_offset, std::memory_order_relaxed);
  return true;
}

void push_line(FileSourceShared& sh, std::string_view text, std::uint64_t end) {
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  sh.ready.push_back({std::string(text), end, sh.file});
}

// Cut sh.partial (which starts at offset `start`) into lines; keep the unterminated rest.
void split_lines(FileSourceShared& sh, std::uint64_t start, Tallies& t) {
  const std::size_t max = std::max<std::size_t>(1, sh.options.max_line_bytes);
  std::size_t from = 0;
  while (true) {
    const std::size_t nl = sh.partial.find('\n', from);
    if (nl != std::string::npos && nl - from <= max) {
      push_line(sh, std::string_view(sh.partial).substr(from, nl - from), start + nl + 1);
      from = nl + 1;
      continue;
    }
    if (sh.partial.size() - from >= max && (nl == std::string::npos || nl - from > max)) {
      push_line(sh, std::string_view(sh.partial).substr(from, max), start + from + max);
      t.split_lines.add();
      from += max;
      continue;
    }
    break;
  }
  sh.partial.erase(0, from);
}

// Read one chunk. Returns the bytes read (0 at end of file).
std::size_t read_chunk(FileSourceShared& sh, Tallies& t) {
  const std::size_t want = std::max<std::size_t>(512, sh.options.read_bytes);
  const std::uint64_t start = sh.read_offset - sh.partial.size();
  const std::size_t old = sh.partial.size();
  sh.partial.resize(old + want);
  ssize_t n;
  do {
    n = ::pread(sh.fd, sh.partial.data() + old, want, static_cast<off_t>(sh.read_offset));
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    const int e = errno;
    sh.partial.resize(old);
    throw std::runtime_error("file_source: cannot read '" + sh.options.path + "': " + errno_text(e));
  }
  sh.partial.resize(old + static_cast<std::size_t>(n));
  if (n == 0) return 0;
  sh.read_offset += static_cast<std::uint64_t>(n);
  t.bytes_read.add(static_cast<std::uint64_t>(n));
  split_lines(sh, start, t);
  return static_cast<std::size_t>(n);
}

// The unterminated rest becomes a line (end of file without follow, or the file was rotated away).
void flush_partial(FileSourceShared& sh) {
  if (sh.partial.empty()) return;
  push_line(sh, sh.partial, sh.read_offset);
  sh.partial.clear();
}

// Follow, at end of file: did the path get a new file, or the file get shorter? Reopens / rewinds; true if
// so.
bool check_rotation(FileSourceShared& sh, Tallies& t) {
  struct stat st {};
  if (::stat(sh.options.path.c_str(), &st) != 0)
    return false;  // gone for now (mid-rotation): keep the old file
  const FileId now{static_cast<std::uint64_t>(st.st_ino), static_cast<std::uint64_t>(st.st_dev)};
  if (now != sh.file) {
    while (read_chunk(sh, t) != 0) {  // what was appended to the old file before it was moved away
    }
    flush_partial(sh);
    if (!open_file(sh)) return false;
    t.rotations.add();
    log(LogLevel::info,
        "file_source: '" + sh.options.path + "' was rotated; reading the new file from its start");
    return true;
  }
  if (file_size(sh.fd) < sh.read_offset) {
    sh.read_offset = 0;
    sh.partial.clear();
    t.truncations.add();
    log(LogLevel::info, "file_source: '" + sh.options.path + "' was truncated; reading again from its start");
    return true;
  }
  return false;
}

enum class SendOutcomeAll { all_sent, full, closed };

// Send what is ready while the channel has room. At most `capacity` lines are ever sent and not yet
// committed: that bounds what a crash can deliver twice (the lines the consumer took after the last commit)
// by one channel's worth.
SendOutcomeAll send_ready(FileSourceShared& sh, Tx<std::string>& out, Tallies& t) {
  while (!sh.ready.empty()) {
    if (sh.in_flight.size() >= out.capacity()) return SendOutcomeAll::full;  // commit first (next pass)
    PendingLine& line = sh.ready.front();
    auto r = out.try_send(std::move(line.text));
    if (!r.sent()) {
      line.text = std::move(r).take_back();
      return r.outcome() == SendOutcome::closed ? SendOutcomeAll::closed : SendOutcomeAll::full;
    }
    sh.in_flight.push_back({out.ring().head_index(), line.end, line.file});
    sh.ready.pop_front();
    t.lines_read.add();
  }
  return SendOutcomeAll::all_sent;
}

// Commit the offset after the last line the consumer has taken.
void commit_taken(FileSourceShared& sh, Tx<std::string>& out, State<FileOffset>* state, Tallies& t) {
  const std::uint64_t taken = out.ring().taken_total();
  std::uint64_t n = 0;
  InFlight last;
  while (!sh.in_flight.empty() && sh.in_flight.front().position <= taken) {
    last = sh.in_flight.front();
    sh.in_flight.pop_front();
    ++n;
  }
  if (n == 0) return;
  t.lines_committed.add(n);
  sh.committed_offset.store(last.end, std::memory_order_relaxed);
  if (state == nullptr) return;
  FileOffset& o = **state;
  o.offset = last.end;
  o.inode = last.file.inode;
  o.device = last.file.device;
  o.lines += n;
  if (!state->commit()) log(LogLevel::warn, "file_source: cannot persist the offset: " + state->last_error());
}

}  // namespace

Task run_file_source(Context& ctx, Tx<std::string>& out, State<FileOffset>* state,
                     std::shared_ptr<FileSourceShared> sh) {
  using actors::detail::Tally;
  const FileSourceOptions& o = sh->options;
  Tallies t{Tally(ctx, "lines_read", sh->lines_read),   Tally(ctx, "bytes_read", sh->bytes_read),
            Tally(ctx, "rotations", sh->rotations),     Tally(ctx, "truncations", sh->truncations),
            Tally(ctx, "split_lines", sh->split_lines), Tally(ctx, "lines_committed", sh->lines_committed)};
  const auto poll = std::chrono::nanoseconds(std::max(o.poll, std::chrono::milliseconds(1)));
  if (o.path.empty())
    throw std::invalid_argument("file_source: options.path is empty (name the file to read)");
  ctx.set_label("path", o.path);

  while (ctx.is_running()) {
    commit_taken(*sh, out, state, t);
    if (sh->fd < 0) {
      if (!open_initial(*sh, state)) {
        ctx.set_status("waiting for " + o.path + " to appear");
        (void)co_await ctx.wait_for(poll);
        continue;
      }
      ctx.set_status("reading " + o.path);
    }
    if (!sh->ready.empty()) {
      const auto sent = send_ready(*sh, out, t);
      if (sent == SendOutcomeAll::closed) {
        log(LogLevel::warn,
            "file_source: the consumer of '" + out.name() + "' is gone; stopping to read " + o.path);
        co_return;
      }
      if (sent == SendOutcomeAll::full) (void)co_await ctx.wait_vacant(out, 1);
      continue;
    }
    if (sh->finished_reading) {  // without follow: wait until the consumer took everything, then return
      if (sh->in_flight.empty()) {
        if (state != nullptr) (void)state->flush();
        if (o.stop_graph_when_done) ctx.request_shutdown();
        co_return;
      }
      (void)co_await ctx.wait_vacant(out, out.capacity()).timeout(poll);
      continue;
    }
    if (read_chunk(*sh, t) != 0) continue;
    // End of file.
    if (!o.follow) {
      flush_partial(*sh);
      sh->finished_reading = true;
      continue;
    }
    if (check_rotation(*sh, t)) continue;
    if (state != nullptr && sh->in_flight.empty())
      (void)state->flush();  // idle: write what the cadence held back
    (void)co_await ctx.wait_for(poll);
  }
  // Stopping: give the consumer stop_grace to take what was sent, so its offset is committed.
  const auto deadline = ctx.now() + o.stop_grace;
  while (!sh->in_flight.empty() && ctx.now() < deadline && !ctx.core().forced_stop()) {
    (void)co_await ctx.wait_vacant(out, out.capacity()).timeout(deadline - ctx.now());
    commit_taken(*sh, out, state, t);
  }
  commit_taken(*sh, out, state, t);
  if (state != nullptr) (void)state->flush();
}

}  // namespace detail

FileSource::FileSource(FileSourceOptions options)
    : shared_(std::make_shared<detail::FileSourceShared>(std::move(options))) {}

Task FileSource::operator()(Context& ctx, Tx<std::string>& out) const {
  return detail::run_file_source(ctx, out, nullptr, shared_);
}
Task FileSource::operator()(Context& ctx, Tx<std::string>& out, State<FileOffset>& offset) const {
  return detail::run_file_source(ctx, out, &offset, shared_);
}

FileSourceStats FileSource::stats() const noexcept {
  const auto& s = *shared_;
  constexpr auto r = std::memory_order_relaxed;
  return {s.lines_read.load(r),  s.bytes_read.load(r),      s.rotations.load(r),       s.truncations.load(r),
          s.split_lines.load(r), s.lines_committed.load(r), s.committed_offset.load(r)};
}
const FileSourceOptions& FileSource::options() const noexcept {
  return shared_->options;
}

}  // namespace steady::actors
