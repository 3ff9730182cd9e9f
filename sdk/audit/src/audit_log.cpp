#include "oi/audit/audit_log.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "oi/audit/merkle.hpp"
#include "oi/error.hpp"
#include "oi/files.hpp"
#include "oi/utc_time.hpp"

namespace oi::audit {
namespace {

const std::string kGenesis(64, '0');

// The canonical text a record's hash covers: its JSON without `hash` (nlohmann's objects keep
// their members sorted, so the text is the same however the line was written).
std::string hashed_text(nlohmann::json line) {
  line.erase("hash");
  return line.dump();
}

struct Head {
  std::uint64_t records = 0;
  std::string hash;
};

// Reads the head; nullopt with `problem` set when it is absent or unreadable.
std::optional<Head> read_head(const std::filesystem::path& log, std::string& problem) {
  const std::filesystem::path path = head_path(log);
  std::ifstream in(path);
  if (!in) {
    problem = "its head file " + path.string() + " is missing";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  if (!j.is_object() || !j.contains("records") || !j["records"].is_number_unsigned() || !j.contains("hash") ||
      !j["hash"].is_string()) {
    problem = "its head file " + path.string() + " is not a head ({\"records\": N, \"hash\": HEX})";
    return std::nullopt;
  }
  return Head{j["records"].get<std::uint64_t>(), j["hash"].get<std::string>()};
}

// Checks one parsed line against the chain so far; returns the problem or "".
std::string check_line(const nlohmann::json& j, std::uint64_t expected_seq,
                       const std::string& expected_prev) {
  if (!j.is_object()) return "is not a JSON object";
  for (const char* member : {"v", "seq", "time", "event", "fields", "prev", "hash"})
    if (!j.contains(member)) return std::string("has no `") + member + "`";
  if (!j["v"].is_number_integer() || j["v"].get<int>() != kFormatVersion)
    return "has format version " + j["v"].dump() + "; this build reads version " +
           std::to_string(kFormatVersion);
  if (!j["seq"].is_number_unsigned()) return "has a `seq` that is not a count";
  if (!j["prev"].is_string() || !j["hash"].is_string()) return "has a `prev` or `hash` that is not text";
  const std::uint64_t seq = j["seq"].get<std::uint64_t>();
  if (seq != expected_seq)
    return "has seq " + std::to_string(seq) + " where " + std::to_string(expected_seq) +
           " was expected: a record was deleted, inserted or moved";
  if (j["prev"].get<std::string>() != expected_prev)
    return "does not follow the previous record (its `prev` is not that record's hash): a record was "
           "deleted, inserted or moved";
  if (record_hash(j) != j["hash"].get<std::string>()) return "does not match its hash: the record was edited";
  return {};
}

struct Scan {
  Verification result;
  std::string last_hash = kGenesis;
  std::uint64_t complete_bytes = 0;  // bytes up to the end of the last complete line
  bool partial_tail = false;         // the file ends in a line without a newline
};

// Verifies the chain of the lines (not the head).
Scan scan_lines(const std::filesystem::path& path) {
  Scan scan;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    scan.result.problem = "cannot be read: " + std::string(std::strerror(errno));
    return scan;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t start = 0;
  std::uint64_t line_number = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    ++line_number;
    if (end == std::string::npos) {
      scan.partial_tail = true;
      scan.result.line = line_number;
      scan.result.problem =
          "line " + std::to_string(line_number) + " is incomplete (no end of line): a write was cut off";
      return scan;
    }
    const nlohmann::json j = nlohmann::json::parse(text.substr(start, end - start), nullptr, false);
    const std::string problem =
        j.is_discarded() ? "is not JSON" : check_line(j, scan.result.records, scan.last_hash);
    if (!problem.empty()) {
      scan.result.line = line_number;
      scan.result.problem = "line " + std::to_string(line_number) + " " + problem;
      return scan;
    }
    scan.last_hash = j["hash"].get<std::string>();
    ++scan.result.records;
    start = end + 1;
    scan.complete_bytes = start;
  }
  scan.result.ok = true;
  return scan;
}

std::string system_reason(int error_number) {
  return std::string(std::strerror(error_number)) + ": " + write_error_advice(error_number);
}

}  // namespace

std::string sha256_hex(std::string_view bytes) { return merkle::to_hex(merkle::sha256(bytes)); }

std::string record_hash(const nlohmann::json& line) { return sha256_hex(hashed_text(line)); }

std::filesystem::path head_path(const std::filesystem::path& log) {
  std::filesystem::path head = log;
  head += ".head";
  return head;
}

Verification verify_audit_log(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    Verification missing;
    missing.problem = path.string() + " is not an audit log file (missing or not a regular file)";
    return missing;
  }
  Scan scan = scan_lines(path);
  if (!scan.result.ok) {
    scan.result.problem = path.string() + ": " + scan.result.problem;
    return scan.result;
  }
  std::string head_problem;
  const std::optional<Head> head = read_head(path, head_problem);
  if (!head) {
    // An empty log that never had a record needs no head.
    if (scan.result.records == 0 && !std::filesystem::exists(head_path(path))) return scan.result;
    scan.result.ok = false;
    scan.result.problem =
        path.string() + ": " + head_problem + ": records removed from the end cannot be ruled out";
    return scan.result;
  }
  if (head->records > scan.result.records) {
    scan.result.ok = false;
    scan.result.problem = path.string() + ": the head records " + std::to_string(head->records) +
                          " records but the log has " + std::to_string(scan.result.records) +
                          ": records were removed from the end";
    return scan.result;
  }
  // The head is replaced after each line is written, so it may lag by the record being added
  // when a run stopped in between; the record it names must be in the chain.
  if (head->records + 1 < scan.result.records) {
    scan.result.ok = false;
    scan.result.problem = path.string() + ": the head records " + std::to_string(head->records) +
                          " records but the log has " + std::to_string(scan.result.records) +
                          ": records were appended without their head";
    return scan.result;
  }
  const Scan upto = [&] {
    if (head->records == scan.result.records) return scan;
    // Hash of record head->records - 1: re-scan is cheap enough for a lagging head.
    Scan partial;
    std::ifstream in(path);
    std::string line;
    for (std::uint64_t i = 0; i < head->records && std::getline(in, line); ++i)
      partial.last_hash = nlohmann::json::parse(line)["hash"].get<std::string>();
    return partial;
  }();
  if (upto.last_hash != head->hash) {
    scan.result.ok = false;
    scan.result.problem = path.string() + ": the head's hash is not the hash of record " +
                          std::to_string(head->records) + ": the log or its head was altered";
  }
  return scan.result;
}

