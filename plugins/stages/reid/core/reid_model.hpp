#pragma once
/// @file
/// The learnt re-identification metric (XQDA; Liao et al., CVPR 2015) as reid.embed applies it:
/// embedding = L2-normalise(projectionᵀ (descriptor - mean)). The projection folds XQDA's
/// subspace W and a factor L of its metric M = L Lᵀ, so that the Euclidean distance of two
/// un-normalised embeddings is XQDA's distance. oi-train-reid writes it (tools/train_reid);
/// the file is versioned and carries its provenance.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>
#include <vector>

#include "lomo.hpp"

namespace oi::reid {

struct ReidModel {
  static constexpr int kFormatVersion = 1;
  LomoParams descriptor;      ///< the descriptor the model was trained on
  std::vector<float> mean;    ///< descriptor mean, lomo_dimension(descriptor) values
  cv::Mat projection;         ///< CV_32F, lomo_dimension(descriptor) rows x embedding-size columns
  nlohmann::json provenance;  ///< tool, version, seeds, sample counts, options, date
  int embedding_size() const { return projection.cols; }
};

/// The file (".oirm"): 8 bytes magic "OIREIDMD"; format version (uint32 little-endian);
/// length of the JSON header in bytes (uint32 little-endian, a multiple of 4); the JSON header
/// (descriptor parameters, dimension, embedding_size, payload size and FNV-1a 64 checksum,
/// provenance); then the payload, float32 little-endian: the mean (dimension values) and the
/// projection, row-major (dimension x embedding_size values).
///
/// @throws oi::ConfigError naming the file and what is wrong (missing, truncated, another
/// format version, sizes that disagree).
ReidModel load_reid_model(const std::filesystem::path& path);
/// @throws oi::Error when the file cannot be written.
void save_reid_model(const ReidModel& model, const std::filesystem::path& path);
/// The embedding of one descriptor (lomo_dimension() values): embedding_size() values, L2
/// normalised.
std::vector<float> apply_reid_model(const ReidModel& model, const float* descriptor);
/// The un-normalised embedding projectionᵀ (descriptor - mean), embedding_size() values: the
/// Euclidean distance of two of them is the XQDA distance of their descriptors.
std::vector<float> project_reid_model(const ReidModel& model, const float* descriptor);

}  // namespace oi::reid
