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

const OpCode kAllOps[] = {OpCode::kSum, OpCode::kMean, OpCode::kReduceMax,
                          OpCode::kReduceMin, OpCode::kReduceProd};

// Reduces `x` of `shape` over the dims where `mask` is true, in double
// precision, by visiting every input element once.
std::vector<double> Reference(OpCode op, const Shape& shape,
                              const std::vector<bool>& mask,
                              const std::vector<double>& x) {
  const int rank = static_cast<int>(shape.size());
  int64_t out_elems = 1;
  std::vector<int64_t> out_stride(rank, 0);
  for (int d = rank - 1; d >= 0; --d) {
    if (!mask[d]) {
      out_stride[d] = out_elems;
      out_elems *= shape[d];
    }
  }
  std::vector<double> acc(out_elems);
  std::vector<int64_t> count(out_elems, 0);
  std::vector<int64_t> index(rank, 0);
  for (size_t k = 0; k < x.size(); ++k) {
    int64_t o = 0;
    for (int d = 0; d < rank; ++d) o += index[d] * out_stride[d];
    const double v = x[k];
    if (count[o] == 0) {
      acc[o] = v;
    } else if (op == OpCode::kSum || op == OpCode::kMean) {
      acc[o] += v;
    } else if (op == OpCode::kReduceProd) {
      acc[o] *= v;
    } else if (op == OpCode::kReduceMax) {
      acc[o] = std::max(acc[o], v);
    } else {
      acc[o] = std::min(acc[o], v);
    }
    ++count[o];
    for (int d = rank - 1; d >= 0; --d) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  if (op == OpCode::kMean) {
    for (int64_t o = 0; o < out_elems; ++o) acc[o] /= count[o];
  }
  return acc;
}

Shape ExpectedShape(const Shape& shape, const std::vector<bool>& mask,
                    bool keepdims) {
  Shape out;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!mask[d]) {
      out.push_back(shape[d]);
    } else if (keepdims) {
      out.push_back(1);
    }
  }
  return out;
}

// Every op, every subset of axes of rank-1..4 tensors, keepdims on and off.
// Axes arrive four ways in turn: attribute, negative attribute, int32 and
// int64 constant inputs.
TEST(ReduceTest, EveryAxisSubsetOfRank1To4) {
  const std::vector<Shape> shapes = {{5}, {3, 4}, {2, 3, 4}, {2, 3, 1, 5}};
  std::mt19937 rng(7);
  int run = 0;
  for (const Shape& shape : shapes) {
    const int rank = static_cast<int>(shape.size());
    for (OpCode op : kAllOps) {
      // Products stay near 1 with factors in [0.5, 1.5].
      std::uniform_real_distribution<float> dist(
          op == OpCode::kReduceProd ? 0.5f : -2.0f,
          op == OpCode::kReduceProd ? 1.5f : 2.0f);
      std::vector<float> x(NumElements(shape));
      for (float& v : x) v = dist(rng);
      const std::vector<double> xd(x.begin(), x.end());
      for (int subset = 0; subset < (1 << rank); ++subset) {
        std::vector<bool> mask(rank);
        std::vector<int64_t> axes;
        for (int d = 0; d < rank; ++d) {
          mask[d] = (subset >> d) & 1;
          if (mask[d]) axes.push_back(d);
        }
        for (bool keepdims : {false, true}) {
          const int mode = run++ % 4;
          SCOPED_TRACE(::testing::Message()
                       << OpName(op) << " " << ShapeToString(shape)
                       << " subset " << subset << " keepdims " << keepdims
                       << " mode " << mode);
          OpTester t(op);
          t.Input<float>(shape, x).Int("keepdims", keepdims ? 1 : 0);
          if (mode == 0) {
            t.Ints("axes", axes);
          } else if (mode == 1) {
            std::vector<int64_t> negative = axes;
            for (int64_t& a : negative) a -= rank;
            t.Ints("axes", negative);
          } else if (mode == 2) {
            std::vector<int32_t> a32(axes.begin(), axes.end());
            t.Const<int32_t>({static_cast<int64_t>(a32.size())}, a32);
          } else {
            t.Const<int64_t>({static_cast<int64_t>(axes.size())}, axes);
          }
          ASSERT_TRUE(t.Run().ok());
          EXPECT_EQ(t.OutputShape(0), ExpectedShape(shape, mask, keepdims));
          const std::vector<double> expected = Reference(op, shape, mask, xd);
          const std::vector<float> actual = t.Output<float>(0);
          ASSERT_EQ(actual.size(), expected.size());
          for (size_t i = 0; i < actual.size(); ++i) {
            ASSERT_NEAR(actual[i], expected[i],
                        1e-5 * (1 + std::abs(expected[i])))
                << "element " << i;
          }
        }
      }
    }
  }
}

