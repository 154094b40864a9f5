#include <algorithm>
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
using ::testing::ElementsAreArray;

template <typename T = int32_t>
std::vector<T> Iota(int n) {
  std::vector<T> v(n);
  for (int i = 0; i < n; ++i) v[i] = static_cast<T>(i);
  return v;
}

struct Spec {
  std::vector<int64_t> begin, end, strides;
  int64_t begin_mask = 0, end_mask = 0, ellipsis_mask = 0, new_axis_mask = 0,
          shrink_axis_mask = 0;
};

OpTester& Apply(OpTester& t, const Spec& s) {
  t.Ints("begin", s.begin).Ints("end", s.end).Ints("strides", s.strides);
  t.Int("begin_mask", s.begin_mask).Int("end_mask", s.end_mask);
  t.Int("ellipsis_mask", s.ellipsis_mask).Int("new_axis_mask", s.new_axis_mask);
  t.Int("shrink_axis_mask", s.shrink_axis_mask);
  return t;
}

TEST(StridedSliceTest, FirstEntryOfAShapeVector) {
  // The shape -> strided_slice pattern of TFLite graphs, inputs as tensors.
  OpTester t(OpCode::kStridedSlice);
  t.Input<int32_t>({3}, {5, 28, 28})
      .Const<int32_t>({1}, {0})
      .Const<int32_t>({1}, {1})
      .Const<int32_t>({1}, {1});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({1}));
  EXPECT_THAT(t.Output<int32_t>(0), ElementsAre(5));
}

TEST(StridedSliceTest, ReverseWithMasks) {  // x[::-1]
  OpTester t(OpCode::kStridedSlice);
  t.Input<int32_t>({6}, Iota(6));
  Apply(t, {{0}, {0}, {-1}, 1, 1});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<int32_t>(0), ElementsAre(5, 4, 3, 2, 1, 0));
}

TEST(StridedSliceTest, ShrinkNegativeIndexGivesScalar) {  // x[-1]
  OpTester t(OpCode::kStridedSlice);
  t.Input<float>({3}, {10, 20, 30});
  Apply(t, {{-1}, {0}, {1}, 0, 0, 0, 0, 1});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({}));
  EXPECT_THAT(t.Output<float>(0), ElementsAre(30));
}

TEST(StridedSliceTest, EllipsisThenShrink) {  // x[..., 1]
  OpTester t(OpCode::kStridedSlice);
  t.Input<int32_t>({2, 3, 4}, Iota(24));
  Apply(t, {{0, 1}, {0, 2}, {1, 1}, 0, 0, 1, 0, 2});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({2, 3}));
  EXPECT_THAT(t.Output<int32_t>(0), ElementsAre(1, 5, 9, 13, 17, 21));
}

TEST(StridedSliceTest, NewAxisAndImplicitTrailingDims) {  // x[:, None, 1:3]
  OpTester t(OpCode::kStridedSlice);
  t.Input<int64_t>({2, 3, 4}, Iota<int64_t>(24));
  Apply(t, {{0, 0, 1}, {0, 0, 3}, {1, 1, 1}, 1, 1, 0, 2, 0});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({2, 1, 2, 4}));
  EXPECT_THAT(t.Output<int64_t>(0), ElementsAre(4, 5, 6, 7, 8, 9, 10, 11, 16,
                                                17, 18, 19, 20, 21, 22, 23));
}

TEST(StridedSliceTest, ShrinkEllipsisNewAxis) {  // x[0, ..., None]
  OpTester t(OpCode::kStridedSlice);
  t.Input<int32_t>({2, 3, 4}, Iota(24));
  Apply(t, {{0, 0, 0}, {1, 0, 0}, {1, 1, 1}, 0, 0, 2, 4, 1});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({3, 4, 1}));
  EXPECT_THAT(t.Output<int32_t>(0), ElementsAreArray(Iota(12)));
}

TEST(StridedSliceTest, NegativeStridesClampAndMix) {
  OpTester a(OpCode::kStridedSlice);  // range(10)[100:-100:-3]
  a.Input<int32_t>({10}, Iota(10));
  Apply(a, {{100}, {-100}, {-3}});
  ASSERT_TRUE(a.Run().ok());
  EXPECT_THAT(a.Output<int32_t>(0), ElementsAre(9, 6, 3, 0));

  OpTester b(OpCode::kStridedSlice);  // y[1:-1:2, ::-2] on [5, 4]
  b.Input<uint8_t>({5, 4}, Iota<uint8_t>(20));
  Apply(b, {{1, 0}, {-1, 0}, {2, -2}, 2, 2});
  ASSERT_TRUE(b.Run().ok());
  EXPECT_EQ(b.OutputShape(0), Shape({2, 2}));
  EXPECT_THAT(b.Output<uint8_t>(0), ElementsAre(7, 5, 15, 13));

  OpTester c(OpCode::kStridedSlice);  // range(7)[:-8:-1]
  c.Input<int32_t>({7}, Iota(7));
  Apply(c, {{0}, {-8}, {-1}, 1});
  ASSERT_TRUE(c.Run().ok());
  EXPECT_THAT(c.Output<int32_t>(0), ElementsAre(6, 5, 4, 3, 2, 1, 0));
}

TEST(StridedSliceTest, EmptyResultAndZeroSizeInput) {
  OpTester a(OpCode::kStridedSlice);
  a.Input<float>({4}, {1, 2, 3, 4});
  Apply(a, {{3}, {1}, {1}});
  ASSERT_TRUE(a.Run().ok());
  EXPECT_EQ(a.OutputShape(0), Shape({0}));

  OpTester b(OpCode::kStridedSlice);
  b.Input<bool>({0, 3}, {});
  Apply(b, {{0, 1}, {0, 3}, {1, 1}, 1, 1});
  ASSERT_TRUE(b.Run().ok());
  EXPECT_EQ(b.OutputShape(0), Shape({0, 2}));
}

