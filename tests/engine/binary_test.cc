#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "builder/model_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signatures/execution_plan.h"
#include "tests/engine/elementwise_reference.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::BroadcastSource;
using ::attune::testing::Count;
using ::attune::testing::OpTester;
using ::attune::testing::RandomValues;
using ::attune::testing::ReferenceBinary;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

// float32 results of one or two roundings of double-precision math.
constexpr double kRelTol = 1e-6;

void ExpectNear(const std::vector<float>& actual,
                const std::vector<double>& expected, double rel_tol = kRelTol) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(actual[i])) << "element " << i;
      continue;
    }
    EXPECT_NEAR(actual[i], expected[i],
                rel_tol * (1.0 + std::fabs(expected[i])))
        << "element " << i;
  }
}

// ---- Hand goldens.

TEST(BinaryTest, AddRowVectorOverMatrix) {
  OpTester t(OpCode::kAdd);
  t.Input<float>({2, 3}, {1, 2, 3, 4, 5, 6}).Input<float>({3}, {10, 20, 30});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({2, 3}));
  EXPECT_EQ(t.OutputDType(0), DType::kFloat32);
  ExpectNear(t.Output<float>(0), {11, 22, 33, 14, 25, 36});
}

TEST(BinaryTest, SubColumnBroadcastInt32) {
  OpTester t(OpCode::kSub);
  t.Input<int32_t>({2, 1}, {100, 200})
      .Input<int32_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<int32_t>(0), ElementsAre(99, 98, 97, 196, 195, 194));
}

TEST(BinaryTest, MulScalarInt64) {
  OpTester t(OpCode::kMul);
  t.Input<int64_t>({}, {int64_t{3000000000}}).Input<int64_t>({3}, {1, -2, 3});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({3}));
  EXPECT_THAT(t.Output<int64_t>(0),
              ElementsAre(3000000000, -6000000000, 9000000000));
}

TEST(BinaryTest, IntegerDivTruncatesTowardZero) {
  OpTester t(OpCode::kDiv);
  t.Input<int32_t>({6}, {7, -7, 7, -7, 0, std::numeric_limits<int32_t>::min()})
      .Input<int32_t>({6}, {2, 2, -2, -2, 5, -1});
  ASSERT_TRUE(t.Run().ok());
  // min / -1 overflows int32; the kernel wraps to min.
  EXPECT_THAT(
      t.Output<int32_t>(0),
      ElementsAre(3, -3, -3, 3, 0, std::numeric_limits<int32_t>::min()));
}

TEST(BinaryTest, Int64DivTruncatesTowardZero) {
  OpTester t(OpCode::kDiv);
  t.Input<int64_t>({4}, {-9, 9, -1, 10000000000}).Input<int64_t>({}, {4});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<int64_t>(0), ElementsAre(-2, 2, 0, 2500000000));
}

TEST(BinaryTest, FloatDivByZeroIsInf) {
  OpTester t(OpCode::kDiv);
  t.Input<float>({2}, {1, -1}).Input<float>({2}, {0, 0});
  ASSERT_TRUE(t.Run().ok());
  const std::vector<float> out = t.Output<float>(0);
  EXPECT_TRUE(std::isinf(out[0]) && out[0] > 0);
  EXPECT_TRUE(std::isinf(out[1]) && out[1] < 0);
}

TEST(BinaryTest, IntegerAddWrapsOnOverflow) {
  OpTester t(OpCode::kAdd);
  t.Input<int32_t>({1}, {std::numeric_limits<int32_t>::max()})
      .Input<int32_t>({1}, {1});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<int32_t>(0),
              ElementsAre(std::numeric_limits<int32_t>::min()));
}

