#include "oi/audit/ledger.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "oi/error.hpp"
#include "oi/files.hpp"

namespace oi::audit {
namespace {

constexpr const char* kProofFormat = "openinspect-ledger-proof";

merkle::Hash leaf_of(const std::string& record_hash_hex) {
  const std::optional<merkle::Hash> digest = merkle::from_hex(record_hash_hex);
  if (!digest) throw Error("a ledger record's hash is not 64 hex digits");
  return merkle::leaf_hash(std::string_view(reinterpret_cast<const char*>(digest->data()), digest->size()));
}

std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool is_event(const nlohmann::json& record, const char* event) {
  return record.is_object() && record.value("event", "") == event;
}

// The problem with a checkpoint's fields, or "" when every member is there and well-formed.
std::string checkpoint_shape_problem(const nlohmann::json& f) {
  if (!f.is_object()) return "has no fields object";
  for (const char* member : {"tree_size", "batch_first"})
    if (!f.contains(member) || !f[member].is_number_unsigned())
      return std::string("has no count `") + member + "`";
  for (const char* member : {"root", "batch_root", "key_id", "public_key", "signature"})
    if (!f.contains(member) || !f[member].is_string()) return std::string("has no text `") + member + "`";
  return {};
}

// Checks a checkpoint's signature and key; returns the problem or "".
std::string signature_problem(const nlohmann::json& f, const std::optional<PublicKey>& trusted) {
  PublicKey named;
  try {
    named = PublicKey::from_hex(f["public_key"].get<std::string>(), "its public_key");
  } catch (const Error& e) {
    return e.what();
  }
  if (named.id() != f["key_id"].get<std::string>())
    return "names key id " + f["key_id"].get<std::string>() + " but carries the public key of " + named.id();
  if (trusted && trusted->bytes != named.bytes)
    return "is signed by key " + named.id() + ", not by the trusted key " + trusted->id() +
           " (a checkpoint re-signed with another key, or the wrong --public-key)";
  if (!verify_signature(trusted ? *trusted : named, checkpoint_message(f), f["signature"].get<std::string>()))
    return "has a signature that does not verify: the checkpoint was altered or forged";
  return {};
}

}  // namespace

std::filesystem::path checkpoint_path(const std::filesystem::path& ledger) {
  std::filesystem::path file = ledger;
  file += ".checkpoint";
  return file;
}

std::string checkpoint_message(const nlohmann::json& fields) {
  const nlohmann::json signed_part = {{"tree_size", fields.at("tree_size")},
                                      {"root", fields.at("root")},
                                      {"batch_first", fields.at("batch_first")},
                                      {"batch_root", fields.at("batch_root")},
                                      {"key_id", fields.at("key_id")}};
  return "openinspect-ledger-checkpoint/1\n" + signed_part.dump();
}

std::string scan_id_text(const nlohmann::json& scan_id) {
  if (scan_id.is_string()) return scan_id.get<std::string>();
  return scan_id.dump();
}

Ledger::Ledger(std::filesystem::path path, LedgerOptions options)
    : path_(std::move(path)), options_(std::move(options)), log_(path_) {
  // Fail at start, not at the first checkpoint, when the key is unusable.
  (void)SigningKey::load(options_.key_file);
  std::lock_guard lock(mutex_);
  sync_tree();
}

void Ledger::sync_tree() {
  std::ifstream in(path_, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(read_bytes_));
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // a line still being written by another process: read it next time
    read_bytes_ += line.size() + 1;
    const nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
    if (!record.is_object() || !record.contains("hash") || !record["hash"].is_string())
      throw Error("ledger " + path_.string() + ": record " + std::to_string(tree_.size()) +
                  " is not a ledger record; verify it with `oi ledger verify`");
    const merkle::Hash leaf = leaf_of(record["hash"].get<std::string>());
    tree_.append(leaf);
    last_is_checkpoint_ = is_event(record, ledger_event::kCheckpoint);
    if (last_is_checkpoint_) {
      batch_ = merkle::TreeBuilder{};
      batch_first_ = tree_.size();
      since_checkpoint_ = 0;
    } else {
      batch_.append(leaf);
      ++since_checkpoint_;
      if (is_event(record, ledger_event::kInspection) && record.contains("fields") &&
          record["fields"].contains("scan_id"))
        inspections_[scan_id_text(record["fields"]["scan_id"])] = tree_.size() - 1;
    }
  }
}

