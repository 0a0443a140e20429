// dot_locator.hpp — where in the DOT text a node or an edge is first declared.
//
// Graphviz's cgraph parses the file (steady-gen never parses DOT itself), but it keeps no line numbers on the
// objects it builds. Errors must name a line, so this small scanner tokenizes the same text (comments, quoted
// and HTML strings, IDs, edge operators, brackets) and answers "on which line does node X first appear as a
// node" and "on which line is the edge X -> Y first written". It is only used for messages: when it cannot
// tell, the answer is the line of the tail node, or 0.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace steady_gen {

class DotLocator {
 public:
  explicit DotLocator(std::string_view text);

  // Line of the `graph` / `digraph` keyword of the first graph (0 if none).
  [[nodiscard]] int graph_line() const noexcept { return graph_line_; }
  // First line where `id` appears as a node (outside attribute lists and not as an attribute value).
  [[nodiscard]] int node_line(std::string_view id) const;
  // First line of an edge operator joining `tail` to `head` (also through `{ ... }` groups); else
  // node_line(tail).
  [[nodiscard]] int edge_line(std::string_view tail, std::string_view head) const;

 private:
  enum class Kind { id, edge_op, lbrace, rbrace, lbracket, rbracket, equals, colon, other };
  struct Token {
    Kind kind;
    std::string text;  // ID text, unquoted
    int line;
    int bracket_depth;  // inside [ ... ] when > 0
  };
  // IDs of the operand ending at token i (going left) or starting at token i (going right).
  [[nodiscard]] std::vector<std::string> left_operand(std::size_t op) const;
  [[nodiscard]] std::vector<std::string> right_operand(std::size_t op) const;
  [[nodiscard]] bool is_node_position(std::size_t i) const;

  std::vector<Token> tokens_;
  int graph_line_ = 0;
};

}  // namespace steady_gen
