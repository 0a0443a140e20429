// render_kind.cpp — the files of one actor kind: settings, generated loop, behaviour stub, unit test.
#include <algorithm>
#include <filesystem>

#include "names.hpp"
#include "render.hpp"
#include "render_util.hpp"

namespace steady_gen::detail {

namespace {

std::string dot_name(const Service& s) {
  return std::filesystem::path(s.dot_file).filename().string();
}

std::string qualified(const std::string& ns, const std::string& type) {
  return "::" + ns + "::" + type;
}

// A message carrying the number `n`, and the number a message `m` carries: Type{n} and m.value for the
// service's own types, support::make_message / message_value for the text types of steady::actors.
std::string make_expr(const Service& s, const std::string& type, const std::string& n) {
  return is_library_type(s, type) ? "support::make_message<" + type + ">(" + n + ")" : type + "{" + n + "}";
}
std::string value_expr(const Service& s, const std::string& type, const std::string& m) {
  return is_library_type(s, type) ? "support::message_value(" + m + ")" : m + ".value";
}

// ---------------------------------------------------------------- settings

std::string config_fields(const Service& s, const Kind& k) {
  const ActorSettings& st = s.settings[k.instances.front()];
  const Node& first = s.nodes[k.instances.front()];
  std::vector<std::string> lines;
  auto named_n = [&](const std::vector<RefGroup>& groups, const std::string& port) {
    for (const auto& g : groups)
      for (const auto& r : g)
        if (r.channel == port) return true;
    return false;
  };
  for (std::size_t p = 0; p < k.inputs.size(); ++p) {
    const Port& port = k.inputs[p];
    const PortSettings& ps = st.inputs[p];
    const bool named = named_n(first.drivers.on_event, port.name);
    lines.push_back("std::uint64_t " + port.name + "_wake = " + std::to_string(ps.threshold) + ";  // " +
                    (named ? "OnEvent(" + port.name + ":" + std::to_string(ps.threshold) +
                                 "): wake when this many are ready"
                           : "messages that wake the actor (no driver names " + port.name + ")"));
    lines.push_back("std::uint64_t " + port.name + "_take_batch = " + std::to_string(ps.batch) +
                    ";  // most messages taken from " + port.name + (port.bundle ? " (per lane)" : "") +
                    " per wake-up");
    lines.push_back(std::string("bool ") + port.name + "_feedback = " + (ps.feedback ? "true" : "false") +
                    ";  // " + port.name +
                    " closes a cycle back here: it cannot close first, so it does not hold a stop");
  }
  for (std::size_t p = 0; p < k.outputs.size(); ++p) {
    const Port& port = k.outputs[p];
    const PortSettings& ps = st.outputs[p];
    const bool named = named_n(first.drivers.on_capacity, port.name);
    lines.push_back(
        "std::uint64_t " + port.name + "_room = " + std::to_string(ps.threshold) + ";  // " +
        (named ? "OnCapacity(" + port.name + ":" + std::to_string(ps.threshold) + "): wait for this much room"
               : "room awaited on " + port.name + " (no driver names it)"));
    lines.push_back("std::uint64_t " + port.name + "_send_batch = " + std::to_string(ps.batch) +
                    ";  // most messages a source sends on " + port.name +
                    (port.bundle ? " (per lane)" : "") + " per wake-up");
  }
  if (k.plan.timer != WaitPlan::Timer::none) {
    const char* what = k.plan.timer == WaitPlan::Timer::at_least_every ? "AtLeastEvery" : "AtMostEvery";
    lines.push_back("std::chrono::nanoseconds period = " + chrono_expr(st.period_ns) + ";  // " + what + "(" +
                    st.period_text + ")");
  }
  lines.push_back(std::string("bool prime = ") + (st.prime ? "true" : "false") +
                  ";  // send a first message on each output: starts a cycle that nothing else feeds");
  return join(lines, "\n");
}

// Designated initializer of one actor's settings (same order as the struct).
std::string config_init(const Service& s, const Kind& k, int node) {
  const ActorSettings& st = s.settings[node];
  std::vector<std::string> parts;
  for (std::size_t p = 0; p < k.inputs.size(); ++p) {
    const std::string& n = k.inputs[p].name;
    parts.push_back("." + n + "_wake = " + std::to_string(st.inputs[p].threshold));
    parts.push_back("." + n + "_take_batch = " + std::to_string(st.inputs[p].batch));
    parts.push_back("." + n + "_feedback = " + (st.inputs[p].feedback ? "true" : "false"));
  }
  for (std::size_t p = 0; p < k.outputs.size(); ++p) {
    const std::string& n = k.outputs[p].name;
    parts.push_back("." + n + "_room = " + std::to_string(st.outputs[p].threshold));
    parts.push_back("." + n + "_send_batch = " + std::to_string(st.outputs[p].batch));
  }
  if (k.plan.timer != WaitPlan::Timer::none) parts.push_back(".period = " + chrono_expr(st.period_ns));
  parts.push_back(std::string(".prime = ") + (st.prime ? "true" : "false"));
  return k.cls + "Config{\n        " + join(parts, ",\n        ") + "}";
}

// ---------------------------------------------------------------- the generated loop

std::string cond_expr(const Kind& k, const WaitCond& c, bool in_any) {
  switch (c.what) {
    case WaitCond::What::avail: {
      const Port& p = k.inputs[c.port];
      const std::string n = "cfg." + p.name + "_wake";
      if (in_any) return "support::avail_or(" + rx(p) + ", " + n + ", never)";
      if (c.lanes == WaitCond::Lanes::all) return "support::avail(" + rx(p) + ", " + n + ")";
      return "support::cond(steady::avail(" + rx(p) + ", " + n + "))";
    }
    case WaitCond::What::vacant: {
      const Port& p = k.outputs[c.port];
      const std::string n = "cfg." + p.name + "_room";
      if (p.bundle) return "support::vacant(" + tx(p) + ", " + n + ")";
      return "support::cond(steady::vacant(" + tx(p) + ", " + n + "))";
    }
    case WaitCond::What::bell:
      return "support::cond(steady::rung(*self->" + c.bell + "))";
    case WaitCond::What::periodic:
      return "support::cond(steady::periodic(cfg.period))";
  }
  return {};
}

std::string wait_code(const Kind& k) {
  const WaitPlan& plan = k.plan;
  if (plan.timer_only)
    return plan.timer == WaitPlan::Timer::at_least_every
               ? "const steady::WaitResult r = co_await ctx.wait_periodic(cfg.period);  // AtLeastEvery\n"
                 "wake.timer = r.satisfied();"
               : "co_await ctx.wait_periodic(cfg.period);  // AtMostEvery";
  const bool at_least = plan.timer == WaitPlan::Timer::at_least_every;
  const std::string timeout = at_least ? ".timeout(cfg.period)" : "";
  std::string out;
  if (plan.approximate_fraction)
    out += "// A lane fraction below 100% waits for any lane: steady_state has no k-of-n lane wait.\n";
  if (plan.stages.size() > 1)
    out += "// Waits do not nest, so \"(a || b) && c\" is one wait after the other.\n";
  std::vector<std::string> results;
  for (std::size_t i = 0; i < plan.stages.size(); ++i) {
    const WaitStage& st = plan.stages[i];
    std::vector<std::string> conds;
    for (const WaitCond& c : st.conds) conds.push_back(cond_expr(k, c, st.any));
    const std::string call = std::string("co_await support::") + (st.any ? "wait_any" : "wait_all") +
                             "(ctx, support::join(\n    " + join(conds, ",\n    ") + "))" + timeout + ";";
    const bool last = i + 1 == plan.stages.size();
    const bool need_result = !last || at_least;
    const std::string r = "r" + std::to_string(i + 1);
    if (need_result) {
      out += "const steady::WaitResult " + r + " = " + call + "\n";
      results.push_back(r + ".timed_out()");
    } else {
      out += "(void)" + call + "\n";
    }
    if (!last) out += "if (" + r + ".shutdown()) continue;  // a stop was requested: vote\n";
  }
  if (at_least) out += "wake.timer = " + join(results, " || ") + ";  // AtLeastEvery: the period passed\n";
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string drivers_comment(const Service& s, const Kind& k) {
  const Node& first = s.nodes[k.instances.front()];
  if (!first.drivers.text.empty()) return first.drivers.text;
  if (k.plan.stages.empty()) return "(no drivers)";
  return "(no drivers: any input has a message and every output has room for one)";
}

Vars actor_vars(const Service& s, const Kind& k, const std::string& ns) {
  Vars v;
  std::vector<std::string> tparams, params, args, votes, closed;
  for (const Port& p : k.inputs) {
    const std::string t = qualified(ns, p.type);
    if (p.bundle) {
      tparams.push_back("std::size_t " + lanes_param(p));
      params.push_back("steady::RxBundle<" + t + ", " + lanes_param(p) + ">& " + rx(p));
      args.push_back("std::span<steady::Rx<" + t + ">>(" + rx(p) + ")");
    } else {
      params.push_back("steady::Rx<" + t + ">& " + rx(p));
      args.push_back(rx(p));
    }
    votes.push_back("support::drained(" + rx(p) + ", cfg." + p.name + "_feedback)");
    closed.push_back("{cfg." + p.name + "_feedback, support::closed_and_empty(" + rx(p) + ")}");
  }
  for (const Port& p : k.outputs) {
    const std::string t = qualified(ns, p.type);
    if (p.bundle) {
      tparams.push_back("std::size_t " + lanes_param(p));
      params.push_back("steady::TxBundle<" + t + ", " + lanes_param(p) + ">& " + tx(p));
      args.push_back("std::span<steady::Tx<" + t + ">>(" + tx(p) + ")");
    } else {
      params.push_back("steady::Tx<" + t + ">& " + tx(p));
      args.push_back(tx(p));
    }
  }
  v["template_line"] = tparams.empty() ? "" : "template <" + join(tparams, ", ") + ">";
  v["inline"] = tparams.empty() ? "inline " : "";
  v["params"] = join(params, ",\n    ");
  v["args"] = join(args, args.size() > 2 ? ",\n                  " : ", ");
  v["vote"] = votes.empty()       ? "steady::agree()"
              : votes.size() == 1 ? votes[0]
                                  : "support::all_agree(\n        " + join(votes, ",\n        ") + ")";
  v["has_inputs"] = k.inputs.empty() ? "" : "1";
  v["all_closed"] = "support::inputs_done({" +
                    join(closed, closed.size() > 1 ? ",\n                              " : ", ") + "})";
  bool never = false;
  for (const WaitStage& st : k.plan.stages)
    for (const WaitCond& c : st.conds) never = never || (st.any && c.what == WaitCond::What::avail);
  v["uses_never"] = never ? "1" : "";
  v["wait"] = wait_code(k);
  v["drivers"] = drivers_comment(s, k);
  return v;
}

// ---------------------------------------------------------------- the behaviour stub

std::string behaviour_params(const Kind& k, const std::string& sep) {
  std::vector<std::string> params;
  for (const Port& p : k.inputs)
    params.push_back(p.bundle ? "std::span<steady::Rx<" + p.type + ">> " + rx(p)
                              : "steady::Rx<" + p.type + ">& " + rx(p));
  for (const Port& p : k.outputs)
    params.push_back(p.bundle ? "std::span<steady::Tx<" + p.type + ">> " + tx(p)
                              : "steady::Tx<" + p.type + ">& " + tx(p));
  return join(params, sep);
}

std::string ports_doc(const Kind& k) {
  std::vector<std::string> parts;
  for (const Port& p : k.inputs)
    parts.push_back("in " + p.name + " <" + p.type + "> >>" + std::string(mode_token(p.mode)) +
                    (p.bundle ? " (bundle)" : ""));
  for (const Port& p : k.outputs)
    parts.push_back("out " + p.name + " <" + p.type + ">" + (p.bundle ? " (bundle)" : ""));
  return "Ports: " + join(parts, ", ") + ".";
}

std::string members(const Kind& k) {
  std::vector<std::string> m;
  if (k.source()) m.push_back("std::uint64_t next_value = 0;  // the number of the next message");
  if (k.sink()) m.push_back("std::uint64_t value_sum = 0;   // sum of the value fields received");
  if (!k.source() && !k.sink())
    m.push_back("std::size_t next_output = 0;     // support::pass_on() takes the outputs and lanes in turn");
  for (const std::string& b : k.bells)
    m.push_back("// Other(" + b +
                "): ring it from any thread when the event happens; on_wake() answers it.\n"
                "std::shared_ptr<steady::Doorbell> " +
                b + " = std::make_shared<steady::Doorbell>();");
  return join(m, "\n");
}

std::string take_fn(Mode m) {
  switch (m) {
    case Mode::take:
      return "support::take";
    case Mode::take_copy:
      return "support::take_copy";
    case Mode::peek_copy:
      return "support::peek_copy";
  }
  return "support::take";
}

std::string behaviour_body(const Service& s, const Kind& k) {
  std::string b;
  for (const std::string& bell : k.bells)
    b += "if (" + bell + "->answer()) {\n  // Other(" + bell +
         "): the external event happened; handle it here.\n}\n";
  if (k.source()) {
    b += "// Stub: a source. Each wake-up sends up to cfg.<output>_send_batch numbered messages on every "
         "output (every\n"
         "// lane of a bundle), no more than there is room for. Replace with your own data.\n";
    for (const Port& p : k.outputs) {
      const std::string make = "[this] { return " + make_expr(s, p.type, "next_value++") + "; }";
      if (p.bundle)
        b += "for (steady::Tx<" + p.type + ">& lane : " + tx(p) + ") sent += support::fill(lane, cfg." +
             p.name + "_send_batch, " + make + ");\n";
      else
        b += "sent += support::fill(" + tx(p) + ", cfg." + p.name + "_send_batch, " + make + ");\n";
    }
    b.pop_back();
    return b;
  }
  std::vector<std::string> outs;
  for (const Port& p : k.outputs) outs.push_back(tx(p));
  if (k.sink())
    b += "// Stub: a sink. Takes what arrived (cfg.<input>_take_batch at most per input) and adds up the "
         "values.\n"
         "// Replace with your logic.\n";
  else
    b += "// Stub: passes each message on to one output, taking the outputs (and a bundle's lanes) in turn "
         "and never\n"
         "// more than they have room for, so nothing is dropped or duplicated. Replace with your logic.\n";
  if (k.may_prime) {
    b += "if (wake.prime) {  // this actor starts the traffic of a cycle that nothing else feeds\n";
    for (const Port& p : k.outputs) {
      if (p.bundle)
        b += "  for (steady::Tx<" + p.type + ">& lane : " + tx(p) +
             ") sent += support::fill(lane, 1, [] { return " + p.type + "{}; });\n";
      else
        b += "  sent += support::fill(" + tx(p) + ", 1, [] { return " + p.type + "{}; });\n";
    }
    b += "}\n";
  }
  for (const Port& in : k.inputs) {
    std::vector<std::string> limits{"lane.avail_units()", "cfg." + in.name + "_take_batch"};
    if (!k.sink()) limits.push_back("support::total_room(" + join(outs, ", ") + ")");
    const std::string per_message = k.sink() ? "value_sum += " + value_expr(s, in.type, "m") + ";"
                                             : "sent += support::pass_on(next_output, " +
                                                   value_expr(s, in.type, "m") + ", " + join(outs, ", ") +
                                                   ") ? 1 : 0;";
    b += in.bundle ? "for (steady::Rx<" + in.type + ">& lane : " + rx(in) + ") {\n"
                   : "{\n  steady::Rx<" + in.type + ">& lane = " + rx(in) + ";\n";
    b += "  const std::uint64_t n = std::min<std::uint64_t>({\n      " + join(limits, ",\n      ") + "});\n";
    b += "  received += " + take_fn(in.mode) + "(lane, n, [&](const " + in.type + "& m) {\n    " +
         per_message + "\n  });\n";
    b += "}\n";
  }
  b.pop_back();
  return b;
}

// ---------------------------------------------------------------- the unit test

constexpr int kTestLanes = 2;      // lanes of a bundle in the unit tests (the code is generic over the count)
constexpr int kTestCapacity = 16;  // channel capacity in the unit tests

using Ends = std::vector<std::pair<std::string, const Port*>>;  // variable name, port (one per lane)

std::string fn_ref(const Kind& k, int lanes) {
  std::string f = "&generated::" + k.name + "_actor";
  std::vector<std::string> targs;
  for (const Port& p : k.inputs)
    if (p.bundle) targs.push_back(std::to_string(lanes));
  for (const Port& p : k.outputs)
    if (p.bundle) targs.push_back(std::to_string(lanes));
  if (!targs.empty()) f += "<" + join(targs, ", ") + ">";
  return f;
}

std::string source_test(const Service& s, const Kind& k) {
  const Node& first = s.nodes[k.instances.front()];
  const bool timer_only = k.plan.timer_only;
  const std::string cap = std::to_string(kTestCapacity);
  std::string t = "// A source: it sends numbered messages on every output as soon as it runs";
  t += timer_only ? ", then once per period.\n" : ", as long as there is room.\n";
  t += "TEST(" + k.cls + ", SendsNumberedMessagesOnEveryOutputAndStopsCleanly) {\n";
  t += "  steady::testing::Harness h;  // virtual time\n";
  t += "  generated::" + k.cls + "Config cfg;  // as for " + first.id + " in " + dot_name(s) + "\n";
  t += "  auto self = std::make_shared<actors::" + k.cls + ">();\n";
  std::vector<std::string> args;
  Ends receivers;
  for (const Port& p : k.outputs) {
    const int lanes = p.bundle ? kTestLanes : 1;
    std::vector<std::string> txs;
    for (int l = 0; l < lanes; ++l) {
      const std::string v = p.name + (p.bundle ? std::to_string(l) : "");
      const std::string chan = p.bundle ? p.name + "[" + std::to_string(l) + "]" : p.name;
      t += "  auto [" + v + "_tx, " + v + "_rx] = h.graph().channel<" + p.type + ">().name(\"" + chan +
           "\").capacity(" + cap + ").build();\n";
      txs.push_back("std::move(" + v + "_tx)");
      receivers.emplace_back(v, &p);
    }
    if (p.bundle) {
      t += "  steady::TxBundle<" + p.type + ", " + std::to_string(lanes) + "> " + p.name + "{" +
           join(txs, ", ") + "};\n";
      args.push_back("std::move(" + p.name + ")");
    } else {
      args.push_back(txs[0]);
    }
  }
  t += "  h.actor(\"" + first.actor_name + "\").run(" + fn_ref(k, kTestLanes) + ", " + join(args, ", ") +
       ", self, cfg);\n";
  t += "  h.run_until_idle();\n";
  if (k.plan.timer != WaitPlan::Timer::none) t += "  h.advance(cfg.period);  // one period of virtual time\n";
  t += "  std::uint64_t total = 0;\n";
  for (const auto& [r, port] : receivers) {
    t += "  const auto " + r + " = drain(" + r + "_rx);\n";
    t += "  ASSERT_FALSE(" + r + ".empty()) << \"nothing was sent on " + r + "\";\n";
    t += "  for (std::size_t i = 1; i < " + r + ".size(); ++i)\n    EXPECT_LT(" +
         value_expr(s, port->type, r + "[i - 1]") + ", " + value_expr(s, port->type, r + "[i]") +
         ") << \"messages are numbered in order\";\n";
    if (timer_only)
      t += "  EXPECT_EQ(" + r + ".size(), std::min<std::uint64_t>(2 * cfg." + port->name + "_send_batch, " +
           cap + "))  // a batch at the start, one after a period\n      << \"on " + r + "\";\n";
    t += "  total += " + r + ".size();\n";
  }
  t += "  EXPECT_EQ(self->sent, total);\n";
  t += "  EXPECT_THAT(h.run_to_stop(10s), IsCleanStop());\n}";
  return t;
}

// The harness inputs and outputs of a transform or sink test, and the run() call.
std::string harness_ports(const Service& s, const Kind& k, Ends& inputs, Ends& outputs) {
  const std::string cap = std::to_string(kTestCapacity);
  std::string t;
  std::vector<std::string> args;
  auto ports = [&](const std::vector<Port>& list, bool input) {
    for (const Port& p : list) {
      const int lanes = p.bundle ? kTestLanes : 1;
      std::vector<std::string> ends;
      for (int l = 0; l < lanes; ++l) {
        const std::string v = p.name + (p.bundle ? std::to_string(l) : "") + (input ? "_in" : "_out");
        const std::string chan = p.bundle ? p.name + "[" + std::to_string(l) + "]" : p.name;
        t += "  auto& " + v + " = h." + (input ? "input" : "output") + "<" + p.type + ">(\"" + chan + "\", " +
             cap + ");\n";
        ends.push_back(v + ".end()");
        (input ? inputs : outputs).emplace_back(v, &p);
      }
      if (p.bundle) {
        t += std::string("  steady::") + (input ? "RxBundle<" : "TxBundle<") + p.type + ", " +
             std::to_string(lanes) + "> " + p.name + "{" + join(ends, ", ") + "};\n";
        args.push_back("std::move(" + p.name + ")");
      } else {
        args.push_back(ends[0]);
      }
    }
  };
  ports(k.inputs, true);
  ports(k.outputs, false);
  t += "  h.actor(\"" + s.nodes[k.instances.front()].actor_name + "\").run(" + fn_ref(k, kTestLanes) + ", " +
       join(args, ", ") + ", self, cfg);\n";
  return t;
}

std::string flow_tests(const Service& s, const Kind& k) {
  const Node& first = s.nodes[k.instances.front()];
  std::string t;
  // 1. Everything pushed in is taken (and passed on), and the actor stops once its inputs close.
  t +=
      k.sink()
          ? "// A sink: it takes every message it is sent and stops once its inputs are closed and drained.\n"
          : "// Every message in goes out once, and the actor stops once its inputs are closed and "
            "drained.\n";
  t += "TEST(" + k.cls +
       (k.sink() ? ", TakesEveryMessageAndStopsWhenItsInputsClose) {\n"
                 : ", PassesEveryMessageOnAndStopsWhenItsInputsClose) {\n");
  t += "  steady::testing::Harness h;  // virtual time\n";
  t += "  generated::" + k.cls + "Config cfg;  // as for " + first.id + " in " + dot_name(s) + "\n";
  t += "  auto self = std::make_shared<actors::" + k.cls + ">();\n";
  Ends inputs, outputs;
  t += harness_ports(s, k, inputs, outputs);
  for (const auto& [in, port] : inputs) {
    const std::string& type = port->type;
    t += "  " + in + ".push({" + make_expr(s, type, "1") + ", " + make_expr(s, type, "2") + ", " +
         make_expr(s, type, "3") + "});\n";
    t += "  " + in + ".close();\n";
  }
  const std::size_t n_in = inputs.size();
  t += "  EXPECT_THAT(h.run_to_stop(10s), IsCleanStop());\n";
  t += "  EXPECT_EQ(self->received, " + std::to_string(3 * n_in) + "u);  // 3 messages on each of " +
       std::to_string(n_in) + " input" + (n_in == 1 ? "" : "s") + "\n";
  if (k.sink()) {
    t += "  EXPECT_EQ(self->value_sum, " + std::to_string(6 * n_in) + "u);\n";
  } else {
    std::size_t slots = 0;
    t += "  // Each message went out once, on one of the outputs (taken in turn): none dropped, none "
         "duplicated.\n";
    t += "  std::vector<std::uint64_t> values;\n";
    for (const auto& [v, port] : outputs) {
      t += "  for (const auto& m : " + v + ".received()) values.push_back(" + value_expr(s, port->type, "m") +
           ");\n";
      ++slots;
    }
    std::string primes;
    if (k.may_prime) {
      t += "  const std::uint64_t primed = cfg.prime ? " + std::to_string(slots) +
           " : 0;  // the cycle's first messages\n";
      primes = " + primed";
    }
    t += "  EXPECT_EQ(values.size(), " + std::to_string(3 * n_in) + "u" + primes + ");\n";
    t += "  EXPECT_EQ(std::accumulate(values.begin(), values.end(), std::uint64_t{0}), " +
         std::to_string(6 * n_in) + "u);  // the values came through\n";
    t += "  EXPECT_EQ(self->sent, values.size());\n";
  }
  t += "}\n\n";
  // 2. It does not agree to stop while an input is still open.
  t += "// A stop waits for the inputs: while one is open the actor vetoes, and the stop is unclean.\n";
  t += "TEST(" + k.cls + ", VetoesTheStopWhileAnInputIsOpen) {\n";
  t += "  steady::testing::Harness h;  // virtual time\n";
  t += "  generated::" + k.cls + "Config cfg;\n";
  for (const Port& p : k.inputs)
    t += "  cfg." + p.name + "_feedback = false;  // an open input holds the stop\n";
  t += "  auto self = std::make_shared<actors::" + k.cls + ">();\n";
  inputs.clear();
  outputs.clear();
  t += harness_ports(s, k, inputs, outputs);
  for (std::size_t i = 1; i < inputs.size(); ++i) t += "  " + inputs[i].first + ".close();\n";
  t += "  // " + inputs[0].first + " stays open\n";
  t += "  EXPECT_THAT(h.run_to_stop(1s), steady::testing::IsUncleanStopVetoedBy(\"" + first.actor_name +
       "\"));\n";
  t += "}";
  return t;
}

}  // namespace

}  // namespace steady_gen::detail

namespace steady_gen {

std::vector<OutputFile> render_kind(const Service& s, const Kind& k, const RenderOptions& o) {
  using detail::join;
  std::vector<OutputFile> out;
  Vars v = detail::common_vars(s, o.name, o.dot_file);
  v["kind"] = k.name;
  v["cls"] = k.cls;
  v["instances"] = detail::instances_text(s, k);
  v["first_instance"] = s.nodes[k.instances.front()].id;
  v["fields"] = detail::config_fields(s, k);
  out.push_back({"generated/" + k.name + "_config.hpp",
                 render_template("kind_config.hpp.in", v),
                 OutputFile::Owner::generated,
                 {}});

  Vars a = v;
  for (auto& [key, value] : detail::actor_vars(s, k, o.name)) a[key] = value;
  out.push_back({"generated/" + k.name + "_actor.hpp",
                 render_template("kind_actor.hpp.in", a),
                 OutputFile::Owner::generated,
                 {}});

  Vars b = v;
  b["params"] = detail::behaviour_params(k, ",\n               ");
  b["params_cpp"] = detail::behaviour_params(k, ",\n    ");
  b["ports_doc"] = detail::ports_doc(k);
  b["members"] = detail::members(k);
  b["body"] = detail::behaviour_body(s, k);
  out.push_back(
      {"actors/" + k.name + ".hpp", render_template("behaviour.hpp.in", b), OutputFile::Owner::user, k.name});
  out.push_back(
      {"actors/" + k.name + ".cpp", render_template("behaviour.cpp.in", b), OutputFile::Owner::user, k.name});

  Vars t = v;
  t["tests"] = k.source() ? detail::source_test(s, k) : detail::flow_tests(s, k);
  out.push_back({"tests/" + k.name + "_test.cpp", render_template("kind_test.cpp.in", t),
                 OutputFile::Owner::user, k.name});
  return out;
}

std::string config_init_for(const Service& s, const Kind& k, int node) {
  return detail::config_init(s, k, node);
}

}  // namespace steady_gen
