// The inspection ledger: RFC 6962 trees against Certificate Transparency's published test
// vectors, Ed25519 key files and their permissions, checkpoints, verdicts from a second writer,
// inclusion proofs checked on their own, and every kind of tampering found at its line.
#include "oi/audit/ledger.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "log_lines.hpp"
#include "oi/error.hpp"
#include "process.hpp"
#include "scratch.hpp"

namespace fs = std::filesystem;
namespace audit = oi::audit;
namespace merkle = oi::audit::merkle;

namespace {

fs::path scratch(const std::string& name) { return oi::test::scratch_dir("ledger", name); }

using oi::test::read_lines;
using oi::test::write_lines;

// What someone who can write the files but has no key does to hide an edit: recomputes every
// hash from the first changed line on, and the head.
void rechain(const fs::path& file, std::vector<std::string> lines) {
  std::string prev(64, '0');
  for (std::size_t i = 0; i < lines.size(); ++i) {
    nlohmann::json j = nlohmann::json::parse(lines[i]);
    j["seq"] = i;
    j["prev"] = prev;
    j["hash"] = audit::record_hash(j);
    prev = j["hash"].get<std::string>();
    lines[i] = j.dump();
  }
  write_lines(file, lines);
  std::ofstream(audit::head_path(file), std::ios::trunc)
      << nlohmann::json{{"records", lines.size()}, {"hash", prev}}.dump() << '\n';
}

nlohmann::json inspection(int scan) {
  return {{"scan_id", scan},
          {"device", "scanner"},
          {"planes", {{"high", std::string(64, 'a')}, {"low", std::string(64, 'b')}}},
          {"decision", scan % 3 == 0 ? "alarm" : "clear"},
          {"detections", nlohmann::json::array()}};
}

struct Fixture {
  fs::path dir, ledger, key;
  audit::PublicKey public_key;
};

// A ledger of `scans` inspections, a checkpoint every `every`, sealed at the end.
Fixture make_ledger(const std::string& name, int scans, std::uint64_t every) {
  Fixture f;
  f.dir = scratch(name);
  f.ledger = f.dir / "ledger.jsonl";
  f.key = f.dir / "keys" / "ledger.key";
  f.public_key = audit::SigningKey::generate(f.key);
  audit::Ledger ledger(f.ledger, {f.key, every});
  for (int i = 0; i < scans; ++i) ledger.append_inspection(inspection(i));
  ledger.checkpoint();
  return f;
}

std::vector<std::size_t> checkpoint_lines(const fs::path& ledger) {
  std::vector<std::size_t> out;
  const std::vector<std::string> lines = read_lines(ledger);
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (nlohmann::json::parse(lines[i])["event"] == "checkpoint") out.push_back(i);
  return out;
}

}  // namespace

