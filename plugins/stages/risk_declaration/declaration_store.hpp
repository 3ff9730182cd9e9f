#pragma once
// Customs declarations for risk.declaration: read from CSV or JSON-lines files into a SQLite
// database (the durable store), looked up by the join key (a scan id, parcel barcode or
// container number). Malformed lines are reported with file:line and never joined.
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace oi::risk {

/// One declaration.
struct Declaration {
  std::string id;     ///< declaration_id
  std::string key;    ///< the join key's value (scan id, barcode or container number)
  std::string goods;  ///< declared goods category, lower case (clothing, books, food, documents, tools, ...)
  double weight_kg = 0;  ///< declared gross weight
  nlohmann::json truth;  ///< simulated declarations: {honest, lie, ...}; null otherwise
  std::string source;    ///< file:line it came from
};

class DeclarationStore {
 public:
  /// Opens or creates the store; `key` names the join column (scan_id, barcode, container).
  /// @throws oi::Error naming the file when it cannot be opened or is not a store.
  DeclarationStore(std::filesystem::path database, std::string key);
  ~DeclarationStore();
  DeclarationStore(const DeclarationStore&) = delete;
  DeclarationStore& operator=(const DeclarationStore&) = delete;

  /// Reads the lines of `file` added since the last call: complete lines only (a file still
  /// being written is read on), unless `take_last_line` (a file that is complete, as at the
  /// start of a run, may end without a newline). Returns one problem per malformed, incomplete or duplicate
  /// line, "file:line: what"; those lines are not stored. @throws oi::Error when the file
  /// cannot be read or a CSV file has no usable header.
  std::vector<std::string> import_new(const std::filesystem::path& file, bool take_last_line = false);
  /// The declaration with join key `key`.
  std::optional<Declaration> find(const std::string& key);
  /// Declarations stored.
  std::uint64_t size();

 private:
  std::string store(const Declaration& d);
  sqlite3* db_ = nullptr;
  std::filesystem::path database_;
  std::string key_;
  std::map<std::filesystem::path, std::uint64_t> lines_read_;
  std::map<std::filesystem::path, std::vector<std::string>> csv_header_;
};

}  // namespace oi::risk
