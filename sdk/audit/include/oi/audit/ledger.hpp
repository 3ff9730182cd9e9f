#pragma once
/// @file
/// The inspection ledger: every decision on a scan, and every officer's verdict, appended to
/// an audit log (oi/audit/audit_log.hpp: one JSON line a record, hash-chained, with a head)
/// and periodically sealed by a checkpoint record that carries the Merkle tree hash (RFC 6962)
/// of every record before it and of the batch since the previous checkpoint, signed with
/// Ed25519 (oi/audit/signing_key.hpp). The batch root is what an external chain anchors; an
/// inclusion proof ties one scan's record to a signed root. Events:
/// - `inspection`: {scan_id, device, capture_time_ns, declaration_id, planes: {name: SHA-256},
///   report: {file, sha256} | null, detections, risk, decision, decision_reason}
/// - `verdict`: {scan_id, verdict (cleared | searched | seized), officer, note, inspection_seq}
/// - `checkpoint`: {tree_size, root, batch_first, batch_root, key_id, public_key, signature}
///
/// Leaf i of the tree is record i (seq i); its leaf hash is SHA-256(0x00 || the 32 bytes of the
/// record's `hash`). A checkpoint at seq n has tree_size n. Its signature covers
/// `openinspect-ledger-checkpoint/1\n` followed by the canonical JSON of
/// {batch_first, batch_root, key_id, root, tree_size}. The latest checkpoint is also kept in
/// `<ledger>.checkpoint`, so records cut off after it are found. docs/integration.md,
/// "Inspection ledger". Link `OpenInspect::audit`.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "oi/audit/audit_log.hpp"
#include "oi/audit/merkle.hpp"
#include "oi/audit/signing_key.hpp"

namespace oi::audit {

/// Event names of the ledger's records.
namespace ledger_event {
inline constexpr const char* kInspection = "inspection";  ///< a scan's decision
inline constexpr const char* kVerdict = "verdict";        ///< an officer's verdict on a scan
inline constexpr const char* kCheckpoint = "checkpoint";  ///< a signed Merkle tree head
}  // namespace ledger_event

/// Verdicts an officer may record.
inline constexpr const char* kVerdicts[] = {"cleared", "searched", "seized"};

/// The text a scan id is looked up by: a string as it is, a number in decimal.
std::string scan_id_text(const nlohmann::json& scan_id);

/// An officer's verdict on a scan.
struct Verdict {
  std::string scan_id;  ///< the scan, as its inspection record names it
  std::string verdict;  ///< one of kVerdicts
  std::string officer;  ///< officer id (not empty)
  std::string note;     ///< free text, may be empty
};

/// How a ledger is written.
struct LedgerOptions {
  std::filesystem::path key_file;        ///< Ed25519 signing key (oi/audit/signing_key.hpp)
  std::uint64_t checkpoint_every = 100;  ///< records between checkpoints (0: only when asked)
};

/// An open ledger. Thread-safe; other processes may append at the same time (the log's lock).
class Ledger {
 public:
  /// Opens (or creates) the ledger at `path` and loads the key. @throws oi::Error when the log
  /// does not verify, or the key file is missing, readable by others or not a key.
  Ledger(std::filesystem::path path, LedgerOptions options);

  /// Appends an inspection record; `fields` must be an object with a `scan_id`. Writes a
  /// checkpoint after it when one is due. @throws oi::Error when the record cannot be written
  /// (nothing was appended then); a checkpoint that cannot be signed does not throw (counted).
  Record append_inspection(const nlohmann::json& fields);

  /// Appends an officer's verdict on a scan the ledger has an inspection of.
  /// @throws oi::Error for an unknown verdict, an empty officer id or a scan with no inspection.
  Record record_verdict(const Verdict& verdict);

