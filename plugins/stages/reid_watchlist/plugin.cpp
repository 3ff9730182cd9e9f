// The watchlist stage: reid.watchlist (docs/reid.md, "Watchlist").
#include "oi/plugin.hpp"

OI_PLUGIN("oi-stages-reid-watchlist", "0.1.0", "Apache-2.0")
