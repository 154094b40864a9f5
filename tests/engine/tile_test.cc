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

// Reference: out[o] = x[o mod shape] per dim.
template <typename T>
std::vector<T> Reference(const std::vector<T>& x, const Shape& shape,
                         const std::vector<int64_t>& multiples) {
  const int rank = static_cast<int>(shape.size());
  Shape out_shape;
  for (int d = 0; d < rank; ++d) out_shape.push_back(shape[d] * multiples[d]);
  std::vector<T> out;
  for (int64_t flat = 0; flat < NumElements(out_shape); ++flat) {
    int64_t rem = flat, offset = 0, scale = 1;
    for (int d = rank - 1; d >= 0; --d) {
      offset += (rem % out_shape[d]) % shape[d] * scale;
      rem /= out_shape[d];
      scale *= shape[d];
    }
    out.push_back(x[offset]);
  }
  return out;
}

TEST(TileTest, Golden) {
  OpTester t(OpCode::kTile);
  t.Input<float>({2, 2}, {1, 2, 3, 4}).Const<int32_t>({2}, {2, 3});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({4, 6}));
  EXPECT_THAT(t.Output<float>(0),
              ElementsAre(1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4,  //
                          1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4));
}

template <typename T>
void CheckRandom(const Shape& shape, const std::vector<int64_t>& multiples,
                 uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<T> x;
  for (int64_t i = 0; i < NumElements(shape); ++i) {
    x.push_back(static_cast<T>(std::uniform_int_distribution<int>(0, 99)(rng)));
  }
  OpTester t(OpCode::kTile);
  t.Input<T>(shape, x).Ints("multiples", multiples);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.Output<T>(0), Reference(x, shape, multiples))
      << ShapeToString(shape) << " x " << ShapeToString(multiples);
}

TEST(TileTest, RandomShapesAllDTypesMatchReference) {
  CheckRandom<float>({3}, {4}, 1);
  CheckRandom<int32_t>({2, 3, 4}, {2, 1, 3}, 2);
  CheckRandom<int64_t>({1, 5}, {3, 2}, 3);
  CheckRandom<bool>({2, 1, 2}, {1, 4, 2}, 4);
  CheckRandom<uint8_t>({3, 2, 2, 1}, {2, 2, 1, 3}, 5);
  CheckRandom<float>({2, 3}, {0, 2}, 6);
  CheckRandom<float>({0, 3}, {4, 2}, 7);
  CheckRandom<float>({}, {}, 8);
}

TEST(TileTest, BadMultiplesAreInvalidArgument) {
  OpTester count(OpCode::kTile);
  count.Input<float>({2}, {1, 2}).Ints("multiples", {2, 2});
  EXPECT_EQ(count.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester neg(OpCode::kTile);
  neg.Input<float>({2}, {1, 2}).Ints("multiples", {-1});
  EXPECT_EQ(neg.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TileTest, RunTimeMultiplesIsUnimplemented) {
  OpTester t(OpCode::kTile);
  t.Input<float>({2}, {1, 2}).Input<int32_t>({1}, {2});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace attune
