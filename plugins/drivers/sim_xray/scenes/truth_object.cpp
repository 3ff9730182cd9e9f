#include "scene.hpp"

namespace oi::sim {

nlohmann::json TruthObject::to_json() const {
  nlohmann::json j = {{"class", klass},
                      {"material", material},
                      {"box", {x, y, w, h}},
                      {"hidden_fraction", hidden_fraction},
                      {"thickness_cm", thickness_cm}};
  // Kind-specific details come after the common fields and never overwrite them.
  for (const auto& [key, value] : extra.items()) {
    if (!j.contains(key)) j[key] = value;
  }
  return j;
}

}  // namespace oi::sim
