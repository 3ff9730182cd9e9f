// The detector model: determinism by seed, Poisson statistics on flat fields, dark and air
// references, the fixed pattern (gain, offset, dead pixels) and 16-bit saturation.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "simulator.hpp"
#include "tiny_scene.hpp"

namespace oi::sim {
namespace {

struct Image {
  int width = 0, height = 0;
  std::vector<std::uint16_t> low, high;
  Image(int w, int h) : width(w), height(h), low(static_cast<std::size_t>(w) * h), high(low.size()) {}
  RowsU16 low_rows() { return {low.data(), static_cast<std::size_t>(width)}; }
  RowsU16 high_rows() { return {high.data(), static_cast<std::size_t>(width)}; }
  const std::vector<std::uint16_t>& channel(int c) const { return c == 0 ? low : high; }
};

SimulatorConfig small_config(int pixels = 128) {
  SimulatorConfig c;
  c.pixels = pixels;
  c.threads = 1;
  return c;
}

Image render(XraySimulator& sim, const Scene& scene, std::uint64_t stream = 1) {
  Image img(sim.config().pixels, scene.lines());
  sim.render(scene, 0, scene.lines(), stream, img.low_rows(), img.high_rows());
  return img;
}

// Flat field: `lines` lines of `cm` of `material` over every pixel.
class FlatScene final : public Scene {
 public:
  FlatScene(int lines, MaterialIndex material, float cm) : lines_(lines), material_(material), cm_(cm) {}
  int lines() const override { return lines_; }
  void render_line(int, LinePaths& out) const override {
    if (cm_ <= 0.0f) return;
    float* row = out.of(material_);
    for (int x = 0; x < out.pixels; ++x) row[x] = cm_;
  }
  const std::vector<TruthObject>& truth() const override { return truth_; }
  nlohmann::json describe() const override { return {{"kind", "flat"}}; }

