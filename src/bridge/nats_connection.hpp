// src/bridge/nats_connection.hpp — what both NATS bridge links share (internal, never installed): one cnats
// connection with its callbacks, stream set-up, and small helpers.
//
// Callback lifetime. cnats calls our callbacks on its own threads, with a raw closure pointer. The closure is
// a ConnHooks that holds a shared_ptr to the actor's shared state; closing waits (bounded) for the
// connection's closed callback and for callbacks in progress, and leaks the hooks rather than free them under
// a late callback if that wait times out.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <steady/bridge/nats.hpp>

namespace steady::bridge::detail {

struct ConnHooks {
  std::shared_ptr<void> keep;  // the actor's shared state: alive while callbacks may run
  NatsConnState* state = nullptr;
  Doorbell* bell = nullptr;
  std::string who;  // "bridge nats publisher 'uplink'"
  std::string url;
  std::chrono::milliseconds reconnect_wait{250};
  std::function<void(natsMsg*, jsPubAck*, jsPubAckErr*)> on_pub_ack;  // publisher only
  std::atomic<bool> reconnected{
      false};  // set by the reconnected callback (the subscriber re-creates its consumer)
  std::atomic<bool> closing{false};  // we are closing it: disconnections are expected
  std::atomic<bool> closed{false};
  std::atomic<int> in_callback{0};
  std::mutex mu;
  std::condition_variable cv;  // connected / closed
  std::string last_error;      // guarded by mu
  void set_error(std::string e) {
    std::lock_guard lock(mu);
    last_error = std::move(e);
  }
  std::string error() {
    std::lock_guard lock(mu);
    return last_error;
  }
  // Wake waiters on `cv` after a change made outside `mu` (passing through the mutex: no lost wake-up).
  void signal() {
    { std::lock_guard lock(mu); }
    cv.notify_all();
  }
};

// "status text: detail" for the last cnats error on this thread.
std::string nats_error_text(natsStatus s);

// One connection and its JetStream context. Created on a link's helper thread: the first connect attempt may
// block on a name lookup or a slow TCP handshake (up to its 2 s timeout); then cnats reconnects by itself.
class NatsConn {
 public:
  explicit NatsConn(std::unique_ptr<ConnHooks> hooks) : hooks_(std::move(hooks)) {}
  ~NatsConn() { close(); }
  NatsConn(const NatsConn&) = delete;
  NatsConn& operator=(const NatsConn&) = delete;
  // Connect (or start connecting in the background). False, with hooks().last_error set, on bad options.
  bool open(bool with_pub_acks);
  void close();
  // Wait (bounded) until connected; true when connected.
  bool wait_connected(std::chrono::milliseconds d, const std::atomic<bool>& stop);
  [[nodiscard]] natsConnection* nc() const noexcept { return nc_; }
  [[nodiscard]] jsCtx* js() const noexcept { return js_; }
  [[nodiscard]] ConnHooks& hooks() noexcept { return *hooks_; }

 private:
  std::unique_ptr<ConnHooks> hooks_;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
};

// Check the stream exists; create it (file storage) when `create` and it does not. "" on success, or why not.
std::string ensure_stream(jsCtx* js, const std::string& stream, const std::vector<std::string>& subjects,
                          bool create);

// Validate what both links need; throws std::invalid_argument naming the actor and the option.
void check_options(const std::string& who, const std::string& url, const std::string& subject,
                   const std::string& stream, bool stream_required);

std::string random_hex_id();

}  // namespace steady::bridge::detail
