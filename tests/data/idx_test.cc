#include "data/idx.h"

#include <sys/stat.h>
#include <zlib.h>

#include <array>
#include <string>
#include <vector>

#include "data/npy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/data/test_util.h"

namespace attune {
namespace {

using ::attune::testing::AsBytes;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string B(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

// Two 2x3 uint8 images, as in train-images-idx3-ubyte.
const std::string kImages =
    B({0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3,
       0, 1, 2, 3, 4, 255, 255, 254, 128, 0, 0, 51});

TEST(IdxTest, ParsesHandWrittenUbyteImages) {
  absl::StatusOr<Array> a = ParseIdx(AsBytes(kImages));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->dtype, ArrayDType::kUint8);
  EXPECT_EQ(a->shape, Shape({2, 2, 3}));
  EXPECT_THAT(a->values<uint8_t>(),
              ElementsAre(0, 1, 2, 3, 4, 255, 255, 254, 128, 0, 0, 51));

  IdxReadOptions options;
  options.scale_to_unit = true;
  absl::StatusOr<Array> f = ParseIdx(AsBytes(kImages), options);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->dtype, ArrayDType::kFloat32);
  absl::Span<const float> v = f->values<float>();
  EXPECT_FLOAT_EQ(v[0], 0.0f);
  EXPECT_FLOAT_EQ(v[5], 1.0f);
  EXPECT_NEAR(v[11], 0.2f, 1e-7);
}

TEST(IdxTest, ParsesBigEndianWideTypes) {
  // int32 labels [2]: 1, -2.
  absl::StatusOr<Array> i = ParseIdx(AsBytes(
      B({0, 0, 0x0C, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe})));
  ASSERT_TRUE(i.ok()) << i.status();
  EXPECT_THAT(i->values<int32_t>(), ElementsAre(1, -2));
  // float32 [1]: 1.5 = 0x3fc00000.
  absl::StatusOr<Array> f =
      ParseIdx(AsBytes(B({0, 0, 0x0D, 1, 0, 0, 0, 1, 0x3f, 0xc0, 0, 0})));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_THAT(f->values<float>(), ElementsAre(1.5f));
  // float64 [1]: -0.25 = 0xbfd0000000000000, converted to float32.
  absl::StatusOr<Array> d = ParseIdx(
      AsBytes(B({0, 0, 0x0E, 1, 0, 0, 0, 1, 0xbf, 0xd0, 0, 0, 0, 0, 0, 0})));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(d->values<float>(), ElementsAre(-0.25f));
  // int8 [2].
  absl::StatusOr<Array> s =
      ParseIdx(AsBytes(B({0, 0, 0x09, 1, 0, 0, 0, 2, 0x80, 0x7f})));
  ASSERT_TRUE(s.ok());
  EXPECT_THAT(s->values<int8_t>(), ElementsAre(-128, 127));
}

TEST(IdxTest, MalformedInputGivesTheExpectedCode) {
  struct Case {
    const char* label;
    std::string bytes;
    absl::StatusCode code;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"short", B({0, 0}), absl::StatusCode::kInvalidArgument, "too short"},
      {"magic", B({1, 0, 8, 1, 0, 0, 0, 0}), absl::StatusCode::kInvalidArgument,
       "not an IDX file"},
      {"type", B({0, 0, 7, 1, 0, 0, 0, 0}), absl::StatusCode::kInvalidArgument,
       "0x07"},
      {"int16", B({0, 0, 0x0B, 1, 0, 0, 0, 0}),
       absl::StatusCode::kUnimplemented, "int16"},
      {"rank 0", B({0, 0, 8, 0}), absl::StatusCode::kInvalidArgument, "rank 0"},
      {"header cut", B({0, 0, 8, 3, 0, 0, 0, 2, 0}),
       absl::StatusCode::kDataLoss, "header"},
      {"data cut", kImages.substr(0, kImages.size() - 1),
       absl::StatusCode::kDataLoss, "needs 12 data bytes, found 11"},
      {"trailing", kImages + "x", absl::StatusCode::kInvalidArgument,
       "unexpected bytes"},
      {"absurd shape", B({0, 0, 8, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                          0xff}),
       absl::StatusCode::kInvalidArgument, "shape"},
      {"over the size limit", B({0, 0, 8, 2, 0, 1, 0, 0, 0, 1, 0, 0}),
       absl::StatusCode::kResourceExhausted, "limit"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Array> a = ParseIdx(AsBytes(c.bytes), {}, "t.idx");
    ASSERT_FALSE(a.ok()) << c.label;
    EXPECT_EQ(a.status().code(), c.code) << c.label << ": " << a.status();
    EXPECT_THAT(a.status().message(), HasSubstr(c.message)) << c.label;
    EXPECT_THAT(a.status().message(), HasSubstr("t.idx")) << c.label;
  }
  IdxReadOptions small;
  small.max_bytes = 20;
  EXPECT_EQ(ParseIdx(AsBytes(kImages), small).status().code(),
            absl::StatusCode::kResourceExhausted);
}

void WriteGz(const std::string& path, const std::string& data) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, data.data(), data.size()), static_cast<int>(data.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

TEST(IdxTest, ReadsGzipAndPlainFiles) {
  const std::string dir = testing::TempDir();
  WriteGz(dir + "/images.gz", kImages);
  ASSERT_TRUE(WriteFileBytes(dir + "/images", kImages).ok());
  for (const char* name : {"/images.gz", "/images"}) {
    absl::StatusOr<Array> a = ReadIdx(dir + name);
    ASSERT_TRUE(a.ok()) << name << ": " << a.status();
    EXPECT_EQ(a->shape, Shape({2, 2, 3})) << name;
    EXPECT_EQ(a->values<uint8_t>()[5], 255) << name;
  }
  IdxReadOptions small;
  small.max_bytes = 20;
  EXPECT_EQ(ReadIdx(dir + "/images.gz", small).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReadIdx(dir + "/missing.gz").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(IdxTest, TruncatedOrCorruptGzipIsDataLoss) {
  const std::string dir = testing::TempDir();
  // Incompressible enough that the stream is longer than the cut.
  std::string big = B({0, 0, 8, 1, 0, 0, 0x10, 0});
  uint32_t x = 1;
  for (int i = 0; i < 4096; ++i) {
    x = x * 1103515245u + 12345u;
    big.push_back(static_cast<char>(x >> 24));
  }
  WriteGz(dir + "/full.gz", big);
  absl::StatusOr<std::string> gz = ReadFileBytes(dir + "/full.gz");
  ASSERT_TRUE(gz.ok());
  ASSERT_TRUE(ReadIdx(dir + "/full.gz").ok());
  ASSERT_TRUE(WriteFileBytes(dir + "/cut.gz", gz->substr(0, gz->size() / 2)).ok());
  absl::StatusOr<Array> cut = ReadIdx(dir + "/cut.gz");
  EXPECT_EQ(cut.status().code(), absl::StatusCode::kDataLoss) << cut.status();
  std::string corrupt = *gz;
  for (size_t i = 20; i < 60; ++i) corrupt[i] = '\xff';
  ASSERT_TRUE(WriteFileBytes(dir + "/corrupt.gz", corrupt).ok());
  absl::StatusOr<Array> bad = ReadIdx(dir + "/corrupt.gz");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss) << bad.status();
}

constexpr char kFashionDir[] = "/usr/share/datasets/fashion-mnist";

TEST(IdxTest, RealFashionMnistTestSet) {
  const std::string images = std::string(kFashionDir) + "/t10k-images-idx3-ubyte.gz";
  const std::string labels = std::string(kFashionDir) + "/t10k-labels-idx1-ubyte.gz";
  struct stat st;
  if (stat(images.c_str(), &st) != 0 || stat(labels.c_str(), &st) != 0) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  IdxReadOptions options;
  options.scale_to_unit = true;
  absl::StatusOr<Array> x = ReadIdx(images, options);
  ASSERT_TRUE(x.ok()) << x.status();
  EXPECT_EQ(x->shape, Shape({10000, 28, 28}));
  float lo = 1, hi = 0;
  for (float v : x->values<float>()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_EQ(lo, 0.0f);
  EXPECT_EQ(hi, 1.0f);
  absl::StatusOr<Array> y = ReadIdx(labels);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->shape, Shape({10000}));
  std::array<int, 10> counts{};
  for (uint8_t label : y->values<uint8_t>()) {
    ASSERT_LT(label, 10);
    ++counts[label];
  }
  // The Fashion-MNIST test set has 1000 images of each class.
  for (int c = 0; c < 10; ++c) EXPECT_EQ(counts[c], 1000) << "class " << c;
}

}  // namespace
}  // namespace attune
