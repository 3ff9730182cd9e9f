// `oi ledger keygen|verify|prove|check-proof|verdict|checkpoint`: the inspection ledger
// (oi/audit/ledger.hpp; docs/integration.md, "Inspection ledger").
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "commands.hpp"
#include "dicos_files.hpp"
#include "events.hpp"
#include "oi/audit/ledger.hpp"
#include "oi/error.hpp"
#include "oi/files.hpp"
#include "outbox.hpp"
#include "publisher.hpp"

namespace oi::cli {
namespace {

std::optional<audit::PublicKey> trusted_key(const std::string& file) {
  if (file.empty()) return std::nullopt;
  return audit::PublicKey::load(file);
}

int keygen(const LedgerArgs& args) {
  const audit::PublicKey key = audit::SigningKey::generate(args.key);
  std::printf("wrote ledger signing key %s (mode 0600; keep it secret) and its public half %s\nkey id %s\n",
              args.key.c_str(), audit::public_key_path(args.key).c_str(), key.id().c_str());
  return kExitOk;
}

int verify(const LedgerArgs& args) {
  std::error_code error;
  const bool exists = std::filesystem::is_regular_file(args.ledger, error);
  nlohmann::json anchor = nullptr;
  if (!args.anchor.empty()) {
    std::ifstream in(args.anchor);
    std::stringstream text;
    text << in.rdbuf();
    anchor = nlohmann::json::parse(text.str(), nullptr, false);
    if (!in || anchor.is_discarded()) {
      std::fprintf(stderr, "error: anchor %s cannot be read as JSON (a copy of LEDGER.checkpoint)\n",
                   args.anchor.c_str());
      return kExitInvalid;
    }
  }
  const audit::LedgerVerification v = audit::verify_ledger(args.ledger, trusted_key(args.public_key), anchor);
  if (args.json) {
    const nlohmann::json out = {{"ok", v.ok},
                                {"records", v.records},
                                {"checkpoints", v.checkpoints},
                                {"unsealed", v.unsealed},
                                {"trusted_key", v.trusted_key},
                                {"line", v.line},
                                {"problem", v.problem}};
    std::printf("%s\n", out.dump(2).c_str());
  } else if (v.ok) {
    std::printf(
        "%s: %llu records, chain, head and %llu signed checkpoints verified; %llu records after the last "
        "checkpoint\n",
        args.ledger.c_str(), static_cast<unsigned long long>(v.records),
        static_cast<unsigned long long>(v.checkpoints), static_cast<unsigned long long>(v.unsealed));
    if (!v.trusted_key)
      std::fprintf(stderr,
                   "note: signatures were checked against the keys the checkpoints name; pass --public-key "
                   "with the site's .pub file to check who signed them\n");
  } else {
    std::fprintf(stderr,
                 "error: ledger does not verify: %s\n"
                 "  %llu records verified before the problem; keep the files as evidence and report it\n",
                 v.problem.c_str(), static_cast<unsigned long long>(v.records));
  }
  if (v.ok) return kExitOk;
  return exists ? kExitRuntime : kExitInvalid;
}

int prove(const LedgerArgs& args) {
  const nlohmann::json proof = audit::prove_inclusion(args.ledger, args.scan_id);
  const std::string text = proof.dump(2) + "\n";
  if (args.output.empty()) {
    std::fputs(text.c_str(), stdout);
  } else {
    if (Status s = write_file_atomically(args.output, text); s.is_error()) {
      std::fprintf(stderr, "error: %s\n", s.message().c_str());
      return kExitRuntime;
    }
    std::printf("wrote the inclusion proof of scan %s (record %s in a signed tree of %s records) to %s\n",
                args.scan_id.c_str(), proof["leaf_index"].dump().c_str(), proof["tree_size"].dump().c_str(),
                args.output.c_str());
  }
  return kExitOk;
}

int check_proof(const LedgerArgs& args) {
  std::ifstream in(args.proof);
  if (!in) {
    std::fprintf(stderr, "error: cannot read proof %s\n", args.proof.c_str());
    return kExitInvalid;
  }
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json proof = nlohmann::json::parse(text.str(), nullptr, false);
  if (proof.is_discarded()) {
    std::fprintf(stderr, "error: proof %s is not JSON (write one with `oi ledger prove`)\n",
                 args.proof.c_str());
    return kExitInvalid;
  }
  const std::string problem = audit::check_inclusion_proof(proof, trusted_key(args.public_key));
  if (!problem.empty()) {
    std::fprintf(stderr, "error: proof %s does not hold: %s\n", args.proof.c_str(), problem.c_str());
    return kExitRuntime;
  }
  std::printf(
      "proof holds: scan %s is record %s of the tree of %s records whose root %s was signed by key %s\n",
      audit::scan_id_text(proof["record"]["fields"].value("scan_id", nlohmann::json())).c_str(),
      proof["leaf_index"].dump().c_str(), proof["tree_size"].dump().c_str(),
      proof["root"].get<std::string>().c_str(),
      proof["checkpoint"]["fields"]["key_id"].get<std::string>().c_str());
  return kExitOk;
}

// The OPERATOR TDR beside the scan's machine TDR in sink.dicos's folder.
int verdict_tdr(const LedgerArgs& args, std::int64_t now_ns) {
  char name[64];
  try {
    std::snprintf(name, sizeof name, "scan_%06llu_tdr.dcm", std::stoull(args.scan_id));
  } catch (const std::exception&) {
    std::fprintf(stderr, "error: scan id %s is not a number, so its TDR in %s cannot be found\n",
                 args.scan_id.c_str(), args.dicos_dir.c_str());
    return kExitRuntime;
  }
  try {
    const std::filesystem::path file = dicos::write_operator_tdr(
        std::filesystem::path(args.dicos_dir) / name, args.verdict, args.officer, args.note, now_ns);
    std::printf("wrote the operator's TDR %s\n", file.c_str());
  } catch (const Error& e) {
    std::fprintf(stderr, "error: the verdict is in the ledger but its TDR was not written: %s\n", e.what());
    return kExitRuntime;
  }
  return kExitOk;
}

// The verdict event, through the outbox: sent now, or by whoever drains that outbox next.
int verdict_event(const LedgerArgs& args, std::uint64_t seq, std::int64_t now_ns) {
  const std::size_t colon = args.mqtt.rfind(':');
  mqtt::BrokerOptions broker;
  try {
    broker.host = args.mqtt.substr(0, colon);
    broker.port = colon == std::string::npos ? 1883 : std::stoi(args.mqtt.substr(colon + 1));
  } catch (const std::exception&) {
    std::fprintf(stderr, "error: --mqtt %s is not HOST:PORT\n", args.mqtt.c_str());
    return kExitInvalid;
  }
  const std::string outbox_file = args.outbox.empty() ? args.ledger + ".outbox.sqlite" : args.outbox;
  try {
    mqtt::Outbox outbox(outbox_file, 100000, mqtt::Overflow::kDropOldest);
    const mqtt::Event event = mqtt::verdict_event(args.scan_id, args.verdict, args.officer, args.note, seq,
                                                  now_ns, {args.place, args.topic_prefix});
    if (std::string problem = outbox.push(event.topic, event.message.dump()); !problem.empty()) {
      std::fprintf(stderr,
                   "error: the verdict is in the ledger but its event could not be stored in %s: %s\n",
                   outbox_file.c_str(), problem.c_str());
      return kExitRuntime;
    }
    mqtt::Publisher publisher(broker, outbox);
    publisher.wake();
    if (publisher.drain(10000)) {
      std::printf("published the verdict event on %s to %s\n", event.topic.c_str(), args.mqtt.c_str());
    } else {
      std::printf(
          "the broker at %s did not take the verdict event (%s); it waits in %s and is sent by the next "
          "sink.mqtt or `oi ledger verdict` using that outbox\n",
          args.mqtt.c_str(), publisher.stats().last_problem.c_str(), outbox_file.c_str());
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "error: the verdict is in the ledger but its event was not stored: %s\n", e.what());
    return kExitRuntime;
  }
  return kExitOk;
}

int verdict(const LedgerArgs& args) {
  audit::Ledger ledger(args.ledger, {args.key, 0});
  const audit::Record record = ledger.record_verdict({args.scan_id, args.verdict, args.officer, args.note});
  std::printf("recorded verdict %s on scan %s by %s as record %llu of %s\n", args.verdict.c_str(),
              args.scan_id.c_str(), args.officer.c_str(), static_cast<unsigned long long>(record.seq),
              args.ledger.c_str());
  const std::int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  int status = kExitOk;
  if (!args.dicos_dir.empty()) status = std::max(status, verdict_tdr(args, now_ns));
  if (!args.mqtt.empty()) status = std::max(status, verdict_event(args, record.seq, now_ns));
  if (args.seal) {
    if (!ledger.checkpoint()) {
      std::fprintf(stderr, "error: the verdict is recorded but could not be sealed: %s\n",
                   ledger.last_checkpoint_problem().c_str());
      return kExitRuntime;
    }
    std::printf("sealed with a signed checkpoint\n");
  }
  return status;
}

int checkpoint(const LedgerArgs& args) {
  audit::Ledger ledger(args.ledger, {args.key, 0});
  const std::optional<audit::Record> record = ledger.checkpoint();
  if (!record) {
    if (!ledger.last_checkpoint_problem().empty()) {
      std::fprintf(stderr, "error: %s\n", ledger.last_checkpoint_problem().c_str());
      return kExitRuntime;
    }
    std::printf("%s: nothing to seal (its last record is a checkpoint)\n", args.ledger.c_str());
    return kExitOk;
  }
  std::printf("%s: sealed %s records with a signed checkpoint (root %s)\n", args.ledger.c_str(),
              record->fields["tree_size"].dump().c_str(), record->fields["root"].get<std::string>().c_str());
  return kExitOk;
}

}  // namespace

int ledger_command(const LedgerArgs& args) {
  try {
    if (args.action == "keygen") return keygen(args);
    if (args.action == "verify") return verify(args);
    if (args.action == "prove") return prove(args);
    if (args.action == "check-proof") return check_proof(args);
    if (args.action == "verdict") return verdict(args);
    if (args.action == "checkpoint") return checkpoint(args);
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitInvalid;
  }
  return kExitInvalid;
}

}  // namespace oi::cli