TEST(Merkle, RootsAreCertificateTransparencysTestVectors) {
  // RFC 6962's reference tests (certificate-transparency merkle_tree_test): leaves "", 00, 10,
  // 2021, 3031, 40414243, 5051525354555657, 606162636465666768696a6b6c6d6e6f.
  const std::vector<std::string> data = {
      "", "\x00", "\x10", "\x20\x21", "\x30\x31", "\x40\x41\x42\x43", "PQRSTUVW", "`abcdefghijklmno"};
  const char* const roots[] = {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                               "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                               "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                               "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                               "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                               "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                               "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                               "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  std::vector<merkle::Hash> leaves;
  merkle::TreeBuilder builder;
  EXPECT_EQ(merkle::to_hex(merkle::root({})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  for (std::size_t n = 0; n < data.size(); ++n) {
    const std::string bytes = n == 1 ? std::string(1, '\0') : data[n];
    leaves.push_back(merkle::leaf_hash(bytes));
    builder.append(leaves.back());
    EXPECT_EQ(merkle::to_hex(merkle::root(leaves)), roots[n]) << n + 1 << " leaves";
    EXPECT_EQ(merkle::to_hex(builder.root()), roots[n]) << n + 1 << " leaves, built leaf by leaf";
  }
}

TEST(Merkle, ThreeLeavesByHand) {
  const merkle::Hash a = merkle::leaf_hash("a"), b = merkle::leaf_hash("b"), c = merkle::leaf_hash("c");
  EXPECT_EQ(merkle::root({a, b, c}), merkle::node_hash(merkle::node_hash(a, b), c));
  const std::vector<merkle::Hash> path = merkle::inclusion_path({a, b, c}, 1);
  ASSERT_EQ(path.size(), 2u);
  EXPECT_EQ(path[0], a);
  EXPECT_EQ(path[1], c);
  EXPECT_EQ(merkle::inclusion_path({a, b, c}, 2), std::vector<merkle::Hash>{merkle::node_hash(a, b)});
}

TEST(Merkle, EveryLeafsPathVerifiesAndNothingElseDoes) {
  for (std::uint64_t n = 1; n <= 40; ++n) {
    std::vector<merkle::Hash> leaves;
    merkle::TreeBuilder builder;
    for (std::uint64_t i = 0; i < n; ++i) {
      leaves.push_back(merkle::leaf_hash("record " + std::to_string(i)));
      builder.append(leaves.back());
    }
    const merkle::Hash root = merkle::root(leaves);
    ASSERT_EQ(builder.root(), root) << n;
    for (std::uint64_t i = 0; i < n; ++i) {
      std::vector<merkle::Hash> path = merkle::inclusion_path(leaves, i);
      EXPECT_TRUE(merkle::verify_inclusion(i, n, leaves[i], path, root)) << i << " of " << n;
      EXPECT_FALSE(merkle::verify_inclusion(i, n, merkle::leaf_hash("other"), path, root));
      if (n > 1) {
        EXPECT_FALSE(merkle::verify_inclusion((i + 1) % n, n, leaves[i], path, root));
      }
      if (!path.empty()) {
        path[0][0] ^= 1;
        EXPECT_FALSE(merkle::verify_inclusion(i, n, leaves[i], path, root));
      }
    }
  }
  EXPECT_THROW(merkle::inclusion_path({merkle::leaf_hash("x")}, 1), oi::Error);
}

TEST(LedgerKey, IsWrittenOwnerOnlyAndRefusedWhenOthersMayReadIt) {
  const fs::path dir = scratch("keys");
  const fs::path key = dir / "site.key";
  const audit::PublicKey pub = audit::SigningKey::generate(key);
  struct stat info {};
  ASSERT_EQ(::stat(key.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(audit::PublicKey::load(audit::public_key_path(key)).bytes, pub.bytes);
  const audit::SigningKey loaded = audit::SigningKey::load(key);
  EXPECT_EQ(loaded.public_key().id(), pub.id());
  EXPECT_TRUE(audit::verify_signature(pub, "message", loaded.sign("message")));
  EXPECT_FALSE(audit::verify_signature(pub, "massage", loaded.sign("message")));

  try {
    audit::SigningKey::generate(key);
    FAIL() << "an existing key was overwritten";
  } catch (const oi::Error& e) {
    EXPECT_NE(std::string(e.what()).find("never overwritten"), std::string::npos) << e.what();
  }
  fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  try {
    audit::SigningKey::load(key);
    FAIL() << "a world-readable key was used";
  } catch (const oi::Error& e) {
    EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(key.string()), std::string::npos) << e.what();
  }
  try {
    audit::SigningKey::load(dir / "missing.key");
    FAIL() << "a missing key was not an error";
  } catch (const oi::Error& e) {
    EXPECT_NE(std::string(e.what()).find("oi ledger keygen"), std::string::npos) << e.what();
  }
  // A key whose public half was swapped for another's.
  fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
  std::ifstream in(key);
  nlohmann::json j = nlohmann::json::parse(in);
  in.close();
  j["public_key"] = audit::SigningKey::generate(dir / "other.key").hex();
  std::ofstream(key, std::ios::trunc) << j.dump();
  EXPECT_THROW(audit::SigningKey::load(key), oi::Error);
}

TEST(Ledger, CheckpointsSealEveryRecordAndVerify) {
  const Fixture f = make_ledger("clean", 25, 10);
  const std::vector<std::size_t> checkpoints = checkpoint_lines(f.ledger);
  // 10 inspections, a checkpoint, 10 more, a checkpoint, 5 more, the final checkpoint.
  EXPECT_EQ(checkpoints, (std::vector<std::size_t>{10, 21, 27}));
  const audit::LedgerVerification v = audit::verify_ledger(f.ledger, f.public_key);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 28u);
  EXPECT_EQ(v.checkpoints, 3u);
  EXPECT_EQ(v.unsealed, 0u);
  EXPECT_TRUE(v.trusted_key);
  const nlohmann::json last = nlohmann::json::parse(read_lines(f.ledger)[27]);
  EXPECT_EQ(last["fields"]["tree_size"], 27);
  EXPECT_EQ(last["fields"]["batch_first"], 22);
  // Reopened, the ledger goes on and seals again.
  {
    audit::Ledger again(f.ledger, {f.key, 10});
    EXPECT_FALSE(again.checkpoint().has_value()) << "nothing new to seal";
    again.append_inspection(inspection(99));
    EXPECT_TRUE(again.checkpoint().has_value());
  }
  EXPECT_TRUE(audit::verify_ledger(f.ledger, f.public_key).ok);
}

TEST(Ledger, EveryKindOfTamperingIsFoundAtItsLine) {
  const Fixture f = make_ledger("tamper", 25, 10);
  const std::vector<std::string> clean = read_lines(f.ledger);
  const std::string head = [&] {
    std::ifstream in(audit::head_path(f.ledger));
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }();
  auto restore = [&] {
    write_lines(f.ledger, clean);
    std::ofstream(audit::head_path(f.ledger), std::ios::trunc) << head;
  };
  auto edited = [&](std::size_t index) {
    std::vector<std::string> lines = clean;
    nlohmann::json j = nlohmann::json::parse(lines[index]);
    j["fields"]["decision"] = "clear";
    j["fields"]["planes"]["high"] = std::string(64, 'c');
    lines[index] = j.dump();
    return lines;
  };

  // An edited record: its own hash no longer holds.
  write_lines(f.ledger, edited(3));
  audit::LedgerVerification v = audit::verify_ledger(f.ledger, f.public_key);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.line, 4u) << v.problem;
  EXPECT_NE(v.problem.find("edited"), std::string::npos) << v.problem;

  // The same edit with the whole chain and head recomputed: the signed checkpoint after it fails.
  rechain(f.ledger, edited(3));
  v = audit::verify_ledger(f.ledger, f.public_key);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.line, 11u) << v.problem;
  EXPECT_EQ(v.records, 0u);
  EXPECT_NE(v.problem.find("lines 1 to 10"), std::string::npos) << v.problem;
  rechain(f.ledger, edited(15));
  v = audit::verify_ledger(f.ledger, f.public_key);
  EXPECT_EQ(v.line, 22u) << v.problem;
  EXPECT_EQ(v.records, 11u);

  // A deleted record, recomputed: the checkpoint no longer stands where it says.
  {
    std::vector<std::string> lines = clean;
    lines.erase(lines.begin() + 5);
    write_lines(f.ledger, lines);
    v = audit::verify_ledger(f.ledger, f.public_key);
    EXPECT_EQ(v.line, 6u) << v.problem;
    rechain(f.ledger, lines);
    v = audit::verify_ledger(f.ledger, f.public_key);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.line, 10u) << v.problem;
  }
  // Two records swapped, recomputed.
  {
    std::vector<std::string> lines = clean;
    std::swap(lines[12], lines[13]);
    write_lines(f.ledger, lines);
    EXPECT_EQ(audit::verify_ledger(f.ledger, f.public_key).line, 13u);
    rechain(f.ledger, lines);
    v = audit::verify_ledger(f.ledger, f.public_key);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.line, 22u) << v.problem;
  }
  // Records cut from the end with the head recomputed: the checkpoint copy shows it.
  {
    std::vector<std::string> lines(clean.begin(), clean.begin() + 22);
    rechain(f.ledger, lines);
    v = audit::verify_ledger(f.ledger, f.public_key);
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.problem.find("removed from the end"), std::string::npos) << v.problem;
    fs::copy_file(audit::checkpoint_path(f.ledger), f.dir / "checkpoint.saved",
                  fs::copy_options::overwrite_existing);
    fs::remove(audit::checkpoint_path(f.ledger));
    v = audit::verify_ledger(f.ledger, f.public_key);
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.problem.find("missing"), std::string::npos) << v.problem;
    fs::copy_file(f.dir / "checkpoint.saved", audit::checkpoint_path(f.ledger),
                  fs::copy_options::overwrite_existing);
  }
  // Cut back to an earlier checkpoint with the head and the copy rewritten from the ledger's own
  // lines: nothing in the files shows it (docs/integration.md, "Limits"), an anchor kept
  // outside does.
  {
    std::ifstream copy_in(audit::checkpoint_path(f.ledger));
    const nlohmann::json anchor = nlohmann::json::parse(copy_in);
    std::vector<std::string> lines(clean.begin(), clean.begin() + 22);
    rechain(f.ledger, lines);
    const nlohmann::json earlier = nlohmann::json::parse(lines[21]);
    std::ofstream(audit::checkpoint_path(f.ledger), std::ios::trunc) << nlohmann::json{
        {"seq", earlier["seq"]},
        {"time", earlier["time"]},
        {"fields", earlier["fields"]}}.dump();
    EXPECT_TRUE(audit::verify_ledger(f.ledger, f.public_key).ok);
    v = audit::verify_ledger(f.ledger, f.public_key, anchor);
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.problem.find("cut back"), std::string::npos) << v.problem;
    nlohmann::json forged = anchor;
    forged["fields"]["root"] = std::string(64, 'a');
    EXPECT_NE(audit::verify_ledger(f.ledger, f.public_key, forged).problem.find("signature"),
              std::string::npos);
    std::ofstream(audit::checkpoint_path(f.ledger), std::ios::trunc) << anchor.dump();
  }
  // A forged signature, and a checkpoint re-signed with another key.
  {
    std::vector<std::string> lines = clean;
    nlohmann::json j = nlohmann::json::parse(lines[10]);
    std::string signature = j["fields"]["signature"].get<std::string>();
    signature[0] = signature[0] == '0' ? '1' : '0';
    j["fields"]["signature"] = signature;
    lines[10] = j.dump();
    rechain(f.ledger, lines);
    v = audit::verify_ledger(f.ledger, f.public_key);
    EXPECT_EQ(v.line, 11u) << v.problem;
    EXPECT_NE(v.problem.find("signature"), std::string::npos) << v.problem;

    const fs::path other_key = f.dir / "keys" / "intruder.key";
    audit::SigningKey::generate(other_key);
    const audit::SigningKey intruder = audit::SigningKey::load(other_key);
    j = nlohmann::json::parse(clean[10]);
    j["fields"]["key_id"] = intruder.public_key().id();
    j["fields"]["public_key"] = intruder.public_key().hex();
    j["fields"]["signature"] = intruder.sign(audit::checkpoint_message(j["fields"]));
    lines = clean;
    lines[10] = j.dump();
    rechain(f.ledger, lines);
    v = audit::verify_ledger(f.ledger, f.public_key);
    EXPECT_EQ(v.line, 11u) << v.problem;
    EXPECT_NE(v.problem.find("not by the trusted key"), std::string::npos) << v.problem;
  }
  restore();
  v = audit::verify_ledger(f.ledger, f.public_key);
  EXPECT_TRUE(v.ok) << v.problem;
}

