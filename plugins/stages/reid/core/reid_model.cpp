#include "reid_model.hpp"

#include <unistd.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include "oi/error.hpp"

namespace oi::reid {
namespace {

constexpr std::array<char, 8> kMagic = {'O', 'I', 'R', 'E', 'I', 'D', 'M', 'D'};
constexpr std::size_t kPreambleBytes = 16;  // magic, format version, header length
// A header is a few kilobytes; anything far larger is not a model file.
constexpr std::uint32_t kLargestHeader = 16u << 20;

std::uint64_t fnv1a64(const unsigned char* data, std::size_t size) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= data[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

std::string to_hex(std::uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) text[static_cast<std::size_t>(i)] = kDigits[value & 15u];
  return text;
}

void put_u32(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xffu));
}

std::uint32_t get_u32(const unsigned char* bytes) {
  return static_cast<std::uint32_t>(bytes[0]) | static_cast<std::uint32_t>(bytes[1]) << 8 |
         static_cast<std::uint32_t>(bytes[2]) << 16 | static_cast<std::uint32_t>(bytes[3]) << 24;
}

// Float32 values as little-endian bytes, whatever the host's byte order.
void put_floats(std::string& out, const float* values, std::size_t count) {
  const std::size_t start = out.size();
  out.resize(start + 4 * count);
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(out.data() + start, values, 4 * count);
  } else {
    for (std::size_t i = 0; i < count; ++i) {
      const auto bits = std::bit_cast<std::uint32_t>(values[i]);
      for (int b = 0; b < 4; ++b) out[start + 4 * i + b] = static_cast<char>((bits >> (8 * b)) & 0xffu);
    }
  }
}

void get_floats(const unsigned char* bytes, float* values, std::size_t count) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(values, bytes, 4 * count);
  } else {
    for (std::size_t i = 0; i < count; ++i) values[i] = std::bit_cast<float>(get_u32(bytes + 4 * i));
  }
}

nlohmann::json descriptor_json(const LomoParams& p) {
  return {{"height", p.height},
          {"width", p.width},
          {"window", p.window},
          {"step", p.step},
          {"scales", p.scales},
          {"hue_bins", p.hue_bins},
          {"saturation_bins", p.saturation_bins},
          {"value_bins", p.value_bins},
          {"siltp_tau", p.siltp_tau},
          {"siltp_radii", p.siltp_radii},
          {"illumination_normalisation", p.illumination_normalisation}};
}

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
  throw oi::ConfigError("re-ID model file " + path.string() + " " + what);
}

template <typename T>
T required(const nlohmann::json& object, const char* key, const std::filesystem::path& path,
           const char* where) {
  if (!object.is_object() || !object.contains(key)) {
    fail(path, std::string("has no \"") + key + "\" in its " + where +
                   " header; the file is damaged or was not written by oi-train-reid");
  }
  try {
    return object.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    fail(path, std::string("has a \"") + key + "\" of the wrong type in its " + where +
                   " header; the file is damaged or was not written by oi-train-reid");
  }
}

LomoParams descriptor_from_json(const nlohmann::json& j, const std::filesystem::path& path) {
  LomoParams p;
  p.height = required<int>(j, "height", path, "descriptor");
  p.width = required<int>(j, "width", path, "descriptor");
  p.window = required<int>(j, "window", path, "descriptor");
  p.step = required<int>(j, "step", path, "descriptor");
  p.scales = required<int>(j, "scales", path, "descriptor");
  p.hue_bins = required<int>(j, "hue_bins", path, "descriptor");
  p.saturation_bins = required<int>(j, "saturation_bins", path, "descriptor");
  p.value_bins = required<int>(j, "value_bins", path, "descriptor");
  p.siltp_tau = required<float>(j, "siltp_tau", path, "descriptor");
  p.siltp_radii = required<std::vector<int>>(j, "siltp_radii", path, "descriptor");
  p.illumination_normalisation = required<bool>(j, "illumination_normalisation", path, "descriptor");
  const bool sane = p.height > 0 && p.width > 0 && p.window > 0 && p.step > 0 && p.scales > 0 &&
                    p.hue_bins > 0 && p.saturation_bins > 0 && p.value_bins > 0 && p.window <= p.width &&
                    p.window <= p.height;
  if (!sane) fail(path, "has descriptor parameters out of range: " + j.dump());
  return p;
}

