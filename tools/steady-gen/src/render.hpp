// render.hpp — a validated Service -> the files of its CMake project (in memory; writer.cpp puts them on
// disk).
#pragma once

#include <string>
#include <vector>

#include "model.hpp"

namespace steady_gen {

struct OutputFile {
  enum class Owner {
    generated,  // scaffolding: rewritten on every generation
    user,       // created once; refreshed only while the user has not changed it
  };
  std::string path;  // relative to the project root, '/'-separated
  std::string content;
  Owner owner = Owner::generated;
  std::string kind;  // user files of an actor kind: its name (their fit depends on the kind's signature)
};

struct RenderOptions {
  std::string name;      // project name: CMake project, executable, C++ namespace
  std::string dot_file;  // the DOT file's name, for comments
  std::string dot_path;  // the DOT file as seen from the project root, for the README's regeneration command
};

[[nodiscard]] std::vector<OutputFile> render(const Service& s, const RenderOptions& o);

}  // namespace steady_gen
