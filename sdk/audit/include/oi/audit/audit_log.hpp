#pragma once
/// @file
/// The audit log: an append-only, hash-chained record of every search, match, confirmation,
/// enrolment, purge and privacy setting (EU AI Act Art. 12 logging; GDPR / Directive 2016/680
/// access logs). One JSON object a line:
/// @code
/// {"event":"search","fields":{...},"hash":"<64 hex>","prev":"<64
/// hex>","seq":0,"time":"2026-12-07T08:00:00.123Z","v":1}
/// @endcode
/// `hash` is SHA-256 over `prev` and the line's other members (the canonical JSON without
/// `hash`), `prev` is the previous line's hash (64 zeros for the first), `seq` counts from 0.
/// Beside the log, `<log>.head` holds the number of records and the last hash, replaced
/// atomically after every append, so removing records from the end is detected too. Editing,
/// deleting or reordering any line breaks the chain: verify_audit_log() (and `oi audit verify`)
/// names the first line that does not hold. The chain shows tampering; it does not prevent
/// someone who can write the files from rewriting all of them (docs/reid.md, "Audit log").
/// Link `OpenInspect::audit`.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace oi::audit {

/// Version of the line format (`v`).
inline constexpr int kFormatVersion = 1;

/// Event names the SDK writes (others may be used by applications).
namespace event {
inline constexpr const char* kSearch = "search";              ///< a gallery search was made
inline constexpr const char* kHit = "hit";                    ///< a search matched an entry
inline constexpr const char* kConfirmation = "confirmation";  ///< an officer verified a hit
inline constexpr const char* kEnrolment = "enrolment";        ///< an entry joined a gallery
inline constexpr const char* kPurge = "purge";                ///< data was deleted on schedule
inline constexpr const char* kSetting = "setting";            ///< a privacy setting was changed
}  // namespace event

/// One appended record, as written.
struct Record {
  std::uint64_t seq = 0;
  std::string time;  ///< UTC, ISO 8601 with milliseconds
  std::string event;
  nlohmann::json fields;
  std::string prev;  ///< previous record's hash (hex)
  std::string hash;  ///< this record's hash (hex)
};

/// An open audit log. Thread-safe; append() returns once the line and the head are on disk.
class AuditLog {
 public:
  /// Opens the log at `path`, creating it (and its folder) when absent. An existing log is
  /// verified first and continued. @throws oi::Error naming the file and the first line that
  /// does not verify, or why the file cannot be opened.
  explicit AuditLog(std::filesystem::path path);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  /// The one open log of `path` in this process (stages that name the same file share it).
  static std::shared_ptr<AuditLog> shared(const std::filesystem::path& path);

  /// Appends a record with `fields` (a JSON object) at the current time.
  /// @throws oi::Error when `fields` is not an object or the write fails (the message says why:
  /// a full disk is called one); a failed append leaves the log as it was. Once the line is
  /// written the append succeeds: a head that could not be replaced is reported by
  /// head_problem() (verification accepts a head one record behind; the next append rewrites it).
  Record append(std::string_view event, const nlohmann::json& fields);

  /// Appends a record whose fields are made by `make_fields(seq)` while the log is locked:
  /// `seq` is the record's own number, and every record before it is on disk (also those other
  /// processes appended), so the fields may describe the whole log before them (the inspection
  /// ledger's signed checkpoints do). @throws what append() throws, and what `make_fields` throws.
  Record append_computed(std::string_view event,
                         const std::function<nlohmann::json(std::uint64_t seq)>& make_fields);

  /// Why the head was not written after the last append; empty when it was.
  std::string head_problem() const;

  /// Records appended so far (including those found when opened).
  std::uint64_t size() const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  mutable std::mutex mutex_;
  std::uint64_t next_seq_ = 0;
  std::string last_hash_;
  std::uint64_t known_bytes_ = 0;  // the file's size after this object's last look at it
  std::string head_problem_;
  int fd_ = -1;
  void resync();
};

/// What verify_audit_log() found.
struct Verification {
  bool ok = false;
  std::uint64_t records = 0;  ///< lines that verified before the first problem (all when ok)
  std::uint64_t line = 0;     ///< 1-based line of the first problem; 0 when none or not a line
  std::string problem;        ///< what is wrong, empty when ok
};

/// Checks every line of the log at `path` and its head: parse, format version, sequence,
/// chain and hash. An edited, deleted, inserted or reordered line, or records removed from the
/// end, make it fail. Never throws for a bad log (a missing file is a problem, not an error).
Verification verify_audit_log(const std::filesystem::path& path);

/// The head file beside `log`: `<log>.head`.
std::filesystem::path head_path(const std::filesystem::path& log);

/// The hash a parsed line should carry: SHA-256 over its canonical JSON without `hash`.
std::string record_hash(const nlohmann::json& line);

/// SHA-256 of `bytes` as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

}  // namespace oi::audit
