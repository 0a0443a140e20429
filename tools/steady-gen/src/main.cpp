// main.cpp — steady-gen: a Graphviz DOT sketch of a service becomes a C++ project that builds and passes its
// tests. Exit status: 0 done, 2 the DOT (or the command line) has errors and nothing was written, 1 I/O
// failure.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "analysis.hpp"
#include "front_end.hpp"
#include "names.hpp"
#include "render.hpp"
#include "template.hpp"
#include "writer.hpp"

namespace fs = std::filesystem;
using namespace steady_gen;

namespace {

constexpr int kExitInput = 2;

// Empty when `name` can be the project's name (CMake project, executable and C++ namespace).
std::string project_name_problem(const std::string& name) {
  if (const std::string why = identifier_problem(name); !why.empty()) return why;
  if (name != snake_case(name)) return "is not snake_case";
  for (const char* reserved : {"steady", "std", "testing", "support", "generated", "actors", "detail"})
    if (name == reserved) return "would clash with a namespace the generated code uses";
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "steady-gen: turn a Graphviz DOT sketch of a service into a steady_state C++ project\n"
      "(actors, channels, unit tests, a graph test, main.cpp, README, systemd unit).",
      "steady-gen"};
  std::string dot, name, out;
  bool check = false, force = false;
  app.add_option("-d,--dot", dot, "The DOT file describing the service")->required();
  app.add_option("-n,--name", name,
                 "Project name: CMake project, executable and C++ namespace (default: the graph's name)");
  app.add_option("-o,--out", out,
                 "Directory to write (default: ./NAME); regenerating into it keeps your code");
  app.add_flag("--check", check, "Only validate the DOT file (nothing is written)");
  app.add_flag(
      "--force", force,
      "Write into a directory steady-gen did not make, and replace files you edited (kept as *.orig)");
  app.footer(std::string(embedded_templates().at("help.txt.in")));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitInput;
  }

  std::ifstream in(dot, std::ios::binary);
  if (!in) {
    std::cerr << dot << ": error: cannot read the file\n";
    return kExitInput;
  }
  std::ostringstream text;
  text << in.rdbuf();

  Diagnostics diags;
  std::optional<Service> service = read_dot(dot, text.str(), diags);
  if (service && !diags.has_errors()) analyze(*service, diags);
  for (const Diagnostic& d : diags.sorted()) std::cerr << d.to_string() << "\n";
  if (diags.has_errors() || !service) {
    std::cerr << "steady-gen: " << diags.error_count() << " error" << (diags.error_count() == 1 ? "" : "s")
              << " in " << dot << "; nothing was written.\n";
    return kExitInput;
  }
  const Service& s = *service;

  if (name.empty()) {
    name = snake_case(s.graph_name);
    if (!project_name_problem(name).empty()) name = snake_case(fs::path(dot).stem().string());
  }
  if (const std::string why = project_name_problem(name); !why.empty()) {
    std::cerr << "steady-gen: project name '" << name << "' " << why << "; nothing was written.\n"
              << "    fix: pass -n my_service (a snake_case C++ identifier)\n";
    return kExitInput;
  }

  std::size_t lanes = 0;
  for (const Channel& c : s.channels) lanes += c.lanes();
  std::ostringstream summary;
  summary << s.nodes.size() << " actor" << (s.nodes.size() == 1 ? "" : "s") << " of " << s.kinds.size()
          << " kind" << (s.kinds.size() == 1 ? "" : "s") << ", " << s.channels.size() << " channel"
          << (s.channels.size() == 1 ? "" : "s");
  if (lanes != s.channels.size()) summary << " (" << lanes << " counting bundle lanes)";
  summary << ", " << s.types.size() << " message type" << (s.types.size() == 1 ? "" : "s");
  if (check) {
    std::cout << dot << ": OK: " << summary.str() << "\n";
    return 0;
  }

  const fs::path out_dir = out.empty() ? fs::path(name) : fs::path(out);
  std::error_code ec;
  const fs::path dot_abs = fs::absolute(dot, ec);
  const fs::path out_abs = fs::absolute(out_dir, ec);
  fs::path dot_rel = dot_abs.lexically_normal().lexically_relative(out_abs.lexically_normal());
  if (dot_rel.empty()) dot_rel = dot_abs;

  RenderOptions ro{name, fs::path(dot).filename().string(), dot_rel.generic_string()};
  const std::vector<OutputFile> files = render(s, ro);

  std::cout << "steady-gen: " << dot << " -> " << out_dir.string() << ": " << summary.str() << "\n";
  const WriteResult w =
      write_project(files, s, {out_dir, name, dot_rel.generic_string(), force}, std::cout, std::cerr);
  if (w.exit_code != 0) return w.exit_code;
  std::cout << "steady-gen: " << w.created << " created, " << w.updated << " updated, " << w.kept << " kept, "
            << w.removed << " removed, " << w.unchanged << " unchanged";
  if (w.review > 0) std::cout << ", " << w.review << " to review (*.new)";
  std::cout << "\n";
  if (w.created + w.updated + w.removed == 0 && w.review == 0)
    std::cout << "steady-gen: the project was up to date\n";
  return 0;
}
