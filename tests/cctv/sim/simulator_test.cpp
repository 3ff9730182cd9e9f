// The site simulator behind sim.cctv: determinism by seed, one world seen by several cameras
// (shared identities, plausible transit times, one clock), ground truth checked against the
// renderer's id buffer, occluders, perspective and viewpoint. The driver's own behaviour is
// in driver_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include "oi/cctv/contract.hpp"
#include "oi/error.hpp"
#include "site_camera.hpp"

namespace {

using oi::cctv::GroundTruthPerson;
using namespace oi::sim_cctv;

SiteCameraConfig small(std::size_t camera, std::uint64_t seed, int width = 320, int height = 240) {
  SiteCameraConfig c;
  c.camera = camera;
  c.seed = seed;
  c.picture.width = width;
  c.picture.height = height;
  return c;
}

struct Rendered {
  std::vector<std::uint8_t> image;
  std::vector<GroundTruthPerson> truth;
};

Rendered render(SiteCamera& camera, std::int64_t index) {
  const SiteCameraConfig& c = camera.config();
  Rendered r;
  r.image.resize(static_cast<std::size_t>(c.picture.width) * c.picture.height * 3);
  camera.render(index, r.image.data(), static_cast<std::size_t>(c.picture.width) * 3, r.truth);
  return r;
}

bool same_truth(const std::vector<GroundTruthPerson>& a, const std::vector<GroundTruthPerson>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].identity != b[i].identity || a[i].box.x != b[i].box.x || a[i].box.y != b[i].box.y ||
        a[i].box.w != b[i].box.w || a[i].box.h != b[i].box.h || a[i].visible != b[i].visible)
      return false;
  }
  return true;
}

// One person with a plain outfit, no bag, standing or walking at `at` facing `heading`.
struct Dummy {
  Appearance appearance;
  std::vector<PersonState> persons(Vec2 at, Vec2 heading, double walking = 0) const {
    PersonState p;
    p.identity = 1;
    p.appearance = &appearance;
    p.pose.position = at;
    p.pose.heading = heading.normalized();
    p.pose.walking = walking;
    p.pose.speed = walking * 1.3;
    return {p};
  }
};

Dummy dummy() {
  Random random(3);
  Dummy d;
  d.appearance = random_appearance(random, false);
  d.appearance.height_m = 1.75;
  d.appearance.bag = BagKind::kNone;
  d.appearance.hat = HatKind::kNone;
  d.appearance.pattern = Pattern::kPlain;
  d.appearance.front_print = false;
  d.appearance.top_colour = rgb8(40, 40, 44);
  d.appearance.bottom_colour = rgb8(36, 46, 72);
  return d;
}

// Renders `persons` with `renderer` into a scratch image; returns the truth.
std::vector<GroundTruthPerson> paint(CameraRenderer& renderer, const std::vector<PersonState>& persons,
                                     std::vector<std::uint8_t>* out = nullptr) {
  const PictureSettings& s = renderer.settings();
  std::vector<std::uint8_t> image(static_cast<std::size_t>(s.width) * s.height * 3);
  std::vector<GroundTruthPerson> truth;
  renderer.render(persons, 1, image.data(), static_cast<std::size_t>(s.width) * 3, truth);
  if (out) *out = std::move(image);
  return truth;
}

TEST(SimCctv, SameSeedGivesIdenticalFramesAndTruthAnotherSeedDifferent) {
  SiteCamera a(small(0, 5)), b(small(0, 5)), other(small(0, 6));
  bool any_person = false, differs = false;
  for (std::int64_t i = 0; i < 30; i += 3) {
    const Rendered ra = render(a, i), rb = render(b, i), ro = render(other, i);
    EXPECT_EQ(ra.image, rb.image) << "frame " << i << " differs for the same seed";
    EXPECT_TRUE(same_truth(ra.truth, rb.truth)) << "frame " << i;
    any_person = any_person || !ra.truth.empty();
    differs = differs || ra.image != ro.image || !same_truth(ra.truth, ro.truth);
  }
  EXPECT_TRUE(any_person) << "the default density puts persons in the gate's picture";
  EXPECT_TRUE(differs) << "seeds 5 and 6 gave the same frames";

  // Frames rendered out of order are the same as in order (the crowd replays).
  SiteCamera c(small(0, 5));
  const Rendered late = render(c, 27);
  const Rendered early = render(c, 3);
  EXPECT_EQ(late.image, render(a, 27).image);
  EXPECT_EQ(early.image, render(b, 3).image);
}

