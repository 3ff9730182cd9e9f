// The camera tracking stage family: cctv.track (docs/cctv.md, "Tracking").
#include "oi/plugin.hpp"

OI_PLUGIN("oi-stages-cctv-track", "0.1.0", "Apache-2.0")
