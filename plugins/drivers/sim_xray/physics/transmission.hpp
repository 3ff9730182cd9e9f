#pragma once
/// @file
/// The transmission integral, the simulator's hot loop. For every pixel and channel c:
///
///     S_c = Σ_E N(E)·P_c(E)·ε_c(E)   · T(E)      mean deposited energy (keV)
///     V_c = Σ_E N(E)·P_c(E)·ε_c(E)² · T(E)      its variance under Poisson photon statistics (keV²)
///     T(E) = exp(−Σ_m μ_m(E)·ρ_m·t_m)
///
/// with N the photons per bin reaching the pixel in one line time, P_c the channel's
/// interaction probability, ε_c the energy it keeps, and t_m the path length through material
/// m. All per-energy factors are precomputed once; per pixel only the materials actually in
/// the beam are visited, and the energy loop runs on 8-wide float vectors with a polynomial
/// exp (compiled for AVX2+FMA too and chosen at run time where the CPU has it).

#include <cstdint>
#include <vector>

#include "dual_layer_detector.hpp"
#include "materials.hpp"
#include "scene.hpp"
#include "spectrum.hpp"

namespace oi::sim {

/// 8 floats, the unit of the energy loop (GCC/Clang vector extension: SSE pairs or one AVX op).
typedef float Float8 __attribute__((vector_size(32)));

/// Mean signals of one pixel: deposited energy S and its variance V per channel.
struct PixelSignal {
  float s_low = 0, v_low = 0;    ///< front layer: keV, keV²
  float s_high = 0, v_high = 0;  ///< rear layer: keV, keV²
};

/// Precomputed tables and the integral over the spectrum.
class TransmissionModel {
 public:
  /// `photons_per_pixel`: photons per energy bin reaching one pixel in one line time (the
  /// tube spectrum scaled by pixel area and integration time), on `grid`; `detector` on the
  /// same grid; `materials` in MaterialIndex order (their μ/ρ from xraylib times density).
  /// Bins that neither channel can see are dropped. Throws std::invalid_argument on
  /// mismatched sizes or a material xraylib does not know.
  TransmissionModel(const EnergyGrid& grid, const std::vector<double>& photons_per_pixel,
                    const DualLayerResponse& detector, const std::vector<MaterialDef>& materials);

  /// Number of materials the model knows.
  int materials() const { return materials_; }
  /// Energy bins kept (before padding to whole vectors).
  int bins() const { return bins_; }
  /// The grid the model was built on.
  const EnergyGrid& grid() const { return grid_; }
  /// Linear attenuation coefficient μ·ρ (1/cm) of material `m` in kept bin `b` as used.
  float mu(MaterialIndex m, int b) const;
  /// Energy of kept bin `b` (its centre, keV).
  double energy_kev(int b) const { return grid_.center(first_bin_ + b); }

  /// Signals with nothing in the beam.
  const PixelSignal& air() const { return air_; }
  /// Signals of one pixel behind the given (material, path length in cm) pairs.
  PixelSignal integrate(const std::vector<std::pair<MaterialIndex, float>>& path) const;
  /// Signals of every pixel of a line; `out` is resized to paths.pixels. `paths.materials`
  /// must equal materials(). Pixels [begin, end) only when given (for splitting a line).
  void integrate_line(const LinePaths& paths, std::vector<PixelSignal>& out, int begin = 0,
                      int end = -1) const;

 private:
  EnergyGrid grid_;
  int first_bin_ = 0;
  int bins_ = 0;
  int chunks_ = 0;  // bins_ rounded up to whole Float8
  int materials_ = 0;
  std::vector<Float8> mu_;       // [material][chunk]
  std::vector<Float8> weights_;  // [chunk][4]: S_low, V_low, S_high, V_high weights
  PixelSignal air_;
};

}  // namespace oi::sim
