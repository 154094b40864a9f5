#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::testing::ElementsAre;

// Exact small integers as doubles, compared with a tolerance anyway.
::testing::Matcher<std::vector<double>> Near(std::vector<double> expected) {
  return ::testing::Pointwise(::testing::DoubleNear(1e-9), expected);
}

// One-hot of `indices` (shape `shape`) with depth inserted at `axis` in
// [0, rank], by brute force over output positions.
std::vector<double> Reference(const std::vector<int64_t>& indices,
                              const Shape& shape, int64_t depth, int axis,
                              double on, double off) {
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= shape[d];
  for (int d = axis; d < static_cast<int>(shape.size()); ++d) {
    inner *= shape[d];
  }
  std::vector<double> y;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k = 0; k < depth; ++k) {
      for (int64_t i = 0; i < inner; ++i) {
        y.push_back(indices[o * inner + i] == k ? on : off);
      }
    }
  }
  return y;
}

TEST(OneHotTest, GoldenLastAxis) {
  OpTester t(OpCode::kOneHot);
  t.Input<int32_t>({3}, {0, 2, 1}).Int("depth", 3);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({3, 3}));
  EXPECT_EQ(t.OutputDType(0), DType::kFloat32);
  EXPECT_THAT(t.OutputAsDouble(0), Near({1, 0, 0, 0, 0, 1, 0, 1, 0}));
}

TEST(OneHotTest, OutOfRangeIndicesGiveAllOffRows) {
  OpTester t(OpCode::kOneHot);
  t.Input<int64_t>({4}, {-1, 3, 1, 100}).Int("depth", 3);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.OutputAsDouble(0), Near({0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}));
}

TEST(OneHotTest, EveryAxisOfRank0To3) {
  const std::vector<Shape> shapes = {{}, {4}, {2, 3}, {2, 1, 3}};
  const int64_t depth = 4;
  for (const Shape& shape : shapes) {
    const int rank = static_cast<int>(shape.size());
    std::vector<int64_t> indices(NumElements(shape));
    for (size_t k = 0; k < indices.size(); ++k) {
      indices[k] = static_cast<int64_t>(k * 3 % 6) - 1;  // -1..4
    }
    for (int axis = -1; axis <= rank; ++axis) {
      const int a = axis == -1 ? rank : axis;
      SCOPED_TRACE(::testing::Message()
                   << ShapeToString(shape) << " axis " << axis);
      OpTester t(OpCode::kOneHot);
      t.Input<int64_t>(shape, indices)
          .Int("depth", depth)
          .Int("axis", axis)
          .Float("on_value", 5)
          .Float("off_value", -2);
      ASSERT_TRUE(t.Run().ok());
      Shape expected_shape = shape;
      expected_shape.insert(expected_shape.begin() + a, depth);
      EXPECT_EQ(t.OutputShape(0), expected_shape);
      EXPECT_THAT(t.OutputAsDouble(0),
                  Near(Reference(indices, shape, depth, a, 5, -2)));
    }
  }
}

TEST(OneHotTest, DepthAndValuesFromConstantInputs) {
  OpTester t(OpCode::kOneHot);
  t.Input<int32_t>({2}, {1, 0})
      .Const<int32_t>({}, {2})
      .Const<float>({}, {0.75f})
      .Const<float>({}, {0.25f});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<float>(0),
              ::testing::Pointwise(::testing::FloatNear(1e-7),
                                   {0.25f, 0.75f, 0.75f, 0.25f}));
}

TEST(OneHotTest, ValuesFedAtRunTime) {
  OpTester t(OpCode::kOneHot);
  t.Input<int32_t>({2}, {1, 0})
      .Const<int64_t>({1}, {2})
      .Input<float>({}, {3.0f})
      .Omitted();
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.OutputAsDouble(0), Near({0, 3, 3, 0}));
}

TEST(OneHotTest, IntegerOutputDTypes) {
  OpTester a(OpCode::kOneHot);
  a.Input<int32_t>({2}, {1, 2}).Int("depth", 3).String("dtype", "int32");
  ASSERT_TRUE(a.Run().ok());
  EXPECT_EQ(a.OutputDType(0), DType::kInt32);
  EXPECT_THAT(a.Output<int32_t>(0), ElementsAre(0, 1, 0, 0, 0, 1));

  OpTester b(OpCode::kOneHot);
  b.Input<int32_t>({2}, {1, 2})
      .Int("depth", 3)
      .String("dtype", "int64")
      .Float("on_value", 7)
      .Float("off_value", -1);
  ASSERT_TRUE(b.Run().ok());
  EXPECT_EQ(b.OutputDType(0), DType::kInt64);
  EXPECT_THAT(b.Output<int64_t>(0), ElementsAre(-1, 7, -1, -1, -1, 7));
}

TEST(OneHotTest, ZeroDepthAndZeroSizeIndices) {
  OpTester d(OpCode::kOneHot);
  d.Input<int32_t>({2}, {0, 1}).Int("depth", 0);
  ASSERT_TRUE(d.Run().ok());
  EXPECT_EQ(d.OutputShape(0), Shape({2, 0}));

  OpTester e(OpCode::kOneHot);
  e.Input<int32_t>({0, 2}, {}).Int("depth", 3).Int("axis", 1);
  ASSERT_TRUE(e.Run().ok());
  EXPECT_EQ(e.OutputShape(0), Shape({0, 3, 2}));
}

TEST(OneHotTest, RejectsFloatIndices) {
  OpTester t(OpCode::kOneHot);
  t.Input<float>({1}, {0}).Int("depth", 2);
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OneHotTest, RejectsMissingOrNegativeDepth) {
  OpTester m(OpCode::kOneHot);
  m.Input<int32_t>({1}, {0});
  EXPECT_EQ(m.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester n(OpCode::kOneHot);
  n.Input<int32_t>({1}, {0}).Int("depth", -1);
  EXPECT_EQ(n.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OneHotTest, RejectsAxisOutOfRange) {
  for (int axis : {2, -3}) {
    OpTester t(OpCode::kOneHot);
    t.Input<int32_t>({1}, {0}).Int("depth", 2).Int("axis", axis);
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument) << axis;
  }
}

TEST(OneHotTest, RejectsUnsupportedDType) {
  for (const char* dtype : {"bool", "nonsense"}) {
    OpTester t(OpCode::kOneHot);
    t.Input<int32_t>({1}, {0}).Int("depth", 2).String("dtype", dtype);
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument) << dtype;
  }
}

TEST(OneHotTest, RejectsNonScalarOnValue) {
  OpTester t(OpCode::kOneHot);
  t.Input<int32_t>({1}, {0}).Int("depth", 2).Const<float>({2}, {1, 2});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
