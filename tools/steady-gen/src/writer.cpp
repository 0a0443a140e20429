// writer.cpp — the manifest and the regeneration rules (see writer.hpp).
#include "writer.hpp"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <system_error>

namespace steady_gen {

namespace fs = std::filesystem;

std::string content_hash(const std::string& content) {
  std::uint64_t h = 14695981039346656037ULL;  // FNV-1a offset basis
  for (unsigned char c : content) {
    h ^= c;
    h *= 1099511628211ULL;  // FNV prime
  }
  static const char* digits = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = digits[h & 0xF];
  return out;
}

namespace {

struct Manifest {
  bool present = false;
  std::map<std::string, std::pair<std::string, std::string>> files;  // path -> (owner, hash)
  std::map<std::string, std::string> kinds;                          // kind -> signature hash
};

Manifest read_manifest(const fs::path& dir) {
  Manifest m;
  std::ifstream in(dir / kManifestName);
  if (!in) return m;
  m.present = true;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string tag;
    ls >> tag;
    if (tag == "file") {
      std::string owner, hash, path;
      ls >> owner >> hash;
      std::getline(ls >> std::ws, path);
      m.files[path] = {owner, hash};
    } else if (tag == "kind") {
      std::string name, sig;
      ls >> name >> sig;
      m.kinds[name] = sig;
    }
  }
  return m;
}

std::optional<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Write through a temporary file and a rename, so an interrupted run never leaves half a file.
bool write_file(const fs::path& p, const std::string& content, std::ostream& err) {
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  const fs::path tmp = p.string() + ".steady-gen-tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) {
      err << "steady-gen: cannot write " << tmp.string() << "\n";
      return false;
    }
  }
  fs::rename(tmp, p, ec);
  if (ec) {
    err << "steady-gen: cannot write " << p.string() << ": " << ec.message() << "\n";
    return false;
  }
  return true;
}

enum class Action { create, update, refresh, keep, keep_review, force_replace, unchanged };

struct Step {
  const OutputFile* file;
  Action action;
};

}  // namespace

WriteResult write_project(const std::vector<OutputFile>& files, const Service& s, const WriteOptions& o,
                          std::ostream& log, std::ostream& err) {
  WriteResult r;
  const Manifest old = read_manifest(o.out);
  std::error_code ec;
  if (fs::exists(o.out, ec) && !old.present && !o.force) {
    if (!fs::is_directory(o.out, ec) || !fs::is_empty(o.out, ec)) {
      err << "steady-gen: " << o.out.string() << " exists and was not made by steady-gen (no "
          << kManifestName
          << "); nothing was written.\n    fix: choose another -o/--out directory, or add --force to write "
             "into it\n";
      r.exit_code = 2;
      return r;
    }
  }
  std::map<std::string, std::string> new_sigs;
  for (const Kind& k : s.kinds) new_sigs[k.name] = content_hash(k.signature());

  std::vector<Step> steps;
  for (const OutputFile& f : files) {
    const fs::path p = o.out / f.path;
    const std::optional<std::string> disk = read_file(p);
    if (!disk) {
      steps.push_back({&f, Action::create});
      continue;
    }
    if (*disk == f.content) {
      steps.push_back({&f, Action::unchanged});
      continue;
    }
    if (f.owner == OutputFile::Owner::generated) {
      steps.push_back({&f, Action::update});
      continue;
    }
    const auto rec = old.files.find(f.path);
    const bool untouched = rec != old.files.end() && rec->second.second == content_hash(*disk);
    if (untouched)
      steps.push_back({&f, Action::refresh});
    else if (o.force)
      steps.push_back({&f, Action::force_replace});
    else {
      bool changed_kind = false;
      if (!f.kind.empty()) {
        const auto ok = old.kinds.find(f.kind);
        changed_kind = ok != old.kinds.end() && ok->second != new_sigs[f.kind];
      }
      steps.push_back({&f, changed_kind ? Action::keep_review : Action::keep});
    }
  }

  // Execute.
  std::ostringstream manifest;
  manifest
      << "# steady-gen manifest: what steady-gen last wrote in this project. It tells generated files from\n"
         "# yours, and which of yours you changed (their hash no longer matches). Keep it in version "
         "control.\n"
         "version 1\nname "
      << o.name << "\ndot " << o.dot_record << "\n";
  for (const Kind& k : s.kinds) manifest << "kind " << k.name << " " << new_sigs[k.name] << "\n";
  auto say = [&log](const char* what, const std::string& path, const std::string& why = {}) {
    log << "  " << what << " " << path << (why.empty() ? "" : "  (" + why + ")") << "\n";
  };
  for (const Step& st : steps) {
    const OutputFile& f = *st.file;
    const fs::path p = o.out / f.path;
    const bool user = f.owner == OutputFile::Owner::user;
    switch (st.action) {
      case Action::create:
        if (!write_file(p, f.content, err)) return r.exit_code = 1, r;
        say("created  ", f.path, user ? "yours" : "");
        ++r.created;
        break;
      case Action::update:
        if (!write_file(p, f.content, err)) return r.exit_code = 1, r;
        say("updated  ", f.path);
        ++r.updated;
        break;
      case Action::refresh:
        if (!write_file(p, f.content, err)) return r.exit_code = 1, r;
        say("refreshed", f.path, "yours, unchanged since generated");
        ++r.updated;
        break;
      case Action::force_replace: {
        const auto disk = read_file(p);
        if (!write_file(p.string() + ".orig", disk.value_or(""), err) || !write_file(p, f.content, err))
          return r.exit_code = 1, r;
        say("replaced ", f.path, "--force; your version is in " + f.path + ".orig");
        ++r.updated;
        break;
      }
      case Action::keep:
        say("kept     ", f.path, "yours, edited: not overwritten");
        ++r.kept;
        break;
      case Action::keep_review:
        if (!write_file(p.string() + ".new", f.content, err)) return r.exit_code = 1, r;
        say("review   ", f.path + ".new",
            "the channels of kind " + f.kind + " changed; merge it into your " + f.path);
        ++r.review;
        break;
      case Action::unchanged:
        ++r.unchanged;
        break;
    }
    // The manifest records what steady-gen generated, so a later run can tell whether the user changed it.
    manifest << "file " << (user ? "user" : "generated") << " " << content_hash(f.content) << " " << f.path
             << "\n";
  }
  // Files of the previous generation that the DOT no longer needs.
  for (const auto& [path, rec] : old.files) {
    const bool still =
        std::any_of(files.begin(), files.end(), [&](const OutputFile& f) { return f.path == path; });
    if (still) continue;
    const fs::path p = o.out / path;
    if (rec.first == "generated") {
      fs::remove(p, ec);
      say("removed  ", path, "no longer in the DOT");
      ++r.removed;
    } else if (fs::exists(p, ec)) {
      say("unused   ", path, "yours, no longer built; delete it when you are done with it");
    }
  }
  if (!write_file(o.out / kManifestName, manifest.str(), err)) return r.exit_code = 1, r;
  return r;
}

}  // namespace steady_gen
