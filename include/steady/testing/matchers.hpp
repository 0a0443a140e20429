// steady/testing/matchers.hpp — GoogleTest/GMock matchers for steady tests. Link GTest::gmock yourself.
//
//   EXPECT_THAT(h.run_to_stop(1s), steady::testing::IsCleanStop());   // on failure prints the report: who vetoed, why
//   EXPECT_THAT(sink, steady::testing::Verified());                   // a Sink's expectations, with what differed
//   EXPECT_THAT(out.received(), ::testing::ElementsAre(2, 4, 6));     // plain GMock for what a channel carried
#pragma once

#include <gmock/gmock.h>

#include "../testing.hpp"

namespace steady {
// So GoogleTest prints a StopReport readably in any failure message.
inline void PrintTo(const StopReport& r, std::ostream* os) { *os << r.to_string(); }
}  // namespace steady

namespace steady::testing {

MATCHER(IsCleanStop, "is a clean stop (every actor agreed in time, none failed)") {
  *result_listener << arg.to_string();
  return arg.clean;
}

MATCHER_P(IsUncleanStopVetoedBy, actor, "is an unclean stop in which actor '" + std::string(actor) + "' vetoed") {
  *result_listener << arg.to_string();
  if (arg.clean) return false;
  for (const auto& v : arg.vetoes)
    if (v.actor == actor) return true;
  return false;
}

MATCHER(Verified, "meets the sink's expectations") {
  const Check c = arg.verify();
  if (!c.ok) *result_listener << c.message;
  return c.ok;
}

}  // namespace steady::testing
