// reid.watchlist from its plugin: persons enrolled from images are found again when a track
// carries the same embedding; the alert stays unconfirmed; every search is audited with the
// Art. 12 fields; an expired entry is purged at start and never searched; unmatched persons'
// tracklets are purged after the retention time; the frames name the tracks with a hit. Runs
// on the CPU reference and, when there is a Vulkan device, on the GPU (validation layer on).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <string>
#include <vector>

#include "file_size_limit.hpp"
#include "lomo.hpp"
#include "oi/audit/audit_log.hpp"
#include "oi/cctv/contract.hpp"
#include "oi/error.hpp"
#include "oi/frame_cv.hpp"
#include "reid_model.hpp"
#include "scratch.hpp"
#include "stage_under_test.hpp"
#include "watchlist.hpp"

namespace fs = std::filesystem;
namespace cc = oi::cctv;
namespace rd = oi::reid;

namespace {

fs::path scratch(const std::string& name) { return oi::test::scratch_dir("reid-watchlist-stage", name); }

// A small random model: LOMO's descriptor projected to 16 values.
rd::ReidModel tiny_model() {
  rd::ReidModel model;
  const std::size_t d = rd::lomo_dimension(model.descriptor);
  model.mean.assign(d, 0.0f);
  model.projection = cv::Mat(static_cast<int>(d), 16, CV_32F);
  cv::RNG rng(7);
  rng.fill(model.projection, cv::RNG::NORMAL, 0.0, 1.0);
  model.provenance = {{"tool", "watchlist_stage_test"}};
  return model;
}

// A person picture: coat and trousers of the given colours (RGB) on grey.
cv::Mat person_rgb(cv::Vec3b coat, cv::Vec3b trousers) {
  cv::Mat rgb(128, 48, CV_8UC3, cv::Scalar(120, 120, 120));
  rgb(cv::Rect(8, 10, 32, 60)).setTo(cv::Scalar(coat[0], coat[1], coat[2]));
  rgb(cv::Rect(10, 70, 28, 55)).setTo(cv::Scalar(trousers[0], trousers[1], trousers[2]));
  return rgb;
}

void write_png(const fs::path& file, const cv::Mat& rgb) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  ASSERT_TRUE(cv::imwrite(file.string(), bgr));
}

struct Site {
  fs::path dir, model, enrolment, watchlist, alerts, audit;
  rd::ReidModel m = tiny_model();
  cv::Mat red = person_rgb({200, 30, 30}, {20, 20, 80});
  cv::Mat green = person_rgb({30, 180, 40}, {90, 90, 90});
};

Site make_site(const std::string& name) {
  Site s;
  s.dir = scratch(name);
  s.model = s.dir / "model.oirm";
  rd::save_reid_model(s.m, s.model);
  write_png(s.dir / "red.png", s.red);
  s.enrolment = s.dir / "enrol.json";
  std::ofstream(s.enrolment) << nlohmann::json::array(
                                    {{{"image", "red.png"},
                                      {"label", "red coat"},
                                      {"legal_basis", "Customs Code Art. 46; warrant 2024/117"},
                                      {"authorised_by", "Inspector A. Berg"},
                                      {"expires_in_days", 30}}})
                                    .dump();
  s.watchlist = s.dir / "watchlist.json";
  s.alerts = s.dir / "run";
  s.audit = s.dir / "audit.jsonl";
  return s;
}

std::vector<float> embedding_of(const Site& s, const cv::Mat& rgb) {
  const std::vector<float> d = rd::lomo_descriptor(rgb, s.m.descriptor);
  return rd::apply_reid_model(s.m, d.data());
}

