#include "record_replay_util.hpp"

#include <openssl/evp.h>

#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <thread>

#include "oi/stage.hpp"

namespace fs = std::filesystem;

namespace oi::record_replay_test {
namespace {

class KeepStage final : public Stage {
 public:
  void setup(StageSpec& spec) override { spec.input("in", PortType::any(), "frames to keep"); }
  void start(const StageConfig& config) override { name_ = config.name; }
  Status process(StageContext& ctx) override {
    KeptFrames::instance().add(name_, ctx.take(0));
    return Status::ok();
  }

 private:
  std::string name_;
};

// Frames that use what a recording must carry: padded rows (stride is layout, not data),
// three pixel formats, unusual doubles, 64-bit extremes and nested attributes.
class RichSource final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.output("out", PortType::of(frame_kind::kVideo));
    spec.param("count", ParamType::kInt).default_value(6).min(0);
    spec.param("first_sequence", ParamType::kInt).default_value(0).min(0);
    spec.param("delay_us", ParamType::kInt).default_value(0).min(0);
  }
  void start(const StageConfig& config) override {
    name_ = config.name;
    count_ = config.params.get<std::int64_t>("count");
    sequence_ = config.params.get<std::uint64_t>("first_sequence");
    delay_ = config.params.get<std::int64_t>("delay_us");
  }
  Status process(StageContext& ctx) override {
    if (next_ >= count_) return Status::end_of_stream();
    if (delay_ > 0 && next_ > 0) std::this_thread::sleep_for(std::chrono::microseconds(delay_));
    std::mt19937 noise(static_cast<unsigned>(next_ + 1));
    auto frame = Frame::create(std::string(frame_kind::kVideo));

    Plane rgb;
    rgb.format = PixelFormat::kRGB8;
    rgb.width = 13;
    rgb.height = 7;
    rgb.stride = 13 * 3 + 5;
    rgb.memory = std::make_shared<HostMemory>(rgb.stride * 7);
    std::memset(rgb.memory->host_data(), 0xEE, rgb.stride * 7);  // padding that must not matter
    for (int y = 0; y < rgb.height; ++y) {
      for (std::size_t x = 0; x < rgb.row_bytes(); ++x)
        rgb.row<std::uint8_t>(y)[x] = static_cast<std::uint8_t>(noise());
    }
    frame->set_plane("rgb", rgb);
    Plane& depth = frame->add_plane("depth", PixelFormat::kF32, 16, 4);
    for (int y = 0; y < depth.height; ++y) {
      for (int x = 0; x < depth.width; ++x) {
        std::uint32_t bits = noise();  // any bit pattern, NaNs included: bytes, not numbers
        std::memcpy(&depth.row<float>(y)[x], &bits, sizeof bits);
      }
    }
    Plane& mask = frame->add_plane("mask", PixelFormat::kU8, 5, 3);
    for (int y = 0; y < mask.height; ++y) {
      for (int x = 0; x < mask.width; ++x)
        mask.row<std::uint8_t>(y)[x] = static_cast<std::uint8_t>(noise() % 4);
    }

    FrameMetadata& m = frame->metadata();
    const auto i = static_cast<std::uint64_t>(next_);
    m.source_device = name_;
    m.sequence = sequence_++;
    m.capture_time_ns = 1'700'000'000'123'456'789 + static_cast<std::int64_t>(i) * 33'333'337;
    m.scan_id = 1000 + i;
    m.block_index = static_cast<std::uint32_t>(i);
    m.end_of_scan = i % 2 == 1;
    m.incomplete = i == 2;
    m.pixel_pitch_mm = 0.1 + static_cast<double>(i) / 3.0;
    m.attributes = {{"camera", {{"gain_db", 1.0 / 3.0}, {"exposure_us", 12345}}},
                    {"tags", {"a", "\xc3\xbc", "frame " + std::to_string(i)}},
                    {"big", std::numeric_limits<std::uint64_t>::max()},
                    {"negative", -5},
                    {"empty", nlohmann::json::object()},
                    {"nothing", nullptr},
                    {"flag", i % 3 == 0}};
    ++next_;
    ctx.emit(0, std::move(frame));
    return Status::ok();
  }

