// bench/refs/caf_refs.hpp — CAF 0.17 references for W2 (pipeline) and W3 (ping-pong), declared without CAF.
//
// The definitions live in caf_refs.cpp, the only translation unit that includes CAF's headers (they are
// heavy), built once as the static library `bench_caf_refs` and linked into the programs that compare against
// CAF. Every function builds its own `caf::actor_system` (default work-stealing scheduler, 2 workers:
// `scheduler.max-threads = 2`), runs the workload, waits for it (at most 60 s: a stuck run fails with a note
// instead of hanging) and tears the system down. The clock runs from the producer's first item to the
// consumer's last, so system start-up is outside it.
//
// W2, producer → relay → consumer, u64 1..n, written the way CAF is meant to be used:
//   w2_per_message  one message per item (`send(relay, x)`); the consumer acknowledges every window/4
//                   items so the producer keeps at most `window` items in flight (CAF mailboxes are
//                   unbounded: without this credit the producer would queue all n items);
//   w2_batched      `std::vector<u64>` of `batch` items per message, moved (never copied) from stage to
//                   stage; the consumer acknowledges each vector, at most max(window / batch, 2) in flight;
//   w2_stream       CAF streams: attach_stream_source → attach_stream_stage → attach_stream_sink, composed
//                   `sink * stage * source`; CAF's own credit and batching (defaults).
// W3, request/response: w3_ping_pong sends `rounds` u64 requests one after the other
// (`request(...).then(...)`) and returns every round trip in nanoseconds.
//
// The consumers fold every value into the same bench::Check as every other implementation (sum and order).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../common/harness.hpp"

namespace bench::caf_ref {

RunResult w2_per_message(std::uint64_t n, std::size_t window);
RunResult w2_batched(std::uint64_t n, std::size_t batch, std::size_t window);
RunResult w2_stream(std::uint64_t n);

// Round trips in ns (empty when the run failed or timed out; `note` then says why).
std::vector<double> w3_ping_pong(std::size_t rounds, std::string& note);

// The number of worker threads CAF's scheduler really started with (checks the configuration took effect).
std::size_t worker_count();

}  // namespace bench::caf_ref
