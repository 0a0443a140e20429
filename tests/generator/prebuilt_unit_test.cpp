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
#include "template.hpp"

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
    EXPECT_TRUE(p.header.rfind("steady/actors/", 0) == 0 || p.header.rfind("steady/bridge/", 0) == 0)
        << p.name;
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

// ---------------------------------------------------------------- batches, keys, resume, bridges

TEST(Catalogue, BridgeListAndKeyOptionValues) {
  std::string problem, example;
  const PrebuiltSpec& egress = *find_prebuilt("zmq_egress");
  EXPECT_EQ(egress.target, "bridge_zmq");
  EXPECT_EQ(prebuilt_class(egress, "Line", 0, "C"), "::steady::bridge::ZmqEgress<Line, C>");
  EXPECT_EQ(prebuilt_class(egress, "Reading", 0), "::steady::bridge::ZmqEgress<Reading>");
  EXPECT_EQ(option_expr(egress.options[0], "ipc:///run/x.sock", problem, example), "\"ipc:///run/x.sock\"");
  EXPECT_FALSE(option_expr(egress.options[0], "10.0.0.2:5555", problem, example)) << "no transport";
  EXPECT_NE(example.find("tcp://"), std::string::npos) << example;
  const PrebuiltSpec& pub = *find_prebuilt("nats_publisher");
  const OptionSpec& subjects = *std::find_if(pub.options.begin(), pub.options.end(),
                                             [](const OptionSpec& o) { return o.attr == "stream_subjects"; });
  EXPECT_EQ(option_expr(subjects, "orders.*, audit", problem, example), "{\"orders.*\", \"audit\"}");
  EXPECT_FALSE(option_expr(subjects, "a,,b", problem, example)) << "an empty item";
  const OptionSpec& key = find_prebuilt("splitter")->options.front();
  EXPECT_EQ(key.use, OptionUse::key) << "the key function is the first field of SplitterOptions";
  EXPECT_EQ(option_expr(key, "customer_id", problem, example), "customer_id");
  EXPECT_FALSE(option_expr(key, "m.id", problem, example));
  EXPECT_EQ(batch_prefix("LineBatch"), "Line");
  EXPECT_EQ(batch_prefix("Batch"), "");
  EXPECT_EQ(batch_prefix("Batcher"), "");
}

TEST(Catalogue, HelpNamesEveryEntry) {
  const std::string help(embedded_templates().at("help.txt.in"));
  for (const PrebuiltSpec& p : catalogue())
    EXPECT_NE(help.find(" " + std::string(p.name)), std::string::npos) << p.name << " is missing from --help";
}

