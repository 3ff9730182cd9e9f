// The CPU reference of cctv.detect's background model and clean-up (background_model.hpp).
// Every arithmetic step below has its twin in shaders/cctv/background_model.comp, in the same
// order and in float: change one, change the other (the GPU test compares them bit for bit).
#include "background_model.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <utility>

namespace oi::cctv {
namespace {

// Means below this are set to 0: a mean that decays towards a black pixel would otherwise
// become subnormal (which lavapipe flushes to zero and the CPU does not) or negative.
constexpr float kFlushMean = 1e-6f;

// One alpha and what the update derives from it, computed once per frame on the host and
// handed to the shader as is (so both sides use the same bits).
struct Rate {
  float alpha, one_minus_alpha, prune;
};

Rate rate_of(float alpha, float complexity_reduction) {
  return {alpha, 1.0f - alpha, alpha * complexity_reduction};
}

// The state of one pixel's mixture while it is updated.
struct Mixture {
  float w[kMaxMixtures], v[kMaxMixtures], m[kMaxMixtures][3];
  void swap(int a, int b) {
    std::swap(w[a], w[b]);
    std::swap(v[a], v[b]);
    for (int c = 0; c < 3; ++c) std::swap(m[a][c], m[b][c]);
  }
};

// Everything one frame's update needs.
struct Frame {
  const ForegroundParams& params;
  const cv::Mat& rgba;
  const cv::Mat& persons;  // empty: none
  cv::Mat& raw;
  std::uint32_t* state;
  Rate background, person;
  bool reset;
};

// The update of rows [first, last) with K components (a template so that the loops over the
// components unroll and the mixture stays in registers).
template <int K>
void update_rows(const Frame& frame, cv::Size size, int first, int last) {
  const ForegroundParams& params = frame.params;
  const ModelLayout layout{K};
  const float tb = params.variance_threshold;
  const float tg = params.variance_threshold * params.match_ratio;
  const float big_tb = params.background_ratio;
  const float tau = params.shadow_threshold;
  std::uint32_t* state = frame.state;

  for (int y = first; y < last; ++y) {
    std::uint8_t* out = frame.raw.ptr<std::uint8_t>(y);
    const std::uint8_t* in_person = frame.persons.empty() ? nullptr : frame.persons.ptr<std::uint8_t>(y);
    const std::uint8_t* pixel = frame.rgba.ptr<std::uint8_t>(y);
    for (int x = 0; x < size.width; ++x) {
      const std::size_t i = static_cast<std::size_t>(y) * static_cast<std::size_t>(size.width) + x;
      const float px[3] = {static_cast<float>(pixel[4 * x]), static_cast<float>(pixel[4 * x + 1]),
                           static_cast<float>(pixel[4 * x + 2])};

      // The components in use (component 0 says how many); the others weigh 0.
      Mixture g{};  // a reset model: no component
      int used = 0;
      if (!frame.reset) {
        used = static_cast<int>(std::min<std::uint32_t>(state[layout.at(i, 0) + 3], K));
        for (int k = 0; k < used; ++k) {
          const std::uint32_t* c = state + layout.at(i, k);
          g.w[k] = std::bit_cast<float>(c[0]);
          g.v[k] = dequantize(c[1] & 0xFFFFu);
          g.m[k][0] = dequantize(c[1] >> 16);
          g.m[k][1] = dequantize(c[2] & 0xFFFFu);
          g.m[k][2] = dequantize(c[2] >> 16);
        }
      }

      // Classification with the model as it was: background when a component among the first
      // `background_ratio` of the weight is close; the first close enough component matches.
      bool background = false;
      int matched = -1;
      float matched_dist = 0.0f;
      float total = 0.0f;
      for (int k = 0; k < used; ++k) {
        const float d0 = g.m[k][0] - px[0], d1 = g.m[k][1] - px[1], d2 = g.m[k][2] - px[2];
        const float dist = (d0 * d0 + d1 * d1) + d2 * d2;
        if (!background && total < big_tb && dist < tb * g.v[k]) background = true;
        if (dist < tg * g.v[k]) {
          matched = k;
          matched_dist = dist;
          break;
        }
        total = total + g.w[k];
      }
      // Shadow: a scaled-down background colour (ratio in [tau, 1]) within the variance.
      bool shadow = false;
      if (!background && params.shadow) {
        float weight = 0.0f;
        for (int k = 0; k < used; ++k) {
          const float num = (px[0] * g.m[k][0] + px[1] * g.m[k][1]) + px[2] * g.m[k][2];
          const float den = (g.m[k][0] * g.m[k][0] + g.m[k][1] * g.m[k][1]) + g.m[k][2] * g.m[k][2];
          if (den == 0.0f) break;
          if (num <= den && num >= tau * den) {
            const float a = num * reciprocal(den);
            const float e0 = a * g.m[k][0] - px[0], e1 = a * g.m[k][1] - px[1], e2 = a * g.m[k][2] - px[2];
            const float dist = (e0 * e0 + e1 * e1) + e2 * e2;
            if (dist < ((tb * g.v[k]) * a) * a) {
              shadow = true;
              break;
            }
          }
          weight = weight + g.w[k];
          if (weight > big_tb) break;
        }
      }
      out[x] = background ? mask_value::kBackground : shadow ? mask_value::kShadow : mask_value::kForeground;

      // Update: every component decays; the matched one gains alpha and moves towards the
      // pixel; components lighter than the prune limit are dropped. Foreground in a person's
      // box learns slowly: a person who stops is not absorbed at once.
      const bool person = in_person != nullptr && in_person[x] != 0;
      const Rate& r = background || !person ? frame.background : frame.person;
      float weight_sum = 0.0f;
      for (int k = 0; k < used; ++k) {
        float wk = g.w[k] * r.one_minus_alpha;
        wk = wk - r.prune;
        if (k == matched) {
          wk = wk + r.alpha;
          const float rho = r.alpha * reciprocal(wk);
          for (int c = 0; c < 3; ++c) {
            float mc = g.m[k][c] + rho * (px[c] - g.m[k][c]);
            if (mc < kFlushMean) mc = 0.0f;
            g.m[k][c] = mc;
          }
          const float vk = g.v[k] + rho * (matched_dist - g.v[k]);
          g.v[k] = std::min(std::max(vk, params.min_variance), params.max_variance);
        }
        if (wk < r.prune) wk = 0.0f;
        g.w[k] = wk;
        weight_sum = weight_sum + wk;
      }
      // Heaviest first (insertion sort: stable, as the shader's bubble passes).
      for (int k = 1; k < used; ++k)
        for (int j = k; j > 0 && g.w[j - 1] < g.w[j]; --j) g.swap(j - 1, j);
      int kept = 0;
      while (kept < used && g.w[kept] > 0.0f) ++kept;
      used = kept;
      if (weight_sum > 0.0f) {
        const float inv = reciprocal(weight_sum);
        for (int k = 0; k < used; ++k) g.w[k] = g.w[k] * inv;
      }
      // No match: a new component at the pixel (replacing the lightest when all are used).
      if (matched < 0) {
        int slot = 0;
        if (used == 0) {
          g.w[0] = 1.0f;
        } else {
          slot = used < K ? used : K - 1;
          for (int j = 0; j < slot; ++j) g.w[j] = g.w[j] * r.one_minus_alpha;
          g.w[slot] = r.alpha;
        }
        g.v[slot] = params.initial_variance;
        for (int c = 0; c < 3; ++c) g.m[slot][c] = px[c];
        used = std::max(used, slot + 1);
        for (int j = slot; j > 0 && g.w[j - 1] < g.w[j]; --j) g.swap(j - 1, j);
      }

      // The components in use (all of them after a reset, the unused as zeros).
      for (int k = 0; k < (frame.reset ? K : used); ++k) {
        const bool in_use = k < used;
        std::uint32_t* c = state + layout.at(i, k);
        c[0] = in_use ? std::bit_cast<std::uint32_t>(g.w[k]) : 0u;
        c[1] = in_use ? quantize(g.v[k]) | quantize(g.m[k][0]) << 16 : 0u;
        c[2] = in_use ? quantize(g.m[k][1]) | quantize(g.m[k][2]) << 16 : 0u;
        c[3] = k == 0 ? static_cast<std::uint32_t>(used) : 0u;
      }
    }
  }
}

}  // namespace

float reciprocal(float x) {
  float r = std::bit_cast<float>(0x7EF311C3u - std::bit_cast<std::uint32_t>(x));
  r = r * (2.0f - x * r);
  r = r * (2.0f - x * r);
  r = r * (2.0f - x * r);
  return r;
}

LearningStep learning_step(const ForegroundParams& params, std::int64_t frames_seen) {
  LearningStep step;
  step.reset = frames_seen == 0;
  // A running mean until it falls to the learning rate, as MOG2's 1 / min(2 n, history): a
  // young model forgets fast, so the ghosts of persons who stood still while it warmed up fade
  // (on the simulated site, holding the running mean only through the warm-up cost precision).
  const float running_mean = 1.0f / static_cast<float>(frames_seen + 1);
  step.alpha_background = std::max(params.learning_rate, running_mean);
  // Persons learn at the settled rate times the factor even while the running mean is still
  // faster: a person who stops early in a camera's life stays foreground as long as later.
  step.alpha_person = frames_seen >= params.warmup_frames
                          ? params.learning_rate * params.person_learning_factor
                          : step.alpha_background;
  return step;
}

cv::Size processing_size(cv::Size image, int factor) { return {image.width / factor, image.height / factor}; }

void prepare_image(const cv::Mat& rgb, int factor, cv::Mat& rgba) {
  CV_Assert(rgb.type() == CV_8UC3 && factor >= 1);
  const cv::Size size = processing_size(rgb.size(), factor);
  if (factor == 1) {
    cv::cvtColor(rgb, rgba, cv::COLOR_RGB2RGBA);
  } else {
    cv::Mat small;
    cv::resize(rgb(cv::Rect(0, 0, size.width * factor, size.height * factor)), small, size, 0, 0,
               cv::INTER_AREA);
    cv::cvtColor(small, rgba, cv::COLOR_RGB2RGBA);
  }
}

BackgroundModel::BackgroundModel(const ForegroundParams& params, cv::Size size)
    : params_(params),
      size_(size),
      state_(static_cast<std::size_t>(size.area()) * model_words_per_pixel(params.mixtures), 0u) {
  CV_Assert(params.mixtures >= 1 && params.mixtures <= kMaxMixtures && params.factor >= 1);
}

void BackgroundModel::apply(const cv::Mat& rgba, const LearningStep& step, const cv::Mat& persons,
                            cv::Mat& raw) {
  CV_Assert(rgba.type() == CV_8UC4 && rgba.size() == size_);
  CV_Assert(persons.empty() || (persons.type() == CV_8U && persons.size() == size_));
  raw.create(size_, CV_8U);
  const Frame frame{params_,
                    rgba,
                    persons,
                    raw,
                    state_.data(),
                    rate_of(step.alpha_background, params_.complexity_reduction),
                    rate_of(step.alpha_person, params_.complexity_reduction),
                    step.reset};
  // Rows are independent: split them between OpenCV's threads (the results do not depend on
  // the split).
  cv::parallel_for_(cv::Range(0, size_.height), [&](const cv::Range& rows) {
    switch (params_.mixtures) {
      case 1:
        update_rows<1>(frame, size_, rows.start, rows.end);
        break;
      case 2:
        update_rows<2>(frame, size_, rows.start, rows.end);
        break;
      case 3:
        update_rows<3>(frame, size_, rows.start, rows.end);
        break;
      case 4:
        update_rows<4>(frame, size_, rows.start, rows.end);
        break;
      default:
        update_rows<5>(frame, size_, rows.start, rows.end);
        break;
    }
  });
}

void person_mask(const std::vector<cv::Rect2d>& boxes, int factor, cv::Size size, cv::Mat& mask) {
  mask.create(size, CV_8U);
  mask.setTo(0);
  const double f = factor;
  for (const cv::Rect2d& b : boxes) {
    const int x0 = static_cast<int>(std::floor(b.x / f)) - 1, y0 = static_cast<int>(std::floor(b.y / f)) - 1;
    const int x1 = static_cast<int>(std::ceil((b.x + b.width) / f)) + 1;
    const int y1 = static_cast<int>(std::ceil((b.y + b.height) / f)) + 1;
    const cv::Rect r = cv::Rect(x0, y0, x1 - x0, y1 - y0) & cv::Rect(0, 0, size.width, size.height);
    if (!r.empty()) mask(r).setTo(255);
  }
}

void clean_foreground(const cv::Mat& raw, const ForegroundParams& params, cv::Mat& cleaned) {
  cv::Mat a, b;
  cv::compare(raw, cv::Scalar(mask_value::kForeground), a, cv::CMP_EQ);
  if (params.median) {
    cv::medianBlur(a, b, 3);  // replicated border, as the shader's clamped reads
    std::swap(a, b);
  }
  // Default borders of erode / dilate: pixels outside the image are ignored.
  if (params.open_size > 1) {
    cv::morphologyEx(a, b, cv::MORPH_OPEN,
                     cv::getStructuringElement(cv::MORPH_RECT, {params.open_size, params.open_size}));
    std::swap(a, b);
  }
  if (params.close_size > 1) {
    cv::morphologyEx(a, b, cv::MORPH_CLOSE,
                     cv::getStructuringElement(cv::MORPH_RECT, {params.close_size, params.close_size}));
    std::swap(a, b);
  }
  cleaned = a;
}

}  // namespace oi::cctv
