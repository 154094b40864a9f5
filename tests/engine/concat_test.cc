// concat, pack and unpack.
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

std::vector<int64_t> Unravel(int64_t flat, const Shape& shape) {
  std::vector<int64_t> index(shape.size());
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return index;
}

int64_t Ravel(const std::vector<int64_t>& index, const Shape& shape) {
  int64_t flat = 0;
  for (size_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + index[d];
  return flat;
}

// Reference concat: walk the output, find which input owns the axis index.
template <typename T>
std::vector<T> ConcatReference(const std::vector<std::vector<T>>& xs,
                               const std::vector<Shape>& shapes, int axis) {
  Shape out_shape = shapes[0];
  out_shape[axis] = 0;
  for (const Shape& s : shapes) out_shape[axis] += s[axis];
  std::vector<T> out;
  for (int64_t flat = 0; flat < NumElements(out_shape); ++flat) {
    std::vector<int64_t> index = Unravel(flat, out_shape);
    size_t i = 0;
    while (index[axis] >= shapes[i][axis]) index[axis] -= shapes[i++][axis];
    out.push_back(xs[i][Ravel(index, shapes[i])]);
  }
  return out;
}

template <typename T>
std::vector<T> Values(int64_t n, std::mt19937& rng) {
  std::vector<T> v;
  std::uniform_int_distribution<int> dist(0, 200);
  for (int64_t i = 0; i < n; ++i) v.push_back(static_cast<T>(dist(rng)));
  return v;
}

TEST(ConcatTest, Golden) {
  OpTester t(OpCode::kConcat);
  t.Input<float>({2, 2}, {1, 2, 3, 4})
      .Input<float>({2, 1}, {5, 6})
      .Int("axis", -1);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({2, 3}));
  EXPECT_THAT(t.Output<float>(0), ElementsAre(1, 2, 5, 3, 4, 6));
}

template <typename T>
void CheckConcatRandom(const std::vector<Shape>& shapes, int64_t axis,
                       uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<T>> xs;
  OpTester t(OpCode::kConcat);
  for (const Shape& s : shapes) {
    xs.push_back(Values<T>(NumElements(s), rng));
    t.Input<T>(s, xs.back());
  }
  t.Int("axis", axis);
  ASSERT_TRUE(t.Run().ok());
  const int rank = static_cast<int>(shapes[0].size());
  EXPECT_EQ(t.Output<T>(0),
            ConcatReference(xs, shapes, axis < 0 ? axis + rank : axis));
}

TEST(ConcatTest, RandomShapesAllDTypes) {
  uint32_t seed = 1;
  for (int pass = 0; pass < 2; ++pass) {
    CheckConcatRandom<float>({{2, 3, 4}, {2, 5, 4}, {2, 1, 4}}, 1, seed++);
    CheckConcatRandom<int32_t>({{3, 2}, {1, 2}, {0, 2}}, 0, seed++);
    CheckConcatRandom<int64_t>({{2, 3}, {2, 4}}, -1, seed++);
    CheckConcatRandom<bool>({{1, 3, 2}, {1, 3, 5}}, -1, seed++);
    CheckConcatRandom<uint8_t>({{4, 1, 3}, {4, 2, 3}, {4, 0, 3}}, -2, seed++);
    CheckConcatRandom<float>({{5}}, 0, seed++);
  }
}

TEST(ConcatTest, ZeroSizeOuterDim) {
  OpTester t(OpCode::kConcat);
  t.Input<float>({0, 2}, {}).Input<float>({0, 3}, {}).Int("axis", 1);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({0, 5}));
}

TEST(ConcatTest, ShapeMismatchIsInvalidArgument) {
  OpTester t(OpCode::kConcat);
  t.Input<float>({2, 2}, std::vector<float>(4))
      .Input<float>({3, 1}, std::vector<float>(3))
      .Int("axis", 1);
  absl::Status s = t.Run();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("concat node #0"));
}

