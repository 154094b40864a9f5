#include <array>

#include "autodiff/grad_rule.h"

namespace attune {

// One declaration and one table line per op with a gradient rule, grouped
// by rule file.

// fully_connected.cc
absl::Status FullyConnectedGrad(GradContext& ctx, std::vector<int>& dxs);
// activations.cc
absl::Status ActivationGrad(GradContext& ctx, std::vector<int>& dxs);
// binary.cc
absl::Status AddGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status SubGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status MulGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status DivGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status SquaredDifferenceGrad(GradContext& ctx, std::vector<int>& dxs);
// reshape.cc
absl::Status ReshapeLikeGrad(GradContext& ctx, std::vector<int>& dxs);
// reduce.cc
absl::Status SumGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status MeanGrad(GradContext& ctx, std::vector<int>& dxs);
// softmax.cc
absl::Status SoftmaxGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status LogSoftmaxGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status SoftmaxCrossEntropyGrad(GradContext& ctx, std::vector<int>& dxs);
// elementwise.cc
absl::Status MaximumGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status MinimumGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status PowGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status SelectGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status CastGrad(GradContext& ctx, std::vector<int>& dxs);
// unary.cc
absl::Status UnaryGrad(GradContext& ctx, std::vector<int>& dxs);
// data_movement.cc
absl::Status ConcatGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status PackGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status UnpackGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status TransposeGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status SliceGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status StridedSliceGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status PadGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status TileGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status BroadcastToGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status SumToShapeGrad(GradContext& ctx, std::vector<int>& dxs);
// gather.cc
absl::Status GatherGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status ScatterAddGrad(GradContext& ctx, std::vector<int>& dxs);
// reduce_extremum.cc
absl::Status ReduceExtremumGrad(GradContext& ctx, std::vector<int>& dxs);
// no_gradient.cc
absl::Status NoGradient(GradContext& ctx, std::vector<int>& dxs);
// conv2d.cc, depthwise_conv2d.cc, pool2d.cc, batch_matmul.cc
absl::Status Conv2dGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status DepthwiseConv2dGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status MaxPool2dGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status AvgPool2dGrad(GradContext& ctx, std::vector<int>& dxs);
absl::Status BatchMatMulGrad(GradContext& ctx, std::vector<int>& dxs);

namespace {

using Table = std::array<GradRule, kNumOpCodes>;

Table BuildTable() {
  Table t{};
  t[static_cast<int>(OpCode::kFullyConnected)] = FullyConnectedGrad;
  for (OpCode op : {OpCode::kRelu, OpCode::kRelu6, OpCode::kLeakyRelu,
                    OpCode::kElu, OpCode::kSigmoid, OpCode::kTanh,
                    OpCode::kHardSwish, OpCode::kGelu}) {
    t[static_cast<int>(op)] = ActivationGrad;
  }
  t[static_cast<int>(OpCode::kAdd)] = AddGrad;
  t[static_cast<int>(OpCode::kSub)] = SubGrad;
  t[static_cast<int>(OpCode::kMul)] = MulGrad;
  t[static_cast<int>(OpCode::kDiv)] = DivGrad;
  t[static_cast<int>(OpCode::kSquaredDifference)] = SquaredDifferenceGrad;
  for (OpCode op : {OpCode::kReshape, OpCode::kExpandDims, OpCode::kSqueeze}) {
    t[static_cast<int>(op)] = ReshapeLikeGrad;
  }
  t[static_cast<int>(OpCode::kSum)] = SumGrad;
  t[static_cast<int>(OpCode::kMean)] = MeanGrad;
  t[static_cast<int>(OpCode::kSoftmax)] = SoftmaxGrad;
  t[static_cast<int>(OpCode::kLogSoftmax)] = LogSoftmaxGrad;
  t[static_cast<int>(OpCode::kSparseSoftmaxCrossEntropy)] =
      SoftmaxCrossEntropyGrad;
  t[static_cast<int>(OpCode::kSoftmaxCrossEntropy)] = SoftmaxCrossEntropyGrad;
  t[static_cast<int>(OpCode::kMaximum)] = MaximumGrad;
  t[static_cast<int>(OpCode::kMinimum)] = MinimumGrad;
  t[static_cast<int>(OpCode::kPow)] = PowGrad;
  t[static_cast<int>(OpCode::kSelect)] = SelectGrad;
  t[static_cast<int>(OpCode::kCast)] = CastGrad;
  for (OpCode op : {OpCode::kNeg, OpCode::kAbs, OpCode::kExp, OpCode::kLog,
                    OpCode::kSqrt, OpCode::kRsqrt, OpCode::kSquare}) {
    t[static_cast<int>(op)] = UnaryGrad;
  }
  t[static_cast<int>(OpCode::kConcat)] = ConcatGrad;
  t[static_cast<int>(OpCode::kPack)] = PackGrad;
  t[static_cast<int>(OpCode::kUnpack)] = UnpackGrad;
  t[static_cast<int>(OpCode::kTranspose)] = TransposeGrad;
  t[static_cast<int>(OpCode::kSlice)] = SliceGrad;
  t[static_cast<int>(OpCode::kStridedSlice)] = StridedSliceGrad;
  t[static_cast<int>(OpCode::kPad)] = PadGrad;
  t[static_cast<int>(OpCode::kTile)] = TileGrad;
  t[static_cast<int>(OpCode::kBroadcastTo)] = BroadcastToGrad;
  t[static_cast<int>(OpCode::kSumToShape)] = SumToShapeGrad;
  t[static_cast<int>(OpCode::kGather)] = GatherGrad;
  t[static_cast<int>(OpCode::kScatterAdd)] = ScatterAddGrad;
  t[static_cast<int>(OpCode::kReduceMax)] = ReduceExtremumGrad;
  t[static_cast<int>(OpCode::kReduceMin)] = ReduceExtremumGrad;
  for (OpCode op : {OpCode::kOneHot, OpCode::kZerosLike, OpCode::kDequantize,
                    OpCode::kRandomMask}) {
    t[static_cast<int>(op)] = NoGradient;
  }
  t[static_cast<int>(OpCode::kConv2d)] = Conv2dGrad;
  t[static_cast<int>(OpCode::kDepthwiseConv2d)] = DepthwiseConv2dGrad;
  t[static_cast<int>(OpCode::kMaxPool2d)] = MaxPool2dGrad;
  t[static_cast<int>(OpCode::kAvgPool2d)] = AvgPool2dGrad;
  t[static_cast<int>(OpCode::kBatchMatMul)] = BatchMatMulGrad;
  return t;
}

}  // namespace

GradRule FindGradRule(OpCode op) {
  static const Table table = BuildTable();
  const int index = static_cast<int>(op);
  return index >= 0 && index < kNumOpCodes ? table[index] : nullptr;
}

}  // namespace attune
