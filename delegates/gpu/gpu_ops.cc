// The op table of the GPU delegate and the helpers its mapping files share
// (op_util.h).
#include "delegates/gpu/gpu_ops.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "delegates/gpu/op_util.h"
#include "engine/status_macros.h"

namespace attune {
namespace gpu {
namespace {

enum class Family { kNone, kFc, kConv, kPool, kElementwise, kReshape };

Family FamilyOf(OpCode op) {
  switch (op) {
    case OpCode::kFullyConnected:
      return Family::kFc;
    case OpCode::kConv2d:
    case OpCode::kDepthwiseConv2d:
      return Family::kConv;
    case OpCode::kMaxPool2d:
    case OpCode::kAvgPool2d:
    case OpCode::kMean:
      return Family::kPool;
    case OpCode::kAdd:
    case OpCode::kSub:
    case OpCode::kMul:
    case OpCode::kDiv:
    case OpCode::kMaximum:
    case OpCode::kMinimum:
    case OpCode::kSquaredDifference:
    case OpCode::kRelu:
    case OpCode::kRelu6:
    case OpCode::kLeakyRelu:
    case OpCode::kElu:
    case OpCode::kSigmoid:
    case OpCode::kTanh:
    case OpCode::kHardSwish:
    case OpCode::kAbs:
    case OpCode::kNeg:
    case OpCode::kSquare:
    case OpCode::kSqrt:
    case OpCode::kExp:
    case OpCode::kSoftmax:
      return Family::kElementwise;
    case OpCode::kReshape:
    case OpCode::kSqueeze:
    case OpCode::kExpandDims:
    case OpCode::kPad:
      return Family::kReshape;
    default:
      return Family::kNone;
  }
}

// Inputs the kernels read as float32 buffers: all of an elementwise or
// dense op's, only the first of a data-movement op's (the rest are static
// shape operands).
int NumDataInputs(const Node& node) {
  if (FamilyOf(node.op) == Family::kReshape ||
      FamilyOf(node.op) == Family::kPool) {
    return 1;
  }
  return static_cast<int>(node.inputs.size());
}

absl::Status CheckCommon(const PlanView& view, int step) {
  const Node& node = view.node(step);
  if (FamilyOf(node.op) == Family::kNone || node.outputs.size() != 1) {
    return Refuse(absl::StrCat("op ", OpName(node.op), " has no mapping"));
  }
  const Tensor& y = view.tensor(node.outputs[0]);
  if (y.dtype != DType::kFloat32) {
    return Refuse(absl::StrCat("output dtype ", DTypeName(y.dtype)));
  }
  if (node.inputs.empty() || node.inputs[0] < 0) {
    return Refuse("no data input");
  }
  constexpr int64_t kMaxElements = std::numeric_limits<int32_t>::max();
  if (y.rank() > kMaxRank) return Refuse("rank above 6");
  if (y.num_elements() > kMaxElements) return Refuse("2^31 elements or more");
  for (int i = 0; i < NumDataInputs(node); ++i) {
    if (node.inputs[i] < 0) continue;
    const Tensor& t = view.tensor(node.inputs[i]);
    if (t.dtype != DType::kFloat32) {
      return Refuse(absl::StrCat("input ", i, " is ", DTypeName(t.dtype),
                                 ", not float32"));
    }
    if (t.rank() > kMaxRank) return Refuse("rank above 6");
    if (t.num_elements() > kMaxElements) {
      return Refuse("2^31 elements or more");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckFamily(const PlanView& view, int step) {
  ATTUNE_RETURN_IF_ERROR(CheckCommon(view, step));
  switch (FamilyOf(view.node(step).op)) {
    case Family::kFc:
      return CheckFullyConnected(view, step);
    case Family::kConv:
      return CheckConv2d(view, step);
    case Family::kPool:
      return CheckPool2d(view, step);
    case Family::kElementwise:
      return CheckElementwise(view, step);
    case Family::kReshape:
      return CheckReshape(view, step);
    case Family::kNone:
      break;
  }
  return Refuse("no mapping");
}

}  // namespace

absl::Status CheckOp(const PlanView& view, int step) {
  absl::Status status = CheckFamily(view, step);
  if (status.ok() || absl::IsUnimplemented(status)) return status;
  return Refuse(status.message());  // attributes the reference kernel read
}

absl::StatusOr<Lowered> LowerOp(const Node& node,
                                const std::vector<Tensor>& tensors) {
  switch (FamilyOf(node.op)) {
    case Family::kFc:
      return LowerFullyConnected(node, tensors);
    case Family::kConv:
      return LowerConv2d(node, tensors);
    case Family::kPool:
      return LowerPool2d(node, tensors);
    case Family::kElementwise:
      return LowerElementwise(node, tensors);
    case Family::kReshape:
      return LowerReshape(node, tensors);
    case Family::kNone:
      break;
  }
  return absl::InternalError(
      absl::StrCat("gpu: no mapping for ", OpName(node.op)));
}

absl::Status Refuse(absl::string_view why) {
  return absl::UnimplementedError(why);
}

absl::StatusOr<Activation> GetActivation(const Attributes& attrs) {
  ATTUNE_ASSIGN_OR_RETURN(std::string name,
                          attrs.GetStringOr("activation", "none"));
  Activation act;
  if (name == "none") return act;
  if (name == "relu" || name == "relu6") {
    act.lo = 0.0f;
    if (name == "relu6") act.hi = 6.0f;
    return act;
  }
  if (name == "sigmoid" || name == "tanh") {
    act.code = name == "sigmoid" ? 1 : 2;
    return act;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown fused activation \"", name, "\""));
}

void AddActivationArgs(const Activation& act, std::vector<KernelArg>& args) {
  args.push_back(KernelArg::Int(act.code));
  args.push_back(KernelArg::Float(act.lo));
  args.push_back(KernelArg::Float(act.hi));
}

bool HasInput(const Node& node, int index) {
  return index < static_cast<int>(node.inputs.size()) &&
         node.inputs[index] >= 0;
}

absl::StatusOr<std::vector<int64_t>> StaticInts(
    const std::vector<Tensor>& tensors, const Node& node, int index,
    absl::string_view attr, std::vector<int64_t> dflt) {
  if (!HasInput(node, index))
    return node.attrs.GetIntsOr(attr, std::move(dflt));
  const Tensor& t = tensors[node.inputs[index]];
  if (!t.is_static) return Refuse("shape operand computed at run time");
  std::vector<int64_t> values(static_cast<size_t>(t.num_elements()));
  for (size_t k = 0; k < values.size(); ++k) {
    if (t.dtype == DType::kInt32) {
      values[k] = t.data_as<int32_t>()[k];
    } else if (t.dtype == DType::kInt64) {
      values[k] = t.data_as<int64_t>()[k];
    } else {
      return Refuse("non-integer shape operand");
    }
  }
  return values;
}

Launch Launch1d(const char* kernel, int64_t n, std::vector<KernelArg> args) {
  Launch l;
  l.kernel = kernel;
  l.args = std::move(args);
  l.dims = 1;
  l.local = {kGroup1d, 0};
  l.global = {(static_cast<size_t>(n) + kGroup1d - 1) / kGroup1d * kGroup1d, 1};
  return l;
}

absl::StatusOr<Window> GetWindow(const Node& node, const Tensor& x,
                                 const Tensor& y, int64_t kh, int64_t kw,
                                 bool pool) {
  std::vector<int64_t> dflt =
      pool ? std::vector<int64_t>{kh, kw} : std::vector<int64_t>{1, 1};
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> strides,
                          node.attrs.GetIntsOr("strides", dflt));
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> dilations,
                          node.attrs.GetIntsOr("dilations", {1, 1}));
  ATTUNE_ASSIGN_OR_RETURN(std::string padding,
                          node.attrs.GetStringOr("padding", "valid"));
  if (strides.size() != 2 || dilations.size() != 2) {
    return Refuse("strides/dilations are not pairs");
  }
  if (padding != "same" && padding != "valid") {
    return Refuse(absl::StrCat("padding ", padding));
  }
  if (pool && (dilations[0] != 1 || dilations[1] != 1)) {
    return Refuse("dilated pooling");
  }
  Window w;
  w.kh = static_cast<int32_t>(kh);
  w.kw = static_cast<int32_t>(kw);
  w.sh = static_cast<int32_t>(strides[0]);
  w.sw = static_cast<int32_t>(strides[1]);
  w.dh = static_cast<int32_t>(dilations[0]);
  w.dw = static_cast<int32_t>(dilations[1]);
  w.top = w.left = 0;
  if (padding == "same") {
    const int64_t th = std::max<int64_t>(
        (y.dim(1) - 1) * strides[0] + (kh - 1) * dilations[0] + 1 - x.dim(1),
        0);
    const int64_t tw = std::max<int64_t>(
        (y.dim(2) - 1) * strides[1] + (kw - 1) * dilations[1] + 1 - x.dim(2),
        0);
    w.top = static_cast<int32_t>(th / 2);
    w.left = static_cast<int32_t>(tw / 2);
  }
  return w;
}

}  // namespace gpu
}  // namespace attune