// A 320x240 frame of camera `camera` with the two persons at known places; track 1 wears red,
// track 2 green; their embeddings as reid.embed and cctv.track would give them.
oi::FramePtr frame_with(const Site& s, int index, const std::string& camera = "gate") {
  oi::FramePtr f = oi::Frame::create(std::string(cc::kFrameKind));
  oi::Plane& p = f->add_plane(cc::plane::kImage, oi::PixelFormat::kRGB8, 320, 240);
  cv::Mat image = oi::as_mat(p);
  image.setTo(cv::Scalar(120, 120, 120));
  s.red.copyTo(image(cv::Rect(40, 60, 48, 128)));
  s.green.copyTo(image(cv::Rect(200, 60, 48, 128)));
  oi::FrameMetadata& m = f->metadata();
  m.source_device = camera;
  m.sequence = static_cast<std::uint64_t>(index);
  m.capture_time_ns = 1'717'228'800'000'000'000LL + index * 100'000'000LL;  // 2024-06-01T08:00:00Z
  m.attributes[cc::attr::kCamera] = camera;
  m.attributes[cc::attr::kFrameIndex] = index;
  cc::Track red, green;
  red.id = 1;
  red.box = {40, 60, 48, 128};
  red.age = index;
  red.embedding = embedding_of(s, s.red);
  green.id = 2;
  green.box = {200, 60, 48, 128};
  green.age = index;
  green.embedding = embedding_of(s, s.green);
  m.attributes[cc::attr::kTracks] = cc::to_json_list(std::vector<cc::Track>{red, green});
  return f;
}

nlohmann::json params_of(const Site& s, const std::string& backend) {
  return {{"watchlist", s.watchlist.string()},
          {"alerts_dir", s.alerts.string()},
          {"audit_log", s.audit.string()},
          {"enrolment", s.enrolment.string()},
          {"model", s.model.string()},
          {"min_score", 0.95},
          {"search_after", 3},
          {"backend", backend}};
}

std::vector<nlohmann::json> audit_records(const fs::path& log, const std::string& event) {
  std::ifstream in(log);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) {
    nlohmann::json j = nlohmann::json::parse(line);
    if (j["event"] == event) out.push_back(j);
  }
  return out;
}

class ReidWatchlistStage : public ::testing::TestWithParam<std::string> {};

TEST_P(ReidWatchlistStage, AnEnrolledPersonRaisesOneUnconfirmedAlertAndEverySearchIsAudited) {
  const Site s = make_site("alert-" + GetParam());
  {
    oi::test::StageUnderTest stage(oi::test::plugin_registry(OI_REID_WATCHLIST_PLUGIN), "reid.watchlist",
                                   params_of(s, GetParam()), "watch");
    for (int i = 0; i < 8; ++i) {
      oi::FramePtr out;
      ASSERT_TRUE(stage.run(frame_with(s, i), out).is_ok());
      ASSERT_TRUE(out);
      const std::vector<cc::WatchlistHit> hits = cc::watchlist_hits_of(out->metadata());
      if (i < 3) {
        EXPECT_TRUE(hits.empty()) << "searched before search_after frames";
      } else {
        ASSERT_EQ(hits.size(), 1u) << "frame " << i;
        EXPECT_EQ(hits[0].track, 1);
        EXPECT_EQ(hits[0].entry, "W-000001");
        EXPECT_EQ(hits[0].status, "unconfirmed");
      }
    }
    const nlohmann::json summary = stage.summary();
    EXPECT_EQ(summary["alerts"], 1);
    EXPECT_EQ(summary["searches"], 2);  // both tracks once (research_every 50)
  }
  rd::AlertBook book(s.alerts / "alerts.jsonl", nullptr);
  ASSERT_EQ(book.alerts().size(), 1u);
  const rd::Alert alert = book.alerts()[0];
  EXPECT_EQ(alert.status(), "unconfirmed");
  EXPECT_EQ(alert.camera, "gate");
  EXPECT_EQ(alert.time, "2024-06-01T08:00:00Z");
  EXPECT_TRUE(fs::exists(alert.thumbnail)) << alert.thumbnail;

  const auto searches = audit_records(s.audit, "search");
  ASSERT_EQ(searches.size(), 2u);
  for (const nlohmann::json& r : searches) {
    EXPECT_TRUE(r["fields"].contains("period"));
    EXPECT_EQ(r["fields"]["reference_database"], "watchlist.json v1");
    EXPECT_EQ(r["fields"]["input"]["camera"], "gate");
  }
  EXPECT_EQ(audit_records(s.audit, "enrolment").size(), 1u);
  EXPECT_EQ(audit_records(s.audit, "hit").size(), 1u);
  EXPECT_TRUE(oi::audit::verify_audit_log(s.audit).ok);
}

