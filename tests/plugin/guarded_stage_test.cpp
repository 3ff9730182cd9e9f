// Stages come out of the registry wrapped: exceptions from plugin code become errors that
// name the plugin, type and stage, and the plugin's library stays loaded while they live.

#include <dlfcn.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "fake_context.hpp"
#include "oi/error.hpp"
#include "oi/plugin_registry.hpp"
#include "oi/xray/contract.hpp"
#include "test_stages.hpp"

namespace oi {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const fs::path kGoodPlugin = fs::path(OI_TEST_GOOD_PLUGIN_DIR) / "good.so";

bool is_mapped(const fs::path& file) {
  void* handle = ::dlopen(fs::canonical(file).c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (handle != nullptr) ::dlclose(handle);  // RTLD_NOLOAD still counts a reference
  return handle != nullptr;
}

StageConfig config_for(std::string name, std::string type, std::map<std::string, ParamValue> params = {}) {
  StageConfig config;
  config.name = std::move(name);
  config.type = std::move(type);
  config.params = ParamSet(std::move(params));
  return config;
}

FramePtr numbered_frame(std::uint64_t sequence) {
  FramePtr frame = Frame::create(std::string(oi::xray::frame_kind::kScanBlock));
  frame->metadata().sequence = sequence;
  return frame;
}

// A stage made by good.so, set up and started, with a context to call it with.
struct StartedStage {
  std::unique_ptr<Stage> stage;
  std::unique_ptr<test::FakeContext> context;
};

class PluginGuard : public ::testing::Test {
 protected:
  void SetUp() override {
    const PluginRecord& record = registry_.load_file(kGoodPlugin);
    ASSERT_FALSE(record.error) << *record.error;
    plugin_path_ = fs::canonical(kGoodPlugin).string();
  }

  StartedStage start(const std::string& type, const std::string& name,
                     std::map<std::string, ParamValue> params) {
    StartedStage started;
    started.stage = registry_.create(type);
    StageSpec spec;
    started.stage->setup(spec);
    started.context = std::make_unique<test::FakeContext>(spec, name);
    started.stage->start(config_for(name, type, std::move(params)));
    return started;
  }

  void expect_names_origin(const std::string& message, const std::string& call) {
    EXPECT_THAT(message, HasSubstr("stage 'faulty1'"));
    EXPECT_THAT(message, HasSubstr("type 'test_good.faulty'"));
    EXPECT_THAT(message, HasSubstr("plugin 'oi-test-good'"));
    EXPECT_THAT(message, HasSubstr(plugin_path_));
    EXPECT_THAT(message, HasSubstr(call));
  }

  PluginRegistry registry_;
  std::string plugin_path_;
};

TEST_F(PluginGuard, GoodStageRunsThroughTheWrapper) {
  StartedStage gain = start("test_good.gain", "gain1", {{"gain", 4.0}});
  gain.context->push(0, numbered_frame(7));
  const Status status = gain.stage->process(*gain.context);
  ASSERT_TRUE(status.is_ok()) << status.message();
  ASSERT_EQ(gain.context->emitted(0).size(), 1u);
  EXPECT_EQ(gain.context->emitted(0)[0]->metadata().attributes["gain"], 4.0);
  EXPECT_TRUE(gain.stage->finish(*gain.context).is_ok());
  EXPECT_NO_THROW(gain.stage->stop());
}

TEST_F(PluginGuard, DriverRunsUntilEndOfStream) {
  StartedStage counter = start("test_good.counter", "scanner", {{"count", 2}});
  EXPECT_TRUE(counter.stage->process(*counter.context).is_ok());
  EXPECT_TRUE(counter.stage->process(*counter.context).is_ok());
  EXPECT_TRUE(counter.stage->process(*counter.context).is_end_of_stream());
  ASSERT_EQ(counter.context->emitted(0).size(), 2u);
  EXPECT_EQ(counter.context->emitted(0)[1]->metadata().sequence, 1u);
}

TEST_F(PluginGuard, ProcessExceptionBecomesAnErrorStatusNamingPluginAndType) {
  StartedStage faulty = start("test_good.faulty", "faulty1", {{"fail_in", "process"}});
  faulty.context->push(0, numbered_frame(0));
  Status status;
  ASSERT_NO_THROW(status = faulty.stage->process(*faulty.context));
  ASSERT_TRUE(status.is_error());
  expect_names_origin(status.message(), "process() threw");
  EXPECT_THAT(status.message(), HasSubstr("std::runtime_error: calibration table is corrupt"));
}

TEST_F(PluginGuard, FinishThrowingANonStandardExceptionBecomesAnErrorStatus) {
  StartedStage faulty = start("test_good.faulty", "faulty1", {{"fail_in", "finish"}});
  Status status;
  ASSERT_NO_THROW(status = faulty.stage->finish(*faulty.context));
  ASSERT_TRUE(status.is_error());
  expect_names_origin(status.message(), "finish() threw");
  EXPECT_THAT(status.message(), HasSubstr("an exception of type int (not derived from std::exception)"));
}

TEST_F(PluginGuard, ConfigErrorFromStartStaysAConfigErrorPrefixedWithStageAndType) {
  std::unique_ptr<Stage> stage = registry_.create("test_good.faulty");
  StageSpec spec;
  stage->setup(spec);
  try {
    stage->start(config_for("faulty1", "test_good.faulty", {{"fail_in", "start_config"}}));
    FAIL() << "expected oi::ConfigError";
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u);
    EXPECT_EQ(e.diagnostics()[0].message,
              "stage 'faulty1' (type 'test_good.faulty'): threshold must be below 0.5");
    EXPECT_THAT(e.what(), HasSubstr("threshold must be below 0.5"));
  }
}

TEST_F(PluginGuard, OtherExceptionFromStartBecomesAPluginError) {
  std::unique_ptr<Stage> stage = registry_.create("test_good.faulty");
  StageSpec spec;
  stage->setup(spec);
  try {
    stage->start(config_for("faulty1", "test_good.faulty", {{"fail_in", "start"}}));
    FAIL() << "expected oi::PluginError";
  } catch (const ConfigError&) {
    FAIL() << "a runtime failure is not a configuration error";
  } catch (const PluginError& e) {
    expect_names_origin(e.what(), "start() threw");
    EXPECT_THAT(e.what(), HasSubstr("detector head not found"));
  }
}

TEST_F(PluginGuard, StopSwallowsWhatThePluginThrows) {
  StartedStage faulty = start("test_good.faulty", "faulty1", {{"fail_in", "stop"}});
  EXPECT_NO_THROW(faulty.stage->stop());
}

// --- in-process types are guarded the same way, as plugin "builtin"

TEST(PluginGuardInProcess, ProcessExceptionNamesBuiltinAndType) {
  PluginRegistry registry;
  test::register_test_stages(registry);
  std::unique_ptr<Stage> stage = registry.create("test.pass");
  StageSpec spec;
  stage->setup(spec);
  stage->start(config_for("pass1", "test.pass", {{"sleep_us", 0}, {"fail_at", -1}, {"throw_at", 0}}));
  test::FakeContext context(spec, "pass1");
  context.push(0, numbered_frame(0));
  const Status status = stage->process(context);
  ASSERT_TRUE(status.is_error());
  EXPECT_THAT(status.message(), StartsWith("stage 'pass1' (type 'test.pass', plugin 'builtin')"));
  EXPECT_THAT(status.message(), HasSubstr("process() threw std::runtime_error: test.pass threw at frame 0"));
}

// Behaves until told otherwise, to reach the guards that only a created object can hit.
bool g_setup_throws = false;
bool g_factory_fails = false;

class Moody final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    if (g_setup_throws) throw std::logic_error("moody setup");
    spec.input("in");
  }
  Status process(StageContext&) override { return Status::ok(); }
};

