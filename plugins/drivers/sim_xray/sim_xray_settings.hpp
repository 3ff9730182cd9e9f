#pragma once
/// @file
/// The parameters of sim.xray in one place: their declarations (names, units, ranges,
/// descriptions for `oi inspect sim.xray`) and how they become the physics' SimulatorConfig
/// and the scene generator's SceneConfig.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "oi/hal/device.hpp"
#include "scene.hpp"
#include "simulator.hpp"

namespace oi::sim {

/// Current parameter values of one sim.xray device; the parameters are bound to these
/// members (their initial values are the defaults).
struct SimXraySettings {
  std::string scene = "parcels";       ///< parcels | bags | wedges
  std::uint64_t seed = 1;              ///< scene and noise seed
  std::int64_t scans = 0;              ///< objects before end of stream; 0 = endless
  double source_kv = 160.0;            ///< tube voltage
  double source_ma = 1.0;              ///< tube current
  int pixels_per_line = 1024;          ///< detector pixels per line
  double line_rate_hz = 0.0;           ///< pacing; 0 = as fast as possible
  double threat_rate = 0.2;            ///< probability that an object carries a threat
  int lines_per_block = 64;            ///< lines per scan block
  double pixel_pitch_mm = 0.8;         ///< detector pixel size
  double belt_speed_m_s = 0.2;         ///< conveyor speed
  double filtration_al_mm = 1.0;       ///< added aluminium filter
  double filtration_cu_mm = 0.0;       ///< added copper filter
  double clutter = 1.0;                ///< clutter density factor
  double overlap = 1.0;                ///< how much items pile up along the beam
  bool knives = false;                 ///< knives among the threats
  bool noise = true;                   ///< quantum and electronic noise
  bool non_uniformity = true;          ///< per-pixel gain/offset, dark current, dead pixels
  int dead_pixels = 3;                 ///< dead pixels per channel
  double energy_bin_kev = 1.0;         ///< energy bin width of the spectrum
  int threads = 1;                     ///< threads rendering each block
  std::filesystem::path declarations;  ///< file the parcels' customs declarations are written to ("" = none)
  double declaration_lie_rate = 0.25;  ///< share of declarations that misstate the parcel

  /// Declares every parameter bound to these members (the single source of names, defaults,
  /// ranges and units). `tube_changed` pushes a new source_kv or source_ma to the physics;
  /// they are the only parameters that may change while streaming.
  void declare(hal::DeviceSpec& spec, hal::DeviceSpec::Apply tube_changed);

  bool operator==(const SimXraySettings&) const = default;

  /// The physical line rate: `line_rate_hz`, or with 0 (unpaced) the rate at which the belt
  /// moves one pixel pitch per line (square pixels).
  double physical_line_rate_hz() const;
  /// Physics configuration for the detector of serial `serial`.
  SimulatorConfig simulator_config(const std::string& serial) const;
  /// Scene configuration for object `index` of the run.
  SceneConfig scene_config(std::uint64_t index) const;
  /// Tube settings as they travel in scan metadata.
  nlohmann::json tube_json() const;
};

}  // namespace oi::sim