TEST_P(ReidWatchlistStage, AnExpiredEntryIsPurgedAtStartAndNeverSearched) {
  const Site s = make_site("expired-" + GetParam());
  {
    // Enrol, then move the entry's expiry into the past.
    oi::test::StageUnderTest first(oi::test::plugin_registry(OI_REID_WATCHLIST_PLUGIN), "reid.watchlist",
                                   params_of(s, GetParam()), "watch");
  }
  std::string text = oi::test::read_text(s.watchlist);
  nlohmann::json j = nlohmann::json::parse(text);
  j["entries"][0]["expires_at"] = "2000-01-01T00:00:00Z";
  std::ofstream(s.watchlist, std::ios::trunc) << j.dump();
  nlohmann::json params = params_of(s, GetParam());
  params.erase("enrolment");
  {
    oi::test::StageUnderTest stage(oi::test::plugin_registry(OI_REID_WATCHLIST_PLUGIN), "reid.watchlist",
                                   params, "watch");
    for (int i = 0; i < 6; ++i) {
      oi::FramePtr out;
      ASSERT_TRUE(stage.run(frame_with(s, i), out).is_ok());
      EXPECT_TRUE(cc::watchlist_hits_of(out->metadata()).empty());
    }
    EXPECT_EQ(stage.summary()["searchable_entries"], 0);
  }
  EXPECT_TRUE(rd::Watchlist(s.watchlist, nullptr).entries().empty());
  const auto purges = audit_records(s.audit, "purge");
  ASSERT_FALSE(purges.empty());
  EXPECT_EQ(purges[0]["fields"]["reason"], "expired");
  for (const nlohmann::json& r : audit_records(s.audit, "search"))
    EXPECT_TRUE(r["fields"]["results"].empty());
}

TEST_P(ReidWatchlistStage, UnmatchedTrackletsArePurgedAfterTheRetentionTime) {
  const Site s = make_site("retention-" + GetParam());
  nlohmann::json params = params_of(s, GetParam());
  params["retention_hours"] = 0.0;
  {
    oi::test::StageUnderTest stage(oi::test::plugin_registry(OI_REID_WATCHLIST_PLUGIN), "reid.watchlist",
                                   params, "watch");
    for (int i = 0; i < 5; ++i) {
      oi::FramePtr out;
      ASSERT_TRUE(stage.run(frame_with(s, i), out).is_ok());
    }
  }
  EXPECT_TRUE(fs::exists(s.alerts / "tracklets" / "gate-1.json"));
  EXPECT_TRUE(fs::exists(s.alerts / "tracklets" / "gate-2.json"));
  // The next start's housekeeping purges the unmatched person (track 2), not the matched one.
  {
    oi::test::StageUnderTest again(oi::test::plugin_registry(OI_REID_WATCHLIST_PLUGIN), "reid.watchlist",
                                   params, "watch");
  }
  EXPECT_TRUE(fs::exists(s.alerts / "tracklets" / "gate-1.json"));
  EXPECT_FALSE(fs::exists(s.alerts / "tracklets" / "gate-2.json"));
  EXPECT_FALSE(fs::exists(s.alerts / "tracklets" / "gate-2.png"));
  bool purged = false;
  for (const nlohmann::json& r : audit_records(s.audit, "purge"))
    purged = purged || (r["fields"]["reason"] == "retention" && r["fields"]["tracklets"][0] == "gate-2");
  EXPECT_TRUE(purged);
}

TEST_P(ReidWatchlistStage, BadEnrolmentFilesAreClearErrors) {
  const Site s = make_site("bad-" + GetParam());
  std::ofstream(s.enrolment, std::ios::trunc)
      << R"([{"image": "missing.png", "legal_basis": "x", "authorised_by": "y", "expires_in_days": 1}])";
  try {
    oi::test::StageUnderTest stage(oi::test::plugin_registry(OI_REID_WATCHLIST_PLUGIN), "reid.watchlist",
                                   params_of(s, GetParam()), "watch");
    FAIL() << "a missing enrolment image was accepted";
  } catch (const oi::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.png"), std::string::npos) << e.what();
  }
  std::ofstream(s.enrolment, std::ios::trunc)
      << R"([{"image": "red.png", "authorised_by": "y", "expires_in_days": 1}])";
  EXPECT_THROW(oi::test::StageUnderTest(oi::test::plugin_registry(OI_REID_WATCHLIST_PLUGIN), "reid.watchlist",
                                        params_of(s, GetParam()), "watch"),
               oi::ConfigError);  // no legal basis
}

