// fuzz/replay_main.cpp — the corpus replay driver: a main() for a fuzz target built without libFuzzer (any
// compiler), so CI runs every committed input as a regression test.
//
//   fuzz_replay_<target> <file or directory>...
//
// Calls LLVMFuzzerTestOneInput once per regular file (directories are walked recursively, in sorted order, so a
// failure is reproducible). A crash, a sanitizer report or a failed check inside the target ends the process;
// otherwise it prints how many inputs ran and exits 0. No input at all is an error: an empty or missing corpus
// would make the test pass vacuously.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " <corpus file or directory>...\n";
    return 2;
  }
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const fs::path p = argv[i];
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else if (fs::is_directory(p, ec)) {
      for (const auto& e : fs::recursive_directory_iterator(p, ec))
        if (e.is_regular_file()) files.push_back(e.path());
    } else {
      std::cerr << "replay: '" << p.string() << "' is neither a file nor a directory (the corpus is fuzz/corpus/<target>)\n";
      return 2;
    }
  }
  if (files.empty()) {
    std::cerr << "replay: no input files in";
    for (int i = 1; i < argc; ++i) std::cerr << " '" << argv[i] << "'";
    std::cerr << "; run scripts/fuzz to build a corpus\n";
    return 2;
  }
  std::sort(files.begin(), files.end());
  std::size_t bytes = 0;
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::cerr << "replay: cannot read '" << f.string() << "'\n";
      return 2;
    }
    const std::vector<char> data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    // A copy in its own allocation: ASan then catches a read one byte past the input, as under libFuzzer.
    std::vector<std::uint8_t> input(data.begin(), data.end());
    bytes += input.size();
    (void)LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  std::cout << "replay: " << files.size() << " inputs (" << bytes << " bytes), no failure\n";
  return 0;
}
