#include "data/npy.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/data/test_util.h"

namespace attune {
namespace {

using ::attune::testing::AsBytes;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Magic, version 1.0, little-endian uint16 header length.
std::string Prefix(int major, uint32_t header_len) {
  std::string s("\x93NUMPY", 6);
  s.push_back(static_cast<char>(major));
  s.push_back(0);
  const int len_bytes = major == 1 ? 2 : 4;
  for (int i = 0; i < len_bytes; ++i) {
    s.push_back(static_cast<char>((header_len >> (8 * i)) & 0xFF));
  }
  return s;
}

// A file with `header` (unpadded is fine for the reader) and raw data.
std::string File(int major, const std::string& header, const std::string& data) {
  return Prefix(major, header.size()) + header + data;
}

std::string FloatBytes(std::vector<float> v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

TEST(NpyTest, SerializeMatchesHandWrittenGolden) {
  // np.save of np.array([1, -2], dtype=np.float32): 10-byte prefix, a
  // 118-byte header padded with spaces and ended by '\n', 8 data bytes.
  std::string golden("\x93NUMPY\x01\x00\x76\x00", 10);
  golden += "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  golden += std::string(60, ' ') + "\n";
  golden += std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8);
  ASSERT_EQ(golden.size(), 136u);

  absl::StatusOr<Array> array = Array::From<float>({2}, {1.0f, -2.0f});
  ASSERT_TRUE(array.ok());
  absl::StatusOr<std::string> bytes = SerializeNpy(*array);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, golden);

  absl::StatusOr<Array> parsed = ParseNpy(AsBytes(golden));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->dtype, ArrayDType::kFloat32);
  EXPECT_EQ(parsed->shape, Shape({2}));
  EXPECT_THAT(parsed->values<float>(), ElementsAre(1.0f, -2.0f));
}

TEST(NpyTest, DataStartsOn64ByteBoundary) {
  for (int rank = 0; rank < 8; ++rank) {
    Shape shape(rank, 1);
    absl::StatusOr<Array> a = Array::From<int8_t>(shape, std::vector<int8_t>{7});
    ASSERT_TRUE(a.ok());
    absl::StatusOr<std::string> bytes = SerializeNpy(*a);
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ((bytes->size() - 1) % 64, 0u) << "rank " << rank;
    EXPECT_EQ((*bytes)[bytes->size() - 2], '\n');
  }
}

template <typename T>
void ExpectRoundTrip(Shape shape, std::initializer_list<T> values) {
  absl::StatusOr<Array> a =
      Array::From<T>(shape, absl::Span<const T>(values.begin(), values.size()));
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<std::string> bytes = SerializeNpy(*a);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<Array> b = ParseNpy(AsBytes(*bytes));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->dtype, a->dtype);
  EXPECT_EQ(b->shape, shape);
  EXPECT_EQ(b->bytes, a->bytes);
}

TEST(NpyTest, RoundTripsEveryDType) {
  ExpectRoundTrip<float>({2, 3}, {0, 1.5f, -2, 3e7f, -1e-7f, 6});
  ExpectRoundTrip<double>({3}, {1.0 / 3, -2e300, 0});
  ExpectRoundTrip<int32_t>({2, 2}, {INT32_MIN, -1, 0, INT32_MAX});
  ExpectRoundTrip<int64_t>({1, 1, 2}, {INT64_MIN, INT64_MAX});
  ExpectRoundTrip<uint8_t>({4}, {0, 1, 128, 255});
  ExpectRoundTrip<int8_t>({2}, {-128, 127});
  ExpectRoundTrip<bool>({3}, {true, false, true});
  ExpectRoundTrip<float>({}, {42.0f});           // scalar
  ExpectRoundTrip<float>({0, 5}, {});            // empty
}

TEST(NpyTest, ReadsVersions2And3AndLooseHeaders) {
  const std::string data = FloatBytes({1, 2, 3, 4, 5, 6});
  for (int major : {2, 3}) {
    absl::StatusOr<Array> a = ParseNpy(AsBytes(File(
        major, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n",
        data)));
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(a->shape, Shape({2, 3}));
    EXPECT_FLOAT_EQ(a->values<float>()[5], 6.0f);
  }
  // Double quotes, other key order, no trailing comma, Python 2 long ints.
  absl::StatusOr<Array> a = ParseNpy(AsBytes(File(
      1, "{\"shape\": (2L,3L), \"fortran_order\": False, \"descr\": \"<f4\"}",
      data)));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->shape, Shape({2, 3}));
  // Scalar.
  a = ParseNpy(AsBytes(File(
      1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
      FloatBytes({9}))));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->shape.empty());
  EXPECT_EQ(a->num_elements(), 1);
  // A rank-1 array is the same in Fortran order.
  a = ParseNpy(AsBytes(File(
      1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }",
      FloatBytes({9}))));
  EXPECT_TRUE(a.ok()) << a.status();
}

TEST(NpyTest, ConvertsFloat64OnRequest) {
  std::vector<double> v = {0.5, -1.25, 1e10};
  const std::string data(reinterpret_cast<const char*>(v.data()), 24);
  const std::string file =
      File(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", data);
  absl::StatusOr<Array> raw = ParseNpy(AsBytes(file));
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->dtype, ArrayDType::kFloat64);
  NpyReadOptions options;
  options.float64_to_float32 = true;
  absl::StatusOr<Array> f = ParseNpy(AsBytes(file), options);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->dtype, ArrayDType::kFloat32);
  EXPECT_THAT(f->values<float>(), ElementsAre(0.5f, -1.25f, 1e10f));
}

