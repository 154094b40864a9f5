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
using ::testing::HasSubstr;

std::vector<int64_t> Unravel(int64_t flat, const Shape& shape) {
  std::vector<int64_t> index(shape.size());
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return index;
}

int64_t Ravel(const std::vector<int64_t>& index, const Shape& shape) {
  int64_t flat = 0;
  for (size_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + index[d];
  return flat;
}

// Reference in index form: out[p..., i..., q...] (batch dims b shared)
// = params[p..., indices[b..., i...], q...].
template <typename T, typename I>
std::vector<T> Reference(const std::vector<T>& params, const Shape& ps,
                         const std::vector<I>& indices, const Shape& is,
                         int axis, int batch_dims, Shape* out_shape) {
  Shape os(ps.begin(), ps.begin() + axis);
  os.insert(os.end(), is.begin() + batch_dims, is.end());
  os.insert(os.end(), ps.begin() + axis + 1, ps.end());
  *out_shape = os;
  const int index_rank = static_cast<int>(is.size()) - batch_dims;
  std::vector<T> out;
  for (int64_t flat = 0; flat < NumElements(os); ++flat) {
    const std::vector<int64_t> o = Unravel(flat, os);
    std::vector<int64_t> ii(o.begin(), o.begin() + batch_dims);
    ii.insert(ii.end(), o.begin() + axis, o.begin() + axis + index_rank);
    std::vector<int64_t> pi(o.begin(), o.begin() + axis);
    pi.push_back(static_cast<int64_t>(indices[Ravel(ii, is)]));
    pi.insert(pi.end(), o.begin() + axis + index_rank, o.end());
    out.push_back(params[Ravel(pi, ps)]);
  }
  return out;
}

TEST(GatherTest, GoldenAxis0And1) {
  OpTester t(OpCode::kGather);
  t.Input<float>({3, 2}, {1, 2, 3, 4, 5, 6}).Input<int32_t>({2}, {2, 0});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({2, 2}));
  EXPECT_THAT(t.Output<float>(0), ElementsAre(5, 6, 1, 2));

  OpTester u(OpCode::kGather);
  u.Input<int32_t>({2, 3}, {1, 2, 3, 4, 5, 6})
      .Input<int64_t>({2, 2}, {2, 2, 0, 1})
      .Int("axis", -1);
  ASSERT_TRUE(u.Run().ok());
  EXPECT_EQ(u.OutputShape(0), Shape({2, 2, 2}));
  EXPECT_THAT(u.Output<int32_t>(0), ElementsAre(3, 3, 1, 2, 6, 6, 4, 5));
}

TEST(GatherTest, BatchDimsGolden) {
  // params [2, 3], indices [2, 2], batch_dims 1: row b picks its own columns.
  OpTester t(OpCode::kGather);
  t.Input<float>({2, 3}, {1, 2, 3, 4, 5, 6})
      .Input<int32_t>({2, 2}, {0, 2, 1, 1})
      .Int("axis", 1)
      .Int("batch_dims", 1);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({2, 2}));
  EXPECT_THAT(t.Output<float>(0), ElementsAre(1, 3, 5, 5));
}

TEST(GatherTest, ScalarIndexDropsTheAxis) {
  OpTester t(OpCode::kGather);
  t.Input<uint8_t>({3, 2}, {1, 2, 3, 4, 5, 6}).Const<int32_t>({}, {1});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({2}));
  EXPECT_THAT(t.Output<uint8_t>(0), ElementsAre(3, 4));
}

template <typename T, typename I>
void CheckRandom(const Shape& ps, const Shape& is, int axis, int batch_dims,
                 uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<T> params;
  for (int64_t i = 0; i < NumElements(ps); ++i) {
    params.push_back(
        static_cast<T>(std::uniform_int_distribution<int>(0, 99)(rng)));
  }
  std::vector<I> indices;
  for (int64_t i = 0; i < NumElements(is); ++i) {
    indices.push_back(static_cast<I>(
        std::uniform_int_distribution<int64_t>(0, ps[axis] - 1)(rng)));
  }
  OpTester t(OpCode::kGather);
  t.Input<T>(ps, params);
  t.Input<I>(is, indices);
  t.Int("axis", axis).Int("batch_dims", batch_dims);
  ASSERT_TRUE(t.Run().ok());
  Shape out_shape;
  const std::vector<T> expected =
      Reference(params, ps, indices, is, axis, batch_dims, &out_shape);
  EXPECT_EQ(t.OutputShape(0), out_shape);
  EXPECT_EQ(t.Output<T>(0), expected)
      << ShapeToString(ps) << " " << ShapeToString(is) << " axis " << axis;
}

TEST(GatherTest, RandomShapesAllDTypesMatchReference) {
  CheckRandom<float, int32_t>({5, 3}, {4}, 0, 0, 1);
  CheckRandom<int32_t, int64_t>({2, 5, 3}, {2, 3}, 1, 0, 2);
  CheckRandom<int64_t, int32_t>({2, 3, 7}, {4, 1}, 2, 0, 3);
  CheckRandom<bool, int32_t>({4, 6, 2}, {4, 3}, 1, 1, 4);
  CheckRandom<uint8_t, int64_t>({2, 3, 5, 2}, {2, 3, 4}, 2, 2, 5);
  CheckRandom<float, int64_t>({3, 4, 5}, {3, 2, 2}, 2, 1, 6);
  CheckRandom<float, int32_t>({5, 0}, {3}, 0, 0, 7);
  CheckRandom<float, int32_t>({5, 2}, {0}, 0, 0, 8);
}

TEST(GatherTest, OutOfRangeIndexFailsAtInvokeNamingTheNode) {
  for (int32_t bad : {3, -1}) {
    OpTester t(OpCode::kGather);
    t.Input<float>({3, 2}, std::vector<float>(6)).Input<int32_t>({2}, {0, bad});
    absl::Status s = t.Run();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.message()), HasSubstr("gather node #0"));
    EXPECT_THAT(std::string(s.message()), HasSubstr("out of range"));
  }
}

TEST(GatherTest, BadAttributesAreInvalidArgument) {
  OpTester axis(OpCode::kGather);
  axis.Input<float>({3}, {1, 2, 3}).Input<int32_t>({1}, {0}).Int("axis", 1);
  EXPECT_EQ(axis.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester batch(OpCode::kGather);
  batch.Input<float>({3, 2}, std::vector<float>(6))
      .Input<int32_t>({2}, {0, 1})
      .Int("axis", 1)
      .Int("batch_dims", 1);  // batch dim 3 != 2
  EXPECT_EQ(batch.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester dtype(OpCode::kGather);
  dtype.Input<float>({3}, {1, 2, 3}).Input<float>({1}, {0});
  EXPECT_EQ(dtype.Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
