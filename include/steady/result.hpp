// steady/result.hpp — a value or a message a user can act on, for setup steps that can fail on bad input or a bad
// environment (a corrupt state file, a port in use). Exceptions are kept for the actor boundary.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace steady {

struct Error {
  std::string message;  // what is wrong and what to do about it
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit, like std::expected
  Result(Error e) : v_(std::move(e)) {}      // NOLINT
  [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  [[nodiscard]] T& value() & {
    if (!ok()) throw std::runtime_error(error());
    return std::get<0>(v_);
  }
  [[nodiscard]] T&& value() && {
    if (!ok()) throw std::runtime_error(error());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  T* operator->() { return &value(); }
  [[nodiscard]] const std::string& error() const noexcept {
    static const std::string none;
    return ok() ? none : std::get<1>(v_).message;
  }

 private:
  std::variant<T, Error> v_;
};

}  // namespace steady
