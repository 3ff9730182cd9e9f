#pragma once
/// @file
/// The watchlist's records (docs/reid.md, "Watchlist"): enrolled persons with the legal basis
/// for searching them, the officer who authorised it and an expiry; alerts raised when a
/// tracklet matches an entry, and the officers' confirmations of them. An alert stays
/// *unconfirmed* until two distinct officers confirm it (EU AI Act Art. 14(5)). Every
/// enrolment, purge, alert and confirmation goes to the audit log (oi/audit/audit_log.hpp).
/// TrackletStore reads back the persons a run searched (reid.watchlist's tracklet store), and
/// enrolment_from_run() makes an entry from a global identity or a tracklet chosen there
/// (`oi watchlist tracklets|enrol`). The gallery search itself is GallerySearch
/// (gallery_search.hpp).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oi::audit {
class AuditLog;
}

namespace oi::reid {

using Clock = std::chrono::system_clock;

/// "2026-12-07T08:00:00Z" (UTC, seconds) and back; parse_utc() returns nullopt for text that is
/// not of that form (milliseconds, "+00:00" and a date alone are accepted too).
std::string format_utc(Clock::time_point time);
std::optional<Clock::time_point> parse_utc(std::string_view text);

/// One enrolled person.
struct WatchlistEntry {
  std::string id;             ///< "W-000001", given at enrolment
  std::string label;          ///< how officers refer to the person
  std::string legal_basis;    ///< the law or warrant the search rests on
  std::string authorised_by;  ///< the officer who authorised the enrolment
  std::string enrolled_at;    ///< UTC
  std::string expires_at;     ///< UTC; from then on the entry is refused and purged
  /// Where the embedding came from: {"image": file} for an enrolment image, or, for persons
  /// chosen in a run (enrolment_from_run()), {"run": the run's alerts folder (absolute),
  /// "global_identity": the identity chosen or null when one tracklet was chosen, "tracklets":
  /// ["<camera>-<track>", ...], "crops": [the tracklets' crop files still stored]}.
  nlohmann::json source;
  std::vector<float> embedding;  ///< L2-normalised, the watchlist's embedding model's size

  bool expired(Clock::time_point now) const;
};

/// A watchlist file (JSON). Not thread-safe: one owner (a stage or a command).
class Watchlist {
 public:
  static constexpr int kFormatVersion = 1;

  /// Opens the watchlist at `file`, or starts an empty one when it does not exist (written on
  /// the first change). `audit` receives enrolments and purges (may be null in tools that
  /// only read). @throws oi::ConfigError naming the file and what is wrong with it.
  Watchlist(std::filesystem::path file, std::shared_ptr<audit::AuditLog> audit);

  /// The reference database as the audit log names it: "<file name> v<version>".
  std::string reference() const;
  std::uint64_t version() const { return version_; }
  /// Identifier of the embedding model the entries were made with ("" until the first
  /// enrolment); searches with another model are refused.
  const std::string& embedding_model() const { return embedding_model_; }
  const std::vector<WatchlistEntry>& entries() const { return entries_; }
  const std::filesystem::path& file() const { return file_; }

  /// Enrols `entry` (its id is assigned; enrolled_at set to `now`) and saves the file. The
  /// audit record names the entry's source as the Art. 12(3) `input` (the image, or the run
  /// and its tracklets).
  /// @throws oi::ConfigError when the legal basis, the authorising officer or the expiry is
  /// missing, the expiry is not after `now`, or the embedding is empty, not normalised or of
  /// another size or model than the entries'; oi::Error naming the file when the file or the
  /// audit record cannot be written (a full disk): the watchlist is then as before.
  const WatchlistEntry& enrol(WatchlistEntry entry, const std::string& embedding_model,
                              Clock::time_point now);

  /// Removes every entry expired at `now` (and saves): each purge goes to the audit log.
  /// Returns how many were removed. @throws oi::Error as enrol() does, the entries kept (they
  /// stay refused by searchable(); the next call purges them).
  std::size_t purge_expired(Clock::time_point now);

  /// The entries that may be searched at `now` (not expired). Expired ones are refused here
  /// whether or not they were purged yet.
  std::vector<const WatchlistEntry*> searchable(Clock::time_point now) const;

  /// The entry with `id`, or null.
  const WatchlistEntry* find(std::string_view id) const;

 private:
  void save();
  /// Saves, then appends the change's audit records; when either fails, puts `before` back
  /// (in memory, and on disk when it was saved) and throws.
  void commit(Watchlist before, const std::function<void()>& audit_records);

  std::filesystem::path file_;
  std::shared_ptr<audit::AuditLog> audit_;
  std::string embedding_model_;
  std::uint64_t version_ = 0;
  std::uint64_t next_id_ = 1;
  std::vector<WatchlistEntry> entries_;
};

/// One searched person as reid.watchlist's tracklet store keeps it: `alerts_dir`/tracklets/
/// `<camera>-<track>`.json (camera, track, global_identity, time, crop, embedding, model,
/// stored_at) beside the crop `<camera>-<track>`.png. Unmatched persons' tracklets are deleted
/// `retention_hours` after they were stored.
struct StoredTracklet {
  std::string name;            ///< "<camera>-<track>", the file's stem
  std::filesystem::path file;  ///< the JSON file
  std::string camera;
  std::int64_t track = 0;
  std::int64_t global_identity = -1;  ///< reid.associate's identity, -1 when none
  std::string time;                   ///< UTC, when the person was first searched
  std::string crop;                   ///< the crop file (absolute) when it is still stored, else ""
  std::vector<float> embedding;
  std::string model;      ///< identity of the model that made the embedding
  std::string stored_at;  ///< UTC
};

/// Reads the tracklet store of a run, read-only (the stage that writes it may still run).
class TrackletStore {
 public:
  /// The store of the run whose `alerts_dir` is given. @throws oi::ConfigError when the folder
  /// or its tracklets/ folder does not exist (not a reid.watchlist alerts folder).
  explicit TrackletStore(std::filesystem::path alerts_dir);