 private:
  int lines_;
  MaterialIndex material_;
  float cm_;
  std::vector<TruthObject> truth_;
};

TEST(Determinism, SameSeedSamePixelsWhateverTheThreads) {
  const test::TinyScene scene(128, 64);
  SimulatorConfig one = small_config();
  SimulatorConfig two = small_config();
  two.threads = 2;
  XraySimulator a(one), b(two), c(one);
  const Image x = render(a, scene), y = render(b, scene), z = render(c, scene);
  EXPECT_EQ(x.low, y.low);
  EXPECT_EQ(x.high, y.high);
  EXPECT_EQ(x.low, z.low);
  SimulatorConfig other = small_config();
  other.seed = 2;
  XraySimulator d(other);
  EXPECT_NE(render(d, scene).low, x.low) << "another seed must give other noise";
  EXPECT_NE(render(a, scene, 2).low, x.low) << "another stream (scan) must give other noise";
}

TEST(Determinism, TheFixedPatternBelongsToTheSerial) {
  SimulatorConfig c = small_config(512);
  XraySimulator a(c);
  c.seed = 99;
  XraySimulator b(c);
  c.serial = "other-unit";
  XraySimulator other(c);
  EXPECT_EQ(a.pixel_map().dead_pixels(1), b.pixel_map().dead_pixels(1));
  EXPECT_EQ(a.pixel_map().gain(0, 7), b.pixel_map().gain(0, 7));
  EXPECT_NE(a.pixel_map().gain(0, 7), other.pixel_map().gain(0, 7));
  EXPECT_EQ(a.pixel_map().dead_pixels(0).size(), 3u);
}

// Per-pixel mean and variance over the lines of a flat field, channel c.
struct PixelStats {
  std::vector<double> mean, variance;
};
PixelStats stats(const Image& img, int c) {
  PixelStats s;
  s.mean.assign(img.width, 0.0);
  s.variance.assign(img.width, 0.0);
  const auto& data = img.channel(c);
  for (int x = 0; x < img.width; ++x) {
    double sum = 0.0, sum2 = 0.0;
    for (int y = 0; y < img.height; ++y) {
      const double v = data[static_cast<std::size_t>(y) * img.width + x];
      sum += v;
      sum2 += v * v;
    }
    s.mean[x] = sum / img.height;
    s.variance[x] = (sum2 - sum * s.mean[x]) / (img.height - 1);
  }
  return s;
}

// Variance per DN of signal above the dark level, gain divided out, averaged over live
// pixels: (var - read²) / (g_x · (mean - dark_x)). Poisson statistics make it a constant
// (G_c·E_w) for a given spectrum behind the object, whatever the flux.
double variance_per_signal(const XraySimulator& sim, const Image& img, int c) {
  const PixelStats s = stats(img, c);
  const double read2 = std::pow(sim.config().electronics.read_noise_dn, 2);
  double sum = 0.0;
  int n = 0;
  for (int x = 0; x < img.width; ++x) {
    if (sim.pixel_map().dead(c, x)) continue;
    const double g = sim.pixel_map().gain(c, x);
    sum += (s.variance[x] - read2) / (g * (s.mean[x] - sim.pixel_map().dark_dn(c, x)));
    ++n;
  }
  return sum / n;
}

TEST(PoissonStatistics, VarianceIsProportionalToTheMeanOnFlatFields) {
  const FlatScene air(600, 0, 0.0f);
  std::vector<double> ratio[2];
  std::vector<double> means;
  for (double ma : {0.1, 0.3, 1.0}) {
    SimulatorConfig c = small_config();
    c.tube.ma = ma;
    XraySimulator sim(c);
    const Image img = render(sim, air);
    for (int ch = 0; ch < 2; ++ch) ratio[ch].push_back(variance_per_signal(sim, img, ch));
    // Expected constant: G_c·E_w = G_c·V/S of the air spectrum.
    const PixelSignal a = sim.model().air();
    EXPECT_NEAR(ratio[0].back(), sim.dn_per_kev(0) * a.v_low / a.s_low, 0.04 * ratio[0].back())
        << ma << " mA";
    EXPECT_NEAR(ratio[1].back(), sim.dn_per_kev(1) * a.v_high / a.s_high, 0.04 * ratio[1].back())
        << ma << " mA";
  }
  for (int ch = 0; ch < 2; ++ch) {
    EXPECT_NEAR(ratio[ch][0], ratio[ch][2], 0.05 * ratio[ch][2]) << "channel " << ch;
    EXPECT_NEAR(ratio[ch][1], ratio[ch][2], 0.05 * ratio[ch][2]) << "channel " << ch;
  }
}

TEST(PoissonStatistics, HoldsForFewQuantaBehindThickSteel) {
  // Behind 3 cm of steel only a few quanta per pixel remain: the exact Poisson branch.
  SimulatorConfig c = small_config();
  c.electronics.read_noise_dn = 0.5;  // keep the quantum noise visible
  XraySimulator sim(c);
  const PixelSignal s = sim.model().integrate({{material_index("steel"), 3.0f}});
  const double quanta = static_cast<double>(s.s_high) * s.s_high / s.v_high;
  ASSERT_LT(quanta, 12.0) << "the case must exercise the exact (small-mean) branch";
  ASSERT_GT(quanta, 1.0);
  const Image img = render(sim, FlatScene(2000, material_index("steel"), 3.0f));
  const double expected = sim.dn_per_kev(1) * s.v_high / s.s_high;
  EXPECT_NEAR(variance_per_signal(sim, img, 1), expected, 0.1 * expected);
}

TEST(References, DarkIsOffsetAndReadNoiseAirIsFullFluxThroughTheGains) {
  SimulatorConfig c = small_config(256);
  XraySimulator sim(c);
  Image dark(256, 400), air(256, 400);
  sim.reference(false, 400, 0, dark.low_rows(), dark.high_rows());
  sim.reference(true, 400, 0, air.low_rows(), air.high_rows());
  for (int ch = 0; ch < 2; ++ch) {
    SCOPED_TRACE(ch == 0 ? "low" : "high");
    const PixelStats d = stats(dark, ch), a = stats(air, ch);
    const double air_signal =
        sim.dn_per_kev(ch) * (ch == 0 ? sim.model().air().s_low : sim.model().air().s_high);
    double read_variance = 0.0, gain_spread = 0.0;
    for (int x = 0; x < 256; ++x) {
      EXPECT_NEAR(d.mean[x], sim.pixel_map().dark_dn(ch, x), 1.0);
      read_variance += d.variance[x] / 256;
      if (sim.pixel_map().dead(ch, x)) {
        EXPECT_NEAR(a.mean[x], d.mean[x], 1.0) << "a dead pixel sees no X-rays";
        continue;
      }
      const double expected = sim.pixel_map().dark_dn(ch, x) + sim.pixel_map().gain(ch, x) * air_signal;
      EXPECT_NEAR(a.mean[x], expected, 0.005 * expected);
      gain_spread += std::pow(a.mean[x] / (air_signal + 400) - 1.0, 2) / 256;
    }
    EXPECT_NEAR(std::sqrt(read_variance), c.electronics.read_noise_dn, 0.3);
    // Air differs from pixel to pixel by the gain non-uniformity (3 %), not only by noise.
    EXPECT_GT(std::sqrt(gain_spread), 0.015);
    EXPECT_GT(air_signal, 0.4 * 65535);
    EXPECT_LT(air_signal, 0.7 * 65535);
  }
}

TEST(Saturation, ClipsAt16Bits) {
  SimulatorConfig c = small_config();
  c.tube.ma = 3.0;  // three times the current the gains were set for
  XraySimulator sim(c);
  Image air(128, 4);
  sim.reference(true, 4, 0, air.low_rows(), air.high_rows());
  int saturated = 0;
  for (std::uint16_t v : air.high) saturated += v == 65535;
  EXPECT_GT(saturated, 120 * 4);
}

TEST(Scene, AnObjectAttenuatesLowMoreThanHighAndLeadHidesWhatIsBehind) {
  SimulatorConfig c = small_config(128);
  c.noise = false;
  c.non_uniformity = false;
  XraySimulator sim(c);
  const test::TinyScene scene(128, 64);
  const Image img = render(sim, scene);
  const double dark = sim.pixel_map().dark_dn(0, 0);
  auto a = [&](int ch, int x, int y) {
    const double v = img.channel(ch)[static_cast<std::size_t>(y) * 128 + x] - dark;
    const double air = sim.dn_per_kev(ch) * (ch == 0 ? sim.model().air().s_low : sim.model().air().s_high);
    return -std::log(v / air);
  };
  EXPECT_NEAR(a(0, 2, 5), 0.0, 1e-3);         // empty belt
  EXPECT_GT(a(0, 100, 5), a(1, 100, 5));      // water: low attenuated more
  EXPECT_GT(a(1, 72, 32), a(1, 100, 5) + 2);  // lead disc
}

}  // namespace
}  // namespace oi::sim
