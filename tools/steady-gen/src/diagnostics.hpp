// diagnostics.hpp — what steady-gen tells the user about a DOT file it cannot turn into a project.
//
// Every error names the file and line ("file:line: error: ..."), the node or edge it concerns, what is wrong,
// and what to write instead. Errors are collected, not thrown, so one run reports all of them; nothing is
// written while there is any.
#pragma once

#include <string>
#include <vector>

namespace steady_gen {

struct Location {
  std::string file;  // as given on the command line
  int line = 0;      // 1-based; 0 = unknown
};

struct Diagnostic {
  enum class Severity { error, warning };
  Severity severity = Severity::error;
  Location where;
  std::string subject;  // "node Pricer", "edge Generator -> Doubler", "graph" (may be empty)
  std::string message;  // what is wrong
  std::string fix;      // what to write instead (may be empty)

  // "file:line: error: node X: message; fix"
  [[nodiscard]] std::string to_string() const;
};

class Diagnostics {
 public:
  void error(Location where, std::string subject, std::string message, std::string fix = {});
  void warning(Location where, std::string subject, std::string message, std::string fix = {});
  [[nodiscard]] bool has_errors() const noexcept { return errors_ != 0; }
  [[nodiscard]] std::size_t error_count() const noexcept { return errors_; }
  [[nodiscard]] const std::vector<Diagnostic>& all() const noexcept { return list_; }
  // Sorted by line, errors and warnings interleaved as they occur in the file.
  [[nodiscard]] std::vector<Diagnostic> sorted() const;

 private:
  std::vector<Diagnostic> list_;
  std::size_t errors_ = 0;
};

}  // namespace steady_gen
