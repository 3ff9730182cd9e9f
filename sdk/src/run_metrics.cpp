// RunMetrics::to_json(): the shape of `oi run --stats`, which scripts and dashboards read.

#include "oi/pipeline.hpp"

namespace oi {

nlohmann::json RunMetrics::to_json() const {
  nlohmann::json stage_objects = nlohmann::json::object();
  for (const StageMetrics& s : stages) {
    stage_objects[s.name] = {
        {"frames_in", s.frames_in},
        {"frames_out", s.frames_out},
        {"dropped", s.dropped},
        {"latency_ms", {{"p50", s.latency_p50_ms}, {"p99", s.latency_p99_ms}}},
    };
  }
  nlohmann::json connection_list = nlohmann::json::array();
  for (const ConnectionMetrics& c : connections) {
    connection_list.push_back({
        {"from", c.from},
        {"to", c.to},
        {"capacity", c.capacity},
        {"policy", std::string(to_string(c.policy))},
        {"high_water", c.high_water},
        {"dropped", c.dropped},
    });
  }
  return {
      {"stages", std::move(stage_objects)}, {"connections", std::move(connection_list)}, {"wall_s", wall_s}};
}

}  // namespace oi