TEST(ReduceTest, DefaultReducesAllAxesToScalar) {
  OpTester t(OpCode::kSum);
  t.Input<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({}));
  EXPECT_THAT(t.Output<float>(0),
              ::testing::ElementsAre(::testing::FloatNear(21, 1e-6)));

  OpTester k(OpCode::kMean);
  k.Input<float>({2, 3}, {1, 2, 3, 4, 5, 6}).Int("keepdims", 1);
  ASSERT_TRUE(k.Run().ok());
  EXPECT_EQ(k.OutputShape(0), Shape({1, 1}));
  EXPECT_THAT(k.Output<float>(0),
              ::testing::ElementsAre(::testing::FloatNear(3.5, 1e-6)));
}

TEST(ReduceTest, ExplicitEmptyAxesReduceNothing) {
  OpTester t(OpCode::kReduceMax);
  t.Input<float>({2, 2}, {1, -2, 3, -4}).Ints("axes", {});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({2, 2}));
  EXPECT_THAT(t.Output<float>(0), ::testing::Pointwise(::testing::FloatNear(0),
                                                       {1.f, -2.f, 3.f, -4.f}));
}

TEST(ReduceTest, ScalarInput) {
  OpTester t(OpCode::kReduceProd);
  t.Input<float>({}, {2.5f});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({}));
  EXPECT_THAT(t.Output<float>(0),
              ::testing::ElementsAre(::testing::FloatNear(2.5, 1e-7)));
}

TEST(ReduceTest, AxisAsScalarAttribute) {
  OpTester t(OpCode::kSum);
  t.Input<float>({2, 3}, {1, 2, 3, 4, 5, 6}).Int("axes", -1);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({2}));
  EXPECT_THAT(t.Output<float>(0),
              ::testing::Pointwise(::testing::FloatNear(1e-6), {6.f, 15.f}));
}

// Global average pooling: mean over H and W of NHWC.
TEST(ReduceTest, GlobalAveragePoolingNhwc) {
  const Shape shape = {2, 7, 7, 64};
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> x(NumElements(shape));
  for (float& v : x) v = dist(rng);
  OpTester t(OpCode::kMean);
  t.Input<float>(shape, x).Ints("axes", {1, 2}).Int("keepdims", 1);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({2, 1, 1, 64}));
  const std::vector<float> y = t.Output<float>(0);
  for (int n = 0; n < 2; ++n) {
    for (int c = 0; c < 64; ++c) {
      double sum = 0;
      for (int hw = 0; hw < 49; ++hw) sum += x[(n * 49 + hw) * 64 + c];
      ASSERT_NEAR(y[n * 64 + c], sum / 49, 1e-6) << n << " " << c;
    }
  }
}

