#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::testing::ElementsAre;

// First index of the maximum along `axis`, by brute force.
std::vector<int64_t> Reference(const std::vector<float>& x, const Shape& shape,
                               int axis) {
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= shape[d];
  for (int d = axis + 1; d < static_cast<int>(shape.size()); ++d) {
    inner *= shape[d];
  }
  const int64_t n = shape[axis];
  std::vector<int64_t> y;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      int64_t best = 0;
      for (int64_t a = 0; a < n; ++a) {
        if (x[(o * n + a) * inner + i] > x[(o * n + best) * inner + i]) {
          best = a;
        }
      }
      y.push_back(best);
    }
  }
  return y;
}

// Values from {0, 1, 2, 3} so that ties are frequent.
TEST(ArgMaxTest, EveryAxisOfRank1To4WithTies) {
  const std::vector<Shape> shapes = {{9}, {3, 5}, {2, 3, 4}, {2, 3, 1, 5}};
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> dist(0, 3);
  int run = 0;
  for (const Shape& shape : shapes) {
    const int rank = static_cast<int>(shape.size());
    std::vector<float> x(NumElements(shape));
    for (float& v : x) v = static_cast<float>(dist(rng));
    for (int axis = -rank; axis < rank; ++axis) {
      const int a = axis < 0 ? axis + rank : axis;
      const int mode = run++ % 3;
      SCOPED_TRACE(::testing::Message() << ShapeToString(shape) << " axis "
                                        << axis << " mode " << mode);
      OpTester t(OpCode::kArgMax);
      t.Input<float>(shape, x);
      if (mode == 0) {
        t.Int("axis", axis);
      } else if (mode == 1) {
        t.Const<int32_t>({}, {axis});
      } else {
        t.Const<int64_t>({1}, {axis});
      }
      ASSERT_TRUE(t.Run().ok());
      Shape expected_shape = shape;
      expected_shape.erase(expected_shape.begin() + a);
      EXPECT_EQ(t.OutputShape(0), expected_shape);
      EXPECT_EQ(t.OutputDType(0), DType::kInt64);
      EXPECT_EQ(t.Output<int64_t>(0), Reference(x, shape, a));
    }
  }
}

TEST(ArgMaxTest, DefaultAxisIsLastAndTiesGiveFirstIndex) {
  OpTester t(OpCode::kArgMax);
  t.Input<float>({2, 4}, {1, 5, 5, 2, 7, 7, 7, 7});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<int64_t>(0), ElementsAre(1, 0));
}

TEST(ArgMaxTest, Int32OutputType) {
  OpTester t(OpCode::kArgMax);
  t.Input<float>({2, 3}, {0, 9, 1, 8, 2, 8})
      .Int("axis", 0)
      .String("output_type", "int32");
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputDType(0), DType::kInt32);
  EXPECT_THAT(t.Output<int32_t>(0), ElementsAre(1, 0, 1));
}

TEST(ArgMaxTest, IntegerInputs) {
  OpTester a(OpCode::kArgMax);
  a.Input<int32_t>({4}, {-5, -1, -3, -1});
  ASSERT_TRUE(a.Run().ok());
  EXPECT_THAT(a.Output<int64_t>(0), ElementsAre(1));

  OpTester b(OpCode::kArgMax);
  b.Input<int64_t>({3}, {int64_t{1} << 40, (int64_t{1} << 40) + 1, 0});
  ASSERT_TRUE(b.Run().ok());
  EXPECT_THAT(b.Output<int64_t>(0), ElementsAre(1));

  OpTester c(OpCode::kArgMax);
  c.Input<uint8_t>({3}, {3, 255, 7});
  ASSERT_TRUE(c.Run().ok());
  EXPECT_THAT(c.Output<int64_t>(0), ElementsAre(1));

  OpTester d(OpCode::kArgMax);
  d.Input<int8_t>({3}, {-128, -7, -100});
  ASSERT_TRUE(d.Run().ok());
  EXPECT_THAT(d.Output<int64_t>(0), ElementsAre(1));
}

TEST(ArgMaxTest, FirstNanWins) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  OpTester t(OpCode::kArgMax);
  t.Input<float>({2, 4}, {1, nan, 3, nan, -INFINITY, 2, INFINITY, 0});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<int64_t>(0), ElementsAre(1, 2));
  OpTester s(OpCode::kArgMax);
  s.Input<float>({4, 1}, {1, 3, nan, nan}).Int("axis", 0);
  ASSERT_TRUE(s.Run().ok());
  EXPECT_THAT(s.Output<int64_t>(0), ElementsAre(2));
}

TEST(ArgMaxTest, ZeroSizeDims) {
  // Empty output: nothing to compute.
  OpTester t(OpCode::kArgMax);
  t.Input<float>({0, 3}, {}).Int("axis", 1);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({0}));
  // Size-1 axis: index 0 everywhere.
  OpTester one(OpCode::kArgMax);
  one.Input<float>({2, 1}, {4, -4}).Int("axis", 1);
  ASSERT_TRUE(one.Run().ok());
  EXPECT_THAT(one.Output<int64_t>(0), ElementsAre(0, 0));
  // A zero-size axis with a non-empty output has no answer.
  OpTester e(OpCode::kArgMax);
  e.Input<float>({0, 3}, {}).Int("axis", 0);
  EXPECT_EQ(e.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ArgMaxTest, RejectsBadOutputType) {
  OpTester t(OpCode::kArgMax);
  t.Input<float>({2}, {1, 2}).String("output_type", "float32");
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ArgMaxTest, RejectsAxisOutOfRange) {
  for (int axis : {2, -3}) {
    OpTester t(OpCode::kArgMax);
    t.Input<float>({2, 2}, {1, 2, 3, 4}).Int("axis", axis);
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument) << axis;
  }
}

TEST(ArgMaxTest, RejectsSeveralAxes) {
  OpTester t(OpCode::kArgMax);
  t.Input<float>({2, 2}, {1, 2, 3, 4}).Const<int32_t>({2}, {0, 1});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ArgMaxTest, RejectsBoolAndScalarInputs) {
  OpTester b(OpCode::kArgMax);
  b.Input<bool>({2}, {true, false});
  EXPECT_EQ(b.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester s(OpCode::kArgMax);
  s.Input<float>({}, {1});
  EXPECT_EQ(s.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ArgMaxTest, RuntimeAxisIsUnimplemented) {
  OpTester t(OpCode::kArgMax);
  t.Input<float>({2}, {1, 2}).Input<int32_t>({}, {0});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace attune