TEST(Ledger, VerdictsFromASecondWriterJoinTheChainAndAreSealed) {
  const Fixture f = make_ledger("verdicts", 5, 0);
  audit::Ledger pipeline(f.ledger, {f.key, 0});
  audit::Ledger officer_desk(f.ledger, {f.key, 0});  // as `oi ledger verdict` in another process
  officer_desk.record_verdict({"3", "seized", "officer-117", "two bricks in the lining"});
  pipeline.append_inspection(inspection(5));
  officer_desk.record_verdict({"5", "cleared", "officer-117", ""});
  EXPECT_THROW(officer_desk.record_verdict({"77", "cleared", "officer-117", ""}), oi::Error);
  EXPECT_THROW(officer_desk.record_verdict({"3", "fined", "officer-117", ""}), oi::Error);
  EXPECT_THROW(officer_desk.record_verdict({"3", "cleared", "", ""}), oi::Error);
  ASSERT_TRUE(pipeline.checkpoint().has_value());
  const audit::LedgerVerification v = audit::verify_ledger(f.ledger, f.public_key);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 10u);  // 5 inspections, checkpoint, verdict, inspection, verdict, checkpoint
  const nlohmann::json verdict = nlohmann::json::parse(read_lines(f.ledger)[6]);
  EXPECT_EQ(verdict["event"], "verdict");
  EXPECT_EQ(verdict["fields"]["inspection_seq"], 3);
  EXPECT_EQ(verdict["fields"]["officer"], "officer-117");
}