  /// Seals every record so far with a signed checkpoint; nullopt when the last record is already
  /// a checkpoint, or when the key cannot be used now (the key file is re-read for every
  /// checkpoint, so a removed or exposed key stops the signing and nothing else; see
  /// last_checkpoint_problem() and checkpoints_missed()).
  std::optional<Record> checkpoint();

  /// Records in the ledger (all writers').
  std::uint64_t size() const;
  /// Checkpoints this object wrote.
  std::uint64_t checkpoints_written() const;
  /// Checkpoints that were due but could not be signed.
  std::uint64_t checkpoints_missed() const;
  /// Why the last checkpoint could not be signed or its copy not written; empty when it was.
  std::string last_checkpoint_problem() const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::optional<Record> checkpoint_locked();
  nlohmann::json checkpoint_fields(std::uint64_t seq, const SigningKey& key);
  void sync_tree();

  std::filesystem::path path_;
  LedgerOptions options_;
  AuditLog log_;
  mutable std::mutex mutex_;
  merkle::TreeBuilder tree_;   // every record read so far
  merkle::TreeBuilder batch_;  // records since the last checkpoint
  std::uint64_t batch_first_ = 0;
  std::uint64_t read_bytes_ = 0;  // how far sync_tree() has read the file
  bool last_is_checkpoint_ = false;
  std::uint64_t since_checkpoint_ = 0;
  std::uint64_t written_ = 0;
  std::uint64_t missed_ = 0;
  std::string checkpoint_problem_;
  std::map<std::string, std::uint64_t> inspections_;  // scan id -> seq of its latest inspection
};

/// What verify_ledger() found.
struct LedgerVerification {
  bool ok = false;
  std::uint64_t records = 0;      ///< records that verified before the first problem (all when ok)
  std::uint64_t checkpoints = 0;  ///< signed checkpoints that verified
  std::uint64_t unsealed = 0;     ///< records after the last checkpoint (chain-protected only)
  bool trusted_key = false;       ///< signatures were checked against a key the caller trusts
  std::uint64_t line = 0;         ///< 1-based line of the first problem; 0 when none
  std::string problem;            ///< what is wrong, empty when ok
};

/// Verifies the chain and head (verify_audit_log), every checkpoint's roots and signature, and
/// that `<ledger>.checkpoint` is in the ledger. With `trusted` every checkpoint must be signed
/// by that key; without it, signatures are checked against the key each checkpoint names
/// (which shows integrity, not who signed). `anchor`, when not null, is a checkpoint kept
/// outside the ledger ({seq, time, fields}: a copy of `<ledger>.checkpoint` or of an external
/// chain's record): the ledger must still hold it, which finds a ledger cut back to an earlier
/// checkpoint with its head and copy rewritten. Never throws for a bad ledger.
LedgerVerification verify_ledger(const std::filesystem::path& path, const std::optional<PublicKey>& trusted,
                                 const nlohmann::json& anchor = nullptr);

/// An inclusion proof of the latest inspection record of `scan_id` in the first signed tree
/// that covers it: {format, version, record (the line), leaf_index, tree_size, root, path,
/// checkpoint {seq, time, fields}}. @throws oi::Error when the ledger does not verify, the scan
/// has no inspection, or no checkpoint covers it yet (says how to write one).
nlohmann::json prove_inclusion(const std::filesystem::path& path, std::string_view scan_id);

/// Checks a proof from prove_inclusion() on its own, without the ledger: the record's hash,
/// its audit path to the root and the checkpoint's signature (by `trusted`, or by the key the
/// checkpoint names when nullopt). Returns the problem, empty when the proof holds.
std::string check_inclusion_proof(const nlohmann::json& proof, const std::optional<PublicKey>& trusted);

/// `<ledger>.checkpoint`: the latest checkpoint, replaced atomically after each one.
std::filesystem::path checkpoint_path(const std::filesystem::path& ledger);

/// The text a checkpoint's signature covers, from its fields.
std::string checkpoint_message(const nlohmann::json& fields);

}  // namespace oi::audit
