#pragma once
/// @file
/// Scan-line fills of the two shapes persons are made of (a tapered segment: a convex
/// quadrilateral, and an axis-aligned ellipse) into a colour image, with what ground truth
/// needs on the side: an id buffer (which person each pixel shows, after occluders and the
/// persons in front) and a stamp buffer (every pixel a person's body covers, also behind
/// occluders and in a margin outside the image, counted once however many parts overlap).
/// Nothing here allocates.

#include <climits>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "person_model.hpp"

namespace oi::sim_cctv {

/// Id buffer value of pixels that show no person.
inline constexpr std::uint16_t kNoPerson = 0;
/// Id buffer value of pixels that show a carried object that is not part of a body (a
/// suitcase): it hides the persons behind it but belongs to nobody.
inline constexpr std::uint16_t kCarriedObject = 0xFFFF;

/// The buffers persons are painted into.
struct Canvas {
  int width = 0, height = 0;
  int margin = 0;                   ///< pixels of the stamp buffer beyond each image edge
  std::uint8_t* rgb = nullptr;      ///< rgb8 image
  std::size_t stride = 0;           ///< bytes per image row
  std::uint16_t* ids = nullptr;     ///< width * height
  std::uint32_t* stamps = nullptr;  ///< (width + 2 margin) * (height + 2 margin)
  const float* occluder_depth =
      nullptr;  ///< width * height: depth of the static occluder a pixel shows, else +inf
  const std::int16_t* occluder_first =
      nullptr;  ///< per row: first column showing an occluder (width when none)
  const std::int16_t* occluder_last = nullptr;  ///< per row: last column showing an occluder (-1 when none)
};

/// How one part is painted. Colours are 8-bit scale values (lit, white-balanced, exposed);
/// values above 255 clip.
struct Paint {
  float colour[3] = {0, 0, 0};
  float pattern_colour[3] = {0, 0, 0};
  Pattern pattern = Pattern::kPlain;
  float periods_along = 0;       ///< pattern periods from one end of the part to the other
  float periods_across = 0;      ///< pattern periods across the part (checks)
  float edge_shade = 0;          ///< brightness lost at the sides: 1 - edge_shade * s^2, s in [-1, 1]
  float top_light = 0;           ///< brightness gained at the top: 1 + top_light * (0.5 - t), t in [0, 1]
  std::uint16_t id = kNoPerson;  ///< written to the id buffer where the part is visible
  std::uint32_t stamp = 0;       ///< body stamp of this person; 0: the part is not body
  float depth = 0;               ///< metres; the part is hidden where an occluder is nearer
};

/// The body pixels of one person: their count (union of all parts, whether visible or not)
/// and bounding box (may extend into the margin outside the image).
struct Coverage {
  int x0 = INT_MAX, y0 = INT_MAX, x1 = INT_MIN, y1 = INT_MIN;  ///< inclusive
  std::int64_t pixels = 0;
  bool empty() const { return x1 < x0; }
};

/// Fills the quadrilateral around the segment from (ax, ay) to (bx, by) whose full width
/// is `wa` at a and `wb` at b (pixels, perpendicular to the segment).
void fill_segment(Canvas& canvas, double ax, double ay, double bx, double by, double wa, double wb,
                  const Paint& paint, Coverage& coverage);
/// Fills the ellipse centred at (cx, cy) with half-axes rx, ry (pixels).
void fill_ellipse(Canvas& canvas, double cx, double cy, double rx, double ry, const Paint& paint,
                  Coverage& coverage);
/// Darkens the background (pixels with no person) inside an ellipse, most at its centre:
/// the soft shadow a person casts on the floor. `strength` in [0, 1].
void shade_ellipse(Canvas& canvas, double cx, double cy, double rx, double ry, float strength);
/// Smears the pixels of person `id` and their surroundings along image rows by `length`
/// pixels (a box filter): motion blur of a person moving sideways during the exposure.
/// `box` is the person's coverage; `scratch` is a reusable row buffer.
void blur_rows(Canvas& canvas, std::uint16_t id, const Coverage& box, int length,
               std::vector<std::uint16_t>& scratch);
/// Pixels of the id buffer inside `box` (clipped to the image) that hold `id`.
std::int64_t count_visible(const Canvas& canvas, std::uint16_t id, const Coverage& box);

}  // namespace oi::sim_cctv