TEST(BinaryTest, MaximumMinimumPropagateNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (OpCode op : {OpCode::kMaximum, OpCode::kMinimum}) {
    OpTester t(op);
    t.Input<float>({4}, {1, nan, 3, -2}).Input<float>({4}, {2, 0, nan, -5});
    ASSERT_TRUE(t.Run().ok());
    const std::vector<float> out = t.Output<float>(0);
    EXPECT_TRUE(std::isnan(out[1]));
    EXPECT_TRUE(std::isnan(out[2]));
    if (op == OpCode::kMaximum) {
      EXPECT_FLOAT_EQ(out[0], 2.0f);
      EXPECT_FLOAT_EQ(out[3], -2.0f);
    } else {
      EXPECT_FLOAT_EQ(out[0], 1.0f);
      EXPECT_FLOAT_EQ(out[3], -5.0f);
    }
  }
}

TEST(BinaryTest, MaximumMinimumIntegers) {
  OpTester max(OpCode::kMaximum);
  max.Input<int64_t>({2, 2}, {1, -5, 7, 0}).Input<int64_t>({2}, {3, -6});
  ASSERT_TRUE(max.Run().ok());
  EXPECT_THAT(max.Output<int64_t>(0), ElementsAre(3, -5, 7, 0));
  OpTester min(OpCode::kMinimum);
  min.Input<int32_t>({2, 2}, {1, -5, 7, 0}).Input<int32_t>({2}, {3, -6});
  ASSERT_TRUE(min.Run().ok());
  EXPECT_THAT(min.Output<int32_t>(0), ElementsAre(1, -6, 3, -6));
}

TEST(BinaryTest, PowInt32) {
  OpTester t(OpCode::kPow);
  t.Input<int32_t>({5}, {2, -3, 0, 7, -1})
      .Input<int32_t>({5}, {10, 3, 0, 1, 5});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<int32_t>(0), ElementsAre(1024, -27, 1, 7, -1));
}

TEST(BinaryTest, PowFloat) {
  OpTester t(OpCode::kPow);
  t.Input<float>({4}, {2, 9, -2, 0.5f}).Input<float>({4}, {0.5f, 0.5f, 3, -2});
  ASSERT_TRUE(t.Run().ok());
  ExpectNear(t.Output<float>(0), {std::sqrt(2.0), 3.0, -8.0, 4.0});
}

TEST(BinaryTest, SquaredDifference) {
  OpTester t(OpCode::kSquaredDifference);
  t.Input<float>({2, 2}, {1, 2, 3, 4}).Input<float>({2, 1}, {3, -1});
  ASSERT_TRUE(t.Run().ok());
  ExpectNear(t.Output<float>(0), {4, 1, 16, 25});
}

// A mul of two constants folds at prepare time (Eval runs inside Prepare on
// static inputs); its result then feeds an add that runs at Invoke.
// (OpTester cannot check folding alone: a folded signature output crashes
// ExecutionPlan::PlanMemory, reported separately.)
TEST(BinaryTest, ConstantInputsFoldAtPrepare) {
  ModelBuilder builder("fold");
  const std::vector<float> c0 = {1.5f, -2};
  const std::vector<float> c1 = {2, 4};
  const int a = builder.Constant<float>("c0", {2}, absl::MakeConstSpan(c0));
  const int b = builder.Constant<float>("c1", {2, 1}, absl::MakeConstSpan(c1));
  const int x = builder.Input("x", DType::kFloat32, {2, 2});
  const int product = builder.Op1(OpCode::kMul, {a, b});
  const int sum = builder.Op1(OpCode::kAdd, {product, x});
  builder.AddSignature("run", {{"x", x}}, {{"y", sum}});
  absl::StatusOr<std::shared_ptr<const Model>> model = builder.BuildModel();
  ASSERT_TRUE(model.ok()) << model.status();
  absl::StatusOr<std::unique_ptr<ExecutionPlan>> plan =
      ExecutionPlan::Create(*model, 0, PlanOptions());
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_TRUE((*plan)->AllocateTensors().ok());
  EXPECT_EQ((*plan)->num_folded(), 1);
  EXPECT_EQ((*plan)->num_steps(), 1);
  const float xs[] = {10, 20, 30, 40};
  std::memcpy((*plan)->input(0)->data, xs, sizeof(xs));
  ASSERT_TRUE((*plan)->Invoke().ok());
  const float* y = (*plan)->output(0)->data_as<float>();
  ExpectNear(std::vector<float>(y, y + 4), {13, 16, 36, 32});
}