class FollowsNothing final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.input("in");
    spec.output("out").kind_follows = "input";
  }
  Status process(StageContext&) override { return Status::ok(); }
};

class SourceWithInput final : public Stage {
 public:
  void setup(StageSpec& spec) override { spec.input("in"); }
  Status process(StageContext&) override { return Status::ok(); }
};

TEST(PluginGuardInProcess, SetupAndCreationFailuresBecomePluginErrors) {
  g_setup_throws = false;
  g_factory_fails = false;
  PluginRegistry registry;
  registry.register_type("test_moody.stage", FactoryKind::kStage, "moody", []() -> std::unique_ptr<Stage> {
    if (g_factory_fails) return nullptr;
    return std::make_unique<Moody>();
  });
  ASSERT_NE(registry.find("test_moody.stage"), nullptr);
  EXPECT_EQ(registry.find("test_moody.stage")->plugin_name, "builtin");
  EXPECT_TRUE(registry.find("test_moody.stage")->plugin_path.empty());

  g_setup_throws = true;
  std::unique_ptr<Stage> stage = registry.create("test_moody.stage");
  StageSpec spec;
  try {
    stage->setup(spec);
    FAIL() << "expected oi::PluginError";
  } catch (const PluginError& e) {
    EXPECT_THAT(e.what(), HasSubstr("type 'test_moody.stage', plugin 'builtin'"));
    EXPECT_THAT(e.what(), HasSubstr("setup() threw std::logic_error: moody setup"));
  }

  g_factory_fails = true;
  try {
    registry.create("test_moody.stage");
    FAIL() << "expected oi::PluginError";
  } catch (const PluginError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot create type 'test_moody.stage', plugin 'builtin'"));
    EXPECT_THAT(e.what(), HasSubstr("factory failed: it returned no object"));
  }
  g_setup_throws = false;
  g_factory_fails = false;
}

