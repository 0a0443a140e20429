// model.cpp — small helpers of the service model (see model.hpp).
#include "model.hpp"

#include <algorithm>

#include "catalogue.hpp"

namespace steady_gen {

std::string_view mode_token(Mode m) noexcept {
  switch (m) {
    case Mode::take:
      return "Take";
    case Mode::take_copy:
      return "TakeCopy";
    case Mode::peek_copy:
      return "PeekCopy";
  }
  return "Take";
}

std::string_view restart_token(Restart r) noexcept {
  switch (r) {
    case Restart::unset:
      return "";
    case Restart::never:
      return "never";
    case Restart::restart:
      return "restart";
    case Restart::stop_graph:
      return "stop_graph";
  }
  return "";
}

std::vector<std::string> Channel::runtime_names() const {
  if (!bundle()) return {instance_name};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < lanes(); ++i) out.push_back(instance_name + "[" + std::to_string(i) + "]");
  return out;
}

bool Kind::has_bundle() const noexcept {
  auto b = [](const Port& p) { return p.bundle; };
  return std::any_of(inputs.begin(), inputs.end(), b) || std::any_of(outputs.begin(), outputs.end(), b);
}

std::string Kind::signature() const {
  std::string s;
  auto add = [&s](const char* dir, const Port& p) {
    s += std::string(dir) + " " + p.name + " <" + p.type + "> >>" + std::string(mode_token(p.mode)) +
         (p.bundle ? " bundle" : "") + "; ";
  };
  for (const Port& p : inputs) add("in", p);
  for (const Port& p : outputs) add("out", p);
  return s;
}

std::vector<std::string> Service::runtime_channel_names() const {
  std::vector<std::string> out;
  for (const Channel& c : channels)
    for (auto& n : c.runtime_names()) out.push_back(n);
  return out;
}

bool Service::type_needs_trivial_copy(const std::string& type) const {
  return std::any_of(channels.begin(), channels.end(),
                     [&](const Channel& c) { return c.type == type && c.mode != Mode::take; });
}

std::vector<std::string> Service::channels_of_type(const std::string& type) const {
  std::vector<std::string> out;
  for (const Channel& c : channels)
    if (c.type == type && std::find(out.begin(), out.end(), c.name) == out.end()) out.push_back(c.name);
  return out;
}

bool Service::uses_prebuilt() const noexcept {
  return std::any_of(nodes.begin(), nodes.end(), [](const Node& n) { return n.prebuilt != nullptr; });
}

std::string Service::batch_element(const std::string& type) const {
  if (!uses_prebuilt()) return {};
  std::string x = batch_prefix(type);
  if (x.empty()) return {};
  if (find_library_type(x) != nullptr) return x;
  for (const Edge& e : edges)
    if (e.type == x) return x;
  return {};
}

std::vector<std::string> Service::live_channel_names() const {
  if (!uses_prebuilt()) return runtime_channel_names();
  // An actor emits when it is a user source, a prebuilt actor that needs nothing from outside, the entry of a
  // cycle (it primes it), or when anything it reads from emits.
  std::vector<bool> emits(nodes.size(), false);
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    const bool has_inputs =
        std::any_of(edges.begin(), edges.end(), [&](const Edge& e) { return e.to == static_cast<int>(n); });
    if (nodes[n].prebuilt != nullptr)
      emits[n] = nodes[n].prebuilt->emits_alone;
    else
      emits[n] = !has_inputs || (n < settings.size() && settings[n].prime);
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (const Edge& e : edges)
      if (emits[e.from] && !emits[e.to]) {
        emits[e.to] = true;
        changed = true;
      }
  }
  std::vector<std::string> out;
  for (const Channel& c : channels) {
    const std::vector<std::string> names = c.runtime_names();
    for (std::size_t lane = 0; lane < c.edges.size(); ++lane)
      if (emits[edges[c.edges[lane]].from]) out.push_back(names[c.bundle() ? lane : 0]);
  }
  return out;
}

}  // namespace steady_gen
