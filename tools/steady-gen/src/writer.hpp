// writer.hpp — puts a rendered project on disk, keeping the user's code.
//
// Generated files are rewritten when their content changes. Files the user owns (behaviour stubs, unit tests,
// message structs, main.cpp, README, unit file) are created once; on a later generation one is refreshed only
// if its content is still exactly what steady-gen wrote last time (the manifest records a hash of that), and
// an edited one is never overwritten. When the channels of an actor kind change while its behaviour was
// edited, the fresh stub is written beside it as <file>.new. Generated files that the DOT no longer needs are
// removed; user files are kept and reported. Everything is decided before anything is written.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "model.hpp"
#include "render.hpp"

namespace steady_gen {

inline constexpr const char* kManifestName = "steady-gen.manifest";

struct WriteOptions {
  std::filesystem::path out;
  std::string name;
  std::string dot_record;  // the DOT file as recorded in the manifest
  bool force = false;  // write into a directory steady-gen did not make; replace edited files (keeping .orig)
};

struct WriteResult {
  int exit_code = 0;  // 0 written; 2 refused (message printed, nothing written); 1 I/O failure
  int created = 0, updated = 0, kept = 0, removed = 0, unchanged = 0, review = 0;
};

[[nodiscard]] WriteResult write_project(const std::vector<OutputFile>& files, const Service& s,
                                        const WriteOptions& o, std::ostream& log, std::ostream& err);

// FNV-1a, 64 bits, as 16 hex digits: the manifest's fingerprint of a file's content.
[[nodiscard]] std::string content_hash(const std::string& content);

}  // namespace steady_gen
