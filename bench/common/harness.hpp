// bench/common/harness.hpp — the small harness every benchmark program shares.
//
//   - command line: --quick, --smoke, --rounds R, --batch B[,B...], --n N, --impl NAME[,NAME...], --seconds S,
//     --callgrind (run one implementation once, for valgrind), --api slice|zc|both; each program's defaults for a
//     smoke, quick or full run (Args::n_or, rounds_or, seconds_or, batches_or);
//   - the machine line (CPU model and cores from /proc/cpuinfo, kernel, compiler, build flags);
//   - interleaved rounds: every round runs each implementation of a figure group once, the start rotating from round
//     to round so no implementation always runs first; medians per implementation; ratios of medians;
//   - figure groups (one per batch size: batch_group), one machine-readable `BENCH ...` line per figure and a
//     markdown table at the end;
//   - the exit status: 1 when any run's checksum failed.
#pragma once

#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#ifndef BENCH_BUILD_TYPE
#define BENCH_BUILD_TYPE "unknown"
#endif
#ifndef BENCH_CXX_FLAGS
#define BENCH_CXX_FLAGS ""
#endif

namespace bench {

// ---------------------------------------------------------------- time

inline std::uint64_t now_ns() noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}
inline double context_switches() noexcept {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_nvcsw + ru.ru_nivcsw);
}
inline double process_cpu_seconds() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// ---------------------------------------------------------------- arguments

struct Args {
  bool quick = false;
  bool smoke = false;      // tiny sizes: only checks that everything runs and checksums match
  bool callgrind = false;  // run exactly one implementation once with --n items, no timing table
  int rounds = 0;          // 0 = the program's default
  std::vector<std::size_t> batches;
  std::uint64_t n = 0;     // 0 = the program's default
  std::vector<std::string> impls;  // empty = all
  std::string api = "both";        // slice | zc | both
  double seconds = 0;              // W4 measurement window, 0 = default
  long lat_sample = -1;            // steady channels: latency_sample_every(n); -1 = the runtime's default

  [[nodiscard]] bool wants(const std::string& impl) const {
    return impls.empty() || std::find(impls.begin(), impls.end(), impl) != impls.end();
  }
  [[nodiscard]] bool wants_api(const std::string& a) const { return api == "both" || api == a; }

  // A program's defaults, one for each size of run.
  template <class T>
  struct ByMode {
    T smoke, quick, full;
  };
  template <class T>
  [[nodiscard]] T by_mode(ByMode<T> d) const {
    return smoke ? d.smoke : quick ? d.quick : d.full;
  }
  // The value given on the command line, else the program's default for this size of run.
  [[nodiscard]] std::uint64_t n_or(ByMode<std::uint64_t> d) const { return n != 0 ? n : by_mode(d); }
  [[nodiscard]] int rounds_or(ByMode<int> d) const { return rounds > 0 ? rounds : by_mode(d); }
  [[nodiscard]] double seconds_or(ByMode<double> d) const { return seconds > 0 ? seconds : by_mode(d); }
  [[nodiscard]] std::vector<std::size_t> batches_or(std::vector<std::size_t> d) const {
    return batches.empty() ? d : batches;
  }
};

inline std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

inline Args parse_args(int argc, char** argv, const char* usage) {
  Args a;
  auto need = [&](int& i) -> std::string {
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s: %s needs a value\n%s", argv[0], argv[i], usage);
      std::exit(2);
    }
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if (s == "--quick") a.quick = true;
    else if (s == "--smoke") a.smoke = true;
    else if (s == "--callgrind") a.callgrind = true;
    else if (s == "--rounds") a.rounds = std::stoi(need(i));
    else if (s == "--n") a.n = std::stoull(need(i));
    else if (s == "--seconds") a.seconds = std::stod(need(i));
    else if (s == "--api") a.api = need(i);
    else if (s == "--lat-sample") a.lat_sample = std::stol(need(i));
    else if (s == "--impl") {
      for (auto& x : split_list(need(i))) a.impls.push_back(x);
    } else if (s == "--batch") {
      for (auto& x : split_list(need(i))) a.batches.push_back(std::stoull(x));
    } else if (s == "-h" || s == "--help") {
      std::fputs(usage, stdout);
      std::exit(0);
    } else {
      std::fprintf(stderr, "%s: unknown argument '%s'\n%s", argv[0], s.c_str(), usage);
      std::exit(2);
    }
  }
  if (a.api != "slice" && a.api != "zc" && a.api != "both") {
    std::fprintf(stderr, "%s: --api must be slice, zc or both\n", argv[0]);
    std::exit(2);
  }
  return a;
}

