// Every sink, and every stage that writes files, whose output cannot be created: the folder or
// file lies below a regular file (ENOTDIR, which binds root too, unlike permissions). Each must
// refuse to start with an error that names the path and its parameter's fix, before a single
// frame is accepted — never start and then lose what it was given.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "oi/error.hpp"
#include "process.hpp"
#include "scratch.hpp"
#include "stage_under_test.hpp"

namespace fs = std::filesystem;

namespace {

using ::testing::HasSubstr;

struct SinkCase {
  std::string plugin;     // library in the build tree's plugin folder
  std::string type;       // stage type
  std::string param;      // the output parameter pointed below a file
  std::string leaf;       // what the parameter names below that file
  nlohmann::json others;  // the other parameters the stage needs to start
};

// gtest prints the case by this (not as raw bytes) where one fails.
void PrintTo(const SinkCase& c, std::ostream* out) { *out << c.type << " `" << c.param << "`"; }

std::string name_of(const ::testing::TestParamInfo<SinkCase>& info) {
  std::string name = info.param.type + "_" + info.param.param;
  for (char& c : name) {
    if (c == '.') c = '_';
  }
  return name;
}

class SinkCannotCreate : public ::testing::TestWithParam<SinkCase> {};

TEST_P(SinkCannotCreate, RefusesToStartNamingThePath) {
  const SinkCase& c = GetParam();
  const fs::path plugin = fs::path(OI_PLUGIN_OUTPUT_DIR) / (c.plugin + ".so");
  if (!fs::exists(plugin)) GTEST_SKIP() << plugin << " is not built here";
  const fs::path dir = oi::test::scratch_dir("oi-sink-create", name_of({GetParam(), 0}));
  const fs::path blocker = dir / "a-file";
  std::ofstream(blocker) << "a regular file where a folder is needed\n";
  const fs::path target = blocker / c.leaf;

  nlohmann::json params = c.others;
  for (auto& [key, value] : params.items()) {
    // "@dir/..." in the other parameters: a file in this test's scratch folder.
    if (value.is_string() && value.get<std::string>().starts_with("@dir/"))
      value = (dir / value.get<std::string>().substr(5)).string();
  }
  params[c.param] = target.string();
  if (c.type == "sink.ledger") {
    const oi::test::ProcessResult keygen =
        oi::test::run_process({OI_EXE, "ledger", "keygen", (dir / "ledger.key").string()});
    ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
    params["key"] = (dir / "ledger.key").string();
  }

  const oi::PluginRegistry& registry = oi::test::plugin_registry(plugin.string());
  try {
    oi::test::StageUnderTest stage(registry, c.type, params, "out");
    ADD_FAILURE() << c.type << " started although " << target << " cannot be created";
  } catch (const oi::Error& e) {
    const std::string message = e.what();
    EXPECT_THAT(message, HasSubstr(blocker.string())) << "the message names the path";
    EXPECT_THAT(message, HasSubstr("Not a directory")) << "and why it failed";
    EXPECT_THAT(message, HasSubstr("`" + c.param + "`")) << "and the parameter to change";
  }
  EXPECT_TRUE(fs::is_regular_file(blocker)) << "the file in the way is left alone";
}

INSTANTIATE_TEST_SUITE_P(
    EverySink, SinkCannotCreate,
    ::testing::Values(SinkCase{"oi_sink_image", "sink.image", "dir", "images", {}},
                      SinkCase{"oi_sink_report", "sink.report", "dir", "scans", {}},
                      SinkCase{"oi_sink_report", "sink.summary", "dir", "summary", {}},
                      SinkCase{"oi_sink_dataset", "sink.dataset", "dir", "dataset", {}},
                      SinkCase{"oi_sink_record", "sink.record", "dir", "recording", {}},
                      SinkCase{"oi_sink_video", "sink.video", "dir", "videos", {}},
                      SinkCase{"oi_sink_cctv_summary", "sink.cctv_summary", "dir", "cctv", {}},
                      SinkCase{"oi_sink_ledger", "sink.ledger", "path", "ledger/ledger.jsonl", {}},
                      SinkCase{"oi_sink_mqtt",
                               "sink.mqtt",
                               "outbox",
                               "mqtt/outbox.sqlite",
                               {{"host", "127.0.0.1"}, {"port", 1}, {"drain_timeout_s", 0}}},
                      SinkCase{"oi_sink_dicos", "sink.dicos", "dir", "dicos", {}},
                      SinkCase{"oi_stages_reid_watchlist",
                               "reid.watchlist",
                               "alerts_dir",
                               "run",
                               {{"watchlist", "@dir/watchlist.json"}, {"audit_log", "@dir/audit.jsonl"}}},
                      SinkCase{"oi_stages_reid_watchlist",
                               "reid.watchlist",
                               "audit_log",
                               "audit/audit.jsonl",
                               {{"watchlist", "@dir/watchlist.json"}, {"alerts_dir", "@dir/run"}}},
                      SinkCase{"oi_stages_reid_watchlist",
                               "reid.watchlist",
                               "watchlist",
                               "lists/watchlist.json",
                               {{"audit_log", "@dir/audit.jsonl"}, {"alerts_dir", "@dir/run"}}}),
    name_of);

}  // namespace
