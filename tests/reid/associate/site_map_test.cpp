// The site map reid.associate reads: a good map, the shipped sample, and every kind of bad
// map with its file:line.
#include "site_map.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "oi/error.hpp"

namespace oi::cctv::reid {
namespace {

using ::testing::HasSubstr;

// The diagnostics of a bad map, one "FILE:LINE:COL: message" per line.
std::string errors_of(const std::string& text) {
  try {
    (void)parse_site_map(text, "site.yaml");
  } catch (const ConfigError& e) {
    std::string out;
    for (const Diagnostic& d : e.diagnostics()) out += d.str() + "\n";
    return out;
  }
  return "no error";
}

TEST(ReidAssociate, SiteMapParsesLinksWindowsAndOverlaps) {
  const SiteMap map = parse_site_map(
      "cameras: [gate, corridor, baggage, exit]\n"
      "reentry: { min_s: 0.5, max_s: 40 }\n"
      "links:\n"
      "  - { from: gate, to: corridor, min_s: 2, max_s: 10 }\n"
      "  - { from: corridor, to: baggage, min_s: 3, max_s: 20, two_way: true }\n"
      "overlaps: [[baggage, exit]]\n",
      "site.yaml");
  ASSERT_EQ(map.cameras.size(), 4u);
  EXPECT_DOUBLE_EQ(map.reentry.min_s, 0.5);
  EXPECT_DOUBLE_EQ(map.reentry.max_s, 40);
  ASSERT_TRUE(map.transit("gate", "corridor"));
  EXPECT_DOUBLE_EQ(map.transit("gate", "corridor")->max_s, 10);
  EXPECT_FALSE(map.transit("corridor", "gate")) << "links are one-way unless two_way";
  ASSERT_TRUE(map.transit("baggage", "corridor"));
  EXPECT_DOUBLE_EQ(map.transit("baggage", "corridor")->min_s, 3);
  EXPECT_FALSE(map.transit("gate", "baggage"));
  EXPECT_TRUE(map.overlapping("exit", "baggage"));
  EXPECT_FALSE(map.overlapping("gate", "exit"));
}

TEST(ReidAssociate, SiteMapShippedSampleLoads) {
  const SiteMap map = load_site_map(OI_REID_SITE_MAP);
  EXPECT_EQ(map.cameras, (std::vector<std::string>{"gate", "corridor", "baggage", "exit"}));
  EXPECT_TRUE(map.transit("gate", "corridor"));
  EXPECT_TRUE(map.transit("corridor", "baggage"));
  EXPECT_TRUE(map.transit("baggage", "exit"));
  EXPECT_FALSE(map.transit("exit", "gate"));
}

TEST(ReidAssociate, SiteMapErrorsNameFileAndLine) {
  const std::string unknown = errors_of(
      "cameras: [gate, corridor]\n"
      "links:\n"
      "  - { from: gate, to: lobby, min_s: 2, max_s: 10 }\n");
  EXPECT_THAT(unknown, HasSubstr("site.yaml:3:"));
  EXPECT_THAT(unknown, HasSubstr("camera 'lobby'"));
  EXPECT_THAT(unknown, HasSubstr("gate, corridor"));

  const std::string reversed = errors_of(
      "cameras: [gate, corridor]\n"
      "links:\n"
      "  - { from: gate, to: corridor, min_s: 12, max_s: 10 }\n");
  EXPECT_THAT(reversed, HasSubstr("site.yaml:3:"));
  EXPECT_THAT(reversed, HasSubstr("min_s 12 is above max_s 10"));

  const std::string reentry = errors_of(
      "cameras: [gate]\n"
      "reentry: { min_s: 5, max_s: 1 }\n");
  EXPECT_THAT(reentry, HasSubstr("site.yaml:2:"));
  EXPECT_THAT(reentry, HasSubstr("`reentry`: min_s 5 is above max_s 1"));

  const std::string several = errors_of(
      "cameras: [gate, gate]\n"
      "linkz: []\n"
      "links:\n"
      "  - { from: gate, to: gate, min_s: 1, max_s: 2 }\n"
      "  - { from: gate, min_s: -1, max_s: x }\n");
  EXPECT_THAT(several, HasSubstr("site.yaml:1:"));
  EXPECT_THAT(several, HasSubstr("listed twice"));
  EXPECT_THAT(several, HasSubstr("site.yaml:2:1: unknown key 'linkz'"));
  EXPECT_THAT(several, HasSubstr("site.yaml:4:"));
  EXPECT_THAT(several, HasSubstr("to itself"));
  EXPECT_THAT(several, HasSubstr("site.yaml:5:"));
  EXPECT_THAT(several, HasSubstr("times are seconds >= 0"));
  EXPECT_THAT(several, HasSubstr("not a number of seconds"));

  EXPECT_THAT(errors_of("cameras: [gate\n"), HasSubstr("not valid YAML"));
  EXPECT_THAT(errors_of("- gate\n"), HasSubstr("site.yaml:1:1: a site map is a mapping"));
  EXPECT_THAT(errors_of("links: []\n"), HasSubstr("`cameras` must list"));
  EXPECT_THAT(errors_of("cameras: [a, b]\noverlaps: [[a, c]]\n"), HasSubstr("site.yaml:2:"));
}

TEST(ReidAssociate, SiteMapMissingFileSaysWhatToSet) {
  try {
    (void)load_site_map("/nonexistent/site_map.yaml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/site_map.yaml"));
    EXPECT_THAT(e.what(), HasSubstr("site_map"));
  }
}

}  // namespace
}  // namespace oi::cctv::reid
