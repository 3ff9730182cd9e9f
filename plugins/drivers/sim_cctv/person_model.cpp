#include "person_model.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <numbers>

namespace oi::sim_cctv {
namespace {

struct Weighted {
  Rgb colour;
  double weight;
};

// Palettes (8-bit sRGB-like values, relative weights). Outerwear in a European airport in
// the cool season is mostly black, charcoal, navy and grey, so many passengers look alike
// from a distance; bright colours are rare and therefore telling.
const std::initializer_list<Weighted> kOuterwear = {
    {rgb8(22, 22, 24), 0.22},   {rgb8(48, 48, 54), 0.12},    {rgb8(26, 32, 58), 0.12},
    {rgb8(84, 84, 90), 0.08},   {rgb8(62, 44, 32), 0.07},    {rgb8(168, 138, 98), 0.07},
    {rgb8(76, 80, 52), 0.05},   {rgb8(132, 132, 138), 0.06}, {rgb8(98, 26, 36), 0.04},
    {rgb8(172, 32, 36), 0.03},  {rgb8(42, 72, 160), 0.03},   {rgb8(222, 216, 204), 0.04},
    {rgb8(40, 100, 62), 0.03},  {rgb8(212, 180, 52), 0.02},  {rgb8(212, 132, 152), 0.02},
    {rgb8(132, 172, 212), 0.01}};
const std::initializer_list<Weighted> kShirts = {
    {rgb8(232, 232, 228), 0.24}, {rgb8(150, 182, 218), 0.10}, {rgb8(128, 128, 132), 0.09},
    {rgb8(24, 24, 26), 0.12},    {rgb8(30, 38, 70), 0.08},    {rgb8(180, 36, 40), 0.06},
    {rgb8(50, 120, 70), 0.05},   {rgb8(226, 196, 70), 0.04},  {rgb8(222, 150, 170), 0.05},
    {rgb8(110, 60, 130), 0.04},  {rgb8(230, 120, 40), 0.04},  {rgb8(60, 150, 170), 0.05},
    {rgb8(190, 170, 140), 0.04}};
const std::initializer_list<Weighted> kTrousers = {{rgb8(36, 46, 72), 0.30},    {rgb8(72, 92, 132), 0.12},
                                                   {rgb8(22, 22, 24), 0.25},    {rgb8(52, 52, 56), 0.10},
                                                   {rgb8(160, 140, 104), 0.10}, {rgb8(120, 120, 124), 0.08},
                                                   {rgb8(80, 58, 40), 0.05}};
const std::initializer_list<Weighted> kSkin = {{rgb8(246, 214, 190), 0.18}, {rgb8(232, 190, 160), 0.22},
                                               {rgb8(214, 168, 130), 0.18}, {rgb8(192, 136, 100), 0.14},
                                               {rgb8(156, 102, 72), 0.12},  {rgb8(112, 72, 50), 0.10},
                                               {rgb8(80, 52, 36), 0.06}};
const std::initializer_list<Weighted> kHair = {{rgb8(20, 18, 18), 0.35},    {rgb8(56, 38, 28), 0.30},
                                               {rgb8(104, 72, 46), 0.12},   {rgb8(196, 164, 110), 0.10},
                                               {rgb8(176, 176, 172), 0.08}, {rgb8(140, 62, 30), 0.05}};
const std::initializer_list<Weighted> kBags = {{rgb8(24, 24, 26), 0.45},    {rgb8(70, 70, 76), 0.12},
                                               {rgb8(30, 40, 74), 0.10},    {rgb8(110, 70, 40), 0.10},
                                               {rgb8(170, 40, 40), 0.07},   {rgb8(50, 90, 170), 0.07},
                                               {rgb8(200, 170, 120), 0.05}, {rgb8(60, 130, 80), 0.04}};
const std::initializer_list<Weighted> kSuitcases = {{rgb8(24, 24, 28), 0.40},   {rgb8(170, 172, 178), 0.20},
                                                    {rgb8(30, 42, 84), 0.12},   {rgb8(176, 36, 40), 0.10},
                                                    {rgb8(60, 110, 190), 0.10}, {rgb8(60, 120, 80), 0.04},
                                                    {rgb8(220, 190, 60), 0.04}};
const std::initializer_list<Weighted> kHats = {{rgb8(24, 24, 26), 0.35},   {rgb8(40, 50, 90), 0.15},
                                               {rgb8(170, 40, 40), 0.12},  {rgb8(200, 200, 196), 0.12},
                                               {rgb8(120, 100, 70), 0.14}, {rgb8(60, 120, 160), 0.12}};
const std::initializer_list<Weighted> kShoes = {{rgb8(20, 20, 20), 0.55},
                                                {rgb8(70, 46, 30), 0.2},
                                                {rgb8(220, 220, 220), 0.2},
                                                {rgb8(100, 100, 104), 0.05}};

Rgb pick(Random& random, const std::initializer_list<Weighted>& palette) {
  double total = 0;
  for (const Weighted& w : palette) total += w.weight;
  double x = random.uniform() * total;
  for (const Weighted& w : palette) {
    x -= w.weight;
    if (x < 0) return w.colour;
  }
  return palette.begin()->colour;
}

template <class T>
T pick_kind(Random& random, std::initializer_list<std::pair<T, double>> options) {
  double total = 0;
  for (const auto& o : options) total += o.second;
  double x = random.uniform() * total;
  for (const auto& o : options) {
    x -= o.second;
    if (x < 0) return o.first;
  }
  return options.begin()->first;
}

// Fabric of the same colour varies: dye lots, fading, the light it was bought in.
Rgb vary(Random& random, Rgb c, double spread) {
  const float level = static_cast<float>(std::clamp(random.normal(1.0, spread), 0.6, 1.4));
  auto channel = [&](float v) {
    return std::clamp(v * level * static_cast<float>(random.normal(1.0, spread * 0.5)), 0.0f, 1.0f);
  };
  return {channel(c.r), channel(c.g), channel(c.b)};
}

Rgb darker(Rgb c, float f) { return c * f; }

}  // namespace

Appearance random_appearance(Random& random, bool child) {
  Appearance a;
  a.child = child;
  const bool female = random.chance(0.5);
  if (child) {
    a.height_m = random.uniform(1.0, 1.45);
    a.head_share = 0.16;
    a.leg_share = 0.47;
    a.shoulder_m = 0.26 + 0.08 * (a.height_m - 1.0) / 0.45;
    a.hip_m = a.shoulder_m * 0.85;
    a.torso_depth_m = 0.17;
  } else {
    a.height_m = std::clamp(random.normal(female ? 1.65 : 1.78, 0.07), 1.48, 2.0);
    a.head_share = std::clamp(random.normal(0.13, 0.005), 0.12, 0.14);
    a.leg_share = std::clamp(random.normal(0.52, 0.012), 0.49, 0.55);
    const double build = std::clamp(random.normal(1.0, 0.08), 0.82, 1.3);  // slim .. broad
    a.shoulder_m = (female ? 0.37 : 0.42) * build;
    a.hip_m = (female ? 0.36 : 0.34) * build;
    a.torso_depth_m = (female ? 0.22 : 0.25) * build;
  }
  a.stride_m = a.height_m * 0.8;

  a.skin = vary(random, pick(random, kSkin), 0.04);
  a.hair = vary(random, pick(random, kHair), 0.06);
  a.hair_length =
      female
          ? pick_kind<HairLength>(
                random, {{HairLength::kShort, 0.2}, {HairLength::kMedium, 0.35}, {HairLength::kLong, 0.45}})
          : pick_kind<HairLength>(
                random, {{HairLength::kBald, 0.08}, {HairLength::kShort, 0.8}, {HairLength::kMedium, 0.12}});
  a.hat = pick_kind<HatKind>(random, {{HatKind::kNone, 0.84},
                                      {HatKind::kCap, 0.06},
                                      {HatKind::kBeanie, 0.06},
                                      {HatKind::kHeadscarf, female && !child ? 0.08 : 0.0}});
  a.hat_colour = vary(random, pick(random, kHats), 0.06);

  a.top = pick_kind<TopKind>(random, {{TopKind::kTShirt, child ? 0.4 : 0.18},
                                      {TopKind::kShirt, 0.14},
                                      {TopKind::kJacket, 0.32},
                                      {TopKind::kCoat, child ? 0.1 : 0.36}});
  const bool outer = a.top == TopKind::kJacket || a.top == TopKind::kCoat;
  a.top_colour = vary(random, pick(random, outer ? kOuterwear : kShirts), 0.07);
  a.pattern = pick_kind<Pattern>(random, {{Pattern::kPlain, outer ? 0.9 : 0.72},
                                          {Pattern::kStripes, outer ? 0.05 : 0.16},
                                          {Pattern::kChecks, outer ? 0.05 : 0.12}});
  a.pattern_colour = vary(random, pick(random, kShirts), 0.07);
  if (a.pattern != Pattern::kPlain && std::abs(a.pattern_colour.g - a.top_colour.g) < 0.15f) {
    // A pattern in nearly the top's colour would be invisible: take white or black instead.
    a.pattern_colour = a.top_colour.g > 0.5f ? rgb8(30, 30, 34) : rgb8(230, 230, 226);
  }
  a.pattern_period_m = random.uniform(0.05, 0.12);
  a.front_print = a.top == TopKind::kTShirt && random.chance(0.35);
  a.print_colour = vary(random, pick(random, kShirts), 0.1);

  a.skirt = female && !child && random.chance(0.12);
  a.bottom_colour = vary(random, pick(random, kTrousers), 0.07);
  a.legwear = random.chance(0.5) ? a.skin : rgb8(30, 28, 30);
  a.shoe_colour = vary(random, pick(random, kShoes), 0.05);

  a.bag = child ? pick_kind<BagKind>(random, {{BagKind::kNone, 0.6}, {BagKind::kBackpack, 0.4}})
                : pick_kind<BagKind>(random, {{BagKind::kNone, 0.3},
                                              {BagKind::kBackpack, 0.25},
                                              {BagKind::kShoulderBag, 0.2},
                                              {BagKind::kSuitcase, 0.25}});
  a.bag_colour = vary(random, pick(random, a.bag == BagKind::kSuitcase ? kSuitcases : kBags), 0.05);
  a.bag_side = random.chance(0.6) ? -1 : 1;  // more carry on the right
  return a;
}

Rgb random_suitcase_colour(Random& random) { return vary(random, pick(random, kSuitcases), 0.05); }

Appearance crew_appearance(Random& random, bool captain) {
  Appearance a = random_appearance(random, false);
  a.top = TopKind::kCoat;
  a.top_colour = rgb8(26, 30, 56);
  a.pattern = Pattern::kPlain;
  a.front_print = false;
  a.skirt = false;
  a.bottom_colour = rgb8(22, 24, 34);
  a.shoe_colour = rgb8(16, 16, 16);
  a.bag = BagKind::kSuitcase;
  a.bag_colour = rgb8(20, 20, 24);
  a.bag_side = 1;
  a.hat = captain ? HatKind::kCap : HatKind::kNone;
  a.hat_colour = rgb8(26, 30, 56);
  return a;
}

void copy_outfit(const Appearance& model, Appearance& person, Random& random) {
  person.top = model.top;
  person.top_colour = vary(random, model.top_colour, 0.02);
  person.pattern = model.pattern;
  person.pattern_colour = model.pattern_colour;
  person.pattern_period_m = model.pattern_period_m;
  person.front_print = model.front_print;
  person.print_colour = model.print_colour;
  person.bottom_colour = vary(random, model.bottom_colour, 0.02);
  person.skirt = model.skirt && !person.child;
  person.shoe_colour = model.shoe_colour;
  person.bag = model.bag;
  person.bag_colour = vary(random, model.bag_colour, 0.02);
}

namespace {

// Appends parts in person-local terms: positions as (forward, left, up) from the point
// between the feet.
class BodyBuilder {
 public:
  BodyBuilder(const Pose& pose, Vec2 toward_camera, std::vector<BodyPart>& parts)
      : pose_(pose), across_(toward_camera.left()), parts_(parts) {
    forward_ = pose.heading;
    left_ = forward_.left();
  }

