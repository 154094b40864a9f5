#include <cmath>
#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::testing::Each;
using ::testing::FloatEq;

std::vector<float> Mask(Shape shape, double rate, int64_t seed, int64_t counter,
                        int threads = 1) {
  OpTester t(OpCode::kRandomMask);
  t.Const<int64_t>({static_cast<int64_t>(shape.size())},
                   std::vector<int64_t>(shape.begin(), shape.end()))
      .Input<int64_t>({}, {counter});
  t.Float("rate", rate).Int("seed", seed).Threads(threads);
  absl::Status s = t.Run();
  EXPECT_TRUE(s.ok()) << s;
  if (!s.ok()) return {};
  EXPECT_EQ(t.OutputDType(0), DType::kFloat32);
  EXPECT_EQ(t.OutputShape(0), shape);
  return t.Output<float>(0);
}

TEST(RandomMaskTest, RateZeroKeepsEverything) {
  EXPECT_THAT(Mask({3, 5, 7}, 0.0, 11, 4), Each(FloatEq(1.0f)));
}

TEST(RandomMaskTest, ValuesAreZeroOrInverseKeepProbability) {
  const std::vector<float> m = Mask({1000}, 0.25, 1, 0);
  ASSERT_EQ(m.size(), 1000u);
  for (float v : m) {
    EXPECT_TRUE(v == 0.0f || std::fabs(v - 1.0f / 0.75f) < 1e-6f) << v;
  }
}

// 200000 draws at rate 0.3: the dropped count is Binomial(n, 0.3), standard
// deviation sqrt(n p (1-p)) ~ 205; 6 sigma is ~1230 (fails with probability
// ~2e-9 for a fair generator; the draw is deterministic anyway).
TEST(RandomMaskTest, DropsRateOfElementsAndKeepsMeanOne) {
  const int64_t n = 200000;
  const double p = 0.3;
  const std::vector<float> m = Mask({n}, p, 42, 7);
  ASSERT_EQ(m.size(), static_cast<size_t>(n));
  int64_t dropped = 0;
  double sum = 0;
  for (float v : m) {
    dropped += v == 0.0f;
    sum += v;
  }
  const double sigma = std::sqrt(n * p * (1 - p));
  EXPECT_NEAR(static_cast<double>(dropped), n * p, 6 * sigma);
  // mean = kept fraction / (1 - p): within 6 sigma / (n (1 - p)).
  EXPECT_NEAR(sum / n, 1.0, 6 * sigma / (n * (1 - p)));
  // Halves of the tensor (different batch rows) drop alike: no positional
  // bias.
  int64_t first_half = 0;
  for (int64_t i = 0; i < n / 2; ++i) first_half += m[i] == 0.0f;
  const double half_sigma = std::sqrt(n / 2 * p * (1 - p));
  EXPECT_NEAR(static_cast<double>(first_half), n / 2 * p, 6 * half_sigma);
}

TEST(RandomMaskTest, IdenticalAtEveryThreadCount) {
  const Shape shape = {4, 100, 300};  // 120000 elements: parallel at > 1
  const std::vector<float> one = Mask(shape, 0.5, 9, 3, 1);
  EXPECT_EQ(Mask(shape, 0.5, 9, 3, 2), one);
  EXPECT_EQ(Mask(shape, 0.5, 9, 3, 3), one);
}

TEST(RandomMaskTest, DependsOnCounterAndSeedOnly) {
  const std::vector<float> a = Mask({4096}, 0.5, 5, 0);
  EXPECT_EQ(Mask({4096}, 0.5, 5, 0), a);  // reproducible
  EXPECT_NE(Mask({4096}, 0.5, 5, 1), a);  // next step
  EXPECT_NE(Mask({4096}, 0.5, 6, 0), a);  // another layer
  // A bigger batch extends the mask: the first rows are unchanged.
  const std::vector<float> big = Mask({2, 4096}, 0.5, 5, 0);
  EXPECT_EQ(std::vector<float>(big.begin(), big.begin() + 4096), a);
}

TEST(RandomMaskTest, RejectsBadArguments) {
  OpTester rate(OpCode::kRandomMask);
  rate.Const<int64_t>({1}, {2}).Input<int64_t>({}, {0}).Float("rate", 1.0);
  EXPECT_EQ(rate.Run().code(), absl::StatusCode::kInvalidArgument);

  OpTester counter_dtype(OpCode::kRandomMask);
  counter_dtype.Const<int64_t>({1}, {2}).Input<int32_t>({}, {0});
  EXPECT_EQ(counter_dtype.Run().code(), absl::StatusCode::kInvalidArgument);

  OpTester counter_rank(OpCode::kRandomMask);
  counter_rank.Const<int64_t>({1}, {2}).Input<int64_t>({1}, {0});
  EXPECT_EQ(counter_rank.Run().code(), absl::StatusCode::kInvalidArgument);

  OpTester shape_dtype(OpCode::kRandomMask);
  shape_dtype.Const<float>({1}, {2}).Input<int64_t>({}, {0});
  EXPECT_EQ(shape_dtype.Run().code(), absl::StatusCode::kInvalidArgument);

  OpTester negative(OpCode::kRandomMask);
  negative.Const<int64_t>({2}, {2, -1}).Input<int64_t>({}, {0});
  EXPECT_EQ(negative.Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
