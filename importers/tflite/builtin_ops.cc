// Mapping of TFLite builtin operators to attune ops (the table is in
// importers/tflite/README.md). Each case reads the current operator of the
// SubgraphImporter and records its outputs with Set().

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"
#include "importers/tflite/subgraph_importer.h"

namespace attune {
namespace tflite {
namespace {

using Act = tfl::ActivationFunctionType;

std::string PaddingName(tfl::Padding padding) {
  return padding == tfl::Padding::SAME ? "same" : "valid";
}

// Op1 with the output named after TFLite output 0, recorded as output 0.
absl::Status Emit(SubgraphImporter& im, OpCode op, std::vector<int> inputs,
                  Attributes attrs = {}) {
  const int y = im.builder().Op1(op, std::move(inputs), std::move(attrs),
                                 im.TensorName(im.out(0)));
  im.Set(im.out(0), y);
  return absl::OkStatus();
}

// Gathers the attune handles of inputs [0, count) (-1 for omitted ones).
absl::StatusOr<std::vector<int>> Inputs(SubgraphImporter& im, int count) {
  std::vector<int> handles;
  for (int i = 0; i < count; ++i) {
    ATTUNE_ASSIGN_OR_RETURN(int h, im.Get(im.in(i)));
    handles.push_back(h);
  }
  return handles;
}

absl::StatusOr<std::vector<int>> AllInputs(SubgraphImporter& im) {
  return Inputs(im, im.num_inputs());
}

// An op with an optional attune `activation` attribute (float only); other
// fused activations become separate ops.
absl::Status EmitWithActivation(SubgraphImporter& im, OpCode op,
                                std::vector<int> inputs, Attributes attrs,
                                Act act) {
  ATTUNE_ASSIGN_OR_RETURN(DType dtype, im.ComputeDType(im.out(0)));
  const std::string attr = SubgraphImporter::ActivationAttr(act);
  if (act == Act::NONE || (dtype == DType::kFloat32 && !attr.empty())) {
    if (act != Act::NONE) attrs.SetString("activation", attr);
    return Emit(im, op, std::move(inputs), std::move(attrs));
  }
  if (dtype != DType::kFloat32) {
    return im.Unimplemented("fused activation on a non-float op");
  }
  const int y = im.builder().Op1(op, std::move(inputs), std::move(attrs));
  ATTUNE_ASSIGN_OR_RETURN(int z, im.FusedActivation(y, act, im.out(0)));
  im.Set(im.out(0), z);
  return absl::OkStatus();
}

// A filter in attune layout: constants permuted (and dequantized) at
// import; computed filters by a transpose op.
absl::StatusOr<int> PermutedWeights(SubgraphImporter& im, int t,
                                    std::vector<int> perm) {
  if (im.IsConstant(t)) return im.FloatConstant(t, perm);
  ATTUNE_ASSIGN_OR_RETURN(int w, im.Get(t));
  std::vector<int64_t> p(perm.begin(), perm.end());
  return im.builder().Op1(OpCode::kTranspose, {w},
                          Attributes().SetInts("perm", p));
}

absl::Status Conv2d(SubgraphImporter& im) {
  const tfl::Conv2DOptions* o = im.op().builtin_options_as_Conv2DOptions();
  if (o == nullptr) return im.InvalidArgument("missing Conv2DOptions");
  ATTUNE_ASSIGN_OR_RETURN(int x, im.Get(im.in(0)));
  // OHWI -> HWIO.
  ATTUNE_ASSIGN_OR_RETURN(int w, PermutedWeights(im, im.in(1), {1, 2, 3, 0}));
  ATTUNE_ASSIGN_OR_RETURN(int b, im.Get(im.in(2)));
  Attributes attrs;
  attrs.SetInts("strides", {o->stride_h(), o->stride_w()})
      .SetInts("dilations", {o->dilation_h_factor(), o->dilation_w_factor()})
      .SetString("padding", PaddingName(o->padding()));
  return EmitWithActivation(im, OpCode::kConv2d, {x, w, b}, attrs,
                            o->fused_activation_function());
}

absl::Status DepthwiseConv2d(SubgraphImporter& im) {
  const tfl::DepthwiseConv2DOptions* o =
      im.op().builtin_options_as_DepthwiseConv2DOptions();
  if (o == nullptr) return im.InvalidArgument("missing DepthwiseConv2DOptions");
  ATTUNE_ASSIGN_OR_RETURN(int x, im.Get(im.in(0)));
  const Shape xs = im.TensorShape(im.in(0));
  const Shape ws = im.TensorShape(im.in(1));
  if (xs.size() != 4 || ws.size() != 4 || xs[3] <= 0 || ws[3] % xs[3] != 0) {
    return im.InvalidArgument(
        "depthwise filter [1,kh,kw,c*m] does not match "
        "the input's channels");
  }
  // [1, kh, kw, c*m] -> [kh, kw, c, m]: same element order.
  const std::vector<int64_t> shape = {ws[1], ws[2], xs[3], ws[3] / xs[3]};
  int w;
  if (im.IsConstant(im.in(1))) {
    ATTUNE_ASSIGN_OR_RETURN(w, im.FloatConstant(im.in(1), {}, shape));
  } else {
    ATTUNE_ASSIGN_OR_RETURN(int raw, im.Get(im.in(1)));
    w = im.builder().Op1(OpCode::kReshape, {raw},
                         Attributes().SetInts("shape", shape));
  }
  ATTUNE_ASSIGN_OR_RETURN(int b, im.Get(im.in(2)));
  Attributes attrs;
  attrs.SetInts("strides", {o->stride_h(), o->stride_w()})
      .SetInts("dilations", {o->dilation_h_factor(), o->dilation_w_factor()})
      .SetString("padding", PaddingName(o->padding()));
  return EmitWithActivation(im, OpCode::kDepthwiseConv2d, {x, w, b}, attrs,
                            o->fused_activation_function());
}

absl::Status FullyConnected(SubgraphImporter& im) {
  const tfl::FullyConnectedOptions* o =
      im.op().builtin_options_as_FullyConnectedOptions();
  const Act act = o ? o->fused_activation_function() : Act::NONE;
  if (o != nullptr && o->weights_format() != 0) {
    return im.Unimplemented("shuffled fully-connected weights");
  }
  ATTUNE_ASSIGN_OR_RETURN(int x, im.Get(im.in(0)));
  const Shape ws = im.TensorShape(im.in(1));
  if (ws.size() != 2) return im.InvalidArgument("weights must be [out, in]");
  // [out, in] -> [in, out].
  ATTUNE_ASSIGN_OR_RETURN(int w, PermutedWeights(im, im.in(1), {1, 0}));
  ATTUNE_ASSIGN_OR_RETURN(int b, im.Get(im.in(2)));
  // Without keep_num_dims TFLite flattens the input to [-1, in].
  const bool keep = o != nullptr && o->keep_num_dims();
  if (!keep && im.TensorShape(im.in(0)).size() != 2) {
    x = im.builder().Op1(OpCode::kReshape, {x},
                         Attributes().SetInts("shape", {-1, ws[1]}));
  }
  return EmitWithActivation(im, OpCode::kFullyConnected, {x, w, b}, {}, act);
}

absl::Status Pool(SubgraphImporter& im, OpCode op) {
  const tfl::Pool2DOptions* o = im.op().builtin_options_as_Pool2DOptions();
  if (o == nullptr) return im.InvalidArgument("missing Pool2DOptions");
  ATTUNE_ASSIGN_OR_RETURN(int x, im.Get(im.in(0)));
  Attributes attrs;
  attrs.SetInts("ksize", {o->filter_height(), o->filter_width()})
      .SetInts("strides", {o->stride_h(), o->stride_w()})
      .SetString("padding", PaddingName(o->padding()));
  const int y = im.builder().Op1(op, {x}, attrs, im.TensorName(im.out(0)));
  ATTUNE_ASSIGN_OR_RETURN(
      int z, im.FusedActivation(y, o->fused_activation_function(), im.out(0)));
  im.Set(im.out(0), z);
  return absl::OkStatus();
}

absl::Status Arithmetic(SubgraphImporter& im, OpCode op,
                        const tfl::ActivationOptions* o) {
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int> in, Inputs(im, 2));
  return EmitWithActivation(im, op, in, {},
                            o ? o->fused_activation_function() : Act::NONE);
}

absl::Status Simple(SubgraphImporter& im, OpCode op, Attributes attrs = {}) {
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int> in, AllInputs(im));
  return Emit(im, op, in, std::move(attrs));
}

absl::Status Reduce(SubgraphImporter& im, OpCode op) {
  const tfl::ReducerOptions* o = im.op().builtin_options_as_ReducerOptions();
  return Simple(im, op,
                Attributes().SetInt("keepdims", o && o->keep_dims() ? 1 : 0));
}

absl::StatusOr<std::string> TypeName(SubgraphImporter& im, int t) {
  ATTUNE_ASSIGN_OR_RETURN(DType dtype, im.ComputeDType(t));
  return std::string(DTypeName(dtype));
}

absl::Status Reshape(SubgraphImporter& im) {
  ATTUNE_ASSIGN_OR_RETURN(int x, im.Get(im.in(0)));
  if (im.num_inputs() >= 2 && im.in(1) >= 0) {
    ATTUNE_ASSIGN_OR_RETURN(int shape, im.Get(im.in(1)));
    return Emit(im, OpCode::kReshape, {x, shape});
  }
  std::vector<int64_t> shape;
  const tfl::ReshapeOptions* o = im.op().builtin_options_as_ReshapeOptions();
  if (o != nullptr && o->new_shape() != nullptr) {
    shape.assign(o->new_shape()->begin(), o->new_shape()->end());
  } else {
    const Shape s = im.TensorShape(im.out(0));
    shape.assign(s.begin(), s.end());
  }
  return Emit(im, OpCode::kReshape, {x}, Attributes().SetInts("shape", shape));
}

absl::Status Concat(SubgraphImporter& im) {
  const tfl::ConcatenationOptions* o =
      im.op().builtin_options_as_ConcatenationOptions();
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int> in, AllInputs(im));
  const int y = im.builder().Op1(OpCode::kConcat, in,
                                 Attributes().SetInt("axis", o ? o->axis() : 0),
                                 im.TensorName(im.out(0)));
  ATTUNE_ASSIGN_OR_RETURN(
      int z, im.FusedActivation(
                 y, o ? o->fused_activation_function() : Act::NONE, im.out(0)));
  im.Set(im.out(0), z);
  return absl::OkStatus();
}

