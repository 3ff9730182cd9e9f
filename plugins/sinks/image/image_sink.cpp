// sink.image: writes every frame's planes as image files plus a JSON file of its metadata.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "oi/files.hpp"
#include "oi/frame_cv.hpp"
#include "oi/plugin.hpp"

namespace fs = std::filesystem;

namespace {

nlohmann::json metadata_json(const oi::Frame& frame) {
  const oi::FrameMetadata& m = frame.metadata();
  nlohmann::json planes = nlohmann::json::object();
  for (const std::string& name : frame.plane_names()) {
    const oi::Plane& p = frame.plane(name);
    planes[name] = {{"format", oi::to_string(p.format)}, {"width", p.width}, {"height", p.height}};
  }
  nlohmann::json j = m.to_json();
  j["kind"] = frame.kind();
  j["planes"] = planes;
  return j;
}

class ImageSink final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.describe(
        "Writes each frame's planes as lossless images (u8, u16 and RGB planes as PNG, 16-bit "
        "where the data is; f32 planes as 32-bit float TIFF) and one JSON file of its metadata, "
        "named `<prefix><scan id>_<sequence>_<plane>.<ext>`.");
    spec.input("in", oi::PortType::any(), "frames to write");
    spec.param("dir", dir_).describe("Output folder; created when missing.");
    spec.param("prefix", prefix_).describe("Prepended to every file name.");
    spec.param("planes", planes_).describe("Planes to write; empty = all.");
  }

  std::vector<std::string> validate(const oi::StageConfig&) const override {
    std::error_code ec;
    if (fs::exists(dir_, ec) && !fs::is_directory(dir_, ec)) {
      return {"`dir` " + dir_.string() + " exists and is not a folder; choose another output folder"};
    }
    return {};
  }

  void start(const oi::StageConfig&) override {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) {
      throw oi::ConfigError("cannot create output folder '" + dir_.string() + "': " + ec.message() +
                            "; set `dir` to a writable folder");
    }
  }

  oi::Status process(oi::StageContext& ctx) override {
    oi::FramePtr frame = ctx.take(0);
    char stem[96];
    std::snprintf(stem, sizeof stem, "%06llu_%06llu",
                  static_cast<unsigned long long>(frame->metadata().scan_id),
                  static_cast<unsigned long long>(frame->metadata().sequence));
    const std::string base = prefix_ + stem;
    // A plane asked for by name that the frame lacks would silently never be written.
    for (const std::string& wanted : planes_) {
      if (frame->has_plane(wanted)) continue;
      std::string present;
      for (const std::string& n : frame->plane_names()) present += (present.empty() ? "" : ", ") + n;
      return oi::Status::error("frame " + base + " has no plane '" + wanted +
                               "' named in `planes` (it has: " + (present.empty() ? "none" : present) +
                               "); fix `planes` or put the stage that adds '" + wanted +
                               "' before this sink");
    }
    for (const std::string& name : frame->plane_names()) {
      if (!planes_.empty() && std::find(planes_.begin(), planes_.end(), name) == planes_.end()) continue;
      if (auto status = write_plane(frame->plane(name), base + "_" + name); !status.is_ok()) return status;
    }
    if (oi::Status s =
            oi::write_file_atomically(dir_ / (base + ".json"), metadata_json(*frame).dump(2) + "\n");
        !s.is_ok()) {
      return s;
    }
    ++files_;
    ++frames_;
    return oi::Status::ok();
  }

  nlohmann::json summary() const override {
    return {{"output", fs::absolute(dir_).string()},
            {"written", files_ > 0},
            {"frames", frames_},
            {"files", files_}};
  }

 private:
  oi::Status write_plane(const oi::Plane& plane, const std::string& stem) {
    cv::Mat image = oi::as_mat(plane);
    std::string file;
    if (plane.format == oi::PixelFormat::kF32) {
      file = (dir_ / (stem + ".tiff")).string();
    } else {
      file = (dir_ / (stem + ".png")).string();
      if (plane.format == oi::PixelFormat::kRGB8) {
        cv::Mat bgr;
        cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
        image = bgr;
      }
    }
    std::vector<unsigned char> encoded;
    const std::string extension = plane.format == oi::PixelFormat::kF32 ? ".tiff" : ".png";
    try {
      if (!cv::imencode(extension, image, encoded)) return oi::Status::error("cannot encode " + file);
    } catch (const cv::Exception& e) {
      return oi::Status::error("cannot encode " + file + ": " + e.what());
    }
    // Whole or absent: a run stopped mid-write leaves no truncated image.
    if (oi::Status s = oi::write_file_atomically(
            file, std::string_view(reinterpret_cast<const char*>(encoded.data()), encoded.size()));
        !s.is_ok()) {
      return s;
    }
    ++files_;
    return oi::Status::ok();
  }

  // Parameters.
  fs::path dir_ = "output";          // dir
  std::string prefix_;               // prefix
  std::vector<std::string> planes_;  // planes

  std::uint64_t frames_ = 0;
  std::uint64_t files_ = 0;
};

}  // namespace

OI_REGISTER_STAGE(ImageSink, "sink.image", "Writes planes as PNG/TIFF files and metadata as JSON.");
OI_PLUGIN("oi-sink-image", "0.1.0", "Apache-2.0")
