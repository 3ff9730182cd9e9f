#pragma once
/// @file
/// What a simulated person looks like and how their body is posed. An Appearance is drawn
/// once per person from distributions meant to look like an airport crowd (many dark coats,
/// jeans, a few bright colours, uniformed crews dressed alike); it is the identity that
/// re-identification has to recognise. build_body() turns an appearance and a pose (where
/// the person stands, which way they face, where they are in their stride) into a few dozen
/// 3-D parts (limb segments and ellipses) that the renderer projects and fills.

#include <cstdint>
#include <vector>

#include "sim_math.hpp"

namespace oi::sim_cctv {

/// What a person wears on top; a coat covers the thighs.
enum class TopKind { kTShirt, kShirt, kJacket, kCoat };
/// Pattern on the top.
enum class Pattern { kPlain, kStripes, kChecks };
/// What a person carries.
enum class BagKind { kNone, kBackpack, kShoulderBag, kSuitcase };
/// Headwear.
enum class HatKind { kNone, kCap, kBeanie, kHeadscarf };
/// Hair length (kBald: no hair drawn).
enum class HairLength { kBald, kShort, kMedium, kLong };

/// Everything that makes a person look like themselves. Sizes in metres; colours are
/// reflectances.
struct Appearance {
  double height_m = 1.75;
  double shoulder_m = 0.42;     ///< shoulder width
  double hip_m = 0.34;          ///< hip width
  double torso_depth_m = 0.24;  ///< chest depth, front to back
  double leg_share = 0.52;      ///< hip height as a share of the height
  double head_share = 0.13;     ///< head height as a share of the height (children: more)
  bool child = false;

  Rgb skin;
  Rgb hair;
  HairLength hair_length = HairLength::kShort;
  HatKind hat = HatKind::kNone;
  Rgb hat_colour;

  TopKind top = TopKind::kJacket;
  Rgb top_colour;
  Pattern pattern = Pattern::kPlain;
  Rgb pattern_colour;
  double pattern_period_m = 0.08;  ///< one stripe or check, light and dark together
  bool front_print = false;        ///< a logo or print on the chest, seen only from the front
  Rgb print_colour;

  Rgb bottom_colour;  ///< trousers or skirt
  bool skirt = false;
  Rgb legwear;  ///< below a skirt: skin or tights
  Rgb shoe_colour;

  BagKind bag = BagKind::kNone;
  Rgb bag_colour;
  int bag_side = -1;  ///< -1 right, +1 left (shoulder bag, suitcase)

  double stride_m = 1.4;  ///< two steps at a normal walk
};

/// Draws the appearance of an adult (`child` false) or a child.
Appearance random_appearance(Random& random, bool child);
/// The uniform of an airline crew: every member of a crew wears the same; `captain` adds a cap.
Appearance crew_appearance(Random& random, bool captain);
/// The colour of a suitcase (one picked up at the baggage belt).
Rgb random_suitcase_colour(Random& random);
/// `model`'s outfit (top, pattern, trousers, shoes, bag) on `person`'s body and face, with a
/// slight colour change: two passengers who dress almost alike.
void copy_outfit(const Appearance& model, Appearance& person, Random& random);

/// A person at one instant.
struct Pose {
  Vec2 position;          ///< on the floor plan, between the feet
  Vec2 heading{1, 0};     ///< unit vector the person faces
  double gait_phase = 0;  ///< radians; one period is one stride
  double walking = 0;     ///< 0 standing .. 1 walking (scales leg and arm swing); more when running
  double speed = 0;       ///< m/s
  bool suitcase = false;  ///< pulls a suitcase now (from the start or picked up at the belt)
};

/// One drawable part of a body: a segment from `a` to `b` (limbs, torso, bags) with
/// visible widths at both ends, or an ellipse centred at `a` (head, hair, hands, shoes).
struct BodyPart {
  enum class Shape { kSegment, kEllipse };
  Shape shape = Shape::kSegment;
  Vec3 a, b;                        ///< segment: top and bottom centre; ellipse: centre in `a`
  double width_a = 0, width_b = 0;  ///< segment: visible widths at a and b; ellipse: width and height
  Rgb colour;
  Pattern pattern = Pattern::kPlain;
  Rgb pattern_colour;
  double pattern_period_m = 0;  ///< stripes/checks period along the part
  float edge_shade = 0.25f;     ///< darkening towards the sides: a rounded surface
  bool body = true;             ///< counts as the person (false: the suitcase, which only hides)
  double sort_key = 0;          ///< filled by the renderer: depth + depth_bias
  double depth_bias = 0;        ///< added to the part's depth when ordering parts back to front
  Vec3 depth_point;             ///< the point whose depth orders the part
};

/// The parts of `person` in `pose`, seen from direction `toward_camera` (unit vector on the
/// floor plan from the person to the camera): widths of flat or deep parts (torso, bags)
/// depend on which side faces the camera. Appends to `parts` (cleared first).
void build_body(const Appearance& person, const Pose& pose, Vec2 toward_camera, std::vector<BodyPart>& parts);

}  // namespace oi::sim_cctv
