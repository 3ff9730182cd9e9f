// "Did you mean": the edit-distance helper behind every suggestion in messages.

#include "suggest.hpp"

#include <gtest/gtest.h>

namespace oi {
namespace {

TEST(Suggest, EditDistanceCountsSwapsAsOneEdit) {
  EXPECT_EQ(edit_distance("kv", "kv"), 0u);
  EXPECT_EQ(edit_distance("kvv", "kv"), 1u);
  EXPECT_EQ(edit_distance("detcet", "detect"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("Stages", "stages"), 0u);
}

TEST(Suggest, FindsTheClosestPlausibleCandidate) {
  const std::vector<std::string> keys = {"name",    "description", "plugins",
                                         "devices", "stages",      "connections"};
  EXPECT_EQ(closest_match("conections", keys), "connections");
  EXPECT_EQ(closest_match("stage", keys), "stages");
  EXPECT_EQ(closest_match("Devices", keys), "devices");
  EXPECT_EQ(closest_match("xray.detcet", {"xray.detect", "xray.decode"}), "xray.detect");
}

TEST(Suggest, StaysQuietWhenNothingIsClose) {
  EXPECT_EQ(closest_match("threshold", {"kv", "scans"}), std::nullopt);
  EXPECT_EQ(closest_match("", {"a"}), std::nullopt);
  EXPECT_EQ(closest_match("kv", {}), std::nullopt);
  // The word itself is not a suggestion.
  EXPECT_EQ(closest_match("kv", {"kv"}), std::nullopt);
}

TEST(Suggest, TiesGoToTheEarlierCandidate) { EXPECT_EQ(closest_match("ab", {"ac", "ad"}), "ac"); }

TEST(Suggest, FormatsSuggestionsAndLists) {
  EXPECT_EQ(did_you_mean("kvv", {"kv", "scans"}), " (did you mean 'kv'?)");
  EXPECT_EQ(did_you_mean("zzz", {"kv"}), "");
  EXPECT_EQ(quoted_list({"a", "b"}), "'a', 'b'");
}

}  // namespace
}  // namespace oi
