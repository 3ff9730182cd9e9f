#include "oi/audit/signing_key.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "oi/audit/merkle.hpp"
#include "oi/error.hpp"
#include "oi/files.hpp"

namespace oi::audit {
namespace {

constexpr const char* kKeyFormat = "openinspect-ledger-key";
constexpr const char* kPublicFormat = "openinspect-ledger-public-key";

void init_sodium() {
  if (sodium_init() < 0) throw Error("libsodium could not be initialised (sodium_init failed)");
}

std::string hex_of(const unsigned char* bytes, std::size_t n) {
  std::vector<char> text(2 * n + 1);
  sodium_bin2hex(text.data(), text.size(), bytes, n);
  return std::string(text.data(), 2 * n);
}

// Decodes exactly `n` bytes of hex; false for anything else.
bool bytes_of(std::string_view hex, unsigned char* out, std::size_t n) {
  if (hex.size() != 2 * n) return false;
  std::size_t decoded = 0;
  return sodium_hex2bin(out, n, hex.data(), hex.size(), nullptr, &decoded, nullptr) == 0 && decoded == n;
}

nlohmann::json read_json_file(const std::filesystem::path& file, std::string_view what) {
  std::ifstream in(file);
  if (!in) {
    const int error_number = errno;
    // A key that exists but may not be read is not one to write again (keygen refuses to
    // overwrite it anyway): say what to change about its permissions.
    if (error_number == EACCES || error_number == EPERM)
      throw Error(std::string(what) + " " + file.string() +
                  " cannot be read: " + std::strerror(error_number) + ": " + read_error_advice(error_number));
    throw Error(std::string(what) + " " + file.string() + " cannot be read: " + std::strerror(error_number) +
                "; create one with `oi ledger keygen " + file.string() + "` (docs/integration.md, \"Keys\")");
  }
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  if (!j.is_object())
    throw Error(std::string(what) + " " + file.string() +
                " is not JSON; a key file is written by `oi ledger keygen` (docs/integration.md, \"Keys\")");
  return j;
}

std::string string_member(const nlohmann::json& j, const char* name, const std::filesystem::path& file) {
  if (!j.contains(name) || !j[name].is_string())
    throw Error("key file " + file.string() + " has no text member `" + name +
                "`; a key file is written by `oi ledger keygen` (docs/integration.md, \"Keys\")");
  return j[name].get<std::string>();
}

}  // namespace

std::string PublicKey::hex() const { return hex_of(bytes.data(), bytes.size()); }

std::string PublicKey::id() const {
  const merkle::Hash digest =
      merkle::sha256(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  return merkle::to_hex(digest).substr(0, 16);
}

PublicKey PublicKey::from_hex(std::string_view hex, std::string_view what) {
  init_sodium();
  PublicKey key;
  if (!bytes_of(hex, key.bytes.data(), key.bytes.size()))
    throw Error(std::string(what) + " is not an Ed25519 public key (64 hex digits)");
  return key;
}

PublicKey PublicKey::load(const std::filesystem::path& file) {
  const nlohmann::json j = read_json_file(file, "public key file");
  const std::string format = j.value("format", "");
  if (format != kPublicFormat && format != kKeyFormat)
    throw Error("key file " + file.string() + " has format \"" + format + "\"; expected \"" + kPublicFormat +
                "\" (a `.pub` file written by `oi ledger keygen`)");
  if (j.value("algorithm", "") != "ed25519")
    throw Error("key file " + file.string() + " is not an ed25519 key; the ledger signs with Ed25519 only");
  return from_hex(string_member(j, "public_key", file), "the public_key of " + file.string());
}

SigningKey SigningKey::load(const std::filesystem::path& file) {
  init_sodium();
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) {
    const int error_number = errno;
    if (error_number == EACCES || error_number == EPERM)
      throw Error("ledger signing key " + file.string() + " cannot be opened: " +
                  std::strerror(error_number) + ": " + read_error_advice(error_number));
    throw Error("ledger signing key " + file.string() + " cannot be opened: " + std::strerror(error_number) +
                "; create one with `oi ledger keygen " + file.string() +
                "` or name the right file with `key`");
  }
  if (!S_ISREG(info.st_mode)) throw Error("ledger signing key " + file.string() + " is not a regular file");
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    throw Error("ledger signing key " + file.string() + " has mode " + mode +
                ": its group or others may read it, so it cannot be trusted to be secret; restrict it with "
                "`chmod 600 " +
                file.string() + "` (and replace the key if others may have read it)");
  }
  const nlohmann::json j = read_json_file(file, "ledger signing key");
  if (j.value("format", "") != kKeyFormat || j.value("version", 0) != 1)
    throw Error("ledger signing key " + file.string() + " is not a key file of format \"" + kKeyFormat +
                "\" version 1 (written by `oi ledger keygen`)");
  if (j.value("algorithm", "") != "ed25519")
    throw Error("ledger signing key " + file.string() + " is not an ed25519 key");
  unsigned char seed[crypto_sign_SEEDBYTES];
  if (!bytes_of(string_member(j, "seed", file), seed, sizeof seed))
    throw Error(
        "ledger signing key " + file.string() +
        ": `seed` is not 64 hex digits; the file was altered: write a new key with `oi ledger keygen` "
        "(docs/integration.md, \"Keys\")");
  SigningKey key;
  crypto_sign_seed_keypair(key.public_.bytes.data(), key.secret_.data(), seed);
  sodium_memzero(seed, sizeof seed);
  const PublicKey stated = PublicKey::from_hex(string_member(j, "public_key", file), "public_key");
  if (stated.bytes != key.public_.bytes)
    throw Error("ledger signing key " + file.string() +
                ": its public_key is not the public half of its seed; the file was altered");
  return key;
}