// ---- Fused activations (float add/sub/mul/div).

TEST(BinaryTest, FusedActivations) {
  struct Case {
    OpCode op;
    const char* activation;
    std::vector<double> expected;
  };
  // a = {-4, -1, 2, 8}, b = {2, 1, 1, -1}.
  const std::vector<Case> cases = {
      {OpCode::kAdd, "relu", {0, 0, 3, 7}},
      {OpCode::kSub, "relu6", {0, 0, 1, 6}},
      {OpCode::kMul,
       "sigmoid",
       {1 / (1 + std::exp(8.0)), 1 / (1 + std::exp(1.0)),
        1 / (1 + std::exp(-2.0)), 1 / (1 + std::exp(8.0))}},
      {OpCode::kDiv,
       "tanh",
       {std::tanh(-2.0), std::tanh(-1.0), std::tanh(2.0), std::tanh(-8.0)}},
      {OpCode::kAdd, "none", {-2, 0, 3, 7}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.activation);
    OpTester t(c.op);
    t.Input<float>({4}, {-4, -1, 2, 8}).Input<float>({4}, {2, 1, 1, -1});
    t.String("activation", c.activation);
    ASSERT_TRUE(t.Run().ok());
    ExpectNear(t.Output<float>(0), c.expected);
  }
}

TEST(BinaryTest, FusedActivationAppliesAcrossBroadcastRows) {
  OpTester t(OpCode::kAdd);
  t.Input<float>({2, 1, 2}, {-1, 1, 5, -5}).Input<float>({3, 1}, {0, 2, 4});
  t.String("activation", "relu");
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({2, 3, 2}));
  ExpectNear(t.Output<float>(0), {0, 1, 1, 3, 3, 5, 5, 0, 7, 0, 9, 0});
}

// ---- Broadcasting against the naive reference, every op and dtype.

struct ShapeCase {
  Shape a, b, out;
};

const ShapeCase kShapeCases[] = {
    {{2, 3}, {3}, {2, 3}},
    {{2, 1, 4}, {3, 1}, {2, 3, 4}},
    {{}, {7}, {7}},
    {{7}, {}, {7}},
    {{}, {}, {}},
    {{1}, {0}, {0}},
    {{2, 0, 3}, {1, 3}, {2, 0, 3}},
    {{4, 5}, {4, 5}, {4, 5}},
    {{3, 1}, {1, 4}, {3, 4}},
    {{3, 1}, {3, 4}, {3, 4}},
    {{1, 1}, {1}, {1, 1}},
    {{2, 3, 4}, {2, 1, 4}, {2, 3, 4}},
    {{2, 1, 3, 1, 2}, {4, 1, 5, 1}, {2, 4, 3, 5, 2}},
    {{1, 2, 1, 2, 1}, {3, 1, 2, 1, 3}, {3, 2, 2, 2, 3}},
};

std::string ShapeCaseName(const ShapeCase& c) {
  return ShapeToString(c.a) + "+" + ShapeToString(c.b);
}

class BinaryBroadcastTest : public ::testing::TestWithParam<ShapeCase> {};

TEST_P(BinaryBroadcastTest, FloatOpsMatchDoubleReference) {
  const ShapeCase& c = GetParam();
  const std::vector<float> a = RandomValues<float>(Count(c.a), 0.5, 3, 1);
  const std::vector<float> b = RandomValues<float>(Count(c.b), -2, 2, 2);
  struct Op {
    OpCode code;
    double (*fn)(double, double);
  };
  const Op ops[] = {
      {OpCode::kAdd, [](double x, double y) { return x + y; }},
      {OpCode::kSub, [](double x, double y) { return x - y; }},
      {OpCode::kMul, [](double x, double y) { return x * y; }},
      {OpCode::kDiv, [](double x, double y) { return x / y; }},
      {OpCode::kMaximum, [](double x, double y) { return std::max(x, y); }},
      {OpCode::kMinimum, [](double x, double y) { return std::min(x, y); }},
      {OpCode::kPow, [](double x, double y) { return std::pow(x, y); }},
      {OpCode::kSquaredDifference,
       [](double x, double y) { return (x - y) * (x - y); }},
  };
  for (const Op& op : ops) {
    SCOPED_TRACE(OpName(op.code));
    OpTester t(op.code);
    t.Input<float>(c.a, a).Input<float>(c.b, b);
    ASSERT_TRUE(t.Run().ok());
    EXPECT_EQ(t.OutputShape(0), c.out);
    // Division by values near zero amplifies float rounding of b.
    const double tol = op.code == OpCode::kDiv ? 1e-5 : kRelTol;
    ExpectNear(t.Output<float>(0),
               ReferenceBinary<double>(c.out, c.a, a, c.b, b, op.fn), tol);
  }
}

