// The basic stage family: general-purpose plumbing stages.
#include "oi/plugin.hpp"

OI_PLUGIN("oi-stages-basic", "0.1.0", "Apache-2.0")
