#include "data/npz.h"

#include <zlib.h>

#include <cstring>
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

void Put(std::string& s, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::string RawDeflate(const std::string& in) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = in.size();
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = out.size();
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

struct ZipMember {
  std::string name;
  std::string data;    // uncompressed
  int method = 0;      // 0 stored, 8 deflate, others raw as given
  bool zip64 = false;  // sizes and offset in a Zip64 extra field
};

// An independent minimal zip writer for the tests (what numpy.savez and
// numpy.savez_compressed produce).
std::string MakeZip(const std::vector<ZipMember>& members) {
  std::string out, central;
  for (const ZipMember& m : members) {
    const std::string payload = m.method == 8 ? RawDeflate(m.data) : m.data;
    const uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(m.data.data()),
                               m.data.size());
    const uint64_t offset = out.size();
    std::string extra;
    if (m.zip64) {
      Put(extra, 1, 2);
      Put(extra, 24, 2);
      Put(extra, m.data.size(), 8);
      Put(extra, payload.size(), 8);
      Put(extra, offset, 8);
    }
    Put(out, 0x04034b50, 4);
    Put(out, 45, 2);
    Put(out, 0, 2);
    Put(out, m.method, 2);
    Put(out, 0, 4);
    Put(out, crc, 4);
    Put(out, m.zip64 ? 0xFFFFFFFFu : payload.size(), 4);
    Put(out, m.zip64 ? 0xFFFFFFFFu : m.data.size(), 4);
    Put(out, m.name.size(), 2);
    Put(out, extra.size(), 2);
    out += m.name + extra + payload;
    Put(central, 0x02014b50, 4);
    Put(central, 45, 2);
    Put(central, 45, 2);
    Put(central, 0, 2);
    Put(central, m.method, 2);
    Put(central, 0, 4);
    Put(central, crc, 4);
    Put(central, m.zip64 ? 0xFFFFFFFFu : payload.size(), 4);
    Put(central, m.zip64 ? 0xFFFFFFFFu : m.data.size(), 4);
    Put(central, m.name.size(), 2);
    Put(central, extra.size(), 2);
    Put(central, 0, 2);
    Put(central, 0, 2);
    Put(central, 0, 2);
    Put(central, 0, 4);
    Put(central, m.zip64 ? 0xFFFFFFFFu : offset, 4);
    central += m.name + extra;
  }
  const uint64_t cd = out.size();
  out += central;
  Put(out, 0x06054b50, 4);
  Put(out, 0, 4);
  Put(out, members.size(), 2);
  Put(out, members.size(), 2);
  Put(out, central.size(), 4);
  Put(out, cd, 4);
  Put(out, 0, 2);
  return out;
}

std::string Npy(const Array& a) {
  absl::StatusOr<std::string> s = SerializeNpy(a);
  EXPECT_TRUE(s.ok());
  return *s;
}

Array F32(Shape shape, std::vector<float> v) {
  return *Array::From<float>(shape, absl::MakeConstSpan(v));
}