TEST(PluginGuardInProcess, RegisterTypeRefusesBadRegistrations) {
  PluginRegistry registry;
  test::register_test_stages(registry);
  const auto moody = [] { return std::make_unique<Moody>(); };
  EXPECT_THROW(registry.register_type("test.pass", FactoryKind::kStage, "again", moody), PluginError);
  EXPECT_THROW(registry.register_type("Test Pass", FactoryKind::kStage, "bad name", moody), PluginError);
  EXPECT_THROW(registry.register_type("test_none.empty", FactoryKind::kStage, "no factory", {}), PluginError);
  try {
    registry.register_type("test_bad.driver", FactoryKind::kDriver, "inputs",
                           [] { return std::make_unique<SourceWithInput>(); });
    FAIL() << "expected oi::PluginError";
  } catch (const PluginError& e) {
    EXPECT_THAT(e.what(), HasSubstr("registered as a driver but declares input ports"));
  }
  try {
    registry.register_type("test_bad.throws", FactoryKind::kStage, "throws",
                           []() -> std::unique_ptr<Stage> { throw std::runtime_error("no licence"); });
    FAIL() << "expected oi::PluginError";
  } catch (const PluginError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot register in-process type 'test_bad.throws'"));
    EXPECT_THAT(e.what(), HasSubstr("factory failed: std::runtime_error: no licence"));
  }
  try {
    registry.register_type("test_bad.follows", FactoryKind::kStage, "follows no input",
                           [] { return std::make_unique<FollowsNothing>(); });
    FAIL() << "expected oi::PluginError";
  } catch (const PluginError& e) {
    EXPECT_THAT(e.what(), HasSubstr("output 'out' follows the kind of input 'input', which the stage does "
                                    "not declare; name one of its inputs in kind_follows"));
  }
  EXPECT_EQ(registry.find("test_bad.driver"), nullptr);
  EXPECT_EQ(registry.find("test_bad.throws"), nullptr);
  EXPECT_EQ(registry.find("test_bad.follows"), nullptr);
}

TEST(PluginGuardInProcess, UnknownTypeIsAPluginError) {
  PluginRegistry registry;
  test::register_test_stages(registry);
  try {
    registry.create("test.pas");
    FAIL() << "expected oi::PluginError";
  } catch (const PluginError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown type 'test.pas' (did you mean 'test.pass'?)"));
  }
}

// --- lifetime

TEST(PluginLifetime, RegistryKeepsItsLibrariesLoadedUntilItIsDestroyed) {
  {
    PluginRegistry registry;
    registry.load_file(kGoodPlugin);
    EXPECT_TRUE(is_mapped(kGoodPlugin));
  }
  EXPECT_FALSE(is_mapped(kGoodPlugin)) << "nothing else holds the library";
}

TEST(PluginLifetime, StageKeepsItsLibraryLoadedAfterTheRegistryIsGone) {
  std::unique_ptr<Stage> stage;
  {
    PluginRegistry registry;
    ASSERT_FALSE(registry.load_file(kGoodPlugin).error);
    stage = registry.create("test_good.gain");
  }
  ASSERT_TRUE(is_mapped(kGoodPlugin));

  // Every call runs code of the library.
  StageSpec spec;
  stage->setup(spec);
  stage->start(config_for("gain1", "test_good.gain", {{"gain", 3.0}}));
  test::FakeContext context(spec, "gain1");
  context.push(0, numbered_frame(1));
  const Status status = stage->process(context);
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(context.emitted(0).at(0)->metadata().attributes["gain"], 3.0);
  EXPECT_TRUE(stage->finish(context).is_ok());
  stage->stop();

  stage.reset();
  EXPECT_FALSE(is_mapped(kGoodPlugin)) << "the last object gone, the library is unloaded";
}

}  // namespace
}  // namespace oi
