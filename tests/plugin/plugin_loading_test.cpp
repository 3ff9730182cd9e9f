// Loading plugin libraries: every way a plugin can be broken gives its own exact reason, a
// broken plugin registers none of its types, and the others still load.

#include <dlfcn.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>

#include "oi/error.hpp"
#include "oi/pipeline_spec.hpp"
#include "oi/plugin.hpp"
#include "oi/plugin_registry.hpp"
#include "oi/version.hpp"
#include "test_stages.hpp"

namespace oi {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const fs::path kGoodPlugin = fs::path(OI_TEST_GOOD_PLUGIN_DIR) / "good.so";
const fs::path kBrokenDir = OI_TEST_BROKEN_PLUGIN_DIR;

fs::path broken(std::string_view name) { return kBrokenDir / (std::string(name) + ".so"); }

class InProcessGain final : public Stage {
 public:
  void setup(StageSpec& spec) override { spec.input("in"); }
  Status process(StageContext&) override { return Status::ok(); }
};

bool is_mapped(const fs::path& file) {
  void* handle = ::dlopen(fs::canonical(file).c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (handle != nullptr) ::dlclose(handle);  // RTLD_NOLOAD still counts a reference
  return handle != nullptr;
}

void expect_good_plugin_loaded(const PluginRegistry& registry) {
  const TypeInfo* gain = registry.find("test_good.gain");
  ASSERT_NE(gain, nullptr) << "good.so must load whatever else failed";
  EXPECT_EQ(gain->plugin_path, fs::canonical(kGoodPlugin));
  EXPECT_NE(registry.find("test_good.counter"), nullptr);
}

// Loads good.so and then broken/<name>.so; expects the latter refused with every part in its
// reason, none of its types registered and good.so unaffected.
const PluginRecord& expect_refused(PluginRegistry& registry, std::string_view name,
                                   std::initializer_list<std::string_view> parts) {
  registry.load_file(kGoodPlugin);
  const PluginRecord& record = registry.load_file(broken(name));
  EXPECT_TRUE(record.error.has_value()) << name << " must be refused";
  if (!record.error) return record;
  EXPECT_THAT(*record.error, HasSubstr(std::string(name) + ".so")) << "the reason names the file";
  for (std::string_view part : parts) EXPECT_THAT(*record.error, HasSubstr(std::string(part)));
  for (const std::string& type : record.types) {
    if (type != "test_good.gain") {
      EXPECT_EQ(registry.find(type), nullptr) << type << " of a refused plugin is registered";
    }
  }
  expect_good_plugin_loaded(registry);
  return record;
}

TEST(PluginLoading, GoodPluginRegistersItsTypesWithTheirDeclarations) {
  PluginRegistry registry;
  const PluginRecord& record = registry.load_file(kGoodPlugin);
  ASSERT_FALSE(record.error) << *record.error;
  EXPECT_EQ(record.path, fs::canonical(kGoodPlugin));
  EXPECT_EQ(record.name, "oi-test-good");
  EXPECT_EQ(record.version, "1.2.3");
  EXPECT_EQ(record.license, "Apache-2.0");
  EXPECT_EQ(record.abi, OI_PLUGIN_ABI_VERSION);
  EXPECT_THAT(record.types, ElementsAre("test_good.gain", "test_good.faulty", "test_good.counter"));

  const TypeInfo* gain = registry.find("test_good.gain");
  ASSERT_NE(gain, nullptr);
  EXPECT_EQ(gain->kind, FactoryKind::kStage);
  EXPECT_EQ(gain->summary, "Marks frames with a gain factor.");
  EXPECT_EQ(gain->plugin_name, "oi-test-good");
  EXPECT_EQ(gain->spec.description(), "Marks every frame with a gain factor.");
  EXPECT_EQ(gain->spec.input_index("in"), 0);
  EXPECT_EQ(gain->spec.output_index("out"), 0);
  ASSERT_NE(gain->spec.find_param("gain"), nullptr);
  EXPECT_EQ(gain->spec.find_param("gain")->unit(), "x");

  EXPECT_EQ(registry.find("test_good.counter")->kind, FactoryKind::kDriver);
  EXPECT_THAT(registry.type_names(FactoryKind::kStage), ElementsAre("test_good.faulty", "test_good.gain"));
  EXPECT_THAT(registry.type_names(FactoryKind::kDriver), ElementsAre("test_good.counter"));
  std::vector<std::string> all;
  for (const TypeInfo* type : registry.types()) all.push_back(type->type_name);
  EXPECT_THAT(all, ElementsAre("test_good.counter", "test_good.faulty", "test_good.gain"));
  EXPECT_EQ(registry.find("test_good.nothing"), nullptr);
}

TEST(PluginLoading, MissingEntryPointSaysHowToDeclareThePlugin) {
  PluginRegistry registry;
  expect_refused(registry, "missing_entry",
                 {"not an OpenInspect plugin: it does not export oi_plugin_entry; "
                  "add OI_PLUGIN(...) to one source file"});
  EXPECT_EQ(registry.find("test_missing_entry.orphan"), nullptr);
}

TEST(PluginLoading, UndefinedSymbolFailsAtLoadTimeWithTheSymbolName) {
  PluginRegistry registry;
  expect_refused(registry, "undefined_symbol",
                 {"undefined symbol", "oi_test_function_defined_nowhere", "rebuild the plugin against SDK"});
}

TEST(PluginLoading, MissingDependentLibraryIsNamed) {
  ASSERT_TRUE(fs::exists(fs::path(OI_TEST_HIDDEN_DEPENDENCY_DIR) / "liboi_test_vanishing.so"));
  PluginRegistry registry;
  expect_refused(registry, "missing_dependency",
                 {"a library it depends on cannot be found", "liboi_test_vanishing.so", "LD_LIBRARY_PATH"});
}

TEST(PluginLoading, WrongAbiIsRefusedBeforeAnyFactoryRuns) {
  PluginRegistry registry;
  // Its factories abort the process if called.
  const PluginRecord& record = expect_refused(
      registry, "wrong_abi",
      {std::string("built for plugin ABI 999, this SDK speaks ") + std::to_string(OI_PLUGIN_ABI_VERSION) +
       ": rebuild the plugin against SDK " + kSdkVersion});
  EXPECT_EQ(record.abi, 999u);
  EXPECT_TRUE(record.name.empty()) << "nothing past the ABI version may be trusted";
}

TEST(PluginLoading, WrongCxxAbiIsRefused) {
  PluginRegistry registry;
  const PluginRecord& record =
      expect_refused(registry, "wrong_cxx_abi",
                     {"built with C++ ABI 'libc++'", std::string("this SDK uses '") + OI_CXX_ABI_ID + "'"});
  EXPECT_EQ(record.name, "oi-test-hand-written");
}

TEST(PluginLoading, InvalidTypeNameIsRefused) {
  PluginRegistry registry;
  expect_refused(registry, "bad_type_name", {"'Bad Type' is not a valid type name", "lower-case letters"});
}

TEST(PluginLoading, DuplicateTypeNamesTheFirstProvidersFile) {
  PluginRegistry registry;
  const PluginRecord& record =
      expect_refused(registry, "duplicate_type",
                     {"type 'test_good.gain' is already provided by plugin 'oi-test-good'",
                      fs::canonical(kGoodPlugin).string()});
  EXPECT_THAT(record.types, ElementsAre("test_duplicate.unique", "test_good.gain"));
  EXPECT_EQ(registry.find("test_duplicate.unique"), nullptr);
  EXPECT_EQ(registry.find("test_good.gain")->plugin_name, "oi-test-good");
}

TEST(PluginLoading, DuplicateTypeWithinOnePluginIsRefused) {
  PluginRegistry registry;
  expect_refused(registry, "duplicate_within", {"type 'test_twice.same' is registered twice in this plugin"});
}

TEST(PluginLoading, FactoryFailureGivesTheFactorysReasonAndRegistersNothing) {
  PluginRegistry registry;
  expect_refused(registry, "factory_throws",
                 {"(plugin 'oi-test-factory-throws')",
                  "type 'test_factory_throws.broken': factory failed: "
                  "cannot open /dev/xray0: no such device"});
  EXPECT_EQ(registry.find("test_factory_throws.fine"), nullptr);
  EXPECT_FALSE(is_mapped(broken("factory_throws"))) << "a refused plugin is unloaded";
}

TEST(PluginLoading, SetupThrowingIsReported) {
  PluginRegistry registry;
  expect_refused(registry, "setup_throws",
                 {"type 'test_setup_throws.undeclarable': setup() threw "
                  "std::runtime_error: setup exploded"});
}

TEST(PluginLoading, TextFileIsNotASharedLibrary) {
  PluginRegistry registry;
  expect_refused(registry, "not_a_library", {"not a shared library"});
}

TEST(PluginLoading, MissingFileIsRecordedNotThrown) {
  PluginRegistry registry;
  const PluginRecord& record = registry.load_file(kBrokenDir / "no_such_plugin.so");
  ASSERT_TRUE(record.error);
  EXPECT_THAT(*record.error, HasSubstr("no_such_plugin.so: no such file"));
}

TEST(PluginLoading, DirectoryLoadsEveryLibraryInNameOrderAndKeepsGoing) {
  PluginRegistry registry;
  registry.load_directory(OI_TEST_GOOD_PLUGIN_DIR);
  registry.load_directory(kBrokenDir);

  const std::vector<PluginRecord>& plugins = registry.plugins();
  ASSERT_GE(plugins.size(), 2u);
  EXPECT_EQ(plugins.front().path, fs::canonical(kGoodPlugin));
  EXPECT_FALSE(plugins.front().error);
  std::vector<std::string> names;
  for (std::size_t i = 1; i < plugins.size(); ++i) {
    names.push_back(plugins[i].path.filename().string());
    EXPECT_TRUE(plugins[i].error) << names.back() << " must be refused";
  }
  EXPECT_THAT(names,
              ElementsAre("bad_type_name.so", "duplicate_type.so", "duplicate_within.so", "factory_throws.so",
                          "missing_dependency.so", "missing_entry.so", "not_a_library.so", "setup_throws.so",
                          "undefined_symbol.so", "wrong_abi.so", "wrong_cxx_abi.so"));
  expect_good_plugin_loaded(registry);
  EXPECT_EQ(registry.types().size(), 3u) << "only good.so's types";

  // Again: every file is known by its canonical path, so nothing is loaded twice.
  registry.load_directory(kBrokenDir);
  registry.load_directory(fs::path(OI_TEST_GOOD_PLUGIN_DIR) / ".." / "good");
  EXPECT_EQ(registry.plugins().size(), plugins.size());
  EXPECT_THAT(registry.searched_directories(), ElementsAre(fs::path(OI_TEST_GOOD_PLUGIN_DIR), kBrokenDir));
}

TEST(PluginLoading, LoadingTheSameFileTwiceIsANoOp) {
  PluginRegistry registry;
  const PluginRecord& first = registry.load_file(kGoodPlugin);
  const PluginRecord& again = registry.load_file(kGoodPlugin);
  const PluginRecord& other_spelling =
      registry.load_file(fs::path(OI_TEST_GOOD_PLUGIN_DIR) / ".." / "good" / "." / "good.so");
  EXPECT_EQ(&first, &again);
  EXPECT_EQ(&first, &other_spelling);
  EXPECT_EQ(registry.plugins().size(), 1u);
  EXPECT_FALSE(first.error);
}

TEST(PluginLoading, LoadingThroughASymlinkIsTheSameFile) {
  const fs::path dir = fs::temp_directory_path() / ("oi_plugin_link_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::create_symlink(fs::canonical(kGoodPlugin), dir / "alias.so");
  PluginRegistry registry;
  registry.load_file(kGoodPlugin);
  registry.load_directory(dir);
  EXPECT_EQ(registry.plugins().size(), 1u);
  EXPECT_FALSE(registry.plugins().front().error);
  fs::remove_all(dir);
}

// dlopen() maps segments as the ELF headers say and dies of SIGBUS where the file ends too
// early; a truncated copy must be refused before that, as the other broken kinds are.
TEST(PluginLoading, TruncatedLibraryIsRefusedBeforeDlopen) {
  const fs::path dir = fs::temp_directory_path() / ("oi_plugin_truncated_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto size = fs::file_size(kGoodPlugin);
  for (const double keep : {0.9, 0.5, 0.05}) {
    const fs::path cut = dir / ("cut_" + std::to_string(static_cast<int>(keep * 100)) + ".so");
    fs::copy_file(kGoodPlugin, cut);
    fs::resize_file(cut, static_cast<std::uintmax_t>(static_cast<double>(size) * keep));
    PluginRegistry registry;
    const PluginRecord& record = registry.load_file(cut);
    ASSERT_TRUE(record.error) << keep;
    EXPECT_THAT(*record.error, HasSubstr(cut.filename().string() + ": truncated or damaged"));
    EXPECT_THAT(*record.error, HasSubstr("reinstall or rebuild the plugin"));
    EXPECT_TRUE(registry.types().empty());
  }
  // Shorter than an ELF header.
  const fs::path stub = dir / "stub.so";
  std::ofstream(stub, std::ios::binary) << std::string(
      "\x7f"
      "ELF\x02\x01\x01",
      7);
  PluginRegistry registry;
  EXPECT_THAT(registry.load_file(stub).error.value_or(""), HasSubstr("truncated or damaged"));
  fs::remove_all(dir);
}

// A link left behind by an uninstall is a plugin someone meant to load: listed, with why.
TEST(PluginLoading, DanglingSymlinkIsListedWithItsReason) {
  const fs::path dir = fs::temp_directory_path() / ("oi_plugin_dangling_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::create_symlink(dir / "removed" / "vendor.so", dir / "vendor.so");
  PluginRegistry registry;
  registry.load_directory(dir);
  ASSERT_EQ(registry.plugins().size(), 1u);
  EXPECT_THAT(registry.plugins().front().error.value_or(""),
              HasSubstr("vendor.so: a symbolic link to " + (dir / "removed" / "vendor.so").string() +
                        ", which does not exist"));
  fs::remove_all(dir);
}

TEST(PluginLoading, MissingDirectoryThrowsOnlyWhenItMustExist) {
  PluginRegistry registry;
  const fs::path missing = kBrokenDir / "no_such_folder";
  try {
    registry.load_directory(missing);
    FAIL() << "expected oi::PluginError";
  } catch (const PluginError& e) {
    EXPECT_THAT(e.what(), HasSubstr(missing.string() + " does not exist"));
  }
  EXPECT_NO_THROW(registry.load_directory(missing, /*must_exist=*/false));
  EXPECT_TRUE(registry.plugins().empty());
  EXPECT_THAT(registry.searched_directories(), ElementsAre(missing));
}

TEST(PluginLoading, InProcessTypeClashesWithPluginTypesBothWays) {
  {
    PluginRegistry registry;
    registry.load_file(kGoodPlugin);
    try {
      registry.register_type("test_good.gain", FactoryKind::kStage, "clash",
                             [] { return std::unique_ptr<Stage>(); });
      FAIL() << "expected oi::PluginError";
    } catch (const PluginError& e) {
      EXPECT_THAT(e.what(), HasSubstr("already provided by plugin 'oi-test-good'"));
      EXPECT_THAT(e.what(), HasSubstr(fs::canonical(kGoodPlugin).string()));
    }
  }
  {
    PluginRegistry registry;
    registry.register_type("test_good.gain", FactoryKind::kStage, "in-process first",
                           [] { return std::make_unique<InProcessGain>(); });
    test::register_test_stages(registry);
    const PluginRecord& record = registry.load_file(kGoodPlugin);
    ASSERT_TRUE(record.error);
    EXPECT_THAT(*record.error, HasSubstr("type 'test_good.gain' is already provided by the host "
                                         "(plugin 'builtin')"));
    EXPECT_EQ(registry.find("test_good.counter"), nullptr);
    EXPECT_EQ(registry.find("test_good.gain")->plugin_name, "builtin");
    EXPECT_NE(registry.find("test.pass"), nullptr);
  }
}

TEST(PluginLoading, UnknownTypeSuggestsAndListsWhatExists) {
  PluginRegistry registry;
  registry.load_file(kGoodPlugin);
  try {
    registry.create("test_good.gian");
    FAIL() << "expected oi::PluginError";
  } catch (const PluginError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown type 'test_good.gian'"));
    EXPECT_THAT(e.what(), HasSubstr("did you mean 'test_good.gain'"));
    EXPECT_THAT(e.what(), HasSubstr("OI_PLUGIN_PATH"));
  }
}

TEST(PluginLoading, PipelineNamingATypeOfARefusedPluginSaysWhyItWasRefused) {
  PluginRegistry registry;
  registry.load_file(broken("factory_throws"));
  ASSERT_TRUE(registry.failed_provider("test_factory_throws.fine").has_value());
  EXPECT_FALSE(registry.failed_provider("no.such.type").has_value());
  try {
    load_pipeline_text("stages:\n  x:\n    type: test_factory_throws.fine\n", "p.yaml", "/tmp", registry);
    FAIL() << "expected oi::ConfigError";
  } catch (const ConfigError& e) {
    ASSERT_FALSE(e.diagnostics().empty());
    EXPECT_EQ(e.diagnostics().front().where.line, 3);
    EXPECT_THAT(e.diagnostics().front().message, HasSubstr("provides it but was not loaded"));
    EXPECT_THAT(e.diagnostics().front().message, HasSubstr("factory_throws"));
  }
}

TEST(PluginLoading, UnknownTypeOfARefusedPluginSaysWhyItWasRefused) {
  PluginRegistry registry;
  registry.load_file(broken("factory_throws"));
  try {
    registry.create("test_factory_throws.fine");
    FAIL() << "expected oi::PluginError";
  } catch (const PluginError& e) {
    EXPECT_THAT(e.what(), HasSubstr("provides it but was not loaded"));
    EXPECT_THAT(e.what(), HasSubstr("factory failed: cannot open /dev/xray0"));
  }
}

TEST(PluginLoading, NamesOfKindsAndInstallFolder) {
  EXPECT_EQ(to_string(FactoryKind::kStage), "stage");
  EXPECT_EQ(to_string(FactoryKind::kDriver), "driver");
  EXPECT_EQ(installed_plugin_subdir(), fs::path("lib/openinspect/plugins"));
}

}  // namespace
}  // namespace oi
