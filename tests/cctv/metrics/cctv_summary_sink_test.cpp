// sink.cctv_summary with frames made in the test: two cameras through one multi-source input of
// a real pipeline, figures in summary.json worked out by hand, summary.html and its
// thumbnails, MOTChallenge files that parse and feed back in as truth, a sparse truth file,
// frames without truth counted, bad truth files and bad attributes as clear errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <regex>

#include "file_size_limit.hpp"
#include "mot_format.hpp"
#include "oi/cctv/contract.hpp"
#include "oi/error.hpp"
#include "oi/pipeline.hpp"
#include "oi/pipeline_spec.hpp"
#include "oi/plugin_registry.hpp"
#include "scratch.hpp"
#include "stage_under_test.hpp"

namespace oi::cctv {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr int kW = 160, kH = 120;

// Person `id` stands at x = 40 id (30 x 60 px, far enough apart not to overlap).
Box person_box(std::int64_t id) { return {40.0 * static_cast<double>(id) - 30, 30, 30, 60}; }

struct Shot {
  std::vector<std::pair<std::int64_t, double>> truth;  // (identity, visible); absent = no attribute
  bool has_truth = true;
  std::vector<std::pair<std::int64_t, std::int64_t>> tracks;  // (track id, on identity)
  std::vector<std::int64_t> detections;                       // on identity (0: empty place)
};

FramePtr make_frame(const std::string& source, const std::string& camera, std::int64_t index,
                    const Shot& shot, bool image = true) {
  auto f = Frame::create(std::string(kFrameKind));
  if (image) {
    Plane& p = f->add_plane(plane::kImage, PixelFormat::kRGB8, kW, kH);
    for (int y = 0; y < kH; ++y) {
      for (int x = 0; x < kW * 3; ++x)
        p.row<std::uint8_t>(y)[x] = static_cast<std::uint8_t>(60 + (x / 3 + y) % 80);
    }
  }
  FrameMetadata& m = f->metadata();
  m.source_device = source;
  m.sequence = static_cast<std::uint64_t>(index);
  m.capture_time_ns = 1'700'000'000'000'000'000 + index * 100'000'000;  // 10 frames/s
  m.attributes[attr::kCamera] = camera;
  m.attributes[attr::kFrameIndex] = index;
  if (shot.has_truth) {
    std::vector<GroundTruthPerson> truth;
    for (const auto& [id, visible] : shot.truth) truth.push_back({id, person_box(id), visible});
    m.attributes[attr::kGroundTruth] = to_json_list(truth);
  }
  std::vector<Track> tracks;
  for (const auto& [id, on] : shot.tracks) {
    Track t;
    t.id = id;
    t.box = person_box(on);
    t.score = 0.9;
    tracks.push_back(t);
  }
  m.attributes[attr::kTracks] = to_json_list(tracks);
  std::vector<Detection> detections;
  for (std::int64_t on : shot.detections) {
    Detection d;
    d.box = on == 0 ? Box{130, 0, 20, 40} : person_box(on);
    detections.push_back(d);
  }
  m.attributes[attr::kDetections] = to_json_list(detections);
  return f;
}

// Camera "hall": persons 1 and 2 in 4 frames, tracked perfectly (tracks 11, 12) and detected.
std::vector<FramePtr> hall_frames() {
  std::vector<FramePtr> frames;
  for (int i = 0; i < 4; ++i) {
    frames.push_back(
        make_frame("cam_hall", "hall", i, {{{1, 1.0}, {2, 1.0}}, true, {{11, 1}, {12, 2}}, {1, 2}}));
  }
  return frames;
}

// Camera "gate": person 3 in 6 frames; track 7 in frames 0-3, then track 8 (an identity switch);
// detections find 3 every frame plus a false box in frames 4 and 5.
std::vector<FramePtr> gate_frames() {
  std::vector<FramePtr> frames;
  for (int i = 0; i < 6; ++i) {
    Shot s{{{3, 1.0}}, true, {{i < 4 ? 7 : 8, 3}}, {3}};
    if (i >= 4) s.detections.push_back(0);
    frames.push_back(make_frame("cam_gate", "gate", i, s));
  }
  return frames;
}

json read_json(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  return json::parse(in);
}

const PluginRegistry& summary_plugin() { return oi::test::plugin_registry(OI_CCTV_SUMMARY_PLUGIN); }

// Feeds frames to one sink, finishes it, returns its summary().
json run_sink(const json& params, const std::vector<FramePtr>& frames) {
  oi::test::StageUnderTest sink(summary_plugin(), "sink.cctv_summary", params, "summary");
  for (const FramePtr& f : frames) {
    FramePtr out;
    const Status s = sink.run(f, out);
    if (!s.is_ok()) throw Error(s.message());
  }
  const Status s = sink.finish();
  if (!s.is_ok()) throw Error(s.message());
  return sink.summary();
}

// ---- two cameras through a real pipeline ----

std::mutex g_mutex;
std::map<std::string, std::vector<FramePtr>> g_frames;  // by device node name

class CameraSource final : public Stage {
 public:
  void setup(StageSpec& spec) override { spec.output("out", PortType::of(kFrameKind), "the test's frames"); }
  void start(const StageConfig& config) override { name_ = config.name; }
  Status process(StageContext& ctx) override {
    std::lock_guard lock(g_mutex);
    std::vector<FramePtr>& frames = g_frames[name_];
    if (next_ >= frames.size()) return Status::end_of_stream();
    ctx.emit(0, frames[next_++]);
    return Status::ok();
  }

