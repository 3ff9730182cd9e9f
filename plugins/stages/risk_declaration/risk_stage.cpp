// risk.declaration: joins each scan to its customs declaration (CSV or JSON lines, kept in a
// SQLite store) and flags what the scan contradicts: a declared weight far from the mass the
// areal density shows, organic goods with a metal share, dense "documents", no declaration at
// all. The declaration and a risk score with its reasons go on the frame (attributes
// `declaration` and `risk`) for the report, the ledger and the events. docs/integration.md,
// "Declarations and risk".
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "declaration_store.hpp"
#include "oi/files.hpp"
#include "oi/plugin.hpp"
#include "oi/xray/contract.hpp"
#include "risk_rules.hpp"

namespace fs = std::filesystem;

namespace oi::risk {
namespace {

class RiskDeclaration final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.describe(
        "Joins every scan to its customs declaration and flags what the scan contradicts: `weight` (the "
        "declared weight is below the mass the areal density shows by more than weight_tolerance), "
        "`metal_in_organic_goods` (clothing, books, food, documents, textiles or toys with a metal share "
        "above "
        "metal_fraction_max), `dense_documents` (documents heavier than documents_max_kg), `no_declaration`. "
        "Declarations come from a CSV (header declaration_id, <key>, goods, weight_kg) or JSON-lines file "
        "and are "
        "kept in a SQLite store; lines added to the file while the lane runs are read when a scan has no "
        "declaration yet. Malformed, incomplete or duplicate lines are reported with file:line, counted and "
        "never joined. Sets attributes `declaration` {id, goods, weight_kg, source} (or {found: false}) and "
        "`risk` {score, flags, reasons, measured}. Simulated declarations (sim.xray `declarations`) carry "
        "their "
        "truth: the summary then gives the flags' precision and recall. See docs/integration.md.");
    spec.input("in", PortType::of(oi::xray::frame_kind::kScan),
               "scans with areal_density and material_class");
    spec.output("out", PortType::of(oi::xray::frame_kind::kScan),
                "the same scans with `declaration` and `risk`");
    spec.param("declarations", declarations_)
        .describe("Declarations file (.csv or JSON lines); empty: none.");
    spec.param("store", store_).without_default().describe("SQLite file that keeps the declarations.");
    spec.param("key", key_)
        .one_of({"scan_id", "barcode", "container"})
        .describe("Join key: the scan id, or the scan's attribute `barcode` or `container`.");
    spec.param("weight_tolerance", rules_.weight_tolerance)
        .range(0.0, 10.0)
        .describe("Share by which the declared weight may fall short of the measured mass.");
    spec.param("metal_fraction_max", rules_.metal_fraction_max)
        .range(0.0, 1.0)
        .describe("Metal share of the mass above which organic goods are flagged.");
    spec.param("documents_max_kg", rules_.documents_max_kg)
        .min(0.0)
        .unit("kg")
        .describe("Heaviest plausible documents.");
    spec.param("mass_scale", mass_scale_)
        .range(0.01, 100.0)
        .describe("Factor from the summed areal density estimate to mass (fitted on tuning seeds).");
  }

  // A declarations file not there yet may still be written (the clearance system, sim.xray's
  // `declarations`); one that is there but may not be read, or a folder, is found here, so
  // `oi validate` reports it with the node's position.
  std::vector<std::string> validate(const StageConfig&) const override {
    if (declarations_.empty()) return {};
    if (auto problem = oi::input_file_problem(declarations_); problem && *problem != "does not exist")
      return {"`declarations` " + declarations_.string() + " " + *problem};
    return {};
  }

  void start(const StageConfig& config) override {
    name_ = config.name;
    store_db_ = std::make_unique<DeclarationStore>(store_, key_);
    import(/*take_last_line=*/true);  // the file as it is at start is complete
  }

