/* The C ABI of an OpenInspect plugin.
 *
 * A plugin is a shared library that exports one function, `oi_plugin_entry`, returning a
 * pointer to a static `oi_plugin_info` record. The host reads the record, checks
 * `abi_version` and `struct_size` before it touches anything else, and only then calls the
 * factories. Plugin authors never write this by hand: `OI_PLUGIN` and `OI_REGISTER_STAGE`
 * in <oi/plugin.hpp> generate it.
 *
 * Objects made by a factory are C++ objects (`oi::Stage`), so a plugin must be built with
 * the same C++ ABI as the host (the C++ library ABI id in the record is checked too).
 */
#ifndef OI_PLUGIN_ABI_H
#define OI_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of this record and of every C++ type that crosses the plugin boundary. */
/* 2: PixelKernelSpec::line_halo and PixelStage's held scan blocks (PixelStage grew). */
/* 3: PortSpec::kind_follows (PortSpec grew). */
#define OI_PLUGIN_ABI_VERSION 3u

/** Name of the one symbol a plugin exports. */
#define OI_PLUGIN_ENTRY_SYMBOL "oi_plugin_entry"

/** What a factory makes. */
typedef enum oi_factory_kind {
  OI_FACTORY_STAGE = 1, /**< a processing stage or sink: `oi::Stage` with inputs */
  OI_FACTORY_DRIVER = 2 /**< a device driver: `oi::Stage` that is a source (no inputs) */
} oi_factory_kind;

/** Creates one object. Returns an `oi::Stage*` owned by the caller, or NULL after writing a
 *  NUL-terminated reason into `error` (at most `error_capacity` bytes). Never throws. */
typedef void* (*oi_create_fn)(char* error, size_t error_capacity);

/** Destroys an object made by the matching create function. Never throws. */
typedef void (*oi_destroy_fn)(void* object);

/** One type a plugin provides. */
typedef struct oi_factory_info {
  const char* type_name; /**< e.g. "xray.detect"; unique across all loaded plugins */
  uint32_t kind;         /**< an oi_factory_kind */
  const char* summary;   /**< one line for `oi plugins` and `oi inspect` */
  oi_create_fn create;
  oi_destroy_fn destroy;
} oi_factory_info;

/** What `oi_plugin_entry` returns. Lives as long as the library is loaded. */
typedef struct oi_plugin_info {
  uint32_t abi_version;    /**< OI_PLUGIN_ABI_VERSION the plugin was built against */
  uint32_t struct_size;    /**< sizeof(oi_plugin_info) in the plugin's build */
  const char* name;        /**< plugin name, e.g. "oi-stages-basic" */
  const char* version;     /**< plugin version, e.g. "1.2.0" */
  const char* license;     /**< SPDX identifier, e.g. "Apache-2.0" */
  const char* sdk_version; /**< SDK version the plugin was built against */
  const char* cxx_abi;     /**< compiler and C++ library ABI id, see OI_CXX_ABI_ID */
  size_t factory_count;
  const oi_factory_info* factories;
} oi_plugin_info;

/** Signature of the exported entry point. */
typedef const oi_plugin_info* (*oi_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* OI_PLUGIN_ABI_H */
