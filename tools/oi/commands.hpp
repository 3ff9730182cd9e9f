#pragma once
// The `oi` subcommands. Each returns the process exit status:
// 0 success, 1 runtime failure, 2 invalid input (YAML, parameters, arguments, plugins).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace oi::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitInvalid = 2;

struct RunArgs {
  std::string pipeline;
  std::vector<std::string> sets;
  std::uint64_t max_frames = 0;
  std::string stats_file;
  std::string resources_file;    ///< --resources: resource samples as JSON lines
  double resources_every = 2.0;  ///< --resources-every, seconds
  bool quiet = false;
  std::size_t threads = 0;
};

int run_pipeline(const RunArgs& args);
int validate_pipeline(const std::string& pipeline, const std::vector<std::string>& sets);
int list_plugins(bool json);
int inspect_type(const std::string& type, bool json);
int write_reference(const std::string& output_file);
int list_gpus(bool json);
int list_devices(bool json);
/// `oi calibrate-materials`: material calibration from step-wedge scans (docs/materials.md).
int calibrate_materials(const std::string& dataset, const std::string& output, double sigma_max);
/// `oi audit verify`: checks an audit log's chain and head (docs/reid.md, "Audit log"); exit 0
/// when it verifies, 1 when it does not, 2 when the file is missing.
int verify_audit(const std::string& log, bool json);

/// `oi ledger keygen|verify|prove|check-proof|verdict|checkpoint` (docs/integration.md,
/// "Inspection ledger"). verify: exit 0 when it verifies, 1 when it does not, 2 when missing.
struct LedgerArgs {
  std::string action;      ///< keygen, verify, prove, check-proof, verdict, checkpoint
  std::string ledger;      ///< the ledger file (all but keygen and check-proof)
  std::string key;         ///< keygen: the key file to write; verdict, checkpoint: the signing key
  std::string public_key;  ///< verify, check-proof: the trusted `.pub` file (optional)
  std::string anchor;      ///< verify: a checkpoint kept outside the ledger (optional)
  std::string scan_id;     ///< prove, verdict: the scan
  std::string output;      ///< prove: the proof file (stdout when empty)
  std::string proof;       ///< check-proof: the proof file
  std::string verdict;     ///< verdict: cleared, searched or seized
  std::string officer;     ///< verdict: the officer's id
  std::string note;        ///< verdict: why
  bool seal = false;       ///< verdict: write a signed checkpoint after it
  std::string dicos_dir;   ///< verdict: sink.dicos's folder, for an OPERATOR TDR beside the scan's TDR
  std::string mqtt;        ///< verdict: HOST:PORT of the broker for a verdict event
  std::string outbox;      ///< verdict: the event outbox (the lane's sink.mqtt outbox may be shared)
  std::string topic_prefix = "openinspect";  ///< verdict: topics <prefix>/verdict
  std::string place;                         ///< verdict: place.id of the event
  bool json = false;                         ///< verify: machine-readable output
};
int ledger_command(const LedgerArgs& args);

/// `oi watchlist list|alerts|confirm|reject|purge|tracklets|enrol` (docs/reid.md, "Watchlist").
struct WatchlistArgs {
  std::string action;     ///< list, alerts, confirm, reject, purge, tracklets, enrol
  std::string file;       ///< the watchlist (list, purge, enrol), the alerts file (alerts, confirm,
                          ///< reject) or a run's alerts folder (tracklets)
  std::string alert;      ///< confirm, reject: the alert id
  std::string officer;    ///< confirm, reject: who gives the verdict
  std::string note;       ///< confirm, reject: why
  std::string audit_log;  ///< confirm, reject, purge, enrol: the audit log that records it
  bool json = false;      ///< list, alerts, tracklets, enrol: machine-readable output
  std::string from_run;   ///< enrol: the run's alerts folder (its tracklets/ store)
  std::optional<std::int64_t> identity;  ///< enrol: the global identity to enrol
  std::string tracklet;                  ///< enrol: or the tracklet, "<camera>-<track>"
  std::string label;                     ///< enrol: how officers refer to the person
  std::string legal_basis;               ///< enrol: the law or warrant the search rests on
  std::string authorised_by;             ///< enrol: the authorising officer
  std::string expires;                   ///< enrol: expiry, UTC
};
int watchlist_command(const WatchlistArgs& args);

}  // namespace oi::cli
