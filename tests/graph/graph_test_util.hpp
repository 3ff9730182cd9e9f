#pragma once
// Shared helpers for the pipeline YAML tests: a registry with the test stage types, loading
// text that is expected to fail, and finding one diagnostic by position.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "oi/error.hpp"
#include "oi/pipeline_spec.hpp"
#include "oi/plugin_registry.hpp"
#include "test_stages.hpp"

namespace oi::test {

/// Drops the newline after R"( so that the first YAML line is line 1.
inline std::string yaml(std::string_view text) {
  if (!text.empty() && text.front() == '\n') text.remove_prefix(1);
  return std::string(text);
}

class GraphTest : public ::testing::Test {
 protected:
  GraphTest() { register_test_stages(registry_); }

  PipelineSpec load(const std::string& text, const std::vector<ParamOverride>& overrides = {}) {
    return load_pipeline_text(text, "p.yaml", "/pipelines/lane1", registry_, overrides);
  }

  /// Loads text that must fail and returns every diagnostic.
  std::vector<Diagnostic> errors(const std::string& text, const std::vector<ParamOverride>& overrides = {}) {
    try {
      load(text, overrides);
    } catch (const ConfigError& e) {
      return e.diagnostics();
    }
    ADD_FAILURE() << "expected a ConfigError for:\n" << text;
    return {};
  }

  /// Loads text that must fail with exactly one diagnostic and returns it.
  Diagnostic single_error(const std::string& text, const std::vector<ParamOverride>& overrides = {}) {
    std::vector<Diagnostic> all = errors(text, overrides);
    std::string listing;
    for (const Diagnostic& d : all) listing += d.str() + "\n";
    EXPECT_EQ(all.size(), 1u) << listing;
    return all.empty() ? Diagnostic{} : all.front();
  }

  PluginRegistry registry_;
};

/// Asserts position (1-based) and that the message contains every fragment.
inline void expect_at(const Diagnostic& d, int line, int column,
                      std::initializer_list<std::string_view> fragments) {
  EXPECT_EQ(d.where.file, "p.yaml") << d.str();
  EXPECT_EQ(d.where.line, line) << d.str();
  EXPECT_EQ(d.where.column, column) << d.str();
  for (std::string_view f : fragments) {
    EXPECT_THAT(d.message, ::testing::HasSubstr(std::string(f))) << d.str();
  }
}

/// A valid source -> pass -> sink chain to build error cases on.
inline constexpr std::string_view kChainPrefix = R"(
devices:
  scanner:
    driver: test.source
stages:
  pass:
    type: test.pass
  sink:
    type: test.sink
)";

}  // namespace oi::test