PublicKey SigningKey::generate(const std::filesystem::path& file) {
  init_sodium();
  std::error_code error;
  if (std::filesystem::exists(file, error))
    throw Error("ledger signing key " + file.string() +
                " exists already; keys are never overwritten (a new key cannot verify the old checkpoints): "
                "choose another file name");
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), error);
  unsigned char seed[crypto_sign_SEEDBYTES];
  randombytes_buf(seed, sizeof seed);
  SigningKey key;
  crypto_sign_seed_keypair(key.public_.bytes.data(), key.secret_.data(), seed);
  const nlohmann::json secret = {{"format", kKeyFormat},
                                 {"version", 1},
                                 {"algorithm", "ed25519"},
                                 {"seed", hex_of(seed, sizeof seed)},
                                 {"public_key", key.public_.hex()}};
  sodium_memzero(seed, sizeof seed);
  std::string text = secret.dump(2) + "\n";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    throw Error("cannot create ledger signing key " + file.string() + ": " + std::strerror(errno) + ": " +
                write_error_advice(errno));
  const ssize_t written = ::write(fd, text.data(), text.size());
  const int write_errno = errno;
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  sodium_memzero(text.data(), text.size());
  if (written != static_cast<ssize_t>(text.size()) || !synced) {
    std::filesystem::remove(file, error);
    throw Error("cannot write ledger signing key " + file.string() + ": " + std::strerror(write_errno));
  }
  const nlohmann::json pub = {{"format", kPublicFormat},
                              {"version", 1},
                              {"algorithm", "ed25519"},
                              {"public_key", key.public_.hex()},
                              {"key_id", key.public_.id()}};
  if (Status s = write_file_atomically(public_key_path(file), pub.dump(2) + "\n"); s.is_error())
    throw Error("wrote ledger signing key " + file.string() + " but not its public half: " + s.message());
  return key.public_;
}

SigningKey::SigningKey(const SigningKey& other) : secret_(other.secret_), public_(other.public_) {}

SigningKey& SigningKey::operator=(const SigningKey& other) {
  secret_ = other.secret_;
  public_ = other.public_;
  return *this;
}

SigningKey::~SigningKey() { sodium_memzero(secret_.data(), secret_.size()); }

std::string SigningKey::sign(std::string_view message) const {
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), secret_.data());
  return hex_of(signature, sizeof signature);
}

bool verify_signature(const PublicKey& key, std::string_view message, std::string_view signature_hex) {
  init_sodium();
  unsigned char signature[crypto_sign_BYTES];
  if (!bytes_of(signature_hex, signature, sizeof signature)) return false;
  return crypto_sign_verify_detached(signature, reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), key.bytes.data()) == 0;
}

std::filesystem::path public_key_path(const std::filesystem::path& key_file) {
  std::filesystem::path pub = key_file;
  pub += ".pub";
  return pub;
}

}  // namespace oi::audit