TEST(Prebuilt, BatchesKeysResumeAndBridgesAreWired) {
  const Parsed p = parse(R"dot(digraph g {
    Tail [label="mod::steady::file_source", path="in.log", offset_file="tail.offset", offset_every="1s"];
    Batch [label="mod::steady::batcher", max_items="8", max_delay="20ms"];
    Unbatch [label="mod::steady::unbatcher"];
    Split [label="mod::steady::splitter", key="message"];
    W1 [module="w"];
    W2 [module="w"];
    Up [label="mod::steady::zmq_egress", endpoint="tcp://127.0.0.1:7000", ack_endpoint="tcp://127.0.0.1:7001"];
    Sub [label="mod::steady::nats_subscriber", subject="s", stream="S"];
    Tick [label="mod::steady::ticker", period="10ms"];
    Tail -> Batch [label="name::lines <Line>"];
    Batch -> Unbatch [label="name::batches <LineBatch>"];
    Unbatch -> Split [label="name::items <Line>"];
    Split -> W1 [label="name::work <Line>"];
    Split -> W2 [label="name::work <Line>"];
    W1 -> Up [label="name::out <Line>"];
    W2 -> Up3 [label="name::out <Line>"];
    Up3 [label="mod::steady::zmq_egress", endpoint="tcp://127.0.0.1:7002", ack_endpoint="tcp://127.0.0.1:7003"];
    Sub -> X [label="name::fetched <Reading>"];
    X [label="mod::x"];
    Tick -> Up2 [label="name::ticks <Tick>"];
    Up2 [label="mod::steady::nats_publisher", subject="t", stream="T"];
  })dot");
  ASSERT_FALSE(p.diags.has_errors()) << p.messages();
  const std::vector<OutputFile> files = render(*p.service, {"svc", "g.dot", "../g.dot"});
  const std::string& g = find(files, "generated/graph.cpp")->content;
  EXPECT_NE(
      g.find("graph.state<::steady::actors::FileOffset>(\"tail_offset\")\n      .persist(\"tail.offset\", "
             "std::chrono::milliseconds(1000))"),
      std::string::npos)
      << g;
  EXPECT_NE(g.find("std::move(lines_tx),\n      *tail_offset);"), std::string::npos) << g;
  EXPECT_NE(g.find("::steady::actors::Batcher<Line>({.max_items = 8, .max_delay = "
                   "std::chrono::milliseconds(20)})"),
            std::string::npos)
      << g;
  EXPECT_NE(g.find("::steady::actors::Unbatcher<Line>({})"), std::string::npos) << g;
  EXPECT_NE(
      g.find("Splitter<Line, 2>({\n          .key = [](const Line& m) { return static_cast<std::uint64_t>("
             "std::hash<std::remove_cvref_t<decltype(m)>>{}(m)); }})"),
      std::string::npos)
      << g;
  EXPECT_NE(g.find("ZmqEgress<Line, ::steady::bridge::FunctionCodec<std::string>>({.endpoint = "
                   "\"tcp://127.0.0.1:7000\", .ack_endpoint = \"tcp://127.0.0.1:7001\"}, line_codec())"),
            std::string::npos)
      << g;
  EXPECT_NE(g.find("::steady::bridge::FunctionCodec<std::string> line_codec() {"), std::string::npos) << g;
  EXPECT_NE(g.find("::steady::bridge::NatsSubscriber<Reading>({.subject = \"s\", .stream = \"S\"})"),
            std::string::npos)
      << "a trivially copyable type takes the default codec\n"
      << g;
  const std::string& msgs = find(files, "messages.hpp")->content;
  EXPECT_NE(msgs.find("using LineBatch = std::vector<std::string>;"), std::string::npos) << msgs;
  EXPECT_NE(msgs.find("static_assert(std::is_trivially_copyable_v<Reading>, \"Reading crosses a bridge"),
            std::string::npos)
      << msgs;
  EXPECT_EQ(find(files, "messages/line_batch.hpp"), nullptr);
  const std::string& cmake = find(files, "CMakeLists.txt")->content;
  for (const char* t : {"steady::actors)", "steady::bridge_zmq)", "steady::bridge_nats)"})
    EXPECT_NE(cmake.find(std::string("target_link_libraries(svc_actors PUBLIC ") + t), std::string::npos)
        << t << "\n"
        << cmake;
  // The ticker's traffic reaches the NATS publisher, which would hold the stop with no server: the graph
  // test puts a mock in its place. The ZeroMQ egress gets only what the file source reads: no mock.
  const std::string& test = find(files, "tests/graph_test.cpp")->content;
  EXPECT_NE(test.find("(void)stage.replace_with_sink<Tick>(\"up_2\");"), std::string::npos) << test;
  EXPECT_EQ(test.find("replace_with_sink<Line>(\"up\")"), std::string::npos) << test;
}

TEST(Prebuilt, BatchKeyResumeAndBridgeMistakesAreErrorsWithAFix) {
  const Parsed p = parse(R"dot(digraph g {
    A [label="mod::a"];
    Batch [label="mod::steady::batcher"];
    Unbatch [label="mod::steady::unbatcher"];
    Split [label="mod::steady::splitter", key="body"];
    Up [label="mod::steady::zmq_egress", endpoint="tcp://h:1", ack_endpoint="tcp://h:2"];
    W [label="mod::w"];
    A -> Batch [label="name::a <Line>"];
    Batch -> W [label="name::b <JobBatch>"];
    A -> Unbatch [label="name::c <LineBatch>"];
    Unbatch -> W [label="name::d <Job>"];
    A -> Split [label="name::e <Line>"];
    Split -> W [label="name::f <Line>"];
    Split -> W [label="name::f <Line>"];
    A -> Up [label="name::h <HttpMessage>"];
    A -> W [label="name::i <LineBatch> >>PeekCopy"];
  })dot");
  const std::string m = p.messages();
  EXPECT_NE(m.find("test.dot:9: error: edge Batch -> W: channel 'b' carries <JobBatch>, batches of <Job>, "
                   "but steady::batcher's input"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("fix: write <LineBatch> here"), std::string::npos) << m;
  EXPECT_NE(m.find("test.dot:11: error: edge Unbatch -> W: channel 'd' carries <Job>, but "
                   "steady::unbatcher's output out carries the messages of the batches <LineBatch>"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("test.dot:5: error: node Split: key=\"body\": <Line> (on edge A -> Split) has no field "
                   "'body'"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("fix: write key=\"message\""), std::string::npos) << m;
  const Parsed tail = parse(R"dot(digraph g {
    Tail [label="mod::steady::file_source", path="x", offset_every="1s"];
    W [label="mod::w"];
    Tail -> W [label="name::g <Line>"];
  })dot");
  EXPECT_NE(tail.messages().find("test.dot:2: error: node Tail: offset_every without offset_file"),
            std::string::npos)
      << tail.messages();
  EXPECT_NE(m.find("test.dot:15: error: edge A -> Up: steady::zmq_egress cannot carry <HttpMessage>"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("test.dot:16: error: edge A -> W: <LineBatch> is a batch, std::vector<Line>, not "
                   "trivially copyable"),
            std::string::npos)
      << m;
}

}  // namespace
}  // namespace steady_gen
