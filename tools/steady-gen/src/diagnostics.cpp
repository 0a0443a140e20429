// diagnostics.cpp — formatting and collecting diagnostics (see diagnostics.hpp).
#include "diagnostics.hpp"

#include <algorithm>

namespace steady_gen {

std::string Diagnostic::to_string() const {
  std::string out = where.file;
  if (where.line > 0) out += ":" + std::to_string(where.line);
  out += severity == Severity::error ? ": error: " : ": warning: ";
  if (!subject.empty()) out += subject + ": ";
  out += message;
  if (!fix.empty()) out += "\n    fix: " + fix;
  return out;
}

void Diagnostics::error(Location where, std::string subject, std::string message, std::string fix) {
  list_.push_back({Diagnostic::Severity::error, std::move(where), std::move(subject), std::move(message),
                   std::move(fix)});
  ++errors_;
}

void Diagnostics::warning(Location where, std::string subject, std::string message, std::string fix) {
  list_.push_back({Diagnostic::Severity::warning, std::move(where), std::move(subject), std::move(message),
                   std::move(fix)});
}

std::vector<Diagnostic> Diagnostics::sorted() const {
  std::vector<Diagnostic> out = list_;
  std::stable_sort(out.begin(), out.end(),
                   [](const Diagnostic& a, const Diagnostic& b) { return a.where.line < b.where.line; });
  return out;
}

}  // namespace steady_gen
