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

// Reference: out[o] = x[o - before] when inside x, else value.
template <typename T>
std::vector<T> Reference(const std::vector<T>& x, const Shape& shape,
                         const std::vector<int64_t>& paddings, T value) {
  const int rank = static_cast<int>(shape.size());
  Shape out_shape;
  for (int d = 0; d < rank; ++d) {
    out_shape.push_back(shape[d] + paddings[2 * d] + paddings[2 * d + 1]);
  }
  std::vector<T> out;
  for (int64_t flat = 0; flat < NumElements(out_shape); ++flat) {
    int64_t rem = flat, offset = 0, scale = 1;
    bool inside = true;
    for (int d = rank - 1; d >= 0; --d) {
      const int64_t i = rem % out_shape[d] - paddings[2 * d];
      rem /= out_shape[d];
      if (i < 0 || i >= shape[d]) inside = false;
      offset += i * scale;
      scale *= shape[d];
    }
    out.push_back(inside ? x[offset] : value);
  }
  return out;
}

TEST(PadTest, GoldenWithPaddingsTensor) {
  OpTester t(OpCode::kPad);
  t.Input<float>({2, 2}, {1, 2, 3, 4}).Const<int32_t>({2, 2}, {1, 0, 0, 2});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({3, 4}));
  EXPECT_THAT(t.Output<float>(0),
              ElementsAre(0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0));
}

TEST(PadTest, ValueAttributeAndValueInput) {
  OpTester a(OpCode::kPad);
  a.Input<int32_t>({2}, {1, 2}).Ints("paddings", {1, 1}).Float("value", -3);
  ASSERT_TRUE(a.Run().ok());
  EXPECT_THAT(a.Output<int32_t>(0), ElementsAre(-3, 1, 2, -3));

  OpTester b(OpCode::kPad);  // run-time value
  b.Input<float>({1}, {5}).Const<int64_t>({1, 2}, {2, 1}).Input<float>({}, {7});
  ASSERT_TRUE(b.Run().ok());
  EXPECT_THAT(b.Output<float>(0), ElementsAre(7, 7, 5, 7));

  OpTester c(OpCode::kPad);  // constant value
  c.Input<uint8_t>({1}, {5})
      .Const<int64_t>({1, 2}, {0, 2})
      .Const<uint8_t>({}, {9});
  ASSERT_TRUE(c.Run().ok());
  EXPECT_THAT(c.Output<uint8_t>(0), ElementsAre(5, 9, 9));
}

template <typename T>
void CheckRandom(const Shape& shape, const std::vector<int64_t>& paddings,
                 T value, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<T> x;
  for (int64_t i = 0; i < NumElements(shape); ++i) {
    x.push_back(static_cast<T>(std::uniform_int_distribution<int>(1, 99)(rng)));
  }
  OpTester t(OpCode::kPad);
  t.Input<T>(shape, x);
  t.Const<int32_t>({static_cast<int64_t>(shape.size()), 2},
                   std::vector<int32_t>(paddings.begin(), paddings.end()));
  t.Input<T>({}, {value});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.Output<T>(0), Reference(x, shape, paddings, value))
      << ShapeToString(shape) << " paddings " << ShapeToString(paddings);
}

TEST(PadTest, RandomShapesAllDTypesMatchReference) {
  CheckRandom<float>({3, 4}, {1, 2, 0, 3}, -1.5f, 1);
  CheckRandom<int32_t>({2, 3, 4}, {0, 0, 1, 1, 2, 0}, 7, 2);
  CheckRandom<int64_t>({1, 5}, {2, 2, 0, 0}, -9, 3);
  CheckRandom<bool>({2, 1, 2}, {1, 0, 0, 1, 1, 1}, true, 4);
  CheckRandom<uint8_t>({3, 2, 2, 1}, {0, 1, 1, 0, 0, 0, 2, 2}, 200, 5);
  CheckRandom<float>({0, 3}, {1, 1, 0, 2}, 4.0f, 6);
  CheckRandom<float>({2, 3}, {0, 0, 0, 0}, 4.0f, 7);
  CheckRandom<float>({}, {}, 4.0f, 8);
}

TEST(PadTest, BadPaddingsAreInvalidArgument) {
  OpTester neg(OpCode::kPad);
  neg.Input<float>({2}, {1, 2}).Ints("paddings", {-1, 0});
  EXPECT_EQ(neg.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester count(OpCode::kPad);
  count.Input<float>({2}, {1, 2}).Ints("paddings", {1, 0, 0});
  EXPECT_EQ(count.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester shape(OpCode::kPad);
  shape.Input<float>({2}, {1, 2}).Const<int32_t>({2}, {1, 1});
  EXPECT_EQ(shape.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester value(OpCode::kPad);
  value.Input<float>({2}, {1, 2})
      .Const<int32_t>({1, 2}, {1, 1})
      .Input<int32_t>({}, {0});
  EXPECT_EQ(value.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PadTest, RunTimePaddingsIsUnimplemented) {
  OpTester t(OpCode::kPad);
  t.Input<float>({2}, {1, 2}).Input<int32_t>({1, 2}, {1, 1});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace attune
