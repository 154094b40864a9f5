// Finite-difference checks of the data-movement rules
// (autodiff/rules/data_movement.cc). All are linear in x, so eps 1e-2 with
// atol 1e-4, rtol 1e-3.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/autodiff/grad_check.h"
#include "tests/autodiff/grad_test_util.h"

namespace attune::testing {
namespace {

const GradCheckOptions kTol = Tolerances(1e-2, 1e-4, 1e-3);

GradCheckOptions Outputs(int n) {
  GradCheckOptions options = kTol;
  options.num_outputs = n;
  return options;
}

TEST(DataMovementGradTest, Concat) {
  absl::Status s = CheckGradients(
      OpCode::kConcat, {Var({2, 3}, 1), Var({2, 1}, 2), Var({2, 4}, 3)},
      Attributes().SetInt("axis", -1), kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(OpCode::kConcat, {Var({1, 3, 2}, 4), Var({2, 3, 2}, 5)},
                     Attributes().SetInt("axis", 0), kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(DataMovementGradTest, Pack) {
  absl::Status s = CheckGradients(
      OpCode::kPack, {Var({2, 3}, 6), Var({2, 3}, 7), Var({2, 3}, 8)},
      Attributes().SetInt("axis", 1), kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(OpCode::kPack, {Var({4}, 9), Var({4}, 10)},
                     Attributes().SetInt("axis", -1), kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(DataMovementGradTest, Unpack) {
  absl::Status s = CheckGradients(
      OpCode::kUnpack, {Var({2, 3, 4}, 11)},
      Attributes().SetInt("axis", 1).SetInt("num", 3), Outputs(3));
  EXPECT_TRUE(s.ok()) << s;
}

TEST(DataMovementGradTest, UnpackWithAnOutputUnused) {
  GradCheckOptions options = Outputs(3);
  options.probe_outputs = {true, false, true};
  absl::Status s =
      CheckGradients(OpCode::kUnpack, {Var({3, 2}, 12)}, {}, options);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(DataMovementGradTest, TransposeAttrInputAndDefault) {
  absl::Status s =
      CheckGradients(OpCode::kTranspose, {Var({2, 3, 4}, 13)},
                     Attributes().SetInts("perm", {1, 2, 0}), kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(OpCode::kTranspose,
                     {Var({2, 3, 4, 2}, 14), IntConst({4}, {2, 0, 3, 1})}, {},
                     kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(OpCode::kTranspose, {Var({2, 5}, 15)}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(DataMovementGradTest, Slice) {
  absl::Status s = CheckGradients(
      OpCode::kSlice, {Var({4, 5}, 16)},
      Attributes().SetInts("begin", {1, 2}).SetInts("size", {2, -1}), kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(
      OpCode::kSlice,
      {Var({3, 4, 2}, 17), IntConst({3}, {0, 1, 1}), IntConst({3}, {2, 2, 1})},
      {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(DataMovementGradTest, Pad) {
  absl::Status s = CheckGradients(
      OpCode::kPad, {Var({2, 3}, 18)},
      Attributes().SetInts("paddings", {1, 0, 2, 1}).SetFloat("value", 0.5),
      kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(
      OpCode::kPad,
      {Var({2, 2, 2}, 19), IntConst({3, 2}, {0, 1, 1, 1, 2, 0}, DType::kInt64)},
      {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(DataMovementGradTest, StridedSliceUnitStridesUsePad) {
  // begin/end with negative indices, masks and a shrunk axis.
  absl::Status s = CheckGradients(OpCode::kStridedSlice, {Var({4, 5, 3}, 20)},
                                  Attributes()
                                      .SetInts("begin", {1, -4, 0})
                                      .SetInts("end", {3, 0, 2})
                                      .SetInt("end_mask", 2)
                                      .SetInt("shrink_axis_mask", 4),
                                  kTol);
  EXPECT_TRUE(s.ok()) << s;
  // Fewer spec entries than dims: the rest are taken whole.
  s = CheckGradients(OpCode::kStridedSlice, {Var({4, 3}, 21)},
                     Attributes()
                         .SetInts("begin", {2})
                         .SetInts("end", {10})
                         .SetInts("strides", {1}),
                     kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(DataMovementGradTest, StridedSliceGeneralScattersBack) {
  // Stride 2 and a negative stride.
  absl::Status s = CheckGradients(OpCode::kStridedSlice, {Var({5, 6}, 22)},
                                  Attributes()
                                      .SetInts("begin", {0, 5})
                                      .SetInts("end", {5, 0})
                                      .SetInts("strides", {2, -2}),
                                  kTol);
  EXPECT_TRUE(s.ok()) << s;
  // Ellipsis and a new axis.
  s = CheckGradients(OpCode::kStridedSlice, {Var({2, 3, 4}, 23)},
                     Attributes()
                         .SetInts("begin", {0, 0, 1})
                         .SetInts("end", {0, 0, 4})
                         .SetInts("strides", {1, 1, 2})
                         .SetInt("ellipsis_mask", 1)
                         .SetInt("new_axis_mask", 2),
                     kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(DataMovementGradTest, Tile) {
  absl::Status s =
      CheckGradients(OpCode::kTile, {Var({2, 3}, 24)},
                     Attributes().SetInts("multiples", {3, 2}), kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(
      OpCode::kTile,
      {Var({2, 1, 3}, 25), IntConst({3}, {1, 4, 2}, DType::kInt64)}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(DataMovementGradTest, BroadcastTo) {
  absl::Status s =
      CheckGradients(OpCode::kBroadcastTo,
                     {Var({3, 1}, 26), IntConst({3}, {2, 3, 4})}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(OpCode::kBroadcastTo, {Var({}, 27), IntConst({2}, {2, 2})},
                     {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(DataMovementGradTest, SumToShape) {
  absl::Status s =
      CheckGradients(OpCode::kSumToShape,
                     {Var({2, 3, 4}, 28), IntConst({2}, {3, 1})}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
}

}  // namespace
}  // namespace attune::testing
