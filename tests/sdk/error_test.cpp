#include "oi/error.hpp"

#include <gtest/gtest.h>

namespace oi {
namespace {

TEST(Diagnostic, FormatsFileLineColumn) {
  EXPECT_EQ((Diagnostic{{"p.yaml", 3, 7}, "bad"}).str(), "p.yaml:3:7: bad");
  EXPECT_EQ((Diagnostic{{"p.yaml", 3, 0}, "bad"}).str(), "p.yaml:3: bad");
  EXPECT_EQ((Diagnostic{{"p.yaml", 0, 0}, "bad"}).str(), "p.yaml: bad");
  EXPECT_EQ((Diagnostic{{}, "bad"}).str(), "bad");
}

TEST(ConfigError, CarriesEveryDiagnostic) {
  ConfigError e({{{"a.yaml", 1, 2}, "first"}, {{"a.yaml", 5, 1}, "second"}});
  ASSERT_EQ(e.diagnostics().size(), 2u);
  EXPECT_STREQ(e.what(), "a.yaml:1:2: first\na.yaml:5:1: second");
}

TEST(Status, Codes) {
  EXPECT_TRUE(Status::ok().is_ok());
  EXPECT_TRUE(Status::end_of_stream().is_end_of_stream());
  Status s = Status::error("disk full");
  EXPECT_TRUE(s.is_error());
  EXPECT_EQ(s.message(), "disk full");
}

}  // namespace
}  // namespace oi
