#include "delegates/xnnpack/xnnpack_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace attune {
namespace xnn {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

absl::Status Refuse(absl::string_view why) {
  return absl::UnimplementedError(why);
}

absl::Status XnnCheck(xnn_status status, absl::string_view what) {
  if (status == xnn_status_success) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("xnn_define_", what, " failed (status ",
                   static_cast<int>(status), ")"));
}

// Output clamp of a fused activation; Unimplemented for the others.
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

// Ints from static input `index` (when present) or attribute `attr`.
absl::StatusOr<std::vector<int64_t>> StaticInts(const PlanView& view,
                                                const Node& node, int index,
                                                absl::string_view attr,
                                                std::vector<int64_t> dflt) {
  if (index < static_cast<int>(node.inputs.size()) &&
      node.inputs[index] >= 0) {
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

// Static or a variable valid at `step`: data XNNPACK may read at creation.
bool IsConstantOperand(const PlanView& view, int step, int t) {
  return view.tensor(t).is_static || view.VariableAt(t, step) >= 0;
}

struct Window {
  uint32_t kh, kw, sh, sw, dh, dw;
  uint32_t top, bottom, left, right;
};

// Window geometry from the prepared shapes (the reference shape rules ran):
// SAME pads TensorFlow-style, the extra row/column at the bottom/right.
absl::StatusOr<Window> GetWindow(const Node& node, const Tensor& x,
                                 const Tensor& y, int64_t kh, int64_t kw,
                                 bool pool) {
  Window w;
  std::vector<int64_t> dflt = pool ? std::vector<int64_t>{kh, kw}
                                   : std::vector<int64_t>{1, 1};
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

// [kh, kw, c, o] -> [o, kh, kw, c].
void HwioToOhwi(const Tensor& f, const float* src, float* dst) {
  const int64_t khkwc = f.dim(0) * f.dim(1) * f.dim(2);
  const int64_t o = f.dim(3);
  for (int64_t i = 0; i < khkwc; ++i) {
    for (int64_t j = 0; j < o; ++j) dst[j * khkwc + i] = src[i * o + j];
  }
}

void Copy(const Tensor& f, const float* src, float* dst) {
  std::memcpy(dst, src, static_cast<size_t>(f.num_elements()) * sizeof(float));
}

absl::Status CheckWeights(const PlanView& view, int step, const Node& node) {
  for (int i = 1; i < static_cast<int>(node.inputs.size()); ++i) {
    const int t = node.inputs[i];
    if (t >= 0 && !IsConstantOperand(view, step, t)) {
      return Refuse(absl::StrCat(i == 1 ? "weight" : "bias",
                                 " is computed at run time (XNNPACK packs "
                                 "constant or variable weights only)"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckOpImpl(const PlanView& view, int step) {
  const Node& node = view.node(step);
  if (node.outputs.size() != 1) {
    return Refuse(absl::StrCat("op ", OpName(node.op), " has no mapping"));
  }
  for (int t : node.outputs) {
    if (view.tensor(t).dtype != DType::kFloat32) {
      return Refuse(absl::StrCat("output dtype ",
                                 DTypeName(view.tensor(t).dtype)));
    }
    if (view.tensor(t).rank() > XNN_MAX_TENSOR_DIMS) {
      return Refuse("rank above 6");
    }
  }
  if (node.inputs.empty() || node.inputs[0] < 0 ||
      view.tensor(node.inputs[0]).dtype != DType::kFloat32) {
    return Refuse("input is not float32");
  }
  const Tensor& x = view.tensor(node.inputs[0]);
  const Tensor& y = view.tensor(node.outputs[0]);
  if (x.rank() > XNN_MAX_TENSOR_DIMS) return Refuse("rank above 6");
  float lo, hi;
  switch (node.op) {
    case OpCode::kFullyConnected:
      ATTUNE_RETURN_IF_ERROR(Clamp(node.attrs, lo, hi));
      return CheckWeights(view, step, node);
    case OpCode::kConv2d:
    case OpCode::kDepthwiseConv2d: {
      ATTUNE_RETURN_IF_ERROR(Clamp(node.attrs, lo, hi));
      ATTUNE_RETURN_IF_ERROR(CheckWeights(view, step, node));
      const Tensor& f = view.tensor(node.inputs[1]);
      return GetWindow(node, x, y, f.dim(0), f.dim(1), false).status();
    }
    case OpCode::kMaxPool2d:
    case OpCode::kAvgPool2d: {
      ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> k,
                              node.attrs.GetInts("ksize"));
      if (k.size() != 2 || k[0] * k[1] <= 1) {
        return Refuse("pooling window of one element");
      }
      return GetWindow(node, x, y, k[0], k[1], true).status();
    }
    case OpCode::kMean: {
      std::vector<int64_t> dflt;
      ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> axes,
                              StaticInts(view, node, 1, "axes", dflt));
      for (int64_t& a : axes) {
        if (a < 0) a += x.rank();
      }
      std::sort(axes.begin(), axes.end());
      if (x.rank() != 4 || axes != std::vector<int64_t>{1, 2}) {
        return Refuse("mean other than over axes {1,2} of NHWC");
      }
      return absl::OkStatus();
    }
    case OpCode::kAdd:
    case OpCode::kSub:
    case OpCode::kMul:
    case OpCode::kDiv:
      ATTUNE_RETURN_IF_ERROR(Clamp(node.attrs, lo, hi));
      [[fallthrough]];
    case OpCode::kMaximum:
    case OpCode::kMinimum:
    case OpCode::kSquaredDifference:
      if (view.tensor(node.inputs[1]).dtype != DType::kFloat32) {
        return Refuse("input is not float32");
      }
      if (view.tensor(node.inputs[1]).rank() > XNN_MAX_TENSOR_DIMS) {
        return Refuse("rank above 6");
      }
      return absl::OkStatus();
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
      return absl::OkStatus();
    case OpCode::kSoftmax: {
      ATTUNE_ASSIGN_OR_RETURN(int64_t axis, node.attrs.GetIntOr("axis", -1));
      ATTUNE_ASSIGN_OR_RETURN(double beta, node.attrs.GetFloatOr("beta", 1.0));
      if ((axis != -1 && axis != x.rank() - 1) || beta != 1.0 || x.rank() < 1) {
        return Refuse("softmax over a non-last axis or with beta != 1");
      }
      return absl::OkStatus();
    }
    case OpCode::kReshape:
    case OpCode::kSqueeze:
    case OpCode::kExpandDims:
      return absl::OkStatus();  // the output shape is settled at prepare
    case OpCode::kPad: {
      if (node.inputs.size() > 2 && node.inputs[2] >= 0 &&
          !view.tensor(node.inputs[2]).is_static) {
        return Refuse("pad value computed at run time");
      }
      std::vector<int64_t> dflt;
      ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> pads,
                              StaticInts(view, node, 1, "paddings", dflt));
      if (static_cast<int>(pads.size()) != 2 * x.rank()) {
        return Refuse("paddings do not match the rank");
      }
      for (int64_t p : pads) {
        if (p < 0) return Refuse("negative padding");
      }
      if (node.inputs.size() > 2 && node.inputs[2] >= 0 &&
          view.tensor(node.inputs[2]).dtype != DType::kFloat32) {
        return Refuse("pad value is not float32");
      }
      return absl::OkStatus();
    }
    default:
      return Refuse(absl::StrCat("op ", OpName(node.op), " has no mapping"));
  }
}

std::vector<size_t> Dims(const Shape& shape) {
  return std::vector<size_t>(shape.begin(), shape.end());
}

}  // namespace

absl::Status CheckOp(const PlanView& view, int step) {
  absl::Status status = CheckOpImpl(view, step);
  if (status.ok() || absl::IsUnimplemented(status)) return status;
  return Refuse(status.message());  // attributes the reference kernel read
}

bool IsPackedWeight(OpCode op, int input) {
  return (op == OpCode::kFullyConnected || op == OpCode::kConv2d ||
          op == OpCode::kDepthwiseConv2d) &&
         input >= 1;
}

absl::Status DefineOp(const Node& node, ValueDefiner& v) {
  xnn_subgraph_t sg = v.subgraph();
  const Tensor& x = v.tensor(node.inputs[0]);
  const Tensor& y = v.tensor(node.outputs[0]);
  ATTUNE_ASSIGN_OR_RETURN(uint32_t in, v.Value(node.inputs[0]));
  const int bias_t = node.inputs.size() > 2 ? node.inputs[2] : -1;
  float lo = -kInf, hi = kInf;
  switch (node.op) {
    case OpCode::kFullyConnected: {
      ATTUNE_RETURN_IF_ERROR(Clamp(node.attrs, lo, hi));
      ATTUNE_ASSIGN_OR_RETURN(uint32_t w, v.Value(node.inputs[1]));
      uint32_t b = XNN_INVALID_VALUE_ID;
      if (bias_t >= 0) {
        ATTUNE_ASSIGN_OR_RETURN(b, v.Value(bias_t));
      }
      ATTUNE_ASSIGN_OR_RETURN(uint32_t out, v.Value(node.outputs[0]));
      return XnnCheck(xnn_define_fully_connected(sg, lo, hi, in, w, b, out,
                                                 XNN_FLAG_TRANSPOSE_WEIGHTS),
                      "fully_connected");
    }
    case OpCode::kConv2d:
    case OpCode::kDepthwiseConv2d: {
      ATTUNE_RETURN_IF_ERROR(Clamp(node.attrs, lo, hi));
      const Tensor& f = v.tensor(node.inputs[1]);
      ATTUNE_ASSIGN_OR_RETURN(Window w,
                              GetWindow(node, x, y, f.dim(0), f.dim(1), false));
      const bool depthwise = node.op == OpCode::kDepthwiseConv2d;
      const size_t kh = f.dim(0), kw = f.dim(1), c = f.dim(2), o = f.dim(3);
      uint32_t filter;
      if (depthwise) {
        ATTUNE_ASSIGN_OR_RETURN(
            filter, v.PackedValue(node.inputs[1], {1, kh, kw, c * o}, Copy));
      } else {
        ATTUNE_ASSIGN_OR_RETURN(
            filter, v.PackedValue(node.inputs[1], {o, kh, kw, c}, HwioToOhwi));
      }
      uint32_t b = XNN_INVALID_VALUE_ID;
      if (bias_t >= 0) {
        ATTUNE_ASSIGN_OR_RETURN(b, v.Value(bias_t));
      }
      ATTUNE_ASSIGN_OR_RETURN(uint32_t out, v.Value(node.outputs[0]));
      if (depthwise) {
        return XnnCheck(xnn_define_depthwise_convolution_2d(
                            sg, w.top, w.right, w.bottom, w.left, w.kh, w.kw,
                            w.sh, w.sw, w.dh, w.dw, static_cast<uint32_t>(o),
                            c, lo, hi, in, filter, b, out, 0),
                        "depthwise_convolution_2d");
      }
      return XnnCheck(
          xnn_define_convolution_2d(sg, w.top, w.right, w.bottom, w.left, w.kh,
                                    w.kw, w.sh, w.sw, w.dh, w.dw, 1, c, o, lo,
                                    hi, in, filter, b, out, 0),
          "convolution_2d");
    }
    case OpCode::kMaxPool2d:
    case OpCode::kAvgPool2d: {
      ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> k,
                              node.attrs.GetInts("ksize"));
      ATTUNE_ASSIGN_OR_RETURN(Window w, GetWindow(node, x, y, k[0], k[1], true));
      ATTUNE_ASSIGN_OR_RETURN(uint32_t out, v.Value(node.outputs[0]));
      if (node.op == OpCode::kMaxPool2d) {
        return XnnCheck(xnn_define_max_pooling_2d(
                            sg, w.top, w.right, w.bottom, w.left, w.kh, w.kw,
                            w.sh, w.sw, 1, 1, -kInf, kInf, in, out, 0),
                        "max_pooling_2d");
      }
      return XnnCheck(xnn_define_average_pooling_2d(
                          sg, w.top, w.right, w.bottom, w.left, w.kh, w.kw,
                          w.sh, w.sw, -kInf, kInf, in, out, 0),
                      "average_pooling_2d");
    }
    case OpCode::kMean: {
      // XNNPACK's result is [n, 1, 1, c]; reshape when keepdims is 0.
      ATTUNE_ASSIGN_OR_RETURN(uint32_t out, v.Value(node.outputs[0]));
      if (y.rank() == 4) {
        return XnnCheck(xnn_define_global_average_pooling_2d(sg, -kInf, kInf,
                                                             in, out, 0),
                        "global_average_pooling_2d");
      }
      const std::vector<size_t> dims = {static_cast<size_t>(x.dim(0)), 1, 1,
                                        static_cast<size_t>(x.dim(3))};
      ATTUNE_ASSIGN_OR_RETURN(uint32_t pooled, v.InternalValue(dims));
      ATTUNE_RETURN_IF_ERROR(XnnCheck(
          xnn_define_global_average_pooling_2d(sg, -kInf, kInf, in, pooled, 0),
          "global_average_pooling_2d"));
      const std::vector<size_t> out_dims = Dims(y.shape);
      return XnnCheck(xnn_define_static_reshape(sg, out_dims.size(),
                                                out_dims.data(), pooled, out, 0),
                      "static_reshape");
    }
    case OpCode::kAdd:
    case OpCode::kSub:
    case OpCode::kMul:
    case OpCode::kDiv:
    case OpCode::kMaximum:
    case OpCode::kMinimum:
    case OpCode::kSquaredDifference: {
      ATTUNE_ASSIGN_OR_RETURN(uint32_t in2, v.Value(node.inputs[1]));
      ATTUNE_ASSIGN_OR_RETURN(uint32_t out, v.Value(node.outputs[0]));
      switch (node.op) {
        case OpCode::kAdd:
          ATTUNE_RETURN_IF_ERROR(Clamp(node.attrs, lo, hi));
          return XnnCheck(xnn_define_add2(sg, lo, hi, in, in2, out, 0), "add2");
        case OpCode::kSub:
          ATTUNE_RETURN_IF_ERROR(Clamp(node.attrs, lo, hi));
          return XnnCheck(xnn_define_subtract(sg, lo, hi, in, in2, out, 0),
                          "subtract");
        case OpCode::kMul:
          ATTUNE_RETURN_IF_ERROR(Clamp(node.attrs, lo, hi));
          return XnnCheck(xnn_define_multiply2(sg, lo, hi, in, in2, out, 0),
                          "multiply2");
        case OpCode::kDiv:
          ATTUNE_RETURN_IF_ERROR(Clamp(node.attrs, lo, hi));
          return XnnCheck(xnn_define_divide(sg, lo, hi, in, in2, out, 0),
                          "divide");
        case OpCode::kMaximum:
          return XnnCheck(xnn_define_maximum2(sg, in, in2, out, 0), "maximum2");
        case OpCode::kMinimum:
          return XnnCheck(xnn_define_minimum2(sg, in, in2, out, 0), "minimum2");
        default:
          return XnnCheck(xnn_define_squared_difference(sg, in, in2, out, 0),
                          "squared_difference");
      }
    }
    case OpCode::kRelu:
    case OpCode::kRelu6: {
      ATTUNE_ASSIGN_OR_RETURN(uint32_t out, v.Value(node.outputs[0]));
      return XnnCheck(
          xnn_define_clamp(sg, 0.0f, node.op == OpCode::kRelu ? kInf : 6.0f,
                           in, out, 0),
          "clamp");
    }
    case OpCode::kLeakyRelu:
    case OpCode::kElu: {
      const bool leaky = node.op == OpCode::kLeakyRelu;
      ATTUNE_ASSIGN_OR_RETURN(double alpha,
                              node.attrs.GetFloatOr("alpha", leaky ? 0.2 : 1.0));
      ATTUNE_ASSIGN_OR_RETURN(uint32_t out, v.Value(node.outputs[0]));
      if (leaky) {
        return XnnCheck(xnn_define_leaky_relu(sg, static_cast<float>(alpha), in,
                                              out, 0),
                        "leaky_relu");
      }
      return XnnCheck(
          xnn_define_elu(sg, static_cast<float>(alpha), in, out, 0), "elu");
    }
    case OpCode::kSigmoid:
    case OpCode::kHardSwish:
    case OpCode::kAbs:
    case OpCode::kNeg:
    case OpCode::kSquare:
    case OpCode::kSqrt:
    case OpCode::kSoftmax: {
      ATTUNE_ASSIGN_OR_RETURN(uint32_t out, v.Value(node.outputs[0]));
      switch (node.op) {
        case OpCode::kSigmoid:
          return XnnCheck(xnn_define_sigmoid(sg, in, out, 0), "sigmoid");
        case OpCode::kHardSwish:
          return XnnCheck(xnn_define_hardswish(sg, in, out, 0), "hardswish");
        case OpCode::kAbs:
          return XnnCheck(xnn_define_abs(sg, in, out, 0), "abs");
        case OpCode::kNeg:
          return XnnCheck(xnn_define_negate(sg, in, out, 0), "negate");
        case OpCode::kSquare:
          return XnnCheck(xnn_define_square(sg, in, out, 0), "square");
        case OpCode::kSqrt:
          return XnnCheck(xnn_define_square_root(sg, in, out, 0),
                          "square_root");
        default:
          return XnnCheck(xnn_define_softmax(sg, in, out, 0), "softmax");
      }
    }
    case OpCode::kReshape:
    case OpCode::kSqueeze:
    case OpCode::kExpandDims: {
      ATTUNE_ASSIGN_OR_RETURN(uint32_t out, v.Value(node.outputs[0]));
      const std::vector<size_t> dims = Dims(y.shape);
      return XnnCheck(
          xnn_define_static_reshape(sg, dims.size(), dims.data(), in, out, 0),
          "static_reshape");
    }
    case OpCode::kPad: {
      // CheckOp accepted static, non-negative [rank, 2] paddings.
      std::vector<size_t> pre(x.rank()), post(x.rank());
      std::vector<int64_t> pads;
      if (node.inputs.size() > 1 && node.inputs[1] >= 0) {
        const Tensor& p = v.tensor(node.inputs[1]);
        for (int64_t k = 0; k < p.num_elements(); ++k) {
          pads.push_back(p.dtype == DType::kInt32 ? p.data_as<int32_t>()[k]
                                                  : p.data_as<int64_t>()[k]);
        }
      } else {
        ATTUNE_ASSIGN_OR_RETURN(pads, node.attrs.GetInts("paddings"));
      }
      for (int d = 0; d < x.rank(); ++d) {
        pre[d] = static_cast<size_t>(pads[2 * d]);
        post[d] = static_cast<size_t>(pads[2 * d + 1]);
      }
      double value = 0.0;
      if (node.inputs.size() > 2 && node.inputs[2] >= 0) {
        value = v.tensor(node.inputs[2]).data_as<float>()[0];
      } else {
        ATTUNE_ASSIGN_OR_RETURN(value, node.attrs.GetFloatOr("value", 0.0));
      }
      ATTUNE_ASSIGN_OR_RETURN(uint32_t out, v.Value(node.outputs[0]));
      return XnnCheck(
          xnn_define_static_constant_pad(sg, pre.data(), post.data(),
                                         static_cast<float>(value), in, out, 0),
          "static_constant_pad");
    }
    default:
      return absl::InternalError(
          absl::StrCat("xnnpack: no mapping for ", OpName(node.op)));
  }
}

}  // namespace xnn
}  // namespace attune
