// risk.declaration's parts, by hand: the declaration store (CSV and JSON lines, malformed and
// duplicate lines reported with file:line and never joined, lines added later read on), the
// scan measurement on hand-made planes, the rules and their score; and the simulated clearance
// system's declarations (deterministic, lie rate honoured).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "declaration_store.hpp"
#include "declarations.hpp"
#include "oi/error.hpp"
#include "oi/xray/contract.hpp"
#include "risk_rules.hpp"
#include "scratch.hpp"

namespace oi {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

bool has(const std::vector<std::string>& problems, const std::string& text) {
  for (const std::string& p : problems)
    if (p.find(text) != std::string::npos) return true;
  return false;
}

TEST(DeclarationStore, CsvLinesAreJoinedAndBadOnesReportedWithFileAndLine) {
  const fs::path dir = test::scratch_dir("risk", "csv");
  const fs::path file = dir / "declarations.csv";
  std::ofstream(file) << "declaration_id,scan_id,goods,weight_kg\n"
                         "D-1,1,Clothing,2.5\n"
                         "D-2,2,books,heavy\n"
                         "D-3,3,food\n"
                         "D-4,,food,1.0\n"
                         "D-1,5,food,1.0\n"
                         "D-6,1,food,1.0\n"
                         "\"D-7\",7,\"tools, hand\",3\n";
  risk::DeclarationStore store(dir / "store.sqlite", "scan_id");
  const std::vector<std::string> problems = store.import_new(file);
  EXPECT_EQ(problems.size(), 5u);
  const std::string at = file.string() + ":";
  EXPECT_TRUE(has(problems, at + "3: weight_kg \"heavy\" is not a number")) << problems[0];
  EXPECT_TRUE(has(problems, at + "4: 3 fields where the header has 4"));
  EXPECT_TRUE(has(problems, at + "5: scan_id is missing"));
  EXPECT_TRUE(has(problems, at + "6: duplicate declaration (id D-1"));
  EXPECT_TRUE(has(problems, at + "7: duplicate declaration"));
  EXPECT_EQ(store.size(), 2u);
  const auto one = store.find("1");
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->id, "D-1");
  EXPECT_EQ(one->goods, "clothing");
  EXPECT_DOUBLE_EQ(one->weight_kg, 2.5);
  EXPECT_EQ(one->source, at + "2");
  EXPECT_EQ(store.find("7")->goods, "tools, hand");
  EXPECT_FALSE(store.find("2").has_value());

  // A line added later (and one still being written) is read on the next import.
  std::ofstream(file, std::ios::app) << "D-8,8,books,1.5\nD-9,9,bo";
  EXPECT_TRUE(store.import_new(file).empty());
  EXPECT_TRUE(store.find("8").has_value());
  EXPECT_FALSE(store.find("9").has_value());
  std::ofstream(file, std::ios::app) << "oks,1.0\n";
  EXPECT_TRUE(store.import_new(file).empty());
  EXPECT_EQ(store.find("9")->goods, "books");

  // A complete file may end without a newline (read as at the start of a run).
  std::ofstream(dir / "last.csv") << "declaration_id,scan_id,goods,weight_kg\nD-20,20,food,1.0";
  EXPECT_TRUE(store.import_new(dir / "last.csv", true).empty());
  EXPECT_TRUE(store.find("20").has_value());

  std::ofstream(dir / "no_key.csv") << "declaration_id,goods,weight_kg\nD-1,food,1\n";
  EXPECT_THROW(store.import_new(dir / "no_key.csv"), Error);
  EXPECT_THROW(store.import_new(dir / "missing.csv"), Error);
}

TEST(DeclarationStore, JsonLinesCarryTheirTruth) {
  const fs::path dir = test::scratch_dir("risk", "jsonl");
  const fs::path file = dir / "declarations.jsonl";
  std::ofstream(file)
      << R"({"declaration_id":"D-1","barcode":"PX1","goods":"documents","weight_kg":0.2,"truth":{"honest":true}})"
      << "\nnot json\n"
      << R"({"declaration_id":"D-2","barcode":"PX2","goods":"food","weight_kg":-1})"
      << "\n";
  risk::DeclarationStore store(dir / "store.sqlite", "barcode");
  const std::vector<std::string> problems = store.import_new(file);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_TRUE(has(problems, file.string() + ":2: not a JSON object"));
  EXPECT_TRUE(has(problems, file.string() + ":3: weight_kg -1"));
  EXPECT_EQ(store.find("PX1")->truth["honest"], true);
}

