// Ledger signing key files that are damaged or not keys at all (oi/audit/signing_key.hpp): a
// key cut short at any length, an empty file, a key of another format, version or length, a
// PEM or raw binary key, a public half given as the key. Each is refused naming the file and
// how to make a key (`oi ledger keygen`), never used and never a crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "oi/audit/signing_key.hpp"
#include "oi/error.hpp"
#include "scratch.hpp"

namespace oi {
namespace {

namespace fs = std::filesystem;

// Writes `bytes` as an owner-only file (so the mode check passes and the contents are read).
fs::path write_key(const fs::path& file, const std::string& bytes) {
  fs::remove(file);
  std::ofstream(file, std::ios::binary) << bytes;
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  return file;
}

// The message SigningKey::load() refuses `file` with; "USED" when it loads.
std::string refusal(const fs::path& file) {
  try {
    audit::SigningKey::load(file);
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("WRONG EXCEPTION TYPE: ") + e.what();
  }
  return "USED";
}

TEST(LedgerKeyFile, AKeyCutShortAtAnyLengthIsRefusedNamingItAndKeygen) {
  const fs::path dir = test::scratch_dir("oi-ledger-key", "truncated");
  const fs::path good = dir / "site.key";
  audit::SigningKey::generate(good);
  const std::string whole = test::read_text(good);
  const std::size_t end = whole.rfind('}');
  ASSERT_NE(end, std::string::npos);
  // Every length from empty to one byte short of the closing brace.
  for (std::size_t length = 0; length <= end; ++length) {
    const fs::path cut = write_key(dir / "cut.key", whole.substr(0, length));
    const std::string text = refusal(cut);
    ASSERT_NE(text, "USED") << "a key cut to " << length << " bytes was used";
    EXPECT_NE(text.find(cut.string()), std::string::npos) << length << " bytes: " << text;
    EXPECT_NE(text.find("oi ledger keygen"), std::string::npos) << length << " bytes: " << text;
    EXPECT_EQ(text.find("WRONG EXCEPTION TYPE"), std::string::npos) << length << " bytes: " << text;
  }
  EXPECT_EQ(refusal(good), "USED") << "the whole key loads";
}

TEST(LedgerKeyFile, AKeyOfAnotherFormatOrVersionIsRefusedNamingItAndKeygen) {
  const fs::path dir = test::scratch_dir("oi-ledger-key", "format");
  const fs::path good = dir / "site.key";
  audit::SigningKey::generate(good);
  const nlohmann::json key = nlohmann::json::parse(test::read_text(good));
  nlohmann::json version_2 = key;
  version_2["version"] = 2;
  nlohmann::json other_format = key;
  other_format["format"] = "pkcs8";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"pem.key",
       "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKq0w1Fq6x0ZpS4sD1sMf4R2yC4n0cWm9U4xqkzJ3oGB\n"
       "-----END PRIVATE KEY-----\n"},
      {"raw.key", std::string("\x9d\x61\xb1\x9d\xef\xfd\x5a\x60\xba\x84\x4a\xf4\x92\xec\x2c\xc4"
                              "\x44\x49\xc5\x69\x7b\x32\x69\x19\x70\x3b\xac\x03\x1c\xae\x7f\x60",
                              32)},
      {"hex.key", key["seed"].get<std::string>() + "\n"},
      {"version2.key", version_2.dump(2)},
      {"other_format.key", other_format.dump(2)},
      {"public_half.key", test::read_text(audit::public_key_path(good))},
  };
  for (const auto& [name, bytes] : cases) {
    const fs::path file = write_key(dir / name, bytes);
    const std::string text = refusal(file);
    ASSERT_NE(text, "USED") << name << " was used as a signing key";
    EXPECT_NE(text.find(file.string()), std::string::npos) << name << ": " << text;
    EXPECT_NE(text.find("oi ledger keygen"), std::string::npos) << name << ": " << text;
  }
}

// A seed of the wrong length (a digit lost or added by hand-editing): refused naming the file
// and what the seed must be.
TEST(LedgerKeyFile, ASeedOfTheWrongLengthIsRefusedNamingTheFileAndKeygen) {
  const fs::path dir = test::scratch_dir("oi-ledger-key", "length");
  const fs::path good = dir / "site.key";
  audit::SigningKey::generate(good);
  const nlohmann::json key = nlohmann::json::parse(test::read_text(good));
  const std::string seed = key["seed"].get<std::string>();
  for (const std::string& other :
       {seed.substr(0, 62), seed + "00", seed.substr(0, 63) + "g", std::string()}) {
    nlohmann::json edited = key;
    edited["seed"] = other;
    const fs::path file = write_key(dir / "edited.key", edited.dump(2));
    const std::string text = refusal(file);
    ASSERT_NE(text, "USED") << "a seed of " << other.size() << " digits was used";
    EXPECT_NE(text.find(file.string()), std::string::npos) << text;
    EXPECT_NE(text.find("64 hex digits"), std::string::npos) << text;
    EXPECT_NE(text.find("oi ledger keygen"), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace oi
