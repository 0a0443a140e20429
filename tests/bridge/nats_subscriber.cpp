// tests/bridge/nats_subscriber.cpp — the subscribing process of the NATS bridge tests: a NatsSubscriber
// feeding a sink that appends "seq index value" lines to a file, one write(2) per batch, before it takes the
// batch from its channel (so what was taken is in the file, and what was acknowledged was taken). On start it
// reads the file back (dropping a torn last line) and passes the last record's position as resume_after: a
// restarted process continues exactly where the file ends, whatever the last one fetched or acknowledged.
//   nats_subscriber URL FILE COUNT ITEMS_PER_MESSAGE
// Prints "resume <seq> <index> <records>" at start, "progress <records>" every 50,000 records, "done" once
// the file holds COUNT records, then "stats ..." and "report <clean|unclean> <text>".
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <steady/bridge/nats.hpp>
#include <steady/steady.hpp>

namespace {

using u64 = std::uint64_t;
using steady::bridge::NatsPosition;
using steady::bridge::Sequenced;

struct FileState {
  NatsPosition last{};
  u64 records = 0;
};

// Read the file's complete lines; truncate a torn tail (a write cut short by a kill).
FileState read_back(const std::string& path) {
  FileState st;
  std::ifstream in(path, std::ios::binary);
  if (!in) return st;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto end = data.rfind('\n');
  const std::size_t keep = end == std::string::npos ? 0 : end + 1;
  if (keep != data.size()) (void)::truncate(path.c_str(), static_cast<off_t>(keep));
  if (keep == 0) return st;
  st.records =
      static_cast<u64>(std::count(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(keep), '\n'));
  const auto prev = keep >= 2 ? data.rfind('\n', keep - 2) : std::string::npos;  // the line before the last
  const std::size_t from = prev == std::string::npos ? 0 : prev + 1;
  const std::string last = data.substr(from, keep - 1 - from);
  unsigned long long seq = 0, value = 0;
  unsigned index = 0;
  if (std::sscanf(last.c_str(), "%llu %u %llu", &seq, &index, &value) == 3) st.last = {seq, index};
  return st;
}

struct Sink {
  int fd = -1;
  u64 records = 0, goal = 0;
  std::string buf;
};

void append(std::string& buf, u64 v) {
  char tmp[24];
  const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  buf.append(tmp, r.ptr);
}

// Format a slice, write it (all of it), then take it from the channel.
std::size_t persist(steady::Rx<Sequenced<u64>>& in, Sink& s) {
  const auto got = in.peek_slice(4096);
  s.buf.clear();
  for (std::size_t i = 0; i < got.size(); ++i) {
    const auto& m = got[i];
    append(s.buf, m.seq);
    s.buf += ' ';
    append(s.buf, m.index);
    s.buf += ' ';
    append(s.buf, m.value);
    s.buf += '\n';
  }
  std::size_t off = 0;
  while (off < s.buf.size()) {
    const ssize_t n = ::write(s.fd, s.buf.data() + off, s.buf.size() - off);
    if (n <= 0) throw std::runtime_error("cannot write the sink file");
    off += static_cast<std::size_t>(n);
  }
  in.advance_take(got.size());  // taken only once it is in the file
  return got.size();
}

steady::Task sink(steady::Context& ctx, steady::Rx<Sequenced<u64>>& in, std::shared_ptr<Sink>& s) {
  while (ctx.is_running([&] { return in.is_closed_and_empty(); })) {
    co_await ctx.wait_avail(in, 1);
    const u64 before = s->records;
    s->records += persist(in, *s);
    if (s->records / 50'000 != before / 50'000) {
      std::printf("progress %llu\n", static_cast<unsigned long long>(s->records));
      std::fflush(stdout);
    }
    if (s->records >= s->goal && before < s->goal) {
      std::printf("done\n");
      std::fflush(stdout);
      ctx.request_shutdown();
    }
    if (in.is_closed_and_empty()) co_return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s URL FILE COUNT ITEMS_PER_MESSAGE\n", argv[0]);
    return 2;
  }
  const std::string path = argv[2];
  const FileState st = read_back(path);
  auto s = std::make_shared<Sink>();
  s->records = st.records;
  s->goal = std::stoull(argv[3]);
  s->fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (s->fd < 0) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    return 2;
  }
  std::printf("resume %llu %u %llu\n", static_cast<unsigned long long>(st.last.seq), st.last.index,
              static_cast<unsigned long long>(st.records));
  std::fflush(stdout);

  auto graph = steady::GraphBuilder::for_production().build();
  auto [tx, rx] = graph.channel<Sequenced<u64>>().name("received").capacity(8192).build();
  steady::bridge::NatsSubscriber<u64> subscriber({.url = argv[1],
                                                  .subject = "steady.numbers",
                                                  .stream = "STEADY_TEST",
                                                  .durable = "test-sink",
                                                  .items_per_message = std::stoull(argv[4]),
                                                  .resume_after = st.last});
  graph.actor("subscriber").run(subscriber, std::move(tx));
  graph.actor("sink").run(sink, std::move(rx), s);
  graph.start();
  const steady::StopReport report = graph.block_until_stopped(std::chrono::seconds(20));
  ::close(s->fd);
  const auto x = subscriber.stats();
  std::printf(
      "stats delivered=%llu received=%llu acknowledged=%llu redelivered=%llu resumed=%llu malformed=%llu "
      "resyncs=%llu reconnects=%llu\n",
      static_cast<unsigned long long>(x.delivered), static_cast<unsigned long long>(x.received),
      static_cast<unsigned long long>(x.acknowledged), static_cast<unsigned long long>(x.redelivered),
      static_cast<unsigned long long>(x.resumed), static_cast<unsigned long long>(x.malformed),
      static_cast<unsigned long long>(x.resyncs), static_cast<unsigned long long>(x.reconnects));
  std::printf("report %s %s\n", report.clean ? "clean" : "unclean", report.to_string().c_str());
  std::fflush(stdout);
  return report.clean ? 0 : 1;
}