TEST(RiskRules, MeasureFlagsAndScoreByHand) {
  // 4 x 1 pixels: empty, organic 2 g/cm², metal 1 g/cm², impenetrable 1 g/cm²; 0.1 cm pixels.
  Plane density = Plane::allocate(PixelFormat::kF32, 4, 1);
  Plane classes = Plane::allocate(PixelFormat::kU8, 4, 1);
  const float d[4] = {5.0f, 2.0f, 1.0f, 1.0f};
  const std::uint8_t c[4] = {0, 1, 3, 4};
  for (int x = 0; x < 4; ++x) {
    density.row<float>(0)[x] = d[x];
    classes.row<std::uint8_t>(0)[x] = c[x];
  }
  const risk::ScanMeasure m = risk::measure_scan(density, classes, 0.01, 2.0);
  EXPECT_DOUBLE_EQ(m.mass_kg, 4.0 * 0.01 * 2.0 / 1000.0);
  EXPECT_DOUBLE_EQ(m.metal_fraction, 0.5);

  risk::RiskRules rules;  // tolerance 0.3, metal 0.25, documents 1 kg
  risk::ScanMeasure scan{10.0, 0.4};
  risk::Declaration honest_tools{"D-1", "1", "tools", 9.5, nullptr, "f:1"};
  EXPECT_TRUE(risk::assess(honest_tools, scan, rules).flags.empty());
  risk::Declaration light_clothing{"D-2", "2", "clothing", 5.0, nullptr, "f:2"};
  const risk::Risk r = risk::assess(light_clothing, scan, rules);
  ASSERT_EQ(r.flags, (std::vector<std::string>{"weight", "metal_in_organic_goods"}));
  EXPECT_NEAR(r.score, 1.0 - 0.4 * 0.3, 1e-12);
  EXPECT_EQ(r.reasons[0], "declared 5.00 kg, the scan shows about 10.00 kg (areal density)");
  EXPECT_EQ(r.reasons[1], "declared clothing, but 40 % of the mass is metal");
  risk::Declaration heavy_docs{"D-3", "3", "documents", 9.0, nullptr, "f:3"};
  EXPECT_EQ(risk::assess(heavy_docs, {2.0, 0.0}, rules).flags, (std::vector<std::string>{"dense_documents"}));
  EXPECT_TRUE(risk::assess(heavy_docs, {0.9, 0.0}, rules).flags.empty());
  // Heavier on paper than in the scan is not a contradiction the rules flag.
  risk::Declaration heavy_food{"D-4", "4", "food", 30.0, nullptr, "f:4"};
  EXPECT_TRUE(risk::assess(heavy_food, {10.0, 0.0}, rules).flags.empty());
  const risk::Risk none = risk::assess(std::nullopt, scan, rules);
  EXPECT_EQ(none.flags, (std::vector<std::string>{"no_declaration"}));
  EXPECT_DOUBLE_EQ(none.score, 0.5);
}

TEST(SimulatedDeclarations, AreDeterministicAndLieAtTheirRate) {
  const json scene = {
      {"contents", {{"total_g", 4000.0}, {"metal_g", 1000.0}, {"organic_g", 3000.0}, {"inorganic_g", 0.0}}}};
  EXPECT_EQ(sim::simulate_declaration(scene, 7, 3, 4, 0.5), sim::simulate_declaration(scene, 7, 3, 4, 0.5));
  int lies = 0;
  for (std::uint64_t i = 0; i < 400; ++i) {
    const json d = sim::simulate_declaration(scene, 7, i, i + 1, 0.25);
    EXPECT_EQ(d["scan_id"], i + 1);
    if (!d["truth"]["honest"].get<bool>()) {
      ++lies;
      const std::string lie = d["truth"]["lie"];
      if (lie == "weight") EXPECT_LT(d["weight_kg"].get<double>(), 4.0 * 0.56);
      if (lie == "goods") EXPECT_EQ(d["goods"], "clothing");
      if (lie == "documents") EXPECT_EQ(d["goods"], "documents");
    } else {
      EXPECT_NEAR(d["weight_kg"].get<double>(), 4.0, 0.41);
    }
  }
  EXPECT_GT(lies, 70);
  EXPECT_LT(lies, 130);
  EXPECT_TRUE(sim::simulate_declaration(scene, 7, 1, 2, 0.0)["truth"]["honest"].get<bool>());
  EXPECT_FALSE(sim::simulate_declaration(scene, 7, 1, 2, 1.0)["truth"]["honest"].get<bool>());
}

}  // namespace
}  // namespace oi