Record Ledger::append_inspection(const nlohmann::json& fields) {
  if (!fields.is_object() || !fields.contains("scan_id"))
    throw Error("ledger " + path_.string() + ": an inspection record needs a `scan_id`");
  Record record = log_.append(ledger_event::kInspection, fields);
  // The record is in the ledger: nothing below may make the caller append it again.
  std::lock_guard lock(mutex_);
  try {
    sync_tree();
  } catch (const Error& e) {
    checkpoint_problem_ = e.what();
    return record;
  }
  if (options_.checkpoint_every > 0 && since_checkpoint_ >= options_.checkpoint_every) checkpoint_locked();
  return record;
}

Record Ledger::record_verdict(const Verdict& verdict) {
  const auto known = std::find(std::begin(kVerdicts), std::end(kVerdicts), verdict.verdict);
  if (known == std::end(kVerdicts))
    throw Error("verdict \"" + verdict.verdict +
                "\" is not one the ledger records; use cleared, searched or seized");
  if (verdict.officer.empty()) throw Error("a verdict needs the officer's id (who decided)");
  std::uint64_t inspection_seq = 0;
  {
    std::lock_guard lock(mutex_);
    sync_tree();
    const auto found = inspections_.find(verdict.scan_id);
    if (found == inspections_.end())
      throw Error("ledger " + path_.string() + " has no inspection of scan " + verdict.scan_id +
                  "; a verdict refers to a scan the pipeline recorded (check the scan id with `oi ledger "
                  "verify`, or the ledger file)");
    inspection_seq = found->second;
  }
  return log_.append(ledger_event::kVerdict, {{"scan_id", verdict.scan_id},
                                              {"verdict", verdict.verdict},
                                              {"officer", verdict.officer},
                                              {"note", verdict.note},
                                              {"inspection_seq", inspection_seq}});
}

std::optional<Record> Ledger::checkpoint() {
  std::lock_guard lock(mutex_);
  sync_tree();
  return checkpoint_locked();
}

nlohmann::json Ledger::checkpoint_fields(std::uint64_t seq, const SigningKey& key) {
  sync_tree();  // under the log's lock: every record before `seq` is on disk
  if (tree_.size() != seq)
    throw Error("ledger " + path_.string() + ": read " + std::to_string(tree_.size()) +
                " records but the log has " + std::to_string(seq) + "; verify it with `oi ledger verify`");
  nlohmann::json fields = {{"tree_size", seq},
                           {"root", merkle::to_hex(tree_.root())},
                           {"batch_first", batch_first_},
                           {"batch_root", merkle::to_hex(batch_.root())},
                           {"key_id", key.public_key().id()},
                           {"public_key", key.public_key().hex()}};
  fields["signature"] = key.sign(checkpoint_message(fields));
  return fields;
}

std::optional<Record> Ledger::checkpoint_locked() {
  if (last_is_checkpoint_ || tree_.size() == 0) return std::nullopt;
  std::optional<SigningKey> key;
  try {
    key.emplace(SigningKey::load(options_.key_file));
  } catch (const Error& e) {
    ++missed_;
    checkpoint_problem_ = std::string(e.what()) +
                          "; records are still appended, and the next checkpoint that "
                          "can be signed seals them";
    return std::nullopt;
  }
  Record record = log_.append_computed(ledger_event::kCheckpoint,
                                       [&](std::uint64_t seq) { return checkpoint_fields(seq, *key); });
  sync_tree();
  ++written_;
  checkpoint_problem_.clear();
  const nlohmann::json copy = {{"seq", record.seq}, {"time", record.time}, {"fields", record.fields}};
  if (Status s = write_file_atomically(checkpoint_path(path_), copy.dump() + "\n"); s.is_error())
    checkpoint_problem_ = "the checkpoint is in the ledger but its copy " + checkpoint_path(path_).string() +
                          " was not written: " + s.message();
  return record;
}