absl::Status StridedSlice(SubgraphImporter& im) {
  const tfl::StridedSliceOptions* o =
      im.op().builtin_options_as_StridedSliceOptions();
  Attributes attrs;
  if (o != nullptr) {
    if (o->offset()) return im.Unimplemented("strided_slice with offset=true");
    attrs.SetInt("begin_mask", o->begin_mask())
        .SetInt("end_mask", o->end_mask())
        .SetInt("ellipsis_mask", o->ellipsis_mask())
        .SetInt("new_axis_mask", o->new_axis_mask())
        .SetInt("shrink_axis_mask", o->shrink_axis_mask());
  }
  return Simple(im, OpCode::kStridedSlice, attrs);
}

absl::Status Unpack(SubgraphImporter& im) {
  const tfl::UnpackOptions* o = im.op().builtin_options_as_UnpackOptions();
  ATTUNE_ASSIGN_OR_RETURN(int x, im.Get(im.in(0)));
  const int num = im.num_outputs();
  std::vector<int> ys = im.builder().Op(
      OpCode::kUnpack, {x},
      Attributes().SetInt("axis", o ? o->axis() : 0).SetInt("num", num), num,
      im.TensorName(im.out(0)));
  for (int i = 0; i < num; ++i) im.Set(im.out(i), ys[i]);
  return absl::OkStatus();
}

