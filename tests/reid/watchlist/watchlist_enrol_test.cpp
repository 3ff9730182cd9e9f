// Enrolment from a run: reid.watchlist's tracklet store read back (TrackletStore), tracklets
// grouped by global identity, the entry's embedding as the normalised mean of the chosen
// tracklets' embeddings with its source and audit record, the errors an officer can meet (each
// naming the file, identity or flag), and `oi watchlist tracklets|enrol` end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "oi/audit/audit_log.hpp"
#include "oi/error.hpp"
#include "process.hpp"
#include "scratch.hpp"
#include "watchlist.hpp"

namespace fs = std::filesystem;
namespace rd = oi::reid;

namespace {

fs::path scratch(const std::string& name) { return oi::test::scratch_dir("reid-watchlist-enrol", name); }

// A tracklet file as reid.watchlist's tracklet store writes it; with a crop beside it when asked.
void store(const fs::path& run, const std::string& camera, std::int64_t track, std::int64_t identity,
           const std::vector<float>& embedding, const std::string& time, bool crop = true,
           const std::string& model = "model.oirm#0123abcd") {
  const fs::path base = run / "tracklets" / (camera + "-" + std::to_string(track));
  fs::create_directories(base.parent_path());
  const std::string crop_file = crop ? base.string() + ".png" : "";
  if (crop) std::ofstream(crop_file) << "png";
  std::ofstream(base.string() + ".json") << nlohmann::json{
      {"camera", camera},
      {"track", track},
      {"global_identity", identity},
      {"time", time},
      {"crop", crop_file},
      {"embedding", embedding},
      {"model", model},
      {"stored_at", "2026-12-07T08:00:00Z"}}.dump();
}

// A run: identity 7 seen by two cameras, identity 2 once, one tracklet without an identity.
fs::path make_run(const std::string& name) {
  const fs::path run = scratch(name) / "run";
  store(run, "gate", 3, 7, {0.6f, 0.8f, 0.0f, 0.0f}, "2026-12-07T08:00:05Z");
  store(run, "hall", 5, 7, {1.0f, 0.0f, 0.0f, 0.0f}, "2026-12-07T08:01:10Z", false);
  store(run, "gate", 4, 2, {0.0f, 0.0f, 1.0f, 0.0f}, "2026-12-07T08:00:01Z");
  store(run, "hall", 9, -1, {0.0f, 0.0f, 0.0f, 1.0f}, "2026-12-07T08:02:00Z");
  return run;
}

rd::RunSelection identity(std::int64_t id) {
  rd::RunSelection s;
  s.global_identity = id;
  return s;
}

rd::RunSelection tracklet(const std::string& name) {
  rd::RunSelection s;
  s.tracklet = name;
  return s;
}

// The message of the oi::ConfigError that enrolment_from_run() throws, "" when none.
std::string refusal(const fs::path& run, const rd::RunSelection& selection) {
  try {
    rd::enrolment_from_run(run, selection);
  } catch (const oi::ConfigError& e) {
    return e.what();
  }
  return "";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(ReidWatchlistEnrol, TheEmbeddingIsTheNormalisedMeanOfTheIdentitysTracklets) {
  const fs::path run = make_run("mean");
  const rd::RunEnrolment e = rd::enrolment_from_run(run, identity(7));
  // (0.6, 0.8, 0, 0) and (1, 0, 0, 0): mean (0.8, 0.4, 0, 0), norm sqrt(0.8) = 0.894427.
  ASSERT_EQ(e.entry.embedding.size(), 4u);
  EXPECT_NEAR(e.entry.embedding[0], 0.894427f, 1e-5);
  EXPECT_NEAR(e.entry.embedding[1], 0.447214f, 1e-5);
  EXPECT_EQ(e.entry.embedding[2], 0.0f);
  EXPECT_EQ(e.entry.embedding[3], 0.0f);
  EXPECT_EQ(e.model, "model.oirm#0123abcd");
  ASSERT_EQ(e.tracklets.size(), 2u);
  EXPECT_EQ(e.entry.source["run"], fs::absolute(run).lexically_normal().string());
  EXPECT_EQ(e.entry.source["global_identity"], 7);
  EXPECT_EQ(e.entry.source["tracklets"], (nlohmann::json{"gate-3", "hall-5"}));
  // Only gate-3 has a crop.
  EXPECT_EQ(e.entry.source["crops"],
            (nlohmann::json{(fs::absolute(run) / "tracklets" / "gate-3.png").string()}));
  // A trailing separator names the same run.
  EXPECT_EQ(rd::enrolment_from_run(run.string() + "/", identity(7)).entry.source["run"],
            e.entry.source["run"]);
}

TEST(ReidWatchlistEnrol, OneTrackletIsEnrolledByItsName) {
  const fs::path run = make_run("one");
  const rd::RunEnrolment e = rd::enrolment_from_run(run, tracklet("gate-3"));
  ASSERT_EQ(e.entry.embedding.size(), 4u);
  EXPECT_NEAR(e.entry.embedding[0], 0.6f, 1e-6);
  EXPECT_NEAR(e.entry.embedding[1], 0.8f, 1e-6);
  EXPECT_TRUE(e.entry.source["global_identity"].is_null());
  EXPECT_EQ(e.entry.source["tracklets"], (nlohmann::json{"gate-3"}));
  // A tracklet without an identity can be enrolled too.
  EXPECT_EQ(rd::enrolment_from_run(run, tracklet("hall-9")).entry.embedding[3], 1.0f);
}

TEST(ReidWatchlistEnrol, TrackletsAreGroupedByIdentity) {
  const fs::path run = make_run("groups");
  const rd::TrackletStore s(run);
  EXPECT_EQ(s.names(), (std::vector<std::string>{"gate-3", "gate-4", "hall-5", "hall-9"}));
  const std::vector<rd::IdentityGroup> groups = rd::group_by_identity(s.read_all());
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].global_identity, 2);
  EXPECT_EQ(groups[1].global_identity, 7);
  ASSERT_EQ(groups[1].tracklets.size(), 2u);
  EXPECT_EQ(groups[1].tracklets[0].name, "gate-3");  // first seen first
  EXPECT_EQ(groups[1].tracklets[1].camera, "hall");
  EXPECT_EQ(groups[1].tracklets[1].track, 5);
  EXPECT_EQ(groups[1].tracklets[1].crop, "");
  EXPECT_EQ(groups[2].global_identity, -1);
  EXPECT_EQ(groups[2].tracklets[0].name, "hall-9");
}

