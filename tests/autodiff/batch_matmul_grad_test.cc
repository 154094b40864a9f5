// Finite-difference checks of the batch_matmul gradient rule: every
// (adj_x, adj_y) combination, and broadcast batch dims (the rule reduces
// with sum_to_shape). Default tolerances (eps 1e-3, atol 1e-3, rtol 1e-2):
// the op is bilinear, so central differences are exact up to rounding.
#include <vector>

#include "gtest/gtest.h"
#include "tests/autodiff/grad_check.h"

namespace attune {
namespace {

using ::attune::testing::CheckGradients;
using ::attune::testing::GradCheckInput;
using ::attune::testing::RandomValues;

GradCheckInput Var(Shape shape, uint64_t seed) {
  GradCheckInput in;
  in.values = RandomValues(NumElements(shape), -1, 1, seed);
  in.shape = std::move(shape);
  return in;
}

Attributes Adj(int x, int y) {
  return Attributes().SetInt("adj_x", x).SetInt("adj_y", y);
}

TEST(BatchMatMulGradRuleTest, AllAdjointCombinations) {
  // m = 3, k = 4, n = 5, batch 2.
  for (int adj_x : {0, 1}) {
    for (int adj_y : {0, 1}) {
      const Shape a = adj_x ? Shape{2, 4, 3} : Shape{2, 3, 4};
      const Shape b = adj_y ? Shape{2, 5, 4} : Shape{2, 4, 5};
      absl::Status status = CheckGradients(
          OpCode::kBatchMatMul, {Var(a, 1 + adj_x), Var(b, 3 + adj_y)},
          Adj(adj_x, adj_y));
      EXPECT_TRUE(status.ok())
          << "adj_x " << adj_x << " adj_y " << adj_y << ": " << status;
    }
  }
}

TEST(BatchMatMulGradRuleTest, BroadcastBatchDims) {
  // a has no batch dims, b has one: da sums over b's batch.
  absl::Status status = CheckGradients(
      OpCode::kBatchMatMul, {Var({3, 4}, 5), Var({2, 4, 5}, 6)}, Adj(0, 0));
  EXPECT_TRUE(status.ok()) << status;
  // Size-1 batch dims on both sides: out [2, 3, 3, 5].
  for (int adj_x : {0, 1}) {
    for (int adj_y : {0, 1}) {
      const Shape a = adj_x ? Shape{2, 1, 4, 3} : Shape{2, 1, 3, 4};
      const Shape b = adj_y ? Shape{3, 5, 4} : Shape{3, 4, 5};
      status = CheckGradients(OpCode::kBatchMatMul,
                              {Var(a, 7 + adj_x), Var(b, 9 + adj_y)},
                              Adj(adj_x, adj_y));
      EXPECT_TRUE(status.ok())
          << "adj_x " << adj_x << " adj_y " << adj_y << ": " << status;
    }
  }
}

TEST(BatchMatMulGradRuleTest, PlainMatrices) {
  absl::Status status = CheckGradients(
      OpCode::kBatchMatMul, {Var({4, 3}, 11), Var({4, 2}, 12)}, Adj(1, 0));
  EXPECT_TRUE(status.ok()) << status;
}

}  // namespace
}  // namespace attune
