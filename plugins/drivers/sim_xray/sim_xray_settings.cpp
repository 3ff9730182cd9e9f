#include "sim_xray_settings.hpp"

#include <utility>

#include "oi/hal/xray_scanner.hpp"

namespace oi::sim {

void SimXraySettings::declare(hal::DeviceSpec& spec, hal::DeviceSpec::Apply tube_changed) {
  hal::ScannerParams standard(spec);
  spec.param("scene", scene)
      .one_of({"parcels", "bags", "wedges"})
      .describe(
          "What passes through the tunnel: `parcels` (boxes with clutter), `bags` (soft bags with "
          "clutter), both with threats at `threat_rate`; `wedges` (step wedges of reference materials "
          "for calibrating material classification).");
  spec.param("seed", seed)
      .min(0)
      .describe("Seed of the scenes and the noise: the same seed gives the same scans, pixel for pixel.");
  spec.param("scans", scans)
      .min(0)
      .describe("Objects to scan before end of stream; 0 = endless, like a real scanner.");
  standard.source_kv(source_kv, tube_changed)
      .range(80.0, 160.0)
      .describe("Tube voltage (tungsten anode); may change while scanning.");
  standard.source_ma(source_ma, std::move(tube_changed))
      .range(0.05, 5.0)
      .describe(
          "Tube current; signal and quantum noise scale with it. Detector gains are set so that air "
          "at 160 kV and 1 mA reads 55 % of the 16-bit range, so above about 1.8 mA air saturates.");
  standard.pixels_per_line(pixels_per_line)
      .range(16, 4096)
      .describe("Detector pixels per line (real baggage and parcel scanners: about 600-2000).");
  standard.line_rate_hz(line_rate_hz)
      .range(0.0, 100000.0)
      .describe(
          "Lines per second, paced like a moving belt (sets the integration time and the line pitch "
          "belt_speed / line_rate); 0 = as fast as possible, simulating the belt at belt_speed / "
          "pixel_pitch lines per second.");
  spec.param("threat_rate", threat_rate)
      .range(0.0, 1.0)
      .describe(
          "Probability that an object carries at least one threat (firearm, narcotics, shielding, "
          "optionally knife).");
  standard.lines_per_block(lines_per_block)
      .range(1, 4096)
      .describe("Lines K per scan block; an object's last block holds what is left of it.");
  standard.pixel_pitch_mm(pixel_pitch_mm)
      .range(0.2, 5.0)
      .describe("Detector pixel size (square pixels: also the slit width along the belt).");
  standard.belt_speed_m_s(belt_speed_m_s)
      .range(0.05, 2.0)
      .describe("Conveyor speed; each object takes 1-3 s of belt travel.");
  spec.param("filtration_al_mm", filtration_al_mm)
      .range(0.0, 20.0)
      .unit("mm")
      .describe("Added aluminium filter at the tube, on top of 1 mm Al-equivalent inherent filtration.");
  spec.param("filtration_cu_mm", filtration_cu_mm)
      .range(0.0, 5.0)
      .unit("mm")
      .describe("Added copper filter at the tube (hardens the beam).");
  spec.param("clutter", clutter)
      .range(0.0, 5.0)
      .describe("Clutter density factor of parcels and bags (0 = empty containers).");
  spec.param("overlap", overlap).range(0.0, 5.0).describe("How much items pile up along the beam (factor).");
  spec.param("knives", knives).describe("Also generate knives as threats.");
  spec.param("declarations", declarations)
      .describe(
          "File (JSON lines) the simulated clearance system writes each parcel's customs declaration to as "
          "the parcel is scanned: declaration_id, scan_id, goods, weight_kg, and the truth (honest, or which "
          "lie: weight, goods, documents); empty = none. risk.declaration joins them to the scans.");
  spec.param("declaration_lie_rate", declaration_lie_rate)
      .range(0.0, 1.0)
      .describe(
          "Share of declarations that misstate the parcel (under-declared weight, metal goods declared "
          "as clothing, a dense parcel declared as documents).");
  spec.param("noise", noise)
      .describe(
          "Poisson quantum noise and electronic noise; false gives the mean signal (tests, ground truth).");
  spec.param("non_uniformity", non_uniformity)
      .describe(
          "Per-pixel gain and offset non-uniformity, dark current and dead pixels (fixed per serial "
          "number, as on a real detector board).");
  spec.param("dead_pixels", dead_pixels)
      .range(0, 64)
      .describe("Dead pixels per channel when non_uniformity is on.");
  spec.param("energy_bin_kev", energy_bin_kev)
      .range(0.25, 2.0)
      .unit("keV")
      .describe("Energy bin width of the spectrum integral (finer is slower).");
  spec.param("threads", threads)
      .range(1, 16)
      .describe(
          "Threads that render the lines of each block (results do not depend on it). The next "
          "object's scene is generated on a thread of its own meanwhile, so on a 2-core machine 1 is "
          "fastest; more helps on more cores.");
}

double SimXraySettings::physical_line_rate_hz() const {
  return line_rate_hz > 0.0 ? line_rate_hz : belt_speed_m_s * 1000.0 / pixel_pitch_mm;
}

SimulatorConfig SimXraySettings::simulator_config(const std::string& serial) const {
  SimulatorConfig c;
  c.tube.kv = source_kv;
  c.tube.ma = source_ma;
  c.tube.added_al_mm = filtration_al_mm;
  c.tube.added_cu_mm = filtration_cu_mm;
  c.electronics.dead_pixels = dead_pixels;
  c.pixels = pixels_per_line;
  c.pixel_pitch_mm = pixel_pitch_mm;
  c.integration_s = 1.0 / physical_line_rate_hz();
  c.bin_kev = energy_bin_kev;
  c.noise = noise;
  c.non_uniformity = non_uniformity;
  c.serial = serial;
  c.seed = seed;
  c.threads = threads;
  return c;
}

SceneConfig SimXraySettings::scene_config(std::uint64_t index) const {
  SceneConfig s;
  s.kind = scene;
  s.seed = seed;
  s.index = index;
  s.pixels = pixels_per_line;
  s.pixel_pitch_mm = pixel_pitch_mm;
  s.line_pitch_mm = belt_speed_m_s * 1000.0 / physical_line_rate_hz();
  s.threat_rate = threat_rate;
  s.clutter = clutter;
  s.overlap = overlap;
  s.knives = knives;
  s.min_seconds = 1.0;
  s.max_seconds = 3.0;
  s.belt_speed_m_s = belt_speed_m_s;
  return s;
}

nlohmann::json SimXraySettings::tube_json() const {
  return {{"anode", "W"},
          {"kv", source_kv},
          {"ma", source_ma},
          {"inherent_filtration_al_mm", TubeSettings{}.inherent_al_mm},
          {"filtration_al_mm", filtration_al_mm},
          {"filtration_cu_mm", filtration_cu_mm}};
}

}  // namespace oi::sim