TEST(ReidWatchlistEnrol, AMissingRunOrStoreIsAClearError) {
  const fs::path dir = scratch("missing");
  EXPECT_TRUE(has(refusal(dir / "nowhere", identity(7)), "nowhere does not exist"));
  fs::create_directories(dir / "empty");
  const std::string no_store = refusal(dir / "empty", identity(7));
  EXPECT_TRUE(has(no_store, "empty has no tracklets/ folder")) << no_store;
}

TEST(ReidWatchlistEnrol, AnUnknownIdentityListsTheStoredOnes) {
  const fs::path run = make_run("unknown");
  const std::string message = refusal(run, identity(9));
  EXPECT_TRUE(has(message, "no tracklet of global identity 9")) << message;
  EXPECT_TRUE(has(message, "the identities stored are 2, 7")) << message;
  EXPECT_TRUE(has(message, "1 tracklets without an identity")) << message;
  EXPECT_TRUE(has(message, "retention_hours")) << message;
  EXPECT_TRUE(has(refusal(run, identity(-1)), "global identities are 0 or more"));
}

TEST(ReidWatchlistEnrol, APurgedTrackletSaysTheRetentionTimeDeletesThem) {
  const fs::path run = make_run("purged");
  fs::remove(run / "tracklets" / "gate-3.json");
  fs::remove(run / "tracklets" / "gate-3.png");
  const std::string message = refusal(run, tracklet("gate-3"));
  EXPECT_TRUE(has(message, "no tracklet gate-3")) << message;
  EXPECT_TRUE(has(message, "purged")) << message;
  EXPECT_TRUE(has(message, "retention_hours")) << message;
  EXPECT_TRUE(has(message, "stored now: gate-4, hall-5, hall-9")) << message;
  // A name is a file in the store, never a path.
  EXPECT_TRUE(has(refusal(run, tracklet("../../watchlist")), "not a tracklet name"));
  EXPECT_TRUE(has(refusal(run, rd::RunSelection{}), "choose whom to enrol"));
}

