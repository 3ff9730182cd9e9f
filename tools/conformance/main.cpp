// oi-conformance --driver TYPE --uri URI [--param NAME=VALUE]... [gtest flags]
//
// Runs the HAL conformance suite against one device of a driver type found on the plugin
// search path (next to the SDK, then OI_PLUGIN_PATH). Exit status: 0 all passed, 1 a check
// failed, 2 bad arguments or the driver could not be found.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "conformance.hpp"
#include "oi/hal/device_registry.hpp"

namespace {

int usage(const std::string& problem) {
  std::cerr << "oi-conformance: " << problem << "\n"
            << "usage: oi-conformance --driver TYPE --uri URI [--param NAME=VALUE]... [--gtest_filter=...]\n"
            << "  Plugins are found next to the SDK library and in OI_PLUGIN_PATH (absolute folders).\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);  // removes the --gtest_* flags it knows
  auto& t = oi::conformance::target();
  bool uri_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&](const std::string& flag) -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(flag + " needs a value");
      return argv[++i];
    };
    try {
      if (arg == "--driver") {
        t.driver = next(arg);
      } else if (arg == "--uri") {
        t.uri = next(arg);
        uri_given = true;
      } else if (arg == "--param") {
        const std::string kv = next(arg);
        const auto eq = kv.find('=');
        if (eq == std::string::npos) return usage("--param expects NAME=VALUE, got '" + kv + "'");
        const std::string text = kv.substr(eq + 1);
        // JSON when it parses (numbers, true, [1,2]); otherwise the text itself.
        auto value = oi::ParamValue::parse(text, nullptr, false);
        t.params[kv.substr(0, eq)] = value.is_discarded() ? oi::ParamValue(text) : value;
      } else {
        return usage("unknown argument '" + arg + "'");
      }
    } catch (const std::exception& e) {
      return usage(e.what());
    }
  }
  if (t.driver.empty() || !uri_given) return usage("--driver and --uri are required");

  auto& registry = oi::conformance::registry();
  registry.load_default_locations();
  if (registry.find(t.driver) == nullptr) {
    // A plugin that was found but did not load is the likelier story than a missing one: say so.
    if (auto failed = registry.failed_provider(t.driver)) {
      return usage("driver type '" + t.driver + "' was found but its plugin did not load. " + *failed);
    }
    std::string known, not_loaded;
    for (const auto& name : registry.type_names(oi::FactoryKind::kDriver)) known += " " + name;
    for (const oi::PluginRecord& p : registry.plugins()) {
      if (p.error)
        not_loaded += "\n  not loaded: " + *p.error + " (in " + p.path.parent_path().string() + ")";
    }
    return usage("no driver type '" + t.driver + "' on the plugin search path (drivers found:" +
                 (known.empty() ? " none" : known) + "); set OI_PLUGIN_PATH to the folder of your plugin" +
                 (not_loaded.empty()
                      ? ""
                      : "; plugins that failed to load, one of which may provide it:" + not_loaded));
  }
  if (!oi::conformance::make_device()) {
    return usage("driver type '" + t.driver +
                 "' is not a HAL device: register it with "
                 "OI_REGISTER_DEVICE_DRIVER (oi/hal/driver.hpp), not OI_REGISTER_DRIVER");
  }
  std::cout << "oi-conformance: driver " << t.driver << ", uri '" << t.uri << "'\n";
  return RUN_ALL_TESTS();
}
