#pragma once
/// @file
/// The simulated dual-energy line scanner's physics, all in: tube spectrum → object
/// (per-line material path lengths from a Scene) → dual-layer detector → noisy 16-bit pixels.
/// The driver (sim.xray) owns one; tests and the benchmark use it directly.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "detector_response.hpp"
#include "dual_layer_detector.hpp"
#include "scene.hpp"
#include "spectrum.hpp"
#include "transmission.hpp"

namespace oi::sim {

/// Everything that defines a simulated scanner.
struct SimulatorConfig {
  TubeSettings tube;                ///< source (kV, mA, filtration)
  DualLayerDetector detector;       ///< detector layers
  DetectorElectronics electronics;  ///< offsets, gains, noise, dead pixels
  int pixels = 1024;                ///< detector pixels per line
  double pixel_pitch_mm = 0.8;      ///< pixel size (square pixels: also the slit width along the belt)
  double integration_s = 0.004;     ///< line integration time (1 / physical line rate)
  double bin_kev = 1.0;             ///< energy bin width, at most 2 keV
  bool noise = true;                ///< quantum and electronic noise (false: mean values)
  bool non_uniformity = true;       ///< per-pixel gain/offset/dark current and dead pixels
  std::string serial = "xray";      ///< fixes the detector's non-uniformity pattern
  std::uint64_t seed = 1;           ///< noise seed (with the stream and line numbers)
  int threads = 1;                  ///< threads that render the lines of one render() call
  /// Fraction of the 16-bit range that air reaches at the reference tube settings (160 kV,
  /// 1 mA) with this detector, filtration, pixel size and integration time: how the gains G_c
  /// are set, like a scanner's gain calibration at installation.
  double air_fraction = 0.55;
};

/// Rows of one channel in a u16 image: row r starts at data + r·stride.
struct RowsU16 {
  std::uint16_t* data = nullptr;  ///< first row
  std::size_t stride = 0;         ///< elements from one row to the next
};

/// The physics of a simulated scanner. Not thread-safe itself (one caller at a time); it
/// spreads each render() over `threads` threads internally.
class XraySimulator {
 public:
  /// Builds all tables (xraylib lookups: a few milliseconds). Throws std::invalid_argument with
  /// the offending setting when the configuration is impossible.
  explicit XraySimulator(SimulatorConfig config);

  /// The configuration (tube settings as last set).
  const SimulatorConfig& config() const { return config_; }
  /// Changes tube voltage and current (rebuilds the spectrum; the gains G_c stay, as on a
  /// real scanner: a higher current reads brighter).
  void set_tube(double kv, double ma);
  /// The tube spectrum at the detector (photons per bin per mm² per second).
  const Spectrum& spectrum() const { return spectrum_; }
  /// The transmission model (mean signals per pixel).
  const TransmissionModel& model() const { return *model_; }
  /// The detector's fixed pattern.
  const PixelResponseMap& pixel_map() const { return map_; }
  /// G_c in DN per keV deposited: channel 0 = low, 1 = high.
  double dn_per_kev(int channel) const { return dn_per_kev_[channel]; }

  /// Renders lines [first, first + count) of `scene` into rows 0..count-1 of `low` and
  /// `high`. `stream` numbers the noise stream (the driver uses the scan number), so the
  /// same (seed, stream, line) always gives the same pixels.
  void render(const Scene& scene, int first, int count, std::uint64_t stream, RowsU16 low, RowsU16 high);
  /// One line from given path lengths (tests, benchmarks).
  void render_paths(const LinePaths& paths, std::uint64_t stream, std::uint64_t line, std::uint16_t* low,
                    std::uint16_t* high);
  /// Calibration references: `source_on` false = dark (offset, dark current, read noise),
  /// true = air (empty tunnel: full flux through the fixed pattern, with quantum noise).
  void reference(bool source_on, int count, std::uint64_t stream, RowsU16 low, RowsU16 high);

 private:
  void rebuild_model();
  template <class LineFn>
  void for_lines(int count, LineFn&& fn);

  SimulatorConfig config_;
  Spectrum spectrum_;
  DualLayerResponse detector_;
  std::unique_ptr<TransmissionModel> model_;
  PixelResponseMap map_;
  double dn_per_kev_[2] = {1.0, 1.0};
};

}  // namespace oi::sim
