// One good type and one whose constructor throws: neither may be registered.

#include <stdexcept>

#include "oi/plugin.hpp"

namespace {

class Fine final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override { spec.input("in"); }
  oi::Status process(oi::StageContext&) override { return oi::Status::ok(); }
};

class Unbuildable final : public oi::Stage {
 public:
  Unbuildable() { throw std::runtime_error("cannot open /dev/xray0: no such device"); }
  void setup(oi::StageSpec& spec) override { spec.input("in"); }
  oi::Status process(oi::StageContext&) override { return oi::Status::ok(); }
};

}  // namespace

OI_REGISTER_STAGE(Fine, "test_factory_throws.fine", "Would load alone.");
OI_REGISTER_STAGE(Unbuildable, "test_factory_throws.broken", "Constructor throws.");
OI_PLUGIN("oi-test-factory-throws", "0.0.1", "Apache-2.0");
