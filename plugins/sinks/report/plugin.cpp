// The report plugin: sink.report and sink.summary (report_sink.cpp, summary_sink.cpp).
#include "oi/plugin.hpp"

OI_PLUGIN("oi-sink-report", "0.1.0", "Apache-2.0")
