#include "site_camera.hpp"

#include <cmath>

namespace oi::sim_cctv {

SiteCamera::SiteCamera(const SiteCameraConfig& config)
    : config_(config),
      site_(site_layout(config.site)),
      crowd_(site_, config.seed, config.persons_per_minute),
      renderer_(site_, config.camera, config.picture) {}

void SiteCamera::render(std::int64_t index, std::uint8_t* rgb, std::size_t stride,
                        std::vector<cctv::GroundTruthPerson>& truth) {
  crowd_.persons_at(time_of(index), persons_);
  const std::uint64_t noise_key =
      mix64(mix64(config_.seed, config_.camera + 1), static_cast<std::uint64_t>(index));
  renderer_.render(persons_, noise_key, rgb, stride, truth);
}

std::int64_t SiteCamera::capture_time_ns(std::int64_t index) const {
  return kSiteEpochNs + std::llround(static_cast<double>(index) * 1e9 / config_.frame_rate_hz);
}

}  // namespace oi::sim_cctv