std::uint64_t Ledger::size() const { return log_.size(); }

std::uint64_t Ledger::checkpoints_written() const {
  std::lock_guard lock(mutex_);
  return written_;
}

std::uint64_t Ledger::checkpoints_missed() const {
  std::lock_guard lock(mutex_);
  return missed_;
}

std::string Ledger::last_checkpoint_problem() const {
  std::lock_guard lock(mutex_);
  return checkpoint_problem_;
}

LedgerVerification verify_ledger(const std::filesystem::path& path, const std::optional<PublicKey>& trusted,
                                 const nlohmann::json& anchor) {
  LedgerVerification out;
  out.trusted_key = trusted.has_value();
  const Verification chain = verify_audit_log(path);
  if (!chain.ok) {
    out.records = chain.records;
    out.line = chain.line;
    out.problem = chain.problem;
    return out;
  }
  const std::vector<std::string> lines = read_lines(path);
  merkle::TreeBuilder tree;
  merkle::TreeBuilder batch;
  std::uint64_t batch_first = 0;
  std::optional<std::uint64_t> last_checkpoint;
  auto fail = [&](std::uint64_t index, std::uint64_t verified, const std::string& problem) {
    out.ok = false;
    out.line = index + 1;
    out.records = verified;
    out.problem = path.string() + ": line " + std::to_string(index + 1) + " " + problem;
    return out;
  };
  for (std::uint64_t i = 0; i < lines.size(); ++i) {
    const nlohmann::json record = nlohmann::json::parse(lines[i]);  // the chain check parsed it
    const merkle::Hash leaf = leaf_of(record["hash"].get<std::string>());
    if (is_event(record, ledger_event::kCheckpoint)) {
      const nlohmann::json& f = record["fields"];
      if (std::string p = checkpoint_shape_problem(f); !p.empty())
        return fail(i, batch_first, "(a checkpoint) " + p);
      if (f["tree_size"].get<std::uint64_t>() != i || f["batch_first"].get<std::uint64_t>() != batch_first)
        return fail(i, batch_first,
                    "(a checkpoint) covers records " + f["batch_first"].dump() + ".." +
                        f["tree_size"].dump() + " where it stands after records " +
                        std::to_string(batch_first) + ".." + std::to_string(i) +
                        ": records were deleted, inserted or moved");
      if (f["root"].get<std::string>() != merkle::to_hex(tree.root()) ||
          f["batch_root"].get<std::string>() != merkle::to_hex(batch.root()))
        return fail(
            i, batch_first,
            "(a checkpoint) does not match the records it seals (lines " + std::to_string(batch_first + 1) +
                " to " + std::to_string(i) +
                "): one of them was rewritten and the chain recomputed after the checkpoint was signed");
      if (std::string p = signature_problem(f, trusted); !p.empty())
        return fail(i, batch_first, "(a checkpoint) " + p);
      ++out.checkpoints;
      tree.append(leaf);
      batch = merkle::TreeBuilder{};
      batch_first = i + 1;
      last_checkpoint = i;
    } else {
      tree.append(leaf);
      batch.append(leaf);
    }
  }
  out.records = lines.size();
  out.unsealed = lines.size() - (last_checkpoint ? *last_checkpoint + 1 : 0);

  if (!anchor.is_null()) {
    if (!anchor.is_object() || !anchor.contains("seq") || !anchor["seq"].is_number_unsigned() ||
        !anchor.contains("fields") || !checkpoint_shape_problem(anchor["fields"]).empty()) {
      out.problem = "the anchor is not a checkpoint ({seq, time, fields}, as <ledger>.checkpoint holds one)";
      return out;
    }
    if (std::string p = signature_problem(anchor["fields"], trusted); !p.empty()) {
      out.problem = "the anchor " + p;
      return out;
    }
    const std::uint64_t seq = anchor["seq"].get<std::uint64_t>();
    if (seq >= lines.size()) {
      out.problem = path.string() + ": the anchored checkpoint stands at record " + std::to_string(seq) +
                    " but the ledger has " + std::to_string(lines.size()) +
                    " records: records were removed from the end (the ledger was cut back)";
      out.line = lines.size() + 1;
      return out;
    }
    const nlohmann::json at = nlohmann::json::parse(lines[seq]);
    if (!is_event(at, ledger_event::kCheckpoint) || at["fields"] != anchor["fields"]) {
      out.problem = path.string() + ": record " + std::to_string(seq) +
                    " is not the anchored checkpoint: the ledger was rewritten from there";
      out.line = seq + 1;
      return out;
    }
  }

  // The copy of the latest checkpoint: records cut off after it (with a recomputed head) show.
  const std::filesystem::path copy_path = checkpoint_path(path);
  std::ifstream copy_in(copy_path);
  if (!copy_in) {
    if (last_checkpoint) {
      out.problem = path.string() + ": its checkpoint copy " + copy_path.string() +
                    " is missing: records removed from the end cannot be ruled out";
      return out;
    }
    out.ok = true;
    return out;
  }
  std::stringstream text;
  text << copy_in.rdbuf();
  const nlohmann::json copy = nlohmann::json::parse(text.str(), nullptr, false);
  if (!copy.is_object() || !copy.contains("seq") || !copy["seq"].is_number_unsigned() ||
      !copy.contains("fields")) {
    out.problem = path.string() + ": its checkpoint copy " + copy_path.string() + " is not a checkpoint";
    return out;
  }
  const std::uint64_t seq = copy["seq"].get<std::uint64_t>();
  if (seq >= lines.size()) {
    out.problem = path.string() + ": the latest signed checkpoint (" + copy_path.string() +
                  ") stands at record " + std::to_string(seq) + " but the ledger has " +
                  std::to_string(lines.size()) + " records: records were removed from the end";
    out.records = lines.size();
    out.line = lines.size() + 1;
    return out;
  }
  const nlohmann::json at_seq = nlohmann::json::parse(lines[seq]);
  if (!is_event(at_seq, ledger_event::kCheckpoint) || at_seq["fields"] != copy["fields"]) {
    out.problem = path.string() + ": record " + std::to_string(seq) + " is not the checkpoint " +
                  copy_path.string() + " holds: the ledger or the copy was altered";
    out.line = seq + 1;
    return out;
  }
  if (last_checkpoint && *last_checkpoint != seq) {
    out.problem = path.string() + ": " + copy_path.string() + " holds checkpoint " + std::to_string(seq) +
                  " but the ledger's latest is " + std::to_string(*last_checkpoint) +
                  ": the copy is stale or replaced";
    return out;
  }
  out.ok = true;
  return out;
}

