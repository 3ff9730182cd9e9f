#include "outbox.hpp"

#include "oi/error.hpp"
#include "sqlite_db.hpp"

namespace oi::mqtt {
using sqlite::Statement;

Outbox::Outbox(std::filesystem::path file, std::uint64_t capacity, Overflow overflow)
    : file_(std::move(file)), capacity_(capacity == 0 ? 1 : capacity), overflow_(overflow) {
  // WAL with full sync: an event is on disk when push() returns.
  db_ = sqlite::open_database(file_, "event outbox", "outbox",
                              "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                              "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                              "topic TEXT NOT NULL, payload TEXT NOT NULL);");
  size();  // events an earlier run left
}

Outbox::~Outbox() { sqlite3_close(db_); }

std::string Outbox::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) == SQLITE_OK) return {};
  std::string text = message ? message : sqlite3_errmsg(db_);
  sqlite3_free(message);
  return text;
}

std::string Outbox::push(const std::string& topic, const std::string& payload) {
  std::lock_guard lock(mutex_);
  if (size_ >= capacity_) {
    ++dropped_;
    if (overflow_ == Overflow::kDropNewest) return {};
    if (std::string p = exec("DELETE FROM events WHERE id = (SELECT MIN(id) FROM events)"); !p.empty())
      return p;
    --size_;
  }
  Statement insert(db_, "INSERT INTO events (topic, payload) VALUES (?, ?)");
  if (!insert.stmt) return sqlite3_errmsg(db_);
  sqlite3_bind_text(insert.stmt, 1, topic.data(), static_cast<int>(topic.size()), SQLITE_STATIC);
  sqlite3_bind_text(insert.stmt, 2, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
  if (sqlite3_step(insert.stmt) != SQLITE_DONE) return sqlite3_errmsg(db_);
  ++size_;
  return {};
}

std::vector<OutboxEntry> Outbox::after(std::int64_t after, std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<OutboxEntry> out;
  Statement select(db_, "SELECT id, topic, payload FROM events WHERE id > ? ORDER BY id LIMIT ?");
  if (!select.stmt) return out;
  sqlite3_bind_int64(select.stmt, 1, after);
  sqlite3_bind_int64(select.stmt, 2, static_cast<sqlite3_int64>(limit));
  while (sqlite3_step(select.stmt) == SQLITE_ROW) {
    OutboxEntry e;
    e.id = sqlite3_column_int64(select.stmt, 0);
    e.topic = reinterpret_cast<const char*>(sqlite3_column_text(select.stmt, 1));
    e.payload = reinterpret_cast<const char*>(sqlite3_column_text(select.stmt, 2));
    out.push_back(std::move(e));
  }
  return out;
}

void Outbox::remove(std::int64_t id) {
  std::lock_guard lock(mutex_);
  Statement erase(db_, "DELETE FROM events WHERE id = ?");
  if (!erase.stmt) return;
  sqlite3_bind_int64(erase.stmt, 1, id);
  // A failed delete leaves the event to be sent again: a duplicate, never a loss.
  if (sqlite3_step(erase.stmt) == SQLITE_DONE && sqlite3_changes(db_) > 0 && size_ > 0) --size_;
}

std::uint64_t Outbox::size() {
  std::lock_guard lock(mutex_);
  // Counted in the file: another process (`oi ledger verdict`) may share the outbox.
  Statement count(db_, "SELECT COUNT(*) FROM events");
  if (count.stmt && sqlite3_step(count.stmt) == SQLITE_ROW)
    size_ = static_cast<std::uint64_t>(sqlite3_column_int64(count.stmt, 0));
  return size_;
}

std::uint64_t Outbox::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

}  // namespace oi::mqtt
