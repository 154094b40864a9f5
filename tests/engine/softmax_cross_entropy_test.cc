// softmax_cross_entropy and sparse_softmax_cross_entropy
// (engine/kernels/softmax_cross_entropy.cc): loss and backprop against a
// double-precision reference, large logits, label errors.
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::testing::HasSubstr;

// loss[i] = -sum_j p_ij log softmax(z_i)_j; backprop = softmax(z) - p.
void Reference(const std::vector<float>& logits, const std::vector<double>& p,
               int64_t batch, int64_t classes, std::vector<double>& loss,
               std::vector<double>& backprop) {
  loss.assign(batch, 0.0);
  backprop.assign(batch * classes, 0.0);
  for (int64_t i = 0; i < batch; ++i) {
    double max = -INFINITY;
    for (int64_t j = 0; j < classes; ++j) {
      max = std::max(max, double{logits[i * classes + j]});
    }
    double sum = 0;
    for (int64_t j = 0; j < classes; ++j) {
      sum += std::exp(logits[i * classes + j] - max);
    }
    const double lse = max + std::log(sum);
    for (int64_t j = 0; j < classes; ++j) {
      const double log_p = logits[i * classes + j] - lse;
      loss[i] -= p[i * classes + j] * log_p;
      backprop[i * classes + j] = std::exp(log_p) - p[i * classes + j];
    }
  }
}

void ExpectOutputs(const OpTester& t, const std::vector<double>& loss,
                   const std::vector<double>& backprop, double tol) {
  const std::vector<float> got_loss = t.Output<float>(0);
  const std::vector<float> got_backprop = t.Output<float>(1);
  ASSERT_EQ(got_loss.size(), loss.size());
  ASSERT_EQ(got_backprop.size(), backprop.size());
  for (size_t i = 0; i < loss.size(); ++i) {
    EXPECT_NEAR(got_loss[i], loss[i], tol * (1 + std::abs(loss[i]))) << i;
  }
  for (size_t i = 0; i < backprop.size(); ++i) {
    EXPECT_NEAR(got_backprop[i], backprop[i], tol) << i;
  }
}

std::vector<float> RandomLogits(int64_t n, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

TEST(SoftmaxCrossEntropyTest, SparseMatchesReference) {
  const int64_t batch = 5, classes = 7;
  const std::vector<float> logits = RandomLogits(batch * classes, 4, 1);
  const std::vector<int32_t> labels = {0, 6, 3, 3, 1};
  std::vector<double> p(batch * classes, 0.0);
  for (int64_t i = 0; i < batch; ++i) p[i * classes + labels[i]] = 1;
  std::vector<double> loss, backprop;
  Reference(logits, p, batch, classes, loss, backprop);
  OpTester t(OpCode::kSparseSoftmaxCrossEntropy);
  t.Input<float>({batch, classes}, logits)
      .Input<int32_t>({batch}, labels)
      .NumOutputs(2);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({batch}));
  EXPECT_EQ(t.OutputShape(1), Shape({batch, classes}));
  ExpectOutputs(t, loss, backprop, 1e-5);
}

TEST(SoftmaxCrossEntropyTest, ProbabilityLabelsMatchReference) {
  const int64_t batch = 4, classes = 6;
  const std::vector<float> logits = RandomLogits(batch * classes, 3, 2);
  std::vector<float> labels = RandomLogits(batch * classes, 1, 3);
  std::vector<double> p(batch * classes);
  for (int64_t i = 0; i < batch; ++i) {
    double total = 0;
    for (int64_t j = 0; j < classes; ++j) {
      labels[i * classes + j] = std::abs(labels[i * classes + j]) + 0.01f;
      total += labels[i * classes + j];
    }
    for (int64_t j = 0; j < classes; ++j) {
      labels[i * classes + j] =
          static_cast<float>(labels[i * classes + j] / total);
      p[i * classes + j] = labels[i * classes + j];
    }
  }
  std::vector<double> loss, backprop;
  Reference(logits, p, batch, classes, loss, backprop);
  OpTester t(OpCode::kSoftmaxCrossEntropy);
  t.Input<float>({batch, classes}, logits)
      .Input<float>({batch, classes}, labels)
      .NumOutputs(2);
  ASSERT_TRUE(t.Run().ok());
  ExpectOutputs(t, loss, backprop, 1e-5);
}

