// sink.ledger: every inspected scan's decision appended to the inspection ledger
// (oi/audit/ledger.hpp): the scan, the SHA-256 of its raw planes and of its report, the
// detections, declaration and risk when stages set them, and the decision; sealed with an
// Ed25519-signed Merkle checkpoint every `checkpoint_every` records and at the end of the run.
// docs/integration.md, "Inspection ledger".
#include <spdlog/spdlog.h>

#include <deque>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "oi/audit/ledger.hpp"
#include "oi/files.hpp"
#include "oi/plugin.hpp"
#include "oi/xray/contract.hpp"

namespace fs = std::filesystem;

namespace oi::xray {
namespace {

// SHA-256 of a plane's pixel values: rows packed, in the host's (little-endian) byte order.
std::string plane_sha256(const Plane& plane) {
  std::string bytes;
  bytes.reserve(plane.row_bytes() * static_cast<std::size_t>(plane.height));
  for (int y = 0; y < plane.height; ++y)
    bytes.append(reinterpret_cast<const char*>(plane.row<std::byte>(y)), plane.row_bytes());
  return audit::sha256_hex(bytes);
}

nlohmann::json attribute_or_null(const FrameMetadata& m, const char* name) {
  return m.attributes.contains(name) ? m.attributes[name] : nlohmann::json(nullptr);
}

class LedgerSink final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.describe(
        "Appends every inspected scan to the inspection ledger: an append-only, hash-chained JSON-lines file "
        "whose records carry the scan id, device, capture time, the SHA-256 of the raw planes (`planes`) and "
        "of the report (attribute `report` from sink.report's `out` port), the detections, the declaration "
        "id "
        "and risk (attributes `declaration` and `risk`, null without them) and the decision. Every "
        "`checkpoint_every` records and at the end of the run a checkpoint signs the Merkle root of the "
        "ledger "
        "and of the batch with the Ed25519 key `key`. Officers' verdicts are added with `oi ledger verdict`; "
        "`oi ledger verify` and `oi ledger prove` check it. A record that cannot be written (a full disk) is "
        "kept and retried with the next scan and at the end; what is still not written then is counted and "
        "fails the run. See docs/integration.md.");
    spec.input(
        "in", PortType::of(oi::xray::frame_kind::kScan),
        "inspected whole scans (after xray.detect; from sink.report's `out` to record the report's hash)");
    spec.param("path", path_)
        .without_default()
        .describe("Ledger file (JSON lines); created with its folder.");
    spec.param("key", key_)
        .without_default()
        .describe(
            "Ed25519 signing key written by `oi ledger keygen` (mode 0600; a key others may read is "
            "refused).");
    spec.param("checkpoint_every", checkpoint_every_)
        .describe("Records between signed checkpoints (0: only at the end of the run).");
    spec.param("planes", planes_)
        .describe("Planes whose SHA-256 is recorded when the scan has them (raw counts by default).");
    spec.param("max_pending", max_pending_)
        .describe(
            "Records kept in memory while the ledger cannot be written; beyond it the oldest are "
            "counted as lost (error).");
  }

  void start(const StageConfig& config) override {
    name_ = config.name;
    if (checkpoint_every_ < 0) throw ConfigError("stage '" + name_ + "': checkpoint_every must be 0 or more");
    if (auto problem = make_output_folder(path_.parent_path()))
      throw ConfigError("stage '" + name_ + "': " + *problem +
                        "; set `path` to a ledger file in a writable folder");
    ledger_ = std::make_unique<audit::Ledger>(
        path_, audit::LedgerOptions{key_, static_cast<std::uint64_t>(checkpoint_every_)});
  }

