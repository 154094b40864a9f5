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