// ---------------------------------------------------------------- machine

inline std::string machine_line() {
  std::string model = "unknown";
  int cpus = 0;
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("processor", 0) == 0) ++cpus;
    if (model == "unknown" && line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) model = line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  utsname u{};
  uname(&u);
  std::string load = "?";
  {
    std::ifstream la("/proc/loadavg");
    std::string a, b, c;
    if (la >> a >> b >> c) load = a + "/" + b + "/" + c;
  }
  std::ostringstream o;
  o << "MACHINE cpu=\"" << model << "\" cores=" << cpus << " hw_threads=" << std::thread::hardware_concurrency()
    << " kernel=" << u.release << " compiler=\"g++ " << __VERSION__ << "\" build=" << BENCH_BUILD_TYPE
    << " flags=\"" << BENCH_CXX_FLAGS << "\" loadavg=" << load;
  return o.str();
}

// ---------------------------------------------------------------- one run

struct RunResult {
  std::uint64_t items = 0;
  double seconds = 0;
  bool ok = false;          // checksum (and order) verified
  std::string note;         // why it failed
  double csw = 0;           // context switches (voluntary + involuntary, whole process) during the run
  [[nodiscard]] double mitems_s() const noexcept { return seconds > 0 ? items / seconds / 1e6 : 0; }
};

// Verifies a u64 stream 1..n: the consumer folds every value it sees into this.
struct Check {
  std::uint64_t expect = 1;  // next value in order
  std::uint64_t sum = 0;
  std::uint64_t bad = 0;     // non-zero when any value arrived out of order

  // The per-item work of every consumer, reference or ours: a plain loop the compiler may vectorise.
  void fold(const std::uint64_t* p, std::size_t k) noexcept {
    std::uint64_t e = expect, s = sum, b = bad;
    for (std::size_t i = 0; i < k; ++i) {
      b |= p[i] ^ (e + i);
      s += p[i];
    }
    expect = e + k;
    sum = s;
    bad = b;
  }
  void fold_one(std::uint64_t v) noexcept {
    bad |= v ^ expect++;
    sum += v;
  }
  [[nodiscard]] RunResult result(std::uint64_t n, double seconds) const {
    RunResult r;
    r.items = n;
    r.seconds = seconds;
    const std::uint64_t want = n % 2 == 0 ? (n / 2) * (n + 1) : n * ((n + 1) / 2);
    r.ok = bad == 0 && expect == n + 1 && sum == want;
    if (!r.ok) {
      std::ostringstream o;
      o << "checksum: got " << (expect - 1) << " items sum " << sum << (bad ? " OUT OF ORDER" : "") << ", want " << n
        << " items sum " << want;
      r.note = o.str();
    }
    return r;
  }
};

// The producer's per-item work: write n consecutive values.
inline void fill(std::uint64_t* p, std::size_t k, std::uint64_t first) noexcept {
  for (std::size_t i = 0; i < k; ++i) p[i] = first + i;
}

// ---------------------------------------------------------------- figures, comparisons, report

struct Comparison {
  std::string ours, ref;
  double target = 0;        // ratio ours/ref must be ≥ target (0 = informational, no target)
  std::string target_text;  // e.g. "≥ 0.9× raw ring"
};

// The implementations of one figure group, by name.
using Impls = std::vector<std::pair<std::string, std::function<RunResult()>>>;

struct Group {
  std::string workload;  // "w1"
  std::string params;    // "batch=64"
  Impls impls;
  std::vector<Comparison> comparisons;
};

// A group of one batch size: params "batch=B n=N", and " lat_sample=K" when --lat-sample was given (K ≥ 0).
inline Group batch_group(std::string workload, std::size_t batch, std::uint64_t n, long lat_sample = -1) {
  Group g;
  g.workload = std::move(workload);
  g.params = "batch=" + std::to_string(batch) + " n=" + std::to_string(n);
  if (lat_sample >= 0) g.params += " lat_sample=" + std::to_string(lat_sample);
  return g;
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}