TEST(SimCctv, CamerasOfASiteShareIdentitiesAndOneClockWithPlausibleTransitTimes) {
  const SiteLayout& site = site_layout("arrival_hall");
  SiteCamera gate(small(*site.find_camera("gate"), 11, 192, 144));
  SiteCamera corridor(small(*site.find_camera("corridor"), 11, 192, 144));
  EXPECT_EQ(gate.capture_time_ns(0), kSiteEpochNs);
  EXPECT_EQ(gate.capture_time_ns(25), corridor.capture_time_ns(25));
  EXPECT_EQ(gate.capture_time_ns(10) - gate.capture_time_ns(0), 1'000'000'000) << "10 Hz site clock";

  // Last frame each identity is seen at the gate, first frame in the corridor (visible
  // enough to count), over 90 s of the site clock sampled at 5 Hz.
  std::map<std::int64_t, std::int64_t> last_at_gate, first_in_corridor;
  for (std::int64_t i = 0; i < 900; i += 2) {
    for (const GroundTruthPerson& p : render(gate, i).truth)
      if (p.visible > 0.3) last_at_gate[p.identity] = i;
    for (const GroundTruthPerson& p : render(corridor, i).truth)
      if (p.visible > 0.3 && !first_in_corridor.count(p.identity)) first_in_corridor[p.identity] = i;
  }
  int both = 0;
  for (const auto& [identity, left_gate] : last_at_gate) {
    const auto it = first_in_corridor.find(identity);
    if (it == first_in_corridor.end()) continue;
    // Persons already in the corridor at frame 0 were at the gate before the run began.
    if (it->second == 0) continue;
    ++both;
    const double transit_s = static_cast<double>(it->second - left_gate) / 10.0;
    EXPECT_GT(transit_s, 2.0) << "identity " << identity << " reached the corridor " << transit_s
                              << " s after leaving the gate's picture: the rooms are ~15 m apart";
    EXPECT_LT(transit_s, 40.0) << "identity " << identity;
  }
  EXPECT_GE(both, 5) << "persons seen at the gate walk on into the corridor";
}

TEST(SimCctv, GroundTruthBoxesCoverEveryPixelTheirPersonShows) {
  SiteCamera camera(small(0, 2, 384, 288));
  int checked = 0;
  for (std::int64_t i = 0; i < 40; i += 8) {
    const Rendered r = render(camera, i);
    const CameraRenderer& renderer = camera.renderer();
    const std::vector<std::uint16_t>& ids = renderer.ids();
    for (const RenderedPerson& p : renderer.rendered()) {
      const auto truth = std::find_if(r.truth.begin(), r.truth.end(),
                                      [&](const GroundTruthPerson& t) { return t.identity == p.identity; });
      int x0 = 384, y0 = 288, x1 = -1, y1 = -1;
      std::int64_t pixels = 0;
      for (int y = 0; y < 288; ++y)
        for (int x = 0; x < 384; ++x)
          if (ids[static_cast<std::size_t>(y) * 384 + x] == p.id) {
            x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y), ++pixels;
          }
      if (pixels == 0) continue;
      ASSERT_NE(truth, r.truth.end())
          << "identity " << p.identity << " shows " << pixels << " pixels but has no truth";
      const oi::cctv::Box& b = truth->box;
      EXPECT_LE(b.x, x0);
      EXPECT_LE(b.y, y0);
      EXPECT_GE(b.x + b.w - 1, x1);
      EXPECT_GE(b.y + b.h - 1, y1);
      EXPECT_NEAR(truth->visible, static_cast<double>(pixels) / static_cast<double>(p.body.pixels), 1e-9);
      if (truth->visible > 0.999) {
        // Fully visible: the box is exactly the pixels shown.
        EXPECT_EQ(b.x, x0);
        EXPECT_EQ(b.y, y0);
        EXPECT_EQ(b.w, x1 - x0 + 1);
        EXPECT_EQ(b.h, y1 - y0 + 1);
      }
      ++checked;
    }
    for (const GroundTruthPerson& t : r.truth) {
      EXPECT_GE(t.box.x, 0);
      EXPECT_GE(t.box.y, 0);
      EXPECT_LE(t.box.x + t.box.w, 384);
      EXPECT_LE(t.box.y + t.box.h, 288);
      EXPECT_GE(t.visible, 0.0);
      EXPECT_LE(t.visible, 1.0);
    }
  }
  EXPECT_GE(checked, 10);
}