  const std::filesystem::path& alerts_dir() const { return alerts_dir_; }
  /// `alerts_dir`/tracklets.
  std::filesystem::path folder() const { return alerts_dir_ / "tracklets"; }

  /// The stored tracklets' names, sorted.
  std::vector<std::string> names() const;
  /// One tracklet. @throws oi::ConfigError when it is not stored (never searched, or purged
  /// after the retention time: the message says so and names the folder) or when its file
  /// cannot be read as a tracklet (the message names the file).
  StoredTracklet read(std::string_view name) const;
  /// Every stored tracklet, sorted by name. @throws oi::ConfigError naming the first file that
  /// cannot be read as a tracklet: none is skipped.
  std::vector<StoredTracklet> read_all() const;

 private:
  std::filesystem::path alerts_dir_;
};

/// The tracklets of one global identity, or one tracklet without an identity.
struct IdentityGroup {
  std::int64_t global_identity = -1;      ///< -1: a tracklet reid.associate gave no identity
  std::vector<StoredTracklet> tracklets;  ///< in the order they were first seen
};

/// `tracklets` grouped by global identity, identities ascending, then the tracklets without one
/// (a group each), so an officer can choose whom to enrol.
std::vector<IdentityGroup> group_by_identity(std::vector<StoredTracklet> tracklets);

/// Whom to enrol from a run: every tracklet of a global identity, or one tracklet.
struct RunSelection {
  std::optional<std::int64_t> global_identity;
  std::string tracklet;  ///< "<camera>-<track>", when no identity is given
};

/// A watchlist entry made from a run's tracklets, ready for Watchlist::enrol().
struct RunEnrolment {
  /// `source` and `embedding` set; the caller sets the label, legal basis, officer and expiry.
  WatchlistEntry entry;
  std::string model;                      ///< the tracklets' embedding model, for Watchlist::enrol()
  std::vector<StoredTracklet> tracklets;  ///< those averaged
};

/// The entry for the person `selection` names in the run whose alerts folder is `alerts_dir`:
/// its embedding is the L2-normalised mean of the chosen tracklets' embeddings. @throws
/// oi::ConfigError (what, where, what to do) when the folder or its tracklets/ folder is
/// missing, no tracklet has the identity (the message lists the identities stored), the
/// tracklet is not stored (purged after `retention_hours`?), a tracklet file cannot be read,
/// an embedding is empty, or the tracklets' embeddings differ in size or model.
RunEnrolment enrolment_from_run(const std::filesystem::path& alerts_dir, const RunSelection& selection);

/// A watchlist hit waiting for human verification.
struct Alert {
  std::string id;    ///< "A-<n>"
  std::string time;  ///< when the person was seen (UTC, the frame's capture time)
  std::string camera;
  std::int64_t track = 0;             ///< the camera's track id
  std::int64_t global_identity = -1;  ///< reid.associate's identity, -1 when none
  std::int64_t frame_index = -1;
  double score = 0;                       ///< similarity to the entry, [-1, 1]
  std::string entry;                      ///< watchlist entry id
  std::string reference;                  ///< Watchlist::reference() at the search
  std::string thumbnail;                  ///< file of the tracklet's crop, "" when none was saved
  std::vector<std::string> confirmed_by;  ///< distinct officers, in order
  std::vector<std::string> rejected_by;   ///< officers who found it is not the person

  /// Officers needed to confirm an alert.
  static constexpr std::size_t kConfirmationsNeeded = 2;
  /// "unconfirmed" (fewer than two confirmations), "confirmed", or "rejected" (an officer
  /// rejected it).
  std::string status() const;
  nlohmann::json to_json() const;
};

/// The alerts of a run and their confirmations, kept in an append-only JSON-lines file
/// (`alerts.jsonl`: one line per alert, one per confirmation or rejection). Thread-safe.
class AlertBook {
 public:
  /// Opens (or creates) the book at `file`; existing lines are read back. @throws oi::Error
  /// naming the file and line of a line that cannot be read.
  AlertBook(std::filesystem::path file, std::shared_ptr<audit::AuditLog> audit);

  /// Records a new alert (its id is assigned) and its audit record; returns the id.
  /// @throws oi::Error naming the file when the line or its audit record cannot be written (a
  /// full disk); the file and the book are then as before.
  std::string raise(Alert alert);

  /// An officer's verdict on an alert: `confirm` true confirms, false rejects. Returns the
  /// alert's new status. @throws oi::ConfigError for an unknown alert, an empty officer name,
  /// or an officer who already gave a verdict on this alert; oi::Error, as raise(), when the
  /// verdict or its audit record cannot be written.
  std::string verify(std::string_view alert_id, std::string_view officer, bool confirm,
                     std::string_view note);

  std::vector<Alert> alerts() const;
  const std::filesystem::path& file() const { return file_; }

 private:
  /// Appends `line` whole or not at all; returns the file's size before it.
  std::uintmax_t append_line(const nlohmann::json& line);
  /// Cuts the file back to `size`: a line whose audit record could not be written.
  void take_back(std::uintmax_t size);
  /// The audit record of a line just appended; when it cannot be written, the line is taken
  /// back and the error says `what` was not recorded.
  void audit_or_take_back(std::string_view event, const nlohmann::json& fields, std::uintmax_t before,
                          const std::string& what);

  std::filesystem::path file_;
  std::shared_ptr<audit::AuditLog> audit_;
  mutable std::mutex mutex_;
  std::vector<Alert> alerts_;
};

}  // namespace oi::reid
