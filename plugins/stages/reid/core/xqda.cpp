#include "xqda.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <opencv2/core.hpp>
#include <utility>

#include "oi/error.hpp"

namespace oi::reid {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// ---- C = A Bᵀ on row-major float rows ---------------------------------------------------------

typedef float Float8 __attribute__((vector_size(32)));

constexpr int kChunk = 1024;     // values of a row summed in float before going to double
constexpr int kStripeRows = 32;  // rows of A per task: B's rows are reused from cache this often

struct Operands {
  const float* a;
  std::size_t lda;  // floats
  const float* b;
  std::size_t ldb;
  int nb, k;
  double* c;
  std::size_t ldc;  // doubles
  bool symmetric;
};

#define OI_LOAD8(p)            \
  ({                           \
    Float8 v_;                 \
    std::memcpy(&v_, (p), 32); \
    v_;                        \
  })

// Rows [i0, i1) of C. With `symmetric`, only blocks that reach the upper triangle.
__attribute__((always_inline)) inline void stripe_body(const Operands& o, int i0, int i1) {
  for (int k0 = 0; k0 < o.k; k0 += kChunk) {
    const int kl = std::min(kChunk, o.k - k0);
    const int kv = kl & ~7;
    for (int j = o.symmetric ? i0 : 0; j < o.nb; j += 3) {
      const int nj = std::min(3, o.nb - j);
      for (int i = i0; i < i1; i += 4) {
        if (o.symmetric && i > j + 2) break;
        const int ni = std::min(4, i1 - i);
        const float* a0 = o.a + static_cast<std::size_t>(i) * o.lda + k0;
        const float* b0 = o.b + static_cast<std::size_t>(j) * o.ldb + k0;
        if (ni == 4 && nj == 3) {
          const float* a1 = a0 + o.lda;
          const float* a2 = a1 + o.lda;
          const float* a3 = a2 + o.lda;
          const float* b1 = b0 + o.ldb;
          const float* b2 = b1 + o.ldb;
          Float8 s00 = {}, s01 = {}, s02 = {}, s10 = {}, s11 = {}, s12 = {};
          Float8 s20 = {}, s21 = {}, s22 = {}, s30 = {}, s31 = {}, s32 = {};
          for (int t = 0; t < kv; t += 8) {
            const Float8 y0 = OI_LOAD8(b0 + t), y1 = OI_LOAD8(b1 + t), y2 = OI_LOAD8(b2 + t);
            Float8 x = OI_LOAD8(a0 + t);
            s00 += x * y0, s01 += x * y1, s02 += x * y2;
            x = OI_LOAD8(a1 + t);
            s10 += x * y0, s11 += x * y1, s12 += x * y2;
            x = OI_LOAD8(a2 + t);
            s20 += x * y0, s21 += x * y1, s22 += x * y2;
            x = OI_LOAD8(a3 + t);
            s30 += x * y0, s31 += x * y1, s32 += x * y2;
          }
          const Float8* sums[4][3] = {
              {&s00, &s01, &s02}, {&s10, &s11, &s12}, {&s20, &s21, &s22}, {&s30, &s31, &s32}};
          const float* rows_a[4] = {a0, a1, a2, a3};
          const float* rows_b[3] = {b0, b1, b2};
          for (int ii = 0; ii < 4; ++ii) {
            for (int jj = 0; jj < 3; ++jj) {
              double total = 0.0;
              for (int l = 0; l < 8; ++l) total += (*sums[ii][jj])[l];
              for (int t = kv; t < kl; ++t) total += static_cast<double>(rows_a[ii][t]) * rows_b[jj][t];
              o.c[static_cast<std::size_t>(i + ii) * o.ldc + static_cast<std::size_t>(j + jj)] += total;
            }
          }
        } else {
          for (int ii = 0; ii < ni; ++ii) {
            for (int jj = 0; jj < nj; ++jj) {
              const float* x = a0 + static_cast<std::size_t>(ii) * o.lda;
              const float* y = b0 + static_cast<std::size_t>(jj) * o.ldb;
              Float8 s = {};
              for (int t = 0; t < kv; t += 8) s += OI_LOAD8(x + t) * OI_LOAD8(y + t);
              double total = 0.0;
              for (int l = 0; l < 8; ++l) total += s[l];
              for (int t = kv; t < kl; ++t) total += static_cast<double>(x[t]) * y[t];
              o.c[static_cast<std::size_t>(i + ii) * o.ldc + static_cast<std::size_t>(j + jj)] += total;
            }
          }
        }
      }
    }
  }
}

#undef OI_LOAD8

__attribute__((target("avx2"))) void stripe_avx2(const Operands& o, int i0, int i1) {
  stripe_body(o, i0, i1);
}
void stripe_generic(const Operands& o, int i0, int i1) { stripe_body(o, i0, i1); }

// ---- XQDA -------------------------------------------------------------------------------------

// A Bᵀ for double matrices through the float kernel (values rounded to float; sums in double).
cv::Mat products(const cv::Mat& a, const cv::Mat& b_rows) {
  cv::Mat af, bf;
  a.convertTo(af, CV_32F);
  b_rows.convertTo(bf, CV_32F);
  return row_products(af, bf, false);
}

// Aᵀ A for a double matrix (the rows of Aᵀ are A's columns).
cv::Mat transposed_square(const cv::Mat& a) {
  cv::Mat at;
  cv::Mat(a.t()).convertTo(at, CV_32F);
  return row_products(at, at, true);
}

// Σ over ordered pairs (i, j) of one group of (z_i - z_j)(z_i - z_j)ᵀ
// = 2 (Σ_i n_g(i) z_i z_iᵀ - Σ_g s_g s_gᵀ), s_g the sum of group g; and the number of pairs.
std::pair<cv::Mat, std::int64_t> pair_scatter(const cv::Mat& z, const std::vector<int>& group, int groups) {
  const int n = z.rows, m = z.cols;
  std::vector<int> size(static_cast<std::size_t>(groups), 0);
  for (int g : group) ++size[static_cast<std::size_t>(g)];
  cv::Mat weighted(n, m, CV_64F);
  cv::Mat sums = cv::Mat::zeros(groups, m, CV_64F);
  for (int i = 0; i < n; ++i) {
    const int g = group[static_cast<std::size_t>(i)];
    const double w = std::sqrt(static_cast<double>(size[static_cast<std::size_t>(g)]));
    const double* zi = z.ptr<double>(i);
    double* wi = weighted.ptr<double>(i);
    double* sg = sums.ptr<double>(g);
    for (int c = 0; c < m; ++c) {
      wi[c] = w * zi[c];
      sg[c] += zi[c];
    }
  }
  const cv::Mat first = transposed_square(weighted), second = transposed_square(sums);
  std::int64_t pairs = 0;
  for (int s : size) pairs += static_cast<std::int64_t>(s) * (s - 1);
  return {2.0 * (first - second), pairs};
}

// Dense ids 0..k-1 for arbitrary keys.
template <typename Key>
std::vector<int> dense_ids(const std::vector<Key>& keys, int& count) {
  std::map<Key, int> ids;
  std::vector<int> out;
  out.reserve(keys.size());
  for (const Key& key : keys) out.push_back(ids.emplace(key, static_cast<int>(ids.size())).first->second);
  count = static_cast<int>(ids.size());
  return out;
}

// Eigen-decomposition of a symmetric matrix: values descending, vectors as rows.
void symmetric_eigen(const cv::Mat& a, cv::Mat& values, cv::Mat& vectors) {
  cv::Mat sym = 0.5 * (a + a.t());
  if (!cv::eigen(sym, values, vectors)) throw oi::Error("XQDA: an eigen-decomposition did not converge");
}

}  // namespace

