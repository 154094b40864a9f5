#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/engine/elementwise_reference.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::Count;
using ::attune::testing::OpTester;
using ::attune::testing::ReferenceBinary;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

struct CompareOp {
  OpCode op;
  bool (*fn)(double, double);
};

const CompareOp kCompareOps[] = {
    {OpCode::kEqual, [](double a, double b) { return a == b; }},
    {OpCode::kNotEqual, [](double a, double b) { return a != b; }},
    {OpCode::kLess, [](double a, double b) { return a < b; }},
    {OpCode::kLessEqual, [](double a, double b) { return a <= b; }},
    {OpCode::kGreater, [](double a, double b) { return a > b; }},
    {OpCode::kGreaterEqual, [](double a, double b) { return a >= b; }},
};

struct ShapeCase {
  Shape a, b, out;
};

const ShapeCase kShapes[] = {
    {{2, 3}, {3}, {2, 3}},
    {{2, 1, 4}, {3, 1}, {2, 3, 4}},
    {{}, {5}, {5}},
    {{1}, {0}, {0}},
    {{3, 0}, {1, 1}, {3, 0}},
    {{4, 4}, {4, 4}, {4, 4}},
    {{2, 1, 3, 1, 2}, {4, 1, 5, 1}, {2, 4, 3, 5, 2}},
};

// Small integers so that equal elements are common.
template <typename T>
std::vector<T> SmallValues(int64_t n, int seed) {
  std::vector<T> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<T>((i * 7 + seed) % 5) - 2;
  return v;
}

template <typename T>
void CheckAllComparisons(const ShapeCase& c) {
  const std::vector<T> a = SmallValues<T>(Count(c.a), 1);
  const std::vector<T> b = SmallValues<T>(Count(c.b), 3);
  for (const CompareOp& op : kCompareOps) {
    SCOPED_TRACE(OpName(op.op));
    OpTester t(op.op);
    t.template Input<T>(c.a, a).template Input<T>(c.b, b);
    ASSERT_TRUE(t.Run().ok());
    EXPECT_EQ(t.OutputDType(0), DType::kBool);
    EXPECT_EQ(t.OutputShape(0), c.out);
    const std::vector<bool> expected =
        ReferenceBinary<bool>(c.out, c.a, a, c.b, b, [&op](T x, T y) {
          return op.fn(static_cast<double>(x), static_cast<double>(y));
        });
    EXPECT_THAT(t.Output<bool>(0), ElementsAreArray(expected));
  }
}

class ComparisonBroadcastTest : public ::testing::TestWithParam<ShapeCase> {};

TEST_P(ComparisonBroadcastTest, Float32) {
  CheckAllComparisons<float>(GetParam());
}
TEST_P(ComparisonBroadcastTest, Int32) {
  CheckAllComparisons<int32_t>(GetParam());
}
TEST_P(ComparisonBroadcastTest, Int64) {
  CheckAllComparisons<int64_t>(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Shapes, ComparisonBroadcastTest,
                         ::testing::ValuesIn(kShapes));

TEST(ComparisonTest, Goldens) {
  OpTester less(OpCode::kLess);
  less.Input<float>({2, 2}, {1, 5, -3, 2}).Input<float>({2}, {2, 2});
  ASSERT_TRUE(less.Run().ok());
  EXPECT_THAT(less.Output<bool>(0), ElementsAre(true, false, true, false));
  OpTester ge(OpCode::kGreaterEqual);
  ge.Input<int64_t>({3}, {int64_t{1} << 40, 0, -1}).Input<int64_t>({}, {0});
  ASSERT_TRUE(ge.Run().ok());
  EXPECT_THAT(ge.Output<bool>(0), ElementsAre(true, true, false));
}

TEST(ComparisonTest, OutputBytesAreZeroOrOne) {
  OpTester t(OpCode::kGreater);
  t.Input<int32_t>({4}, {5, 1, 9, -2}).Input<int32_t>({4}, {1, 5, -9, -3});
  ASSERT_TRUE(t.Run().ok());
  const uint8_t* bytes = t.output(0).data_as<uint8_t>();
  EXPECT_THAT(std::vector<uint8_t>(bytes, bytes + 4), ElementsAre(1, 0, 1, 1));
}

TEST(ComparisonTest, NaNComparesUnequal) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const CompareOp& op : kCompareOps) {
    OpTester t(op.op);
    t.Input<float>({2}, {nan, nan}).Input<float>({2}, {nan, 1});
    ASSERT_TRUE(t.Run().ok());
    const bool want = op.op == OpCode::kNotEqual;
    EXPECT_THAT(t.Output<bool>(0), ElementsAre(want, want)) << OpName(op.op);
  }
}

