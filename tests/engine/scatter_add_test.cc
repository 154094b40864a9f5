#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ScatterAddTest, RepeatedIndicesAccumulate) {
  OpTester t(OpCode::kScatterAdd);
  t.Input<int32_t>({3}, {2, 0, 2})
      .Input<float>({3, 2}, {1, 2, 3, 4, 5, 6})
      .Const<int64_t>({2}, {4, 2});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({4, 2}));
  EXPECT_THAT(t.Output<float>(0), ElementsAre(3, 4, 0, 0, 6, 8, 0, 0));
}

TEST(ScatterAddTest, Rank2IndicesInt64AndScalarRows) {
  OpTester t(OpCode::kScatterAdd);
  t.Input<int64_t>({2, 2}, {1, 1, 0, 2})
      .Input<float>({2, 2}, {1, 10, 100, 1000})
      .Const<int32_t>({1}, {3});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<float>(0), ElementsAre(100, 11, 1000));
}

TEST(ScatterAddTest, EmptyIndicesGiveZeros) {
  OpTester t(OpCode::kScatterAdd);
  t.Input<int32_t>({0}, {})
      .Input<float>({0, 2}, {})
      .Const<int32_t>({2}, {2, 2});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<float>(0), ElementsAre(0, 0, 0, 0));
}

TEST(ScatterAddTest, IndexOutOfRangeIsInvalidArgumentAtInvoke) {
  for (int32_t bad : {-1, 3}) {
    OpTester t(OpCode::kScatterAdd);
    t.Input<int32_t>({2}, {0, bad})
        .Input<float>({2}, {1, 2})
        .Const<int32_t>({1}, {3});
    absl::Status s = t.Run();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(s.message()), HasSubstr("out of range [0, 3)"));
  }
}

TEST(ScatterAddTest, ShapeErrors) {
  {
    OpTester t(OpCode::kScatterAdd);  // updates must be [2, 3]
    t.Input<int32_t>({2}, {0, 1})
        .Input<float>({2, 2}, {1, 2, 3, 4})
        .Const<int32_t>({2}, {4, 3});
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  }
  {
    OpTester t(OpCode::kScatterAdd);  // float indices
    t.Input<float>({1}, {0}).Input<float>({1}, {1}).Const<int32_t>({1}, {2});
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  }
  {
    OpTester t(OpCode::kScatterAdd);  // int updates
    t.Input<int32_t>({1}, {0}).Input<int32_t>({1}, {1}).Const<int32_t>({1},
                                                                       {2});
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace attune