void check_model(const ReidModel& model, const std::string& where) {
  const std::size_t dimension = lomo_dimension(model.descriptor);
  if (model.mean.size() != dimension) {
    throw oi::Error(where + ": the mean has " + std::to_string(model.mean.size()) +
                    " values but the descriptor has " + std::to_string(dimension));
  }
  if (model.projection.type() != CV_32F || model.projection.dims != 2 ||
      static_cast<std::size_t>(model.projection.rows) != dimension || model.projection.cols < 1) {
    throw oi::Error(where + ": the projection must be CV_32F with " + std::to_string(dimension) +
                    " rows (the descriptor's dimension) and at least one column; it is " +
                    std::to_string(model.projection.rows) + " x " + std::to_string(model.projection.cols) +
                    " of type " + std::to_string(model.projection.type()));
  }
}

}  // namespace

ReidModel load_reid_model(const std::filesystem::path& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (status.type() == std::filesystem::file_type::not_found) {
    fail(path, "does not exist; build the target oi_reid_model or write one with oi-train-reid");
  }
  if (status.type() != std::filesystem::file_type::regular) {
    fail(path, "is not a regular file" + (error ? " (" + error.message() + ")" : std::string()));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot be opened for reading: " + std::string(std::strerror(errno)));
  in.seekg(0, std::ios::end);
  const std::streamoff length = in.tellg();
  in.seekg(0, std::ios::beg);
  if (length < 0) fail(path, "cannot be read (its size is unknown)");
  std::vector<unsigned char> bytes(static_cast<std::size_t>(length));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!in) fail(path, "could not be read completely");

  if (bytes.size() < kPreambleBytes) {
    if (bytes.size() >= kMagic.size() && std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0) {
      fail(path, "is not an OpenInspect re-ID model (wrong magic; expected \"OIREIDMD\")");
    }
    fail(path, "is truncated: " + std::to_string(bytes.size()) + " bytes, shorter than the " +
                   std::to_string(kPreambleBytes) + "-byte preamble");
  }
  if (std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0) {
    fail(path, "is not an OpenInspect re-ID model (wrong magic; expected \"OIREIDMD\")");
  }
  const std::uint32_t version = get_u32(bytes.data() + 8);
  if (version != static_cast<std::uint32_t>(ReidModel::kFormatVersion)) {
    fail(path, "has format version " + std::to_string(version) + "; this build reads version " +
                   std::to_string(ReidModel::kFormatVersion) +
                   ": retrain it with this build's oi-train-reid");
  }
  const std::uint32_t header_bytes = get_u32(bytes.data() + 12);
  if (header_bytes > kLargestHeader) {
    fail(path, "declares a " + std::to_string(header_bytes) +
                   "-byte header, which no model has; the file is damaged");
  }
  if (bytes.size() < kPreambleBytes + header_bytes) {
    fail(path, "is truncated: " + std::to_string(bytes.size()) + " bytes, shorter than its " +
                   std::to_string(header_bytes) + "-byte header");
  }
  nlohmann::json header;
  try {
    header =
        nlohmann::json::parse(bytes.begin() + kPreambleBytes, bytes.begin() + kPreambleBytes + header_bytes);
  } catch (const nlohmann::json::exception& e) {
    fail(path, "has a header that is not valid JSON (" + std::string(e.what()) + "); the file is damaged");
  }
  if (!header.is_object()) fail(path, "has a header that is not a JSON object; the file is damaged");

  ReidModel model;
  model.descriptor = descriptor_from_json(required<nlohmann::json>(header, "descriptor", path, "file"), path);
  const auto dimension = required<std::uint64_t>(header, "dimension", path, "file");
  const auto embedding_size = required<std::uint64_t>(header, "embedding_size", path, "file");
  const auto payload_bytes = required<std::uint64_t>(header, "payload_bytes", path, "file");
  const auto checksum = required<std::string>(header, "payload_fnv1a64", path, "file");
  if (header.contains("provenance")) model.provenance = header.at("provenance");

  const std::size_t expected_dimension = lomo_dimension(model.descriptor);
  if (dimension != expected_dimension) {
    fail(path, "has sizes that disagree: dimension " + std::to_string(dimension) +
                   " but its descriptor parameters give " + std::to_string(expected_dimension));
  }
  if (embedding_size < 1 || embedding_size > dimension) {
    fail(path, "has sizes that disagree: embedding_size " + std::to_string(embedding_size) +
                   " must be between 1 and the dimension " + std::to_string(dimension));
  }
  const std::uint64_t expected_payload = 4 * (dimension + dimension * embedding_size);
  if (payload_bytes != expected_payload) {
    fail(path, "has sizes that disagree: payload_bytes " + std::to_string(payload_bytes) + " but " +
                   std::to_string(dimension) + " x (1 + " + std::to_string(embedding_size) +
                   ") float32 values are " + std::to_string(expected_payload) + " bytes");
  }
  const std::size_t actual_payload = bytes.size() - kPreambleBytes - header_bytes;
  if (actual_payload < expected_payload) {
    fail(path, "is truncated: its payload has " + std::to_string(actual_payload) + " of " +
                   std::to_string(expected_payload) + " bytes");
  }
  if (actual_payload > expected_payload) {
    fail(path, "has " + std::to_string(actual_payload - expected_payload) +
                   " bytes after its payload; the file is damaged");
  }
  const unsigned char* payload = bytes.data() + kPreambleBytes + header_bytes;
  if (to_hex(fnv1a64(payload, actual_payload)) != checksum) {
    fail(path, "is corrupt: the payload's checksum does not match its header");
  }

  model.mean.resize(dimension);
  get_floats(payload, model.mean.data(), dimension);
  model.projection.create(static_cast<int>(dimension), static_cast<int>(embedding_size), CV_32F);
  get_floats(payload + 4 * dimension, model.projection.ptr<float>(), dimension * embedding_size);
  const auto finite = [](const float* values, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i)
      if (!std::isfinite(values[i])) return false;
    return true;
  };
  if (!finite(model.mean.data(), dimension) ||
      !finite(model.projection.ptr<float>(), dimension * embedding_size)) {
    fail(path, "holds values that are not finite (NaN or infinity); retrain the model");
  }
  return model;
}

