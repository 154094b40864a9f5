#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/engine/elementwise_reference.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::BroadcastSource;
using ::attune::testing::Count;
using ::attune::testing::OpTester;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

// where(cond, x, y) by per-element index arithmetic.
template <typename T>
std::vector<T> Reference(const Shape& out, const Shape& sc,
                         const std::vector<bool>& c, const Shape& sx,
                         const std::vector<T>& x, const Shape& sy,
                         const std::vector<T>& y) {
  std::vector<T> r(Count(out));
  for (int64_t k = 0; k < Count(out); ++k) {
    r[k] = c[BroadcastSource(out, sc, k)] ? x[BroadcastSource(out, sx, k)]
                                          : y[BroadcastSource(out, sy, k)];
  }
  return r;
}

TEST(SelectTest, SameShapeGolden) {
  OpTester t(OpCode::kSelect);
  t.Input<bool>({4}, {true, false, false, true})
      .Input<float>({4}, {1, 2, 3, 4})
      .Input<float>({4}, {-1, -2, -3, -4});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputDType(0), DType::kFloat32);
  const std::vector<float> out = t.Output<float>(0);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_FLOAT_EQ(out[0], 1);
  EXPECT_FLOAT_EQ(out[1], -2);
  EXPECT_FLOAT_EQ(out[2], -3);
  EXPECT_FLOAT_EQ(out[3], 4);
}

TEST(SelectTest, ThreeWayBroadcastGolden) {
  // cond [2,1], x [1,3], y scalar -> [2,3].
  OpTester t(OpCode::kSelect);
  t.Input<bool>({2, 1}, {true, false})
      .Input<int32_t>({1, 3}, {1, 2, 3})
      .Input<int32_t>({}, {9});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({2, 3}));
  EXPECT_THAT(t.Output<int32_t>(0), ElementsAre(1, 2, 3, 9, 9, 9));
}

TEST(SelectTest, ScalarCondition) {
  OpTester t(OpCode::kSelect);
  t.Input<bool>({}, {false})
      .Input<int64_t>({3}, {1, 2, 3})
      .Input<int64_t>({3}, {4, 5, 6});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<int64_t>(0), ElementsAre(4, 5, 6));
}

struct ShapeCase {
  Shape c, x, y, out;
};

class SelectBroadcastTest : public ::testing::TestWithParam<ShapeCase> {};

template <typename T>
void CheckSelect(const ShapeCase& s, int threads) {
  std::vector<bool> c(Count(s.c));
  std::vector<T> x(Count(s.x)), y(Count(s.y));
  for (size_t i = 0; i < c.size(); ++i) c[i] = (i * 7) % 3 != 0;
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<T>(i % 100 + 1);
  for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<T>(-(i % 100) - 1);
  OpTester t(OpCode::kSelect);
  t.Input<bool>(s.c, c).template Input<T>(s.x, x).template Input<T>(s.y, y);
  t.Threads(threads);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), s.out);
  EXPECT_EQ(t.OutputDType(0), DTypeOf<T>::value);
  // Values are small integers, exact in every dtype (float included).
  EXPECT_THAT(t.template Output<T>(0),
              ElementsAreArray(Reference(s.out, s.c, c, s.x, x, s.y, y)));
}

TEST_P(SelectBroadcastTest, Float32) { CheckSelect<float>(GetParam(), 1); }
TEST_P(SelectBroadcastTest, Int64) { CheckSelect<int64_t>(GetParam(), 1); }
TEST_P(SelectBroadcastTest, Int8) { CheckSelect<int8_t>(GetParam(), 1); }
TEST_P(SelectBroadcastTest, Int32Threaded) {
  CheckSelect<int32_t>(GetParam(), 3);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, SelectBroadcastTest,
    ::testing::Values(ShapeCase{{2, 3}, {2, 3}, {2, 3}, {2, 3}},
                      ShapeCase{{3}, {2, 3}, {2, 1}, {2, 3}},
                      ShapeCase{{2, 1, 4}, {3, 1}, {}, {2, 3, 4}},
                      ShapeCase{{1}, {0}, {1}, {0}},
                      ShapeCase{{4, 0, 2}, {1, 2}, {4, 1, 1}, {4, 0, 2}},
                      ShapeCase{{2, 1, 3, 1, 2},
                                {4, 1, 5, 1},
                                {1, 1, 1, 5, 2},
                                {2, 4, 3, 5, 2}},
                      ShapeCase{{300, 1}, {1, 400}, {300, 400}, {300, 400}},
                      ShapeCase{{70000}, {}, {70000}, {70000}}));

TEST(SelectTest, BoolValues) {
  OpTester t(OpCode::kSelect);
  t.Input<bool>({3}, {true, false, true})
      .Input<bool>({3}, {false, false, true})
      .Input<bool>({}, {true});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputDType(0), DType::kBool);
  EXPECT_THAT(t.Output<bool>(0), ElementsAre(false, true, true));
}

// ---- Errors.

TEST(SelectTest, NonBoolConditionIsInvalidArgument) {
  OpTester t(OpCode::kSelect);
  t.Input<int32_t>({2}, {1, 0})
      .Input<float>({2}, {1, 2})
      .Input<float>({2}, {3, 4});
  const absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("select node #0"));
}

TEST(SelectTest, MixedValueDTypesAreInvalidArgument) {
  OpTester t(OpCode::kSelect);
  t.Input<bool>({2}, {true, false})
      .Input<float>({2}, {1, 2})
      .Input<int32_t>({2}, {3, 4});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SelectTest, IncompatibleShapesAreInvalidArgument) {
  OpTester t(OpCode::kSelect);
  t.Input<bool>({3}, {true, false, true})
      .Input<float>({2, 3}, std::vector<float>(6))
      .Input<float>({2}, {1, 2});
  const absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("cannot be broadcast"));
}

}  // namespace
}  // namespace attune
