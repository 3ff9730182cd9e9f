#pragma once
/// @file
/// The persons of a site over time. Groups arrive at random (a Poisson process at the
/// density asked for), pick a route, walk it at their own pace side by side, stop where the
/// route lets them (the baggage belt, a phone call in the corridor) and leave at its end.
/// Each person's whole visit is planned when they arrive, so their position at any time is a
/// cheap look-up, and every camera of a site (each its own Crowd with the same site, seed
/// and density) sees the same persons with the same identities at the same times.

#include <cstdint>
#include <vector>

#include "person_model.hpp"
#include "site_layout.hpp"

namespace oi::sim_cctv {

/// One person at one instant, as the renderer needs them.
struct PersonState {
  std::int64_t identity = 0;               ///< global identity, 1 for the first person of the run
  const Appearance* appearance = nullptr;  ///< valid until the next Crowd::persons_at()
  Pose pose;
};

/// The simulated persons of one site.
class Crowd {
 public:
  /// `persons_per_minute`: mean arrivals (all members of all groups); 0 = an empty site.
  Crowd(const SiteLayout& site, std::uint64_t seed, double persons_per_minute);

  /// Everybody in the site at `t` seconds of the site clock (frame i is at i / rate). The
  /// simulation begins before 0 (SiteLayout::longest_visit_s()), so the site is already busy
  /// at frame 0. Times normally increase from call to call; an earlier time replays the
  /// simulation from its start (same result, slower).
  void persons_at(double t, std::vector<PersonState>& out);

  /// Persons generated so far (including those who have left).
  std::int64_t persons_generated() const { return next_identity_ - 1; }

 private:
  struct Leg {
    double t0 = 0, t1 = 0;  // seconds
    Vec2 p0, p1;            // from, to
    Vec2 heading;           // faced direction
    double distance0 = 0;   // walked before this leg, m
    bool walking = true;
  };
  struct Visit {
    std::int64_t identity = 0;
    Appearance appearance;
    std::vector<Leg> legs;
    double enter_s = 0, leave_s = 0;
    double speed = 1.3;
    double suitcase_from_s = 0;  // pulls a suitcase from then on (infinity: never)
    double phase0 = 0;
    std::size_t cursor = 0;  // leg of the last look-up
  };

  void reset();
  void spawn_group();
  void plan_visit(Visit& visit, const Route& route, const std::vector<double>& stops, double spread,
                  double lateral, double start_s, double pickup_share_draw);
  Pose pose_of(Visit& visit, double t) const;

  const SiteLayout& site_;
  std::uint64_t seed_;
  double persons_per_minute_;
  double warmup_s_;
  Random arrivals_{0};
  double next_arrival_s_ = 0;
  std::uint64_t groups_ = 0;
  std::int64_t next_identity_ = 1;
  double last_t_ = 0;
  std::vector<Visit> visits_;
  std::vector<Appearance> recent_;  // ring of recent outfits, for passengers dressed alike
  std::size_t recent_next_ = 0;
};

}  // namespace oi::sim_cctv