TEST(ConcatTest, RankOrDTypeMismatchOrBadAxisIsInvalidArgument) {
  OpTester rank(OpCode::kConcat);
  rank.Input<float>({2, 2}, std::vector<float>(4))
      .Input<float>({2}, std::vector<float>(2))
      .Int("axis", 0);
  EXPECT_EQ(rank.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester dtype(OpCode::kConcat);
  dtype.Input<float>({2}, {1, 2}).Input<int32_t>({2}, {1, 2}).Int("axis", 0);
  EXPECT_EQ(dtype.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester axis(OpCode::kConcat);
  axis.Input<float>({2}, {1, 2}).Input<float>({2}, {1, 2}).Int("axis", 1);
  EXPECT_EQ(axis.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester missing(OpCode::kConcat);
  missing.Input<float>({2}, {1, 2}).Input<float>({2}, {1, 2});
  EXPECT_EQ(missing.Run().code(), absl::StatusCode::kInvalidArgument);
}

// pack == concat of inputs each expanded with a size-1 dim at axis.
template <typename T>
void CheckPack(const Shape& shape, int n, int64_t axis, uint32_t seed) {
  std::mt19937 rng(seed);
  const int rank = static_cast<int>(shape.size());
  const int a = static_cast<int>(axis < 0 ? axis + rank + 1 : axis);
  Shape expanded = shape;
  expanded.insert(expanded.begin() + a, 1);
  std::vector<std::vector<T>> xs;
  std::vector<Shape> shapes;
  OpTester t(OpCode::kPack);
  for (int i = 0; i < n; ++i) {
    xs.push_back(Values<T>(NumElements(shape), rng));
    shapes.push_back(expanded);
    t.Input<T>(shape, xs.back());
  }
  t.Int("axis", axis);
  ASSERT_TRUE(t.Run().ok());
  Shape out_shape = shape;
  out_shape.insert(out_shape.begin() + a, n);
  EXPECT_EQ(t.OutputShape(0), out_shape);
  EXPECT_EQ(t.Output<T>(0), ConcatReference(xs, shapes, a));
}

TEST(PackTest, GoldenScalarsIntoVector) {
  OpTester t(OpCode::kPack);
  t.Input<int32_t>({}, {-1}).Const<int32_t>({}, {784});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({2}));
  EXPECT_THAT(t.Output<int32_t>(0), ElementsAre(-1, 784));
}

TEST(PackTest, RandomShapesAllDTypesAndAxes) {
  CheckPack<float>({2, 3}, 3, 0, 1);
  CheckPack<int32_t>({2, 3}, 2, 1, 2);
  CheckPack<int64_t>({2, 3}, 4, 2, 3);
  CheckPack<bool>({2, 3}, 2, -1, 4);
  CheckPack<uint8_t>({4, 1}, 3, -3, 5);
  CheckPack<float>({0, 3}, 2, 1, 6);
  CheckPack<float>({3}, 1, 0, 7);
}

TEST(PackTest, MismatchOrBadAxisIsInvalidArgument) {
  OpTester shape(OpCode::kPack);
  shape.Input<float>({2}, {1, 2}).Input<float>({3}, {1, 2, 3});
  EXPECT_EQ(shape.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester axis(OpCode::kPack);
  axis.Input<float>({2}, {1, 2}).Input<float>({2}, {1, 2}).Int("axis", 2);
  EXPECT_EQ(axis.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester neg(OpCode::kPack);
  neg.Input<float>({2}, {1, 2}).Input<float>({2}, {1, 2}).Int("axis", -3);
  EXPECT_EQ(neg.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(UnpackTest, GoldenAxis0And1) {
  OpTester t(OpCode::kUnpack);
  t.Input<float>({2, 3}, {1, 2, 3, 4, 5, 6}).NumOutputs(2).Int("num", 2);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({3}));
  EXPECT_THAT(t.Output<float>(0), ElementsAre(1, 2, 3));
  EXPECT_THAT(t.Output<float>(1), ElementsAre(4, 5, 6));

  OpTester u(OpCode::kUnpack);
  u.Input<int64_t>({2, 3}, {1, 2, 3, 4, 5, 6}).NumOutputs(3).Int("axis", -1);
  ASSERT_TRUE(u.Run().ok());
  EXPECT_EQ(u.OutputShape(2), Shape({2}));
  EXPECT_THAT(u.Output<int64_t>(0), ElementsAre(1, 4));
  EXPECT_THAT(u.Output<int64_t>(1), ElementsAre(2, 5));
  EXPECT_THAT(u.Output<int64_t>(2), ElementsAre(3, 6));
}

template <typename T>
void CheckUnpack(const Shape& shape, int64_t axis, uint32_t seed) {
  std::mt19937 rng(seed);
  const int rank = static_cast<int>(shape.size());
  const int a = static_cast<int>(axis < 0 ? axis + rank : axis);
  const std::vector<T> x = Values<T>(NumElements(shape), rng);
  OpTester t(OpCode::kUnpack);
  t.Input<T>(shape, x).Int("axis", axis).NumOutputs(static_cast<int>(shape[a]));
  ASSERT_TRUE(t.Run().ok());
  Shape out_shape = shape;
  out_shape.erase(out_shape.begin() + a);
  for (int k = 0; k < shape[a]; ++k) {
    std::vector<T> expected;
    for (int64_t flat = 0; flat < NumElements(out_shape); ++flat) {
      std::vector<int64_t> index = Unravel(flat, out_shape);
      index.insert(index.begin() + a, k);
      expected.push_back(x[Ravel(index, shape)]);
    }
    EXPECT_EQ(t.OutputShape(k), out_shape);
    EXPECT_EQ(t.Output<T>(k), expected) << "output " << k;
  }
}

TEST(UnpackTest, RandomShapesAllDTypes) {
  CheckUnpack<float>({3, 4, 5}, 1, 1);
  CheckUnpack<int32_t>({3, 4, 5}, 0, 2);
  CheckUnpack<int64_t>({3, 4, 5}, -1, 3);
  CheckUnpack<bool>({2, 1, 3}, 2, 4);
  CheckUnpack<uint8_t>({1, 3}, 0, 5);
  CheckUnpack<float>({2, 0}, 0, 6);
}

TEST(UnpackTest, NumMismatchIsInvalidArgument) {
  OpTester num(OpCode::kUnpack);
  num.Input<float>({2, 3}, std::vector<float>(6)).NumOutputs(2).Int("num", 3);
  EXPECT_EQ(num.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester outputs(OpCode::kUnpack);
  outputs.Input<float>({2, 3}, std::vector<float>(6)).NumOutputs(3);
  EXPECT_EQ(outputs.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester axis(OpCode::kUnpack);
  axis.Input<float>({2, 3}, std::vector<float>(6)).NumOutputs(2).Int("axis", 2);
  EXPECT_EQ(axis.Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
