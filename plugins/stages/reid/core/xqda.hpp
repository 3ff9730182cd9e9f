#pragma once
/// @file
/// XQDA, Cross-view Quadratic Discriminant Analysis (Liao, Hu, Zhu and Li, "Person
/// re-identification by Local Maximal Occurrence representation and metric learning", CVPR
/// 2015; the authors' XQDA.m), fitted on n descriptors of dimension d >> n:
/// 1. the descriptors are centred and reduced by PCA through the Gram matrix of the samples
///    (of at most `pca_samples` of them; the original code QR-reduces when d > n, and with
///    every sample both keep the samples' span), keeping at most `pca_dims` components;
/// 2. the intra-personal covariance Σ_I (pairs of one identity, by default from different
///    cameras) and the extra-personal covariance Σ_E (pairs of different identities) are
///    computed with the per-group sum formulas, without enumerating pairs, each divided by
///    its number of pairs; Σ_I += lambda I;
/// 3. the generalised eigen-problem Σ_E w = λ Σ_I w is solved (Σ_I-whitening, then a
///    symmetric eigen-problem) and the top `dims` directions with λ > 1 are kept (W);
/// 4. M = (Wᵀ Σ_I W)⁻¹ - (Wᵀ Σ_E W)⁻¹ = diag(1 - 1/λ) in that basis, so M = L Lᵀ with
///    L = diag(sqrt(1 - 1/λ)) (a kept λ <= 1 would give a negative value: it is clipped to 0
///    and counted in `clipped`);
/// 5. everything is folded into one d x r projection P = V W L (V the PCA basis), so that
///    |Pᵀ (x - y)|² is the XQDA distance (x - y)ᵀ V W M Wᵀ Vᵀ (x - y).
/// The distance does not depend on how W's columns are scaled, so this gives XQDA.m's metric
/// for the same subspace.

#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

namespace oi::reid {

/// What the fit may choose. The defaults are oi-train-reid's, chosen on tuning seeds
/// (trained on 1-8, compared on 11-15; docs/reid.md): lambda 0.01 or 0.0001 and 0.003 did
/// worse, 64 or 96 dimensions and 300-900 PCA components about the same.
struct XqdaOptions {
  int dims = 64;          ///< r: most metric dimensions kept (only those with λ > 1)
  double lambda = 0.001;  ///< regulariser added to Σ_I's diagonal (XQDA.m's default)
  int pca_dims = 600;     ///< most PCA components before XQDA; 0 = all (n - 1 at most)
  /// Most samples whose Gram matrix gives the PCA basis (evenly spread over the rows; every
  /// sample is still projected on it and used by XQDA); 0 = all. Bounds the n x n
  /// eigen-decomposition, the fit's slowest step.
  int pca_samples = 1500;
  /// Intra-personal pairs only from different cameras (the cross-view pairs XQDA was made
  /// for) when cameras are given; false takes every pair of one identity.
  bool cross_camera_intra = true;
  /// Keep components with λ <= 1 when fewer than `dims` have λ > 1 (their metric weight is
  /// clipped to 0, so they change nothing but the embedding size).
  bool keep_dims_below_one = false;
};

/// The fitted metric.
struct XqdaFit {
  std::vector<float> mean;          ///< d values: the descriptors' mean
  cv::Mat projection;               ///< CV_32F, d x r: P = V W L
  std::vector<double> eigenvalues;  ///< the r kept λ, descending
  int pca_dims = 0;                 ///< PCA components used
  int pca_samples = 0;              ///< samples whose Gram matrix gave the PCA basis
  double pca_energy = 0.0;          ///< share of the basis samples' centred variance they keep
  std::int64_t intra_pairs = 0;     ///< ordered pairs behind Σ_I
  std::int64_t extra_pairs = 0;     ///< ordered pairs behind Σ_E
  int eigenvalues_above_one = 0;    ///< how many λ exceed 1
  int clipped = 0;                  ///< kept components whose 1 - 1/λ was negative, set to 0
  double seconds_gram = 0.0, seconds_total = 0.0;
};

/// Fits XQDA on `descriptors` (n x d, CV_32F; one row a sample), `labels` (n identities)
/// and `cameras` (n cameras, or empty: then every pair of one identity is intra-personal).
/// `descriptors` is taken by value and centred in place (pass a clone to keep yours).
/// @throws oi::Error when the sizes disagree, fewer than two identities have two samples
/// (two from different cameras with cross_camera_intra), or no pair of different identities
/// exists.
XqdaFit fit_xqda(cv::Mat descriptors, const std::vector<std::int64_t>& labels,
                 const std::vector<std::int64_t>& cameras, const XqdaOptions& options = {});

/// C = A Bᵀ for row-major CV_32F `a` (na x k) and `b` (nb x k): CV_64F na x nb, each value
/// the dot product of two rows (float products summed in blocks of 1,024, then in double).
/// `symmetric` (a and b the same matrix) computes one triangle and mirrors it. Runs on
/// OpenCV's threads; uses AVX2 where the processor has it.
cv::Mat row_products(const cv::Mat& a, const cv::Mat& b, bool symmetric = false);

}  // namespace oi::reid
