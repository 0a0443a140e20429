// src/failure_trace_off.cpp — stands in for failure_trace.cpp and crash_handler.cpp when the library is built
// with -DSTEADY_WITH_TRACES=OFF: no throw hook, no crash handler, failures are logged without a trace.
#include "failure_trace.hpp"

namespace steady::detail {

std::string throw_site_trace() {
  return {};
}
std::string describe_frames(void* const*, std::size_t, bool) {
  return {};
}
void install_crash_handler() {}
AltSignalStack::AltSignalStack() noexcept {}
AltSignalStack::~AltSignalStack() = default;

}  // namespace steady::detail
