// The X-ray detection stage family: xray.detect and xray.tip (docs/detection.md).
#include "oi/plugin.hpp"

OI_PLUGIN("oi-stages-xray-detect", "0.1.0", "Apache-2.0")
