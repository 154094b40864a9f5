#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::testing::HasSubstr;

struct MatMulCase {
  std::vector<int64_t> a_batch, b_batch, out_batch;
  int m, k, n;
  bool adj_x, adj_y;
  int threads;
};

void PrintTo(const MatMulCase& p, std::ostream* os) {
  *os << "batches " << p.a_batch.size() << "/" << p.b_batch.size() << " m"
      << p.m << " k" << p.k << " n" << p.n << " adj" << p.adj_x << p.adj_y
      << " t" << p.threads;
}

int64_t Product(const std::vector<int64_t>& dims) {
  int64_t p = 1;
  for (int64_t d : dims) p *= d;
  return p;
}

// Flat index into an operand's batch dims for the output batch index `o`
// (numpy broadcasting: right-aligned, size-1 dims repeat).
int64_t OperandBatch(const std::vector<int64_t>& out_batch,
                     const std::vector<int64_t>& operand, int64_t o) {
  std::vector<int64_t> index(out_batch.size());
  for (int i = static_cast<int>(out_batch.size()) - 1; i >= 0; --i) {
    index[i] = o % out_batch[i];
    o /= out_batch[i];
  }
  int64_t flat = 0;
  const size_t offset = out_batch.size() - operand.size();
  for (size_t i = 0; i < operand.size(); ++i) {
    const int64_t idx = operand[i] == 1 ? 0 : index[i + offset];
    flat = flat * operand[i] + idx;
  }
  return flat;
}

std::vector<double> ReferenceBatchMatMul(const MatMulCase& p,
                                         const std::vector<float>& a,
                                         const std::vector<float>& b) {
  const int64_t batches = Product(p.out_batch);
  std::vector<double> out(batches * p.m * p.n);
  for (int64_t o = 0; o < batches; ++o) {
    const float* am =
        a.data() + OperandBatch(p.out_batch, p.a_batch, o) * p.m * p.k;
    const float* bm =
        b.data() + OperandBatch(p.out_batch, p.b_batch, o) * p.k * p.n;
    for (int i = 0; i < p.m; ++i) {
      for (int j = 0; j < p.n; ++j) {
        double acc = 0.0;
        for (int q = 0; q < p.k; ++q) {
          const double av = p.adj_x ? am[q * p.m + i] : am[i * p.k + q];
          const double bv = p.adj_y ? bm[j * p.k + q] : bm[q * p.n + j];
          acc += av * bv;
        }
        out[(o * p.m + i) * p.n + j] = acc;
      }
    }
  }
  return out;
}

Shape OperandShape(const std::vector<int64_t>& batch, int rows, int cols) {
  Shape s(batch.begin(), batch.end());
  s.push_back(rows);
  s.push_back(cols);
  return s;
}

class BatchMatMulRandomTest : public ::testing::TestWithParam<MatMulCase> {};

TEST_P(BatchMatMulRandomTest, MatchesDoubleReference) {
  const MatMulCase& p = GetParam();
  std::mt19937 rng(p.m * 100 + p.k * 10 + p.n + (p.adj_x ? 3 : 0));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> a(Product(p.a_batch) * p.m * p.k);
  std::vector<float> b(Product(p.b_batch) * p.k * p.n);
  for (float& v : a) v = dist(rng);
  for (float& v : b) v = dist(rng);
  OpTester t(OpCode::kBatchMatMul);
  t.Input<float>(p.adj_x ? OperandShape(p.a_batch, p.k, p.m)
                         : OperandShape(p.a_batch, p.m, p.k),
                 a)
      .Input<float>(p.adj_y ? OperandShape(p.b_batch, p.n, p.k)
                            : OperandShape(p.b_batch, p.k, p.n),
                    b)
      .Int("adj_x", p.adj_x ? 1 : 0)
      .Int("adj_y", p.adj_y ? 1 : 0)
      .Threads(p.threads);
  const absl::Status status = t.Run();
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(t.OutputShape(0), OperandShape(p.out_batch, p.m, p.n));
  const std::vector<double> expected = ReferenceBatchMatMul(p, a, b);
  const std::vector<float> actual = t.Output<float>(0);
  ASSERT_EQ(actual.size(), expected.size());
  // float32 accumulation of k products of magnitude <= 1.
  const double tolerance = 4e-6 * (p.k + 1);
  for (size_t i = 0; i < actual.size(); ++i) {
    ASSERT_NEAR(actual[i], expected[i], tolerance) << "element " << i;
  }
}

