#include "plugin_library.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <fstream>
#include <string>
#include <string_view>

#include "exception_text.hpp"
#include "oi/error.hpp"
#include "oi/plugin.hpp"
#include "oi/version.hpp"

namespace oi {
namespace {

namespace dll = boost::dll;

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::string rebuild_hint() { return std::string("rebuild the plugin against SDK ") + kSdkVersion; }

// dlerror() says what the dynamic loader saw; the reason adds what that means for a plugin
// and what to do about it.
std::string explain_load_failure(const std::filesystem::path& file, const std::string& dl_text) {
  const std::string quoted = "(dlopen: " + dl_text + ")";
  if (contains(dl_text, "invalid ELF header") || contains(dl_text, "file too short")) {
    return "not a shared library " + quoted + "; remove it from the plugin directory";
  }
  if (contains(dl_text, "wrong ELF class") || contains(dl_text, "ELF file's OSABI") ||
      contains(dl_text, "ELF file data encoding")) {
    return "built for another machine or word size " + quoted + "; " + rebuild_hint() + " for this system";
  }
  // Our own file was readable (checked before), so this is about a library it links.
  if (contains(dl_text, "cannot open shared object file")) {
    return "a library it depends on cannot be found " + quoted +
           "; install that library or add its folder to LD_LIBRARY_PATH ('ldd " + file.string() +
           "' lists what is missing)";
  }
  if (contains(dl_text, "undefined symbol")) {
    return "it uses a symbol that no loaded library defines " + quoted + "; " + rebuild_hint() +
           " and link every library it uses";
  }
  if (contains(dl_text, "version `")) {
    return "it needs newer versions of system libraries than this system has " + quoted +
           "; build it on (or for) this system";
  }
  return "cannot be loaded " + quoted;
}

// dlsym on a library handle also searches the libraries it depends on; an entry point found
// there belongs to another plugin and says nothing about this file.
bool symbol_is_defined_in(void* handle, const void* symbol) {
  link_map* map = nullptr;
  Dl_info where{};
  if (::dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || map == nullptr) return true;
  if (::dladdr(symbol, &where) == 0 || where.dli_fname == nullptr) return true;
  return map->l_name != nullptr && std::strcmp(map->l_name, where.dli_fname) == 0;
}

const char* require_text(const char* text, const char* field) {
  if (text == nullptr) {
    throw PluginError(std::string("its info record has no ") + field +
                      "; declare the plugin with OI_PLUGIN(name, version, license) from "
                      "<oi/plugin.hpp>");
  }
  return text;
}

// dlopen() maps a shared library's segments as its headers describe them and faults (SIGBUS)
// when one lies beyond the end of the file, killing the whole process. A truncated copy is
// the usual cause (an interrupted copy or download, a full disk during install), so the
// headers are checked against the file's size first. Only 64-bit files are checked in depth:
// dlopen refuses other classes before mapping anything. Returns a reason, empty when sound.
std::string elf_problem(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::error_code size_error;
  const std::uintmax_t size = std::filesystem::file_size(file, size_error);
  if (!in || size_error) return {};  // reported by the caller's own checks
  Elf64_Ehdr header{};
  in.read(reinterpret_cast<char*>(&header), sizeof header);
  const std::size_t got = static_cast<std::size_t>(in.gcount());
  if (got < SELFMAG || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
    return "not a shared library (no ELF header); remove it from the plugin directory";
  }
  const std::string truncated = "truncated or damaged: the file is " + std::to_string(size) + " bytes but ";
  const std::string fix = " (an interrupted copy, download or install); reinstall or rebuild the plugin";
  if (got < EI_NIDENT)
    return truncated + "an ELF identification alone needs " + std::to_string(EI_NIDENT) + fix;
  // Other classes and byte orders: dlopen() refuses them before mapping anything, and says
  // why ("wrong ELF class", "ELF file data encoding"), which explain_load_failure() explains.
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB) return {};
  if (got < sizeof header)
    return truncated + "an ELF header alone needs " + std::to_string(sizeof header) + fix;
  if (header.e_type != ET_DYN)
    return "not a shared library (ELF type " + std::to_string(header.e_type) +
           "); remove it from the plugin directory";
  auto beyond = [size](std::uint64_t offset, std::uint64_t length) {
    return offset > size || length > size - offset;
  };
  if (header.e_phentsize != sizeof(Elf64_Phdr) || header.e_phnum == 0 ||
      beyond(header.e_phoff, std::uint64_t{header.e_phnum} * sizeof(Elf64_Phdr))) {
    return truncated + "its program header table is missing or lies outside it" + fix;
  }
  if (header.e_shoff != 0 && beyond(header.e_shoff, std::uint64_t{header.e_shnum} * header.e_shentsize)) {
    return truncated + "its section header table ends at byte " +
           std::to_string(header.e_shoff + std::uint64_t{header.e_shnum} * header.e_shentsize) + fix;
  }
  in.seekg(static_cast<std::streamoff>(header.e_phoff));
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr segment{};
    if (!in.read(reinterpret_cast<char*>(&segment), sizeof segment)) {
      return truncated + "its program headers cannot be read" + fix;
    }
    const bool mapped = segment.p_type == PT_LOAD || segment.p_type == PT_DYNAMIC;
    if (mapped && beyond(segment.p_offset, segment.p_filesz)) {
      return truncated + "segment " + std::to_string(i) + " ends at byte " +
             std::to_string(segment.p_offset + segment.p_filesz) + fix;
    }
  }
  return {};
}

}  // namespace

