#include "crowd.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace oi::sim_cctv {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr double kMemberSpacing = 0.62;  // m between members walking side by side
constexpr std::size_t kRecentOutfits = 24;
constexpr double kReferenceLane = 3.0;  // m: a lateral offset of 1.5 m is the edge of a 3 m lane

// Group sizes and their shares; the mean is 1.6 persons.
constexpr double kGroupShare[] = {0.60, 0.25, 0.10, 0.05};
constexpr double kMeanGroupSize = 1.6;

// Unit normal (to the left of the walking direction) at waypoint `i`: the bisector of the
// segments before and after it, so lanes stay parallel around corners.
Vec2 normal_at(const std::vector<Waypoint>& points, std::size_t i) {
  Vec2 dir;
  if (i > 0) dir = dir + (points[i].at - points[i - 1].at).normalized();
  if (i + 1 < points.size()) dir = dir + (points[i + 1].at - points[i].at).normalized();
  return dir.normalized().left();
}

}  // namespace

Crowd::Crowd(const SiteLayout& site, std::uint64_t seed, double persons_per_minute)
    : site_(site), seed_(seed), persons_per_minute_(persons_per_minute), warmup_s_(site.longest_visit_s()) {
  reset();
}

void Crowd::reset() {
  arrivals_ = Random(mix64(seed_, 0xA2217A15ull));
  groups_ = 0;
  next_identity_ = 1;
  visits_.clear();
  recent_.clear();
  recent_next_ = 0;
  last_t_ = -warmup_s_;
  next_arrival_s_ = kInfinity;
  if (persons_per_minute_ > 0) {
    const double mean_gap_s = 60.0 * kMeanGroupSize / persons_per_minute_;
    next_arrival_s_ = -warmup_s_ + arrivals_.exponential(mean_gap_s);
  }
}

void Crowd::persons_at(double t, std::vector<PersonState>& out) {
  out.clear();
  if (t < last_t_ - 1e-9) reset();
  last_t_ = t;
  while (next_arrival_s_ <= t) {
    spawn_group();
    next_arrival_s_ += arrivals_.exponential(60.0 * kMeanGroupSize / persons_per_minute_);
  }
  std::erase_if(visits_, [t](const Visit& v) { return v.leave_s < t; });
  for (Visit& v : visits_) {
    if (t < v.enter_s) continue;
    PersonState& p = out.emplace_back();
    p.identity = v.identity;
    p.appearance = &v.appearance;
    p.pose = pose_of(v, t);
  }
}

void Crowd::spawn_group() {
  const double arrival = next_arrival_s_;
  Random random(mix64(seed_ ^ 0x5EEDC0DEull, groups_++));

  double total_share = 0;
  for (const Route& r : site_.routes) total_share += r.share;
  double pick = random.uniform() * total_share;
  const Route* route = &site_.routes.front();
  for (const Route& r : site_.routes) {
    pick -= r.share;
    if (pick < 0) {
      route = &r;
      break;
    }
  }

  const bool crew = random.chance(0.03);
  int size = 1;
  if (crew) {
    size = 2 + random.below(3);
  } else {
    double x = random.uniform();
    for (int s = 0; s < 4; ++s) {
      x -= kGroupShare[s];
      if (x < 0) {
        size = s + 1;
        break;
      }
    }
  }
  const bool hurry = size == 1 && !crew && random.chance(0.05);

  // Decisions shared by the group: where and how long it stops, its lane, its pace.
  std::vector<double> stops(route->points.size(), 0.0);
  if (!hurry && !crew) {
    for (std::size_t i = 0; i < route->points.size(); ++i) {
      const Stop& s = route->points[i].stop;
      if (s.probability > 0 && random.chance(s.probability)) stops[i] = random.uniform(s.min_s, s.max_s);
    }
  }
  const double spread = random.uniform();
  double speed = kInfinity;
  for (int i = 0; i < size; ++i) speed = std::min(speed, std::clamp(random.normal(1.3, 0.17), 0.85, 1.8));
  if (size > 1) speed *= 0.95;
  if (hurry) speed = random.uniform(2.2, 3.0);
  const double width = (size - 1) * kMemberSpacing;
  const double lane0 = random.uniform(-0.5, 0.5) * std::max(0.0, kReferenceLane - width);
  const int children = !crew && size >= 3 && random.chance(0.5) ? 1 + random.below(size - 2) : 0;

  for (int i = 0; i < size; ++i) {
    Visit v;
    v.identity = next_identity_++;
    const bool child = i >= size - children;
    v.appearance = crew ? crew_appearance(random, i == 0) : random_appearance(random, child);
    if (!crew && !recent_.empty() && random.chance(0.06)) {
      copy_outfit(recent_[static_cast<std::size_t>(random.below(static_cast<int>(recent_.size())))],
                  v.appearance, random);
    }
    if (recent_.size() < kRecentOutfits) {
      recent_.push_back(v.appearance);
    } else {
      recent_[recent_next_] = v.appearance;
      recent_next_ = (recent_next_ + 1) % kRecentOutfits;
    }
    v.speed = speed;
    v.phase0 = random.uniform(0, 2 * std::numbers::pi);
    const double lateral = lane0 - width / 2 + i * kMemberSpacing;
    const double delay = i * random.uniform(0.15, 0.5) + random.uniform(0, 0.2);
    plan_visit(v, *route, stops, spread, lateral, arrival + delay, random.uniform());
    visits_.push_back(std::move(v));
  }
}

