#include "xraylib_data.hpp"

#include <xraylib.h>

#include <memory>
#include <optional>
#include <stdexcept>

namespace oi::sim {
namespace {

// xraylib reports errors through an out-parameter it allocates; own it so it is freed.
struct ErrorDeleter {
  void operator()(xrl_error* e) const { xrl_error_free(e); }
};
using ErrorPtr = std::unique_ptr<xrl_error, ErrorDeleter>;

// An element symbol alone ("Fe", "Al") goes to the per-element functions; anything else
// (formulas, NIST names) to the compound parser, which also searches NIST's table.
int element_z(const std::string& composition) {
  if (composition.empty() || composition.size() > 2) return 0;
  xrl_error* raw = nullptr;
  const int z = SymbolToAtomicNumber(composition.c_str(), &raw);
  ErrorPtr error(raw);
  return error ? 0 : z;
}

struct NistDeleter {
  void operator()(compoundDataNIST* c) const { FreeCompoundDataNIST(c); }
};

// A NIST compound by name: the mixture rule over its elements' mass fractions, in the order
// and arithmetic of xraylib's own CS_*_CP (the same values, bit for bit). CS_*_CP hands every
// name to its formula parser first, and xraylib 4.0's parser leaks a few bytes for each string
// that is no formula; the NIST table lookup frees everything it allocates. nullopt: no such
// NIST name.
template <class ElementFn>
std::optional<double> nist_mixture(const std::string& name, double energy_kev, ElementFn element_fn,
                                   ErrorPtr& error) {
  xrl_error* raw = nullptr;
  const std::unique_ptr<compoundDataNIST, NistDeleter> compound(
      GetCompoundDataNISTByName(name.c_str(), &raw));
  ErrorPtr not_found(raw);
  if (!compound) return std::nullopt;
  double sum = 0.0;
  for (int i = 0; i < compound->nElements; ++i) {
    raw = nullptr;
    const double v = element_fn(compound->Elements[i], energy_kev, &raw);
    error.reset(raw);
    if (error) return 0.0;
    sum += compound->massFractions[i] * v;
  }
  return sum;
}

template <class ElementFn, class CompoundFn>
double lookup(std::string_view composition, double energy_kev, const char* what, ElementFn element_fn,
              CompoundFn compound_fn) {
  const std::string c(composition);
  ErrorPtr error;
  const int z = element_z(c);
  std::optional<double> found;
  if (z == 0) found = nist_mixture(c, energy_kev, element_fn, error);
  double value = 0.0;
  if (found) {
    value = *found;
  } else {
    xrl_error* raw = nullptr;
    value = z > 0 ? element_fn(z, energy_kev, &raw) : compound_fn(c.c_str(), energy_kev, &raw);
    error.reset(raw);
  }
  if (error || !(value > 0.0)) {
    throw std::invalid_argument(
        std::string("xraylib has no ") + what + " for '" + c + "' at " + std::to_string(energy_kev) + " keV" +
        (error && error->message ? std::string(": ") + error->message : std::string()) +
        " (use an element symbol, a chemical formula like 'C17H21NO4' or a NIST "
        "compound name)");
  }
  return value;
}

}  // namespace

double mass_attenuation_cm2_g(std::string_view composition, double energy_kev) {
  return lookup(composition, energy_kev, "attenuation coefficient", CS_Total, CS_Total_CP);
}

double mass_energy_absorption_cm2_g(std::string_view composition, double energy_kev) {
  return lookup(composition, energy_kev, "energy-absorption coefficient", CS_Energy, CS_Energy_CP);
}

std::vector<XrayLine> k_lines(int z) {
  struct Def {
    const char* name;
    int line;
  };
  static constexpr Def kDefs[] = {
      {"Kα1", KA1_LINE}, {"Kα2", KA2_LINE}, {"Kβ1", KB1_LINE}, {"Kβ3", KB3_LINE}, {"Kβ2", KB2_LINE}};
  std::vector<XrayLine> lines;
  for (const Def& d : kDefs) {
    xrl_error* raw = nullptr;
    const double e = LineEnergy(z, d.line, &raw);
    ErrorPtr e1(raw);
    raw = nullptr;
    const double rate = RadRate(z, d.line, &raw);
    ErrorPtr e2(raw);
    if (!e1 && !e2 && e > 0.0 && rate > 0.0) lines.push_back({d.name, e, rate});
  }
  if (lines.empty()) throw std::invalid_argument("xraylib has no K lines for Z = " + std::to_string(z));
  return lines;
}

double k_edge_kev(int z) {
  xrl_error* raw = nullptr;
  const double e = EdgeEnergy(z, K_SHELL, &raw);
  ErrorPtr error(raw);
  if (error || !(e > 0.0)) throw std::invalid_argument("xraylib has no K edge for Z = " + std::to_string(z));
  return e;
}

double k_fluorescence_yield(int z) {
  xrl_error* raw = nullptr;
  const double y = FluorYield(z, K_SHELL, &raw);
  ErrorPtr error(raw);
  if (error || !(y > 0.0))
    throw std::invalid_argument("xraylib has no K fluorescence yield for Z = " + std::to_string(z));
  return y;
}

}  // namespace oi::sim