template <typename T>
void CheckIntegerOps(const ShapeCase& c) {
  std::vector<T> a(Count(c.a)), b(Count(c.b));
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<T>(i * 7 % 23) - 11;
  for (size_t i = 0; i < b.size(); ++i) {
    b[i] = static_cast<T>(i * 5 % 13) - 6;
    if (b[i] == 0) b[i] = 3;  // keep div defined
  }
  struct Op {
    OpCode code;
    int64_t (*fn)(int64_t, int64_t);
  };
  const Op ops[] = {
      {OpCode::kAdd, [](int64_t x, int64_t y) { return x + y; }},
      {OpCode::kSub, [](int64_t x, int64_t y) { return x - y; }},
      {OpCode::kMul, [](int64_t x, int64_t y) { return x * y; }},
      {OpCode::kDiv,
       [](int64_t x, int64_t y) {
         // Truncation toward zero, spelled out without '/' on negatives.
         const int64_t q = std::llabs(x) / std::llabs(y);
         return (x < 0) != (y < 0) ? -q : q;
       }},
      {OpCode::kMaximum, [](int64_t x, int64_t y) { return std::max(x, y); }},
      {OpCode::kMinimum, [](int64_t x, int64_t y) { return std::min(x, y); }},
  };
  for (const Op& op : ops) {
    SCOPED_TRACE(OpName(op.code));
    OpTester t(op.code);
    t.template Input<T>(c.a, a).template Input<T>(c.b, b);
    ASSERT_TRUE(t.Run().ok());
    EXPECT_EQ(t.OutputShape(0), c.out);
    EXPECT_EQ(t.OutputDType(0), DTypeOf<T>::value);
    const std::vector<int64_t> expected = ReferenceBinary<int64_t>(
        c.out, c.a, std::vector<int64_t>(a.begin(), a.end()), c.b,
        std::vector<int64_t>(b.begin(), b.end()), op.fn);
    const std::vector<T> actual = t.template Output<T>(0);
    EXPECT_THAT(std::vector<int64_t>(actual.begin(), actual.end()),
                ElementsAreArray(expected));
  }
}

TEST_P(BinaryBroadcastTest, Int32OpsMatchReference) {
  CheckIntegerOps<int32_t>(GetParam());
}

