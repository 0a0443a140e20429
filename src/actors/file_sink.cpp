// src/actors/file_sink.cpp — FileSink (include/steady/actors/file_sink.hpp): batched appends with
// peek-before-take, the fsync policy and rotation by size.
#include "steady/actors/file_sink.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "steady/actors/detail/tally.hpp"
#include "steady/log.hpp"

namespace steady::actors {

namespace detail {

struct FileSinkShared {
  explicit FileSinkShared(FileSinkOptions o) : options(std::move(o)) {}
  ~FileSinkShared() {
    if (fd >= 0) ::close(fd);
  }
  FileSinkShared(const FileSinkShared&) = delete;
  FileSinkShared& operator=(const FileSinkShared&) = delete;

  const FileSinkOptions options;
  // The file (the actor's thread only; kept across incarnations).
  int fd = -1;
  std::uint64_t size = 0;  // bytes in the current file
  bool unsynced = false;   // written since the last fsync
  std::chrono::steady_clock::time_point first_unsynced{};
  std::string buffer;  // one write's bytes
  std::atomic<std::uint64_t> records{0}, bytes{0}, writes{0}, fsyncs{0}, rotations{0};
};

namespace {

struct Tallies {
  actors::detail::Tally records, bytes, writes, fsyncs, rotations;
};

[[noreturn]] void fail(const FileSinkShared& sh, const char* what, int e) {
  throw std::runtime_error("file_sink: cannot " + std::string(what) + " '" + sh.options.path +
                           "': " + std::strerror(e) +
                           (e == ENOENT   ? " (does its directory exist?)"
                            : e == ENOSPC ? " (the disk is full; the messages stay in the channel)"
                                          : ""));
}

void open_file(FileSinkShared& sh) {
  const int fd = ::open(sh.options.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) fail(sh, "open", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    fail(sh, "stat", e);
  }
  sh.fd = fd;
  sh.size = static_cast<std::uint64_t>(st.st_size);
}

void sync_now(FileSinkShared& sh, Tallies& t) {
  if (sh.fd < 0 || !sh.unsynced) return;
  if (::fsync(sh.fd) != 0) fail(sh, "fsync", errno);
  sh.unsynced = false;
  t.fsyncs.add();
}

void write_buffer(FileSinkShared& sh, Tallies& t, std::chrono::steady_clock::time_point now) {
  std::string_view rest = sh.buffer;
  while (!rest.empty()) {
    const ssize_t n = ::write(sh.fd, rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      // What was written stays (appends are not undone); the records stay in the channel and go again: a
      // partial record may then appear twice. Rare (disk full), and said in the log.
      sh.size += sh.buffer.size() - rest.size();
      sh.buffer.clear();
      fail(sh, "write to", e);
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  sh.size += sh.buffer.size();
  t.bytes.add(sh.buffer.size());
  t.writes.add();
  if (!sh.unsynced) sh.first_unsynced = now;
  sh.unsynced = true;
  sh.buffer.clear();
  if (sh.options.fsync == Fsync::every_batch) sync_now(sh, t);
}

// path → path.1, path.1 → path.2, …; the one beyond keep is deleted. Then a new file.
void rotate(FileSinkShared& sh, Tallies& t) {
  if (sh.options.fsync != Fsync::never) sync_now(sh, t);
  ::close(sh.fd);
  sh.fd = -1;
  const std::string& p = sh.options.path;
  const std::size_t keep = sh.options.keep;
  auto name = [&p](std::size_t i) { return p + "." + std::to_string(i); };
  if (keep == 0) {
    ::unlink(p.c_str());
  } else {
    ::unlink(name(keep).c_str());
    for (std::size_t i = keep; i > 1; --i) (void)std::rename(name(i - 1).c_str(), name(i).c_str());
    if (std::rename(p.c_str(), name(1).c_str()) != 0) fail(sh, "rename (rotation)", errno);
  }
  open_file(sh);
  t.rotations.add();
}

// Write up to `max` records from the channel, then take them. Returns how many.
std::size_t write_batch(FileSinkShared& sh, Rx<std::string>& in, Tallies& t,
                        std::chrono::steady_clock::time_point now) {
  const std::size_t max = std::max<std::size_t>(1, sh.options.batch);
  const std::uint64_t limit = sh.options.rotate_bytes;
  const auto items = in.peek_slice(max);
  sh.buffer.clear();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string& rec = items[i];
    const std::size_t len = rec.size() + ((rec.empty() || rec.back() != '\n') ? 1 : 0);
    if (limit != 0 && sh.size + sh.buffer.size() + len > limit && sh.size + sh.buffer.size() > 0) {
      if (!sh.buffer.empty()) write_buffer(sh, t, now);
      rotate(sh, t);
    }
    sh.buffer += rec;
    if (len != rec.size()) sh.buffer += '\n';
  }
  if (!sh.buffer.empty()) write_buffer(sh, t, now);
  in.advance_take(items.size());
  t.records.add(items.size());
  return items.size();
}

}  // namespace

Task run_file_sink(Context& ctx, Rx<std::string>& in, std::shared_ptr<FileSinkShared> sh) {
  using actors::detail::Tally;
  const FileSinkOptions& o = sh->options;
  if (o.path.empty())
    throw std::invalid_argument("file_sink: options.path is empty (name the file to write)");
  Tallies t{Tally(ctx, "records_written", sh->records), Tally(ctx, "bytes_written", sh->bytes),
            Tally(ctx, "writes", sh->writes), Tally(ctx, "fsyncs", sh->fsyncs),
            Tally(ctx, "rotations", sh->rotations)};
  ctx.set_label("path", o.path);
  if (sh->fd < 0) open_file(*sh);
  const auto every = std::chrono::nanoseconds(std::max(o.fsync_every, std::chrono::milliseconds(1)));
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    if (o.fsync == Fsync::interval && sh->unsynced) {
      const auto left = std::max(std::chrono::nanoseconds(0), sh->first_unsynced + every - ctx.now());
      (void)co_await ctx.wait_any(avail(in, 1), after(left));
      if (ctx.now() >= sh->first_unsynced + every) sync_now(*sh, t);
    } else {
      (void)co_await ctx.wait_avail(in, 1);
    }
    if (in.is_closed_and_empty()) break;
    (void)write_batch(*sh, in, t, ctx.now());
  }
  if (o.fsync != Fsync::never) sync_now(*sh, t);
  ::close(sh->fd);
  sh->fd = -1;
}

}  // namespace detail

FileSink::FileSink(FileSinkOptions options)
    : shared_(std::make_shared<detail::FileSinkShared>(std::move(options))) {}

Task FileSink::operator()(Context& ctx, Rx<std::string>& in) const {
  return detail::run_file_sink(ctx, in, shared_);
}

FileSinkStats FileSink::stats() const noexcept {
  const auto& s = *shared_;
  constexpr auto r = std::memory_order_relaxed;
  return {s.records.load(r), s.bytes.load(r), s.writes.load(r), s.fsyncs.load(r), s.rotations.load(r)};
}
const FileSinkOptions& FileSink::options() const noexcept {
  return shared_->options;
}

}  // namespace steady::actors