 private:
  std::string name_;
  std::int64_t count_ = 0, next_ = 0, delay_ = 0;
  std::uint64_t sequence_ = 0;
};

}  // namespace

KeptFrames& KeptFrames::instance() {
  static KeptFrames kept;
  return kept;
}

void KeptFrames::add(const std::string& node, FramePtr frame) {
  std::lock_guard lock(mutex_);
  frames_[node].push_back(std::move(frame));
  times_[node].push_back(std::chrono::steady_clock::now());
}

std::vector<FramePtr> KeptFrames::frames(const std::string& node) const {
  std::lock_guard lock(mutex_);
  auto it = frames_.find(node);
  return it == frames_.end() ? std::vector<FramePtr>{} : it->second;
}

std::vector<std::chrono::steady_clock::time_point> KeptFrames::times(const std::string& node) const {
  std::lock_guard lock(mutex_);
  auto it = times_.find(node);
  return it == times_.end() ? std::vector<std::chrono::steady_clock::time_point>{} : it->second;
}

void KeptFrames::clear() {
  std::lock_guard lock(mutex_);
  frames_.clear();
  times_.clear();
}

void register_types(PluginRegistry& registry) {
  registry.register_type("test.keep", FactoryKind::kStage, "keeps frames",
                         [] { return std::make_unique<KeepStage>(); });
  registry.register_type("test.rich", FactoryKind::kDriver, "rich frames",
                         [] { return std::make_unique<RichSource>(); });
}

fs::path fresh_dir(const std::string& suffix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(::testing::TempDir()) / "oi_record_replay" /
                 (std::string(info->test_suite_name()) + "." + info->name() + "." + suffix);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

RunResult run_pipeline_file(const fs::path& file, const std::string& yaml, PluginRegistry& registry,
                            std::vector<std::pair<std::string, nlohmann::json>>* summaries) {
  {
    std::ofstream out(file);
    out << yaml;
  }
  PipelineSpec spec = load_pipeline(file, registry);
  Pipeline pipeline(spec, registry);
  RunOptions options;
  options.threads = 2;
  RunResult result = pipeline.run(options);
  if (summaries) *summaries = pipeline.stage_summaries();
  return result;
}

void expect_same_frame(const Frame& expected, const Frame& actual, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(actual.kind(), expected.kind());
  ASSERT_EQ(actual.plane_names(), expected.plane_names());
  for (const std::string& name : expected.plane_names()) {
    const Plane& e = expected.plane(name);
    const Plane& a = actual.plane(name);
    EXPECT_EQ(a.format, e.format) << name;
    ASSERT_EQ(a.width, e.width) << name;
    ASSERT_EQ(a.height, e.height) << name;
    for (int y = 0; y < e.height; ++y) {
      ASSERT_EQ(std::memcmp(a.row<char>(y), e.row<char>(y), e.row_bytes()), 0)
          << "plane " << name << " row " << y;
    }
  }
  const FrameMetadata& e = expected.metadata();
  const FrameMetadata& a = actual.metadata();
  EXPECT_EQ(a.source_device, e.source_device);
  EXPECT_EQ(a.sequence, e.sequence);
  EXPECT_EQ(a.capture_time_ns, e.capture_time_ns);
  EXPECT_EQ(a.scan_id, e.scan_id);
  EXPECT_EQ(a.block_index, e.block_index);
  EXPECT_EQ(a.end_of_scan, e.end_of_scan);
  EXPECT_EQ(a.incomplete, e.incomplete);
  std::uint64_t eb = 0, ab = 0;
  std::memcpy(&eb, &e.pixel_pitch_mm, sizeof eb);
  std::memcpy(&ab, &a.pixel_pitch_mm, sizeof ab);
  EXPECT_EQ(ab, eb) << "pixel_pitch_mm " << a.pixel_pitch_mm << " vs " << e.pixel_pitch_mm;
  EXPECT_EQ(a.attributes, e.attributes);
}

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

std::vector<std::string> read_lines(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string sha256_of_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  char two[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(two, sizeof two, "%02x", digest[i]);
    hex += two;
  }
  return hex;
}

}  // namespace oi::record_replay_test