AuditLog::AuditLog(std::filesystem::path path) : path_(std::move(path)) {
  if (auto problem = make_output_folder(path_.parent_path()))
    throw Error("cannot open audit log " + path_.string() + ": " + *problem);
  std::error_code error;
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd_ < 0) throw Error("cannot open audit log " + path_.string() + ": " + system_reason(errno));
  std::uint64_t dropped_bytes = 0;
  try {
    // Under the writers' lock: an incomplete last line may be another process's write in
    // progress, which must not be taken for one cut off by a stop.
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR)
        throw Error("cannot lock audit log " + path_.string() + ": " + system_reason(errno));
    }
    struct Unlock {
      int fd;
      ~Unlock() { ::flock(fd, LOCK_UN); }
    } unlock{fd_};
    if (std::filesystem::file_size(path_, error) > 0) {
      Scan scan = scan_lines(path_);
      if (!scan.result.ok && scan.partial_tail) {
        // A write cut off by a stop: the records before it verify and the head does not count
        // the incomplete line; remove it, and record below that it was removed.
        std::string head_problem;
        const std::optional<Head> head = read_head(path_, head_problem);
        const std::uint64_t size = std::filesystem::file_size(path_, error);
        if (head && head->records <= scan.result.records && !error &&
            ::ftruncate(fd_, static_cast<off_t>(scan.complete_bytes)) == 0) {
          dropped_bytes = size - scan.complete_bytes;
          scan = scan_lines(path_);
        }
      }
      const Verification verified = verify_audit_log(path_);
      if (!verified.ok)
        throw Error("audit log " + verified.problem +
                    "; the log cannot be continued: keep it as evidence and start a new log file");
      next_seq_ = verified.records;
      last_hash_ = scan.last_hash;
    } else {
      last_hash_ = kGenesis;
    }
    known_bytes_ = std::filesystem::file_size(path_, error);
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
  if (dropped_bytes > 0)
    append("recovery", {{"reason", "an incomplete last line (a write cut off by a stop) was removed"},
                        {"removed_bytes", dropped_bytes}});
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

