#include "synthetic_scene.hpp"

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "oi/frame_cv.hpp"

namespace oi::cctv::testing {

SyntheticScene::SyntheticScene(cv::Size size, std::uint32_t seed, double noise_sigma)
    : background_(size, CV_8UC3), seed_(seed), noise_sigma_(noise_sigma) {
  cv::RNG rng(seed);
  // A floor: a vertical gradient of a light grey-beige, with paving slabs and some fixed texture.
  for (int y = 0; y < size.height; ++y) {
    const double t = static_cast<double>(y) / size.height;
    background_.row(y).setTo(cv::Scalar(150 + 40 * t, 145 + 35 * t, 130 + 30 * t));
  }
  for (int y = 0; y < size.height; y += 24)
    cv::line(background_, {0, y}, {size.width, y}, {120, 118, 110}, 1);
  for (int x = 0; x < size.width; x += 40)
    cv::line(background_, {x, 0}, {x, size.height}, {120, 118, 110}, 1);
  for (int i = 0; i < 12; ++i) {  // static objects: benches, bins, posters
    const cv::Point a(rng.uniform(0, size.width), rng.uniform(0, size.height));
    const cv::Point b = a + cv::Point(rng.uniform(10, size.width / 8), rng.uniform(5, size.height / 10));
    cv::rectangle(background_, a, b,
                  cv::Scalar(rng.uniform(60, 220), rng.uniform(60, 220), rng.uniform(60, 220)), cv::FILLED);
  }
  cv::Mat texture(size, CV_16SC3);
  rng.fill(texture, cv::RNG::NORMAL, 0, 6);
  cv::Mat floor;
  background_.convertTo(floor, CV_16SC3);
  floor += texture;
  floor.convertTo(background_, CV_8UC3);
}

cv::Mat SyntheticScene::render(int index, const std::vector<Figure>& figures,
                               const std::vector<Shade>& shades) const {
  cv::Mat image = background_.clone();
  for (const Shade& s : shades) {
    const cv::Rect r = s.rect & cv::Rect(0, 0, image.cols, image.rows);
    image(r).convertTo(image(r), CV_8UC3, s.factor);
  }
  for (const Figure& f : figures) {
    const double h = f.height, w = f.aspect * h, x = f.centre_x, b = f.bottom;
    const auto pt = [](double px, double py) {
      return cv::Point(static_cast<int>(std::lround(px)), static_cast<int>(std::lround(py)));
    };
    // Legs (two), torso, arms, head.
    const double leg_w = w * 0.36, leg_top = b - 0.47 * h;
    cv::rectangle(image, pt(x - w * 0.42, leg_top), pt(x - w * 0.42 + leg_w, b), f.legs, cv::FILLED);
    cv::rectangle(image, pt(x + w * 0.42 - leg_w, leg_top), pt(x + w * 0.42, b), f.legs, cv::FILLED);
    cv::rectangle(image, pt(x - w * 0.5, b - 0.83 * h), pt(x + w * 0.5, leg_top + 0.03 * h), f.coat,
                  cv::FILLED);
    cv::ellipse(image, pt(x, b - 0.91 * h),
                cv::Size(static_cast<int>(std::lround(w * 0.24)), static_cast<int>(std::lround(h * 0.09))), 0,
                0, 360, f.skin, cv::FILLED);
  }
  cv::Mat noisy;
  image.convertTo(noisy, CV_16SC3);
  cv::Mat noise(image.size(), CV_16SC3);
  cv::RNG rng(seed_ * 7919u + static_cast<std::uint32_t>(index) + 1u);
  rng.fill(noise, cv::RNG::NORMAL, 0, noise_sigma_);
  noisy += noise;
  noisy.convertTo(image, CV_8UC3);
  return image;
}

FramePtr make_frame(const cv::Mat& rgb, const std::string& source, std::uint64_t sequence) {
  FramePtr frame = Frame::create(std::string(kFrameKind));
  Plane& image = frame->add_plane(plane::kImage, PixelFormat::kRGB8, rgb.cols, rgb.rows);
  rgb.copyTo(as_mat(image));
  frame->metadata().source_device = source;
  frame->metadata().sequence = sequence;
  frame->metadata().attributes[attr::kFrameIndex] = static_cast<std::int64_t>(sequence);
  return frame;
}

std::vector<Figure> walkers(cv::Size size, int index, int count, double slope, double intercept) {
  static const cv::Scalar coats[] = {{40, 45, 60}, {150, 30, 30},  {30, 60, 140},
                                     {20, 20, 20}, {200, 190, 60}, {60, 110, 50}};
  std::vector<Figure> figures;
  for (int k = 0; k < count; ++k) {
    Figure f;
    f.bottom = size.height * (0.45 + 0.5 * (k + 0.5) / count);
    f.height = slope * f.bottom + intercept;
    const double span = size.width + f.height;  // enter and leave completely
    const double speed = 2.0 + 0.7 * k;         // pixels a frame
    double pos = std::fmod(40.0 * k + speed * index, 2.0 * span);
    if (pos > span) pos = 2.0 * span - pos;  // walk back
    f.centre_x = pos - f.height * 0.5;
    f.coat = coats[k % 6];
    f.legs = k % 2 ? cv::Scalar(30, 30, 35) : cv::Scalar(70, 60, 50);
    figures.push_back(f);
  }
  return figures;
}

}  // namespace oi::cctv::testing
