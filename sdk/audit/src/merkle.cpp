#include "oi/audit/merkle.hpp"

#include <openssl/evp.h>

#include "oi/error.hpp"

namespace oi::audit::merkle {
namespace {

// The largest power of two strictly below n (n >= 2).
std::uint64_t split_point(std::uint64_t n) {
  std::uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

Hash range_root(const std::vector<Hash>& leaves, std::size_t begin, std::size_t end) {
  if (end - begin == 1) return leaves[begin];
  const std::size_t k = split_point(end - begin);
  return node_hash(range_root(leaves, begin, begin + k), range_root(leaves, begin + k, end));
}

void range_path(const std::vector<Hash>& leaves, std::size_t begin, std::size_t end, std::uint64_t index,
                std::vector<Hash>& path) {
  if (end - begin <= 1) return;
  const std::size_t k = split_point(end - begin);
  if (index < k) {
    range_path(leaves, begin, begin + k, index, path);
    path.push_back(range_root(leaves, begin + k, end));
  } else {
    range_path(leaves, begin + k, end, index - k, path);
    path.push_back(range_root(leaves, begin, begin + k));
  }
}

}  // namespace

Hash sha256(std::string_view bytes) {
  Hash digest{};
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size())
    throw Error("SHA-256 failed (OpenSSL's EVP_Digest)");
  return digest;
}

Hash leaf_hash(std::string_view data) {
  std::string prefixed(1, '\0');
  prefixed.append(data);
  return sha256(prefixed);
}

Hash node_hash(const Hash& left, const Hash& right) {
  std::string bytes(1, '\1');
  bytes.append(reinterpret_cast<const char*>(left.data()), left.size());
  bytes.append(reinterpret_cast<const char*>(right.data()), right.size());
  return sha256(bytes);
}

std::string to_hex(const Hash& hash) {
  static const char* const kHex = "0123456789abcdef";
  std::string hex(2 * hash.size(), '0');
  for (std::size_t i = 0; i < hash.size(); ++i) {
    hex[2 * i] = kHex[hash[i] >> 4];
    hex[2 * i + 1] = kHex[hash[i] & 15];
  }
  return hex;
}

std::optional<Hash> from_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Hash hash{};
  for (std::size_t i = 0; i < hash.size(); ++i) {
    const int high = nibble(hex[2 * i]);
    const int low = nibble(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    hash[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return hash;
}

Hash root(const std::vector<Hash>& leaves) {
  if (leaves.empty()) return sha256({});
  return range_root(leaves, 0, leaves.size());
}

std::vector<Hash> inclusion_path(const std::vector<Hash>& leaves, std::uint64_t index) {
  if (index >= leaves.size())
    throw Error("Merkle inclusion path: leaf " + std::to_string(index) + " is not in a tree of " +
                std::to_string(leaves.size()) + " leaves");
  std::vector<Hash> path;
  range_path(leaves, 0, leaves.size(), index, path);
  return path;
}

bool verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf,
                      const std::vector<Hash>& path, const Hash& root) {
  if (index >= size) return false;
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : path) {
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      r = node_hash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

void TreeBuilder::append(const Hash& leaf) {
  peaks_.push_back({leaf, 0});
  while (peaks_.size() >= 2 && peaks_[peaks_.size() - 2].height == peaks_.back().height) {
    Peak right = peaks_.back();
    peaks_.pop_back();
    Peak& left = peaks_.back();
    left.hash = node_hash(left.hash, right.hash);
    ++left.height;
  }
  ++size_;
}

Hash TreeBuilder::root() const {
  if (peaks_.empty()) return sha256({});
  // The tree is left-balanced: its perfect subtrees, merged from the right, give MTH.
  Hash hash = peaks_.back().hash;
  for (std::size_t i = peaks_.size() - 1; i-- > 0;) hash = node_hash(peaks_[i].hash, hash);
  return hash;
}

}  // namespace oi::audit::merkle
