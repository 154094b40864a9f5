#include "variables/initializers.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace attune {
namespace {

TEST(InitializersTest, FansFollowKerasConventions) {
  Fans dense = ComputeFans(std::vector<int64_t>{784, 128});
  EXPECT_DOUBLE_EQ(dense.fan_in, 784);
  EXPECT_DOUBLE_EQ(dense.fan_out, 128);
  Fans conv = ComputeFans(std::vector<int64_t>{5, 5, 32, 64});
  EXPECT_DOUBLE_EQ(conv.fan_in, 25 * 32);
  EXPECT_DOUBLE_EQ(conv.fan_out, 25 * 64);
  Fans bias = ComputeFans(std::vector<int64_t>{10});
  EXPECT_DOUBLE_EQ(bias.fan_in, 10);
}

// Moments of a large sample: mean ~0, and for U(-l, l) variance l^2/3.
TEST(InitializersTest, GlorotUniformStaysInLimitWithRightVariance) {
  const std::vector<int64_t> shape = {300, 200};
  std::vector<float> w(300 * 200);
  ASSERT_TRUE(InitializeFloats(Initializer::kGlorotUniform, 7, shape,
                               absl::MakeSpan(w))
                  .ok());
  const double limit = std::sqrt(6.0 / 500.0);
  double sum = 0, sum_sq = 0;
  for (float v : w) {
    ASSERT_LE(std::abs(v), limit);
    sum += v;
    sum_sq += double{v} * v;
  }
  const double mean = sum / w.size();
  const double var = sum_sq / w.size() - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.002);
  EXPECT_NEAR(var, limit * limit / 3, 0.03 * limit * limit / 3);
}

TEST(InitializersTest, HeNormalHasRightStddev) {
  const std::vector<int64_t> shape = {3, 3, 64, 128};
  std::vector<float> w(3 * 3 * 64 * 128);
  ASSERT_TRUE(
      InitializeFloats(Initializer::kHeNormal, 1, shape, absl::MakeSpan(w)).ok());
  double sum_sq = 0;
  for (float v : w) sum_sq += double{v} * v;
  const double expected_var = 2.0 / (9 * 64);
  EXPECT_NEAR(sum_sq / w.size(), expected_var, 0.03 * expected_var);
}

TEST(InitializersTest, SameSeedSameValuesOtherSeedOtherValues) {
  const std::vector<int64_t> shape = {16, 4};
  std::vector<float> a(64), b(64), c(64);
  ASSERT_TRUE(InitializeFloats(Initializer::kGlorotNormal, 42, shape,
                               absl::MakeSpan(a)).ok());
  ASSERT_TRUE(InitializeFloats(Initializer::kGlorotNormal, 42, shape,
                               absl::MakeSpan(b)).ok());
  ASSERT_TRUE(InitializeFloats(Initializer::kGlorotNormal, 43, shape,
                               absl::MakeSpan(c)).ok());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(InitializersTest, RejectsSizeMismatchAndConstantBuffer) {
  std::vector<float> w(5);
  EXPECT_EQ(InitializeFloats(Initializer::kZeros, 0, std::vector<int64_t>{2, 3},
                             absl::MakeSpan(w)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(InitializeFloats(Initializer::kConstantBuffer, 0,
                             std::vector<int64_t>{5}, absl::MakeSpan(w)).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
