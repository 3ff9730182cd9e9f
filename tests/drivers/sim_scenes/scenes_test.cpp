// The procedural scenes: reproducibility, object lengths, ground truth against the rendered
// path lengths, the threat mix, shielding, and the step wedges.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "generators.hpp"
#include "impenetrable.hpp"
#include "scene.hpp"

namespace oi::sim {
namespace {

SceneConfig config(std::string kind, std::uint64_t seed, std::uint64_t index) {
  SceneConfig c;
  c.kind = std::move(kind);
  c.seed = seed;
  c.index = index;
  return c;
}

// Every line of a scene, [line][material * pixels + pixel].
std::vector<std::vector<float>> render_all(const Scene& scene, int pixels) {
  LinePaths line;
  line.reset(static_cast<int>(standard_materials().size()), pixels);
  std::vector<std::vector<float>> out;
  for (int y = 0; y < scene.lines(); ++y) {
    scene.render_line(y, line);
    out.push_back(line.cm);
  }
  return out;
}

nlohmann::json truth_json(const Scene& scene) {
  nlohmann::json j = nlohmann::json::array();
  for (const TruthObject& t : scene.truth()) j.push_back(t.to_json());
  return j;
}

TEST(Scenes, SameSeedAndIndexGiveTheSameScene) {
  for (const char* kind : {"parcels", "bags", "wedges"}) {
    SceneConfig c = config(kind, 42, 7);
    c.threat_rate = 1.0;
    const auto a = generate_scene(c);
    const auto b = generate_scene(c);
    ASSERT_EQ(a->lines(), b->lines()) << kind;
    EXPECT_EQ(truth_json(*a), truth_json(*b)) << kind;
    EXPECT_EQ(a->describe(), b->describe()) << kind;
    EXPECT_TRUE(render_all(*a, c.pixels) == render_all(*b, c.pixels)) << kind;
  }
}

TEST(Scenes, OtherSeedsAndIndicesGiveOtherScenes) {
  for (const char* kind : {"parcels", "bags"}) {
    const auto base = generate_scene(config(kind, 1, 0));
    const auto other_seed = generate_scene(config(kind, 2, 0));
    const auto other_index = generate_scene(config(kind, 1, 1));
    const auto pixels = render_all(*base, 1024);
    EXPECT_FALSE(pixels == render_all(*other_seed, 1024)) << kind;
    EXPECT_FALSE(pixels == render_all(*other_index, 1024)) << kind;
  }
}

TEST(Scenes, ObjectsTakeOneToThreeSecondsOfBeltTravel) {
  double shortest = 1e9, longest = 0;
  for (std::uint64_t i = 0; i < 60; ++i) {
    SceneConfig c = config(i % 2 ? "bags" : "parcels", 5, i);
    c.threat_rate = 0.5;
    const auto scene = generate_scene(c);
    const double seconds = scene->lines() * c.line_pitch_mm / (c.belt_speed_m_s * 1000.0);
    EXPECT_GE(seconds, c.min_seconds - 0.005) << "index " << i;
    EXPECT_LE(seconds, c.max_seconds + 0.005) << "index " << i;
    shortest = std::min(shortest, seconds);
    longest = std::max(longest, seconds);
  }
  // The whole range is used, not one fixed length.
  EXPECT_LT(shortest, 1.5);
  EXPECT_GT(longest, 2.5);
}

TEST(Scenes, ThreatBoxesHoldEveryPixelOfTheThreatMaterial) {
  // In an empty carton (clutter 0) every pixel of steel, lead or a narcotic belongs to a
  // threat, so it must lie inside a truth box of that material; and every box edge touches
  // such a pixel (boxes are tight).
  std::map<std::string, int> classes;
  for (std::uint64_t i = 0; i < 40; ++i) {
    SceneConfig c = config("parcels", 11, i);
    c.clutter = 0;
    c.threat_rate = 1;
    c.knives = true;
    const auto scene = generate_scene(c);
    ASSERT_FALSE(scene->truth().empty()) << "index " << i;
    const auto lines = render_all(*scene, c.pixels);
    std::set<std::string> materials;
    for (const TruthObject& t : scene->truth()) {
      ++classes[t.klass];
      materials.insert(t.material);
      EXPECT_GT(t.w, 0);
      EXPECT_GT(t.h, 0);
      EXPECT_GE(t.x, 0);
      EXPECT_GE(t.y, 0);
      EXPECT_LE(t.x + t.w, c.pixels);
      EXPECT_LE(t.y + t.h, scene->lines());
      EXPECT_GT(t.thickness_cm, 0.0);
    }
    for (const std::string& material : materials) {
      const std::size_t offset = static_cast<std::size_t>(material_index(material)) * c.pixels;
      std::vector<std::array<bool, 4>> touched(scene->truth().size(), {false, false, false, false});
      for (int y = 0; y < scene->lines(); ++y) {
        for (int x = 0; x < c.pixels; ++x) {
          if (lines[y][offset + x] < 0.02f) continue;  // grazing rays may fall outside: see kOutlineCm
          bool inside = false;
          for (std::size_t k = 0; k < scene->truth().size(); ++k) {
            const TruthObject& t = scene->truth()[k];
            if (t.material != material || x < t.x || y < t.y || x >= t.x + t.w || y >= t.y + t.h) continue;
            inside = true;
            touched[k][0] = touched[k][0] || x == t.x;
            touched[k][1] = touched[k][1] || x == t.x + t.w - 1;
            touched[k][2] = touched[k][2] || y == t.y;
            touched[k][3] = touched[k][3] || y == t.y + t.h - 1;
          }
          ASSERT_TRUE(inside) << material << " at pixel " << x << ", line " << y << " of index " << i
                              << " is outside every truth box: " << truth_json(*scene).dump();
        }
      }
      for (std::size_t k = 0; k < scene->truth().size(); ++k) {
        const TruthObject& t = scene->truth()[k];
        if (t.material != material || t.w < 3 || t.h < 3) continue;
        // A box drawn from kOutlineCm may extend a pixel beyond the 0.02 cm test threshold.
        const int edges = touched[k][0] + touched[k][1] + touched[k][2] + touched[k][3];
        EXPECT_GE(edges, 2) << "box of " << t.klass << " is loose: " << t.to_json().dump();
      }
    }
  }
  EXPECT_GT(classes["firearm"], 0);
  EXPECT_GT(classes["narcotics"], 0);
  EXPECT_GT(classes["shielding"], 0);
  EXPECT_GT(classes["knife"], 0);
}

TEST(Scenes, ThreatRateZeroGivesNoThreatsAndOneGivesThreatsEverywhere) {
  for (std::uint64_t i = 0; i < 40; ++i) {
    SceneConfig none = config(i % 2 ? "bags" : "parcels", 3, i);
    none.threat_rate = 0;
    EXPECT_TRUE(generate_scene(none)->truth().empty()) << "index " << i;
    SceneConfig all = none;
    all.threat_rate = 1;
    EXPECT_FALSE(generate_scene(all)->truth().empty()) << "index " << i;
  }
}

TEST(Scenes, DefaultMixIsMostlyClearWithEveryThreatClass) {
  int clear = 0;
  std::map<std::string, int> classes;
  for (std::uint64_t i = 0; i < 200; ++i) {
    const auto scene = generate_scene(config("parcels", 2024, i));
    clear += scene->truth().empty();
    for (const TruthObject& t : scene->truth()) ++classes[t.klass];
  }
  // threat_rate 0.2: about 160 of 200 clear.
  EXPECT_GE(clear, 140);
  EXPECT_LE(clear, 180);
  EXPECT_GT(classes["firearm"], 0);
  EXPECT_GT(classes["narcotics"], 0);
  EXPECT_GT(classes["shielding"], 0);
  EXPECT_EQ(classes["knife"], 0);  // knives only when asked for
}

TEST(Scenes, ShieldingHidesItsContents) {
  int checked = 0;
  for (std::uint64_t i = 0; i < 300 && checked < 5; ++i) {
    SceneConfig c = config("parcels", 77, i);
    c.threat_rate = 1;
    const auto scene = generate_scene(c);
    for (const TruthObject& t : scene->truth()) {
      if (t.extra.value("concealment", "") != "shielding") continue;
      EXPECT_GT(t.hidden_fraction, 0.9) << t.to_json().dump();
      ++checked;
    }
  }
  EXPECT_GE(checked, 5) << "too few shielded threats generated to check";
}

TEST(Scenes, UnshieldedThreatsInAnEmptyCartonAreNotHidden) {
  int checked = 0;
  for (std::uint64_t i = 0; i < 60; ++i) {
    SceneConfig c = config("parcels", 8, i);
    c.clutter = 0;
    c.threat_rate = 1;
    const auto scene = generate_scene(c);
    if (scene->truth().size() != 1) continue;  // two threats may lie on each other
    const TruthObject& t = scene->truth()[0];
    EXPECT_EQ(t.hidden_fraction, 0.0) << t.to_json().dump();
    ++checked;
  }
  EXPECT_GT(checked, 20);
}

TEST(Scenes, ImpenetrableRuleMatchesItsDocumentation) {
  std::vector<double> path(standard_materials().size(), 0.0);
  path[material_index("steel")] = 2.9;
  EXPECT_LT(steel_equivalent_cm(path), 3.0);
  path[material_index("steel")] = 3.1;
  EXPECT_GT(steel_equivalent_cm(path), 3.0);
  std::fill(path.begin(), path.end(), 0.0);
  // Lead: 3 cm steel is about 5 mm (the 80 keV window below lead's K-edge sets it).
  path[material_index("lead")] = 0.4;
  EXPECT_LT(steel_equivalent_cm(path), 3.0);
  path[material_index("lead")] = 0.65;
  EXPECT_GT(steel_equivalent_cm(path), 3.0);
  std::fill(path.begin(), path.end(), 0.0);
  path[material_index("water")] = 50;  // half a metre of water is still penetrable
  EXPECT_LT(steel_equivalent_cm(path), 3.0);
}

TEST(Wedges, StepsHaveTheDocumentedMaterialsAndThicknesses) {
  for (std::uint64_t index : {0u, 1u}) {
    SceneConfig c = config("wedges", 1, index);
    const auto scene = generate_scene(c);
    const auto specs = wedge_steps(index);
    ASSERT_EQ(specs[0].material, index == 0 ? "polyethylene" : "pom");
    std::size_t expected = 0;
    for (const auto& s : specs) expected += s.steps_cm.size();
    ASSERT_EQ(scene->truth().size(), expected);
    LinePaths line;
    line.reset(static_cast<int>(standard_materials().size()), c.pixels);
    std::size_t k = 0;
    for (const auto& spec : specs) {
      for (double thickness : spec.steps_cm) {
        const TruthObject& t = scene->truth()[k++];
        EXPECT_EQ(t.klass, "wedge_step");
        EXPECT_EQ(t.material, spec.material);
        EXPECT_DOUBLE_EQ(t.thickness_cm, thickness);
        EXPECT_GT(t.w, 100);
        EXPECT_GT(t.h, 30);
        // Every pixel of the box, corners included, sees exactly the step's thickness of
        // its material and nothing else.
        for (int y : {t.y, t.y + t.h / 2, t.y + t.h - 1}) {
          scene->render_line(y, line);
          for (int x : {t.x, t.x + t.w / 2, t.x + t.w - 1}) {
            for (std::size_t m = 0; m < standard_materials().size(); ++m) {
              const float expected_cm =
                  m == material_index(spec.material) ? static_cast<float>(thickness) : 0.0f;
              EXPECT_NEAR(line.of(static_cast<MaterialIndex>(m))[x], expected_cm, 1e-5)
                  << spec.material << " " << thickness << " cm at " << x << "," << y;
            }
          }
        }
      }
    }
  }
}

TEST(Wedges, AirSurroundsTheWedges) {
  const auto scene = generate_scene(config("wedges", 1, 0));
  LinePaths line;
  line.reset(static_cast<int>(standard_materials().size()), 1024);
  scene->render_line(0, line);
  EXPECT_TRUE(std::all_of(line.cm.begin(), line.cm.end(), [](float v) { return v == 0.0f; }));
  scene->render_line(scene->lines() / 2, line);
  for (std::size_t m = 0; m < standard_materials().size(); ++m) {
    EXPECT_EQ(line.of(static_cast<MaterialIndex>(m))[0], 0.0f);
  }
}

TEST(Scenes, TruthJsonHasTheAgreedFields) {
  TruthObject t;
  t.klass = "firearm";
  t.material = "steel";
  t.x = 1, t.y = 2, t.w = 3, t.h = 4;
  t.hidden_fraction = 0.25;
  t.thickness_cm = 1.5;
  t.extra = {{"shape", "pistol"}, {"class", "must not overwrite"}};
  const nlohmann::json j = t.to_json();
  EXPECT_EQ(j["class"], "firearm");
  EXPECT_EQ(j["material"], "steel");
  EXPECT_EQ(j["box"], nlohmann::json::array({1, 2, 3, 4}));
  EXPECT_EQ(j["hidden_fraction"], 0.25);
  EXPECT_EQ(j["thickness_cm"], 1.5);
  EXPECT_EQ(j["shape"], "pistol");
}

TEST(Scenes, BadConfigurationsAreClearErrors) {
  SceneConfig c;
  c.kind = "suitcases";
  try {
    generate_scene(c);
    FAIL() << "unknown kind accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("parcels, bags or wedges"), std::string::npos) << e.what();
  }
  c.kind = "parcels";
  c.min_seconds = 4;
  EXPECT_THROW(generate_scene(c), std::invalid_argument);
  c.min_seconds = 1;
  c.threat_rate = 1.5;
  EXPECT_THROW(generate_scene(c), std::invalid_argument);
}

TEST(Scenes, DescribeSaysWhatIsInTheScene) {
  SceneConfig c = config("bags", 9, 3);
  c.threat_rate = 1;
  const nlohmann::json d = generate_scene(c)->describe();
  EXPECT_EQ(d["kind"], "bags");
  EXPECT_EQ(d["seed"], 9);
  EXPECT_EQ(d["index"], 3);
  EXPECT_GT(d["items"].get<int>(), 5);
  EXPECT_FALSE(d["threats"].empty());
}

}  // namespace
}  // namespace oi::sim