cv::Mat row_products(const cv::Mat& a, const cv::Mat& b, bool symmetric) {
  if (a.type() != CV_32F || b.type() != CV_32F || a.dims != 2 || b.dims != 2 || a.cols != b.cols) {
    throw oi::Error("row_products: both inputs must be 2-D CV_32F matrices with as many columns");
  }
  if (symmetric && (a.data != b.data || a.rows != b.rows || a.step != b.step)) {
    throw oi::Error("row_products: `symmetric` needs the same matrix twice");
  }
  cv::Mat c = cv::Mat::zeros(a.rows, b.rows, CV_64F);
  if (a.rows == 0 || b.rows == 0) return c;
  const Operands o{a.ptr<float>(), a.step1(),       b.ptr<float>(), b.step1(), b.rows,
                   a.cols,         c.ptr<double>(), c.step1(),      symmetric};
  const bool avx2 = __builtin_cpu_supports("avx2");
  const int stripes = (a.rows + kStripeRows - 1) / kStripeRows;
  cv::parallel_for_(cv::Range(0, stripes), [&](const cv::Range& range) {
    for (int s = range.start; s < range.end; ++s) {
      const int i0 = s * kStripeRows, i1 = std::min(a.rows, i0 + kStripeRows);
      if (avx2) {
        stripe_avx2(o, i0, i1);
      } else {
        stripe_generic(o, i0, i1);
      }
    }
  });
  if (symmetric) {
    for (int i = 1; i < c.rows; ++i) {
      double* row = c.ptr<double>(i);
      for (int j = 0; j < i; ++j) row[j] = c.at<double>(j, i);
    }
  }
  return c;
}