 private:
  std::string name_;
  std::size_t next_ = 0;
};

TEST(CctvSummarySink, TwoCamerasInOneChainGiveHandComputedFigures) {
  const fs::path dir = oi::test::scratch_dir("cctv_summary", "two_cameras");
  PluginRegistry registry;
  const PluginRecord& record = registry.load_file(OI_CCTV_SUMMARY_PLUGIN);
  ASSERT_FALSE(record.error) << *record.error;
  registry.register_type("test.camera", FactoryKind::kDriver, "frames from the test",
                         [] { return std::make_unique<CameraSource>(); });
  {
    std::lock_guard lock(g_mutex);
    g_frames = {{"cam_hall", hall_frames()}, {"cam_gate", gate_frames()}};
  }
  std::ofstream(dir / "pipeline.yaml")
      << "devices:\n"
         "  cam_hall: { driver: test.camera }\n"
         "  cam_gate: { driver: test.camera }\n"
         "stages:\n"
         "  evaluation: { type: sink.cctv_summary, params: { dir: out, thumbnails: 2 } }\n"
         "connections:\n"
         "  - { from: cam_hall.out, to: evaluation.in }\n"
         "  - { from: cam_gate.out, to: evaluation.in }\n";
  Pipeline pipeline(load_pipeline(dir / "pipeline.yaml", registry), registry);
  RunOptions options;
  options.threads = 2;
  const RunResult result = pipeline.run(options);
  ASSERT_TRUE(result.ok) << result.error;
  json summary;
  for (const auto& [name, s] : pipeline.stage_summaries()) summary = s;

  // `dir` is relative to the pipeline file.
  const fs::path out = dir / "out";
  const json s = read_json(out / "summary.json");
  ASSERT_EQ(s["cameras"].size(), 2u);
  const json& hall = s["cameras"]["hall"];
  EXPECT_EQ(hall["source"], "cam_hall");
  EXPECT_EQ(hall["truth"], "frames");
  EXPECT_EQ(hall["frames"], 4);
  EXPECT_EQ(hall["evaluated_frames"], 4);
  EXPECT_EQ(hall["gt_persons"], 2);
  EXPECT_EQ(hall["gt_boxes"], 8);
  EXPECT_DOUBLE_EQ(hall["det_recall"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(hall["det_precision"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(hall["false_boxes_per_frame"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(hall["mota"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(hall["motp"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(hall["idf1"].get<double>(), 1.0);
  EXPECT_NEAR(hall["hota"].get<double>(), 1.0, 1e-9);
  EXPECT_EQ(hall["id_switches"], 0);
  EXPECT_EQ(hall["mt"], 2);

  // gate: 6 frames, one identity switch. MOTA = 1 - 1/6; IDF1: 3->7 in 4 of 6 frames, IDTP 4,
  // IDFN 2, IDFP 2: 8/12; HOTA = sqrt(AssA) = sqrt((4 x 4/6 + 2 x 2/6) / 6) = sqrt(5/9).
  // Detections: 6 of 6 found, 2 false boxes: precision 6/8, 2/6 false boxes a frame.
  const json& gate = s["cameras"]["gate"];
  EXPECT_NEAR(gate["mota"].get<double>(), 5.0 / 6.0, 1e-9);
  EXPECT_NEAR(gate["idf1"].get<double>(), 2.0 / 3.0, 1e-9);
  EXPECT_NEAR(gate["idp"].get<double>(), 2.0 / 3.0, 1e-9);
  EXPECT_NEAR(gate["idr"].get<double>(), 2.0 / 3.0, 1e-9);
  EXPECT_NEAR(gate["hota"].get<double>(), std::sqrt(5.0 / 9.0), 1e-9);
  EXPECT_NEAR(gate["det_a"].get<double>(), 1.0, 1e-9);
  EXPECT_NEAR(gate["ass_a"].get<double>(), 5.0 / 9.0, 1e-9);
  EXPECT_EQ(gate["id_switches"], 1);
  EXPECT_EQ(gate["fragmentations"], 0);
  EXPECT_DOUBLE_EQ(gate["det_recall"].get<double>(), 1.0);
  EXPECT_NEAR(gate["det_precision"].get<double>(), 6.0 / 8.0, 1e-9);
  EXPECT_NEAR(gate["false_boxes_per_frame"].get<double>(), 2.0 / 6.0, 1e-9);

  // Overall, combined as TrackEval combines sequences: TP 8 + 6, IDSW 1: MOTA = 1 - 1/14;
  // IDTP 8 + 4 of 14 truth and 14 track boxes: IDF1 = 24/28; AssA = (1 x 8 + 5/9 x 6)/14 = 17/21.
  const json& all = s["overall"];
  EXPECT_EQ(all["frames"], 10);
  EXPECT_EQ(all["cameras"], 2);
  EXPECT_NEAR(all["mota"].get<double>(), 13.0 / 14.0, 1e-9);
  EXPECT_NEAR(all["idf1"].get<double>(), 24.0 / 28.0, 1e-9);
  EXPECT_NEAR(all["ass_a"].get<double>(), 17.0 / 21.0, 1e-9);
  EXPECT_NEAR(all["hota"].get<double>(), std::sqrt(17.0 / 21.0), 1e-9);
  EXPECT_EQ(s["frames_not_evaluated"], 0);

  // summary.html: the table, a curve per camera, thumbnails that exist and decode.
  const std::string html = oi::test::read_text(out / "summary.html");
  EXPECT_THAT(html, HasSubstr("<h1>Tracking summary</h1>"));
  EXPECT_THAT(html, HasSubstr("<svg"));
  EXPECT_THAT(html, HasSubstr("all cameras"));
  const std::regex img("<img alt=\"[^\"]*\" src=\"([^\"]+)\"");
  int images = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), img); it != std::sregex_iterator(); ++it) {
    const fs::path file = out / (*it)[1].str();
    const cv::Mat thumb = cv::imread(file.string(), cv::IMREAD_COLOR);
    ASSERT_FALSE(thumb.empty()) << file;
    EXPECT_EQ(thumb.cols, kW);  // smaller than thumbnail_size: kept at its size
    ++images;
  }
  EXPECT_EQ(images, 4);  // 2 per camera
  EXPECT_EQ(s["cameras"]["gate"]["thumbnails"].size(), 2u);

  // MOT files: TrackEval-readable text, one line per truth person and per track.
  const MotFrames gate_tracks = parse_mot_file(out / "mot" / "gate" / "tracks.txt");
  ASSERT_EQ(gate_tracks.size(), 6u);
  EXPECT_EQ(gate_tracks.begin()->first, 1);  // frame_index 0 is MOT frame 1
  EXPECT_EQ(gate_tracks.at(5).at(0).id, 8);
  const MotFrames hall_gt = parse_mot_file(out / "mot" / "hall" / "gt" / "gt.txt");
  ASSERT_EQ(hall_gt.size(), 4u);
  EXPECT_EQ(hall_gt.at(1).size(), 2u);
  EXPECT_THAT(oi::test::read_text(out / "mot" / "hall" / "gt" / "gt.txt"),
              HasSubstr("1,1,10.00,30.00,30.00,60.00,1,1,1.000\n"));
  const std::string ini = oi::test::read_text(out / "mot" / "gate" / "seqinfo.ini");
  EXPECT_THAT(ini, HasSubstr("seqLength=6"));
  EXPECT_THAT(ini, HasSubstr("frameRate=10"));
  EXPECT_THAT(ini, HasSubstr("imWidth=160"));

  // What `oi run` prints: a heading row, a row per camera, all cameras; then the page.
  ASSERT_TRUE(summary["table"].is_array());
  EXPECT_EQ(summary["table"].size(), 4u);
  EXPECT_EQ(summary["table"][0][0], "camera");
  EXPECT_EQ(summary["table"][1][0], "gate");
  EXPECT_THAT(summary["table"][1][1].get<std::string>(), HasSubstr("0.833"));
  EXPECT_EQ(summary["output"], fs::absolute(out / "summary.html").string());
  EXPECT_EQ(summary["written"], true);
}

TEST(CctvSummarySink, FramesWithoutTruthAreCountedNotSkipped) {
  const fs::path dir = oi::test::scratch_dir("cctv_summary", "no_truth");
  std::vector<FramePtr> frames = hall_frames();
  for (int i = 4; i < 7; ++i)
    frames.push_back(make_frame("cam_hall", "hall", i, {{}, false, {{11, 1}}, {1}}));
  const json summary = run_sink({{"dir", (dir / "out").string()}}, frames);
  const json s = read_json(dir / "out" / "summary.json");
  EXPECT_EQ(s["cameras"]["hall"]["frames"], 7);
  EXPECT_EQ(s["cameras"]["hall"]["evaluated_frames"], 4);
  EXPECT_EQ(s["cameras"]["hall"]["not_evaluated"]["no_truth"], 3);
  EXPECT_EQ(s["frames_not_evaluated"], 3);
  EXPECT_DOUBLE_EQ(s["cameras"]["hall"]["mota"].get<double>(), 1.0);  // over the 4 evaluated frames
  EXPECT_EQ(summary["table"].back()[0], "not evaluated");
  EXPECT_THAT(summary["table"].back()[1].get<std::string>(), HasSubstr("3 frames"));
  EXPECT_THAT(oi::test::read_text(dir / "out" / "summary.html"), HasSubstr("3 frames without ground truth"));
  // gt.txt and tracks.txt cover the evaluated frames (TrackEval then counts what the sink does).
  EXPECT_EQ(parse_mot_file(dir / "out" / "mot" / "hall" / "tracks.txt").size(), 4u);
  EXPECT_EQ(parse_mot_file(dir / "out" / "mot" / "hall" / "gt" / "gt.txt").size(), 4u);
}

TEST(CctvSummarySink, SkippedFramesAreCounted) {
  // skip_frames 2: the first 2 frames of each camera (a detector's warm-up) are not evaluated.
  const fs::path dir = oi::test::scratch_dir("cctv_summary", "skip");
  std::vector<FramePtr> frames = gate_frames();
  const json summary = run_sink({{"dir", dir.string()}, {"skip_frames", 2}}, frames);
  const json s = read_json(dir / "summary.json")["cameras"]["gate"];
  EXPECT_EQ(s["frames"], 6);
  EXPECT_EQ(s["evaluated_frames"], 4);
  EXPECT_EQ(s["not_evaluated"]["skipped"], 2);
  // Frames 2-5: track 7 twice, then 8 twice: IDSW 1, MOTA = 1 - 1/4.
  EXPECT_NEAR(s["mota"].get<double>(), 0.75, 1e-9);
  EXPECT_THAT(summary["table"].back()[1].get<std::string>(), HasSubstr("2 frames"));
  EXPECT_THAT(oi::test::read_text(dir / "summary.html"), HasSubstr("the first 2 frames skipped"));
  // Thumbnails come from evaluated frames only (MOT frames 3-6).
  for (const json& t : s["thumbnails"])
    EXPECT_THAT(t.get<std::string>(), ::testing::Not(HasSubstr("frame_000001")));
}

TEST(CctvSummarySink, CameraWithoutTruthKeepsItsTracksAndThumbnails) {
  // No truth at all: nothing evaluated, every frame counted, tracks.txt holds every frame's
  // tracks (for a truth file made later), thumbnails still show the tracks.
  const fs::path dir = oi::test::scratch_dir("cctv_summary", "no_truth_at_all");
  std::vector<FramePtr> frames;
  for (int i = 0; i < 5; ++i) frames.push_back(make_frame("cam", "lobby", i, {{}, false, {{4, 1}}, {1}}));
  const json summary = run_sink({{"dir", dir.string()}, {"thumbnails", 2}}, frames);
  const json s = read_json(dir / "summary.json")["cameras"]["lobby"];
  EXPECT_EQ(s["truth"], "none");
  EXPECT_EQ(s["evaluated_frames"], 0);
  EXPECT_EQ(s["not_evaluated"]["no_truth"], 5);
  EXPECT_TRUE(s["mota"].is_null());
  EXPECT_TRUE(s["det_recall"].is_null());
  EXPECT_EQ(s["thumbnails"].size(), 2u);
  EXPECT_EQ(parse_mot_file(dir / "mot" / "lobby" / "tracks.txt").size(), 5u);
  EXPECT_THAT(summary["table"][1][1].get<std::string>(), HasSubstr("n/a"));
}

TEST(CctvSummarySink, DontCareLimitsAreParameters) {
  // Person 2 is 30 % visible in every frame, and tracked by 12.
  std::vector<FramePtr> frames;
  for (int i = 0; i < 3; ++i) {
    frames.push_back(make_frame("cam", "cam", i, {{{1, 1.0}, {2, 0.3}}, true, {{11, 1}, {12, 2}}, {1, 2}}));
  }
  // Default (0.5): person 2 is don't care; its track and detection neither count nor fail.
  const fs::path a = oi::test::scratch_dir("cctv_summary", "dont_care_default");
  run_sink({{"dir", a.string()}}, frames);
  json s = read_json(a / "summary.json")["cameras"]["cam"];
  EXPECT_EQ(s["gt_persons"], 1);
  EXPECT_EQ(s["distractor_boxes"], 3);
  EXPECT_DOUBLE_EQ(s["mota"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["det_precision"].get<double>(), 1.0);
  EXPECT_EQ(s["detection"]["on_distractors"], 3);
  // min_visible 0.2: person 2 counts, and is found.
  const fs::path b = oi::test::scratch_dir("cctv_summary", "dont_care_lowered");
  run_sink({{"dir", b.string()}, {"min_visible", 0.2}}, frames);
  s = read_json(b / "summary.json")["cameras"]["cam"];
  EXPECT_EQ(s["gt_persons"], 2);
  EXPECT_EQ(s["gt_boxes"], 6);
  // min_height_px 61: every person (60 px) is too small: nothing to find, nothing false.
  const fs::path c = oi::test::scratch_dir("cctv_summary", "dont_care_height");
  run_sink({{"dir", c.string()}, {"min_height_px", 61}}, frames);
  s = read_json(c / "summary.json")["cameras"]["cam"];
  EXPECT_EQ(s["gt_boxes"], 0);
  EXPECT_EQ(s["detection"]["fp"], 0);
}

TEST(CctvSummarySink, SparseTruthFileEvaluatesOnlyAnnotatedFrames) {
  // Real footage: no ground_truth attribute; a hand-made truth file names frames 2 and 5 only
  // (MOT frame numbers: frame_index + 1). Frame 2: persons 1 and 2; frame 5: person 1 and a
  // 30 px tall person 9 (too small: don't care).
  const fs::path dir = oi::test::scratch_dir("cctv_summary", "sparse_truth");
  std::ofstream(dir / "truth.txt") << "# persons marked by eye in frames 2 and 5\n"
                                      "2,1,10,30,30,60,1,1,1\n"
                                      "2,2,50,30,30,60,1,1,1\n"
                                      "\n"
                                      "5,1,10,30,30,60\n"
                                      "5,9,100,0,15,30\n";
  std::vector<FramePtr> frames;
  for (int i = 0; i < 6; ++i) {
    // Detections: person 1 every frame, plus a false box in frame index 1 (MOT 2) and one on
    // the small person's place in index 4 (MOT 5). Person 2 is never detected.
    Shot s{{}, false, {{11, 1}}, {1}};
    if (i == 1) s.detections.push_back(0);
    frames.push_back(make_frame("video", "video", i, s));
  }
  Detection small;
  small.box = {100, 0, 15, 30};
  frames[4]->metadata().attributes[attr::kDetections].push_back(to_json(small));
  const json summary =
      run_sink({{"dir", (dir / "out").string()}, {"truth", (dir / "truth.txt").string()}}, frames);
  const json s = read_json(dir / "out" / "summary.json")["cameras"]["video"];
  EXPECT_EQ(s["truth"], "file");
  EXPECT_EQ(s["evaluated_frames"], 2);
  EXPECT_EQ(s["not_evaluated"]["not_annotated"], 4);
  // Truth: 3 persons (1, 2 in MOT 2; 1 in MOT 5); found 2 (person 1 twice): recall 2/3.
  // False boxes: the empty-place box in MOT 2; the box on person 9 is don't care: 1 in 2 frames.
  EXPECT_EQ(s["gt_boxes"], 3);
  EXPECT_NEAR(s["det_recall"].get<double>(), 2.0 / 3.0, 1e-9);
  EXPECT_NEAR(s["false_boxes_per_frame"].get<double>(), 0.5, 1e-9);
  EXPECT_EQ(s["detection"]["on_distractors"], 1);
  // Hand-made sparse truth links no identities over time: detection figures only.
  EXPECT_TRUE(s["mota"].is_null());
  EXPECT_TRUE(s["idf1"].is_null());
  EXPECT_TRUE(s["hota"].is_null());
  EXPECT_EQ(s["tracking_evaluated"], false);
  EXPECT_THAT(s["tracking_note"].get<std::string>(), HasSubstr("sparse truth file"));
  EXPECT_THAT(summary["table"].back()[1].get<std::string>(), HasSubstr("4 frames"));
  // Only annotated frames are offered as thumbnails.
  for (const json& t : s["thumbnails"])
    EXPECT_THAT(t.get<std::string>(), ::testing::AnyOf(HasSubstr("000002"), HasSubstr("000005")));

  // truth_frames: all -> every frame is annotated; the 4 without lines have nobody in them,
  // so their detections of person 1 (no truth there) become false boxes: 1 + 4 = 5 in 6 frames.
  const json all = run_sink(
      {{"dir", (dir / "all").string()}, {"truth", (dir / "truth.txt").string()}, {"truth_frames", "all"}},
      frames);
  const json t = read_json(dir / "all" / "summary.json")["cameras"]["video"];
  EXPECT_EQ(t["evaluated_frames"], 6);
  EXPECT_NEAR(t["false_boxes_per_frame"].get<double>(), 5.0 / 6.0, 1e-9);
  EXPECT_EQ(t["tracking_evaluated"], true);
  EXPECT_TRUE(t["mota"].is_number());
  (void)all;
}

TEST(CctvSummarySink, MotFilesFeedBackInAsATruthFolder) {
  // A run's mot/ folder is a truth folder (<camera>/gt/gt.txt): evaluating the same frames
  // without their ground_truth attribute against it gives the same figures.
  const fs::path dir = oi::test::scratch_dir("cctv_summary", "round_trip");
  std::vector<FramePtr> frames = gate_frames();
  for (const FramePtr& f : hall_frames()) frames.push_back(f);
  run_sink({{"dir", (dir / "first").string()}}, frames);
  std::vector<FramePtr> stripped;
  for (const FramePtr& f : frames) {
    FramePtr c = f->clone();
    c->metadata().attributes.erase(attr::kGroundTruth);
    stripped.push_back(c);
  }
  run_sink({{"dir", (dir / "second").string()},
            {"truth", (dir / "first" / "mot").string()},
            {"truth_frames", "all"}},
           stripped);
  const json first = read_json(dir / "first" / "summary.json");
  const json second = read_json(dir / "second" / "summary.json");
  for (const char* camera : {"gate", "hall"}) {
    EXPECT_EQ(second["cameras"][camera]["truth"], "file");
    for (const char* k : {"mota", "idf1", "hota", "det_recall", "det_precision", "gt_boxes"}) {
      EXPECT_EQ(first["cameras"][camera][k], second["cameras"][camera][k]) << camera << " " << k;
    }
  }
}

TEST(CctvSummarySink, MalformedTruthFileNamesTheLine) {
  const fs::path dir = oi::test::scratch_dir("cctv_summary", "bad_truth");
  std::ofstream(dir / "gt.txt") << "1,1,10,30,30,60\n"
                                   "# a comment\n"
                                   "2,1,ten,30,30,60\n"
                                   "3,1,10,30\n"
                                   "4,1,10,30,30,60\n"
                                   "4,1,12,30,30,60\n"
                                   "0,2,10,30,30,60\n";
  try {
    oi::test::StageUnderTest sink(summary_plugin(), "sink.cctv_summary",
                                  {{"dir", (dir / "out").string()}, {"truth", (dir / "gt.txt").string()}});
    FAIL() << "no error for a malformed truth file";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    const std::string file = (dir / "gt.txt").string();
    // Each problem with FILE:LINE:COL (the host adds the stage's name after the place).
    for (const auto& [place, text] : std::vector<std::pair<std::string, std::string>>{
             {":3:5: ", "column 3 (x) is 'ten', not a number"},
             {":4:1: ", "'3,1,10,30' has 4 columns, not at least 6"},
             {":6:3: ", "id 1 appears twice in frame 4 (also on line 5)"},
             {":7:1: ", "frame 0 is not a whole number from 1"}}) {
      EXPECT_THAT(what, HasSubstr(file + place)) << what;
      EXPECT_THAT(what, HasSubstr(text)) << what;
    }
  }
  // A missing file.
  EXPECT_THROW(
      oi::test::StageUnderTest(summary_plugin(), "sink.cctv_summary",
                               {{"dir", (dir / "out2").string()}, {"truth", (dir / "none.txt").string()}}),
      ConfigError);
}

TEST(CctvSummarySink, MalformedTracksAttributeIsAClearError) {
  const fs::path dir = oi::test::scratch_dir("cctv_summary", "bad_tracks");
  FramePtr f = make_frame("cam_gate", "gate", 0, {{{3, 1.0}}, true, {}, {}});
  f->metadata().attributes[attr::kTracks] = json::array({{{"box", {1, 2, 3, 4}}}});  // no id
  try {
    run_sink({{"dir", dir.string()}}, {f});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("camera 'gate' frame (sequence 0)")) << e.what();
    EXPECT_THAT(std::string(e.what()), HasSubstr("has no 'id'")) << e.what();
  }
  // Two tracks with one id in a frame.
  FramePtr g = make_frame("cam_gate", "gate", 0, {{{3, 1.0}}, true, {{7, 3}, {7, 1}}, {}});
  try {
    run_sink({{"dir", (dir / "dup").string()}}, {g});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("track id 7 twice")) << e.what();
  }
}

TEST(CctvSummarySink, ExistingSummaryNeedsOverwrite) {
  const fs::path dir = oi::test::scratch_dir("cctv_summary", "overwrite");
  run_sink({{"dir", dir.string()}}, hall_frames());
  EXPECT_THROW(oi::test::StageUnderTest(summary_plugin(), "sink.cctv_summary", {{"dir", dir.string()}}),
               ConfigError);
  EXPECT_NO_THROW(run_sink({{"dir", dir.string()}, {"overwrite", true}}, hall_frames()));
}

TEST(CctvSummarySink, AFullDiskFailsTheRunCountingTheFilesNotWrittenAndLeavesTheEarlierOnesWhole) {
  // A first run leaves a summary; the second writes over it with files limited to 2000 bytes,
  // as a full disk: the MOT files fit, the 8 thumbnails (about 3 KB each), summary.json and
  // summary.html do not. The error names the first file and counts them all; every earlier
  // file stays as it was, and no temporary file is left.
  const fs::path dir = oi::test::scratch_dir("cctv_summary", "full_disk");
  std::vector<FramePtr> frames = hall_frames();
  for (const FramePtr& f : gate_frames()) frames.push_back(f);
  run_sink({{"dir", dir.string()}}, frames);
  std::map<fs::path, std::string> earlier;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) earlier[entry.path()] = oi::test::read_text(entry.path());
  ASSERT_EQ(earlier.count(dir / "thumbs" / "gate" / "frame_000001.jpg"), 1u);
  Status finished = Status::ok();
  json summary;
  {
    oi::test::StageUnderTest sink(summary_plugin(), "sink.cctv_summary",
                                  {{"dir", dir.string()}, {"overwrite", true}}, "summary");
    const oi::test::FileSizeLimit full_disk(2000);
    ASSERT_TRUE(full_disk.ok());
    for (const FramePtr& f : frames) {
      FramePtr out;
      ASSERT_TRUE(sink.run(f, out).is_ok());
    }
    finished = sink.finish();
    summary = sink.summary();
  }
  ASSERT_FALSE(finished.is_ok());
  EXPECT_THAT(finished.message(), HasSubstr("stage 'summary' (type 'sink.cctv_summary'"));
  EXPECT_THAT(finished.message(), HasSubstr("cannot write " + (dir / "thumbs" / "gate").string()));
  EXPECT_THAT(finished.message(),
              HasSubstr("10 files of the summary not written, summary.json and summary.html among them"));
  EXPECT_EQ(summary["written"], false);
  EXPECT_EQ(summary["not_written"], 10);
  EXPECT_THAT(summary["error"].get<std::string>(), HasSubstr("10 files of the summary not written"));
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    EXPECT_NE(entry.path().extension(), ".partial") << "a temporary file was left: " << entry.path();
  for (const auto& [file, text] : earlier) {
    if (file.string().find("/mot/") != std::string::npos) continue;  // written again: they fit
    EXPECT_EQ(oi::test::read_text(file), text) << file;
  }
  EXPECT_EQ(parse_mot_file(dir / "mot" / "gate" / "tracks.txt").size(), 6u);
}

TEST(CctvSummarySink, NoFramesStillWritesASummary) {
  const fs::path dir = oi::test::scratch_dir("cctv_summary", "empty");
  const json summary = run_sink({{"dir", dir.string()}}, {});
  EXPECT_TRUE(fs::exists(dir / "summary.html"));
  EXPECT_EQ(read_json(dir / "summary.json")["frames"], 0);
  EXPECT_EQ(summary["table"][1][1], "none (no frame arrived)");
}

}  // namespace
}  // namespace oi::cctv
