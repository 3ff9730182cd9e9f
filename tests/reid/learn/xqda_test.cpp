// XQDA (xqda.hpp): the row-product kernel against double loops; the fitted projection's
// Euclidean distance against XQDA's distance computed the textbook way (pairs enumerated,
// Σ_I⁻¹ Σ_E's eigenvectors from a non-symmetric solver, M = (WᵀΣ_IW)⁻¹ - (WᵀΣ_EW)⁻¹); a
// synthetic problem where identities differ only along one axis buried under larger
// nuisance variance (XQDA finds it: rank-1 near 1 where Euclidean is near chance); clipping
// and errors.
#include "xqda.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>
#include <random>

#include "oi/cctv/reid_metrics.hpp"
#include "oi/error.hpp"

namespace {

using oi::reid::XqdaFit;
using oi::reid::XqdaOptions;

cv::Mat random_matrix(int rows, int cols, std::uint32_t seed) {
  cv::Mat m(rows, cols, CV_32F);
  cv::RNG rng(seed);
  rng.fill(m, cv::RNG::UNIFORM, -1.0, 1.0);
  return m;
}

TEST(ReidLearnXqda, RowProductsMatchDoubleLoops) {
  // Sizes that are not multiples of the 4 x 3 blocks, the 8-wide vectors or the 1,024 chunk.
  const cv::Mat a = random_matrix(13, 1030, 1), b = random_matrix(7, 1030, 2);
  const cv::Mat c = oi::reid::row_products(a, b);
  ASSERT_EQ(c.rows, 13);
  ASSERT_EQ(c.cols, 7);
  ASSERT_EQ(c.type(), CV_64F);
  for (int i = 0; i < 13; ++i) {
    for (int j = 0; j < 7; ++j) {
      double expected = 0.0;
      for (int k = 0; k < 1030; ++k) expected += static_cast<double>(a.at<float>(i, k)) * b.at<float>(j, k);
      EXPECT_NEAR(c.at<double>(i, j), expected, 1e-4) << i << "," << j;
    }
  }
  const cv::Mat big = random_matrix(70, 2100, 3);
  const cv::Mat g = oi::reid::row_products(big, big, true);
  for (int i = 0; i < 70; i += 3) {
    for (int j = 0; j < 70; j += 5) {
      double expected = 0.0;
      for (int k = 0; k < 2100; ++k)
        expected += static_cast<double>(big.at<float>(i, k)) * big.at<float>(j, k);
      EXPECT_NEAR(g.at<double>(i, j), expected, 1e-4) << i << "," << j;
    }
  }
  EXPECT_THROW(oi::reid::row_products(a, b, true), oi::Error);
}

// Samples: `identities` x `cameras` x `per_cell`, d values each.
struct Problem {
  cv::Mat x;
  std::vector<std::int64_t> labels, cameras;
};

Problem random_problem(int identities, int cameras, int per_cell, int d, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Problem p;
  p.x.create(identities * cameras * per_cell, d, CV_32F);
  std::vector<std::vector<float>> centre(static_cast<std::size_t>(identities), std::vector<float>(d));
  for (auto& c : centre)
    for (int k = 0; k < d; ++k) c[static_cast<std::size_t>(k)] = normal(rng) * (k < 4 ? 2.0f : 0.5f);
  int row = 0;
  for (int id = 0; id < identities; ++id) {
    for (int cam = 0; cam < cameras; ++cam) {
      for (int s = 0; s < per_cell; ++s, ++row) {
        for (int k = 0; k < d; ++k)
          p.x.at<float>(row, k) = centre[static_cast<std::size_t>(id)][static_cast<std::size_t>(k)] +
                                  normal(rng) * (0.3f + 0.1f * (k % 5)) +
                                  (cam == 1 && k % 3 == 0 ? 0.7f : 0.0f);
        p.labels.push_back(id);
        p.cameras.push_back(cam);
      }
    }
  }
  return p;
}

TEST(ReidLearnXqda, DistanceEqualsTextbookXqda) {
  const int d = 12;
  const Problem p = random_problem(15, 2, 3, d, 7);
  XqdaOptions options;
  options.dims = 4;
  const XqdaFit fit = oi::reid::fit_xqda(p.x.clone(), p.labels, p.cameras, options);
  ASSERT_EQ(fit.projection.cols, 4);
  ASSERT_EQ(fit.pca_dims, d);  // d < n: PCA keeps the whole space
  ASSERT_GE(fit.eigenvalues_above_one, 4);

  // Σ_I (pairs of one identity from different cameras) and Σ_E (pairs of different
  // identities), pair by pair, in double.
  const int n = p.x.rows;
  cv::Mat xd;
  p.x.convertTo(xd, CV_64F);
  cv::Mat sigma_i = cv::Mat::zeros(d, d, CV_64F), sigma_e = cv::Mat::zeros(d, d, CV_64F);
  int intra = 0, extra = 0;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      if (i == j) continue;
      const cv::Mat diff = xd.row(i) - xd.row(j);
      if (p.labels[i] == p.labels[j]) {
        if (p.cameras[i] == p.cameras[j]) continue;
        sigma_i += diff.t() * diff;
        ++intra;
      } else {
        sigma_e += diff.t() * diff;
        ++extra;
      }
    }
  }
  EXPECT_EQ(fit.intra_pairs, intra);
  EXPECT_EQ(fit.extra_pairs, extra);
  sigma_i = sigma_i / intra + 0.001 * cv::Mat::eye(d, d, CV_64F);
  sigma_e /= extra;
  cv::Mat values, vectors;
  cv::eigenNonSymmetric(sigma_i.inv() * sigma_e, values, vectors);  // rows, descending
  cv::Mat w(d, 4, CV_64F);
  for (int k = 0; k < 4; ++k) {
    cv::Mat(vectors.row(k).t()).copyTo(w.col(k));
    EXPECT_NEAR(values.at<double>(k), fit.eigenvalues[static_cast<std::size_t>(k)],
                1e-5 * values.at<double>(k));
  }
  const cv::Mat m = (w.t() * sigma_i * w).inv() - (w.t() * sigma_e * w).inv();
  const cv::Mat metric = w * m * w.t();
  cv::Mat p64;
  fit.projection.convertTo(p64, CV_64F);
  for (int i = 0; i < n; i += 7) {
    for (int j = 1; j < n; j += 5) {
      const cv::Mat diff = (xd.row(i) - xd.row(j)).t();
      const double textbook = cv::Mat(diff.t() * metric * diff).at<double>(0);
      const cv::Mat e = p64.t() * diff;
      const double ours = e.dot(e);
      EXPECT_NEAR(ours, textbook, 1e-4 * std::max(1.0, textbook)) << i << "," << j;
    }
  }
  // A PCA basis from 30 or 60 of the 90 samples (products with the basis, or taken from the
  // whole Gram matrix) still spans the 12 dimensions: the same metric.
  for (const int samples : {30, 60}) {
    options.pca_samples = samples;
    const XqdaFit sub = oi::reid::fit_xqda(p.x.clone(), p.labels, p.cameras, options);
    EXPECT_EQ(sub.pca_samples, samples);
    EXPECT_EQ(sub.pca_dims, d);
    cv::Mat sub64;
    sub.projection.convertTo(sub64, CV_64F);
    for (int i = 0; i < n; i += 11) {
      const cv::Mat diff = (xd.row(i) - xd.row((i + 13) % n)).t();
      const cv::Mat a = p64.t() * diff, b = sub64.t() * diff;
      EXPECT_NEAR(a.dot(a), b.dot(b), 1e-4 * std::max(1.0, a.dot(a))) << samples << ": " << i;
    }
  }
}

