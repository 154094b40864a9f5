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

// Straightforward reference: out[o] = x[in] with in[perm[k]] = o[k].
template <typename T>
std::vector<T> Reference(const std::vector<T>& x, const Shape& shape,
                         const std::vector<int64_t>& perm) {
  const int rank = static_cast<int>(shape.size());
  Shape out_shape(rank);
  for (int k = 0; k < rank; ++k) out_shape[k] = shape[perm[k]];
  std::vector<T> out;
  const int64_t n = NumElements(out_shape);
  for (int64_t flat = 0; flat < n; ++flat) {
    std::vector<int64_t> o(rank), in(rank);
    int64_t rem = flat;
    for (int k = rank - 1; k >= 0; --k) {
      o[k] = rem % out_shape[k];
      rem /= out_shape[k];
    }
    for (int k = 0; k < rank; ++k) in[perm[k]] = o[k];
    int64_t offset = 0;
    for (int d = 0; d < rank; ++d) offset = offset * shape[d] + in[d];
    out.push_back(x[offset]);
  }
  return out;
}

template <typename T>
std::vector<T> Values(int64_t n, std::mt19937& rng) {
  std::vector<T> v;
  std::uniform_int_distribution<int> dist(0, 250);
  for (int64_t i = 0; i < n; ++i) v.push_back(static_cast<T>(dist(rng)));
  return v;
}

TEST(TransposeTest, Golden2dAnd3d) {
  OpTester t(OpCode::kTranspose);
  t.Input<float>({2, 3}, {1, 2, 3, 4, 5, 6});  // default perm reverses
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({3, 2}));
  EXPECT_THAT(t.Output<float>(0), ElementsAre(1, 4, 2, 5, 3, 6));

  OpTester u(OpCode::kTranspose);
  u.Input<int32_t>({2, 2, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
      .Const<int32_t>({3}, {1, 0, 2});
  ASSERT_TRUE(u.Run().ok());
  EXPECT_EQ(u.OutputShape(0), Shape({2, 2, 3}));
  EXPECT_THAT(u.Output<int32_t>(0),
              ElementsAre(0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11));
}

TEST(TransposeTest, NegativePermEntries) {
  OpTester t(OpCode::kTranspose);
  t.Input<float>({2, 3}, {1, 2, 3, 4, 5, 6}).Ints("perm", {-1, 0});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<float>(0), ElementsAre(1, 4, 2, 5, 3, 6));
}

struct Case {
  Shape shape;
  std::vector<int64_t> perm;
};

template <typename T>
void CheckRandom(const Case& c, uint32_t seed) {
  std::mt19937 rng(seed);
  const std::vector<T> x = Values<T>(NumElements(c.shape), rng);
  OpTester t(OpCode::kTranspose);
  t.Input<T>(c.shape, x);
  t.Const<int64_t>({static_cast<int64_t>(c.perm.size())}, c.perm);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.Output<T>(0), Reference(x, c.shape, c.perm))
      << ShapeToString(c.shape) << " perm " << ShapeToString(c.perm);
}

TEST(TransposeTest, RandomShapesAllDTypesMatchReference) {
  const std::vector<Case> cases = {
      {{7}, {0}},
      {{37, 45}, {1, 0}},
      {{1, 33, 1, 70}, {3, 2, 1, 0}},
      {{2, 5, 7, 3}, {0, 3, 1, 2}},  // NHWC -> NCHW
      {{2, 3, 5, 7}, {0, 2, 3, 1}},  // NCHW -> NHWC
      {{4, 3, 6}, {1, 0, 2}},        // last dim kept
      {{3, 4, 5, 6}, {2, 3, 0, 1}},  // merges into a 2-D transpose
      {{2, 3, 2, 3, 2}, {4, 2, 0, 3, 1}},
      {{3, 0, 4}, {2, 1, 0}},
      {{1, 1, 1}, {2, 0, 1}},
      {{}, {}},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) {
    CheckRandom<float>(c, seed++);
    CheckRandom<int32_t>(c, seed++);
    CheckRandom<int64_t>(c, seed++);
    CheckRandom<bool>(c, seed++);
    CheckRandom<uint8_t>(c, seed++);
  }
}

TEST(TransposeTest, RandomRank6) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 20; ++trial) {
    Case c;
    std::vector<int64_t> perm = {0, 1, 2, 3, 4, 5};
    std::shuffle(perm.begin(), perm.end(), rng);
    std::uniform_int_distribution<int> dim(1, 4);
    for (int d = 0; d < 6; ++d) c.shape.push_back(dim(rng));
    c.perm = perm;
    CheckRandom<float>(c, 1000 + trial);
  }
}

TEST(TransposeTest, NotAPermutationIsInvalidArgument) {
  for (std::vector<int64_t> perm :
       {std::vector<int64_t>{0, 0}, {0, 2}, {0}, {1, 0, 2}}) {
    OpTester t(OpCode::kTranspose);
    t.Input<float>({2, 3}, std::vector<float>(6)).Ints("perm", perm);
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument)
        << ShapeToString(perm);
  }
}

TEST(TransposeTest, RunTimePermIsUnimplemented) {
  OpTester t(OpCode::kTranspose);
  t.Input<float>({2, 3}, std::vector<float>(6)).Input<int32_t>({2}, {1, 0});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace attune
