// steady/actors.hpp — every prebuilt actor of steady::actors (target steady::actors; docs/actors.md).
//
// Files: FileSource (lines of a file, tail -F, resume from a committed offset), FileSink (append, fsync policy,
// rotation by size). HTTP: HttpIngest (POSTed bodies → messages, 503 when full), HttpEgress (batches POSTed
// with retries). Timing and plumbing: Ticker, Console, RateLimiter, Batcher/Unbatcher, Splitter/Merger.
// Each is a class built from an Options struct and run as an actor body:
//
//   graph.actor("src").run(steady::actors::FileSource({.path = "in.log", .follow = true}), std::move(lines_tx));
#pragma once

#include <steady/actors/batcher.hpp>
#include <steady/actors/console.hpp>
#include <steady/actors/file_sink.hpp>
#include <steady/actors/file_source.hpp>
#include <steady/actors/http.hpp>
#include <steady/actors/rate_limiter.hpp>
#include <steady/actors/splitter.hpp>
#include <steady/actors/ticker.hpp>
