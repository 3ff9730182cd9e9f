#pragma once
// "Did you mean" suggestions for misspelled names: keys, types, parameters, ports, nodes.
// Internal to the SDK; the `oi` tool reuses it for unknown type names.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oi {

/// Edit distance between two words, counting insertions, deletions, substitutions and swaps
/// of adjacent characters (optimal string alignment), ignoring ASCII case.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word`, or nullopt when none is close enough to be a plausible
/// typo (at most about a third of the word's characters differ). Ties go to the earlier
/// candidate. An exact match is never suggested: the caller already knows it is unknown.
std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates);

/// " (did you mean 'x'?)" when closest_match() finds something, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

/// "'a', 'b', 'c'": quoted names for messages that list what exists.
std::string quoted_list(const std::vector<std::string>& names);

}  // namespace oi