TEST(ReduceTest, LastAxisOfLargeRows) {
  const int rows = 8, cols = 1001;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(0, 1);
  std::vector<float> x(rows * cols);
  for (float& v : x) v = dist(rng);
  OpTester t(OpCode::kSum);
  t.Input<float>({rows, cols}, x).Ints("axes", {1});
  ASSERT_TRUE(t.Run().ok());
  const std::vector<float> y = t.Output<float>(0);
  ASSERT_EQ(y.size(), static_cast<size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    double sum = 0;
    for (int c = 0; c < cols; ++c) sum += x[r * cols + c];
    // Only the final rounding to float remains.
    EXPECT_NEAR(y[r], sum, std::abs(sum) * 1e-7) << r;
  }
}

// A float32 accumulator would drop every +1 added to 2^24.
TEST(ReduceTest, SumAccumulatesInDoublePrecision) {
  const std::vector<float> x = {16777216.0f, 1, 1, 1, 1};
  for (bool strided : {false, true}) {
    OpTester t(OpCode::kSum);
    if (strided) {
      t.Input<float>({5, 1, 1}, x).Ints("axes", {0});
    } else {
      t.Input<float>({5}, x);
    }
    ASSERT_TRUE(t.Run().ok());
    EXPECT_THAT(t.Output<float>(0), ::testing::ElementsAre(::testing::FloatNear(
                                        16777220.0f, 0.5f)));
  }
  // Kept innermost dim: accumulators per output element.
  OpTester k(OpCode::kMean);
  k.Input<float>({5, 2}, {16777216.0f, 0, 1, 0, 1, 0, 1, 0, 1, 0})
      .Ints("axes", {0});
  ASSERT_TRUE(k.Run().ok());
  EXPECT_THAT(
      k.Output<float>(0),
      ::testing::ElementsAre(::testing::FloatNear(16777220.0f / 5, 0.1f),
                             ::testing::FloatNear(0, 0)));
}

TEST(ReduceTest, MaxAndMinPropagateNan) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (OpCode op : {OpCode::kReduceMax, OpCode::kReduceMin}) {
    OpTester t(op);
    t.Input<float>({2, 3}, {1, nan, 3, 4, 5, 6}).Ints("axes", {1});
    ASSERT_TRUE(t.Run().ok());
    const std::vector<float> y = t.Output<float>(0);
    EXPECT_TRUE(std::isnan(y[0]));
    EXPECT_NEAR(y[1], op == OpCode::kReduceMax ? 6 : 4, 1e-6);
  }
}

TEST(ReduceTest, Int32AllOps) {
  const Shape shape = {2, 3, 2};
  const std::vector<int32_t> x = {1, -2, 3, 4, -5, 6, 7, 8, -9, 10, 11, -12};
  struct Case {
    OpCode op;
    std::vector<int32_t> expected;  // over axis 1
  };
  const Case cases[] = {
      {OpCode::kSum, {-1, 8, 9, 6}},
      {OpCode::kReduceMax, {3, 6, 11, 10}},
      {OpCode::kReduceMin, {-5, -2, -9, -12}},
      {OpCode::kReduceProd, {-15, -48, -693, -960}},
  };
  for (const Case& c : cases) {
    OpTester t(c.op);
    t.Input<int32_t>(shape, x).Const<int32_t>({1}, {1});
    ASSERT_TRUE(t.Run().ok()) << OpName(c.op);
    EXPECT_EQ(t.OutputDType(0), DType::kInt32);
    EXPECT_EQ(t.OutputShape(0), Shape({2, 2}));
    EXPECT_EQ(t.Output<int32_t>(0), c.expected) << OpName(c.op);
  }
}

