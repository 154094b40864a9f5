// The op table of the XNNPACK delegate and the helpers its mapping files
// share (op_util.h).
#include "delegates/xnnpack/xnnpack_ops.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "delegates/xnnpack/op_util.h"
#include "engine/status_macros.h"

namespace attune {
namespace xnn {
namespace {

enum class Family { kNone, kFc, kConv, kPool, kBinary, kUnary, kReshape };

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
      return Family::kBinary;
    case OpCode::kRelu:
    case OpCode::kRelu6:
    case OpCode::kLeakyRelu:
    case OpCode::kElu:
    case OpCode::kSigmoid:
    case OpCode::kHardSwish:
    case OpCode::kAbs:
    case OpCode::kNeg:
    case OpCode::kSquare:
    case OpCode::kSqrt:
    case OpCode::kSoftmax:
      return Family::kUnary;
    case OpCode::kReshape:
    case OpCode::kSqueeze:
    case OpCode::kExpandDims:
    case OpCode::kPad:
      return Family::kReshape;
    default:
      return Family::kNone;
  }
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
  if (node.inputs.empty() || node.inputs[0] < 0 ||
      view.tensor(node.inputs[0]).dtype != DType::kFloat32) {
    return Refuse("input is not float32");
  }
  if (y.rank() > XNN_MAX_TENSOR_DIMS ||
      view.tensor(node.inputs[0]).rank() > XNN_MAX_TENSOR_DIMS) {
    return Refuse("rank above 6");
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
    case Family::kBinary:
      return CheckBinary(view, step);
    case Family::kUnary:
      return CheckUnary(view, step);
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

absl::Status DefineOp(const Node& node, ValueDefiner& v) {
  switch (FamilyOf(node.op)) {
    case Family::kFc:
      return DefineFullyConnected(node, v);
    case Family::kConv:
      return DefineConv2d(node, v);
    case Family::kPool:
      return DefinePool2d(node, v);
    case Family::kBinary:
      return DefineBinary(node, v);
    case Family::kUnary:
      return DefineUnary(node, v);
    case Family::kReshape:
      return DefineReshape(node, v);
    case Family::kNone:
      break;
  }
  return absl::InternalError(
      absl::StrCat("xnnpack: no mapping for ", OpName(node.op)));
}

absl::Status Refuse(absl::string_view why) {
  return absl::UnimplementedError(why);
}

absl::Status XnnCheck(xnn_status status, absl::string_view what) {
  if (status == xnn_status_success) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(
      "xnn_define_", what, " failed (status ", static_cast<int>(status), ")"));
}

absl::Status Clamp(const Attributes& attrs, float& lo, float& hi) {
  absl::StatusOr<std::string> act = attrs.GetStringOr("activation", "none");
  if (!act.ok()) return act.status();
  lo = -kInf;
  hi = kInf;
  if (*act == "none") return absl::OkStatus();
  lo = 0.0f;
  if (*act == "relu") return absl::OkStatus();
  hi = 6.0f;
  if (*act == "relu6") return absl::OkStatus();
  return Refuse(absl::StrCat("fused activation ", *act));
}

absl::StatusOr<std::vector<int64_t>> StaticInts(const PlanView& view,
                                                const Node& node, int index,
                                                absl::string_view attr,
                                                std::vector<int64_t> dflt) {
  if (index < static_cast<int>(node.inputs.size()) && node.inputs[index] >= 0) {
    const Tensor& t = view.tensor(node.inputs[index]);
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
  return node.attrs.GetIntsOr(attr, std::move(dflt));
}

absl::Status CheckWeights(const PlanView& view, int step, const Node& node) {
  for (int i = 1; i < static_cast<int>(node.inputs.size()); ++i) {
    const int t = node.inputs[i];
    if (t >= 0 && !view.tensor(t).is_static && view.VariableAt(t, step) < 0) {
      return Refuse(absl::StrCat(i == 1 ? "weight" : "bias",
                                 " is computed at run time (XNNPACK packs "
                                 "constant or variable weights only)"));
    }
  }
  return absl::OkStatus();
}

std::vector<size_t> Dims(const Shape& shape) {
  return std::vector<size_t>(shape.begin(), shape.end());
}

absl::StatusOr<Window> GetWindow(const Node& node, const Tensor& x,
                                 const Tensor& y, int64_t kh, int64_t kw,
                                 bool pool) {
  Window w;
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
  w.kh = static_cast<uint32_t>(kh);
  w.kw = static_cast<uint32_t>(kw);
  w.sh = static_cast<uint32_t>(strides[0]);
  w.sw = static_cast<uint32_t>(strides[1]);
  w.dh = static_cast<uint32_t>(dilations[0]);
  w.dw = static_cast<uint32_t>(dilations[1]);
  w.top = w.bottom = w.left = w.right = 0;
  if (padding == "same") {
    const int64_t th = std::max<int64_t>(
        (y.dim(1) - 1) * strides[0] + (kh - 1) * dilations[0] + 1 - x.dim(1),
        0);
    const int64_t tw = std::max<int64_t>(
        (y.dim(2) - 1) * strides[1] + (kw - 1) * dilations[1] + 1 - x.dim(2),
        0);
    w.top = static_cast<uint32_t>(th / 2);
    w.bottom = static_cast<uint32_t>(th - th / 2);
    w.left = static_cast<uint32_t>(tw / 2);
    w.right = static_cast<uint32_t>(tw - tw / 2);
  }
  return w;
}

}  // namespace xnn
}  // namespace attune
