// The re-ID model file (reid_model.hpp): a round trip keeps every value and the provenance;
// every kind of damage (missing, empty, truncated, wrong magic or version, sizes that
// disagree, bad header, corrupt payload, trailing bytes, non-finite values) is refused with a
// message that names the file and the problem; apply_reid_model on a hand-computed case.
#include "reid_model.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <opencv2/core.hpp>
#include <string>

#include "oi/error.hpp"
#include "scratch.hpp"

namespace {

using oi::reid::ReidModel;
using testing::HasSubstr;

ReidModel small_model(int columns = 3) {
  ReidModel model;
  const std::size_t d = oi::reid::lomo_dimension(model.descriptor);
  model.mean.resize(d);
  for (std::size_t i = 0; i < d; ++i) model.mean[i] = static_cast<float>(i % 7) * 0.125f - 0.25f;
  model.projection.create(static_cast<int>(d), columns, CV_32F);
  for (int r = 0; r < model.projection.rows; ++r)
    for (int c = 0; c < columns; ++c)
      model.projection.at<float>(r, c) = static_cast<float>((r * 31 + c * 17) % 101) / 100.0f - 0.5f;
  model.provenance = {{"tool", "test"}, {"seeds", {1, 2, 3}}};
  return model;
}

std::string bytes_of(const std::filesystem::path& file) { return oi::test::read_text(file); }

void write_bytes(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::uint32_t u32_at(const std::string& bytes, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
  return v;
}

void put_u32_at(std::string& bytes, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<char>((v >> (8 * i)) & 0xffu);
}

// The file split into its parts, and put back together with another header.
struct Parts {
  std::string preamble;
  nlohmann::json header;
  std::string payload;
};

Parts split_file(const std::string& bytes) {
  const std::uint32_t length = u32_at(bytes, 12);
  return {bytes.substr(0, 16), nlohmann::json::parse(bytes.substr(16, length)), bytes.substr(16 + length)};
}

std::string join(Parts parts) {
  std::string header = parts.header.dump();
  while (header.size() % 4 != 0) header.push_back(' ');
  put_u32_at(parts.preamble, 12, static_cast<std::uint32_t>(header.size()));
  return parts.preamble + header + parts.payload;
}

std::string fnv1a64_hex(const std::string& bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

class ReidLearnModelFile : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = oi::test::scratch_dir("reid-learn-model",
                                 testing::UnitTest::GetInstance()->current_test_info()->name());
    good_ = dir_ / "good.oirm";
    oi::reid::save_reid_model(small_model(), good_);
  }
  // Loading `bytes` (written to its own file) fails with a message naming that file and
  // containing `what`.
  void expect_refused(const std::string& bytes, const std::string& what) {
    const std::filesystem::path file = dir_ / "bad.oirm";
    write_bytes(file, bytes);
    try {
      oi::reid::load_reid_model(file);
      ADD_FAILURE() << "loaded a damaged file; expected: " << what;
    } catch (const oi::ConfigError& e) {
      EXPECT_THAT(e.what(), HasSubstr(file.string()));
      EXPECT_THAT(e.what(), HasSubstr(what));
    }
  }
  std::filesystem::path dir_, good_;
};

TEST_F(ReidLearnModelFile, RoundTripKeepsEveryValue) {
  const ReidModel original = small_model(5);
  oi::reid::save_reid_model(original, dir_ / "m.oirm");
  const ReidModel loaded = oi::reid::load_reid_model(dir_ / "m.oirm");
  EXPECT_EQ(loaded.embedding_size(), 5);
  ASSERT_EQ(loaded.mean.size(), original.mean.size());
  EXPECT_EQ(std::memcmp(loaded.mean.data(), original.mean.data(), original.mean.size() * 4), 0);
  ASSERT_EQ(loaded.projection.rows, original.projection.rows);
  EXPECT_EQ(cv::norm(loaded.projection, original.projection, cv::NORM_INF), 0.0);
  EXPECT_EQ(loaded.provenance, original.provenance);
  EXPECT_EQ(loaded.descriptor.siltp_radii, original.descriptor.siltp_radii);
  EXPECT_EQ(loaded.descriptor.siltp_tau, original.descriptor.siltp_tau);
  EXPECT_EQ(loaded.descriptor.hue_bins, original.descriptor.hue_bins);
  // The layout: magic, version 1, a header length that keeps the payload 4-byte aligned,
  // then exactly mean + projection as float32.
  const std::string bytes = bytes_of(dir_ / "m.oirm");
  EXPECT_EQ(bytes.substr(0, 8), "OIREIDMD");
  EXPECT_EQ(u32_at(bytes, 8), 1u);
  EXPECT_EQ(u32_at(bytes, 12) % 4, 0u);
  EXPECT_EQ(bytes.size(), 16 + u32_at(bytes, 12) + 4 * original.mean.size() * 6);
  float first = 0;
  std::memcpy(&first, bytes.data() + 16 + u32_at(bytes, 12), 4);
  EXPECT_EQ(first, original.mean[0]);
}

TEST_F(ReidLearnModelFile, MissingFileIsNamed) {
  try {
    oi::reid::load_reid_model(dir_ / "nowhere.oirm");
    FAIL() << "loaded a missing file";
  } catch (const oi::ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr((dir_ / "nowhere.oirm").string()));
    EXPECT_THAT(e.what(), HasSubstr("does not exist"));
  }
}

