// src/bridge/zmq_watch.cpp — the process's socket watcher thread (see zmq_watch.hpp for the wake-up
// protocol).
#include "zmq_watch.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>

#include <steady/log.hpp>

namespace steady::bridge::detail {
namespace {

class Watcher {
 public:
  // One per process, started on first use and never stopped (a detached thread blocked in epoll_wait; the
  // process may exit at any time, as with the ZeroMQ context).
  static Watcher& get() {
    static Watcher* w = new Watcher;
    return *w;
  }

  void add(SocketWatch::Entry& e) {
    std::lock_guard lock(mu_);
    e.id = next_id_++;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;  // each write to the mailbox once (see zmq_watch.hpp)
    ev.data.u64 = e.id;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, e.fd, &ev) != 0)
      throw std::system_error(errno, std::generic_category(),
                              "bridge: cannot watch a ZeroMQ socket (epoll_ctl)");
    entries_.emplace(e.id, &e);
  }

  // After this returns the watcher never touches `e` again (reports are dispatched under the same lock).
  void remove(SocketWatch::Entry& e) noexcept {
    std::lock_guard lock(mu_);
    entries_.erase(e.id);
    (void)::epoll_ctl(epfd_, EPOLL_CTL_DEL, e.fd,
                      nullptr);  // the socket closes after this; nothing to do on error
  }

 private:
  Watcher() : epfd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (epfd_ < 0)
      throw std::system_error(errno, std::generic_category(),
                              "bridge: cannot create the socket watcher (epoll)");
    std::thread([this] { run(); }).detach();
  }

  void run() noexcept {
    epoll_event events[64];
    for (;;) {
      const int n = ::epoll_wait(epfd_, events, 64, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        log(LogLevel::error, "bridge: the socket watcher stopped (epoll_wait failed: " +
                                 std::system_category().message(errno) +
                                 "); bridge actors no longer wake on their "
                                 "sockets");
        return;
      }
      std::lock_guard lock(mu_);
      for (int i = 0; i < n; ++i) {
        const auto it = entries_.find(events[i].data.u64);
        if (it == entries_.end()) continue;  // removed after epoll_wait returned
        SocketWatch::Entry& e = *it->second;
        e.fired.store(true, std::memory_order_release);  // before the ring: the actor looks after it wakes
        e.bell->ring();
      }
    }
  }

  const int epfd_;
  std::mutex mu_;  // guards entries_ and makes a report and a removal mutually exclusive
  std::unordered_map<std::uint64_t, SocketWatch::Entry*> entries_;
  std::uint64_t next_id_ = 1;
};

}  // namespace

SocketWatch::SocketWatch(Doorbell& bell, const int (&fds)[kMax]) {
  Watcher& w = Watcher::get();
  std::size_t added = 0;
  try {
    for (; added < kMax; ++added) {
      entries_[added].fd = fds[added];
      entries_[added].bell = &bell;
      w.add(entries_[added]);
    }
  } catch (...) {
    while (added > 0) w.remove(entries_[--added]);
    throw;
  }
}

SocketWatch::~SocketWatch() {
  Watcher& w = Watcher::get();
  for (auto& e : entries_) w.remove(e);
}

}  // namespace steady::bridge::detail
