// src/telemetry/layout.cpp — see layout.hpp.
#include "layout.hpp"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <memory>
#include <mutex>

namespace steady::telemetry {

namespace {

std::mutex& graphviz_mutex() {
  static std::mutex mu;
  return mu;
}

// One context for the process, loaded with the installed plugins (the dot layout and the core SVG renderer).
GVC_t* context() {
  struct Free {
    void operator()(GVC_t* c) const noexcept { gvFreeContext(c); }
  };
  static std::unique_ptr<GVC_t, Free> ctx = [] {
    agseterr(AGERR);  // warnings (e.g. about fonts) are not the user's business
    return std::unique_ptr<GVC_t, Free>(gvContext());
  }();
  return ctx.get();
}

}  // namespace

Result<std::string> render_svg(const std::string& dot) {
  std::lock_guard lock(graphviz_mutex());
  GVC_t* gvc = context();
  if (gvc == nullptr) return Error{"telemetry: Graphviz could not create a context"};
  Agraph_t* g = agmemread(dot.c_str());
  if (g == nullptr) return Error{"telemetry: Graphviz could not parse the generated DOT"};
  if (gvLayout(gvc, g, "dot") != 0) {
    agclose(g);
    return Error{"telemetry: Graphviz has no 'dot' layout engine (is libgvc's plugin configuration installed? "
                 "run `dot -c` as root)"};
  }
  char* data = nullptr;
  unsigned int len = 0;
  const int rc = gvRenderData(gvc, g, "svg", &data, &len);
  std::string svg;
  if (rc == 0 && data != nullptr) svg.assign(data, len);
  if (data != nullptr) gvFreeRenderData(data);
  gvFreeLayout(gvc, g);
  agclose(g);
  if (rc != 0 || svg.empty()) return Error{"telemetry: Graphviz could not render SVG"};
  if (const auto at = svg.find("<svg"); at != std::string::npos) svg.erase(0, at);
  return svg;
}

}  // namespace steady::telemetry