TEST(SimCctv, VisibleFractionDropsBehindAnOccluder) {
  const SiteLayout& site = site_layout("arrival_hall");
  const std::size_t index = *site.find_camera("gate");
  CameraRenderer renderer(site, index, PictureSettings{320, 240});
  const CameraLayout& camera = site.cameras[index];
  const Occluder* pillar = nullptr;
  for (const Occluder& o : site.rooms[camera.room].occluders)
    if (o.kind == Occluder::Kind::kPillar && !pillar) pillar = &o;
  ASSERT_NE(pillar, nullptr);
  const Vec2 eye{camera.position.x, camera.position.y};
  const Vec2 centre{(pillar->x0 + pillar->x1) / 2, (pillar->y0 + pillar->y1) / 2};
  const Dummy d = dummy();
  const Vec2 toward_camera = (eye - centre).normalized();

  // On the camera's ray through the pillar, half as far again behind it: hidden.
  const Vec2 behind = eye + (centre - eye) * 1.5;
  const auto hidden = paint(renderer, d.persons(behind, toward_camera));
  ASSERT_EQ(hidden.size(), 1u) << "a person hidden behind a pillar is still in the picture";
  EXPECT_LT(hidden[0].visible, 0.2);
  for (std::size_t i = 0; i < renderer.ids().size(); ++i) {
    const int x = static_cast<int>(i % 320), y = static_cast<int>(i / 320);
    if (renderer.ids()[i] != kNoPerson) {
      EXPECT_FALSE(renderer.shows_occluder(x, y)) << x << "," << y;
    }
  }

  // Three metres to the side, in the open.
  const Vec2 side = behind - toward_camera.left() * 3.0;
  const auto open = paint(renderer, d.persons(side, toward_camera));
  ASSERT_EQ(open.size(), 1u);
  EXPECT_GT(open[0].visible, 0.97);
  EXPECT_NEAR(open[0].box.h, hidden[0].box.h, 0.1 * open[0].box.h)
      << "the box is the whole body, occluded or not";

  // One person in front of another hides part of them.
  std::vector<PersonState> pair = d.persons(side, toward_camera);
  const Dummy d2 = dummy();
  std::vector<PersonState> front = d2.persons(eye + (side - eye) * 0.8, toward_camera);
  front[0].identity = 2;
  pair.push_back(front[0]);
  const auto both = paint(renderer, pair);
  ASSERT_EQ(both.size(), 2u);
  for (const GroundTruthPerson& t : both) {
    if (t.identity == 1) {
      EXPECT_LT(t.visible, 0.6) << "the person behind";
    }
    if (t.identity == 2) {
      EXPECT_GT(t.visible, 0.97) << "the person in front";
    }
  }
}

