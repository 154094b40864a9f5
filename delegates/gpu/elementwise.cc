// add, sub, mul, div (with their fused activation),
// maximum, minimum, squared_difference -> the binary kernel, which
// broadcasts numpy-style with strides settled at Build (shapes are static
// per plan); relu ... exp -> the unary kernel; softmax over the last axis
// (any beta) -> the softmax kernel, one work item per row.
#include "absl/strings/str_cat.h"
#include "delegates/gpu/op_util.h"
#include "engine/status_macros.h"

namespace attune {
namespace gpu {
namespace {

// kernels.cl OP_* and U_* codes; -1: not this kind.
int BinaryCode(OpCode op) {
  switch (op) {
    case OpCode::kAdd:
      return 0;
    case OpCode::kSub:
      return 1;
    case OpCode::kMul:
      return 2;
    case OpCode::kDiv:
      return 3;
    case OpCode::kMaximum:
      return 4;
    case OpCode::kMinimum:
      return 5;
    case OpCode::kSquaredDifference:
      return 6;
    default:
      return -1;
  }
}

int UnaryCode(OpCode op) {
  switch (op) {
    case OpCode::kRelu:
      return 0;
    case OpCode::kRelu6:
      return 1;
    case OpCode::kLeakyRelu:
      return 2;
    case OpCode::kElu:
      return 3;
    case OpCode::kSigmoid:
      return 4;
    case OpCode::kTanh:
      return 5;
    case OpCode::kHardSwish:
      return 6;
    case OpCode::kAbs:
      return 7;
    case OpCode::kNeg:
      return 8;
    case OpCode::kSquare:
      return 9;
    case OpCode::kSqrt:
      return 10;
    case OpCode::kExp:
      return 11;
    default:
      return -1;
  }
}

bool HasActivation(OpCode op) {
  return op == OpCode::kAdd || op == OpCode::kSub || op == OpCode::kMul ||
         op == OpCode::kDiv;
}

// Strides of `x` broadcast to `y` (right-aligned; 0 along broadcast dims),
// or false when x does not broadcast to y.
bool BroadcastStrides(const Tensor& x, const Tensor& y,
                      std::vector<int32_t>& strides) {
  const int r = y.rank();
  if (x.rank() > r) return false;
  strides.assign(r, 0);
  int64_t stride = 1;
  for (int d = r - 1, e = x.rank() - 1; e >= 0; --d, --e) {
    if (x.dim(e) == y.dim(d)) {
      strides[d] = x.dim(e) == 1 ? 0 : static_cast<int32_t>(stride);
    } else if (x.dim(e) != 1) {
      return false;
    }
    stride *= x.dim(e);
  }
  return true;
}

}  // namespace

absl::Status CheckElementwise(const PlanView& view, int step) {
  const Node& node = view.node(step);
  const Tensor& y = view.tensor(node.outputs[0]);
  if (BinaryCode(node.op) >= 0) {
    if (node.inputs.size() != 2 || node.inputs[1] < 0) {
      return Refuse("binary op without two inputs");
    }
    std::vector<int32_t> strides;
    if (!BroadcastStrides(view.tensor(node.inputs[0]), y, strides) ||
        !BroadcastStrides(view.tensor(node.inputs[1]), y, strides)) {
      return Refuse("inputs do not broadcast to the output");
    }
    if (HasActivation(node.op)) return GetActivation(node.attrs).status();
    return absl::OkStatus();
  }
  if (node.op != OpCode::kSoftmax) return absl::OkStatus();
  const int rank = view.tensor(node.inputs[0]).rank();
  ATTUNE_ASSIGN_OR_RETURN(int64_t axis, node.attrs.GetIntOr("axis", -1));
  if (rank < 1 || (axis != -1 && axis != rank - 1)) {
    return Refuse("softmax over a non-last axis");
  }
  return absl::OkStatus();
}

absl::StatusOr<Lowered> LowerElementwise(const Node& node,
                                         const std::vector<Tensor>& t) {
  const Tensor& x = t[node.inputs[0]];
  const Tensor& y = t[node.outputs[0]];
  Lowered out;
  if (const int code = BinaryCode(node.op); code >= 0) {
    Activation act;
    if (HasActivation(node.op)) {
      ATTUNE_ASSIGN_OR_RETURN(act, GetActivation(node.attrs));
    }
    const Tensor& b = t[node.inputs[1]];
    int rank = 0;
    std::vector<int32_t> g = {0};
    if (x.shape != y.shape || b.shape != y.shape) {
      rank = y.rank();
      std::vector<int32_t> sa, sb;
      if (!BroadcastStrides(x, y, sa) || !BroadcastStrides(b, y, sb)) {
        return absl::InternalError("gpu: binary inputs do not broadcast");
      }
      g.clear();
      for (int64_t d : y.shape) g.push_back(static_cast<int32_t>(d));
      g.insert(g.end(), sa.begin(), sa.end());
      g.insert(g.end(), sb.begin(), sb.end());
    }
    std::vector<KernelArg> args = {KernelArg::Tensor(node.inputs[0]),
                                   KernelArg::Tensor(node.inputs[1]),
                                   KernelArg::Tensor(node.outputs[0]),
                                   KernelArg::Int(y.num_elements()),
                                   KernelArg::Int(code),
                                   KernelArg::Int(rank),
                                   KernelArg::Geometry(std::move(g))};
    AddActivationArgs(act, args);
    out.launches.push_back(
        Launch1d("binary", y.num_elements(), std::move(args)));
    return out;
  }
  if (node.op == OpCode::kSoftmax) {
    ATTUNE_ASSIGN_OR_RETURN(double beta, node.attrs.GetFloatOr("beta", 1.0));
    const int64_t cols = x.dim(x.rank() - 1);
    const int64_t rows = cols == 0 ? 0 : x.num_elements() / cols;
    out.launches.push_back(Launch1d(
        "softmax", rows,
        {KernelArg::Tensor(node.inputs[0]), KernelArg::Tensor(node.outputs[0]),
         KernelArg::Int(rows), KernelArg::Int(cols),
         KernelArg::Float(static_cast<float>(beta))}));
    return out;
  }
  const int code = UnaryCode(node.op);
  if (code < 0) {
    return absl::InternalError(
        absl::StrCat("gpu: no elementwise kernel for ", OpName(node.op)));
  }
  double alpha = 0.0;
  if (node.op == OpCode::kLeakyRelu || node.op == OpCode::kElu) {
    ATTUNE_ASSIGN_OR_RETURN(
        alpha,
        node.attrs.GetFloatOr("alpha", node.op == OpCode::kElu ? 1.0 : 0.2));
  }
  out.launches.push_back(Launch1d(
      "unary", y.num_elements(),
      {KernelArg::Tensor(node.inputs[0]), KernelArg::Tensor(node.outputs[0]),
       KernelArg::Int(y.num_elements()), KernelArg::Int(code),
       KernelArg::Float(static_cast<float>(alpha))}));
  return out;
}

}  // namespace gpu
}  // namespace attune
