// bench/common/program.hpp — what the benchmark programs' main() functions share: the start (stdout, command line,
// log level) and the --callgrind mode of W1 and W2. Everything here runs on the main thread, before or instead of the
// timed figures.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include <steady/log.hpp>

#include "harness.hpp"

namespace bench {

// stdout line by line, also into a pipe (scripts/bench tees it: a FAIL line must not wait in a buffer); the shared
// command line (exits 2 on a bad argument, 0 after --help); the runtime's log level.
inline Args start(int argc, char** argv, const char* usage, steady::LogLevel level = steady::LogLevel::warn) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const Args args = parse_args(argc, argv, usage);
  steady::set_log_level(level);
  return args;
}

// --callgrind (bench/callgrind.sh): one implementation, run once with --n items, one `CALLGRIND <workload> ...`
// line; instruction counts, not time. `impls_for(batch)` lists the implementations --impl selects at that batch
// size, in order of preference: the first one runs. Returns the exit status: 0 when its checksum held, 1 when not,
// 2 when the command line does not name exactly one of them.
template <class ImplsFor>
int run_callgrind(const char* workload, const Args& args, const std::vector<std::size_t>& batches,
                  ImplsFor&& impls_for) {
  if (args.impls.size() != 1 || batches.size() != 1 || args.n == 0) {
    std::fprintf(stderr, "--callgrind needs exactly one --impl, one --batch and --n\n");
    return 2;
  }
  const Impls impls = impls_for(batches[0]);
  if (impls.empty()) {
    std::fprintf(stderr, "unknown --impl for this batch/api\n");
    return 2;
  }
  const auto& [name, fn] = impls.front();
  const RunResult r = fn();
  std::printf("CALLGRIND %s batch=%zu impl=%s n=%llu ok=%d %s\n", workload, batches[0], name.c_str(),
              static_cast<unsigned long long>(args.n), r.ok ? 1 : 0, r.note.c_str());
  return r.ok ? 0 : 1;
}

}  // namespace bench
