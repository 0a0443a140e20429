// dot_locator.cpp — a DOT tokenizer that only finds lines (see dot_locator.hpp).
#include "dot_locator.hpp"

#include <algorithm>
#include <cctype>

namespace steady_gen {

namespace {

bool id_char(unsigned char c) {
  return std::isalnum(c) != 0 || c == '_' || c >= 0x80;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_keyword(std::string_view s) {
  const std::string l = lower(s);
  return l == "graph" || l == "digraph" || l == "subgraph" || l == "node" || l == "edge" || l == "strict";
}

}  // namespace

DotLocator::DotLocator(std::string_view t) {
  int line = 1;
  int depth = 0;
  bool at_line_start = true;
  std::size_t i = 0;
  auto push = [&](Kind k, std::string text, int at) { tokens_.push_back({k, std::move(text), at, depth}); };
  while (i < t.size()) {
    const char c = t[i];
    if (c == '\n') {
      ++line;
      ++i;
      at_line_start = true;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '#' && at_line_start) {  // C preprocessor output lines are ignored by Graphviz
      while (i < t.size() && t[i] != '\n') ++i;
      continue;
    }
    at_line_start = false;
    if (c == '/' && i + 1 < t.size() && t[i + 1] == '/') {
      while (i < t.size() && t[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < t.size() && t[i + 1] == '*') {
      i += 2;
      while (i + 1 < t.size() && !(t[i] == '*' && t[i + 1] == '/')) {
        if (t[i] == '\n') ++line;
        ++i;
      }
      i += 2;
      continue;
    }
    const int start_line = line;
    if (c == '"') {
      std::string text;
      ++i;
      while (i < t.size() && t[i] != '"') {
        if (t[i] == '\\' && i + 1 < t.size()) {
          if (t[i + 1] == '\n') {  // line continuation
            ++line;
            i += 2;
            continue;
          }
          if (t[i + 1] == '"') {
            text += '"';
            i += 2;
            continue;
          }
        }
        if (t[i] == '\n') ++line;
        text += t[i++];
      }
      ++i;
      push(Kind::id, std::move(text), start_line);
      continue;
    }
    if (c == '<') {  // HTML string: nested angle brackets
      int nest = 0;
      std::string text;
      do {
        if (t[i] == '<')
          ++nest;
        else if (t[i] == '>')
          --nest;
        else if (t[i] == '\n')
          ++line;
        text += t[i++];
      } while (i < t.size() && nest > 0);
      push(Kind::id, std::move(text), start_line);
      continue;
    }
    if (c == '-' && i + 1 < t.size() && (t[i + 1] == '>' || t[i + 1] == '-')) {
      push(Kind::edge_op, std::string(t.substr(i, 2)), line);
      i += 2;
      continue;
    }
    if (id_char(static_cast<unsigned char>(c)) || c == '.' || c == '-') {
      const std::size_t b = i;
      ++i;
      while (i < t.size() && (id_char(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
      push(Kind::id, std::string(t.substr(b, i - b)), line);
      if (graph_line_ == 0) {
        const std::string l = lower(tokens_.back().text);
        if (l == "graph" || l == "digraph") graph_line_ = line;
      }
      continue;
    }
    switch (c) {
      case '{':
        push(Kind::lbrace, "{", line);
        break;
      case '}':
        push(Kind::rbrace, "}", line);
        break;
      case '[':
        push(Kind::lbracket, "[", line);
        ++depth;
        break;
      case ']':
        depth = std::max(0, depth - 1);
        push(Kind::rbracket, "]", line);
        break;
      case '=':
        push(Kind::equals, "=", line);
        break;
      case ':':
        push(Kind::colon, ":", line);
        break;
      default:
        push(Kind::other, std::string(1, c), line);
    }
    ++i;
  }
}

bool DotLocator::is_node_position(std::size_t i) const {
  const Token& tk = tokens_[i];
  if (tk.kind != Kind::id || tk.bracket_depth > 0) return false;
  if (i > 0) {
    const Token& prev = tokens_[i - 1];
    if (prev.kind == Kind::equals || prev.kind == Kind::colon) return false;  // attribute value, or a port
    if (prev.kind == Kind::id) {
      const std::string l = lower(prev.text);
      if (l == "graph" || l == "digraph" || l == "subgraph") return false;  // a graph's own name
    }
  }
  if (i + 1 < tokens_.size() && tokens_[i + 1].kind == Kind::equals) return false;  // `rankdir=LR`
  return !is_keyword(tk.text);
}

int DotLocator::node_line(std::string_view id) const {
  for (std::size_t i = 0; i < tokens_.size(); ++i)
    if (tokens_[i].text == id && is_node_position(i)) return tokens_[i].line;
  return 0;
}

std::vector<std::string> DotLocator::left_operand(std::size_t op) const {
  std::vector<std::string> ids;
  if (op == 0) return ids;
  std::size_t i = op - 1;
  if (tokens_[i].kind == Kind::rbrace) {  // a { ... } group: every node in it
    int nest = 0;
    for (std::size_t k = i + 1; k-- > 0;) {
      if (tokens_[k].kind == Kind::rbrace)
        ++nest;
      else if (tokens_[k].kind == Kind::lbrace && --nest == 0)
        break;
      else if (is_node_position(k))
        ids.push_back(tokens_[k].text);
    }
    return ids;
  }
  // ID or ID:port or ID:port:compass — walk back to the node ID.
  while (i >= 2 && tokens_[i - 1].kind == Kind::colon) i -= 2;
  if (tokens_[i].kind == Kind::id) ids.push_back(tokens_[i].text);
  return ids;
}

std::vector<std::string> DotLocator::right_operand(std::size_t op) const {
  std::vector<std::string> ids;
  std::size_t i = op + 1;
  if (i >= tokens_.size()) return ids;
  if (tokens_[i].kind == Kind::lbrace) {
    int nest = 0;
    for (std::size_t k = i; k < tokens_.size(); ++k) {
      if (tokens_[k].kind == Kind::lbrace)
        ++nest;
      else if (tokens_[k].kind == Kind::rbrace && --nest == 0)
        break;
      else if (is_node_position(k))
        ids.push_back(tokens_[k].text);
    }
    return ids;
  }
  if (tokens_[i].kind == Kind::id) ids.push_back(tokens_[i].text);
  return ids;
}

int DotLocator::edge_line(std::string_view tail, std::string_view head) const {
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    if (tokens_[i].kind != Kind::edge_op || tokens_[i].bracket_depth > 0) continue;
    const auto l = left_operand(i);
    const auto r = right_operand(i);
    if (std::find(l.begin(), l.end(), tail) != l.end() && std::find(r.begin(), r.end(), head) != r.end())
      return tokens_[i].line;
  }
  return node_line(tail);
}

}  // namespace steady_gen
