// src/state.cpp — the state file format and its atomic write (see steady/state.hpp).
//
// Layout (little-endian, as written by this machine):
//   8 bytes  magic "STEADYST"
//   4 bytes  file format version (1)
//   4 bytes  the user's state version
//   8 bytes  payload size
//   8 bytes  FNV-1a 64 checksum over the three fields above and the payload
//   payload
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include "steady/state.hpp"

namespace steady::detail {
namespace {

constexpr char kMagic[8] = {'S', 'T', 'E', 'A', 'D', 'Y', 'S', 'T'};
constexpr std::uint32_t kFormat = 1;
constexpr std::size_t kHeader = 8 + 4 + 4 + 8 + 8;

std::uint64_t fnv1a(std::uint64_t h, const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ULL;  // FNV-1a 64-bit prime
  }
  return h;
}

std::uint64_t checksum(std::uint32_t format, std::uint32_t version, std::uint64_t size, std::string_view payload) {
  std::uint64_t h = 14695981039346656037ULL;  // FNV-1a 64-bit offset basis
  h = fnv1a(h, &format, sizeof format);
  h = fnv1a(h, &version, sizeof version);
  h = fnv1a(h, &size, sizeof size);
  return fnv1a(h, payload.data(), payload.size());
}

std::string sys_error(const std::string& what, const std::filesystem::path& p) {
  return what + " '" + p.string() + "': " + std::strerror(errno);
}

bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace

Result<std::optional<std::string>> load_state_file(const std::filesystem::path& path, std::uint32_t version) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT || !std::filesystem::exists(path)) return std::optional<std::string>{};
    return Error{sys_error("cannot open state file", path)};
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  auto payload = decode_state_file(buf.str(), "state file '" + path.string() + "'", version);
  if (!payload) return Error{payload.error()};
  return std::optional<std::string>(std::move(payload.value()));
}

Result<std::string> decode_state_file(std::string_view data, const std::string& where, std::uint32_t version) {
  if (data.size() < kHeader || std::memcmp(data.data(), kMagic, 8) != 0)
    return Error{where + " is not a steady_state state file or is cut short (" + std::to_string(data.size()) +
                 " bytes)"};
  std::uint32_t format = 0, user = 0;
  std::uint64_t size = 0, sum = 0;
  std::memcpy(&format, data.data() + 8, 4);
  std::memcpy(&user, data.data() + 12, 4);
  std::memcpy(&size, data.data() + 16, 8);
  std::memcpy(&sum, data.data() + 24, 8);
  if (format != kFormat)
    return Error{where + " has file format " + std::to_string(format) + "; this build reads format " +
                 std::to_string(kFormat)};
  if (data.size() - kHeader != size)
    return Error{where + " is corrupt: the header says " + std::to_string(size) + " bytes of state, the file has " +
                 std::to_string(data.size() - kHeader) + " (cut short or appended to)"};
  const std::string_view payload(data.data() + kHeader, size);
  if (checksum(format, user, size, payload) != sum)
    return Error{where + " is corrupt: checksum mismatch (the contents were altered)"};
  if (user != version)
    return Error{where + " holds state version " + std::to_string(user) + ", but this build expects version " +
                 std::to_string(version)};
  return std::string(payload);
}

std::string encode_state_file(std::uint32_t version, std::string_view payload) {
  std::string file(kHeader, '\0');
  const std::uint64_t size = payload.size();
  const std::uint64_t sum = checksum(kFormat, version, size, payload);
  std::memcpy(file.data(), kMagic, 8);
  std::memcpy(file.data() + 8, &kFormat, 4);
  std::memcpy(file.data() + 12, &version, 4);
  std::memcpy(file.data() + 16, &size, 8);
  std::memcpy(file.data() + 24, &sum, 8);
  file.append(payload);
  return file;
}

Result<bool> write_state_file(const std::filesystem::path& path, std::uint32_t version, std::string_view payload) {
  const std::string file = encode_state_file(version, payload);

  // Atomic replace: write a temporary file beside it, fsync it, rename over, fsync the directory.
  const std::filesystem::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error{sys_error("cannot write state file", tmp)};
  if (!write_all(fd, file.data(), file.size()) || ::fsync(fd) != 0) {
    const std::string e = sys_error("cannot write state file", tmp);
    ::close(fd);
    return Error{e};
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Error{sys_error("cannot replace state file", path)};
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    (void)::fsync(dfd);  // the rename itself durable
    ::close(dfd);
  }
  return true;
}

std::filesystem::path quarantine_state_file(const std::filesystem::path& path) {
  const auto secs =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::filesystem::path aside = path.string() + ".corrupt-" + std::to_string(secs);
  std::error_code ec;
  std::filesystem::rename(path, aside, ec);
  return ec ? path : aside;
}

}  // namespace steady::detail
