#pragma once
/// @file
/// Merkle trees as Certificate Transparency defines them (RFC 6962 §2.1, RFC 9162 §2.1): the
/// hash of a leaf is SHA-256(0x00 || data), of an inner node SHA-256(0x01 || left || right),
/// and a tree of n leaves splits at the largest power of two below n. The inspection ledger
/// (oi/audit/ledger.hpp) signs such roots and proves one record's inclusion with an audit path
/// that anybody can check with these functions, or with any RFC 6962 implementation.
/// Link `OpenInspect::audit`.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oi::audit::merkle {

/// A SHA-256 digest.
using Hash = std::array<unsigned char, 32>;

/// SHA-256 of `bytes`.
Hash sha256(std::string_view bytes);
/// The hash of a leaf: SHA-256(0x00 || data).
Hash leaf_hash(std::string_view data);
/// The hash of an inner node: SHA-256(0x01 || left || right).
Hash node_hash(const Hash& left, const Hash& right);

/// 64 lowercase hex digits.
std::string to_hex(const Hash& hash);
/// The digest of 64 hex digits; nullopt for anything else.
std::optional<Hash> from_hex(std::string_view hex);

/// The tree hash MTH(D[n]) of `leaves` (already leaf-hashed); SHA-256 of nothing when empty.
Hash root(const std::vector<Hash>& leaves);

/// The audit path PATH(index, D[n]) of leaf `index`: the sibling hashes from the leaf up.
/// @throws oi::Error when `index` is not a leaf of the tree.
std::vector<Hash> inclusion_path(const std::vector<Hash>& leaves, std::uint64_t index);

/// Checks that `leaf` (leaf-hashed) is leaf `index` of the tree of `size` leaves whose root is
/// `root`, using its audit path (RFC 9162 §2.1.3.2).
bool verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf,
                      const std::vector<Hash>& path, const Hash& root);

/// Builds a tree leaf by leaf keeping only its perfect subtrees (O(log n) memory and work per
/// leaf), so that a ledger of any length has its root at hand after every record.
class TreeBuilder {
 public:
  /// Adds a leaf (already leaf-hashed).
  void append(const Hash& leaf);
  /// MTH of the leaves added so far.
  Hash root() const;
  /// Leaves added so far.
  std::uint64_t size() const { return size_; }

 private:
  struct Peak {
    Hash hash;
    int height = 0;
  };
  std::vector<Peak> peaks_;  // left to right, heights strictly decreasing
  std::uint64_t size_ = 0;
};

}  // namespace oi::audit::merkle