// a batch, b batch, out batch, m, k, n, adj_x, adj_y, threads
INSTANTIATE_TEST_SUITE_P(
    BatchMatMulShapes, BatchMatMulRandomTest,
    ::testing::Values(
        MatMulCase{{}, {}, {}, 3, 4, 5, false, false, 1},
        MatMulCase{{2}, {2}, {2}, 7, 5, 3, false, false, 1},
        MatMulCase{{3}, {}, {3}, 4, 6, 2, true, false, 2},
        MatMulCase{{}, {3}, {3}, 4, 6, 2, false, true, 1},
        MatMulCase{{2, 1}, {1, 3}, {2, 3}, 5, 7, 6, true, true, 2},
        MatMulCase{{1}, {4, 2}, {4, 2}, 2, 3, 4, false, false, 1},
        MatMulCase{{2, 3}, {3}, {2, 3}, 33, 17, 65, false, true, 2},
        MatMulCase{{3}, {3}, {3}, 64, 128, 10, false, false, 2},
        MatMulCase{{2}, {2}, {2}, 3, 0, 4, false, false, 1},
        MatMulCase{{0}, {1}, {0}, 3, 4, 5, false, false, 1},
        MatMulCase{{2}, {2}, {2}, 0, 4, 5, true, false, 1}));

TEST(BatchMatMulTest, GoldenValues) {
  // Two batches of [[1,2],[3,4]] . B with B0 = identity, B1 = [[0,1],[1,0]].
  OpTester t(OpCode::kBatchMatMul);
  t.Input<float>({2, 2, 2}, {1, 2, 3, 4, 1, 2, 3, 4})
      .Input<float>({2, 2, 2}, {1, 0, 0, 1, 0, 1, 1, 0});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({2, 2, 2}));
  EXPECT_THAT(
      t.Output<float>(0),
      ::testing::Pointwise(::testing::FloatNear(1e-6),
                           {1.0f, 2.0f, 3.0f, 4.0f, 2.0f, 1.0f, 4.0f, 3.0f}));
}

TEST(BatchMatMulTest, AdjXTransposesA) {
  // a = [[1,2],[3,4]] stored, adj_x: a^T . [1, 1]^T = [4, 6].
  OpTester t(OpCode::kBatchMatMul);
  t.Input<float>({2, 2}, {1, 2, 3, 4}).Input<float>({2, 1}, {1, 1});
  t.Int("adj_x", 1);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<float>(0),
              ::testing::Pointwise(::testing::FloatNear(1e-6), {4.0f, 6.0f}));
}

TEST(BatchMatMulTest, InnerDimMismatchNamesTheNode) {
  OpTester t(OpCode::kBatchMatMul);
  t.Input<float>({2, 3}, std::vector<float>(6))
      .Input<float>({4, 2}, std::vector<float>(8));
  const absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("batch_matmul node #0"));
}

TEST(BatchMatMulTest, IncompatibleBatchDims) {
  OpTester t(OpCode::kBatchMatMul);
  t.Input<float>({2, 2, 2}, std::vector<float>(8))
      .Input<float>({3, 2, 2}, std::vector<float>(12));
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BatchMatMulTest, RankDTypeAndAttributeErrors) {
  OpTester t(OpCode::kBatchMatMul);
  t.Input<float>({3}, std::vector<float>(3))
      .Input<float>({3, 2}, std::vector<float>(6));
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester t2(OpCode::kBatchMatMul);
  t2.Input<int32_t>({1, 1}, {1}).Input<float>({1, 1}, {1.0f});
  EXPECT_EQ(t2.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester t3(OpCode::kBatchMatMul);
  t3.Input<float>({1, 1}, {1.0f}).Input<float>({1, 1}, {1.0f}).Int("adj_x", 2);
  EXPECT_EQ(t3.Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