  Status process(StageContext& ctx) override {
    FramePtr frame = ctx.take(0);
    if (!frame) return Status::ok();
    if (auto whole = oi::xray::not_a_whole_scan(*frame, "risk.declaration")) return Status::error(*whole);
    const FrameMetadata& m = frame->metadata();
    if (m.attributes.contains(xray::attr::kCalibration)) {
      ctx.emit(0, std::move(frame));
      return Status::ok();
    }
    if (!frame->has_plane(xray::plane::kArealDensity) || !frame->has_plane(xray::plane::kMaterialClass))
      return Status::error(
          "scan " + std::to_string(m.scan_id) +
          " has no areal_density or material_class plane: put risk.declaration after xray.materials");
    std::string key = key_ == "scan_id" ? std::to_string(m.scan_id) : std::string();
    if (key_ != "scan_id" && m.attributes.contains(key_)) {
      const nlohmann::json& value = m.attributes[key_];
      key = value.is_string() ? value.get<std::string>() : value.dump();
    }
    std::optional<Declaration> declaration = key.empty() ? std::nullopt : store_db_->find(key);
    if (!declaration && !key.empty() && !declarations_.empty()) {
      import();  // the clearance system may have added it since
      declaration = store_db_->find(key);
    }
    const double pitch_cm =
        (std::isfinite(m.pixel_pitch_mm) && m.pixel_pitch_mm > 0 ? m.pixel_pitch_mm : 1.0) / 10.0;
    const ScanMeasure measured =
        measure_scan(frame->plane(xray::plane::kArealDensity), frame->plane(xray::plane::kMaterialClass),
                     pitch_cm * pitch_cm, mass_scale_);
    const Risk risk = assess(declaration, measured, rules_);
    count(declaration, risk, measured);

    FramePtr out = frame->clone();
    nlohmann::json& a = out->metadata().attributes;
    a["declaration"] = declaration ? nlohmann::json{{"found", true},
                                                    {"id", declaration->id},
                                                    {"goods", declaration->goods},
                                                    {"weight_kg", declaration->weight_kg},
                                                    {"source", declaration->source}}
                                   : nlohmann::json{{"found", false}, {key_, key}};
    a["risk"] = {{"score", risk.score},
                 {"flags", risk.flags},
                 {"reasons", risk.reasons},
                 {"measured", {{"mass_kg", measured.mass_kg}, {"metal_fraction", measured.metal_fraction}}}};
    ctx.emit(0, std::move(out));
    return Status::ok();
  }

  nlohmann::json summary() const override {
    nlohmann::json s = {{"scans", scans_},
                        {"declared", declared_},
                        {"undeclared", scans_ - declared_},
                        {"flagged", flagged_},
                        {"flags", flag_counts_},
                        {"import_problems", problems_},
                        {"first_problems", first_problems_}};
    if (lies_ + honest_ > 0) {
      const double tp = static_cast<double>(true_positive_);
      const double flagged = static_cast<double>(true_positive_ + false_positive_);
      nlohmann::json by_lie = nlohmann::json::object();
      for (const auto& [kind, counts] : by_lie_)
        by_lie[kind] = {{"lies", counts.first}, {"flagged", counts.second}};
      s["evaluation"] = {{"lies", lies_},
                         {"honest", honest_},
                         {"true_positive", true_positive_},
                         {"false_positive", false_positive_},
                         {"false_negative", lies_ - true_positive_},
                         {"precision", flagged > 0 ? tp / flagged : 0.0},
                         {"recall", lies_ > 0 ? tp / static_cast<double>(lies_) : 0.0},
                         {"by_lie", by_lie},
                         {"true_mass_over_measured_median", median(mass_ratios_)}};
    }
    return s;
  }

 private:
  // The median of the true mass over the measured one: what `mass_scale` should be multiplied by.
  static double median(std::vector<double> values) {
    if (values.empty()) return 0.0;
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2),
                     values.end());
    return values[values.size() / 2];
  }

  void import(bool take_last_line = false) {
    if (declarations_.empty()) return;
    for (const std::string& problem : store_db_->import_new(declarations_, take_last_line)) {
      if (problems_++ < 5) {
        first_problems_.push_back(problem);
        spdlog::warn("stage '{}' (risk.declaration): {}", name_, problem);
      }
    }
  }

  void count(const std::optional<Declaration>& declaration, const Risk& risk, const ScanMeasure& measured) {
    ++scans_;
    if (declaration) ++declared_;
    const bool is_flagged = !risk.flags.empty();
    if (is_flagged) ++flagged_;
    for (const std::string& f : risk.flags) ++flag_counts_[f];
    if (!declaration || !declaration->truth.is_object()) return;
    if (measured.mass_kg > 0 && declaration->truth.value("weight_kg", 0.0) > 0)
      mass_ratios_.push_back(declaration->truth["weight_kg"].get<double>() / measured.mass_kg);
    const bool lie = !declaration->truth.value("honest", true);
    if (lie) {
      ++lies_;
      auto& kind = by_lie_[declaration->truth.value("lie", std::string("unknown"))];
      ++kind.first;
      if (is_flagged) ++true_positive_, ++kind.second;
    } else {
      ++honest_;
      if (is_flagged) ++false_positive_;
    }
  }

  fs::path declarations_;
  fs::path store_;
  std::string key_ = "scan_id";
  RiskRules rules_;
  double mass_scale_ = 1.17;  // the median true / measured mass on tuning seed 1002 (150 parcels)
  std::string name_;
  std::unique_ptr<DeclarationStore> store_db_;
  std::uint64_t scans_ = 0, declared_ = 0, flagged_ = 0, problems_ = 0;
  std::map<std::string, std::uint64_t> flag_counts_;
  std::vector<std::string> first_problems_;
  std::uint64_t lies_ = 0, honest_ = 0, true_positive_ = 0, false_positive_ = 0;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> by_lie_;
  std::vector<double> mass_ratios_;
};

}  // namespace
}  // namespace oi::risk

OI_REGISTER_STAGE(oi::risk::RiskDeclaration, "risk.declaration",
                  "Declarations joined to scans; contradictions flagged with a risk score and reasons.");
OI_PLUGIN("oi-stages-risk-declaration", "0.1.0", "Apache-2.0")
