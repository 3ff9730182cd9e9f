#include "oi/xray/contract.hpp"

namespace oi::xray {

std::string_view to_string(MaterialClass c) {
  switch (c) {
    case MaterialClass::kEmpty:
      return "empty";
    case MaterialClass::kOrganic:
      return "organic";
    case MaterialClass::kInorganic:
      return "inorganic";
    case MaterialClass::kMetal:
      return "metal";
    case MaterialClass::kImpenetrable:
      return "impenetrable";
  }
  return "?";
}

}  // namespace oi::xray
