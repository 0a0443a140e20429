// In-process tests of steady-gen: names, label tokens, line locations, templates, analysis, regeneration
// rules. The end-to-end tests (generate, build, run) are the CMake scripts next to this file.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "analysis.hpp"
#include "dot_locator.hpp"
#include "front_end.hpp"
#include "labels.hpp"
#include "names.hpp"
#include "render.hpp"
#include "template.hpp"
#include "writer.hpp"

namespace steady_gen {
namespace {

namespace fs = std::filesystem;

// Parses and analyses DOT text; returns the diagnostics as one string.
struct Parsed {
  std::optional<Service> service;
  Diagnostics diags;
  [[nodiscard]] std::string messages() const {
    std::string out;
    for (const auto& d : diags.all()) out += d.to_string() + "\n";
    return out;
  }
};
Parsed parse(const std::string& text) {
  Parsed p;
  p.service = read_dot("test.dot", text, p.diags);
  if (p.service && !p.diags.has_errors()) analyze(*p.service, p.diags);
  return p;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---------------------------------------------------------------- names

TEST(Names, CaseConversions) {
  EXPECT_EQ(snake_case("OrderSource"), "order_source");
  EXPECT_EQ(snake_case("HTTPServer"), "http_server");
  EXPECT_EQ(snake_case("DivBy"), "div_by");
  EXPECT_EQ(camel_case("print_now"), "PrintNow");
  EXPECT_EQ(camel_case("values"), "Values");
  EXPECT_EQ(split_instance_suffix("Relay3").base, "Relay");
  EXPECT_EQ(split_instance_suffix("Relay3").suffix, 3);
  EXPECT_EQ(split_instance_suffix("Generator").suffix, -1);
  EXPECT_EQ(split_instance_suffix("42").suffix, -1);  // no base: not a suffix
}

TEST(Names, IdentifierProblems) {
  EXPECT_EQ(identifier_problem("Tick"), "");
  EXPECT_EQ(identifier_problem("class"), "is a C++ keyword");
  EXPECT_EQ(identifier_problem("co_await"), "is a C++ keyword");
  EXPECT_EQ(identifier_problem("Session creation"), "contains a space");
  EXPECT_EQ(identifier_problem("9lives"), "starts with a digit");
  EXPECT_NE(identifier_problem("a__b"), "");
}

// ---------------------------------------------------------------- label tokens

TEST(Labels, DurationsNeedAKnownUnit) {
  Diagnostics d;
  const Reporter r{d, {"f.dot", 3}, "node A"};
  EXPECT_EQ(parse_duration("10ms", "AtLeastEvery", r)->ns, 10'000'000);
  EXPECT_EQ(parse_duration("2 sec", "AtLeastEvery", r)->ns, 2'000'000'000);
  EXPECT_EQ(parse_duration("2s", "AtLeastEvery", r)->ns, 2'000'000'000);
  EXPECT_EQ(parse_duration("1min", "AtLeastEvery", r)->ns, 60'000'000'000);
  EXPECT_EQ(parse_duration("250us", "AtLeastEvery", r)->ns, 250'000);
  EXPECT_FALSE(d.has_errors());
  EXPECT_FALSE(parse_duration("10", "AtLeastEvery", r));
  EXPECT_FALSE(parse_duration("10h", "AtLeastEvery", r));
  EXPECT_FALSE(parse_duration("fast", "AtLeastEvery", r));
  EXPECT_FALSE(parse_duration("0ms", "AtLeastEvery", r));
  ASSERT_EQ(d.error_count(), 4u);
  EXPECT_NE(d.all()[0].to_string().find("f.dot:3: error: node A: duration '10'"), std::string::npos);
  EXPECT_NE(d.all()[0].fix.find("AtLeastEvery(10ms)"), std::string::npos);
  EXPECT_NE(d.all()[1].message.find("unknown unit 'h'"), std::string::npos);
}

TEST(Labels, NodeLabelTokensAndProse) {
  Diagnostics d;
  const Reporter r{d, {"f.dot", 1}, "node X"};
  const NodeTokens t = parse_node_label(
      "reads orders\nmod::order_source\nAtLeastEvery(10ms) && OnEvent(a:4 || b:1) && OnCapacity(out:32:50%)",
      r);
  EXPECT_FALSE(d.has_errors());
  EXPECT_EQ(t.module, "order_source");
  EXPECT_EQ(t.prose, "reads orders");
  ASSERT_TRUE(t.drivers.at_least_every);
  EXPECT_EQ(t.drivers.at_least_every->text, "10ms");
  ASSERT_EQ(t.drivers.on_event.size(), 1u);
  ASSERT_EQ(t.drivers.on_event[0].size(), 2u);
  EXPECT_EQ(t.drivers.on_event[0][1].channel, "b");
  ASSERT_EQ(t.drivers.on_capacity.size(), 1u);
  EXPECT_DOUBLE_EQ(*t.drivers.on_capacity[0][0].fraction, 0.5);
}

TEST(Labels, MistakesInDriversAreReported) {
  for (const char* label :
       {"AtLeastEvry(10ms)", "OnEvent(a)", "OnEvent(a:x)", "OnEvent(a:0)", "OnEvent(a:1:150%)",
        "OnEvent(a:1) || OnCapacity(b:1)", "OnEvent(a:1", "mod::Foo"}) {
    Diagnostics d;
    const Reporter r{d, {"f.dot", 1}, "node X"};
    const NodeTokens t = parse_node_label(label, r);
    if (t.module) (void)check_snake_name(*t.module, "actor kind", "mod::", r);
    EXPECT_TRUE(d.has_errors()) << label;
  }
}

TEST(Labels, EdgeLabelTokens) {
  Diagnostics d;
  const Reporter r{d, {"f.dot", 1}, "edge A -> B"};
  const EdgeTokens t = parse_edge_label("orders to price\nname::orders <Order> >>PeekCopy #256", r);
  EXPECT_FALSE(d.has_errors());
  EXPECT_EQ(t.name, "orders");
  EXPECT_EQ(t.type, "Order");
  EXPECT_EQ(t.mode, Mode::peek_copy);
  EXPECT_EQ(t.capacity, 256u);
  EXPECT_EQ(t.prose, "orders to price");
  (void)parse_edge_label("<X> >>Borrow", r);
  (void)parse_edge_label("#many", r);
  EXPECT_EQ(d.error_count(), 2u);
}

// ---------------------------------------------------------------- locations

TEST(DotLocator, FindsTheLineOfNodesAndEdges) {
  const std::string text =
      "// comment A -> B\n"
      "digraph g {\n"
      "  rankdir=LR; /* B here is a comment */\n"
      "  A [label=\"B\"];\n"
      "  B\n"
      "   [label=\"x\"];\n"
      "  A -> { C B };\n"
      "  \"Quoted Id\" -> A;\n"
      "}\n";
  const DotLocator where(text);
  EXPECT_EQ(where.graph_line(), 2);
  EXPECT_EQ(where.node_line("A"), 4);
  EXPECT_EQ(where.node_line("B"), 5);
  EXPECT_EQ(where.edge_line("A", "B"), 7);
  EXPECT_EQ(where.edge_line("Quoted Id", "A"), 8);
}

// ---------------------------------------------------------------- templates

TEST(Templates, SubstitutionSectionsAndIndentation) {
  const Vars v{{"x", "1"}, {"empty", ""}, {"block", "a;\nb;"}, {"on", "1"}};
  EXPECT_EQ(render_text("v=@@x@@\n@@#on@@\nyes\n@@/on@@\n@@^on@@\nno\n@@/on@@\n", v), "v=1\nyes\n");
  EXPECT_EQ(render_text("{\n  @@block@@\n  @@empty@@\n}\n", v), "{\n  a;\n  b;\n}\n");
  EXPECT_THROW((void)render_text("@@missing@@", v), std::logic_error);
  for (const auto& [name, text] : embedded_templates()) EXPECT_FALSE(text.empty()) << name;
}

// ---------------------------------------------------------------- analysis

TEST(Analysis, InfersFanOutAndFanInBundles) {
  const Parsed p = parse(R"dot(digraph g {
    G [label="mod::gen\nOnCapacity(t:8)"];
    W1 [label="mod::w"]; W2 [label="mod::w"];
    S [label="mod::s\nOnEvent(r:1:50%)"];
    G -> W1 [label="name::t <T> #16"]; G -> W2 [label="name::t <T> #16"];
    W1 -> S [label="name::r <R> #16"]; W2 -> S [label="name::r <R> #16"];
  })dot");
  ASSERT_FALSE(p.diags.has_errors()) << p.messages();
  const Service& s = *p.service;
  ASSERT_EQ(s.channels.size(), 2u);
  EXPECT_EQ(s.channels[0].shape, Channel::Shape::fan_out);
  EXPECT_EQ(s.channels[0].lanes(), 2u);
  EXPECT_EQ(s.channels[1].shape, Channel::Shape::fan_in);
  ASSERT_EQ(s.kinds.size(), 3u);
  EXPECT_TRUE(s.kinds[0].outputs[0].bundle);  // gen holds every lane of t
  EXPECT_FALSE(s.kinds[1].inputs[0].bundle);  // each w holds one lane
  EXPECT_TRUE(s.kinds[2].inputs[0].bundle);   // s holds every lane of r
  EXPECT_TRUE(s.kinds[2].plan.approximate_fraction);
  EXPECT_EQ(s.runtime_channel_names(), (std::vector<std::string>{"t[0]", "t[1]", "r[0]", "r[1]"}));
  EXPECT_EQ(s.nodes[1].full_name, "w_1");
}

TEST(Analysis, ACycleThatNothingFeedsIsPrimedOnce) {
  const Parsed p = parse(R"dot(digraph ring {
    S1 [label="mod::station"]; S2 [label="mod::station"];
    S1 -> S2 [label="name::token <Token>"]; S2 -> S1 [label="name::token <Token>"];
  })dot");
  ASSERT_FALSE(p.diags.has_errors()) << p.messages();
  const Service& s = *p.service;
  EXPECT_TRUE(s.settings[0].prime);
  EXPECT_FALSE(s.settings[1].prime);
  EXPECT_TRUE(s.settings[0].inputs[0].feedback);  // S2 -> S1 closes the cycle
  EXPECT_FALSE(s.settings[1].inputs[0].feedback);
  EXPECT_TRUE(s.kinds[0].may_prime);
}

TEST(Analysis, ErrorsNameTheLineTheActorAndAFix) {
  struct Case {
    const char* dot;
    int line;
    const char* says;
  };
  const Case cases[] = {
      {"digraph g {\nA [label=\"mod::k\"];\nB [label=\"mod::k\"];\nC [label=\"mod::c\"];\n"
       "A -> C [label=\"name::x <X>\"];\nC -> B [label=\"name::y <Y>\"];\n}",
       3, "incompatible channel signatures"},  // at B, the instance that differs
      {"digraph g {\nA [label=\"mod::a\\nOnEvent(x:1)\"];\nB [label=\"mod::b\"];\nA -> B [label=\"name::x "
       "<X>\"];\n}",
       2, "is an output of A"},
      {"digraph g {\nA [label=\"mod::a\"];\nB [label=\"mod::b\\nOnEvent(x:64)\"];\nA -> B [label=\"name::x "
       "<X> #8\"];\n}",
       3, "capacity 8"},
      {"digraph g {\nA [label=\"mod::a\"];\nB [label=\"mod::b\\nOnEvent(x:1:50%)\"];\nA -> B "
       "[label=\"name::x <X>\"];\n}",
       3, "not a bundle"},
      {"digraph g {\nA [label=\"mod::a\"];\nB [label=\"mod::b\"];\n\nA -> B [label=\"name::x <class>\"];\n}",
       5, "keyword"},
      {"digraph g {\nA [label=\"mod::a\"];\nB [label=\"mod::b\"];\nA -> B [label=\"name::x <Tick> "
       "#abc\"];\n}",
       4, "non-numeric"},
      {"digraph g {\nLonely;\n}", 2, "no channels"},
      {"digraph g {\n}", 1, "empty graph"},
      {"", 1, "empty graph"},
  };
  for (const Case& c : cases) {
    const Parsed p = parse(c.dot);
    ASSERT_TRUE(p.diags.has_errors()) << c.dot;
    const Diagnostic& d = p.diags.sorted().front();
    EXPECT_EQ(d.where.line, c.line) << p.messages();
    EXPECT_NE(p.messages().find(c.says), std::string::npos) << p.messages();
    EXPECT_FALSE(d.fix.empty()) << p.messages();
  }
}

TEST(Analysis, TheGrammarExampleOfHelpIsValid) {
  const std::string help(embedded_templates().at("help.txt.in"));
  const auto begin = help.find("digraph pipeline {");
  const auto end = help.find("\n  }", begin);
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  const Parsed p = parse(help.substr(begin, end + 4 - begin));
  EXPECT_FALSE(p.diags.has_errors()) << p.messages();
  EXPECT_EQ(p.service->channels.size(), 2u);
}

TEST(Analysis, EveryExampleDotIsValid) {
  const fs::path dir = STEADY_GEN_DOT_DIR;
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no example DOT files at " << dir;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".dot") continue;
    const Parsed p = parse(read_all(e.path()));
    EXPECT_FALSE(p.diags.has_errors()) << e.path() << "\n" << p.messages();
  }
}

// ---------------------------------------------------------------- regeneration rules

class Regeneration : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("steady_gen_unit_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  WriteResult generate(const std::string& dot, std::string* log = nullptr) {
    Parsed p = parse(dot);
    EXPECT_FALSE(p.diags.has_errors()) << p.messages();
    const auto files = render(*p.service, {"svc", "test.dot", "test.dot"});
    std::ostringstream out, err;
    const WriteResult r = write_project(files, *p.service, {dir_, "svc", "test.dot", false}, out, err);
    if (log != nullptr) *log = out.str() + err.str();
    return r;
  }
  fs::path dir_;
};

constexpr const char* kTwo =
    R"dot(digraph svc { A [label="mod::a"]; B [label="mod::b"]; A -> B [label="name::x <X>"]; })dot";
constexpr const char* kThree =
    R"dot(digraph svc { A [label="mod::a"]; B [label="mod::b"]; C [label="mod::c"];
       A -> B [label="name::x <X>"]; A -> C [label="name::y <Y>"]; })dot";

TEST_F(Regeneration, KeepsEditedFilesRefreshesUntouchedOnesAndAddsNewKinds) {
  ASSERT_EQ(generate(kTwo).exit_code, 0);
  std::ofstream(dir_ / "actors/b.cpp", std::ios::app) << "// mine\n";
  const std::string mine = read_all(dir_ / "actors/b.cpp");
  std::string log;
  const WriteResult r = generate(kThree, &log);
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(read_all(dir_ / "actors/b.cpp"), mine) << log;
  EXPECT_TRUE(fs::exists(dir_ / "actors/c.cpp")) << log;
  EXPECT_NE(log.find("refreshed actors/a.cpp"), std::string::npos) << log;  // a gained an output; untouched
  EXPECT_NE(log.find("kept      actors/b.cpp"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(dir_ / "actors/b.cpp.new")) << "b's channels did not change";
  // Back to two actors: c's generated files go, its user files stay and are reported.
  const WriteResult back = generate(kTwo, &log);
  EXPECT_EQ(back.exit_code, 0);
  EXPECT_FALSE(fs::exists(dir_ / "generated/c_actor.hpp"));
  EXPECT_TRUE(fs::exists(dir_ / "actors/c.cpp"));
  EXPECT_NE(log.find("unused    actors/c.cpp"), std::string::npos) << log;
}

TEST_F(Regeneration, AnEditedKindWhoseChannelsChangeGetsANewStubBesideIt) {
  ASSERT_EQ(generate(kTwo).exit_code, 0);
  std::ofstream(dir_ / "actors/a.cpp", std::ios::app) << "// mine\n";
  std::string log;
  ASSERT_EQ(generate(kThree, &log).exit_code, 0);
  EXPECT_TRUE(fs::exists(dir_ / "actors/a.cpp.new")) << log;
  EXPECT_NE(read_all(dir_ / "actors/a.cpp").find("// mine"), std::string::npos);
}

TEST_F(Regeneration, RefusesADirectoryItDidNotMake) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "notes.txt") << "someone else's\n";
  std::string log;
  EXPECT_EQ(generate(kTwo, &log).exit_code, 2);
  EXPECT_FALSE(fs::exists(dir_ / "CMakeLists.txt"));
  EXPECT_NE(log.find("--force"), std::string::npos);
}

}  // namespace
}  // namespace steady_gen