void save_reid_model(const ReidModel& model, const std::filesystem::path& path) {
  check_model(model, "cannot save the re-ID model " + path.string());
  const std::size_t dimension = model.mean.size();
  const std::size_t columns = static_cast<std::size_t>(model.projection.cols);

  std::string payload;
  payload.reserve(4 * (dimension + dimension * columns));
  put_floats(payload, model.mean.data(), dimension);
  const cv::Mat projection = model.projection.isContinuous() ? model.projection : model.projection.clone();
  put_floats(payload, projection.ptr<float>(), dimension * columns);

  nlohmann::json header = {
      {"format", "openinspect.reid_model"},
      {"metric", "xqda"},
      {"descriptor", descriptor_json(model.descriptor)},
      {"dimension", dimension},
      {"embedding_size", columns},
      {"payload_bytes", payload.size()},
      {"payload_fnv1a64",
       to_hex(fnv1a64(reinterpret_cast<const unsigned char*>(payload.data()), payload.size()))},
      {"provenance", model.provenance.is_null() ? nlohmann::json::object() : model.provenance}};
  std::string header_text = header.dump(2) + "\n";
  while (header_text.size() % 4 != 0) header_text.push_back(' ');  // keeps the payload 4-byte aligned

  std::string file(kMagic.begin(), kMagic.end());
  put_u32(file, static_cast<std::uint32_t>(ReidModel::kFormatVersion));
  put_u32(file, static_cast<std::uint32_t>(header_text.size()));
  file += header_text;
  file += payload;

  // Written next to the target and renamed, so a reader never sees half a model.
  std::error_code error;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), error);
  const std::filesystem::path temp = path.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(file.data(), static_cast<std::streamsize>(file.size()));
    out.close();
    if (!out) {
      std::filesystem::remove(temp, error);
      throw oi::Error("cannot write the re-ID model " + path.string() + " (writing " + temp.string() +
                      " failed: " + std::strerror(errno) + "); check the folder exists and is writable");
    }
  }
  std::filesystem::rename(temp, path, error);
  if (error) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    throw oi::Error("cannot write the re-ID model " + path.string() + ": " + error.message());
  }
}

std::vector<float> project_reid_model(const ReidModel& model, const float* descriptor) {
  const int rows = model.projection.rows;
  const int columns = model.projection.cols;
  if (static_cast<std::size_t>(rows) != model.mean.size() || model.projection.type() != CV_32F) {
    throw oi::Error("re-ID model: the projection (" + std::to_string(rows) + " rows) and the mean (" +
                    std::to_string(model.mean.size()) + " values) disagree");
  }
  // Accumulated in double: 26,960 terms per value.
  std::vector<double> sum(static_cast<std::size_t>(columns), 0.0);
  for (int i = 0; i < rows; ++i) {
    const double centred = static_cast<double>(descriptor[i]) - model.mean[static_cast<std::size_t>(i)];
    if (centred == 0.0) continue;
    const float* row = model.projection.ptr<float>(i);
    for (int j = 0; j < columns; ++j) sum[static_cast<std::size_t>(j)] += centred * row[j];
  }
  return std::vector<float>(sum.begin(), sum.end());
}

std::vector<float> apply_reid_model(const ReidModel& model, const float* descriptor) {
  std::vector<float> embedding = project_reid_model(model, descriptor);
  double norm = 0.0;
  for (float v : embedding) norm += static_cast<double>(v) * v;
  norm = std::sqrt(norm);
  if (norm > 0.0) {
    for (float& v : embedding) v = static_cast<float>(v / norm);
  }
  return embedding;
}

}  // namespace oi::reid