// A person the stage searched and stored (track 2, who matched nothing), enrolled from the
// run's tracklet store, is found by the next run's search of the same embedding with a score of
// about 1 (the gallery holds half precision).
TEST_P(ReidWatchlistStage, APersonEnrolledFromARunIsFoundAgain) {
  const Site s = make_site("from-run-" + GetParam());
  const nlohmann::json params = params_of(s, GetParam());
  auto run = [&] {
    oi::test::StageUnderTest stage(oi::test::plugin_registry(OI_REID_WATCHLIST_PLUGIN), "reid.watchlist",
                                   params, "watch");
    for (int i = 0; i < 5; ++i) {
      oi::FramePtr out;
      ASSERT_TRUE(stage.run(frame_with(s, i), out).is_ok());
    }
  };
  run();
  rd::RunSelection chosen;
  chosen.tracklet = "gate-2";
  rd::RunEnrolment made = rd::enrolment_from_run(s.alerts, chosen);
  made.entry.label = "green coat";
  made.entry.legal_basis = "Customs Code Art. 46; warrant 2024/118";
  made.entry.authorised_by = "Inspector A. Berg";
  made.entry.expires_at = rd::format_utc(rd::Clock::now() + std::chrono::hours(24));
  EXPECT_EQ(made.entry.source["crops"].size(), 1u);
  {
    rd::Watchlist list(s.watchlist, oi::audit::AuditLog::shared(s.audit));
    EXPECT_EQ(list.enrol(made.entry, made.model, rd::Clock::now()).id, "W-000002");
  }
  run();
  const std::vector<rd::Alert> alerts = rd::AlertBook(s.alerts / "alerts.jsonl", nullptr).alerts();
  bool found = false;
  for (const rd::Alert& a : alerts)
    if (a.entry == "W-000002") {
      found = true;
      EXPECT_EQ(a.track, 2);
      EXPECT_NEAR(a.score, 1.0, 2e-3);
    }
  EXPECT_TRUE(found) << "the person enrolled from the run raised no alert";
  EXPECT_TRUE(oi::audit::verify_audit_log(s.audit).ok);
}

// A full disk (files limited to 1 byte) at the first search: the searched person's tracklet
// cannot be stored, so the search is not recorded and the run stops with an error naming the
// stage and the file; the frame goes no further, the audit log is as it was and verifies, and no
// file is left half-written.
TEST_P(ReidWatchlistStage, AFullDiskStopsTheRunNamingTheFileAndRecordsNothingHalfway) {
  const Site s = make_site("full-disk-" + GetParam());
  oi::test::StageUnderTest stage(oi::test::plugin_registry(OI_REID_WATCHLIST_PLUGIN), "reid.watchlist",
                                 params_of(s, GetParam()), "watch");
  for (int i = 0; i < 3; ++i) {
    oi::FramePtr out;
    ASSERT_TRUE(stage.run(frame_with(s, i), out).is_ok());
  }
  const std::string audited = oi::test::read_text(s.audit);
  oi::Status status = oi::Status::ok();
  oi::FramePtr out;
  {
    const oi::test::FileSizeLimit full_disk(1);
    ASSERT_TRUE(full_disk.ok());
    status = stage.run(frame_with(s, 3), out);  // the tracks are 3 frames old: searched
  }
  ASSERT_FALSE(status.is_ok());
  const std::string& message = status.message();
  EXPECT_NE(message.find("stage 'watch' (type 'reid.watchlist'"), std::string::npos) << message;
  EXPECT_NE(message.find("cannot write " + (s.alerts / "tracklets" / "gate-1.png").string()),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("the search was not recorded, so the run stops"), std::string::npos) << message;
  EXPECT_FALSE(out) << "the frame went on";
  EXPECT_EQ(oi::test::read_text(s.audit), audited);
  EXPECT_TRUE(oi::audit::verify_audit_log(s.audit).ok);
  for (const auto& entry : fs::recursive_directory_iterator(s.alerts))
    EXPECT_TRUE(entry.is_directory()) << "a file was written: " << entry.path();
}

INSTANTIATE_TEST_SUITE_P(Backends, ReidWatchlistStage, ::testing::Values("cpu", "auto"));

}  // namespace
