#pragma once
// One plugin shared library, loaded and with its info record checked. Internal to the SDK.

#include <boost/dll/shared_library.hpp>
#include <filesystem>
#include <memory>

#include "oi/plugin_abi.h"
#include "oi/plugin_registry.hpp"

namespace oi {

/// A loaded plugin library whose `oi_plugin_info` passed the ABI checks. Shared (by
/// std::shared_ptr) between the registry and every object made from it: the code of those
/// objects lives in the library, so it must stay mapped until the last of them is gone.
class PluginLibrary {
 public:
  /// Loads `file` with every symbol resolved at once (RTLD_NOW) and kept private to the
  /// plugin (RTLD_LOCAL), finds `oi_plugin_entry`, calls it and checks the record: ABI
  /// version, record size, C++ ABI, name, version and license. Fills `record`'s abi, name,
  /// version and license as soon as each is known to be readable, so that a failure report
  /// shows whatever is known. Throws oi::PluginError with the reason (what went wrong and
  /// what to do) when any step fails; no factory has been called by then.
  static std::shared_ptr<PluginLibrary> open(const std::filesystem::path& file, PluginRecord& record);

  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  /// The checked record. Lives as long as this object.
  const oi_plugin_info& info() const { return *info_; }
  /// The file it was loaded from.
  const std::filesystem::path& path() const { return path_; }

 private:
  PluginLibrary() = default;

  std::filesystem::path path_;
  boost::dll::shared_library library_;
  const oi_plugin_info* info_ = nullptr;
};

}  // namespace oi
