#include "exception_text.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <memory>
#include <typeinfo>

namespace oi {
namespace {

std::string demangled_name(const std::type_info* type) {
  if (type == nullptr) return "unknown type";
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> name(
      abi::__cxa_demangle(type->name(), nullptr, nullptr, &status), &std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type->name());
}

}  // namespace

std::string current_exception_text() {
  const std::string type = demangled_name(abi::__cxa_current_exception_type());
  try {
    throw;
  } catch (const std::exception& e) {
    return type + ": " + e.what();
  } catch (...) {
    return "an exception of type " + type + " (not derived from std::exception)";
  }
}

}  // namespace oi
