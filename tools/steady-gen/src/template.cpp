// template.cpp — rendering templates (see template.hpp).
#include "template.hpp"

#include <stdexcept>
#include <vector>

namespace steady_gen {

namespace {

std::string_view trim_ws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

const std::string& lookup(const Vars& vars, std::string_view key, std::string_view name) {
  const auto it = vars.find(key);
  if (it == vars.end())
    throw std::logic_error("template " + std::string(name) + ": no value for @@" + std::string(key) + "@@");
  return it->second;
}

// A line that is exactly "@@<sigil>name@@" (after trimming): returns the name.
bool section_tag(std::string_view line, char sigil, std::string& key) {
  const std::string_view t = trim_ws(line);
  if (t.size() < 6 || t.substr(0, 2) != "@@" || t[2] != sigil || t.substr(t.size() - 2) != "@@") return false;
  key = std::string(t.substr(3, t.size() - 5));
  return key.find("@@") == std::string::npos;
}

std::string substitute(std::string_view line, const Vars& vars, std::string_view name) {
  std::string out;
  std::size_t i = 0;
  while (i < line.size()) {
    const std::size_t open = line.find("@@", i);
    if (open == std::string_view::npos) {
      out += line.substr(i);
      break;
    }
    const std::size_t close = line.find("@@", open + 2);
    if (close == std::string_view::npos)
      throw std::logic_error("template " + std::string(name) + ": unclosed @@ in line: " + std::string(line));
    out += line.substr(i, open - i);
    out += lookup(vars, line.substr(open + 2, close - open - 2), name);
    i = close + 2;
  }
  return out;
}

}  // namespace

std::string render_text(std::string_view text, const Vars& vars, std::string_view name) {
  std::string out;
  struct Open {
    std::string key;
    bool keep;
  };
  std::vector<Open> stack;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    const bool last = nl == std::string_view::npos;
    const std::string_view line = text.substr(pos, last ? std::string_view::npos : nl - pos);
    pos = last ? text.size() : nl + 1;
    const bool keeping = stack.empty() || stack.back().keep;
    std::string key;
    if (section_tag(line, '#', key) || section_tag(line, '^', key)) {
      const bool positive = trim_ws(line)[2] == '#';
      const bool set = !lookup(vars, key, name).empty();
      stack.push_back({key, keeping && (positive ? set : !set)});
      continue;
    }
    if (section_tag(line, '/', key)) {
      if (stack.empty() || stack.back().key != key)
        throw std::logic_error("template " + std::string(name) + ": @@/" + key + "@@ closes nothing");
      stack.pop_back();
      continue;
    }
    if (!keeping) continue;
    const std::string_view t = trim_ws(line);
    if (t.size() > 4 && t.substr(0, 2) == "@@" && t.substr(t.size() - 2) == "@@" &&
        t.substr(2, t.size() - 4).find("@@") == std::string_view::npos) {
      // A placeholder alone on its line: indent every line of the value; drop the line when it is empty.
      const std::string& value = lookup(vars, t.substr(2, t.size() - 4), name);
      if (value.empty()) continue;
      const std::string_view indent = line.substr(0, line.find("@@"));
      std::size_t vp = 0;
      while (vp < value.size()) {
        const std::size_t vnl = value.find('\n', vp);
        const std::string_view vline =
            std::string_view(value).substr(vp, vnl == std::string::npos ? std::string::npos : vnl - vp);
        if (!vline.empty()) out += indent;
        out += vline;
        out += '\n';
        vp = vnl == std::string::npos ? value.size() : vnl + 1;
      }
      continue;
    }
    out += substitute(line, vars, name);
    if (!last) out += '\n';
  }
  if (!stack.empty())
    throw std::logic_error("template " + std::string(name) + ": @@#" + stack.back().key + "@@ is not closed");
  return out;
}

std::string render_template(std::string_view name, const Vars& vars) {
  const auto& all = embedded_templates();
  const auto it = all.find(name);
  if (it == all.end()) throw std::logic_error("no embedded template named " + std::string(name));
  return render_text(it->second, vars, name);
}

}  // namespace steady_gen