TEST(ReidWatchlistEnrol, ADamagedTrackletIsNamedNotSkipped) {
  const fs::path run = make_run("damaged");
  std::ofstream(run / "tracklets" / "hall-8.json") << R"({"camera": "hall", "track": 8, "embed)";
  const std::string message = refusal(run, identity(7));
  EXPECT_TRUE(has(message, "hall-8.json is not JSON")) << message;
  // A tracklet of the right form with a member missing is named too.
  std::ofstream(run / "tracklets" / "hall-8.json", std::ios::trunc) << R"({"camera": "hall", "track": 8})";
  const std::string missing = refusal(run, identity(7));
  EXPECT_TRUE(has(missing, "hall-8.json lacks a member")) << missing;
  // Reading another tracklet by name does not need the damaged one.
  EXPECT_NO_THROW(rd::enrolment_from_run(run, tracklet("gate-3")));
}

TEST(ReidWatchlistEnrol, EmptyEmbeddingsAndMixedModelsOrSizesAreRefused) {
  const fs::path run = make_run("mixed");
  store(run, "gate", 20, 11, {}, "2026-12-07T08:03:00Z");
  const std::string empty = refusal(run, identity(11));
  EXPECT_TRUE(has(empty, "gate-20.json has an empty embedding")) << empty;
  fs::remove(run / "tracklets" / "gate-20.json");

  store(run, "gate", 21, 12, {1.0f, 0.0f, 0.0f, 0.0f}, "2026-12-07T08:03:00Z");
  store(run, "hall", 22, 12, {1.0f, 0.0f, 0.0f, 0.0f}, "2026-12-07T08:04:00Z", true, "other.oirm#ffff0000");
  const std::string models = refusal(run, identity(12));
  EXPECT_TRUE(has(models, "hall-22.json was embedded with model 'other.oirm#ffff0000'")) << models;
  EXPECT_TRUE(has(models, "gate-21.json")) << models;

  store(run, "gate", 23, 13, {1.0f, 0.0f, 0.0f, 0.0f}, "2026-12-07T08:03:00Z");
  store(run, "hall", 24, 13, {1.0f, 0.0f}, "2026-12-07T08:04:00Z");
  const std::string sizes = refusal(run, identity(13));
  EXPECT_TRUE(has(sizes, "hall-24.json has an embedding of 2 values")) << sizes;

  // Opposite embeddings average to nothing.
  store(run, "gate", 25, 14, {1.0f, 0.0f, 0.0f, 0.0f}, "2026-12-07T08:03:00Z");
  store(run, "hall", 26, 14, {-1.0f, 0.0f, 0.0f, 0.0f}, "2026-12-07T08:04:00Z");
  EXPECT_TRUE(has(refusal(run, identity(14)), "mean of its tracklets' embeddings is zero"));
}