TEST(ReduceTest, Int64BeyondInt32Range) {
  const int64_t big = int64_t{1} << 40;
  OpTester s(OpCode::kSum);
  s.Input<int64_t>({3}, {big, big, -1});
  ASSERT_TRUE(s.Run().ok());
  EXPECT_EQ(s.OutputDType(0), DType::kInt64);
  EXPECT_EQ(s.Output<int64_t>(0), std::vector<int64_t>{2 * big - 1});

  OpTester m(OpCode::kReduceMin);
  m.Input<int64_t>({2, 2}, {big, -big, 3, 4}).Ints("axes", {0});
  ASSERT_TRUE(m.Run().ok());
  EXPECT_EQ(m.Output<int64_t>(0), (std::vector<int64_t>{3, -big}));

  OpTester p(OpCode::kReduceProd);
  p.Input<int64_t>({2}, {big, -3});
  ASSERT_TRUE(p.Run().ok());
  EXPECT_EQ(p.Output<int64_t>(0), std::vector<int64_t>{-3 * big});
}

TEST(ReduceTest, Int32SumWrapsAround) {
  OpTester t(OpCode::kSum);
  t.Input<int32_t>({2}, {std::numeric_limits<int32_t>::max(), 1});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.Output<int32_t>(0),
            std::vector<int32_t>{std::numeric_limits<int32_t>::min()});
}

TEST(ReduceTest, ZeroSizeReducedDim) {
  const Shape shape = {2, 0, 3};
  OpTester s(OpCode::kSum);
  s.Input<float>(shape, {}).Ints("axes", {1});
  ASSERT_TRUE(s.Run().ok());
  EXPECT_EQ(s.OutputShape(0), Shape({2, 3}));
  EXPECT_THAT(s.Output<float>(0), ::testing::Each(::testing::FloatNear(0, 0)));

  OpTester p(OpCode::kReduceProd);
  p.Input<int32_t>(shape, {}).Ints("axes", {1}).Int("keepdims", 1);
  ASSERT_TRUE(p.Run().ok());
  EXPECT_EQ(p.OutputShape(0), Shape({2, 1, 3}));
  EXPECT_EQ(p.Output<int32_t>(0), std::vector<int32_t>(6, 1));

  OpTester m(OpCode::kMean);
  m.Input<float>(shape, {}).Ints("axes", {1});
  ASSERT_TRUE(m.Run().ok());
  const std::vector<float> y = m.Output<float>(0);
  ASSERT_EQ(y.size(), 6u);
  for (float v : y) EXPECT_TRUE(std::isnan(v));

  for (OpCode op : {OpCode::kReduceMax, OpCode::kReduceMin}) {
    OpTester e(op);
    e.Input<float>(shape, {}).Ints("axes", {1});
    EXPECT_EQ(e.Run().code(), absl::StatusCode::kInvalidArgument) << OpName(op);
  }
}

TEST(ReduceTest, ZeroSizeKeptDimGivesEmptyOutput) {
  // Reducing the non-empty dims of an empty tensor: nothing to compute, even
  // for max.
  OpTester t(OpCode::kReduceMax);
  t.Input<float>({2, 0, 3}, {}).Ints("axes", {0, 2});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({0}));
}

TEST(ReduceTest, RejectsDuplicateAxes) {
  OpTester t(OpCode::kSum);
  t.Input<float>({2, 3, 4}, std::vector<float>(24)).Ints("axes", {1, -2});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReduceTest, RejectsAxisOutOfRange) {
  for (int64_t axis : {3, -4}) {
    OpTester t(OpCode::kReduceMin);
    t.Input<float>({2, 3, 4}, std::vector<float>(24)).Ints("axes", {axis});
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument) << axis;
  }
}

TEST(ReduceTest, RejectsIntegerMean) {
  OpTester t(OpCode::kMean);
  t.Input<int32_t>({2}, {1, 2});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReduceTest, RejectsBoolInput) {
  OpTester t(OpCode::kSum);
  t.Input<bool>({2}, {true, false});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReduceTest, RejectsFloatAxes) {
  OpTester t(OpCode::kSum);
  t.Input<float>({2}, {1, 2}).Const<float>({1}, {0});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReduceTest, RuntimeAxesAreUnimplemented) {
  OpTester t(OpCode::kSum);
  t.Input<float>({2}, {1, 2}).Input<int32_t>({1}, {0});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace attune