  Vec3 at(double forward, double left, double up) const {
    const Vec2 p = pose_.position + forward_ * forward + left_ * left;
    return {p.x, p.y, up};
  }
  // Visible width of something `lateral` wide (side to side) and `deep` (front to back),
  // with an elliptic cross-section, seen from the camera's direction.
  double visible(double lateral, double deep) const {
    const double x = lateral * left_.dot(across_);
    const double y = deep * forward_.dot(across_);
    return std::sqrt(x * x + y * y);
  }
  // Parts are named by index: a reference would dangle once the vector grows.
  std::size_t segment(Vec3 a, Vec3 b, double wa, double wb, Rgb colour, float shade = 0.3f) {
    BodyPart& p = parts_.emplace_back();
    p.shape = BodyPart::Shape::kSegment;
    p.a = a;
    p.b = b;
    p.width_a = wa;
    p.width_b = wb;
    p.colour = colour;
    p.edge_shade = shade;
    p.depth_point = (a + b) * 0.5;
    return parts_.size() - 1;
  }
  std::size_t ellipse(Vec3 centre, double w, double h, Rgb colour, float shade = 0.25f) {
    BodyPart& p = parts_.emplace_back();
    p.shape = BodyPart::Shape::kEllipse;
    p.a = centre;
    p.width_a = w;
    p.width_b = h;
    p.colour = colour;
    p.edge_shade = shade;
    p.depth_point = centre;
    return parts_.size() - 1;
  }
  BodyPart& operator[](std::size_t i) { return parts_[i]; }

