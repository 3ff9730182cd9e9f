#pragma once
/// @file
/// One camera's picture of the site. The room, its lights and its static occluders are
/// ray-cast once (2x2 samples per pixel) into a background and a per-pixel occluder depth;
/// each frame copies the background, paints the persons in view back to front (soft floor
/// shadow, body parts ordered by depth, hidden where an occluder is nearer), smears fast
/// movers by their motion during the exposure, measures each person's visible fraction from
/// the id and stamp buffers, and adds sensor noise and compression artefacts. A frame
/// allocates nothing once the first frame has sized the scratch buffers.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "crowd.hpp"
#include "oi/cctv/contract.hpp"
#include "raster.hpp"
#include "sensor.hpp"
#include "site_layout.hpp"

namespace oi::sim_cctv {

class IlluminationMap;

/// What a user sets about a camera's picture.
struct PictureSettings {
  int width = 768;
  int height = 576;
  double exposure_us = 8000;  ///< exposure time: brightness and the length of motion blur
  double gain_db = 0;         ///< amplifier gain: brightness and noise
  double noise = 1.0;         ///< sensor noise factor; 0 = none
  int jpeg_quality = 80;      ///< 100 = no compression artefacts
  bool motion_blur = true;
  bool shadows = true;  ///< soft shadows of persons on the floor

  bool operator==(const PictureSettings&) const = default;
};

/// The exposure at which every camera's `brightness` is calibrated, microseconds.
inline constexpr double kReferenceExposureUs = 8000;

/// A person in the last rendered frame.
struct RenderedPerson {
  std::int64_t identity = 0;
  std::uint16_t id = 0;      ///< value in the id buffer
  Coverage body;             ///< body pixels (count and box, margin included)
  std::int64_t visible = 0;  ///< pixels of the id buffer that show the body
  double depth = 0;          ///< metres from the camera along its axis
};

/// Renders one camera of a site.
class CameraRenderer {
 public:
  /// Ray-casts the background; throws oi::Error when `camera` is not a camera of `site` or
  /// the image size is unusable.
  CameraRenderer(const SiteLayout& site, std::size_t camera, const PictureSettings& settings);
  ~CameraRenderer();
  CameraRenderer(const CameraRenderer&) = delete;
  CameraRenderer& operator=(const CameraRenderer&) = delete;

  /// Changes exposure and gain (a live control); re-exposes the background.
  void set_exposure(double exposure_us, double gain_db);
  /// Changes the noise factor and the compression quality.
  void set_effects(double noise, int jpeg_quality);

  /// Renders `persons` into `rgb` (rgb8, `stride` bytes a row) and lists in `truth` every
  /// person at least partly inside the picture (also when hidden: visible 0). `noise_key`
  /// decides the sensor noise.
  void render(const std::vector<PersonState>& persons, std::uint64_t noise_key, std::uint8_t* rgb,
              std::size_t stride, std::vector<cctv::GroundTruthPerson>& truth);

  /// The id buffer of the last frame: per pixel the RenderedPerson::id it shows, kNoPerson
  /// or kCarriedObject; width * height values.
  const std::vector<std::uint16_t>& ids() const { return ids_; }
  /// The persons painted in the last frame, back to front.
  const std::vector<RenderedPerson>& rendered() const { return rendered_; }
  /// True when pixel (x, y) shows a static occluder.
  bool shows_occluder(int x, int y) const;
  const PinholeCamera& camera() const { return camera_; }
  const CameraLayout& layout() const { return layout_; }
  const PictureSettings& settings() const { return settings_; }

 private:
  struct Hit;
  void trace_background();
  Hit trace(Vec3 origin, Vec3 dir) const;
  void expose_background();
  void paint_person(const PersonState& person, double depth, std::uint16_t id);
  float exposure_gain() const;
  float vignette(double u, double v) const;

  const SiteLayout& site_;
  const CameraLayout& layout_;
  const Room& room_;
  PictureSettings settings_;
  PinholeCamera camera_;
  SensorEffects sensor_;
  std::unique_ptr<IlluminationMap> illumination_;

  std::vector<float> radiance_;           // background before exposure, 3 per pixel
  std::vector<std::uint8_t> background_;  // exposed background, rgb8, packed rows
  std::vector<float> occluder_depth_;     // per pixel; +inf where no occluder
  std::vector<std::int16_t> occluder_first_, occluder_last_;
  std::vector<std::uint16_t> ids_;
  std::vector<std::uint32_t> stamps_;
  std::uint32_t stamp_ = 0;
  int margin_ = 0;

  // Per-frame scratch, kept to avoid allocating.
  struct Candidate {
    std::size_t person;
    double depth;
  };
  std::vector<Candidate> candidates_;
  std::vector<BodyPart> parts_;
  std::vector<std::size_t> order_;
  std::vector<RenderedPerson> rendered_;
  std::vector<std::uint16_t> blur_scratch_;
  Canvas canvas_;
};

}  // namespace oi::sim_cctv