TEST(ReidLearnXqda, FindsTheOneAxisThatSeparatesIdentities) {
  // 60 identities, 2 cameras, 2 samples per camera. Identities differ only along axis 0
  // (spacing 0.1, noise 0.01); 29 nuisance axes have standard deviation 3 and a camera
  // offset. Euclidean distance sees the nuisance; XQDA must find axis 0.
  const int identities = 60, d = 30;
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  cv::Mat x(identities * 4, d, CV_32F);
  std::vector<std::int64_t> labels, cameras;
  std::vector<oi::cctv::ReidItem> items;
  int row = 0;
  for (int id = 0; id < identities; ++id) {
    for (int cam = 0; cam < 2; ++cam) {
      for (int s = 0; s < 2; ++s, ++row) {
        x.at<float>(row, 0) = 0.1f * static_cast<float>(id) + 0.01f * normal(rng);
        for (int k = 1; k < d; ++k) x.at<float>(row, k) = 3.0f * normal(rng) + (cam == 1 ? 2.0f : 0.0f);
        labels.push_back(id);
        cameras.push_back(cam);
        items.push_back({id, cam});
      }
    }
  }
  // Queries: the first sample of each identity in camera 0; gallery: the rest.
  std::vector<int> query_rows, gallery_rows;
  for (int r = 0; r < x.rows; ++r) (cameras[r] == 0 && r % 2 == 0 ? query_rows : gallery_rows).push_back(r);
  auto rank1 = [&](const cv::Mat& embedded) {
    std::vector<float> q, g;
    std::vector<oi::cctv::ReidItem> qi, gi;
    for (int r : query_rows) {
      q.insert(q.end(), embedded.ptr<float>(r), embedded.ptr<float>(r) + embedded.cols);
      qi.push_back(items[static_cast<std::size_t>(r)]);
    }
    for (int r : gallery_rows) {
      g.insert(g.end(), embedded.ptr<float>(r), embedded.ptr<float>(r) + embedded.cols);
      gi.push_back(items[static_cast<std::size_t>(r)]);
    }
    return oi::cctv::evaluate_market1501(
               oi::cctv::euclidean_distances(q, g, static_cast<std::size_t>(embedded.cols)), qi, gi)
        .rank(1);
  };
  const double euclidean = rank1(x);
  const XqdaFit fit = oi::reid::fit_xqda(x.clone(), labels, cameras);
  cv::Mat centred = x.clone();
  for (int r = 0; r < centred.rows; ++r)
    for (int k = 0; k < d; ++k) centred.at<float>(r, k) -= fit.mean[static_cast<std::size_t>(k)];
  const cv::Mat embedded = centred * fit.projection;
  const double xqda = rank1(embedded);
  EXPECT_LT(euclidean, 0.2);
  EXPECT_GE(xqda, 0.95);
  // The strongest direction is axis 0.
  double along_0 = std::abs(fit.projection.at<float>(0, 0)), elsewhere = 0.0;
  for (int k = 1; k < d; ++k)
    elsewhere = std::max(elsewhere, std::abs(static_cast<double>(fit.projection.at<float>(k, 0))));
  EXPECT_GT(along_0, 20.0 * elsewhere);
  EXPECT_GT(fit.eigenvalues.front(), 100.0);
}