TEST(StridedSliceTest, NewAxisOnScalar) {
  OpTester t(OpCode::kStridedSlice);
  t.Input<float>({}, {3});
  Apply(t, {{0}, {0}, {1}, 0, 0, 0, 1, 0});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({1}));
  EXPECT_THAT(t.Output<float>(0), ElementsAre(3));
}

TEST(StridedSliceTest, ErrorsAreInvalidArgument) {
  const std::vector<Spec> bad = {
      {{5}, {6}, {1}, 0, 0, 0, 0, 1},     // shrink index out of range
      {{-4}, {0}, {1}, 0, 0, 0, 0, 1},    // shrink index out of range
      {{0}, {3}, {0}},                    // zero stride
      {{0, 0}, {0, 0}, {1, 1}, 0, 0, 3},  // two ellipses
      {{0, 0, 0}, {1, 1, 1}, {1, 1, 1}},  // more dims than x has
      {{0, 0}, {1}, {1, 1}},              // length mismatch
  };
  for (const Spec& spec : bad) {
    OpTester t(OpCode::kStridedSlice);
    t.Input<float>({3, 2}, std::vector<float>(6));
    Apply(t, spec);
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument)
        << ShapeToString(spec.begin);
  }
}

// Python-slice reference: positions visited along one dim.
std::vector<int64_t> Positions(int64_t n, int64_t b, int64_t e, int64_t s,
                               bool begin_masked, bool end_masked) {
  int64_t start, stop;
  if (s > 0) {
    start = begin_masked ? 0
                         : (b < 0 ? std::max<int64_t>(b + n, 0)
                                  : std::min<int64_t>(b, n));
    stop = end_masked ? n
                      : (e < 0 ? std::max<int64_t>(e + n, 0)
                               : std::min<int64_t>(e, n));
  } else {
    start = begin_masked ? n - 1
                         : (b < 0 ? std::max<int64_t>(b + n, -1)
                                  : std::min<int64_t>(b, n - 1));
    stop = end_masked ? -1
                      : (e < 0 ? std::max<int64_t>(e + n, -1)
                               : std::min<int64_t>(e, n - 1));
  }
  std::vector<int64_t> out;
  for (int64_t i = start; s > 0 ? i < stop : i > stop; i += s) out.push_back(i);
  return out;
}

template <typename T>
void CheckRandom(std::mt19937& rng, int trials) {
  auto uniform = [&rng](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (int trial = 0; trial < trials; ++trial) {
    const int rank = static_cast<int>(uniform(1, 4));
    Shape shape;
    Spec spec;
    std::vector<std::vector<int64_t>> positions;
    Shape out_shape;
    for (int d = 0; d < rank; ++d) {
      const int64_t n = uniform(0, 6);
      shape.push_back(n);
      int64_t s = uniform(1, 3) * (uniform(0, 1) ? 1 : -1);
      int64_t b = uniform(-8, 8), e = uniform(-8, 8);
      const bool shrink = n > 0 && uniform(0, 4) == 0;
      if (shrink) {
        b = uniform(-n, n - 1);
        s = 1;
        spec.shrink_axis_mask |= int64_t{1} << d;
        positions.push_back({b < 0 ? b + n : b});
      } else {
        const bool bm = uniform(0, 3) == 0, em = uniform(0, 3) == 0;
        if (bm) spec.begin_mask |= int64_t{1} << d;
        if (em) spec.end_mask |= int64_t{1} << d;
        positions.push_back(Positions(n, b, e, s, bm, em));
        out_shape.push_back(static_cast<int64_t>(positions.back().size()));
      }
      spec.begin.push_back(b);
      spec.end.push_back(e);
      spec.strides.push_back(s);
    }
    std::vector<T> x;
    for (int64_t i = 0; i < NumElements(shape); ++i) {
      x.push_back(static_cast<T>(uniform(0, 120)));
    }
    // Expected: every combination of positions, last dim fastest.
    std::vector<T> expected;
    int64_t total = 1;
    for (const auto& p : positions) total *= static_cast<int64_t>(p.size());
    for (int64_t flat = 0; flat < total; ++flat) {
      int64_t rem = flat, offset = 0, scale = 1;
      for (int d = rank - 1; d >= 0; --d) {
        const int64_t count = static_cast<int64_t>(positions[d].size());
        offset += positions[d][rem % count] * scale;
        rem /= count;
        scale *= shape[d];
      }
      expected.push_back(x[offset]);
    }
    OpTester t(OpCode::kStridedSlice);
    t.Input<T>(shape, x);
    Apply(t, spec);
    ASSERT_TRUE(t.Run().ok()) << ShapeToString(shape);
    EXPECT_EQ(t.OutputShape(0), out_shape) << ShapeToString(shape);
    EXPECT_EQ(t.Output<T>(0), expected)
        << ShapeToString(shape) << " begin " << ShapeToString(spec.begin)
        << " end " << ShapeToString(spec.end) << " strides "
        << ShapeToString(spec.strides) << " masks " << spec.begin_mask << "/"
        << spec.end_mask << "/" << spec.shrink_axis_mask;
  }
}

TEST(StridedSliceTest, RandomSpecsAllDTypesMatchPythonSlicing) {
  std::mt19937 rng(2024);
  CheckRandom<float>(rng, 150);
  CheckRandom<int32_t>(rng, 40);
  CheckRandom<int64_t>(rng, 40);
  CheckRandom<bool>(rng, 40);
  CheckRandom<uint8_t>(rng, 40);
}

}  // namespace
}  // namespace attune