TEST(Ledger, AnInclusionProofHoldsOnItsOwnAndFailsWhenAltered) {
  const Fixture f = make_ledger("proof", 25, 10);
  nlohmann::json proof = audit::prove_inclusion(f.ledger, "13");
  EXPECT_EQ(proof["leaf_index"], 14);  // the checkpoint at 10 comes before it
  EXPECT_EQ(proof["tree_size"], 21);   // the first checkpoint that seals it
  EXPECT_EQ(audit::check_inclusion_proof(proof, f.public_key), "");
  EXPECT_EQ(audit::check_inclusion_proof(proof, std::nullopt), "");

  nlohmann::json edited = proof;
  edited["record"]["fields"]["decision"] = "alarm";
  EXPECT_NE(audit::check_inclusion_proof(edited, f.public_key).find("edited"), std::string::npos);
  nlohmann::json moved = proof;
  moved["path"][0] = std::string(64, '0');
  EXPECT_NE(audit::check_inclusion_proof(moved, f.public_key).find("audit path"), std::string::npos);
  nlohmann::json forged = proof;
  forged["checkpoint"]["fields"]["signature"] = std::string(128, '0');
  EXPECT_NE(audit::check_inclusion_proof(forged, f.public_key).find("signature"), std::string::npos);
  const audit::PublicKey stranger = audit::SigningKey::generate(f.dir / "keys" / "stranger.key");
  EXPECT_NE(audit::check_inclusion_proof(proof, stranger).find("trusted key"), std::string::npos);

  EXPECT_THROW(audit::prove_inclusion(f.ledger, "400"), oi::Error);
  {
    audit::Ledger ledger(f.ledger, {f.key, 10});
    ledger.append_inspection(inspection(400));
  }
  try {
    audit::prove_inclusion(f.ledger, "400");
    FAIL() << "an unsealed record was proven";
  } catch (const oi::Error& e) {
    EXPECT_NE(std::string(e.what()).find("not sealed"), std::string::npos) << e.what();
  }
}