std::shared_ptr<AuditLog> AuditLog::shared(const std::filesystem::path& path) {
  static std::mutex registry_mutex;
  static std::map<std::filesystem::path, std::weak_ptr<AuditLog>> registry;
  std::error_code error;
  std::filesystem::path key = std::filesystem::weakly_canonical(std::filesystem::absolute(path), error);
  if (error) key = std::filesystem::absolute(path).lexically_normal();
  std::lock_guard lock(registry_mutex);
  if (auto open = registry[key].lock()) return open;
  auto log = std::make_shared<AuditLog>(path);
  registry[key] = log;
  return log;
}

void AuditLog::resync() {
  Scan scan = scan_lines(path_);
  if (!scan.result.ok)
    throw Error("audit log " + path_.string() + " was changed by another writer and no longer verifies: " +
                scan.result.problem + "; the record was not written: keep the log as evidence");
  next_seq_ = scan.result.records;
  last_hash_ = scan.last_hash;
  known_bytes_ = scan.complete_bytes;
}

Record AuditLog::append(std::string_view event, const nlohmann::json& fields) {
  if (!fields.is_object())
    throw Error("audit log " + path_.string() + ": the fields of a record must be a JSON object");
  return append_computed(event, [&](std::uint64_t) { return fields; });
}

Record AuditLog::append_computed(std::string_view event,
                                 const std::function<nlohmann::json(std::uint64_t seq)>& make_fields) {
  std::lock_guard lock(mutex_);
  // Other processes append under the same lock; what they wrote is read before this record.
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR) throw Error("cannot lock audit log " + path_.string() + ": " + system_reason(errno));
  }
  struct Unlock {
    int fd;
    ~Unlock() { ::flock(fd, LOCK_UN); }
  } unlock{fd_};
  struct stat current {};
  if (::fstat(fd_, &current) != 0)
    throw Error("cannot append to audit log " + path_.string() + ": " + system_reason(errno));
  if (static_cast<std::uint64_t>(current.st_size) != known_bytes_) resync();
  const nlohmann::json fields = make_fields(next_seq_);
  if (!fields.is_object())
    throw Error("audit log " + path_.string() + ": the fields of a record must be a JSON object");
  Record record;
  record.seq = next_seq_;
  record.time = iso8601_utc_ms_now();
  record.event = std::string(event);
  record.fields = fields;
  record.prev = last_hash_;
  nlohmann::json line = {{"v", kFormatVersion},   {"seq", record.seq},       {"time", record.time},
                         {"event", record.event}, {"fields", record.fields}, {"prev", record.prev}};
  record.hash = record_hash(line);
  line["hash"] = record.hash;
  const std::string text = line.dump() + "\n";

  struct stat before {};
  if (::fstat(fd_, &before) != 0)
    throw Error("cannot append to audit log " + path_.string() + ": " + system_reason(errno));
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd_, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error_number = n < 0 ? errno : ENOSPC;
      if (::ftruncate(fd_, before.st_size) != 0) {
        // The partial line stays; opening the log again removes it (and records that).
      }
      throw Error("cannot append to audit log " + path_.string() + ": " + system_reason(error_number) +
                  "; the record was not written");
    }
    written += static_cast<std::size_t>(n);
  }
  known_bytes_ = static_cast<std::uint64_t>(before.st_size) + text.size();
  if (::fsync(fd_) != 0) {
    const int error_number = errno;
    if (::ftruncate(fd_, before.st_size) != 0) {
    }
    throw Error("cannot append to audit log " + path_.string() + ": " + system_reason(error_number) +
                "; the record was not written");
  }
  ++next_seq_;
  last_hash_ = record.hash;
  const nlohmann::json head = {{"records", record.seq + 1}, {"hash", record.hash}};
  // The line is in the chain; a head that could not be replaced lags by this record, which
  // verification accepts, and the next append writes it again. Not an error of the append:
  // callers must not append the same record twice.
  const Status status = write_file_atomically(head_path(path_), head.dump() + "\n");
  head_problem_ =
      status.is_error() ? "the head of " + path_.string() + " was not written: " + status.message() : "";
  return record;
}

std::string AuditLog::head_problem() const {
  std::lock_guard lock(mutex_);
  return head_problem_;
}

std::uint64_t AuditLog::size() const {
  std::lock_guard lock(mutex_);
  return next_seq_;
}

}  // namespace oi::audit
