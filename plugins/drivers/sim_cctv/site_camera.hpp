#pragma once
/// @file
/// One camera of a simulated site on the site's clock: the site's persons (a Crowd) seen by
/// one CameraRenderer. Every SiteCamera with the same site, seed and density simulates the
/// same persons, and frame i of every camera is taken at the same instant, so identities
/// and transit times agree across the cameras of a site.

#include <cstdint>
#include <string>
#include <vector>

#include "crowd.hpp"
#include "oi/cctv/contract.hpp"
#include "renderer.hpp"
#include "site_layout.hpp"

namespace oi::sim_cctv {

/// Capture time of frame 0 of every site: 2024-06-01 08:00:00 UTC, in ns since the Unix epoch.
inline constexpr std::int64_t kSiteEpochNs = 1717228800LL * 1000000000LL;

/// What makes one camera of one site.
struct SiteCameraConfig {
  std::string site = "arrival_hall";
  std::size_t camera = 0;  ///< index into the site's cameras
  std::uint64_t seed = 1;
  double persons_per_minute = 14;  ///< arrivals at the site; the same on every camera of a site
  double frame_rate_hz = 10;       ///< the site clock
  PictureSettings picture;
};

/// A camera of a site that renders frames by index.
class SiteCamera {
 public:
  /// Builds the site's crowd and ray-casts the camera's background; throws oi::Error for an
  /// unknown site or camera.
  explicit SiteCamera(const SiteCameraConfig& config);

  /// Renders frame `index` (any order; increasing is fastest) into `rgb` and fills `truth`.
  void render(std::int64_t index, std::uint8_t* rgb, std::size_t stride,
              std::vector<cctv::GroundTruthPerson>& truth);

  /// Seconds of the site clock at frame `index`.
  double time_of(std::int64_t index) const { return static_cast<double>(index) / config_.frame_rate_hz; }
  /// Capture time of frame `index`: kSiteEpochNs + index / frame_rate_hz.
  std::int64_t capture_time_ns(std::int64_t index) const;

  const SiteLayout& site() const { return site_; }
  const CameraLayout& camera() const { return site_.cameras[config_.camera]; }
  const SiteCameraConfig& config() const { return config_; }
  CameraRenderer& renderer() { return renderer_; }
  const CameraRenderer& renderer() const { return renderer_; }
  /// The persons of the last rendered frame (everybody in the site, not only those in view).
  const std::vector<PersonState>& persons() const { return persons_; }

 private:
  SiteCameraConfig config_;
  const SiteLayout& site_;
  Crowd crowd_;
  CameraRenderer renderer_;
  std::vector<PersonState> persons_;
};

}  // namespace oi::sim_cctv