TEST(Ledger, AKeyThatGoesAwayStopsTheSigningAndNothingElse) {
  const Fixture f = make_ledger("revoked", 0, 0);
  audit::Ledger ledger(f.ledger, {f.key, 4});
  const fs::path kept = f.dir / "kept.key";
  fs::rename(f.key, kept);
  for (int i = 0; i < 9; ++i) ledger.append_inspection(inspection(i));
  EXPECT_EQ(ledger.size(), 9u) << "every inspection was appended";
  EXPECT_EQ(ledger.checkpoints_written(), 0u);
  EXPECT_EQ(ledger.checkpoints_missed(), 6u);  // due after the 4th record, tried after each since
  EXPECT_NE(ledger.last_checkpoint_problem().find(f.key.string()), std::string::npos);
  fs::rename(kept, f.key);
  ASSERT_TRUE(ledger.checkpoint().has_value());
  EXPECT_TRUE(ledger.last_checkpoint_problem().empty());
  const audit::LedgerVerification v = audit::verify_ledger(f.ledger, f.public_key);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 10u);
  EXPECT_EQ(v.unsealed, 0u);
}

TEST(Ledger, OiLedgerCommandsVerifyProveAndRecordVerdicts) {
  const fs::path dir = scratch("cli");
  const fs::path key = dir / "site.key";
  const std::string pub = audit::public_key_path(key).string();
  oi::test::ProcessResult made = oi::test::run_process({OI_EXE, "ledger", "keygen", key.string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const fs::path ledger_file = dir / "ledger.jsonl";
  {
    audit::Ledger ledger(ledger_file, {key, 3});
    for (int i = 1; i <= 4; ++i) ledger.append_inspection(inspection(i));
  }
  oi::test::ProcessResult verdict =
      oi::test::run_process({OI_EXE, "ledger", "verdict", ledger_file.string(), "2", "--verdict", "searched",
                             "--officer", "C-117", "--key", key.string(), "--seal"});
  EXPECT_EQ(verdict.exit_code, 0) << verdict.err;
  oi::test::ProcessResult unknown =
      oi::test::run_process({OI_EXE, "ledger", "verdict", ledger_file.string(), "9", "--verdict", "seized",
                             "--officer", "C-117", "--key", key.string()});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no inspection of scan 9"), std::string::npos) << unknown.err;

  oi::test::ProcessResult ok =
      oi::test::run_process({OI_EXE, "ledger", "verify", ledger_file.string(), "--public-key", pub});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("7 records"), std::string::npos) << ok.out;  // 4 scans, 2 checkpoints, a verdict
  const fs::path proof = dir / "proof.json";
  oi::test::ProcessResult proved =
      oi::test::run_process({OI_EXE, "ledger", "prove", ledger_file.string(), "4", "-o", proof.string()});
  EXPECT_EQ(proved.exit_code, 0) << proved.err;
  oi::test::ProcessResult holds =
      oi::test::run_process({OI_EXE, "ledger", "check-proof", proof.string(), "--public-key", pub});
  EXPECT_EQ(holds.exit_code, 0) << holds.err;
  EXPECT_NE(holds.out.find("proof holds: scan 4"), std::string::npos) << holds.out;

  std::vector<std::string> lines = read_lines(ledger_file);
  lines[1].replace(lines[1].find("\"clear\""), 7, "\"alarm\"");
  write_lines(ledger_file, lines);
  oi::test::ProcessResult bad = oi::test::run_process(
      {OI_EXE, "ledger", "verify", ledger_file.string(), "--public-key", pub, "--json"});
  EXPECT_EQ(bad.exit_code, 1);
  const nlohmann::json out = nlohmann::json::parse(bad.out);
  EXPECT_EQ(out["line"], 2);
  EXPECT_EQ(out["ok"], false);
  oi::test::ProcessResult missing =
      oi::test::run_process({OI_EXE, "ledger", "verify", (dir / "none").string()});
  EXPECT_EQ(missing.exit_code, 2);
}
