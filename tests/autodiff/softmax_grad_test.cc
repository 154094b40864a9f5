// Finite-difference checks of the cross-entropy rules
// (autodiff/rules/softmax.cc). Only the loss output is weighted
// (probe_outputs): a gradient into the backprop output is unsupported.
// eps 1e-3, atol 1e-3, rtol 1e-2.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/autodiff/grad_check.h"
#include "tests/autodiff/grad_test_util.h"

namespace attune::testing {
namespace {

GradCheckOptions LossOnly() {
  GradCheckOptions options = Tolerances(1e-3, 1e-3, 1e-2);
  options.num_outputs = 2;
  options.probe_outputs = {true, false};
  return options;
}

TEST(SoftmaxGradTest, SoftmaxCrossEntropyWithProbabilityLabels) {
  // Rows of random positive weights normalized to sum to 1.
  std::vector<float> labels = RandomValues(4 * 5, 0.1f, 1.0f, 2);
  for (int r = 0; r < 4; ++r) {
    float total = 0;
    for (int c = 0; c < 5; ++c) total += labels[r * 5 + c];
    for (int c = 0; c < 5; ++c) labels[r * 5 + c] /= total;
  }
  absl::Status s = CheckGradients(
      OpCode::kSoftmaxCrossEntropy,
      {Var({4, 5}, 1, -3, 3), FloatConst({4, 5}, labels)}, {}, LossOnly());
  EXPECT_TRUE(s.ok()) << s;
}

TEST(SoftmaxGradTest, SoftmaxCrossEntropyWithOneHotLabels) {
  std::vector<float> labels(3 * 4, 0.0f);
  labels[0 * 4 + 1] = labels[1 * 4 + 3] = labels[2 * 4 + 0] = 1.0f;
  absl::Status s = CheckGradients(
      OpCode::kSoftmaxCrossEntropy,
      {Var({3, 4}, 3, -2, 2), FloatConst({3, 4}, labels)}, {}, LossOnly());
  EXPECT_TRUE(s.ok()) << s;
}

TEST(SoftmaxGradTest, SparseSoftmaxCrossEntropyLossOnly) {
  absl::Status s = CheckGradients(
      OpCode::kSparseSoftmaxCrossEntropy,
      {Var({4, 3}, 4, -3, 3), IntConst({4}, {0, 2, 1, 2}, DType::kInt64)}, {},
      LossOnly());
  EXPECT_TRUE(s.ok()) << s;
}

TEST(SoftmaxGradTest, WeightingTheBackpropOutputIsUnimplemented) {
  GradCheckOptions options = LossOnly();
  options.probe_outputs = {true, true};
  absl::Status s =
      CheckGradients(OpCode::kSparseSoftmaxCrossEntropy,
                     {Var({2, 3}, 5), IntConst({2}, {0, 2})}, {}, options);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("backprop"));
}

TEST(SoftmaxGradTest, NoWeightedOutputIsRejected) {
  GradCheckOptions options = LossOnly();
  options.probe_outputs = {false, false};
  absl::Status s =
      CheckGradients(OpCode::kSparseSoftmaxCrossEntropy,
                     {Var({2, 3}, 6), IntConst({2}, {0, 2})}, {}, options);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune::testing
