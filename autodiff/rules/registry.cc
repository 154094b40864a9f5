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
  return t;
}

}  // namespace

GradRule FindGradRule(OpCode op) {
  static const Table table = BuildTable();
  const int index = static_cast<int>(op);
  return index >= 0 && index < kNumOpCodes ? table[index] : nullptr;
}

}  // namespace attune
