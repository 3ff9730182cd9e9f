#pragma once
/// @file
/// What sink.record writes and the replay driver reads (docs/recording.md): the format's name,
/// version and file names, and the SHA-256 both use for frame checksums and the pipeline
/// file's hash. One header, so the writer and the reader cannot drift apart.

#include <openssl/evp.h>

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>

namespace oi::recording {

/// Names and version of the on-disk format.
namespace format {
inline constexpr const char* kName = "openinspect.recording";  ///< session.json "format"
inline constexpr int kVersion = 1;                             ///< session.json "version"
inline constexpr const char* kSessionFile = "session.json";    ///< header, rewritten at close
inline constexpr const char* kIndexFile = "index.jsonl";       ///< one JSON line per frame
inline constexpr const char* kDataFile = "frames.bin";         ///< plane bytes, rows packed
}  // namespace format

/// `size` bytes as lowercase hex digits.
inline std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * size);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

/// One SHA-256 computation over OpenSSL's EVP interface: update() any number of times, then
/// hex() once.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
      throw std::runtime_error("OpenSSL could not start a SHA-256 digest (libcrypto broken?)");
    }
  }
  /// Adds `size` bytes.
  void update(const void* data, std::size_t size) {
    if (size > 0) EVP_DigestUpdate(ctx_.get(), data, size);
  }
  /// The digest as 64 lowercase hex digits; the object is spent afterwards.
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest, &length);
    return to_hex(digest, length);
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

}  // namespace oi::recording
