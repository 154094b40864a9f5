#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

template <typename T>
std::vector<T> Iota(int64_t n) {
  std::vector<T> v;
  for (int64_t i = 0; i < n; ++i) v.push_back(static_cast<T>(i % 7 + 1));
  return v;
}

template <typename T>
void CheckReshapeKeepsData() {
  const std::vector<T> x = Iota<T>(24);
  OpTester t(OpCode::kReshape);
  t.Input<T>({2, 3, 4}, x);
  t.Const<int32_t>({3}, {4, -1, 2});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputDType(0), DTypeOf<T>::value);
  EXPECT_EQ(t.OutputShape(0), Shape({4, 3, 2}));
  EXPECT_EQ(t.Output<T>(0), x);
}

TEST(ReshapeTest, AllDTypesKeepData) {
  CheckReshapeKeepsData<float>();
  CheckReshapeKeepsData<int32_t>();
  CheckReshapeKeepsData<int64_t>();
  CheckReshapeKeepsData<bool>();
  CheckReshapeKeepsData<uint8_t>();
}

TEST(ReshapeTest, ShapeFromAttributeAndInt64Input) {
  OpTester a(OpCode::kReshape);
  a.Input<float>({6}, {1, 2, 3, 4, 5, 6}).Ints("shape", {3, 2});
  ASSERT_TRUE(a.Run().ok());
  EXPECT_EQ(a.OutputShape(0), Shape({3, 2}));
  EXPECT_THAT(a.Output<float>(0), ElementsAre(1, 2, 3, 4, 5, 6));

  OpTester b(OpCode::kReshape);
  b.Input<float>({2, 3}, {1, 2, 3, 4, 5, 6}).Const<int64_t>({1}, {-1});
  ASSERT_TRUE(b.Run().ok());
  EXPECT_EQ(b.OutputShape(0), Shape({6}));
}

TEST(ReshapeTest, ScalarAndSizeOneAndZeroSize) {
  OpTester scalar(OpCode::kReshape);
  scalar.Input<int32_t>({1, 1}, {7}).Ints("shape", {});
  ASSERT_TRUE(scalar.Run().ok());
  EXPECT_EQ(scalar.OutputShape(0), Shape({}));
  EXPECT_THAT(scalar.Output<int32_t>(0), ElementsAre(7));

  OpTester empty(OpCode::kReshape);
  empty.Input<float>({0, 4}, {}).Ints("shape", {2, 0, 3});
  ASSERT_TRUE(empty.Run().ok());
  EXPECT_EQ(empty.OutputShape(0), Shape({2, 0, 3}));
}

TEST(ReshapeTest, BadElementCountIsInvalidArgument) {
  OpTester t(OpCode::kReshape);
  t.Input<float>({2, 3}, std::vector<float>(6)).Ints("shape", {4, 2});
  absl::Status s = t.Run();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("reshape node #0"));

  OpTester u(OpCode::kReshape);
  u.Input<float>({2, 3}, std::vector<float>(6)).Ints("shape", {4, -1});
  EXPECT_EQ(u.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReshapeTest, TwoUnknownDimsIsInvalidArgument) {
  OpTester t(OpCode::kReshape);
  t.Input<float>({2, 3}, std::vector<float>(6)).Ints("shape", {-1, -1});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester neg(OpCode::kReshape);
  neg.Input<float>({2, 3}, std::vector<float>(6)).Ints("shape", {-2, -3});
  EXPECT_EQ(neg.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReshapeTest, UnknownDimWithZeroSizeOthersIsInvalidArgument) {
  OpTester t(OpCode::kReshape);
  t.Input<float>({0, 3}, {}).Ints("shape", {0, -1});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReshapeTest, RunTimeShapeIsUnimplemented) {
  OpTester t(OpCode::kReshape);
  t.Input<float>({2, 3}, std::vector<float>(6)).Input<int32_t>({2}, {3, 2});
  absl::Status s = t.Run();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(s.message()), HasSubstr("run time"));
}

TEST(ReshapeTest, MissingShapeIsInvalidArgument) {
  OpTester t(OpCode::kReshape);
  t.Input<float>({2, 3}, std::vector<float>(6));
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