struct BadCase {
  const char* label;
  std::string bytes;
  absl::StatusCode code;
  const char* message;
};

TEST(NpyTest, MalformedFilesGiveTheExpectedCode) {
  const std::string ok_header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  const std::string data = FloatBytes({1, 2});
  auto with_header = [&](const std::string& h) { return File(1, h, data); };
  const std::vector<BadCase> cases = {
      {"empty", "", absl::StatusCode::kInvalidArgument, "bad magic"},
      {"bad magic", "\x93NUMPZ\x01\x00", absl::StatusCode::kInvalidArgument,
       "bad magic"},
      {"version 4.0", Prefix(4, 0), absl::StatusCode::kUnimplemented,
       "version 4.0"},
      {"version 1.1", Prefix(1, 0).replace(7, 1, "\x01"),
       absl::StatusCode::kUnimplemented, "version 1.1"},
      {"length cut", std::string("\x93NUMPY\x02\x00\x10", 9),
       absl::StatusCode::kDataLoss, "truncated"},
      {"header cut", Prefix(1, 200) + ok_header,
       absl::StatusCode::kDataLoss, "truncated"},
      {"data cut", File(1, ok_header, data.substr(0, 7)),
       absl::StatusCode::kDataLoss, "needs 8 data bytes"},
      {"trailing bytes", File(1, ok_header, data + "x"),
       absl::StatusCode::kInvalidArgument, "unexpected bytes"},
      {"fortran", with_header("{'descr': '<f4', 'fortran_order': True, "
                              "'shape': (1, 2), }"),
       absl::StatusCode::kUnimplemented, "Fortran"},
      {"big endian", with_header("{'descr': '>f4', 'fortran_order': False, "
                                 "'shape': (2,), }"),
       absl::StatusCode::kUnimplemented, "big-endian"},
      {"complex", with_header("{'descr': '<c8', 'fortran_order': False, "
                              "'shape': (1,), }"),
       absl::StatusCode::kUnimplemented, "'<c8' is not supported"},
      {"structured", with_header("{'descr': [('a', '<f4')], 'fortran_order': "
                                 "False, 'shape': (2,), }"),
       absl::StatusCode::kInvalidArgument, "quoted string"},
      {"missing shape", with_header("{'descr': '<f4', 'fortran_order': False}"),
       absl::StatusCode::kInvalidArgument, "needs the keys"},
      {"extra key", with_header("{'descr': '<f4', 'fortran_order': False, "
                                "'shape': (2,), 'x': 1}"),
       absl::StatusCode::kInvalidArgument, "unexpected key 'x'"},
      {"negative dim", with_header("{'descr': '<f4', 'fortran_order': False, "
                                   "'shape': (-2,), }"),
       absl::StatusCode::kInvalidArgument, "non-negative integers"},
      {"not a dict", with_header("['descr']"),
       absl::StatusCode::kInvalidArgument, "expected '{'"},
      {"bad bool", with_header("{'descr': '<f4', 'fortran_order': 0, "
                               "'shape': (2,), }"),
       absl::StatusCode::kInvalidArgument, "True or False"},
      {"unterminated", with_header("{'descr': '<f4"),
       absl::StatusCode::kInvalidArgument, "unterminated"},
      {"huge shape", with_header("{'descr': '<f4', 'fortran_order': False, "
                                 "'shape': (4294967296, 4294967296), }"),
       absl::StatusCode::kInvalidArgument, "shape"},
      {"junk after dict", with_header(ok_header + " x"),
       absl::StatusCode::kInvalidArgument, "after the dict"},
  };
  for (const BadCase& c : cases) {
    absl::StatusOr<Array> a = ParseNpy(AsBytes(c.bytes), {}, "t.npy");
    ASSERT_FALSE(a.ok()) << c.label;
    EXPECT_EQ(a.status().code(), c.code) << c.label << ": " << a.status();
    EXPECT_THAT(a.status().message(), HasSubstr(c.message)) << c.label;
    EXPECT_THAT(a.status().message(), HasSubstr("t.npy")) << c.label;
  }
}

TEST(NpyTest, FileRoundTripAndMissingFile) {
  const std::string dir = testing::TempDir();
  absl::StatusOr<Array> a = Array::From<int32_t>({3}, {1, 2, 3});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(WriteNpy(dir + "/a.npy", *a).ok());
  absl::StatusOr<Array> b = ReadNpy(dir + "/a.npy");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_THAT(b->values<int32_t>(), ElementsAre(1, 2, 3));

  absl::StatusOr<Array> missing = ReadNpy(dir + "/nope.npy");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.npy"));
  EXPECT_FALSE(WriteNpy(dir + "/no/such/dir/a.npy", *a).ok());
}

TEST(NpyTest, InconsistentArrayIsRejectedOnWrite) {
  Array a;
  a.dtype = ArrayDType::kFloat32;
  a.shape = {3};
  a.bytes.resize(8);
  EXPECT_EQ(SerializeNpy(a).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Array::From<float>({2}, {1.0f}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
