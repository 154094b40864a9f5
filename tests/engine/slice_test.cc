#include <cstdint>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Reference: walk the output box and read x at begin + index.
template <typename T>
std::vector<T> Reference(const std::vector<T>& x, const Shape& shape,
                         const std::vector<int64_t>& begin, const Shape& size) {
  std::vector<T> out;
  const int rank = static_cast<int>(shape.size());
  for (int64_t flat = 0; flat < NumElements(size); ++flat) {
    int64_t rem = flat, offset = 0, scale = 1;
    for (int d = rank - 1; d >= 0; --d) {
      offset += (begin[d] + rem % size[d]) * scale;
      rem /= size[d];
      scale *= shape[d];
    }
    out.push_back(x[offset]);
  }
  return out;
}

TEST(SliceTest, Golden) {
  OpTester t(OpCode::kSlice);
  t.Input<float>({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
      .Const<int32_t>({2}, {1, 1})
      .Const<int32_t>({2}, {2, -1});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({2, 3}));
  EXPECT_THAT(t.Output<float>(0), ElementsAre(5, 6, 7, 9, 10, 11));
}

TEST(SliceTest, AttributesAndInt64Inputs) {
  OpTester a(OpCode::kSlice);
  a.Input<int32_t>({4}, {1, 2, 3, 4}).Ints("begin", {2}).Ints("size", {2});
  ASSERT_TRUE(a.Run().ok());
  EXPECT_THAT(a.Output<int32_t>(0), ElementsAre(3, 4));
  OpTester b(OpCode::kSlice);
  b.Input<int32_t>({4}, {1, 2, 3, 4})
      .Const<int64_t>({1}, {0})
      .Const<int64_t>({1}, {1});
  ASSERT_TRUE(b.Run().ok());
  EXPECT_THAT(b.Output<int32_t>(0), ElementsAre(1));
}

template <typename T>
void CheckRandom(std::mt19937& rng, int trials) {
  for (int trial = 0; trial < trials; ++trial) {
    std::uniform_int_distribution<int> rank_dist(0, 5);
    const int rank = rank_dist(rng);
    Shape shape;
    std::vector<int64_t> begin, size_attr;
    Shape size;
    for (int d = 0; d < rank; ++d) {
      const int64_t dim = std::uniform_int_distribution<int>(0, 5)(rng);
      const int64_t b = std::uniform_int_distribution<int64_t>(0, dim)(rng);
      int64_t s = std::uniform_int_distribution<int64_t>(0, dim - b)(rng);
      shape.push_back(dim);
      begin.push_back(b);
      size.push_back(s);
      // Sometimes ask for "to the end".
      size_attr.push_back(s == dim - b && (trial % 2) ? -1 : s);
    }
    std::vector<T> x;
    for (int64_t i = 0; i < NumElements(shape); ++i) {
      x.push_back(
          static_cast<T>(std::uniform_int_distribution<int>(0, 200)(rng)));
    }
    OpTester t(OpCode::kSlice);
    t.Input<T>(shape, x).Ints("begin", begin).Ints("size", size_attr);
    ASSERT_TRUE(t.Run().ok()) << ShapeToString(shape);
    EXPECT_EQ(t.OutputShape(0), size);
    EXPECT_EQ(t.Output<T>(0), Reference(x, shape, begin, size))
        << ShapeToString(shape) << " begin " << ShapeToString(begin) << " size "
        << ShapeToString(size);
  }
}

TEST(SliceTest, RandomShapesAllDTypesMatchReference) {
  std::mt19937 rng(7);
  CheckRandom<float>(rng, 60);
  CheckRandom<int32_t>(rng, 30);
  CheckRandom<int64_t>(rng, 30);
  CheckRandom<bool>(rng, 30);
  CheckRandom<uint8_t>(rng, 30);
}

TEST(SliceTest, OutOfRangeIsInvalidArgument) {
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> bad =
      {{{3}, {1}}, {{-1}, {1}}, {{1}, {3}}, {{0}, {-2}}, {{0, 0}, {1, 1}}};
  for (const auto& [begin, size] : bad) {
    OpTester t(OpCode::kSlice);
    t.Input<float>({3}, {1, 2, 3}).Ints("begin", begin).Ints("size", size);
    absl::Status s = t.Run();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument)
        << ShapeToString(begin) << ShapeToString(size);
    EXPECT_THAT(std::string(s.message()), HasSubstr("slice node #0"));
  }
}

TEST(SliceTest, RunTimeBeginIsUnimplemented) {
  OpTester t(OpCode::kSlice);
  t.Input<float>({3}, {1, 2, 3})
      .Input<int32_t>({1}, {0})
      .Const<int32_t>({1}, {1});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace attune
