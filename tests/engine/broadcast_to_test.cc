// broadcast_to and sum_to_shape (engine/kernels/broadcast_to.cc) against an
// index-mapping reference, ranks 0-5, zero-size dims, dtypes and errors.
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

// Offset in `small` (right-aligned, size-1 dims broadcast) of each element
// of `big`, in row-major order.
std::vector<int64_t> SmallOffsets(const Shape& big, const Shape& small) {
  const int rank = static_cast<int>(big.size());
  const int offset = rank - static_cast<int>(small.size());
  std::vector<int64_t> out;
  for (int64_t flat = 0; flat < NumElements(big); ++flat) {
    int64_t rem = flat, pos = 0, scale = 1;
    for (int d = rank - 1; d >= 0; --d) {
      const int64_t i = rem % big[d];
      rem /= big[d];
      if (d >= offset) {
        const int64_t s = small[d - offset];
        pos += (s == 1 ? 0 : i) * scale;
        scale *= s;
      }
    }
    out.push_back(pos);
  }
  return out;
}

// A random big shape of `rank` (dims 0..3 when allow_zero, else 1..3) and a
// small shape broadcastable to it (leading dims dropped, others set to 1).
void RandomShapes(int rank, bool allow_zero, std::mt19937& rng, Shape& big,
                  Shape& small) {
  big.clear();
  small.clear();
  for (int d = 0; d < rank; ++d) {
    big.push_back(static_cast<int64_t>(rng() % 3) + (allow_zero ? 0 : 1));
  }
  const int dropped = rank == 0 ? 0 : static_cast<int>(rng() % (rank + 1));
  for (int d = dropped; d < rank; ++d) small.push_back(rng() % 2 ? big[d] : 1);
}

std::vector<float> Values(int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

TEST(BroadcastToTest, Golden) {
  OpTester t(OpCode::kBroadcastTo);
  t.Input<float>({3, 1}, {1, 2, 3}).Const<int64_t>({3}, {2, 3, 2});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({2, 3, 2}));
  EXPECT_THAT(t.Output<float>(0),
              ElementsAre(1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3));
}

TEST(SumToShapeTest, Golden) {
  OpTester t(OpCode::kSumToShape);
  t.Input<float>({2, 3}, {1, 2, 3, 4, 5, 6}).Const<int32_t>({2}, {1, 3});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({1, 3}));
  EXPECT_THAT(t.Output<float>(0), ElementsAre(5, 7, 9));
  OpTester u(OpCode::kSumToShape);
  u.Input<float>({2, 3}, {1, 2, 3, 4, 5, 6}).Const<int32_t>({0}, {});
  ASSERT_TRUE(u.Run().ok());
  EXPECT_EQ(u.OutputShape(0), Shape({}));
  EXPECT_THAT(u.Output<float>(0), ElementsAre(21));
}

TEST(BroadcastToTest, RandomShapesRank0To5MatchReference) {
  std::mt19937 rng(7);
  for (int rank = 0; rank <= 5; ++rank) {
    for (int trial = 0; trial < 20; ++trial) {
      Shape big, small;
      RandomShapes(rank, /*allow_zero=*/trial % 4 == 3, rng, big, small);
      const std::vector<float> x = Values(NumElements(small), rng);
      OpTester t(OpCode::kBroadcastTo);
      t.Input<float>(small, x).Const<int64_t>(
          {static_cast<int64_t>(big.size())},
          std::vector<int64_t>(big.begin(), big.end()));
      absl::Status s = t.Run();
      ASSERT_TRUE(s.ok()) << s << " " << ShapeToString(small) << " -> "
                          << ShapeToString(big);
      ASSERT_EQ(t.OutputShape(0), big);
      const std::vector<float> y = t.Output<float>(0);
      const std::vector<int64_t> map = SmallOffsets(big, small);
      for (size_t i = 0; i < map.size(); ++i) {
        ASSERT_EQ(y[i], x[map[i]]) << ShapeToString(small) << " -> "
                                   << ShapeToString(big) << " at " << i;
      }
    }
  }
}

TEST(SumToShapeTest, RandomShapesRank0To5MatchReference) {
  std::mt19937 rng(8);
  for (int rank = 0; rank <= 5; ++rank) {
    for (int trial = 0; trial < 20; ++trial) {
      Shape big, small;
      RandomShapes(rank, /*allow_zero=*/trial % 4 == 3, rng, big, small);
      const std::vector<float> x = Values(NumElements(big), rng);
      std::vector<double> want(NumElements(small), 0.0);
      const std::vector<int64_t> map = SmallOffsets(big, small);
      for (size_t i = 0; i < map.size(); ++i) want[map[i]] += x[i];
      OpTester t(OpCode::kSumToShape);
      t.Input<float>(big, x).Const<int64_t>(
          {static_cast<int64_t>(small.size())},
          std::vector<int64_t>(small.begin(), small.end()));
      absl::Status s = t.Run();
      ASSERT_TRUE(s.ok()) << s << " " << ShapeToString(big) << " -> "
                          << ShapeToString(small);
      ASSERT_EQ(t.OutputShape(0), small);
      const std::vector<float> y = t.Output<float>(0);
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_NEAR(y[i], want[i], 1e-5) << ShapeToString(big) << " -> "
                                         << ShapeToString(small) << " at " << i;
      }
    }
  }
}

TEST(SumToShapeTest, ZeroSizeInputGivesZeros) {
  OpTester t(OpCode::kSumToShape);
  t.Input<float>({0, 3}, {}).Const<int32_t>({2}, {1, 3});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<float>(0), ElementsAre(0, 0, 0));
}

TEST(BroadcastToTest, OtherDtypes) {
  OpTester t(OpCode::kBroadcastTo);
  t.Input<int64_t>({2}, {7, -8}).Const<int32_t>({2}, {2, 2});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<int64_t>(0), ElementsAre(7, -8, 7, -8));
  OpTester u(OpCode::kBroadcastTo);
  u.Input<bool>({2, 1}, {true, false}).Const<int32_t>({2}, {2, 3});
  ASSERT_TRUE(u.Run().ok());
  EXPECT_THAT(u.Output<bool>(0),
              ElementsAre(true, true, true, false, false, false));
}

TEST(BroadcastToTest, Errors) {
  {
    OpTester t(OpCode::kBroadcastTo);  // 3 does not broadcast to 2
    t.Input<float>({3}, {1, 2, 3}).Const<int32_t>({2}, {4, 2});
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  }
  {
    OpTester t(OpCode::kBroadcastTo);  // target of lower rank
    t.Input<float>({1, 1, 2}, {1, 2}).Const<int32_t>({2}, {1, 2});
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  }
  {
    OpTester t(OpCode::kBroadcastTo);  // shape only known at run time
    t.Input<float>({1}, {1}).Input<int32_t>({1}, {3});
    EXPECT_FALSE(t.Run().ok());
  }
}

TEST(SumToShapeTest, Errors) {
  {
    OpTester t(OpCode::kSumToShape);  // [2, 3] does not reduce to [2]
    t.Input<float>({2, 3}, {1, 2, 3, 4, 5, 6}).Const<int32_t>({1}, {2});
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  }
  {
    OpTester t(OpCode::kSumToShape);  // float32 only
    t.Input<int32_t>({2}, {1, 2}).Const<int32_t>({1}, {1});
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  }
  {
    OpTester t(OpCode::kSumToShape);  // target of higher rank
    t.Input<float>({2}, {1, 2}).Const<int32_t>({2}, {1, 2});
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace attune
