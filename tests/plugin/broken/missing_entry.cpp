// Registers a type but forgets OI_PLUGIN(...): the host must say so.

#include "oi/plugin.hpp"

namespace {

class Orphan final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override { spec.input("in"); }
  oi::Status process(oi::StageContext&) override { return oi::Status::ok(); }
};

}  // namespace

OI_REGISTER_STAGE(Orphan, "test_missing_entry.orphan", "Never loaded.");
