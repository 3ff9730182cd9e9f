// The cross-camera association stage family: reid.associate (docs/reid.md, "Association").
#include "oi/plugin.hpp"

OI_PLUGIN("oi-stages-reid-associate", "0.1.0", "Apache-2.0")
