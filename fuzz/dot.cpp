// fuzz/dot.cpp — libFuzzer target: steady-gen's DOT front end (tools/steady-gen/src) on arbitrary text.
//
// The input is a DOT file. It goes through what `steady-gen --check` runs: read_dot (Graphviz's cgraph parser,
// then the label tokens and attributes), analyze when that found no error, and the sorted diagnostics printed.
// Errors are expected and fine; crashes, sanitizer reports, leaks and hangs are not. Checked on every input too:
//   - cgraph keeps global state (its lexer, the last error, the file name); after any input, a known good file
//     must read and analyse exactly as it did at start-up, so nothing of a bad input leaks into the next one;
//   - no result without a reason: when read_dot returns nothing, there is an error that says why.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "analysis.hpp"
#include "diagnostics.hpp"
#include "front_end.hpp"
#include "model.hpp"

namespace {

// /work/shared/dot/pipeline.dot, the smallest useful service.
const std::string kGood =
    "digraph pipeline {\n"
    "    Generator [label=\"mod::generator\\nOnCapacity(values:256)\"];\n"
    "    Doubler [label=\"mod::doubler\\nOnEvent(values:256) && OnCapacity(doubled:256)\"];\n"
    "    Logger [label=\"mod::logger\\nOnEvent(doubled:256)\"];\n"
    "    Generator -> Doubler [label=\"name::values <Value> >>TakeCopy #4096\"];\n"
    "    Doubler -> Logger [label=\"name::doubled <Value> >>TakeCopy #4096\"];\n"
    "}\n";

// What checking one text says: the diagnostics, and the shape of the service.
std::string check_text(const std::string& file, const std::string& text) {
  steady_gen::Diagnostics diags;
  std::optional<steady_gen::Service> s = steady_gen::read_dot(file, text, diags);
  if (s && !diags.has_errors()) steady_gen::analyze(*s, diags);
  std::string out;
  for (const steady_gen::Diagnostic& d : diags.sorted()) out += d.to_string() + "\n";
  if (!s && !diags.has_errors()) {
    std::cerr << "fuzz_dot: read_dot returned nothing without an error\n";
    std::abort();
  }
  if (s)
    out += "nodes " + std::to_string(s->nodes.size()) + " edges " + std::to_string(s->edges.size()) + " channels " +
           std::to_string(s->channels.size()) + "\n";
  return out;
}

const std::string& reference() {
  static const std::string r = check_text("good.dot", kGood);
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& expected = reference();
  (void)check_text("fuzz.dot", std::string(reinterpret_cast<const char*>(data), size));
  const std::string again = check_text("good.dot", kGood);
  if (again != expected) {
    std::cerr << "fuzz_dot: a good file reads differently after this input (cgraph state leaked):\n--- at start\n"
              << expected << "--- now\n"
              << again;
    std::abort();
  }
  return 0;
}
