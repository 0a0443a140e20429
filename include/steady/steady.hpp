// steady/steady.hpp — the whole core API: channels, actors (coroutines), graphs.
#pragma once

#include "channel.hpp"     // IWYU pragma: export
#include "context.hpp"     // IWYU pragma: export
#include "graph.hpp"       // IWYU pragma: export
#include "log.hpp"         // IWYU pragma: export
#include "stop_report.hpp" // IWYU pragma: export
#include "task.hpp"        // IWYU pragma: export
