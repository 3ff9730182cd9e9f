// Registers one type name twice.

#include "oi/plugin.hpp"

namespace {

class First final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override { spec.input("in"); }
  oi::Status process(oi::StageContext&) override { return oi::Status::ok(); }
};

class Second final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override { spec.input("in"); }
  oi::Status process(oi::StageContext&) override { return oi::Status::ok(); }
};

}  // namespace

OI_REGISTER_STAGE(First, "test_twice.same", "First registration.");
OI_REGISTER_STAGE(Second, "test_twice.same", "Second registration of the same name.");
OI_PLUGIN("oi-test-duplicate-within", "0.0.1", "Apache-2.0");