XqdaFit fit_xqda(cv::Mat x, const std::vector<std::int64_t>& labels, const std::vector<std::int64_t>& cameras,
                 const XqdaOptions& options) {
  const auto start = Clock::now();
  if (x.type() != CV_32F || x.dims != 2 || x.rows < 2) {
    throw oi::Error("XQDA: the descriptors must be a CV_32F matrix with one sample a row, at least two rows");
  }
  const int n = x.rows, d = x.cols;
  if (labels.size() != static_cast<std::size_t>(n)) {
    throw oi::Error("XQDA: " + std::to_string(labels.size()) + " labels for " + std::to_string(n) +
                    " samples");
  }
  if (!cameras.empty() && cameras.size() != static_cast<std::size_t>(n)) {
    throw oi::Error("XQDA: " + std::to_string(cameras.size()) + " cameras for " + std::to_string(n) +
                    " samples");
  }
  if (options.dims < 1 || options.lambda < 0.0 || options.pca_dims < 0) {
    throw oi::Error("XQDA: dims must be >= 1, lambda >= 0 and pca_dims >= 0");
  }
  if (!x.isContinuous()) x = x.clone();
  XqdaFit fit;

  // Centre.
  std::vector<double> mean(static_cast<std::size_t>(d), 0.0);
  for (int i = 0; i < n; ++i) {
    const float* row = x.ptr<float>(i);
    for (int k = 0; k < d; ++k) mean[static_cast<std::size_t>(k)] += row[k];
  }
  fit.mean.resize(static_cast<std::size_t>(d));
  for (int k = 0; k < d; ++k) {
    mean[static_cast<std::size_t>(k)] /= n;
    fit.mean[static_cast<std::size_t>(k)] = static_cast<float>(mean[static_cast<std::size_t>(k)]);
  }
  for (int i = 0; i < n; ++i) {
    float* row = x.ptr<float>(i);
    for (int k = 0; k < d; ++k) row[k] -= fit.mean[static_cast<std::size_t>(k)];
  }

  // PCA through the Gram matrix of (up to pca_samples) evenly spread samples S:
  // G_S = X_S X_Sᵀ = U Λ Uᵀ, basis V = X_Sᵀ U Λ^(-1/2) (d x m, orthonormal), coordinates of
  // every sample Z = X V = (X X_Sᵀ) U Λ^(-1/2) (n x m). With every sample in S this is the
  // plain Gram-matrix PCA (XQDA.m's QR keeps the same span).
  const int s = options.pca_samples > 0 ? std::min(n, options.pca_samples) : n;
  std::vector<int> basis_rows(static_cast<std::size_t>(s));
  for (int j = 0; j < s; ++j)
    basis_rows[static_cast<std::size_t>(j)] =
        static_cast<int>((static_cast<std::int64_t>(j) * n + n / 2) / s);
  cv::Mat basis_x(s, d, CV_32F);
  for (int j = 0; j < s; ++j) x.row(basis_rows[static_cast<std::size_t>(j)]).copyTo(basis_x.row(j));
  const auto gram_start = Clock::now();
  // X X_Sᵀ (n x s): from the whole symmetric Gram matrix when that is cheaper (n² / 2 < n s).
  cv::Mat cross;
  if (2 * s > n) {
    const cv::Mat gram_all = row_products(x, x, true);
    cross.create(n, s, CV_64F);
    for (int j = 0; j < s; ++j) gram_all.col(basis_rows[static_cast<std::size_t>(j)]).copyTo(cross.col(j));
  } else {
    cross = row_products(x, basis_x);
  }
  fit.seconds_gram = seconds_since(gram_start);
  cv::Mat gram(s, s, CV_64F);
  for (int j = 0; j < s; ++j) cross.row(basis_rows[static_cast<std::size_t>(j)]).copyTo(gram.row(j));
  cv::Mat gram_values, gram_vectors;
  symmetric_eigen(gram, gram_values, gram_vectors);
  const double largest = gram_values.at<double>(0);
  double total = 0.0;
  for (int c = 0; c < s; ++c) total += std::max(0.0, gram_values.at<double>(c));
  // Below this the Gram matrix's rounding dominates (floats summed in blocks).
  const double floor = std::max(largest, 0.0) * 1e-7;
  int m = 0;
  while (m < s - 1 && gram_values.at<double>(m) > floor) ++m;
  if (options.pca_dims > 0) m = std::min(m, options.pca_dims);
  if (m < 1) throw oi::Error("XQDA: the descriptors do not vary (all samples are the same)");
  fit.pca_dims = m;
  fit.pca_samples = s;
  double kept = 0.0;
  for (int c = 0; c < m; ++c) kept += gram_values.at<double>(c);
  fit.pca_energy = total > 0.0 ? kept / total : 0.0;
  // u_scaled = U Λ^(-1/2) (s x m); its transpose's rows for the products.
  cv::Mat u_scaled_t(m, s, CV_64F);
  for (int c = 0; c < m; ++c) {
    const double scale = 1.0 / std::sqrt(gram_values.at<double>(c));
    const double* u = gram_vectors.ptr<double>(c);
    double* out = u_scaled_t.ptr<double>(c);
    for (int j = 0; j < s; ++j) out[j] = u[j] * scale;
  }
  const cv::Mat z = products(cross, u_scaled_t);  // n x m

  // Σ_I and Σ_E from per-group sums (ordered pairs).
  int identity_count = 0, identity_camera_count = 0;
  const std::vector<int> identity = dense_ids(labels, identity_count);
  const bool by_camera = !cameras.empty() && options.cross_camera_intra;
  std::vector<std::pair<std::int64_t, std::int64_t>> label_camera;
  if (by_camera) {
    for (int i = 0; i < n; ++i) label_camera.emplace_back(labels[i], cameras[i]);
  }
  auto [same_identity, same_identity_pairs] = pair_scatter(z, identity, identity_count);
  // A new matrix, not a header on same_identity's data (which Σ_E still needs).
  cv::Mat intra = same_identity.clone();
  std::int64_t intra_pairs = same_identity_pairs;
  if (by_camera) {
    const std::vector<int> cell = dense_ids(label_camera, identity_camera_count);
    auto [same_cell, same_cell_pairs] = pair_scatter(z, cell, identity_camera_count);
    intra -= same_cell;
    intra_pairs -= same_cell_pairs;
  }
  // All ordered pairs: 2 (n Σ z zᵀ - s sᵀ) with s = 0 (centred): 2 n ZᵀZ.
  const cv::Mat all = 2.0 * n * transposed_square(z);
  const cv::Mat extra = all - same_identity;
  const std::int64_t extra_pairs = static_cast<std::int64_t>(n) * (n - 1) - same_identity_pairs;
  if (intra_pairs <= 0) {
    throw oi::Error(std::string("XQDA: no pair of samples of one identity") +
                    (by_camera ? " from different cameras" : "") +
                    "; collect more samples (each identity seen more than once" +
                    (by_camera ? ", by more than one camera)" : ")"));
  }
  if (extra_pairs <= 0) throw oi::Error("XQDA: all samples have the same identity; at least two are needed");
  fit.intra_pairs = intra_pairs;
  fit.extra_pairs = extra_pairs;
  cv::Mat sigma_i = intra / static_cast<double>(intra_pairs);
  const cv::Mat sigma_e = extra / static_cast<double>(extra_pairs);
  sigma_i += options.lambda * cv::Mat::eye(m, m, CV_64F);

  // Σ_E w = λ Σ_I w: whiten by Σ_I (T = U_I D_I^(-1/2)), then a symmetric eigen-problem.
  cv::Mat i_values, i_vectors;
  symmetric_eigen(sigma_i, i_values, i_vectors);
  cv::Mat whiten(m, m, CV_64F);
  for (int c = 0; c < m; ++c) {
    const double v = i_values.at<double>(c);
    if (!(v > 0.0)) throw oi::Error("XQDA: the intra-personal covariance is singular; raise lambda");
    const double inv_sqrt = 1.0 / std::sqrt(v);
    for (int r = 0; r < m; ++r) whiten.at<double>(r, c) = i_vectors.at<double>(c, r) * inv_sqrt;
  }
  const cv::Mat a = whiten.t() * sigma_e * whiten;
  cv::Mat values, vectors;
  symmetric_eigen(a, values, vectors);
  int above = 0;
  while (above < m && values.at<double>(above) > 1.0) ++above;
  fit.eigenvalues_above_one = above;
  int r = std::min(options.dims, options.keep_dims_below_one ? m : above);
  r = std::max(r, 1);  // XQDA.m keeps one direction even when none has λ > 1
  // W = T Q_r, scaled by L = sqrt(1 - 1/λ): Wᵀ Σ_I W = I, Wᵀ Σ_E W = diag(λ).
  cv::Mat w(m, r, CV_64F);
  for (int k = 0; k < r; ++k) {
    const double lambda = values.at<double>(k);
    fit.eigenvalues.push_back(lambda);
    double weight = 1.0 - 1.0 / lambda;
    if (!(weight > 0.0)) {
      ++fit.clipped;
      weight = 0.0;
    }
    const double l = std::sqrt(weight);
    const cv::Mat q = vectors.row(k).t();
    cv::Mat column = whiten * q * l;
    column.copyTo(w.col(k));
  }

  // P = V W L = X_Sᵀ B with B = U Λ^(-1/2) W L (s x r): P's rows are products of X_S's
  // columns with Bᵀ's rows.
  const cv::Mat b_t = cv::Mat(u_scaled_t.t() * w).t();  // r x s
  cv::Mat basis_t(d, s, CV_32F);
  cv::transpose(basis_x, basis_t);
  cv::Mat b_tf;
  b_t.convertTo(b_tf, CV_32F);
  row_products(basis_t, b_tf).convertTo(fit.projection, CV_32F);
  fit.seconds_total = seconds_since(start);
  return fit;
}

}  // namespace oi::reid