 private:
  const Pose& pose_;
  Vec2 forward_, left_, across_;
  std::vector<BodyPart>& parts_;
};

}  // namespace

void build_body(const Appearance& a, const Pose& pose, Vec2 toward_camera, std::vector<BodyPart>& parts) {
  parts.clear();
  BodyBuilder body(pose, toward_camera, parts);
  const double H = a.height_m;
  const double amp = std::clamp(pose.walking, 0.0, 1.6);
  const double swing = 0.36 * amp;  // peak leg angle, rad
  const double phase = pose.gait_phase;

  const double hip_rest = H * a.leg_share;
  const double knee_rest = H * 0.285;
  const double ankle_z = 0.06;
  const double thigh = hip_rest - knee_rest;
  const double shin = knee_rest - ankle_z;
  // The body sinks when the legs are spread so the stance foot stays on the floor.
  const double sink = (thigh + shin) * (1.0 - std::cos(swing * std::sin(phase)));
  const double z_hip = hip_rest - sink;
  const double z_shoulder = H * 0.815 - sink;
  const double head_h = H * a.head_share;
  const double head_w = head_h * 0.72;
  const double head_z = H - head_h * 0.5 - sink;
  const double depth = a.torso_depth_m;
  const bool pulls_case = pose.suitcase;
  const bool standing = amp < 0.2;

  // Legs, drawn before the torso and coat (which cover the thighs).
  constexpr double kLegsFirst = 0.3;
  for (int side : {1, -1}) {
    const double leg_phase = phase + (side > 0 ? 0.0 : std::numbers::pi);
    const double theta = swing * std::sin(leg_phase);
    const double bend = 0.75 * amp * std::max(0.0, std::cos(leg_phase));
    const double lateral = side * a.hip_m * 0.26;
    const Vec3 hip = body.at(0, lateral, z_hip);
    const Vec3 knee = body.at(std::sin(theta) * thigh, lateral, z_hip - std::cos(theta) * thigh);
    const double shin_angle = theta - bend;
    const Vec3 ankle = body.at(std::sin(theta) * thigh + std::sin(shin_angle) * shin, lateral,
                               std::max(0.05, z_hip - std::cos(theta) * thigh - std::cos(shin_angle) * shin));
    const double thigh_w = a.hip_m * 0.42;
    const Rgb leg_colour = a.skirt ? a.legwear : a.bottom_colour;
    const std::size_t upper = body.segment(hip, knee, thigh_w, thigh_w * 0.72, leg_colour, 0.35f);
    const std::size_t lower = body.segment(knee, ankle, thigh_w * 0.7, thigh_w * 0.5, leg_colour, 0.35f);
    const Vec3 toe = ankle + (body.at(0.045, lateral, 0) - body.at(0, lateral, 0));
    const std::size_t shoe = body.ellipse({toe.x, toe.y, std::max(0.045, ankle.z - 0.01)},
                                          body.visible(0.11, 0.27), 0.09, a.shoe_colour, 0.2f);
    for (BodyPart* p : {&body[upper], &body[lower], &body[shoe]}) {
      p->depth_point = hip;
      p->depth_bias = kLegsFirst;
    }
  }
  if (a.skirt) {
    body.segment(body.at(0, 0, z_hip + 0.06), body.at(0, 0, knee_rest + 0.04),
                 body.visible(a.hip_m + 0.02, depth), body.visible(a.hip_m + 0.16, depth + 0.12),
                 a.bottom_colour, 0.3f);
  }

  // Torso (and a coat's skirt over the thighs).
  const double torso_bottom = a.top == TopKind::kJacket ? z_hip - 0.08 : z_hip - 0.03;
  const std::size_t torso = body.segment(body.at(0, 0, z_shoulder + 0.03), body.at(0, 0, torso_bottom),
                                         body.visible(a.shoulder_m, depth),
                                         body.visible(a.hip_m + 0.03, depth * 0.92), a.top_colour, 0.3f);
  body[torso].pattern = a.pattern;
  body[torso].pattern_colour = a.pattern_colour;
  body[torso].pattern_period_m = a.pattern_period_m;
  if (a.top == TopKind::kCoat) {
    const std::size_t coat = body.segment(body.at(0, 0, torso_bottom + 0.02), body.at(0, 0, knee_rest + 0.02),
                                          body.visible(a.hip_m + 0.05, depth),
                                          body.visible(a.hip_m + 0.12, depth + 0.06), a.top_colour, 0.3f);
    body[coat].pattern = a.pattern;
    body[coat].pattern_colour = a.pattern_colour;
    body[coat].pattern_period_m = a.pattern_period_m;
    body[coat].depth_point = body[torso].depth_point;
  }
  if (a.front_print) {
    const double w = 0.2 * std::abs(body.visible(1.0, 0.0));
    body.segment(body.at(depth * 0.5 + 0.01, 0, z_shoulder - 0.1),
                 body.at(depth * 0.5 + 0.01, 0, z_shoulder - 0.27), w, w, a.print_colour, 0.1f);
  }

  // Arms, swinging against the legs; the arm on the suitcase's side holds its handle.
  Vec3 suitcase_hand;
  for (int side : {1, -1}) {
    const double leg_phase = phase + (side > 0 ? 0.0 : std::numbers::pi);
    const bool holds_case = pulls_case && side == a.bag_side;
    double angle = -0.75 * swing * std::sin(leg_phase);
    double elbow_bend = 0.2 + 0.5 * std::max(0.0, amp - 1.0);
    if (holds_case) {
      angle = standing ? 0.05 : -0.35;
      elbow_bend = 0.05;
    }
    const double upper_arm = H * 0.17, fore = H * 0.155;
    const double lateral = side * (a.shoulder_m * 0.5 - 0.035);
    const Vec3 shoulder = body.at(0, lateral, z_shoulder - 0.03);
    const Vec3 elbow = body.at(std::sin(angle) * upper_arm, lateral + side * 0.015,
                               z_shoulder - 0.03 - std::cos(angle) * upper_arm);
    const double fore_angle = angle + elbow_bend;
    const Vec3 wrist = elbow + (body.at(std::sin(fore_angle) * fore, side * 0.01, 0) - body.at(0, 0, 0)) +
                       Vec3{0, 0, -std::cos(fore_angle) * fore};
    const Vec3 hand = wrist + (body.at(std::sin(fore_angle) * 0.045, 0, 0) - body.at(0, 0, 0)) +
                      Vec3{0, 0, -std::cos(fore_angle) * 0.045};
    const double arm_w = a.shoulder_m * 0.24;
    const Rgb sleeve = a.top_colour;
    const Rgb forearm = a.top == TopKind::kTShirt ? a.skin : a.top_colour;
    const std::size_t upper = body.segment(shoulder, elbow, arm_w, arm_w * 0.85, sleeve, 0.35f);
    const std::size_t lower = body.segment(elbow, wrist, arm_w * 0.85, arm_w * 0.7, forearm, 0.35f);
    const std::size_t palm = body.ellipse(hand, arm_w * 0.75, 0.1, a.skin, 0.2f);
    for (BodyPart* p : {&body[upper], &body[lower], &body[palm]}) {
      p->depth_point = shoulder;
      p->depth_bias = -0.01;
    }
    if (holds_case) suitcase_hand = hand;
  }

  // Bags.
  switch (a.bag) {
    case BagKind::kBackpack: {
      const double back = -(depth * 0.5 + 0.08);
      body.segment(body.at(back, 0, z_shoulder - 0.04), body.at(back, 0, z_shoulder - 0.5),
                   body.visible(0.3, 0.16), body.visible(0.32, 0.17), a.bag_colour, 0.25f);
      for (int side : {1, -1}) {
        body.segment(body.at(depth * 0.5 + 0.005, side * 0.1, z_shoulder),
                     body.at(depth * 0.5 + 0.005, side * 0.11, z_shoulder - 0.3), 0.035, 0.035,
                     darker(a.bag_colour, 0.8f), 0.1f);
      }
      break;
    }
    case BagKind::kShoulderBag: {
      const double lateral = a.bag_side * (a.hip_m * 0.5 + 0.07);
      const std::size_t bag =
          body.segment(body.at(0, lateral, z_hip + 0.16), body.at(0, lateral, z_hip - 0.12),
                       body.visible(0.08, 0.3), body.visible(0.08, 0.32), a.bag_colour, 0.2f);
      body[bag].depth_bias = -0.01;
      for (double face : {1.0, -1.0}) {
        const double f = face * (depth * 0.5 + 0.01);
        body.segment(body.at(f, -a.bag_side * a.shoulder_m * 0.35, z_shoulder + 0.01),
                     body.at(f, lateral * 0.8, z_hip + 0.16), 0.03, 0.03, darker(a.bag_colour, 0.8f), 0.1f);
      }
      break;
    }
    default:
      break;
  }
  if (pulls_case) {
    // Pulled behind while walking, standing beside the person while they stand.
    const double back = standing ? 0.0 : -0.5;
    const double lateral = a.bag_side * (standing ? 0.45 : 0.3);
    const double top = 0.72;
    const std::size_t box =
        body.segment(body.at(back, lateral, top), body.at(back - (standing ? 0.0 : 0.08), lateral, 0.07),
                     body.visible(0.26, 0.42), body.visible(0.26, 0.42), a.bag_colour, 0.2f);
    body[box].body = false;
    const std::size_t wheels = body.ellipse(body.at(back - (standing ? 0.0 : 0.08), lateral, 0.04),
                                            body.visible(0.2, 0.36), 0.07, rgb8(20, 20, 20), 0.1f);
    body[wheels].body = false;
    body[wheels].depth_point = body[box].depth_point;
    const std::size_t handle =
        body.segment(suitcase_hand, body.at(back, lateral, top), 0.02, 0.02, rgb8(60, 60, 64), 0.0f);
    body[handle].body = false;
    body[handle].depth_point = body[box].depth_point;
  }

  // Neck, head, hair and headwear.
  const std::size_t neck =
      body.segment(body.at(0.01, 0, head_z - head_h * 0.3), body.at(0.0, 0, z_shoulder + 0.04), head_w * 0.62,
                   head_w * 0.68, a.skin, 0.3f);
  body[neck].depth_bias = 0.02;
  const std::size_t head = body.ellipse(body.at(0.012, 0, head_z), head_w, head_h, a.skin, 0.25f);
  auto over_head = [&](std::size_t part, double bias) {
    body[part].depth_point = body[head].depth_point;
    body[part].depth_bias = bias;
  };
  if (a.hat == HatKind::kHeadscarf) {
    const std::size_t back =
        body.ellipse(body.at(-0.025, 0, head_z + 0.01), head_w * 1.24, head_h * 1.12, a.hat_colour, 0.25f);
    body[back].depth_bias = -0.001;
    const std::size_t front =
        body.ellipse(body.at(0.0, 0, head_z + head_h * 0.3), head_w * 1.02, head_h * 0.5, a.hat_colour, 0.2f);
    over_head(front, -0.002);
    const std::size_t drape =
        body.segment(body.at(-0.03, 0, head_z - head_h * 0.3), body.at(-0.03, 0, z_shoulder - 0.06),
                     head_w * 1.2, a.shoulder_m * 0.62, a.hat_colour, 0.25f);
    body[drape].depth_bias = 0.005;
  } else {
    if (a.hair_length != HairLength::kBald) {
      const double size = a.hair_length == HairLength::kShort ? 1.05 : 1.12;
      const std::size_t back = body.ellipse(body.at(-0.018, 0, head_z + head_h * 0.03), head_w * size,
                                            head_h * (size - 0.04), a.hair, 0.25f);
      body[back].depth_bias = -0.001;
      const std::size_t top =
          body.ellipse(body.at(0.0, 0, head_z + head_h * 0.31), head_w * 0.98, head_h * 0.42, a.hair, 0.2f);
      over_head(top, -0.002);
      if (a.hair_length == HairLength::kLong) {
        const std::size_t hang = body.segment(body.at(-0.05, 0, head_z), body.at(-0.06, 0, z_shoulder - 0.14),
                                              head_w * 1.05, head_w * 1.15, a.hair, 0.3f);
        body[hang].depth_bias = 0.0;
      }
    }
    if (a.hat == HatKind::kCap) {
      const std::size_t crown = body.ellipse(body.at(0, 0, head_z + head_h * 0.33), head_w * 1.06,
                                             head_h * 0.42, a.hat_colour, 0.2f);
      over_head(crown, -0.004);
      const std::size_t brim =
          body.ellipse(body.at(0.09, 0, head_z + head_h * 0.17), body.visible(head_w, 0.14), head_h * 0.1,
                       darker(a.hat_colour, 0.8f), 0.1f);
      body[brim].depth_point = body.at(0.09, 0, head_z);
      body[brim].depth_bias = -0.004;
    } else if (a.hat == HatKind::kBeanie) {
      const std::size_t beanie = body.ellipse(body.at(-0.005, 0, head_z + head_h * 0.27), head_w * 1.1,
                                              head_h * 0.6, a.hat_colour, 0.25f);
      over_head(beanie, -0.004);
    }
  }
}

}  // namespace oi::sim_cctv
