// Threats: handguns and their parts, narcotics packages, shielding containers, knives. Each
// assembly carries truth prototypes; the parts that make up a threat point at them with
// truth_slot, covers and benign contents do not.
#include <cmath>

#include "assembly.hpp"
#include "oi/xray/contract.hpp"

namespace oi::sim {

namespace {

TruthObject truth(std::string klass, std::string material, nlohmann::json extra = nlohmann::json::object()) {
  TruthObject t;
  t.klass = std::move(klass);
  t.material = std::move(material);
  t.extra = std::move(extra);
  return t;
}

Part in_slot(Part p, int slot) {
  p.truth_slot = slot;
  return p;
}

// Firearms lie mostly flat, sometimes canted, now and then on their edge: the roll about the
// barrel changes the outline (on edge it is a narrow bar) and the steel thickness the beam
// crosses. Returns the tilt and records the angles.
Rotation firearm_tilt(Rng& rng, nlohmann::json& pose) {
  double roll = 0;
  const double r = rng.uniform();
  if (r < 0.65) {
    roll = rng.normal(0, 10);
  } else if (r < 0.9) {
    roll = rng.uniform(-60, 60);
  } else {
    roll = rng.chance(0.5) ? 90 : -90;
  }
  const double pitch = rng.normal(0, 8);
  pose["tilt_deg"] = roll;
  pose["pitch_deg"] = pitch;
  return Rotation::from_angles(0, deg(pitch), deg(roll));
}

struct NamedPart {
  std::string name;
  Part part;
};

// A semi-automatic pistol in its own frame: x along the barrel (muzzle at +x), y up (grip
// down), z across the gun. About 200 x 145 x 28 mm, like a service pistol.
std::vector<NamedPart> pistol(Rng& rng, bool polymer, bool loaded) {
  const char* frame = polymer ? "nylon" : "steel";
  std::vector<NamedPart> p;
  p.push_back({"slide", box_part("steel", {95, 14, 12}, {10, 22, 0}, 1.0, 3.5)});
  p.push_back({"barrel", cylinder_part("steel", 7, 55, 0, {20, 22, 0}, 1.0, 2.5)});
  p.push_back({"slide", cylinder_part("steel", 2, 40, 0, {30, 10, 0})});  // recoil spring guide
  p.push_back({"frame", box_part(frame, {85, 8, 11}, {0, 2, 0})});
  p.push_back({"frame", prism_part(frame, {{-85, -6}, {-45, -6}, {-60, -110}, {-98, -104}}, 14, {}, 1.0, 3)});
  p.push_back({"frame", box_part(frame, {25, 2, 5}, {-15, -30, 0})});  // trigger guard
  p.push_back({"frame", box_part(frame, {2, 14, 5}, {10, -18, 0})});
  p.push_back({"frame", box_part("steel", {2.5, 9, 3}, {-20, -15, 0})});            // trigger
  p.push_back({"slide", box_part("steel", {6, 5, 4}, {-82, 37, 0})});               // rear sight, hammer
  if (polymer) p.push_back({"frame", box_part("steel", {30, 2, 8}, {-10, 8, 0})});  // rails
  p.push_back(
      {"magazine", prism_part("steel", {{-80, -8}, {-52, -8}, {-66, -106}, {-92, -102}}, 5.5, {}, 1.0, 0.8)});
  if (loaded) {
    p.push_back(
        {"magazine", prism_part("copper", {{-78, -10}, {-55, -10}, {-68, -100}, {-90, -97}}, 4.5, {}, 0.35)});
    p.push_back({"magazine", cylinder_part("lead", 4.5, 8, 0, {-58, -14, 0})});
  }
  (void)rng;
  return p;
}

// A revolver: barrel, cylinder (drum), frame straps, wooden or rubber grip.
std::vector<NamedPart> revolver(Rng& rng) {
  std::vector<NamedPart> p;
  const double barrel = rng.uniform(25, 60);
  p.push_back({"barrel", cylinder_part("steel", 9, barrel, 0, {20 + barrel, 15, 0}, 1.0, 4.5)});
  p.push_back({"cylinder", cylinder_part("steel", 19, 20, 0, {-5, 10, 0}, 0.65)});
  p.push_back({"frame", box_part("steel", {30, 4, 8}, {-5, 32, 0})});
  p.push_back({"frame", box_part("steel", {30, 5, 8}, {-5, -12, 0})});
  p.push_back({"frame", box_part("steel", {8, 25, 10}, {-35, 10, 0})});
  p.push_back({"frame", box_part("steel", {6, 8, 4}, {-40, 35, 0})});    // hammer
  p.push_back({"frame", box_part("steel", {20, 2, 4}, {-10, -30, 0})});  // trigger guard
  p.push_back({"frame", box_part("steel", {2, 8, 3}, {-12, -20, 0})});   // trigger
  p.push_back({"frame", prism_part("steel", {{-42, -15}, {-30, -15}, {-52, -90}, {-64, -88}}, 4)});
  p.push_back({"grip", prism_part(rng.chance(0.5) ? "cellulose" : "rubber",
                                  {{-45, -15}, {-25, -15}, {-50, -100}, {-75, -95}}, 16, {}, 0.7)});
  return p;
}

// A narcotics package: brick or flat pack in plastic film.
Part narcotics_pack(Rng& rng, nlohmann::json& extra, Vec3* half_out, double max_scale = 1.0) {
  const bool heroin = rng.chance(0.4);
  const double density = rng.uniform(1.1, 1.4);
  const bool brick = rng.chance(0.6);
  Vec3 half = brick ? Vec3{rng.uniform(80, 125), rng.uniform(50, 75), rng.uniform(15, 30)}
                    : Vec3{rng.uniform(90, 150), rng.uniform(70, 120), rng.uniform(2.5, 8)};
  half = {half.x * max_scale, half.y * max_scale, half.z * max_scale};
  const char* material = heroin ? "heroin" : "cocaine";
  extra["shape"] = brick ? "brick" : "flat_pack";
  extra["density_g_cm3"] = density;
  if (half_out != nullptr) *half_out = half;
  return box_part(material, half, {}, density / standard_materials()[material_index(material)].density_g_cm3);
}

}  // namespace

Assembly make_firearm(Rng& rng) {
  Assembly a{"handgun"};
  const bool is_revolver = rng.chance(0.25);
  nlohmann::json extra;
  std::vector<NamedPart> parts;
  if (is_revolver) {
    parts = revolver(rng);
    extra["shape"] = "revolver";
  } else {
    const bool polymer = rng.chance(0.5);
    const bool loaded = rng.chance(0.7);
    parts = pistol(rng, polymer, loaded);
    extra["shape"] = "pistol";
    extra["frame"] = polymer ? "polymer" : "steel";
    extra["loaded"] = loaded;
  }
  for (auto& np : parts) a.parts.push_back(in_slot(np.part, 0));
  a.tilt = firearm_tilt(rng, a.pose);
  a.truths.push_back(truth(xray::threat::kFirearm, "steel", extra));
  return a;
}

Assembly make_firearm_part(Rng& rng) {
  Assembly a{"handgun_part"};
  static const char* kParts[] = {"barrel", "slide", "magazine", "frame"};
  const std::string which = kParts[rng.integer(0, 3)];
  // A loose barrel is the barrel alone; a slide comes with its barrel, as it is removed.
  for (auto& np : pistol(rng, /*polymer=*/false, /*loaded=*/rng.chance(0.6))) {
    const bool keep = np.name == which || (which == "slide" && np.name == "barrel");
    if (keep) a.parts.push_back(in_slot(np.part, 0));
  }
  a.tilt = firearm_tilt(rng, a.pose);
  a.truths.push_back(truth(xray::threat::kFirearm, "steel", {{"shape", "part"}, {"part", which}}));
  return a;
}

Assembly make_narcotics(Rng& rng) {
  Assembly a{"narcotics"};
  nlohmann::json extra;
  Vec3 half;
  a.parts.push_back(in_slot(narcotics_pack(rng, extra, &half), 0));
  a.parts.push_back(
      box_part("polyethylene", {half.x + 0.3, half.y + 0.3, half.z + 0.3}, {}, 1.0, 0.3));  // film
  const double r = rng.uniform();
  std::string concealment = "none";
  if (r < 0.15) {  // in a hollowed-out book
    concealment = "book";
    const double m = rng.uniform(8, 15);
    a.parts.push_back(box_part("cellulose", {half.x + m, half.y + m, half.z + rng.uniform(3, 8)}, {},
                               rng.uniform(0.55, 0.75), m));
  } else if (r < 0.3) {  // rolled in clothes
    concealment = "clothes";
    a.parts.push_back(ellipsoid_part(rng.chance(0.5) ? "cellulose" : "nylon",
                                     {half.x * 1.6 + 20, half.y * 1.6 + 20, half.z + 25}, {},
                                     rng.uniform(0.12, 0.25)));
  } else if (r < 0.4) {  // in a food box, under sugar or coffee
    concealment = "food";
    const double m = rng.uniform(10, 20);
    a.parts.push_back(
        box_part("sugar", {half.x + m, half.y + m, half.z + m}, {}, rng.uniform(0.35, 0.55), m));
  }
  extra["concealment"] = concealment;
  a.tilt = Rotation::from_angles(0, deg(rng.normal(0, 6)), deg(rng.normal(0, 6)));
  a.truths.push_back(truth(xray::threat::kNarcotics,
                           a.parts[0].item.material == material_index("heroin") ? "heroin" : "cocaine",
                           extra));
  return a;
}

Assembly make_shielding(Rng& rng) {
  Assembly a{"shielding"};
  const bool lead = rng.chance(0.6);
  const double wall = lead ? rng.uniform(3.5, 9.0) : rng.uniform(16.0, 25.0);
  const bool pig = rng.chance(0.4);  // a cylindrical "lead pig" as used for radioactive sources
  Vec3 cavity;
  nlohmann::json extra{{"wall_mm", wall}};
  if (pig) {
    const double r = rng.uniform(18, 40), hl = rng.uniform(25, 60);
    cavity = {r, r, hl};
    a.parts.push_back(in_slot(
        cylinder_part(lead ? "lead" : "steel", r + wall, hl + wall, rng.chance(0.6) ? 2 : 0, {}, 1.0, wall),
        0));
    extra["shape"] = "cylinder";
  } else {
    cavity = {rng.uniform(25, 60), rng.uniform(20, 50), rng.uniform(15, 35)};
    a.parts.push_back(in_slot(
        box_part(lead ? "lead" : "steel", {cavity.x + wall, cavity.y + wall, cavity.z + wall}, {}, 1.0, wall),
        0));
    extra["shape"] = "box";
  }
  const Rotation cavity_rotation = a.parts[0].item.solid.rotation;
  // Contents fill most of the cavity, in its frame (a pig lying down turns its cavity too).
  const Vec3 fill{cavity.x * 0.85, cavity.y * 0.85, cavity.z * 0.85};
  const double r = rng.uniform();
  std::string contents;
  if (r < 0.55) {
    nlohmann::json inner;
    Part pack = narcotics_pack(rng, inner, nullptr);
    pack.item.solid.half = fill;
    pack.item.solid.rotation = cavity_rotation;
    if (pig) pack.item.solid.shape = Shape::kCylinder;
    pack.truth_slot = 1;
    inner["concealment"] = "shielding";
    inner["shape"] = "packed";
    const std::string material = pack.item.material == material_index("heroin") ? "heroin" : "cocaine";
    a.parts.push_back(pack);
    a.truths.push_back(truth(xray::threat::kNarcotics, material, inner));
    contents = "narcotics";
  } else if (r < 0.75) {
    contents = "organic";
    Part goods =
        box_part(rng.chance(0.5) ? "water" : "sugar", fill, {}, rng.uniform(0.5, 1.0), 0, cavity_rotation);
    if (pig) goods.item.solid.shape = Shape::kCylinder;
    a.parts.push_back(goods);
  } else {
    contents = "empty";
  }
  extra["contents"] = contents;
  a.tilt = Rotation::from_angles(0, deg(rng.normal(0, 5)), deg(rng.normal(0, 5)));
  a.truths.insert(a.truths.begin(), truth(xray::threat::kShielding, lead ? "lead" : "steel", extra));
  return a;
}

Assembly make_knife(Rng& rng) {
  Assembly a{"knife"};
  const double len = rng.uniform(80, 220), width = rng.uniform(16, 40), thick = rng.uniform(1.5, 3.0);
  // Spine straight, edge curving up to the tip: a convex quadrilateral, handle at x < 0.
  a.parts.push_back(in_slot(
      prism_part("steel", {{0, -width / 2}, {0.75 * len, -width / 2}, {len, width / 2}, {0, width / 2}},
                 thick / 2),
      0));
  const double handle = rng.uniform(90, 125);
  a.parts.push_back(
      in_slot(box_part("steel", {handle * 0.45, width * 0.3, thick / 2}, {-handle / 2, 0, 0}), 0));  // tang
  static const char* kHandle[] = {"pom", "nylon", "cellulose"};
  a.parts.push_back(
      box_part(kHandle[rng.integer(0, 2)], {handle / 2, width / 2 + 3, 10}, {-handle / 2, 0, 0}, 0.8));
  nlohmann::json extra{{"blade_length_mm", len}};
  double roll = rng.chance(0.85) ? rng.normal(0, 10) : rng.uniform(-90, 90);
  a.pose["tilt_deg"] = roll;
  a.tilt = Rotation::from_angles(0, 0, deg(roll));
  a.truths.push_back(truth(xray::threat::kKnife, "steel", extra));
  return a;
}

}  // namespace oi::sim