TEST(NpzTest, RoundTripKeepsNamesOrderAndValues) {
  NamedArrays arrays;
  arrays.emplace_back("dense_1/kernel", F32({2, 2}, {1, 2, 3, 4}));
  arrays.emplace_back("labels", *Array::From<int64_t>({3}, {0, 9, 4}));
  arrays.emplace_back("empty", F32({0}, {}));
  const std::string dir = testing::TempDir();
  const std::string path = dir + "/a.npz";
  ASSERT_TRUE(WriteNpz(path, arrays).ok());

  absl::StatusOr<NamedArrays> back = ReadNpz(path);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 3u);
  EXPECT_EQ((*back)[0].first, "dense_1/kernel");
  EXPECT_THAT((*back)[0].second.values<float>(), ElementsAre(1, 2, 3, 4));
  EXPECT_EQ((*back)[1].first, "labels");
  EXPECT_THAT((*back)[1].second.values<int64_t>(), ElementsAre(0, 9, 4));
  EXPECT_EQ((*back)[2].second.shape, Shape({0}));

  absl::StatusOr<std::vector<std::string>> names = ListNpz(path);
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(*names, ElementsAre("dense_1/kernel", "labels", "empty"));

  for (const char* name : {"labels", "labels.npy"}) {
    absl::StatusOr<Array> one = ReadNpzMember(path, name);
    ASSERT_TRUE(one.ok()) << one.status();
    EXPECT_EQ(one->dtype, ArrayDType::kInt64);
  }
  absl::StatusOr<Array> missing = ReadNpzMember(path, "nope");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("labels"));
  EXPECT_EQ(ReadNpz(dir + "/none.npz").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(NpzTest, WrittenLayoutMatchesHandWrittenZip) {
  NamedArrays arrays;
  arrays.emplace_back("a", F32({1}, {3}));
  absl::StatusOr<std::string> ours = SerializeNpz(arrays);
  ASSERT_TRUE(ours.ok());
  // The independent writer above, stored, with version 20 instead of 45 and
  // DOS date 1980-01-01: patch those fields and compare byte for byte.
  std::string golden = MakeZip({{"a.npy", Npy(arrays[0].second), 0}});
  ASSERT_EQ(ours->size(), golden.size());
  const std::string npy = Npy(arrays[0].second);
  const size_t cd = 30 + 5 + npy.size();
  golden[4] = 20;                       // local: version needed
  golden[12] = 0x21;                    // local: date
  golden[cd + 4] = 20;                  // central: made by
  golden[cd + 6] = 20;                  // central: needed
  golden[cd + 14] = 0x21;               // central: date
  EXPECT_EQ(*ours, golden);
  EXPECT_EQ(ours->substr(0, 4), std::string("PK\x03\x04", 4));
  EXPECT_EQ(ours->substr(30, 5), "a.npy");
}

TEST(NpzTest, ReadsDeflatedAndZip64Members) {
  const Array a = F32({3, 2}, {1, 2, 3, 4, 5, 6});
  const Array b = *Array::From<uint8_t>({4}, {0, 0, 0, 0});
  const std::string zip = MakeZip({{"a.npy", Npy(a), 8},
                                   {"b.npy", Npy(b), 8, /*zip64=*/true},
                                   {"c.npy", Npy(a), 0, /*zip64=*/true}});
  absl::StatusOr<NamedArrays> arrays = ParseNpz(AsBytes(zip));
  ASSERT_TRUE(arrays.ok()) << arrays.status();
  ASSERT_EQ(arrays->size(), 3u);
  EXPECT_THAT((*arrays)[0].second.values<float>(), ElementsAre(1, 2, 3, 4, 5, 6));
  EXPECT_EQ((*arrays)[1].second.dtype, ArrayDType::kUint8);
  EXPECT_EQ((*arrays)[2].second.bytes, a.bytes);
}

TEST(NpzTest, CorruptArchivesGiveTheExpectedCode) {
  const Array a = F32({2}, {1, 2});
  const std::string stored = MakeZip({{"a.npy", Npy(a), 0}});
  const std::string deflated = MakeZip({{"a.npy", Npy(a), 8}});
  struct Case {
    const char* label;
    std::string bytes;
    absl::StatusCode code;
  };
  std::string crc = stored;
  crc[30 + 5 + 130] ^= 0x40;  // flip a data bit; CRC no longer matches
  std::string method = MakeZip({{"a.npy", Npy(a), 12}});
  std::string bad_deflate = deflated;
  for (size_t i = 35; i < 45; ++i) bad_deflate[i] = '\xff';
  std::string bad_offset = stored;
  bad_offset[bad_offset.size() - 6] = '\x7f';  // central directory offset
  std::string encrypted = stored;
  encrypted[stored.size() - 22 - 46 - 5 + 8] = 1;  // central: flags bit 0
  std::vector<Case> cases = {
      {"empty", "", absl::StatusCode::kInvalidArgument},
      {"not a zip", std::string(100, 'x'), absl::StatusCode::kInvalidArgument},
      {"end record cut", stored.substr(0, stored.size() - 10),
       absl::StatusCode::kInvalidArgument},
      {"crc", crc, absl::StatusCode::kDataLoss},
      {"bzip2 method", method, absl::StatusCode::kUnimplemented},
      {"corrupt deflate", bad_deflate, absl::StatusCode::kDataLoss},
      {"central directory offset", bad_offset,
       absl::StatusCode::kInvalidArgument},
      {"encrypted", encrypted, absl::StatusCode::kUnimplemented},
      {"member not npy", MakeZip({{"a.npy", "hello", 0}}),
       absl::StatusCode::kInvalidArgument},
  };
  // A member whose data runs past the central directory: claim more bytes.
  std::string truncated = stored;
  const size_t cd = 30 + 5 + Npy(a).size();
  truncated[cd + 20] = '\xff';
  truncated[cd + 21] = '\xff';
  truncated[cd + 24] = '\xff';
  truncated[cd + 25] = '\xff';
  cases.push_back({"member truncated", truncated, absl::StatusCode::kDataLoss});
  for (const Case& c : cases) {
    absl::StatusOr<NamedArrays> r = ParseNpz(AsBytes(c.bytes), {}, "t.npz");
    ASSERT_FALSE(r.ok()) << c.label;
    EXPECT_EQ(r.status().code(), c.code) << c.label << ": " << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr("t.npz")) << c.label;
  }
}

TEST(NpzTest, WriterRejectsBadNames) {
  NamedArrays dup;
  dup.emplace_back("x", F32({1}, {1}));
  dup.emplace_back("x", F32({1}, {2}));
  EXPECT_EQ(SerializeNpz(dup).status().code(),
            absl::StatusCode::kInvalidArgument);
  NamedArrays empty_name;
  empty_name.emplace_back("", F32({1}, {1}));
  EXPECT_EQ(SerializeNpz(empty_name).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
