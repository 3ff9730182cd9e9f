#pragma once
// Scratch folders and whole-file reads for tests that write and read real files.

#include <filesystem>
#include <string>

namespace oi::test {

/// A fresh, empty folder `<temp>/<group>-<pid>/<name>` (removed first if it exists).
std::filesystem::path scratch_dir(const std::string& group, const std::string& name);

/// The whole file as bytes; empty when it cannot be read.
std::string read_text(const std::filesystem::path& file);

}  // namespace oi::test