class Report {
 public:
  explicit Report(std::string program) : program_(std::move(program)) {}

  // Run a group: `rounds` rounds, each running every implementation once, alternating.
  void run(Group& g, int rounds) {
    std::map<std::string, std::vector<double>> speeds, csws;
    const std::size_t k = g.impls.size();
    for (int r = 0; r < rounds; ++r) {
      for (std::size_t j = 0; j < k; ++j) {
        auto& [name, fn] = g.impls[(j + static_cast<std::size_t>(r)) % k];
        const double csw0 = context_switches();
        RunResult res = fn();
        res.csw = context_switches() - csw0;
        if (!res.ok) {
          ++failures_;
          std::printf("FAIL %s %s impl=%s %s\n", g.workload.c_str(), g.params.c_str(), name.c_str(),
                      res.note.c_str());
        }
        speeds[name].push_back(res.mitems_s());
        csws[name].push_back(res.items ? res.csw / (static_cast<double>(res.items) / 1e6) : 0);
        std::fflush(stdout);
      }
    }
    for (auto& [name, fn] : g.impls) {
      (void)fn;
      Row row;
      row.workload = g.workload;
      row.params = g.params;
      row.impl = name;
      auto& v = speeds[name];
      row.median = median(v);
      row.min = v.empty() ? 0 : *std::min_element(v.begin(), v.end());
      row.max = v.empty() ? 0 : *std::max_element(v.begin(), v.end());
      row.rounds = static_cast<int>(v.size());
      row.csw = median(csws[name]);
      for (auto& c : g.comparisons) {
        if (c.ours != name) continue;
        auto it = speeds.find(c.ref);
        if (it == speeds.end()) continue;
        const double ref = median(it->second);
        row.cmps.push_back({c.ref, ref > 0 ? row.median / ref : 0, c.target, c.target_text});
      }
      print_line(row);
      rows_.push_back(std::move(row));
    }
  }

  void fail(const std::string& what) {
    ++failures_;
    std::printf("FAIL %s\n", what.c_str());
  }

  void print_table() const {
    if (!rows_.empty()) {
      std::printf("\n| workload | params | impl | M items/s (median) | min – max | ctx switches / M items | vs | ratio | target | status |\n");
      std::printf("|---|---|---|---:|---:|---:|---|---:|---|---|\n");
      for (const auto& r : rows_) {
        if (r.cmps.empty()) {
          std::printf("| %s | %s | %s | %.1f | %.1f – %.1f | %.0f | | | | |\n", r.workload.c_str(), r.params.c_str(),
                      r.impl.c_str(), r.median, r.min, r.max, r.csw);
        }
        for (const auto& c : r.cmps) {
          std::printf("| %s | %s | %s | %.1f | %.1f – %.1f | %.0f | %s | %.2f | %s | %s |\n", r.workload.c_str(),
                      r.params.c_str(), r.impl.c_str(), r.median, r.min, r.max, r.csw, c.ref.c_str(), c.ratio,
                      c.target_text.c_str(), status(c));
        }
      }
    }
    std::fflush(stdout);
  }
  [[nodiscard]] int exit_code() const { return failures_ == 0 ? 0 : 1; }

 private:
  struct Cmp {
    std::string ref;
    double ratio, target;
    std::string target_text;
  };
  struct Row {
    std::string workload, params, impl;
    double median = 0, min = 0, max = 0;
    double csw = 0;  // median context switches per million items
    int rounds = 0;
    std::vector<Cmp> cmps;
  };
  static const char* status(const Cmp& c) {
    if (c.target <= 0) return "info";
    return c.ratio >= c.target ? "met" : "MISSED";
  }
  void print_line(const Row& r) const {
    std::printf("BENCH %s %s impl=%s mitems_s=%.2f min=%.2f max=%.2f rounds=%d csw_per_mitem=%.0f", r.workload.c_str(),
                r.params.c_str(), r.impl.c_str(), r.median, r.min, r.max, r.rounds, r.csw);
    for (const auto& c : r.cmps) {
      std::printf(" ratio_vs=%s ratio=%.3f", c.ref.c_str(), c.ratio);
      if (c.target > 0) std::printf(" target=%.2f status=%s", c.target, status(c));
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  std::string program_;
  std::vector<Row> rows_;
  int failures_ = 0;
};

}  // namespace bench
