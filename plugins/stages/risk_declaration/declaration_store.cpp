#include "declaration_store.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "oi/error.hpp"
#include "oi/files.hpp"
#include "sqlite_db.hpp"

namespace oi::risk {
namespace {

using sqlite::Statement;

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(field);
      field.clear();
    } else if (c != '\r') {
      field += c;
    }
  }
  fields.push_back(field);
  return fields;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string text_of(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_unsigned() || value.is_number_integer()) return value.dump();
  return {};
}

}  // namespace

DeclarationStore::DeclarationStore(std::filesystem::path database, std::string key)
    : database_(std::move(database)), key_(std::move(key)) {
  db_ = sqlite::open_database(
      database_, "declaration store", "store",
      "PRAGMA journal_mode=WAL;"
      "CREATE TABLE IF NOT EXISTS declarations (key TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, "
      "goods TEXT NOT NULL, weight_kg REAL NOT NULL, truth TEXT, source TEXT NOT NULL);");
}

DeclarationStore::~DeclarationStore() { sqlite3_close(db_); }

std::string DeclarationStore::store(const Declaration& d) {
  // A key or id already stored from another line is a duplicate: the first one stays.
  Statement existing(db_, "SELECT source FROM declarations WHERE key = ? OR id = ?");
  sqlite3_bind_text(existing.stmt, 1, d.key.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(existing.stmt, 2, d.id.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(existing.stmt) == SQLITE_ROW) {
    const std::string first = reinterpret_cast<const char*>(sqlite3_column_text(existing.stmt, 0));
    if (first == d.source) return {};  // the same line read again (a store reused by the next run)
    return "duplicate declaration (id " + d.id + ", " + key_ + " " + d.key + "; the first is at " + first +
           "): not joined";
  }
  Statement insert(
      db_, "INSERT INTO declarations (key, id, goods, weight_kg, truth, source) VALUES (?, ?, ?, ?, ?, ?)");
  sqlite3_bind_text(insert.stmt, 1, d.key.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(insert.stmt, 2, d.id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(insert.stmt, 3, d.goods.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_double(insert.stmt, 4, d.weight_kg);
  const std::string truth = d.truth.is_null() ? std::string() : d.truth.dump();
  if (truth.empty())
    sqlite3_bind_null(insert.stmt, 5);
  else
    sqlite3_bind_text(insert.stmt, 5, truth.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(insert.stmt, 6, d.source.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(insert.stmt) != SQLITE_DONE)
    throw Error("cannot store declaration " + d.id + " in " + database_.string() + ": " +
                sqlite3_errmsg(db_));
  return {};
}

std::vector<std::string> DeclarationStore::import_new(const std::filesystem::path& file,
                                                      bool take_last_line) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const std::optional<std::string> problem = input_file_problem(file);
    if (problem && is_unreadable(*problem)) throw Error("declarations " + file.string() + " " + *problem);
    throw Error("cannot read declarations " + file.string() + (problem ? ": it " + *problem : std::string()) +
                "; set `declarations` to a readable file");
  }
  const bool csv = file.extension() == ".csv";
  std::vector<std::string> problems;
  std::uint64_t& done = lines_read_[file];
  std::string line;
  std::uint64_t number = 0;
  sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr);
  while (std::getline(in, line)) {
    if (in.eof() && !take_last_line) break;  // no newline yet: still being written
    ++number;
    if (number <= done) continue;
    done = number;
    const std::string where = file.string() + ":" + std::to_string(number);
    if (line.empty() || line == "\r") continue;
    Declaration d;
    d.source = where;
    if (csv) {
      std::vector<std::string> fields = split_csv(line);
      std::vector<std::string>& header = csv_header_[file];
      if (number == 1) {
        for (std::string& f : fields) f = lower(f);
        header = fields;
        for (const std::string& column :
             {std::string("declaration_id"), key_, std::string("goods"), std::string("weight_kg")})
          if (std::find(header.begin(), header.end(), column) == header.end())
            throw Error(where + ": the CSV header has no column `" + column + "` (needed: declaration_id, " +
                        key_ + ", goods, weight_kg)");
        continue;
      }
      if (fields.size() != header.size()) {
        problems.push_back(where + ": " + std::to_string(fields.size()) + " fields where the header has " +
                           std::to_string(header.size()) + ": not joined");
        continue;
      }
      auto column = [&](const std::string& name) {
        return fields[static_cast<std::size_t>(std::find(header.begin(), header.end(), name) -
                                               header.begin())];
      };
      d.id = column("declaration_id");
      d.key = column(key_);
      d.goods = lower(column("goods"));
      try {
        std::size_t used = 0;
        d.weight_kg = std::stod(column("weight_kg"), &used);
        if (used != column("weight_kg").size()) throw std::invalid_argument("trailing text");
      } catch (const std::exception&) {
        problems.push_back(where + ": weight_kg \"" + column("weight_kg") + "\" is not a number: not joined");
        continue;
      }
    } else {
      const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_object()) {
        problems.push_back(where + ": not a JSON object: not joined");
        continue;
      }
      d.id = text_of(j.value("declaration_id", nlohmann::json()));
      d.key = text_of(j.value(key_, nlohmann::json()));
      d.goods = lower(text_of(j.value("goods", nlohmann::json())));
      if (!j.contains("weight_kg") || !j["weight_kg"].is_number()) {
        problems.push_back(where + ": weight_kg missing or not a number: not joined");
        continue;
      }
      d.weight_kg = j["weight_kg"].get<double>();
      d.truth = j.value("truth", nlohmann::json());
    }
    if (d.id.empty() || d.key.empty() || d.goods.empty()) {
      problems.push_back(where + ": " +
                         std::string(d.id.empty()    ? "declaration_id"
                                     : d.key.empty() ? key_
                                                     : "goods") +
                         " is missing: not joined");
      continue;
    }
    if (!(d.weight_kg >= 0)) {
      problems.push_back(where + ": weight_kg " + std::to_string(d.weight_kg) + " is negative: not joined");
      continue;
    }
    if (std::string p = store(d); !p.empty()) problems.push_back(where + ": " + p);
  }
  sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  return problems;
}

std::optional<Declaration> DeclarationStore::find(const std::string& key) {
  Statement select(db_, "SELECT id, goods, weight_kg, truth, source FROM declarations WHERE key = ?");
  sqlite3_bind_text(select.stmt, 1, key.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(select.stmt) != SQLITE_ROW) return std::nullopt;
  Declaration d;
  d.key = key;
  d.id = reinterpret_cast<const char*>(sqlite3_column_text(select.stmt, 0));
  d.goods = reinterpret_cast<const char*>(sqlite3_column_text(select.stmt, 1));
  d.weight_kg = sqlite3_column_double(select.stmt, 2);
  if (sqlite3_column_type(select.stmt, 3) != SQLITE_NULL)
    d.truth = nlohmann::json::parse(reinterpret_cast<const char*>(sqlite3_column_text(select.stmt, 3)),
                                    nullptr, false);
  d.source = reinterpret_cast<const char*>(sqlite3_column_text(select.stmt, 4));
  return d;
}

std::uint64_t DeclarationStore::size() {
  Statement count(db_, "SELECT COUNT(*) FROM declarations");
  return sqlite3_step(count.stmt) == SQLITE_ROW
             ? static_cast<std::uint64_t>(sqlite3_column_int64(count.stmt, 0))
             : 0;
}

}  // namespace oi::risk