TEST(SimCctv, PersonsLowerInThePictureAreTaller) {
  // Controlled: the same person further and further along the gate camera's axis.
  const SiteLayout& site = site_layout("arrival_hall");
  const std::size_t index = *site.find_camera("gate");
  CameraRenderer renderer(site, index, PictureSettings{});  // 768 x 576
  const CameraLayout& camera = site.cameras[index];
  const Vec2 eye{camera.position.x, camera.position.y};
  const double yaw = camera.yaw_deg * 3.14159265358979 / 180.0;
  const Vec2 axis{std::cos(yaw), std::sin(yaw)};
  const Dummy d = dummy();
  double last_height = 1e9, last_bottom = 1e9;
  for (double distance : {6.0, 9.0, 14.0, 20.0, 27.0}) {
    const auto truth = paint(renderer, d.persons(eye + axis * distance, axis * -1.0));
    ASSERT_EQ(truth.size(), 1u) << distance << " m";
    const double height = truth[0].box.h, bottom = truth[0].box.y + truth[0].box.h;
    EXPECT_LT(height, last_height) << distance << " m";
    EXPECT_LT(bottom, last_bottom) << "further away is higher in the picture";
    last_height = height, last_bottom = bottom;
    if (distance == 6.0) {
      EXPECT_GT(height, 150) << "near: large";
    }
    if (distance == 27.0) {
      EXPECT_NEAR(height, 40, 12) << "far: about 40 px at 576 rows";
    }
  }

  // And in the simulated crowd: box height grows with the box's bottom row.
  SiteCamera site_camera(small(index, 4, 768, 576));
  std::vector<std::pair<double, double>> samples;  // bottom, height
  for (std::int64_t i = 0; i < 200; i += 10) {
    for (const GroundTruthPerson& t : render(site_camera, i).truth)
      if (t.visible > 0.9 && t.box.y > 0 && t.box.y + t.box.h < 576)
        samples.emplace_back(t.box.y + t.box.h, t.box.h);
  }
  ASSERT_GE(samples.size(), 20u);
  double mb = 0, mh = 0;
  for (const auto& [b, h] : samples) mb += b, mh += h;
  mb /= samples.size(), mh /= samples.size();
  double cov = 0, vb = 0, vh = 0;
  for (const auto& [b, h] : samples)
    cov += (b - mb) * (h - mh), vb += (b - mb) * (b - mb), vh += (h - mh) * (h - mh);
  EXPECT_GT(cov / std::sqrt(vb * vh), 0.8) << "height correlates with the bottom row";
}

TEST(SimCctv, TheCameraSeesTheSideOfAPersonThatFacesIt) {
  // A red backpack shows from behind and hides from the front.
  const SiteLayout& site = site_layout("arrival_hall");
  const std::size_t index = *site.find_camera("gate");
  CameraRenderer renderer(site, index,
                          PictureSettings{640, 480, kReferenceExposureUs, 0, 0, 100, false, false});
  Dummy d = dummy();
  d.appearance.bag = BagKind::kBackpack;
  d.appearance.bag_colour = rgb8(255, 20, 20);
  const CameraLayout& camera = site.cameras[index];
  const Vec2 eye{camera.position.x, camera.position.y};
  const Vec2 at = eye + Vec2{0, 8};
  auto red_pixels = [&](Vec2 heading) {
    std::vector<std::uint8_t> image;
    paint(renderer, d.persons(at, heading), &image);
    int n = 0;
    for (std::size_t i = 0; i < image.size(); i += 3)
      if (image[i] > 90 && image[i + 1] < 50 && image[i + 2] < 50) ++n;
    return n;
  };
  const int from_behind = red_pixels((at - eye).normalized());
  const int from_front = red_pixels((eye - at).normalized());
  EXPECT_GT(from_behind, 300) << "the backpack covers the back";
  EXPECT_LT(from_front, from_behind / 4) << "only the straps show from the front";
}

