// The CCTV detection stage: cctv.detect (docs/cctv.md, "Detection").
#include "oi/plugin.hpp"

OI_PLUGIN("oi-stages-cctv-detect", "0.1.0", "Apache-2.0")
