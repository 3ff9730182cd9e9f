#pragma once
/// @file
/// Ed25519 keys for signing the inspection ledger's checkpoints (libsodium).
///
/// A key file is one JSON object, readable by its owner only (mode 0600 or stricter):
/// @code
/// {"format":"openinspect-ledger-key","version":1,"algorithm":"ed25519",
///  "seed":"<64 hex: the 32-byte secret seed>","public_key":"<64 hex>"}
/// @endcode
/// Beside it, `<key>.pub` holds the public half for whoever verifies:
/// @code
/// {"format":"openinspect-ledger-public-key","version":1,"algorithm":"ed25519",
///  "public_key":"<64 hex>","key_id":"<16 hex>"}
/// @endcode
/// `oi ledger keygen KEY` writes both. The key id is the first 16 hex digits of SHA-256 of the
/// 32 public-key bytes. Link `OpenInspect::audit`.

#include <array>
#include <filesystem>
#include <string>
#include <string_view>

namespace oi::audit {

/// An Ed25519 public key.
struct PublicKey {
  std::array<unsigned char, 32> bytes{};
  /// 64 hex digits.
  std::string hex() const;
  /// First 16 hex digits of SHA-256 of the key bytes.
  std::string id() const;
  /// The key of 64 hex digits. @throws oi::Error naming `what` when it is not one.
  static PublicKey from_hex(std::string_view hex, std::string_view what);
  /// Reads a public key file (`<key>.pub`) or a secret key file's public half (the secret is
  /// not kept). @throws oi::Error naming the file and what is wrong with it.
  static PublicKey load(const std::filesystem::path& file);
};

/// The secret half, held in memory that is wiped when the key is destroyed.
class SigningKey {
 public:
  /// Reads a key file. @throws oi::Error when the file is missing, can be read by its group
  /// or by others (says which `chmod` fixes it), or is not a key file.
  static SigningKey load(const std::filesystem::path& file);
  /// Generates a new key pair into `file` (mode 0600) and `<file>.pub` (mode 0644).
  /// @throws oi::Error when `file` exists (keys are never overwritten) or cannot be written.
  static PublicKey generate(const std::filesystem::path& file);

  SigningKey(const SigningKey& other);
  SigningKey& operator=(const SigningKey& other);
  ~SigningKey();

  /// The public half.
  const PublicKey& public_key() const { return public_; }
  /// The detached Ed25519 signature of `message`, as 128 hex digits.
  std::string sign(std::string_view message) const;

 private:
  SigningKey() = default;
  std::array<unsigned char, 64> secret_{};
  PublicKey public_;
};

/// Checks a detached Ed25519 signature (128 hex digits) of `message` by `key`.
bool verify_signature(const PublicKey& key, std::string_view message, std::string_view signature_hex);

/// `<key>.pub`: where generate() puts the public half.
std::filesystem::path public_key_path(const std::filesystem::path& key_file);

}  // namespace oi::audit
