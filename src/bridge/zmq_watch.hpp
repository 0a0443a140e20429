// src/bridge/zmq_watch.hpp — wakes a bridge actor when one of its ZeroMQ sockets may have become ready,
// without the actor polling. Private to steady::bridge_zmq.
//
// The executor cannot wait on file descriptors, so one watcher thread per process (started on first use,
// never stopped, like the ZeroMQ context) waits in epoll_wait on the ZMQ_FD of every bridge socket and rings
// the owning link's Doorbell.
//
// ZMQ_FD is not "a message is ready": it is the socket's command mailbox (an eventfd), written when a command
// reaches a mailbox whose reader is idle. Only the socket's own thread processes commands (ZMQ_EVENTS, send
// and recv do), and every such processing ends with the mailbox idle again. So after the actor's last call on
// a socket, the first command to arrive (any change to its readiness) writes the descriptor; later ones queue
// behind it. The descriptors are registered edge-triggered (EPOLLET): each write is reported once, and a
// descriptor that stays readable while the actor is busy or not interested is not reported again, so the
// watcher never spins and needs no re-arming. The watcher marks the socket `fired`, then rings the bell. For
// each socket it waits on, the actor:
//
//   1. drains it until it would block (a receive that finds nothing processes the pending commands first; a
//      drained socket whose descriptor has not fired since is skipped: nothing can have arrived);
//   2. for a socket it last sent on (a failed send may leave commands unprocessed): if it fired since the
//   last
//      look, reads ZMQ_EVENTS, which processes them; ready → it rings its own bell and passes again;
//   3. waits on rung(bell), with its channel and timer.
//
// Why no wake-up is lost: a command left unprocessed after step 1 or 2 either arrived earlier (then it, or
// the one it queued behind, wrote the descriptor, the watcher marked the socket fired, and step 2 saw that —
// or sees it after the ring the watcher is about to make) or arrives later (a new write: reported, fired,
// rung). The Doorbell counts rings, so a ring that lands between the actor's look and its wait satisfies the
// wait. A report about an event the actor already handled costs one spurious pass, never a lost one.
// Deregistration (the link's destructor) takes the watcher's lock, so no ring reaches a link that is gone.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include <steady/doorbell.hpp>

namespace steady::bridge::detail {

// The descriptors of one link's sockets, watched for as long as this object lives. Used by the link's actor
// only.
class SocketWatch {
 public:
  static constexpr std::size_t kMax = 2;
  // Registers `fds` (ZMQ_FDs); `bell` must outlive this object. Throws std::system_error when epoll fails.
  SocketWatch(Doorbell& bell, const int (&fds)[kMax]);
  ~SocketWatch();
  SocketWatch(const SocketWatch&) = delete;
  SocketWatch& operator=(const SocketWatch&) = delete;

  // Whether descriptor i was reported since the last call (and clears that).
  [[nodiscard]] bool fired(std::size_t i) noexcept {
    return entries_[i].fired.exchange(false, std::memory_order_acq_rel);
  }

  struct Entry {
    int fd = -1;
    std::uint64_t id = 0;  // the watcher's key (never reused): a late report for a removed id is ignored
    Doorbell* bell = nullptr;
    std::atomic<bool> fired{
        true};  // reported since the actor last looked (set by the watcher before it rings)
  };

 private:
  Entry entries_[kMax];
};

}  // namespace steady::bridge::detail