TEST(ComparisonTest, EqualAndNotEqualOnBool) {
  OpTester eq(OpCode::kEqual);
  eq.Input<bool>({2, 2}, {true, false, true, false})
      .Input<bool>({2}, {true, true});
  ASSERT_TRUE(eq.Run().ok());
  EXPECT_THAT(eq.Output<bool>(0), ElementsAre(true, false, true, false));
  OpTester ne(OpCode::kNotEqual);
  ne.Input<bool>({2, 1}, {true, false}).Input<bool>({3}, {true, false, true});
  ASSERT_TRUE(ne.Run().ok());
  EXPECT_EQ(ne.OutputShape(0), Shape({2, 3}));
  EXPECT_THAT(ne.Output<bool>(0),
              ElementsAre(false, true, false, true, false, true));
}

TEST(ComparisonTest, LargeThreaded) {
  const int64_t rows = 400, cols = 300;
  std::vector<float> a(rows * cols), b(cols);
  for (int64_t i = 0; i < rows * cols; ++i) a[i] = static_cast<float>(i % 17);
  for (int64_t j = 0; j < cols; ++j) b[j] = static_cast<float>(j % 13);
  OpTester t(OpCode::kLessEqual);
  t.Input<float>({rows, cols}, a).Input<float>({cols}, b).Threads(3);
  ASSERT_TRUE(t.Run().ok());
  const std::vector<bool> out = t.Output<bool>(0);
  for (int64_t i = 0; i < rows * cols; ++i) {
    ASSERT_EQ(out[i], a[i] <= b[i % cols]) << i;
  }
}

// ---- Logical ops.

TEST(LogicalTest, AndOrBroadcast) {
  const std::vector<bool> a = {true, false, true, false, true, true};
  const std::vector<bool> b = {true, false, true};
  OpTester land(OpCode::kLogicalAnd);
  land.Input<bool>({2, 3}, a).Input<bool>({3}, b);
  ASSERT_TRUE(land.Run().ok());
  EXPECT_EQ(land.OutputDType(0), DType::kBool);
  EXPECT_THAT(land.Output<bool>(0),
              ElementsAre(true, false, true, false, false, true));
  OpTester lor(OpCode::kLogicalOr);
  lor.Input<bool>({2, 3}, a).Input<bool>({3}, b);
  ASSERT_TRUE(lor.Run().ok());
  EXPECT_THAT(lor.Output<bool>(0),
              ElementsAre(true, false, true, true, true, true));
}

TEST(LogicalTest, AndOrRank5AgainstReference) {
  const ShapeCase c = {{2, 1, 3, 1, 2}, {4, 1, 5, 1}, {2, 4, 3, 5, 2}};
  std::vector<bool> a(Count(c.a)), b(Count(c.b));
  for (size_t i = 0; i < a.size(); ++i) a[i] = (i * 5) % 3 == 0;
  for (size_t i = 0; i < b.size(); ++i) b[i] = (i * 7) % 4 < 2;
  for (OpCode op : {OpCode::kLogicalAnd, OpCode::kLogicalOr}) {
    OpTester t(op);
    t.Input<bool>(c.a, a).Input<bool>(c.b, b);
    ASSERT_TRUE(t.Run().ok());
    EXPECT_EQ(t.OutputShape(0), c.out);
    const std::vector<bool> expected =
        ReferenceBinary<bool>(c.out, c.a, a, c.b, b, [op](bool x, bool y) {
          return op == OpCode::kLogicalAnd ? (x && y) : (x || y);
        });
    EXPECT_THAT(t.Output<bool>(0), ElementsAreArray(expected)) << OpName(op);
  }
}

TEST(LogicalTest, Not) {
  OpTester t(OpCode::kLogicalNot);
  t.Input<bool>({2, 2}, {true, false, false, true});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({2, 2}));
  EXPECT_THAT(t.Output<bool>(0), ElementsAre(false, true, true, false));
  OpTester empty(OpCode::kLogicalNot);
  empty.Input<bool>({0, 3}, {});
  ASSERT_TRUE(empty.Run().ok());
  EXPECT_EQ(empty.OutputShape(0), Shape({0, 3}));
}

// ---- Errors.

TEST(ComparisonTest, IncompatibleShapesAreInvalidArgument) {
  OpTester t(OpCode::kEqual);
  t.Input<float>({2, 3}, std::vector<float>(6)).Input<float>({2}, {0, 0});
  const absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("equal node #0"));
}

TEST(ComparisonTest, MixedDTypesAreInvalidArgument) {
  OpTester t(OpCode::kLess);
  t.Input<float>({1}, {1}).Input<int64_t>({1}, {1});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ComparisonTest, OrderingOnBoolIsInvalidArgument) {
  OpTester t(OpCode::kGreater);
  t.Input<bool>({1}, {true}).Input<bool>({1}, {false});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LogicalTest, NonBoolInputIsInvalidArgument) {
  OpTester land(OpCode::kLogicalAnd);
  land.Input<float>({1}, {1}).Input<float>({1}, {0});
  EXPECT_EQ(land.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester lnot(OpCode::kLogicalNot);
  lnot.Input<int32_t>({1}, {1});
  EXPECT_EQ(lnot.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester lor(OpCode::kLogicalOr);
  lor.Input<bool>({1}, {true}).Input<uint8_t>({1}, {1});
  EXPECT_EQ(lor.Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