  Status process(StageContext& ctx) override {
    FramePtr frame = ctx.take(0);
    if (!frame) return Status::ok();
    if (auto whole = oi::xray::not_a_whole_scan(*frame, "sink.ledger")) return Status::error(*whole);
    const FrameMetadata& m = frame->metadata();
    if (m.attributes.contains(attr::kCalibration)) {
      ++references_;
      return Status::ok();
    }
    nlohmann::json planes = nlohmann::json::object();
    for (const std::string& name : planes_) {
      if (!frame->has_plane(name)) continue;
      const Plane& p = frame->plane(name);
      planes[name] = {{"sha256", plane_sha256(p)},
                      {"format", std::string(to_string(p.format))},
                      {"width", p.width},
                      {"height", p.height}};
    }
    const nlohmann::json declaration = attribute_or_null(m, "declaration");
    nlohmann::json fields = {
        {"scan_id", m.scan_id},
        {"device", m.source_device},
        {"capture_time_ns", m.capture_time_ns},
        {"incomplete", m.incomplete},
        {"declaration_id",
         declaration.is_object() ? declaration.value("id", nlohmann::json(nullptr)) : declaration},
        {"planes", planes},
        {"report", attribute_or_null(m, "report")},
        {"detections", m.attributes.contains(attr::kDetections) ? m.attributes[attr::kDetections]
                                                                : nlohmann::json::array()},
        {"risk", attribute_or_null(m, "risk")},
        {attr::kDecision, attribute_or_null(m, attr::kDecision)},
        {attr::kDecisionReason, attribute_or_null(m, attr::kDecisionReason)}};
    pending_.push_back(std::move(fields));
    if (pending_.size() > static_cast<std::size_t>(std::max(1, max_pending_))) {
      pending_.pop_front();
      ++lost_;
    }
    // A ledger that cannot be written stops nothing else: the scans wait here, are retried with
    // every scan, and finish() fails the run with their count if they are still waiting then.
    if (Status s = flush(); s.is_error() && (append_failures_ == 1 || append_failures_ % 100 == 0))
      spdlog::error("stage '{}' (sink.ledger): {}", name_, s.message());
    return Status::ok();
  }

  Status finish(StageContext&) override {
    Status status = flush();
    if (ledger_) {
      ledger_->checkpoint();
      if (!ledger_->last_checkpoint_problem().empty())
        spdlog::error("stage '{}' (sink.ledger): {}", name_, ledger_->last_checkpoint_problem());
    }
    if (!pending_.empty() || lost_ > 0)
      return Status::error("sink.ledger '" + name_ + "': " + std::to_string(pending_.size()) +
                           " scans could not be recorded in " + path_.string() + " and " +
                           std::to_string(lost_) + " were lost beyond max_pending: " + last_error_);
    return status;
  }

  nlohmann::json summary() const override {
    nlohmann::json s = {{"ledger", fs::absolute(path_).string()},
                        {"recorded", recorded_},
                        {"pending", pending_.size()},
                        {"lost", lost_},
                        {"append_failures", append_failures_},
                        {"references_not_recorded", references_}};
    if (ledger_) {
      s["records"] = ledger_->size();
      s["checkpoints_written"] = ledger_->checkpoints_written();
      s["checkpoints_missed"] = ledger_->checkpoints_missed();
      s["checkpoint_problem"] = ledger_->last_checkpoint_problem();
    }
    return s;
  }

 private:
  // Writes what is pending, oldest first; stops at the first failure (kept for the next try).
  Status flush() {
    while (!pending_.empty()) {
      try {
        ledger_->append_inspection(pending_.front());
      } catch (const Error& e) {
        ++append_failures_;
        last_error_ = e.what();
        return Status::error("sink.ledger '" + name_ + "': " + last_error_ + " (" +
                             std::to_string(pending_.size()) + " scans pending, retried with the next scan)");
      }
      pending_.pop_front();
      ++recorded_;
    }
    return Status::ok();
  }

  fs::path path_;                                                  // parameter `path`
  fs::path key_;                                                   // parameter `key`
  int checkpoint_every_ = 100;                                     // parameter `checkpoint_every`
  std::vector<std::string> planes_ = {plane::kHigh, plane::kLow};  // parameter `planes`
  int max_pending_ = 10000;                                        // parameter `max_pending`
  std::string name_;
  std::unique_ptr<audit::Ledger> ledger_;
  std::deque<nlohmann::json> pending_;
  std::uint64_t recorded_ = 0;
  std::uint64_t lost_ = 0;
  std::uint64_t append_failures_ = 0;
  std::uint64_t references_ = 0;
  std::string last_error_;
};

}  // namespace
}  // namespace oi::xray

OI_REGISTER_STAGE(oi::xray::LedgerSink, "sink.ledger",
                  "Inspection ledger: hash-chained decisions with Ed25519-signed Merkle checkpoints.");
OI_PLUGIN("oi-sink-ledger", "0.1.0", "Apache-2.0")