// ADD_N as a chain of adds.
absl::Status AddN(SubgraphImporter& im) {
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int> in, AllInputs(im));
  if (in.empty()) return im.InvalidArgument("needs at least one input");
  int sum = in[0];
  for (size_t i = 1; i < in.size(); ++i) {
    sum = im.builder().Op1(OpCode::kAdd, {sum, in[i]}, {},
                           i + 1 == in.size() ? im.TensorName(im.out(0)) : "");
  }
  im.Set(im.out(0), sum);
  return absl::OkStatus();
}

absl::Status OneHot(SubgraphImporter& im) {
  const tfl::OneHotOptions* o = im.op().builtin_options_as_OneHotOptions();
  ATTUNE_ASSIGN_OR_RETURN(std::string dtype, TypeName(im, im.out(0)));
  return Simple(im, OpCode::kOneHot,
                Attributes()
                    .SetInt("axis", o ? o->axis() : -1)
                    .SetString("dtype", dtype));
}

}  // namespace

absl::Status MapBuiltin(SubgraphImporter& im, tfl::BuiltinOperator code) {
  using B = tfl::BuiltinOperator;
  const tfl::Operator& op = im.op();
  if (im.num_outputs() < 1) return im.InvalidArgument("has no outputs");
  switch (code) {
    case B::CONV_2D:
      return Conv2d(im);
    case B::DEPTHWISE_CONV_2D:
      return DepthwiseConv2d(im);
    case B::FULLY_CONNECTED:
      return FullyConnected(im);
    case B::BATCH_MATMUL: {
      const tfl::BatchMatMulOptions* o =
          op.builtin_options_as_BatchMatMulOptions();
      return Simple(im, OpCode::kBatchMatMul,
                    Attributes()
                        .SetInt("adj_x", o && o->adj_x() ? 1 : 0)
                        .SetInt("adj_y", o && o->adj_y() ? 1 : 0));
    }
    case B::AVERAGE_POOL_2D:
      return Pool(im, OpCode::kAvgPool2d);
    case B::MAX_POOL_2D:
      return Pool(im, OpCode::kMaxPool2d);
    case B::ADD:
      return Arithmetic(im, OpCode::kAdd, op.builtin_options_as_AddOptions());
    case B::SUB:
      return Arithmetic(im, OpCode::kSub, op.builtin_options_as_SubOptions());
    case B::MUL:
      return Arithmetic(im, OpCode::kMul, op.builtin_options_as_MulOptions());
    case B::DIV:
      return Arithmetic(im, OpCode::kDiv, op.builtin_options_as_DivOptions());
    case B::ADD_N:
      return AddN(im);
    case B::MAXIMUM:
      return Simple(im, OpCode::kMaximum);
    case B::MINIMUM:
      return Simple(im, OpCode::kMinimum);
    case B::POW:
      return Simple(im, OpCode::kPow);
    case B::SQUARED_DIFFERENCE:
      return Simple(im, OpCode::kSquaredDifference);
    case B::FLOOR_DIV:
      return Simple(im, OpCode::kFloorDiv);
    case B::EQUAL:
      return Simple(im, OpCode::kEqual);
    case B::NOT_EQUAL:
      return Simple(im, OpCode::kNotEqual);
    case B::LESS:
      return Simple(im, OpCode::kLess);
    case B::LESS_EQUAL:
      return Simple(im, OpCode::kLessEqual);
    case B::GREATER:
      return Simple(im, OpCode::kGreater);
    case B::GREATER_EQUAL:
      return Simple(im, OpCode::kGreaterEqual);
    case B::LOGICAL_AND:
      return Simple(im, OpCode::kLogicalAnd);
    case B::LOGICAL_OR:
      return Simple(im, OpCode::kLogicalOr);
    case B::LOGICAL_NOT:
      return Simple(im, OpCode::kLogicalNot);
    case B::SELECT:
    case B::SELECT_V2:
      return Simple(im, OpCode::kSelect);
    case B::RELU:
      return Simple(im, OpCode::kRelu);
    case B::RELU6:
      return Simple(im, OpCode::kRelu6);
    case B::LOGISTIC:
      return Simple(im, OpCode::kSigmoid);
    case B::TANH:
      return Simple(im, OpCode::kTanh);
    case B::HARD_SWISH:
      return Simple(im, OpCode::kHardSwish);
    case B::ELU:
      return Simple(im, OpCode::kElu);
    case B::EXP:
      return Simple(im, OpCode::kExp);
    case B::LOG:
      return Simple(im, OpCode::kLog);
    case B::SQRT:
      return Simple(im, OpCode::kSqrt);
    case B::RSQRT:
      return Simple(im, OpCode::kRsqrt);
    case B::SQUARE:
      return Simple(im, OpCode::kSquare);
    case B::NEG:
      return Simple(im, OpCode::kNeg);
    case B::ABS:
      return Simple(im, OpCode::kAbs);
    case B::LEAKY_RELU: {
      const tfl::LeakyReluOptions* o = op.builtin_options_as_LeakyReluOptions();
      return Simple(im, OpCode::kLeakyRelu,
                    Attributes().SetFloat("alpha", o ? o->alpha() : 0.2));
    }
    case B::GELU: {
      const tfl::GeluOptions* o = op.builtin_options_as_GeluOptions();
      return Simple(im, OpCode::kGelu,
                    Attributes().SetInt("approximate", o && o->approximate()));
    }
    case B::SOFTMAX: {
      const tfl::SoftmaxOptions* o = op.builtin_options_as_SoftmaxOptions();
      return Simple(im, OpCode::kSoftmax,
                    Attributes().SetFloat("beta", o ? o->beta() : 1.0));
    }
    case B::LOG_SOFTMAX:
      return Simple(im, OpCode::kLogSoftmax);
    case B::MEAN:
      return Reduce(im, OpCode::kMean);
    case B::SUM:
      return Reduce(im, OpCode::kSum);
    case B::REDUCE_MAX:
      return Reduce(im, OpCode::kReduceMax);
    case B::REDUCE_MIN:
      return Reduce(im, OpCode::kReduceMin);
    case B::REDUCE_PROD:
      return Reduce(im, OpCode::kReduceProd);
    case B::ARG_MAX: {
      const tfl::ArgMaxOptions* o = op.builtin_options_as_ArgMaxOptions();
      const bool i32 = o && o->output_type() == tfl::TensorType::INT32;
      return Simple(
          im, OpCode::kArgMax,
          Attributes().SetString("output_type", i32 ? "int32" : "int64"));
    }
    case B::ONE_HOT:
      return OneHot(im);
    case B::RESHAPE:
      return Reshape(im);
    case B::SQUEEZE: {
      const tfl::SqueezeOptions* o = op.builtin_options_as_SqueezeOptions();
      Attributes attrs;
      if (o && o->squeeze_dims() && o->squeeze_dims()->size() > 0) {
        attrs.SetInts("axes", std::vector<int64_t>(o->squeeze_dims()->begin(),
                                                   o->squeeze_dims()->end()));
      }
      ATTUNE_ASSIGN_OR_RETURN(int x, im.Get(im.in(0)));
      return Emit(im, OpCode::kSqueeze, {x}, attrs);
    }
    case B::EXPAND_DIMS:
      return Simple(im, OpCode::kExpandDims);
    case B::TRANSPOSE:
      return Simple(im, OpCode::kTranspose);
    case B::CONCATENATION:
      return Concat(im);
    case B::PACK: {
      const tfl::PackOptions* o = op.builtin_options_as_PackOptions();
      return Simple(im, OpCode::kPack,
                    Attributes().SetInt("axis", o ? o->axis() : 0));
    }
    case B::UNPACK:
      return Unpack(im);
    case B::SLICE:
      return Simple(im, OpCode::kSlice);
    case B::STRIDED_SLICE:
      return StridedSlice(im);
    case B::GATHER: {
      const tfl::GatherOptions* o = op.builtin_options_as_GatherOptions();
      return Simple(im, OpCode::kGather,
                    Attributes()
                        .SetInt("axis", o ? o->axis() : 0)
                        .SetInt("batch_dims", o ? o->batch_dims() : 0));
    }
    case B::TILE:
      return Simple(im, OpCode::kTile);
    case B::FILL:
      return Simple(im, OpCode::kFill);
    case B::BROADCAST_TO:
      return Simple(im, OpCode::kBroadcastTo);
    case B::SHAPE: {
      ATTUNE_ASSIGN_OR_RETURN(std::string type, TypeName(im, im.out(0)));
      return Simple(im, OpCode::kShape,
                    Attributes().SetString("out_type", type));
    }
    case B::CAST: {
      ATTUNE_ASSIGN_OR_RETURN(std::string type, TypeName(im, im.out(0)));
      return Simple(im, OpCode::kCast, Attributes().SetString("dtype", type));
    }
    case B::ZEROS_LIKE:
      return Simple(im, OpCode::kZerosLike);
    case B::PAD:
    case B::PADV2:
      return Simple(im, OpCode::kPad);
    case B::DEQUANTIZE:
    case B::QUANTIZE: {
      // Computation is float32 throughout: both are identities (a constant
      // input was dequantized when it was read).
      ATTUNE_ASSIGN_OR_RETURN(int x, im.Get(im.in(0)));
      im.Set(im.out(0), x);
      return absl::OkStatus();
    }
    default:
      return im.Unimplemented(
          absl::StrCat("TFLite op ", BuiltinName(code), " is not supported"));
  }
}

}  // namespace tflite
}  // namespace attune