TEST(SimCctv, MotionBlurSmearsAPersonRunningAcrossThePicture) {
  const SiteLayout& site = site_layout("arrival_hall");
  const std::size_t index = *site.find_camera("baggage");  // persons cross this picture sideways
  const CameraLayout& camera = site.cameras[index];
  const Dummy d = dummy();
  const Vec2 at = Vec2{camera.position.x, camera.position.y} + Vec2{0, 6};
  // Sum of horizontal differences over the rows of the person: a smeared person has softer edges.
  auto edges = [&](bool blur) {
    PictureSettings s{640, 480, 40000, 0, 0, 100, blur, false};  // a long exposure
    CameraRenderer renderer(site, index, s);
    std::vector<PersonState> persons = d.persons(at, {1, 0}, 1.6);
    persons[0].pose.speed = 3.0;
    std::vector<std::uint8_t> image;
    const auto truth = paint(renderer, persons, &image);
    EXPECT_EQ(truth.size(), 1u);
    double sum = 0;
    if (truth.empty()) return sum;
    const oi::cctv::Box& b = truth[0].box;
    for (int y = static_cast<int>(b.y); y < static_cast<int>(b.y + b.h); ++y)
      for (int x = std::max(1, static_cast<int>(b.x) - 10);
           x < std::min(639, static_cast<int>(b.x + b.w) + 10); ++x)
        sum += std::abs(image[(static_cast<std::size_t>(y) * 640 + x) * 3 + 1] -
                        image[(static_cast<std::size_t>(y) * 640 + x - 1) * 3 + 1]);
    return sum;
  };
  const double sharp = edges(false), smeared = edges(true);
  EXPECT_LT(smeared, 0.7 * sharp) << "3 m/s across the picture for 40 ms smears the person by ~12 px";
}

TEST(SimCctv, DensityControlsHowManyPersonsThereAre) {
  auto mean_in_view = [](double density) {
    SiteCameraConfig c = small(0, 9, 192, 144);
    c.persons_per_minute = density;
    SiteCamera camera(c);
    double n = 0;
    for (std::int64_t i = 0; i < 600; i += 20) n += static_cast<double>(render(camera, i).truth.size());
    return n / 30.0;
  };
  EXPECT_EQ(mean_in_view(0.0), 0.0) << "density 0 is an empty site";
  const double normal = mean_in_view(14.0), busy = mean_in_view(40.0);
  EXPECT_GE(normal, 2.5);
  EXPECT_LE(normal, 10.0);
  EXPECT_GT(busy, 1.8 * normal);
}

TEST(SimCctv, AnyImageSizeRendersEveryCamera) {
  // Sizes that are not multiples of the 8x8 compression blocks, and a tall narrow one.
  for (const auto& [w, h] : std::vector<std::pair<int, int>>{{97, 61}, {321, 243}, {64, 400}}) {
    for (std::size_t c = 0; c < 4; ++c) {
      SiteCamera camera(small(c, 1, w, h));
      for (std::int64_t i = 0; i < 3; ++i) {
        const Rendered r = render(camera, i * 50);
        for (const GroundTruthPerson& t : r.truth) {
          EXPECT_GE(t.box.x, 0);
          EXPECT_LE(t.box.x + t.box.w, w);
          EXPECT_LE(t.box.y + t.box.h, h);
        }
      }
    }
  }
}

TEST(SimCctv, UnknownSiteOrCameraIsAClearError) {
  try {
    site_layout("harbour");
    FAIL() << "no such site";
  } catch (const oi::Error& e) {
    EXPECT_NE(std::string(e.what()).find("arrival_hall"), std::string::npos) << e.what();
  }
  const SiteLayout& site = site_layout("arrival_hall");
  EXPECT_EQ(site.find_camera("baggage"), std::optional<std::size_t>(2));
  EXPECT_EQ(site.find_camera("3"), std::optional<std::size_t>(3));
  EXPECT_FALSE(site.find_camera("4").has_value());
  EXPECT_FALSE(site.find_camera("lobby").has_value());
  EXPECT_EQ(site.camera_list(), "gate (0), corridor (1), baggage (2), exit (3)");
}

}  // namespace
