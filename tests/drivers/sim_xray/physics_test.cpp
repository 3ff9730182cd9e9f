// The simulator's physics against xraylib: reference coefficients, the tube spectrum, the
// transmission integral against an independent straightforward computation, dual-energy
// ratios, lead's K edge and beam hardening.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>

#include "dual_layer_detector.hpp"
#include "materials.hpp"
#include "simulator.hpp"
#include "spectrum.hpp"
#include "transmission.hpp"
#include "xraylib_data.hpp"

namespace oi::sim {
namespace {

SimulatorConfig quiet_config() {
  SimulatorConfig c;
  c.pixels = 16;
  c.noise = false;
  c.non_uniformity = false;
  c.threads = 1;
  return c;
}

// Log attenuation of both channels behind `cm` of material `name`.
struct LogAttenuation {
  double low = 0.0, high = 0.0;
  double ratio() const { return low / high; }
};
LogAttenuation attenuation(const TransmissionModel& model, const std::string& name, double cm) {
  const PixelSignal air = model.air();
  const PixelSignal s = model.integrate({{material_index(name), static_cast<float>(cm)}});
  return {-std::log(static_cast<double>(s.s_low) / air.s_low),
          -std::log(static_cast<double>(s.s_high) / air.s_high)};
}

// Thickness of `name` at which the high channel's log attenuation is `a_high` (bisection:
// attenuation grows monotonically with thickness).
double thickness_for_high(const TransmissionModel& model, const std::string& name, double a_high) {
  double lo = 0.0, hi = 100.0;
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (attenuation(model, name, mid).high < a_high ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

TEST(Xraylib, ReproducesNistReferenceValues) {
  // NIST XCOM: water 0.1837 cm²/g at 80 keV; iron 1.205 and 0.3717 cm²/g at 60 and 100 keV.
  EXPECT_NEAR(mass_attenuation_cm2_g("H2O", 80.0), 0.1837, 0.1837 * 0.005);
  EXPECT_NEAR(mass_attenuation_cm2_g("Fe", 60.0), 1.205, 1.205 * 0.01);
  EXPECT_NEAR(mass_attenuation_cm2_g("Fe", 100.0), 0.3717, 0.3717 * 0.01);
  EXPECT_NEAR(mass_attenuation_cm2_g("Fe", 60.0) / mass_attenuation_cm2_g("Fe", 100.0), 3.24, 0.02);
  EXPECT_NEAR(mass_attenuation_cm2_g("C17H21NO4", 60.0) / mass_attenuation_cm2_g("C17H21NO4", 100.0), 1.17,
              0.01);
  // Lead's K edge: μ jumps about fourfold across 88 keV.
  EXPECT_GT(mass_attenuation_cm2_g("Pb", 88.2) / mass_attenuation_cm2_g("Pb", 87.8), 3.5);
}

TEST(Xraylib, EveryStandardMaterialIsKnown) {
  for (const MaterialDef& m : standard_materials()) {
    SCOPED_TRACE(m.name);
    EXPECT_GT(mass_attenuation_cm2_g(m.composition, 60.0), 0.0);
  }
}

TEST(Xraylib, UnknownCompositionIsAClearError) {
  try {
    mass_attenuation_cm2_g("Xq7", 60.0);
    FAIL() << "an unknown composition must throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("Xq7"), std::string::npos) << e.what();
  }
}

TEST(Spectrum, IsBremsstrahlungUpToKvWithTungstenKLines) {
  TubeSettings tube;
  const Spectrum s = tungsten_spectrum(tube);
  ASSERT_EQ(s.grid.bins, 150);
  EXPECT_GT(s.photons[s.grid.bins - 2], 0.0);
  // The continuum falls towards kV; the K lines (Kα1 59.3 keV, Kβ1 67.2 keV) stand out of it.
  const auto bin = [&](double kev) { return static_cast<int>((kev - s.grid.min_kev) / s.grid.bin_kev); };
  EXPECT_GT(s.photons[bin(59.3)], 2.0 * s.photons[bin(62.5)]);
  EXPECT_GT(s.photons[bin(67.2)], 1.2 * s.photons[bin(64.5)]);
  EXPECT_GT(s.photons[bin(100.5)], s.photons[bin(150.5)]);
  EXPECT_GT(s.mean_energy_kev(), 45.0);
  EXPECT_LT(s.mean_energy_kev(), 80.0);
  // A plausible fluence: 160 kV, 1 mA, 1 m gives 10^6..10^8 photons per mm² per second.
  EXPECT_GT(s.total(), 1e6);
  EXPECT_LT(s.total(), 1e8);
}

TEST(Spectrum, ScalesWithCurrentAndHardensWithFiltration) {
  TubeSettings tube;
  const Spectrum one = tungsten_spectrum(tube);
  tube.ma = 2.0;
  EXPECT_NEAR(tungsten_spectrum(tube).total() / one.total(), 2.0, 1e-9);
  tube.ma = 1.0;
  tube.added_cu_mm = 0.5;
  const Spectrum hard = tungsten_spectrum(tube);
  EXPECT_LT(hard.total(), one.total());
  EXPECT_GT(hard.mean_energy_kev(), one.mean_energy_kev() + 5.0);
  tube.kv = 80.0;
  tube.added_cu_mm = 0.0;
  const Spectrum low_kv = tungsten_spectrum(tube);
  EXPECT_EQ(low_kv.grid.bins, 70);
  EXPECT_LT(low_kv.mean_energy_kev(), one.mean_energy_kev());
}

TEST(Spectrum, RefusesSettingsOutsideTheModel) {
  TubeSettings tube;
  tube.kv = 1000.0;
  EXPECT_THROW(tungsten_spectrum(tube), std::invalid_argument);
  tube.kv = 160.0;
  EXPECT_THROW(tungsten_spectrum(tube, 5.0), std::invalid_argument);
}

TEST(DualLayerDetector, FrontSeesLowEnergiesRearSeesHighOnes) {
  const EnergyGrid grid = EnergyGrid::up_to(160.0);
  const DualLayerResponse r = dual_layer_response(DualLayerDetector{}, grid);
  const int e20 = 10, e40 = 30, e120 = 110;
  EXPECT_GT(r.low.interaction[e20], 0.95);   // 0.4 mm CsI stops 20 keV
  EXPECT_LT(r.high.interaction[e20], 1e-3);  // nothing of it reaches the rear
  EXPECT_GT(r.low.interaction[e40], r.low.interaction[e120]);
  EXPECT_GT(r.high.interaction[e120], r.high.interaction[e40]);
  for (int i = 0; i < grid.bins; ++i) {
    EXPECT_LE(r.low.interaction[i] + r.high.interaction[i], 1.0 + 1e-12);
    EXPECT_LE(r.low.deposited_kev[i], grid.center(i));
  }
}

// The transmission integral done the plain way: doubles, std::exp, coefficients straight
// from xraylib, detector layers recomputed here from their definition.
double independent_transmission(const Spectrum& spectrum, const std::string& composition, double density,
                                double cm, bool high_channel) {
  const DualLayerDetector d;
  double with = 0.0, without = 0.0;
  for (int i = 0; i < spectrum.grid.bins; ++i) {
    const double e = spectrum.grid.center(i);
    const double mu_csi = mass_attenuation_cm2_g("CsI", e) * 4.51;
    const double deposited = e * mass_energy_absorption_cm2_g("CsI", e) * 4.51 / mu_csi;
    const double front = 1.0 - std::exp(-mu_csi * 0.04);
    const double rear = std::exp(-mu_csi * 0.04) * std::exp(-mass_attenuation_cm2_g("Cu", e) * 8.96 * 0.05) *
                        (1.0 - std::exp(-mu_csi * 0.3));
    const double weight = spectrum.photons[i] * (high_channel ? rear : front) * deposited;
    without += weight;
    with += weight * std::exp(-mass_attenuation_cm2_g(composition, e) * density * cm);
  }
  return with / without;
}

TEST(Transmission, MatchesAnIndependentComputationWithinOnePercent) {
  XraySimulator sim(quiet_config());
  const PixelSignal air = sim.model().air();
  struct Case {
    const char* material;
    const char* composition;
    double density, cm;
  };
  for (const Case& c : {Case{"water", "H2O", 1.0, 1.0}, Case{"steel", "Fe", 7.87, 0.2}}) {
    SCOPED_TRACE(c.material);
    const PixelSignal s = sim.model().integrate({{material_index(c.material), static_cast<float>(c.cm)}});
    const double low = independent_transmission(sim.spectrum(), c.composition, c.density, c.cm, false);
    const double high = independent_transmission(sim.spectrum(), c.composition, c.density, c.cm, true);
    EXPECT_NEAR(s.s_low / air.s_low, low, 0.01 * low);
    EXPECT_NEAR(s.s_high / air.s_high, high, 0.01 * high);
    // Sanity of the scale: 1 cm water passes most, 2 mm steel far less.
    EXPECT_LT(low, high);
  }
}

TEST(Transmission, FinerEnergyBinsChangeLittle) {
  SimulatorConfig fine = quiet_config();
  fine.bin_kev = 0.5;
  SimulatorConfig coarse = quiet_config();
  coarse.bin_kev = 2.0;
  XraySimulator a(fine), b(coarse), c(quiet_config());
  for (const char* m : {"water", "aluminium", "steel", "lead"}) {
    SCOPED_TRACE(m);
    const double cm = std::string(m) == "lead" ? 0.1 : 1.0;
    const auto ref = attenuation(a.model(), m, cm);
    for (XraySimulator* sim : {&b, &c}) {
      const auto got = attenuation(sim->model(), m, cm);
      EXPECT_NEAR(std::exp(-got.low), std::exp(-ref.low), 0.01 * std::exp(-ref.low));
      EXPECT_NEAR(std::exp(-got.high), std::exp(-ref.high), 0.01 * std::exp(-ref.high));
    }
  }
}

TEST(Transmission, StacksAndRepeatedNeighboursAreExact) {
  XraySimulator sim(quiet_config());
  const TransmissionModel& model = sim.model();
  // A stack equals the product of its layers' transmissions per energy, so it must equal the
  // integral of the summed attenuation, not the product of channel transmissions.
  LinePaths paths;
  paths.reset(model.materials(), 4);
  paths.of(material_index("water"))[0] = 2.0f;
  paths.of(material_index("water"))[1] = 2.0f;  // same as pixel 0: reused
  paths.of(material_index("water"))[2] = 2.0f;
  paths.of(material_index("steel"))[2] = 0.1f;  // differs: computed
  std::vector<PixelSignal> out;
  model.integrate_line(paths, out);
  EXPECT_EQ(out[0].s_low, out[1].s_low);
  EXPECT_LT(out[2].s_low, out[1].s_low);
  EXPECT_EQ(out[3].s_low, model.air().s_low);
  const PixelSignal stack =
      model.integrate({{material_index("water"), 2.0f}, {material_index("steel"), 0.1f}});
  EXPECT_FLOAT_EQ(out[2].s_high, stack.s_high);
}

TEST(DualEnergy, RatioOrdersPolyethyleneAluminiumSteelAtEqualHighAttenuation) {
  XraySimulator sim(quiet_config());
  for (double a_high : {0.3, 1.0, 2.0}) {
    SCOPED_TRACE("A_high = " + std::to_string(a_high));
    const auto pe =
        attenuation(sim.model(), "polyethylene", thickness_for_high(sim.model(), "polyethylene", a_high));
    const auto al =
        attenuation(sim.model(), "aluminium", thickness_for_high(sim.model(), "aluminium", a_high));
    const auto fe = attenuation(sim.model(), "steel", thickness_for_high(sim.model(), "steel", a_high));
    EXPECT_NEAR(pe.high, a_high, 1e-3);
    EXPECT_LT(pe.ratio(), al.ratio());
    EXPECT_LT(al.ratio(), fe.ratio());
    EXPECT_GT(pe.ratio(), 1.0);
  }
}

TEST(DualEnergy, LeadsKEdgeInvertsTheRatio) {
  // Photoelectric absorption grows as Z^3-4, so without the K edge lead (Z = 82) would have the
  // largest low/high ratio of all. Above 88 keV it absorbs the high channel's photons far more
  // than below, which pulls its ratio under iron's (Z = 26).
  XraySimulator sim(quiet_config());
  for (double a_high : {1.0, 2.0, 3.0}) {
    SCOPED_TRACE("A_high = " + std::to_string(a_high));
    const auto pb = attenuation(sim.model(), "lead", thickness_for_high(sim.model(), "lead", a_high));
    const auto fe = attenuation(sim.model(), "steel", thickness_for_high(sim.model(), "steel", a_high));
    EXPECT_LT(pb.ratio(), fe.ratio());
  }
  // The same comparison at two single energies below the edge (60/80 keV) would order them by
  // Z; that is what the polychromatic integral must not do.
  const double pb_single = mass_attenuation_cm2_g("Pb", 60.0) / mass_attenuation_cm2_g("Pb", 80.0);
  const double fe_single = mass_attenuation_cm2_g("Fe", 60.0) / mass_attenuation_cm2_g("Fe", 80.0);
  EXPECT_GT(pb_single, fe_single);
}

TEST(BeamHardening, AttenuationGrowsWithThicknessSubLinearly) {
  XraySimulator sim(quiet_config());
  for (const char* m : {"water", "aluminium", "steel"}) {
    SCOPED_TRACE(m);
    const double base = std::string(m) == "steel" ? 0.1 : 1.0;
    double previous_low = 0.0, previous_high = 0.0, previous_ratio = 1e9;
    for (double k : {1.0, 2.0, 4.0, 8.0}) {
      const auto a = attenuation(sim.model(), m, base * k);
      const auto half = attenuation(sim.model(), m, base * k / 2.0);
      EXPECT_GT(a.low, previous_low);
      EXPECT_GT(a.high, previous_high);
      // Strictly less than twice, beyond float rounding (thin water hardens the high channel's
      // beam by well under 1 %, so the margin is absolute).
      EXPECT_LT(a.low, 2.0 * half.low - 1e-5) << "at " << base * k << " cm";
      EXPECT_LT(a.high, 2.0 * half.high - 1e-5) << "at " << base * k << " cm";
      // The harder beam behind more material also lowers the ratio (why scanners calibrate R
      // against A_high on step wedges).
      EXPECT_LT(a.ratio(), previous_ratio);
      previous_low = a.low;
      previous_high = a.high;
      previous_ratio = a.ratio();
    }
    // Over a factor 16 in thickness the hardening adds up to a clear effect in the low channel;
    // the rear layer sees a beam already hardened by the front layer and the copper, and
    // water's Compton-dominated attenuation hardly changes over its energies.
    const auto thin = attenuation(sim.model(), m, base / 2.0),
               thick = attenuation(sim.model(), m, base * 8.0);
    EXPECT_LT(thick.low, 16.0 * thin.low * 0.95);
    EXPECT_LT(thick.high, 16.0 * thin.high * 0.998);
  }
}

}  // namespace
}  // namespace oi::sim
