// In-process tests of steady-gen's prebuilt actors (catalogue.hpp): mod::steady::NAME and prebuilt="NAME"
// nodes, their options from node attributes, the checks of their channels, and what the renderer writes for
// them. The end to end test (generate, build against steady::actors, run) is generator.example.prebuilt.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "analysis.hpp"
#include "catalogue.hpp"
#include "front_end.hpp"
#include "render.hpp"

namespace steady_gen {
namespace {

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

const OutputFile* find(const std::vector<OutputFile>& files, const std::string& path) {
  const auto it =
      std::find_if(files.begin(), files.end(), [&](const OutputFile& f) { return f.path == path; });
  return it == files.end() ? nullptr : &*it;
}

TEST(Catalogue, EveryEntryIsComplete) {
  ASSERT_FALSE(catalogue().empty());
  for (const PrebuiltSpec& p : catalogue()) {
    EXPECT_EQ(find_prebuilt(p.name), &p);
    EXPECT_EQ(p.header.rfind("steady/actors/", 0), 0u) << p.name;
    EXPECT_FALSE(p.inputs.empty() && p.outputs.empty()) << p.name << " has no ports";
    for (const PortSpec& port : p.inputs)
      for (std::string_view t : port.types)
        EXPECT_NE(find_library_type(t), nullptr) << p.name << " <" << t << ">";
    for (const PortSpec& port : p.outputs)
      for (std::string_view t : port.types)
        EXPECT_NE(find_library_type(t), nullptr) << p.name << " <" << t << ">";
    for (std::string_view r : p.required)
      EXPECT_TRUE(
          std::any_of(p.options.begin(), p.options.end(), [&](const OptionSpec& o) { return o.attr == r; }))
          << p.name << " requires an option it does not have: " << r;
    for (const OptionSpec& o : p.options)
      EXPECT_FALSE(is_non_option_attribute(o.attr)) << p.name << "." << o.attr;
  }
  EXPECT_EQ(nearest_prebuilt("file_sorce"), "file_source");
  EXPECT_EQ(nearest_prebuilt("something_else"), "");
}

TEST(Catalogue, OptionValuesAreCheckedAndRenderedAsCpp) {
  const PrebuiltSpec& src = *find_prebuilt("file_source");
  auto option = [&](std::string_view attr) -> const OptionSpec& {
    return *std::find_if(src.options.begin(), src.options.end(),
                         [&](const OptionSpec& o) { return o.attr == attr; });
  };
  std::string problem, example;
  EXPECT_EQ(option_expr(option("path"), "in \"x\".log", problem, example), "\"in \\\"x\\\".log\"");
  EXPECT_EQ(option_expr(option("follow"), "true", problem, example), "true");
  EXPECT_EQ(option_expr(option("follow"), "no", problem, example), "false");
  EXPECT_FALSE(option_expr(option("follow"), "maybe", problem, example));
  EXPECT_EQ(example, "follow=true");
  EXPECT_EQ(option_expr(option("poll"), "2s", problem, example), "std::chrono::milliseconds(2000)");
  EXPECT_FALSE(option_expr(option("poll"), "1500us", problem, example)) << "not whole milliseconds";
  EXPECT_NE(problem.find("milliseconds"), std::string::npos) << problem;
  EXPECT_FALSE(option_expr(option("poll"), "100", problem, example)) << "no unit";
  EXPECT_EQ(option_expr(option("read_bytes"), "4096", problem, example), "4096");
  EXPECT_FALSE(option_expr(option("read_bytes"), "-1", problem, example));
  const PrebuiltSpec& ingest = *find_prebuilt("http_ingest");
  const OptionSpec& port = *std::find_if(ingest.options.begin(), ingest.options.end(),
                                         [](const OptionSpec& o) { return o.attr == "port"; });
  EXPECT_EQ(option_expr(port, "65535", problem, example), "65535");
  EXPECT_FALSE(option_expr(port, "65536", problem, example)) << "a port is 16 bits";
}

TEST(Prebuilt, LabelTokenAndAttributeNameTheSameActorWithOptionsInTheOptionsOrder) {
  const Parsed p = parse(R"dot(digraph g {
    Tail [label="mod::steady::file_source", poll="50ms", follow=true, path="in.log", shape=box];
    Store [prebuilt="file_sink", path="out.log", fsync="every_batch"];
    Tail -> Store [label="name::lines <Line>"];
  })dot");
  ASSERT_FALSE(p.diags.has_errors()) << p.messages();
  const Service& s = *p.service;
  ASSERT_EQ(s.nodes.size(), 2u);
  ASSERT_NE(s.nodes[0].prebuilt, nullptr);
  EXPECT_EQ(s.nodes[0].prebuilt->name, "file_source");
  const std::vector<std::string> want{".path = \"in.log\"", ".follow = true",
                                      ".poll = std::chrono::milliseconds(50)"};
  EXPECT_EQ(s.nodes[0].options, want) << "designated initializers in the order of FileSourceOptions";
  ASSERT_NE(s.nodes[1].prebuilt, nullptr);
  EXPECT_EQ(s.nodes[1].prebuilt->name, "file_sink");
  EXPECT_EQ(s.nodes[1].options[1], ".fsync = ::steady::actors::Fsync::every_batch");
  EXPECT_EQ(s.kinds.size(), 2u) << "each prebuilt node is a kind of its own";
}

TEST(Prebuilt, BadNamesOptionsAndValuesAreErrorsWithTheLineAndAFix) {
  const Parsed p = parse(R"dot(digraph g {
    A [label="mod::steady::file_sorce", path="x"];
    B [label="mod::steady::file_sink", path="y", colour="red"];
    C [label="mod::steady::file_source", follow="maybe"];
    D [label="mod::steady::ticker AtLeastEvery(10ms)", period="1500us"];
    A -> B [label="name::x <Line>"];
    C -> B [label="name::y <Line>"];
    D -> B [label="name::z <Line>"];
  })dot");
  const std::string m = p.messages();
  EXPECT_NE(m.find("test.dot:2: error: node A: unknown prebuilt actor 'steady::file_sorce'"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("did you mean mod::steady::file_source?"), std::string::npos) << m;
  EXPECT_NE(m.find("test.dot:3: error: node B: steady::file_sink has no option 'colour'"), std::string::npos)
      << m;
  EXPECT_NE(m.find("test.dot:4: error: node C: option follow=\"maybe\" is not true or false"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("test.dot:4: error: node C: steady::file_source needs the option path"), std::string::npos)
      << m;
  EXPECT_NE(m.find("test.dot:5: error: node D: drivers (AtLeastEvery(10ms))"), std::string::npos) << m;
  EXPECT_NE(m.find("option period=\"1500us\" is not a whole number of milliseconds"), std::string::npos) << m;
}

TEST(Prebuilt, ChannelsMustFitThePorts) {
  const Parsed p = parse(R"dot(digraph g {
    Tail [label="mod::steady::file_source", path="in.log"];
    Limit [label="mod::steady::rate_limiter", per_second="10"];
    Split [label="mod::steady::splitter"];
    W [label="mod::w"];
    Tick [label="mod::steady::ticker"];
    Tail -> W [label="name::a <Record>"];
    W -> Limit [label="name::b <Job>"];
    Limit -> Split [label="name::c <Other>"];
    Split -> W [label="name::d <Other>"];
    Tick -> Tail [label="name::e <Tick>"];
    W -> W [label="name::f <Line> >>PeekCopy"];
  })dot");
  const std::string m = p.messages();
  EXPECT_NE(
      m.find("test.dot:7: error: edge Tail -> W: channel 'a' carries <Record>, but steady::file_source's "
             "output lines sends <Line>"),
      std::string::npos)
      << m;
  EXPECT_NE(
      m.find("test.dot:9: error: edge Limit -> Split: channel 'c' carries <Other>, but steady::rate_limiter "
             "passes on one type"),
      std::string::npos)
      << m;
  EXPECT_NE(m.find("test.dot:10: error: edge Split -> W: steady::splitter's output lanes is a bundle"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("test.dot:11: error: edge Tick -> Tail: steady::file_source has no inputs"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("test.dot:12: error: edge W -> W: <Line> is a text line"), std::string::npos) << m;
}

TEST(Prebuilt, RenderWiresTheLibraryClassesAndWritesNoStubsForThem) {
  const Parsed p = parse(R"dot(digraph g {
    Ingest [label="mod::steady::http_ingest", port="0"];
    Numbers [label="mod::numbers"];
    Parse [label="mod::parse"];
    Split [label="mod::steady::splitter"];
    Print1 [label="mod::steady::console", prefix="1: "];
    Print2 [label="mod::steady::console"];
    Ingest -> Parse [label="name::posted <HttpMessage>"];
    Numbers -> Parse [label="name::raw <Line>"];
    Parse -> Split [label="name::records <Line>"];
    Split -> Print1 [label="name::lanes <Line>"];
    Split -> Print2 [label="name::lanes <Line>"];
  })dot");
  ASSERT_FALSE(p.diags.has_errors()) << p.messages();
  const std::vector<OutputFile> files = render(*p.service, {"svc", "g.dot", "../g.dot"});
  const OutputFile* graph = find(files, "generated/graph.cpp");
  ASSERT_NE(graph, nullptr);
  const std::string& g = graph->content;
  EXPECT_NE(g.find("#include <steady/actors/http.hpp>"), std::string::npos) << g;
  EXPECT_NE(g.find("::steady::actors::HttpIngest({.port = 0}),\n      std::move(posted_tx));"),
            std::string::npos)
      << g;
  EXPECT_NE(g.find("::steady::actors::Splitter<Line, 2>({}),\n      std::move(records_rx),\n      "
                   "std::move(lanes_tx));"),
            std::string::npos)
      << g;
  EXPECT_NE(g.find("::steady::actors::Console<Line>({.prefix = \"1: \"}),\n      std::move(lanes_rx[0]));"),
            std::string::npos)
      << g;
  EXPECT_EQ(find(files, "actors/splitter.hpp"), nullptr);
  EXPECT_EQ(find(files, "tests/console_test.cpp"), nullptr);
  EXPECT_NE(find(files, "actors/parse.hpp"), nullptr);
  EXPECT_EQ(find(files, "messages/line.hpp"), nullptr) << "a library type gets an alias, not a struct";
  const std::string& msgs = find(files, "messages.hpp")->content;
  EXPECT_NE(msgs.find("using Line = std::string;"), std::string::npos) << msgs;
  EXPECT_NE(msgs.find("using HttpMessage = ::steady::actors::HttpMessage;"), std::string::npos) << msgs;
  const std::string& cmake = find(files, "CMakeLists.txt")->content;
  EXPECT_NE(cmake.find("target_link_libraries(svc_actors PUBLIC steady::actors)"), std::string::npos)
      << cmake;
  const std::string& hpp = find(files, "generated/graph.hpp")->content;
  EXPECT_NE(hpp.find("kBusyChannelNames{\n    \"raw\", \"records\", \"lanes[0]\", \"lanes[1]\"};"),
            std::string::npos)
      << "posted waits for an HTTP client: not required to carry traffic\n"
      << hpp;
  // The user actor next to them numbers its messages as text (Line is std::string).
  const std::string& stub = find(files, "actors/parse.cpp")->content;
  EXPECT_NE(stub.find("support::message_value(m)"), std::string::npos) << stub;
}

TEST(Prebuilt, WithoutPrebuiltActorsLineIsTheServicesOwnTypeAndEveryChannelIsBusy) {
  const Parsed p = parse(R"dot(digraph g {
    A [label="mod::a"];
    B [label="mod::b"];
    A -> B [label="name::x <Line> >>PeekCopy"];
  })dot");
  ASSERT_FALSE(p.diags.has_errors()) << p.messages();
  const std::vector<OutputFile> files = render(*p.service, {"svc", "g.dot", "../g.dot"});
  EXPECT_NE(find(files, "messages/line.hpp"), nullptr);
  const std::string& cmake = find(files, "CMakeLists.txt")->content;
  EXPECT_EQ(cmake.find("steady::actors"), std::string::npos) << cmake;
  const std::string& hpp = find(files, "generated/graph.hpp")->content;
  EXPECT_NE(hpp.find("kBusyChannelNames{\n    \"x\"};"), std::string::npos) << hpp;
}

}  // namespace
}  // namespace steady_gen