TEST_P(BinaryBroadcastTest, Int64OpsMatchReference) {
  CheckIntegerOps<int64_t>(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Shapes, BinaryBroadcastTest,
                         ::testing::ValuesIn(kShapeCases),
                         [](const ::testing::TestParamInfo<ShapeCase>& info) {
                           return "case" + std::to_string(info.index);
                         });

// ---- Large tensors, split over the thread pool.

class BinaryLargeTest
    : public ::testing::TestWithParam<std::tuple<ShapeCase, int>> {};

TEST_P(BinaryLargeTest, MatchesReference) {
  const auto& [c, threads] = GetParam();
  SCOPED_TRACE(ShapeCaseName(c));
  const std::vector<float> a = RandomValues<float>(Count(c.a), -3, 3, 3);
  const std::vector<float> b = RandomValues<float>(Count(c.b), -3, 3, 4);
  OpTester t(OpCode::kSub);
  t.Input<float>(c.a, a).Input<float>(c.b, b).Threads(threads);
  t.String("activation", "relu");
  ASSERT_TRUE(t.Run().ok());
  ExpectNear(
      t.Output<float>(0),
      ReferenceBinary<double>(c.out, c.a, a, c.b, b, [](double x, double y) {
        return std::max(x - y, 0.0);
      }));
}

INSTANTIATE_TEST_SUITE_P(
    Threads, BinaryLargeTest,
    ::testing::Combine(
        ::testing::Values(ShapeCase{{300, 401}, {300, 401}, {300, 401}},
                          ShapeCase{{300, 401}, {401}, {300, 401}},
                          ShapeCase{{}, {70001}, {70001}},
                          ShapeCase{
                              {7, 1, 113, 3}, {97, 1, 3}, {7, 97, 113, 3}},
                          ShapeCase{{1, 100000}, {3, 1}, {3, 100000}}),
        ::testing::Values(1, 3)));

// ---- Errors.

TEST(BinaryTest, IncompatibleShapesAreInvalidArgument) {
  OpTester t(OpCode::kAdd);
  t.Input<float>({2, 3}, std::vector<float>(6))
      .Input<float>({4}, std::vector<float>(4));
  const absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("add node #0"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("[2,3]"));
}

TEST(BinaryTest, MixedDTypesAreInvalidArgument) {
  OpTester t(OpCode::kMul);
  t.Input<float>({2}, {1, 2}).Input<int32_t>({2}, {1, 2});
  const absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("different dtypes"));
}

TEST(BinaryTest, UnsupportedDTypesAreInvalidArgument) {
  {
    OpTester t(OpCode::kAdd);
    t.Input<bool>({2}, {true, false}).Input<bool>({2}, {true, true});
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  }
  {
    OpTester t(OpCode::kPow);
    t.Input<int64_t>({1}, {2}).Input<int64_t>({1}, {2});
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  }
  {
    OpTester t(OpCode::kSquaredDifference);
    t.Input<int32_t>({1}, {2}).Input<int32_t>({1}, {2});
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  }
  {
    OpTester t(OpCode::kSub);
    t.Input<uint8_t>({1}, {2}).Input<uint8_t>({1}, {2});
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(BinaryTest, ActivationOnIntegersIsInvalidArgument) {
  OpTester t(OpCode::kAdd);
  t.Input<int32_t>({1}, {2}).Input<int32_t>({1}, {2}).String("activation",
                                                             "relu");
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BinaryTest, UnknownActivationIsInvalidArgument) {
  OpTester t(OpCode::kAdd);
  t.Input<float>({1}, {2}).Input<float>({1}, {2}).String("activation", "swish");
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BinaryTest, IntegerDivisionByZeroFailsAtInvoke) {
  for (bool int64 : {false, true}) {
    OpTester t(OpCode::kDiv);
    if (int64) {
      t.Input<int64_t>({2, 2}, {1, 2, 3, 4}).Input<int64_t>({2}, {1, 0});
    } else {
      t.Input<int32_t>({2, 2}, {1, 2, 3, 4}).Input<int32_t>({2}, {1, 0});
    }
    // The divisor is a run-time input, so only Invoke can see the zero.
    const absl::Status status = t.Run();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), HasSubstr("div node #0"));
    EXPECT_THAT(std::string(status.message()), HasSubstr("division by zero"));
  }
}

TEST(BinaryTest, IntegerDivisionByConstantZeroFailsWhenFolded) {
  OpTester t(OpCode::kDiv);
  t.Const<int32_t>({2}, {1, 2}).Const<int32_t>({}, {0});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BinaryTest, IntegerDivisionByZeroIntoEmptyOutputIsFine) {
  OpTester t(OpCode::kDiv);
  t.Input<int32_t>({0}, {}).Input<int32_t>({1}, {0});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({0}));
}

TEST(BinaryTest, IntegerPowNegativeExponentFailsAtInvoke) {
  OpTester t(OpCode::kPow);
  t.Input<int32_t>({2}, {2, 3}).Input<int32_t>({2}, {1, -1});
  const absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("negative exponent"));
}

}  // namespace
}  // namespace attune