std::shared_ptr<PluginLibrary> PluginLibrary::open(const std::filesystem::path& file, PluginRecord& record) {
  std::error_code fs_error;
  if (!std::filesystem::is_regular_file(file, fs_error)) {
    if (std::filesystem::is_directory(file, fs_error))
      throw PluginError("a folder, not a shared library; remove or rename it");
    if (std::filesystem::is_symlink(file, fs_error) && !std::filesystem::exists(file, fs_error)) {
      const std::filesystem::path target = std::filesystem::read_symlink(file, fs_error);
      throw PluginError("a symbolic link to " + target.string() +
                        ", which does not exist; reinstall the plugin or remove the link");
    }
    throw PluginError("no such file; check the path");
  }
  if (!std::ifstream(file, std::ios::binary).is_open()) {
    throw PluginError("cannot be read; check its permissions");
  }
  if (std::string problem = elf_problem(file); !problem.empty()) throw PluginError(problem);

  std::shared_ptr<PluginLibrary> plugin(new PluginLibrary());
  plugin->path_ = file;

  // RTLD_NOW: a missing symbol fails here, with a reason, and not in the middle of a scan.
  // RTLD_LOCAL: plugins cannot see (and clash with) each other's symbols.
  dll::fs::error_code error;
  plugin->library_.load(dll::fs::path(file.native()), error,
                        dll::load_mode::rtld_now | dll::load_mode::rtld_local);
  if (error || !plugin->library_.is_loaded()) {
    const char* dl_text = ::dlerror();
    throw PluginError(explain_load_failure(file, dl_text ? dl_text : error.message()));
  }

  oi_plugin_entry_fn entry = nullptr;
  if (plugin->library_.has(OI_PLUGIN_ENTRY_SYMBOL)) {
    entry = &plugin->library_.get<const oi_plugin_info*()>(OI_PLUGIN_ENTRY_SYMBOL);
  }
  if (entry == nullptr ||
      !symbol_is_defined_in(plugin->library_.native(), reinterpret_cast<const void*>(entry))) {
    throw PluginError(std::string("not an OpenInspect plugin: it does not export ") + OI_PLUGIN_ENTRY_SYMBOL +
                      "; add OI_PLUGIN(...) to one source file");
  }

  const oi_plugin_info* info = nullptr;
  try {
    info = entry();
  } catch (...) {
    throw PluginError(std::string(OI_PLUGIN_ENTRY_SYMBOL) + "() threw " + current_exception_text() +
                      "; it must not throw: use OI_PLUGIN(...)");
  }
  if (info == nullptr) {
    throw PluginError(std::string(OI_PLUGIN_ENTRY_SYMBOL) +
                      "() returned NULL; declare the plugin with OI_PLUGIN(...)");
  }

  // abi_version is the first field in every version of the record; nothing after it may be
  // read until it matches, because the layout may differ.
  record.abi = info->abi_version;
  if (info->abi_version != OI_PLUGIN_ABI_VERSION) {
    throw PluginError("built for plugin ABI " + std::to_string(info->abi_version) + ", this SDK speaks " +
                      std::to_string(OI_PLUGIN_ABI_VERSION) + ": " + rebuild_hint());
  }
  if (info->struct_size < sizeof(oi_plugin_info)) {
    throw PluginError("its info record is " + std::to_string(info->struct_size) +
                      " bytes, this SDK needs at least " + std::to_string(sizeof(oi_plugin_info)) + ": " +
                      rebuild_hint());
  }
  record.name = require_text(info->name, "name");
  if (record.name.empty()) require_text(nullptr, "name");
  record.version = require_text(info->version, "version");
  record.license = require_text(info->license, "license");

  // Objects crossing the boundary are C++ objects: std::string and std::vector layouts must
  // agree, which only the same standard library ABI guarantees.
  const std::string cxx_abi = info->cxx_abi ? info->cxx_abi : "(not stated)";
  if (cxx_abi != OI_CXX_ABI_ID) {
    throw PluginError("built with C++ ABI '" + cxx_abi + "', this SDK uses '" + OI_CXX_ABI_ID +
                      "': build the plugin with the same compiler and C++ standard library as "
                      "the SDK");
  }
  if (info->factory_count > 0 && info->factories == nullptr) {
    throw PluginError("its info record lists " + std::to_string(info->factory_count) +
                      " factories but no table; declare types with OI_REGISTER_STAGE(...)");
  }
  if (info->sdk_version != nullptr && std::strcmp(info->sdk_version, kSdkVersion) != 0) {
    spdlog::debug("plugin '{}' ({}) was built against SDK {}, this is SDK {} (same plugin ABI)", record.name,
                  file.string(), info->sdk_version, kSdkVersion);
  }

  plugin->info_ = info;
  return plugin;
}

}  // namespace oi
