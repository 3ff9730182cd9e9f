// The plugin's entry point; the drivers register themselves in their own files.
#include "oi/plugin.hpp"

OI_PLUGIN("oi-driver-genicam", "0.1.0", "Apache-2.0")
