#pragma once
// sink.mqtt's outbox: a bounded, durable FIFO of events in a SQLite file. Every event is stored
// (and synced) before it is published and deleted only when the broker has acknowledged it
// (QoS 1 PUBACK), so events survive a broker that is away and a process that stops; the next
// run sends what an earlier one left, first. Thread-safe; processes may share one outbox file
// (`oi ledger verdict` adds its verdict events to the lane's).
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace oi::mqtt {

/// What happens to an event that arrives when the outbox is full.
enum class Overflow {
  kDropOldest,  ///< the oldest waiting event is deleted to make room (counted)
  kDropNewest,  ///< the arriving event is not stored (counted)
};

/// One stored event.
struct OutboxEntry {
  std::int64_t id = 0;  ///< increasing, never reused
  std::string topic;
  std::string payload;
};

class Outbox {
 public:
  /// Opens or creates the outbox file. @throws oi::Error naming the file when it cannot be
  /// opened or is not an outbox.
  Outbox(std::filesystem::path file, std::uint64_t capacity, Overflow overflow);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  /// Stores an event. Returns the problem when it could not be stored (a full disk), empty
  /// when stored; an overflow is not a problem (it is counted, by the policy).
  std::string push(const std::string& topic, const std::string& payload);
  /// Up to `limit` events with an id above `after`, oldest first.
  std::vector<OutboxEntry> after(std::int64_t after, std::size_t limit);
  /// Deletes an acknowledged event.
  void remove(std::int64_t id);
  /// Events waiting (counted in the file, so also those other processes added).
  std::uint64_t size();
  /// Events dropped by the overflow policy since opened.
  std::uint64_t dropped() const;
  const std::filesystem::path& file() const { return file_; }

 private:
  std::string exec(const char* sql);
  std::filesystem::path file_;
  std::uint64_t capacity_;
  Overflow overflow_;
  mutable std::mutex mutex_;
  sqlite3* db_ = nullptr;
  std::uint64_t size_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace oi::mqtt
