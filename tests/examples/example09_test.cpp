// Unit tests of examples/09_prebuilt_service/parse.hpp, the example's one actor of its own: normalise()
// directly, and the parse actor alone with injected channels in virtual time. The prebuilt actors around it
// are tested in tests/actors/; the whole service, with real HTTP requests, by example09_service_test.cpp
// (label example).
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <steady/testing/matchers.hpp>

#include "09_prebuilt_service/parse.hpp"

using namespace std::chrono_literals;
using prebuilt_service::normalise;
using steady::testing::IsCleanStop;

TEST(Example09Normalise, SortsAndLowerCasesKeysAndKeepsValues) {
  EXPECT_EQ(normalise("User=Ann  action=Login"), "action=Login user=Ann");
  EXPECT_EQ(normalise("  b=2\ta=1 "), "a=1 b=2");
  EXPECT_EQ(normalise("k.v-x_1=a=b"), "k.v-x_1=a=b") << "the first '=' separates; the value keeps the rest";
  EXPECT_EQ(normalise("empty="), "empty=");
  EXPECT_EQ(normalise(""), "");
  EXPECT_EQ(normalise("   "), "");
}

TEST(Example09Normalise, RejectsWordsThatAreNotPairs) {
  EXPECT_FALSE(normalise("hello").has_value());
  EXPECT_FALSE(normalise("a=1 loose").has_value());
  EXPECT_FALSE(normalise("=1").has_value()) << "an empty key";
  EXPECT_FALSE(normalise("a/b=1").has_value()) << "a character keys may not have";
  EXPECT_FALSE(normalise("A=1 a=2").has_value()) << "a key given twice (after lower-casing)";
}

TEST(Example09Parse, EveryBodyLineBecomesARecordInOrderAndBadLinesAreCounted) {
  steady::testing::Harness h;
  auto& in = h.input<std::string>("bodies", 8);
  auto& out = h.output<std::string>("records", 2);  // smaller than a body: the rest must wait in `pending`
  prebuilt_service::ParseState st;
  h.actor("parse").run(prebuilt_service::parse, in.end(), out.end(), std::ref(st));
  in.push({std::string("b=2 a=1\nnot a record\r\nz=26\n\nY=25"), std::string("x=1")});
  in.close();
  EXPECT_THAT(h.run_to_stop(10s), IsCleanStop());
  const std::vector<std::string> want{"a=1 b=2", "z=26", "y=25", "x=1"};
  EXPECT_EQ(out.received(), want);
  EXPECT_EQ(st.bodies, 2u);
  EXPECT_EQ(st.records, 4u);
  EXPECT_EQ(st.rejected, 1u);
  EXPECT_TRUE(st.pending.empty());
}

TEST(Example09Parse, VetoesTheStopWhileItsInputIsOpen) {
  steady::testing::Harness h;
  auto& in = h.input<std::string>("bodies");
  auto& out = h.output<std::string>("records");
  prebuilt_service::ParseState st;
  h.actor("parse").run(prebuilt_service::parse, in.end(), out.end(), std::ref(st));
  in.push(std::string("a=1"));  // never closed
  EXPECT_THAT(h.run_to_stop(300ms), steady::testing::IsUncleanStopVetoedBy("parse"));
  EXPECT_EQ(out.received(), std::vector<std::string>{"a=1"});
}