nlohmann::json prove_inclusion(const std::filesystem::path& path, std::string_view scan_id) {
  const LedgerVerification verified = verify_ledger(path, std::nullopt);
  if (!verified.ok)
    throw Error("ledger does not verify, so nothing in it can be proven: " + verified.problem);
  const std::vector<std::string> lines = read_lines(path);
  std::vector<merkle::Hash> leaves;
  std::optional<std::uint64_t> target;
  std::vector<std::uint64_t> checkpoints;
  for (std::uint64_t i = 0; i < lines.size(); ++i) {
    const nlohmann::json record = nlohmann::json::parse(lines[i]);
    leaves.push_back(leaf_of(record["hash"].get<std::string>()));
    if (is_event(record, ledger_event::kCheckpoint)) checkpoints.push_back(i);
    if (is_event(record, ledger_event::kInspection) &&
        scan_id_text(record["fields"].value("scan_id", nlohmann::json())) == scan_id)
      target = i;
  }
  if (!target) throw Error("ledger " + path.string() + " has no inspection of scan " + std::string(scan_id));
  const auto covering =
      std::find_if(checkpoints.begin(), checkpoints.end(), [&](std::uint64_t c) { return c > *target; });
  if (covering == checkpoints.end())
    throw Error(
        "scan " + std::string(scan_id) + "'s record (line " + std::to_string(*target + 1) +
        ") is not sealed by a signed checkpoint yet; the pipeline writes one every `checkpoint_every` "
        "records and when it stops, or run `oi ledger checkpoint " +
        path.string() + " --key KEY`");
  const std::uint64_t tree_size = *covering;
  const std::vector<merkle::Hash> tree(leaves.begin(),
                                       leaves.begin() + static_cast<std::ptrdiff_t>(tree_size));
  nlohmann::json audit_path = nlohmann::json::array();
  for (const merkle::Hash& h : merkle::inclusion_path(tree, *target)) audit_path.push_back(merkle::to_hex(h));
  const nlohmann::json checkpoint = nlohmann::json::parse(lines[tree_size]);
  return {{"format", kProofFormat},
          {"version", 1},
          {"record", nlohmann::json::parse(lines[*target])},
          {"leaf_index", *target},
          {"tree_size", tree_size},
          {"root", checkpoint["fields"]["root"]},
          {"path", audit_path},
          {"checkpoint",
           {{"seq", checkpoint["seq"]}, {"time", checkpoint["time"]}, {"fields", checkpoint["fields"]}}}};
}