TEST(ReidWatchlistEnrol, TheEnrolmentIsAuditedWithTheRunAndTrackletsAsInput) {
  const fs::path run = make_run("audit");
  const fs::path dir = run.parent_path();
  auto log = std::make_shared<oi::audit::AuditLog>(dir / "audit.jsonl");
  rd::Watchlist list(dir / "watchlist.json", log);
  rd::RunEnrolment made = rd::enrolment_from_run(run, identity(7));
  made.entry.label = "grey coat";
  made.entry.legal_basis = "Customs Code Art. 46; warrant 2024/117";
  made.entry.authorised_by = "Inspector A. Berg";
  made.entry.expires_at = "2027-01-01T00:00:00Z";
  const auto now = *rd::parse_utc("2026-12-07T09:00:00Z");
  list.enrol(made.entry, made.model, now);
  EXPECT_EQ(list.embedding_model(), "model.oirm#0123abcd");

  std::ifstream in(dir / "audit.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  const nlohmann::json record = nlohmann::json::parse(line);
  EXPECT_EQ(record["event"], "enrolment");
  EXPECT_EQ(record["fields"]["input"]["run"], fs::absolute(run).lexically_normal().string());
  EXPECT_EQ(record["fields"]["input"]["tracklets"], (nlohmann::json{"gate-3", "hall-5"}));
  EXPECT_EQ(record["fields"]["input"]["global_identity"], 7);

  // The watchlist refuses a person embedded with another model, and says which.
  store(run, "gate", 30, 40, {0.0f, 1.0f, 0.0f, 0.0f}, "2026-12-07T08:03:00Z", false, "other.oirm#ffff0000");
  rd::RunEnrolment other = rd::enrolment_from_run(run, identity(40));
  other.entry = made.entry;
  other.entry.embedding = {0.0f, 1.0f, 0.0f, 0.0f};
  try {
    list.enrol(other.entry, other.model, now);
    FAIL() << "an entry of another model was enrolled";
  } catch (const oi::ConfigError& e) {
    EXPECT_TRUE(has(e.what(), "other.oirm#ffff0000")) << e.what();
  }
}

// The officer's path: list the run's identities, enrol identity 7, see it with its source in the
// watchlist, the audit log verifies; the flags the law requires are named when missing.
TEST(ReidWatchlistEnrol, OiWatchlistEnrolFromARun) {
  const fs::path run = make_run("cli");
  const fs::path dir = run.parent_path();
  const std::string watchlist = (dir / "watchlist.json").string(), log = (dir / "audit.jsonl").string();
  using oi::test::run_process;

  oi::test::ProcessResult listed = run_process({OI_EXE, "watchlist", "tracklets", run.string(), "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const nlohmann::json groups = nlohmann::json::parse(listed.out);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[1]["global_identity"], 7);
  EXPECT_EQ(groups[1]["cameras"], (nlohmann::json{"gate", "hall"}));
  EXPECT_EQ(groups[1]["tracklets"], (nlohmann::json{"gate-3", "hall-5"}));
  EXPECT_EQ(groups[1]["first_time"], "2026-12-07T08:00:05Z");
  EXPECT_EQ(groups[1]["crops"].size(), 1u);
  EXPECT_TRUE(groups[2]["global_identity"].is_null());
  oi::test::ProcessResult text = run_process({OI_EXE, "watchlist", "tracklets", run.string()});
  EXPECT_TRUE(has(text.out, "4 tracklets, 2 global identities, 1 tracklets without one")) << text.out;

  std::vector<std::string> enrol = {OI_EXE,
                                    "watchlist",
                                    "enrol",
                                    watchlist,
                                    "--from-run",
                                    run.string(),
                                    "--identity",
                                    "7",
                                    "--label",
                                    "grey coat",
                                    "--legal-basis",
                                    "Customs Code Art. 46; warrant 2024/117",
                                    "--authorised-by",
                                    "Inspector A. Berg",
                                    "--expires",
                                    "2099-01-01T00:00:00Z",
                                    "--audit",
                                    log};
  // Without a legal basis nothing is enrolled and nothing recorded.
  std::vector<std::string> no_basis = enrol;
  no_basis.erase(no_basis.begin() + 10, no_basis.begin() + 12);
  oi::test::ProcessResult refused = run_process(no_basis);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_TRUE(has(refused.err, "--legal-basis is required")) << refused.err;
  EXPECT_FALSE(fs::exists(watchlist));
  EXPECT_FALSE(fs::exists(log));

  oi::test::ProcessResult done = run_process(enrol);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_TRUE(has(done.out, "W-000001 enrolled")) << done.out;
  EXPECT_TRUE(has(done.out, "mean of 2 tracklets (gate-3, hall-5)")) << done.out;

  oi::test::ProcessResult list = run_process({OI_EXE, "watchlist", "list", "--json", watchlist});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const nlohmann::json entries = nlohmann::json::parse(list.out);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["label"], "grey coat");
  EXPECT_EQ(entries[0]["authorised_by"], "Inspector A. Berg");
  EXPECT_EQ(entries[0]["source"]["run"], fs::absolute(run).lexically_normal().string());
  EXPECT_EQ(entries[0]["source"]["global_identity"], 7);
  EXPECT_EQ(entries[0]["source"]["tracklets"], (nlohmann::json{"gate-3", "hall-5"}));
  EXPECT_EQ(run_process({OI_EXE, "audit", "verify", log}).exit_code, 0);

  // The same person from the same tracklets is not enrolled twice.
  oi::test::ProcessResult twice = run_process(enrol);
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_TRUE(has(twice.err, "already enrolled")) << twice.err;
  // An identity the run does not have: the stored ones are listed.
  std::vector<std::string> unknown = enrol;
  unknown[7] = "9";
  oi::test::ProcessResult none = run_process(unknown);
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_TRUE(has(none.err, "the identities stored are 2, 7")) << none.err;
  // --identity and --tracklet exclude each other; one of them is needed.
  std::vector<std::string> both = enrol;
  both.insert(both.end(), {"--tracklet", "gate-3"});
  EXPECT_EQ(run_process(both).exit_code, 2);
  std::vector<std::string> neither = enrol;
  neither.erase(neither.begin() + 6, neither.begin() + 8);
  oi::test::ProcessResult whom = run_process(neither);
  EXPECT_EQ(whom.exit_code, 2);
  EXPECT_TRUE(has(whom.err, "--identity or --tracklet is required")) << whom.err;
  EXPECT_EQ(run_process({OI_EXE, "audit", "verify", log}).exit_code, 0);
}

}  // namespace
