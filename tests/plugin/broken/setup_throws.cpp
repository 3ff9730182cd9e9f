// A type whose setup() throws: the plugin must not be loaded.

#include <stdexcept>

#include "oi/plugin.hpp"

namespace {

class Undeclarable final : public oi::Stage {
 public:
  void setup(oi::StageSpec&) override { throw std::runtime_error("setup exploded"); }
  oi::Status process(oi::StageContext&) override { return oi::Status::ok(); }
};

}  // namespace

OI_REGISTER_STAGE(Undeclarable, "test_setup_throws.undeclarable", "setup() throws.");
OI_PLUGIN("oi-test-setup-throws", "0.0.1", "Apache-2.0");
