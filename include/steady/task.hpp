// steady/task.hpp — steady::Task, the return type of every actor coroutine.
//
//   steady::Task my_actor(steady::Context& ctx, steady::Rx<int>& in, steady::Tx<int>& out) { ...co_await... }
//
// A Task is created suspended and is resumed only by the actor's executor. It is move-only and owns its coroutine
// frame. An exception that escapes the coroutine is kept in the promise and handled at the actor boundary by the
// graph (logged, counted, and handed to the actor's failure policy). Returning from the coroutine means "this actor
// agrees to stop"; the graph then closes the actor's outputs for it.
//
// Keep per-item loops in ordinary functions called once per batch: g++ keeps coroutine locals in the heap frame,
// which makes tight loops written inline in the coroutine body markedly slower.
#pragma once

#include <coroutine>
#include <exception>
#include <utility>

namespace steady {

class [[nodiscard]] Task {
 public:
  struct promise_type {
    std::exception_ptr error;
    Task get_return_object() noexcept { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }  // the executor starts it
    std::suspend_always final_suspend() noexcept { return {}; }    // the executor sees done() and destroys it
    void return_void() noexcept {}
    void unhandled_exception() noexcept { error = std::current_exception(); }
  };
  using Handle = std::coroutine_handle<promise_type>;

  Task() noexcept = default;
  explicit Task(Handle h) noexcept : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(h_); }
  [[nodiscard]] bool done() const noexcept { return h_ && h_.done(); }
  [[nodiscard]] Handle handle() const noexcept { return h_; }
  [[nodiscard]] std::exception_ptr error() const noexcept { return h_ ? h_.promise().error : nullptr; }
  void reset() noexcept {
    if (h_) h_.destroy();
    h_ = {};
  }

 private:
  Handle h_;
};

}  // namespace steady
