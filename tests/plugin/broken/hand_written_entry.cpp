// A hand-written entry point whose record is wrong in one way, chosen per build target:
//   OI_TEST_ABI_VERSION  the ABI version it claims
//   OI_TEST_CXX_ABI      the C++ ABI id it claims
//   OI_TEST_TYPE_NAME    the one type name it offers
// The host must refuse it before calling any factory; the factory here would abort the test.

#include <cstdlib>

#include "oi/plugin_abi.h"

namespace {

void* create_never(char*, size_t) {
  std::abort();  // reaching this means the host called a factory of a refused plugin
}

void destroy_never(void*) { std::abort(); }

const oi_factory_info kFactories[] = {
    {OI_TEST_TYPE_NAME, OI_FACTORY_STAGE, "Never created.", &create_never, &destroy_never}};

}  // namespace

extern "C" __attribute__((visibility("default"))) const oi_plugin_info* oi_plugin_entry() {
  static const oi_plugin_info info{
      .abi_version = OI_TEST_ABI_VERSION,
      .struct_size = static_cast<uint32_t>(sizeof(oi_plugin_info)),
      .name = "oi-test-hand-written",
      .version = "0.0.1",
      .license = "Apache-2.0",
      .sdk_version = "0.1.0",
      .cxx_abi = OI_TEST_CXX_ABI,
      .factory_count = 1,
      .factories = kFactories,
  };
  return &info;
}