TEST(SoftmaxCrossEntropyTest, OneHotProbabilityLabelsEqualSparse) {
  const std::vector<float> logits = RandomLogits(3 * 4, 2, 4);
  OpTester dense(OpCode::kSoftmaxCrossEntropy);
  dense.Input<float>({3, 4}, logits)
      .Input<float>({3, 4}, {0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0})
      .NumOutputs(2);
  OpTester sparse(OpCode::kSparseSoftmaxCrossEntropy);
  sparse.Input<float>({3, 4}, logits)
      .Input<int64_t>({3}, {1, 3, 0})
      .NumOutputs(2);
  ASSERT_TRUE(dense.Run().ok());
  ASSERT_TRUE(sparse.Run().ok());
  for (int k = 0; k < 2; ++k) {
    const std::vector<float> a = dense.Output<float>(k);
    const std::vector<float> b = sparse.Output<float>(k);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6);
  }
}

TEST(SoftmaxCrossEntropyTest, LogitsOfPlusMinus1000StayFinite) {
  const std::vector<float> logits = {1000,  -1000, 0,     //
                                     -1000, -1000, -999,  //
                                     1000,  1000,  1000};
  std::vector<double> p(9, 0.0);
  p[1] = 1;  // the least likely class: loss ~ 2000
  p[5] = 1;
  p[6] = 0.5;
  p[7] = 0.5;
  std::vector<double> loss, backprop;
  Reference(logits, p, 3, 3, loss, backprop);
  OpTester t(OpCode::kSoftmaxCrossEntropy);
  std::vector<float> labels(p.begin(), p.end());
  t.Input<float>({3, 3}, logits).Input<float>({3, 3}, labels).NumOutputs(2);
  ASSERT_TRUE(t.Run().ok());
  for (float v : t.Output<float>(0)) EXPECT_TRUE(std::isfinite(v));
  for (float v : t.Output<float>(1)) EXPECT_TRUE(std::isfinite(v));
  ExpectOutputs(t, loss, backprop, 1e-5);
  EXPECT_NEAR(t.Output<float>(0)[0], 2000, 1e-2);

  OpTester s(OpCode::kSparseSoftmaxCrossEntropy);
  s.Input<float>({3, 3}, logits).Input<int32_t>({3}, {1, 2, 0}).NumOutputs(2);
  ASSERT_TRUE(s.Run().ok());
  for (float v : s.Output<float>(0)) EXPECT_TRUE(std::isfinite(v));
  EXPECT_NEAR(s.Output<float>(0)[0], 2000, 1e-2);
  EXPECT_NEAR(s.Output<float>(0)[1], std::log(1 + 2 * std::exp(-1.0)), 1e-5);
}

TEST(SoftmaxCrossEntropyTest, LabelOutOfRangeIsInvalidArgumentAtInvoke) {
  for (int64_t bad : {int64_t{-1}, int64_t{3}, int64_t{1} << 40}) {
    OpTester t(OpCode::kSparseSoftmaxCrossEntropy);
    t.Input<float>({2, 3}, {1, 2, 3, 4, 5, 6})
        .Input<int64_t>({2}, {0, bad})
        .NumOutputs(2);
    absl::Status s = t.Run();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(s.message()), HasSubstr("of example 1"));
  }
}

TEST(SoftmaxCrossEntropyTest, ShapeAndDtypeErrors) {
  {
    OpTester t(OpCode::kSparseSoftmaxCrossEntropy);  // rank-1 logits
    t.Input<float>({3}, {1, 2, 3}).Input<int32_t>({1}, {0}).NumOutputs(2);
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  }
  {
    OpTester t(OpCode::kSparseSoftmaxCrossEntropy);  // float labels
    t.Input<float>({1, 2}, {1, 2}).Input<float>({1}, {0}).NumOutputs(2);
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  }
  {
    OpTester t(OpCode::kSparseSoftmaxCrossEntropy);  // batch mismatch
    t.Input<float>({2, 2}, {1, 2, 3, 4})
        .Input<int32_t>({3}, {0, 1, 0})
        .NumOutputs(2);
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  }
  {
    OpTester t(OpCode::kSoftmaxCrossEntropy);  // labels shape mismatch
    t.Input<float>({2, 2}, {1, 2, 3, 4})
        .Input<float>({2, 1}, {1, 1})
        .NumOutputs(2);
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(SoftmaxCrossEntropyTest, EmptyBatch) {
  OpTester t(OpCode::kSparseSoftmaxCrossEntropy);
  t.Input<float>({0, 3}, {}).Input<int32_t>({0}, {}).NumOutputs(2);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({0}));
}

}  // namespace
}  // namespace attune
