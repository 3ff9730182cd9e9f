// The re-identification stages: reid.embed (docs/reid.md).
#include "oi/plugin.hpp"

OI_PLUGIN("oi-stages-reid", "0.1.0", "Apache-2.0")