TEST_F(ReidLearnModelFile, TruncatedFilesAreRefused) {
  const std::string bytes = bytes_of(good_);
  expect_refused("", "truncated");
  expect_refused(bytes.substr(0, 10), "truncated");
  expect_refused(bytes.substr(0, 40), "shorter than its");
  expect_refused(bytes.substr(0, bytes.size() - 100), "is truncated: its payload has");
}

TEST_F(ReidLearnModelFile, WrongMagicOrVersionIsRefused) {
  std::string bytes = bytes_of(good_);
  std::string magic = bytes;
  magic[0] = 'X';
  expect_refused(magic, "wrong magic");
  std::string version = bytes;
  put_u32_at(version, 8, 2);
  expect_refused(version, "format version 2; this build reads version 1");
}

TEST_F(ReidLearnModelFile, SizesThatDisagreeAreRefused) {
  const std::string bytes = bytes_of(good_);
  Parts dimension = split_file(bytes);
  dimension.header["dimension"] = dimension.header["dimension"].get<int>() + 1;
  expect_refused(join(dimension), "sizes that disagree: dimension");
  Parts columns = split_file(bytes);
  columns.header["embedding_size"] = 4;
  expect_refused(join(columns), "sizes that disagree: payload_bytes");
  Parts descriptor = split_file(bytes);
  descriptor.header["descriptor"]["hue_bins"] = 4;  // another descriptor length
  expect_refused(join(descriptor), "sizes that disagree");
  expect_refused(bytes + "xyzw", "bytes after its payload");
}

TEST_F(ReidLearnModelFile, DamagedHeaderOrPayloadIsRefused) {
  const std::string bytes = bytes_of(good_);
  std::string json = bytes;
  json[16] = '[';
  expect_refused(json, "not valid JSON");
  Parts no_descriptor = split_file(bytes);
  no_descriptor.header.erase("descriptor");
  expect_refused(join(no_descriptor), "has no \"descriptor\"");
  Parts wrong_type = split_file(bytes);
  wrong_type.header["descriptor"]["window"] = "ten";
  expect_refused(join(wrong_type), "\"window\" of the wrong type");
  std::string flipped = bytes;
  flipped[flipped.size() - 3] ^= 0x40;
  expect_refused(flipped, "checksum");
  // A NaN with a matching checksum: still refused.
  Parts nan = split_file(bytes);
  const float value = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(nan.payload.data() + 8, &value, 4);
  nan.header["payload_fnv1a64"] = fnv1a64_hex(nan.payload);
  expect_refused(join(nan), "not finite");
}

TEST_F(ReidLearnModelFile, SaveRefusesInconsistentModels) {
  ReidModel model = small_model();
  model.mean.pop_back();
  EXPECT_THROW(oi::reid::save_reid_model(model, dir_ / "x.oirm"), oi::Error);
  ReidModel wrong_type = small_model();
  wrong_type.projection.convertTo(wrong_type.projection, CV_64F);
  EXPECT_THROW(oi::reid::save_reid_model(wrong_type, dir_ / "x.oirm"), oi::Error);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "x.oirm"));
}

TEST(ReidLearnApply, HandComputedEmbedding) {
  ReidModel model;
  const std::size_t d = oi::reid::lomo_dimension(model.descriptor);
  model.mean.assign(d, 0.0f);
  model.mean[0] = 0.5f;
  model.projection = cv::Mat::zeros(static_cast<int>(d), 3, CV_32F);
  model.projection.at<float>(0, 0) = 1.0f;
  model.projection.at<float>(5, 1) = 2.0f;
  model.projection.at<float>(static_cast<int>(d) - 1, 2) = -1.0f;
  std::vector<float> x(d, 0.0f);
  x[0] = 1.5f;      // (1.5 - 0.5) * 1 = 1
  x[5] = 1.0f;      // 1 * 2 = 2
  x[d - 1] = 2.0f;  // 2 * -1 = -2
  const std::vector<float> raw = oi::reid::project_reid_model(model, x.data());
  ASSERT_EQ(raw.size(), 3u);
  EXPECT_FLOAT_EQ(raw[0], 1.0f);
  EXPECT_FLOAT_EQ(raw[1], 2.0f);
  EXPECT_FLOAT_EQ(raw[2], -2.0f);
  const std::vector<float> unit = oi::reid::apply_reid_model(model, x.data());
  EXPECT_FLOAT_EQ(unit[0], 1.0f / 3.0f);
  EXPECT_FLOAT_EQ(unit[1], 2.0f / 3.0f);
  EXPECT_FLOAT_EQ(unit[2], -2.0f / 3.0f);
  // The mean itself embeds to zero, and stays zero (no division by zero).
  const std::vector<float> zero = oi::reid::apply_reid_model(model, model.mean.data());
  for (float v : zero) EXPECT_EQ(v, 0.0f);
}

}  // namespace