void Crowd::plan_visit(Visit& v, const Route& route, const std::vector<double>& stops, double spread,
                       double lateral, double start_s, double pickup_draw) {
  const std::vector<Waypoint>& points = route.points;
  auto offset_at = [&](std::size_t i) {
    // The lane scales with the waypoint's width, so a group squeezes through a door.
    const double half = points[i].lane_m / 2;
    return std::clamp(lateral * points[i].lane_m / kReferenceLane, -half, half);
  };
  v.appearance.stride_m = v.appearance.height_m * 0.8 * std::sqrt(std::max(1.0, v.speed / 1.3));
  v.suitcase_from_s = v.appearance.bag == BagKind::kSuitcase ? -kInfinity : kInfinity;

  double t = start_s;
  double walked = 0;
  Vec2 at = points[0].at + normal_at(points, 0) * offset_at(0);
  Vec2 heading = (points.size() > 1 ? points[1].at - points[0].at : Vec2{1, 0}).normalized();
  auto walk_to = [&](Vec2 to) {
    const double length = (to - at).length();
    if (length < 1e-6) return;
    Leg leg;
    leg.t0 = t;
    leg.t1 = t + length / v.speed;
    leg.p0 = at;
    leg.p1 = to;
    leg.heading = (to - at).normalized();
    leg.distance0 = walked;
    v.legs.push_back(leg);
    heading = leg.heading;
    t = leg.t1;
    walked += length;
    at = to;
  };
  for (std::size_t i = 1; i < points.size(); ++i) {
    const Waypoint& w = points[i];
    const Vec2 normal = normal_at(points, i);
    Vec2 target = w.at + normal * offset_at(i);
    const double stop_s = stops[i];
    if (stop_s > 0 && w.stop.spread_to) {
      // Along a belt members of a group stand side by side.
      const Vec2 along = *w.stop.spread_to - w.at;
      target = w.at + along * spread + along.normalized() * lateral;
    }
    walk_to(target);
    if (stop_s > 0) {
      Leg leg;
      leg.t0 = t;
      leg.t1 = t + stop_s;
      leg.p0 = leg.p1 = at;
      const double face =
          w.stop.face_deg.value_or(std::atan2(heading.y, heading.x) * 180.0 / std::numbers::pi);
      leg.heading = {std::cos(face * std::numbers::pi / 180.0), std::sin(face * std::numbers::pi / 180.0)};
      leg.distance0 = walked;
      leg.walking = false;
      v.legs.push_back(leg);
      t = leg.t1;
      if (v.appearance.bag == BagKind::kNone && pickup_draw < w.stop.pickup_share) {
        v.suitcase_from_s = t;
        Random r(mix64(static_cast<std::uint64_t>(v.identity), 0x5C17CA5Eull));
        v.appearance.bag_colour = random_suitcase_colour(r);
      }
    }
  }
  v.enter_s = start_s;
  v.leave_s = t;
}

Pose Crowd::pose_of(Visit& v, double t) const {
  if (v.cursor >= v.legs.size() || t < v.legs[v.cursor].t0) v.cursor = 0;
  while (v.cursor + 1 < v.legs.size() && t > v.legs[v.cursor].t1) ++v.cursor;
  const Leg& leg = v.legs[v.cursor];
  Pose pose;
  const double span = leg.t1 - leg.t0;
  const double f = span > 0 ? std::clamp((t - leg.t0) / span, 0.0, 1.0) : 1.0;
  pose.position = leg.p0 + (leg.p1 - leg.p0) * f;
  pose.heading = leg.heading;
  const double walked = leg.distance0 + (leg.walking ? (leg.p1 - leg.p0).length() * f : 0.0);
  pose.gait_phase = v.phase0 + 2 * std::numbers::pi * walked / v.appearance.stride_m;
  pose.walking = leg.walking ? std::min(1.6, v.speed / 1.3) : 0.0;
  pose.speed = leg.walking ? v.speed : 0.0;
  pose.suitcase = t >= v.suitcase_from_s;
  return pose;
}

}  // namespace oi::sim_cctv
