#include "simulator.hpp"

#include <algorithm>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace oi::sim {
namespace {

constexpr double kReferenceKv = 160.0;
constexpr double kReferenceMa = 1.0;
constexpr double kFullScale = 65535.0;
// Noise streams of the calibration references, apart from scan numbers.
constexpr std::uint64_t kDarkStream = 0xDA4CULL << 40;
constexpr std::uint64_t kAirStream = 0xA14ULL << 40;

// Photons per bin reaching one pixel in one line time.
std::vector<double> photons_per_pixel(const Spectrum& s, const SimulatorConfig& c) {
  const double scale = c.pixel_pitch_mm * c.pixel_pitch_mm * c.integration_s;
  std::vector<double> out(s.photons);
  for (double& n : out) n *= scale;
  return out;
}

const SimulatorConfig& validated(const SimulatorConfig& c) {
  if (c.pixels < 1 || c.pixels > 65536) {
    throw std::invalid_argument("simulator: pixels = " + std::to_string(c.pixels) + " (use 1-65536)");
  }
  if (!(c.pixel_pitch_mm > 0.0) || !(c.integration_s > 0.0)) {
    throw std::invalid_argument("simulator: pixel pitch and integration time must be > 0");
  }
  if (!(c.air_fraction > 0.0 && c.air_fraction < 1.0)) {
    throw std::invalid_argument("simulator: air_fraction must be in (0, 1)");
  }
  return c;
}

}  // namespace

XraySimulator::XraySimulator(SimulatorConfig config)
    : config_(validated(config)),
      map_(config_.pixels, config_.electronics, config_.serial, config_.non_uniformity,
           config_.integration_s) {
  // Gains: air at the reference tube settings reads air_fraction of the range above the offset.
  TubeSettings reference = config_.tube;
  reference.kv = kReferenceKv;
  reference.ma = kReferenceMa;
  const Spectrum ref_spectrum = tungsten_spectrum(reference, config_.bin_kev);
  const DualLayerResponse ref_detector = dual_layer_response(config_.detector, ref_spectrum.grid);
  const std::vector<double> n = photons_per_pixel(ref_spectrum, config_);
  double s[2] = {0.0, 0.0};
  for (int i = 0; i < ref_spectrum.grid.bins; ++i) {
    s[0] += n[i] * ref_detector.low.interaction[i] * ref_detector.low.deposited_kev[i];
    s[1] += n[i] * ref_detector.high.interaction[i] * ref_detector.high.deposited_kev[i];
  }
  for (int c = 0; c < 2; ++c) {
    if (!(s[c] > 0.0)) {
      throw std::invalid_argument(
          "simulator: the " + std::string(c == 0 ? "low" : "high") +
          " channel sees no X-rays at 160 kV (filters or detector layers too thick?)");
    }
    dn_per_kev_[c] = config_.air_fraction * (kFullScale - config_.electronics.offset_dn) / s[c];
  }
  rebuild_model();
}

void XraySimulator::set_tube(double kv, double ma) {
  config_.tube.kv = kv;
  config_.tube.ma = ma;
  rebuild_model();
}

void XraySimulator::rebuild_model() {
  spectrum_ = tungsten_spectrum(config_.tube, config_.bin_kev);
  detector_ = dual_layer_response(config_.detector, spectrum_.grid);
  model_ = std::make_unique<TransmissionModel>(spectrum_.grid, photons_per_pixel(spectrum_, config_),
                                               detector_, standard_materials());
}

template <class LineFn>
void XraySimulator::for_lines(int count, LineFn&& fn) {
  // Whole lines per thread: each line has its own noise generator, so the split does not
  // change a single pixel.
  const int threads = std::clamp(config_.threads, 1, std::max(1, count));
  if (threads == 1) {
    fn(0, count);
    return;
  }
  std::vector<std::thread> workers;
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const int per = (count + threads - 1) / threads;
  for (int t = 1; t < threads; ++t) {
    const int begin = t * per, end = std::min(count, begin + per);
    if (begin >= end) break;
    workers.emplace_back([&, begin, end] {
      try {
        fn(begin, end);
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        failure = std::current_exception();
      }
    });
  }
  try {
    fn(0, std::min(count, per));
  } catch (...) {
    std::lock_guard lock(failure_mutex);
    failure = std::current_exception();
  }
  for (auto& w : workers) w.join();
  if (failure) std::rethrow_exception(failure);
}

void XraySimulator::render(const Scene& scene, int first, int count, std::uint64_t stream, RowsU16 low,
                           RowsU16 high) {
  if (first < 0 || count < 0 || first + count > scene.lines()) {
    throw std::out_of_range("simulator: lines " + std::to_string(first) + ".." +
                            std::to_string(first + count) + " are outside the scene's " +
                            std::to_string(scene.lines()) + " lines");
  }
  const int materials = static_cast<int>(standard_materials().size());
  for_lines(count, [&](int begin, int end) {
    LinePaths paths;
    std::vector<PixelSignal> signal(config_.pixels);
    for (int r = begin; r < end; ++r) {
      // Scenes fill only what they cover; start every line from an empty beam.
      paths.reset(materials, config_.pixels);
      scene.render_line(first + r, paths);
      model_->integrate_line(paths, signal);
      NoiseRng rng(config_.seed, stream, static_cast<std::uint64_t>(first + r));
      digitise_line(signal.data(), 0, config_.pixels, map_, dn_per_kev_, config_.electronics.read_noise_dn,
                    config_.noise, rng, low.data + r * low.stride, high.data + r * high.stride);
    }
  });
}

void XraySimulator::render_paths(const LinePaths& paths, std::uint64_t stream, std::uint64_t line,
                                 std::uint16_t* low, std::uint16_t* high) {
  if (paths.pixels != config_.pixels) {
    throw std::invalid_argument("simulator: the line has " + std::to_string(paths.pixels) +
                                " pixels; the detector " + std::to_string(config_.pixels));
  }
  std::vector<PixelSignal> signal;
  model_->integrate_line(paths, signal);
  NoiseRng rng(config_.seed, stream, line);
  digitise_line(signal.data(), 0, config_.pixels, map_, dn_per_kev_, config_.electronics.read_noise_dn,
                config_.noise, rng, low, high);
}

void XraySimulator::reference(bool source_on, int count, std::uint64_t stream, RowsU16 low, RowsU16 high) {
  std::vector<PixelSignal> signal(config_.pixels, source_on ? model_->air() : PixelSignal{});
  const std::uint64_t base = source_on ? kAirStream : kDarkStream;
  for_lines(count, [&](int begin, int end) {
    for (int r = begin; r < end; ++r) {
      NoiseRng rng(config_.seed, base + stream, static_cast<std::uint64_t>(r));
      digitise_line(signal.data(), 0, config_.pixels, map_, dn_per_kev_, config_.electronics.read_noise_dn,
                    config_.noise, rng, low.data + r * low.stride, high.data + r * high.stride);
    }
  });
}

}  // namespace oi::sim