TEST(ReidLearnXqda, ComponentsBelowOneAreClippedWhenKept) {
  const Problem p = random_problem(15, 2, 3, 12, 5);
  XqdaOptions options;
  options.dims = 12;
  options.keep_dims_below_one = true;
  const XqdaFit fit = oi::reid::fit_xqda(p.x.clone(), p.labels, p.cameras, options);
  ASSERT_EQ(fit.projection.cols, 12);
  ASSERT_LT(fit.eigenvalues_above_one, 12);
  EXPECT_EQ(fit.clipped, 12 - fit.eigenvalues_above_one);
  for (int c = fit.eigenvalues_above_one; c < 12; ++c) EXPECT_EQ(cv::norm(fit.projection.col(c)), 0.0) << c;
  for (int c = 0; c < fit.eigenvalues_above_one; ++c) EXPECT_GT(cv::norm(fit.projection.col(c)), 0.0) << c;
  options.keep_dims_below_one = false;
  const XqdaFit only_above = oi::reid::fit_xqda(p.x.clone(), p.labels, p.cameras, options);
  EXPECT_EQ(only_above.projection.cols, only_above.eigenvalues_above_one);
  EXPECT_EQ(only_above.clipped, 0);
}

TEST(ReidLearnXqda, RefusesUnusableInput) {
  const Problem p = random_problem(5, 2, 2, 6, 3);
  std::vector<std::int64_t> short_labels(p.labels.begin(), p.labels.end() - 1);
  EXPECT_THROW(oi::reid::fit_xqda(p.x.clone(), short_labels, p.cameras), oi::Error);
  // Every identity seen by one camera only (camera = identity): no cross-camera pair of one
  // identity.
  try {
    oi::reid::fit_xqda(p.x.clone(), p.labels, p.labels);
    FAIL() << "fitted without cross-camera pairs";
  } catch (const oi::Error& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("from different cameras"));
  }
  // The same identity everywhere: no extra-personal pair.
  EXPECT_THROW(oi::reid::fit_xqda(p.x.clone(), std::vector<std::int64_t>(p.labels.size(), 1), p.cameras),
               oi::Error);
}

}  // namespace
