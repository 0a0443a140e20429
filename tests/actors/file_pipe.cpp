// tests/actors/file_pipe.cpp — the child process of file_source_crash_test: a FileSource with a persisted
// offset feeding a FileSink, built only from prebuilt actors.
//
//   file_pipe <input> <output> <offset-state>
//
// Prints "resume <offset> <lines>" (what the state file held when it started), then "running"; stops by
// itself once the whole input is in the output ("done", exit 0). The test kills it with SIGKILL mid-file.
#include <cstdio>
#include <iostream>
#include <string>

#include <steady/actors.hpp>
#include <steady/steady.hpp>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: file_pipe <input> <output> <offset-state>\n";
    return 2;
  }
  auto graph = steady::GraphBuilder::for_production().build();
  auto offset = graph.state<steady::actors::FileOffset>("offset").persist(argv[3]).build();
  if (!offset) {
    std::cerr << offset.error() << "\n";
    return 2;
  }
  std::cout << "resume " << offset->get().offset << " " << offset->get().lines << std::endl;
  auto [tx, rx] = graph.channel<std::string>().name("lines").capacity(64).build();
  graph.actor("src").run(steady::actors::FileSource({.path = argv[1], .stop_graph_when_done = true}),
                         std::move(tx), *offset);
  graph.actor("sink").run(steady::actors::FileSink({.path = argv[2], .batch = 32}), std::move(rx));
  graph.start();
  std::cout << "running" << std::endl;
  const auto report = graph.block_until_stopped(std::chrono::seconds(10));
  if (!report.clean) {
    std::cerr << report.to_string() << "\n";
    return 1;
  }
  std::cout << "done" << std::endl;
  return 0;
}