std::string check_inclusion_proof(const nlohmann::json& proof, const std::optional<PublicKey>& trusted) {
  if (!proof.is_object() || proof.value("format", "") != kProofFormat || proof.value("version", 0) != 1)
    return std::string("not an inclusion proof of format \"") + kProofFormat + "\" version 1";
  for (const char* member : {"record", "leaf_index", "tree_size", "root", "path", "checkpoint"})
    if (!proof.contains(member)) return std::string("the proof has no `") + member + "`";
  const nlohmann::json& record = proof["record"];
  if (!record.is_object() || !record.contains("hash") || !record["hash"].is_string() ||
      !record.contains("seq"))
    return "the proof's record is not a ledger record";
  if (record_hash(record) != record["hash"].get<std::string>())
    return "the record does not match its hash: it was edited after the proof was made";
  if (!proof["leaf_index"].is_number_unsigned() || proof["leaf_index"] != record["seq"])
    return "the proof's leaf_index is not the record's seq";
  const nlohmann::json& cp = proof["checkpoint"];
  if (!cp.is_object() || !cp.contains("fields")) return "the proof's checkpoint has no fields";
  if (std::string p = checkpoint_shape_problem(cp["fields"]); !p.empty())
    return "the proof's checkpoint " + p;
  const nlohmann::json& f = cp["fields"];
  if (proof["tree_size"] != f["tree_size"] || proof["root"] != f["root"])
    return "the proof's tree size or root is not the checkpoint's";
  std::vector<merkle::Hash> path;
  if (!proof["path"].is_array()) return "the proof's path is not a list";
  for (const nlohmann::json& h : proof["path"]) {
    const std::optional<merkle::Hash> digest =
        h.is_string() ? merkle::from_hex(h.get<std::string>()) : std::nullopt;
    if (!digest) return "the proof's path holds something other than 64-hex-digit hashes";
    path.push_back(*digest);
  }
  const std::optional<merkle::Hash> root = merkle::from_hex(f["root"].get<std::string>());
  if (!root) return "the checkpoint's root is not 64 hex digits";
  if (!merkle::verify_inclusion(proof["leaf_index"].get<std::uint64_t>(), f["tree_size"].get<std::uint64_t>(),
                                leaf_of(record["hash"].get<std::string>()), path, *root))
    return "the audit path does not lead from the record to the signed root: the record is not in that tree";
  if (std::string p = signature_problem(f, trusted); !p.empty()) return "the checkpoint " + p;
  return {};
}

}  // namespace oi::audit
