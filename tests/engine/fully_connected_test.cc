#include <cmath>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::testing::HasSubstr;

// y = x . w + b computed independently in double precision.
std::vector<double> Reference(const std::vector<float>& x,
                              const std::vector<float>& w,
                              const std::vector<float>& b, int m, int k,
                              int n) {
  std::vector<double> y(m * n);
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double acc = b.empty() ? 0.0 : b[j];
      for (int p = 0; p < k; ++p) acc += double{x[i * k + p]} * w[p * n + j];
      y[i * n + j] = acc;
    }
  }
  return y;
}

TEST(FullyConnectedTest, SmallGoldenValues) {
  OpTester t(OpCode::kFullyConnected);
  t.Input<float>({2, 3}, {1, 2, 3, 4, 5, 6})
      .Const<float>({3, 2}, {1, 0, 0, 1, 1, 1})
      .Const<float>({2}, {0.5f, -0.5f});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({2, 2}));
  EXPECT_THAT(t.Output<float>(0),
              ::testing::ElementsAre(4.5f, 4.5f, 10.5f, 10.5f));
}

TEST(FullyConnectedTest, ReluClampsNegatives) {
  OpTester t(OpCode::kFullyConnected);
  t.Input<float>({1, 2}, {1, -1}).Const<float>({2, 2}, {1, -1, 1, 1});
  t.String("activation", "relu");
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<float>(0), ::testing::ElementsAre(0.0f, 0.0f));
}

class FullyConnectedRandomTest
    : public ::testing::TestWithParam<std::tuple<int, int, int, int>> {};

TEST_P(FullyConnectedRandomTest, MatchesDoubleReference) {
  const auto [m, k, n, threads] = GetParam();
  std::mt19937 rng(m * 131 + k * 7 + n);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> x(m * k), w(k * n), b(n);
  for (float& v : x) v = dist(rng);
  for (float& v : w) v = dist(rng);
  for (float& v : b) v = dist(rng);
  OpTester t(OpCode::kFullyConnected);
  t.Input<float>({m, k}, x).Const<float>({k, n}, w).Const<float>({n}, b);
  t.Threads(threads);
  ASSERT_TRUE(t.Run().ok());
  const std::vector<double> expected = Reference(x, w, b, m, k, n);
  const std::vector<float> actual = t.Output<float>(0);
  ASSERT_EQ(actual.size(), expected.size());
  // float32 accumulation of k products of magnitude <= 1.
  const double tolerance = 1e-5 * (k + 1);
  for (size_t i = 0; i < actual.size(); ++i) {
    ASSERT_NEAR(actual[i], expected[i], tolerance) << "element " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, FullyConnectedRandomTest,
    ::testing::Values(std::make_tuple(1, 1, 1, 1), std::make_tuple(3, 5, 7, 1),
                      std::make_tuple(17, 33, 65, 2),
                      std::make_tuple(64, 128, 10, 2),
                      std::make_tuple(0, 4, 3, 1), std::make_tuple(5, 0, 3, 1)));

TEST(FullyConnectedTest, MismatchedFeaturesNameTheNode) {
  OpTester t(OpCode::kFullyConnected);
  t.Input<float>({2, 3}, std::vector<float>(6)).Const<float>({4, 2}, std::vector<float>(8));
  absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("fully_connected node #0"));
}

TEST(FullyConnectedTest, IntegerInputIsRejected) {
  OpTester t(OpCode::kFullyConnected);
  t.Input<int32_t>({1, 2}, {1, 2}).Const<float>({2, 2}, {1, 2, 3, 4});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
