#include "stage_harness.hpp"

#include <utility>

#include "oi/stage.hpp"
#include "oi/xray/contract.hpp"

namespace oi::gpu::testing {
namespace {

std::mutex g_mutex;
FrameMaker g_maker;
std::vector<FramePtr> g_captured;

class PlanesSource final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.output("out", PortType::any(), "frames from the test's FrameMaker");
    spec.param("count", count_).min(0);
  }
  Status process(StageContext& ctx) override {
    if (next_ >= count_) return Status::end_of_stream();
    FrameMaker maker;
    {
      std::lock_guard lock(g_mutex);
      maker = g_maker;
    }
    ctx.emit(0, maker(static_cast<int>(next_++)));
    return Status::ok();
  }

 private:
  std::int64_t count_ = 1;
  std::int64_t next_ = 0;
};

class Capture final : public Stage {
 public:
  void setup(StageSpec& spec) override { spec.input("in", PortType::any(), "frames to keep"); }
  Status process(StageContext& ctx) override {
    FramePtr frame = ctx.take(0);
    std::lock_guard lock(g_mutex);
    g_captured.push_back(std::move(frame));
    return Status::ok();
  }
};

}  // namespace

PluginRegistry& gpu_stage_registry() {
  static PluginRegistry* registry = [] {
    auto* r = new PluginRegistry();  // lives until exit: plugins stay loaded for every test
    for (const char* plugin : {"oi_stages_xray_gpu.so", "oi_stages_gpu_shader.so"}) {
      const PluginRecord& record = r->load_file(std::string(OI_PLUGIN_OUTPUT_DIR) + "/" + plugin);
      if (record.error) throw Error("cannot load " + std::string(plugin) + ": " + *record.error);
    }
    r->register_type("test.planes", FactoryKind::kDriver, "frames from the test",
                     [] { return std::make_unique<PlanesSource>(); });
    r->register_type("test.capture", FactoryKind::kStage, "keeps frames for the test",
                     [] { return std::make_unique<Capture>(); });
    return r;
  }();
  return *registry;
}

void set_frame_maker(FrameMaker maker) {
  std::lock_guard lock(g_mutex);
  g_maker = std::move(maker);
}

std::vector<FramePtr> captured_frames() {
  std::lock_guard lock(g_mutex);
  return g_captured;
}

void clear_captured_frames() {
  std::lock_guard lock(g_mutex);
  g_captured.clear();
}

FramePtr make_dual_energy_frame(int width, int height,
                                const std::function<std::uint16_t(int x, int y, int channel)>& value) {
  FramePtr frame = Frame::create(std::string(oi::xray::frame_kind::kScanBlock));
  Plane& high = frame->add_plane("high", PixelFormat::kU16, width, height);
  Plane& low = frame->add_plane("low", PixelFormat::kU16, width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      high.row<std::uint16_t>(y)[x] = value(x, y, 0);
      low.row<std::uint16_t>(y)[x] = value(x, y, 1);
    }
  }
  return frame;
}

}  // namespace oi::gpu::testing
