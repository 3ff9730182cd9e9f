// libFuzzer target for the pipeline YAML loader. Whatever the input, the loader must return a
// PipelineSpec or throw oi::ConfigError with at least one diagnostic; a crash, a hang, a
// sanitizer report or any other exception is a finding.
//
// Lines of the form "#set NODE.PARAM=VALUE" (YAML comments, so the document is unchanged)
// become --set overrides, so that override parsing and validation are fuzzed too.

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "oi/error.hpp"
#include "oi/pipeline_spec.hpp"
#include "oi/plugin_registry.hpp"
#include "test_stages.hpp"

namespace {

oi::PluginRegistry& registry() {
  // Built once and never destroyed: the types must outlive every run.
  static oi::PluginRegistry* instance = [] {
    auto* r = new oi::PluginRegistry;
    oi::test::register_test_stages(*r);
    return r;
  }();
  return *instance;
}

// `plugins:` makes the loader dlopen() every library in a folder named by the input (say
// /usr/lib), which runs arbitrary code and is no finding of ours; such inputs are skipped.
bool names_plugin_folders(const std::string& text) {
  try {
    const YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) return false;
    for (const auto& entry : root) {
      if (entry.first.IsScalar() && entry.first.Scalar() == "plugins") return true;
    }
  } catch (const YAML::Exception&) {
    // The loader reports malformed YAML itself.
  }
  return false;
}

void fail(const char* why) {
  std::fprintf(stderr, "finding: %s\n", why);
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (names_plugin_folders(text)) return -1;  // -1: keep it out of the corpus

  std::vector<oi::ParamOverride> overrides;
  constexpr std::string_view kSet = "#set ";
  for (std::size_t pos = 0; pos < text.size() && overrides.size() < 4;) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + pos, end - pos);
    if (line.substr(0, kSet.size()) == kSet) {
      try {
        overrides.push_back(oi::parse_override(line.substr(kSet.size())));
      } catch (const oi::ConfigError& e) {
        if (e.diagnostics().empty()) fail("parse_override threw a ConfigError without a message");
      }
    }
    pos = end + 1;
  }

  try {
    const oi::PipelineSpec spec =
        oi::load_pipeline_text(text, "fuzz.yaml", "/nonexistent/oi-fuzz", registry(), overrides);
    for (const oi::NodeSpec& node : spec.nodes) {
      if (!registry().find(node.type)) fail("a loaded node has an unregistered type");
    }
  } catch (const oi::ConfigError& e) {
    if (e.diagnostics().empty()) fail("ConfigError without diagnostics");
    for (const oi::Diagnostic& d : e.diagnostics()) {
      if (d.message.empty()) fail("a diagnostic without a message");
    }
  }
  return 0;
}
