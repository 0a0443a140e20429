// render_util.hpp — naming conventions shared by the renderers (internal to steady-gen).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model.hpp"
#include "template.hpp"

namespace steady_gen::detail {

// Variable names of a port's end: "<name>_rx" / "<name>_tx" (never collide with members or locals).
inline std::string rx(const Port& p) {
  return p.name + "_rx";
}
inline std::string tx(const Port& p) {
  return p.name + "_tx";
}
// Template parameter for a bundle port's lane count: "NumbersLanes".
std::string lanes_param(const Port& p);
// "std::chrono::milliseconds(10)" for 10'000'000 ns.
std::string chrono_expr(std::int64_t ns);
std::string join(const std::vector<std::string>& parts, const std::string& sep);
std::string instances_text(const Service& s, const Kind& k);  // "Relay1, Relay2, Relay3, Relay4"
// A message type of steady::actors (<Line> = std::string): aliased in messages.hpp; the stubs number it as
// text.
bool is_library_type(const Service& s, const std::string& type);
Vars common_vars(const Service& s, const std::string& ns, const std::string& dot_file);

}  // namespace steady_gen::detail
