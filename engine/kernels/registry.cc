#include "engine/kernels/registry.h"

#include <array>

namespace attune {

// Each kernel file defines its Register* function(s). One declaration and
// one table line per op, grouped by kernel family (keep groups apart so
// independent changes merge cleanly).

// ---- dense and convolution: fully_connected.cc, batch_matmul.cc,
// conv2d.cc, depthwise_conv2d.cc, pool2d.cc
KernelRegistration RegisterFullyConnected();
KernelRegistration RegisterBatchMatMul();
KernelRegistration RegisterConv2d();
KernelRegistration RegisterDepthwiseConv2d();
KernelRegistration RegisterMaxPool2d();
KernelRegistration RegisterAvgPool2d();
// (end dense and convolution)


// ---- elementwise: binary.cc, unary.cc, comparison.cc, select.cc, cast.cc
KernelRegistration RegisterAdd();
KernelRegistration RegisterSub();
KernelRegistration RegisterMul();
KernelRegistration RegisterDiv();
KernelRegistration RegisterMaximum();
KernelRegistration RegisterMinimum();
KernelRegistration RegisterPow();
KernelRegistration RegisterSquaredDifference();
KernelRegistration RegisterRelu();
KernelRegistration RegisterRelu6();
KernelRegistration RegisterLeakyRelu();
KernelRegistration RegisterSigmoid();
KernelRegistration RegisterTanh();
KernelRegistration RegisterHardSwish();
KernelRegistration RegisterGelu();
KernelRegistration RegisterElu();
KernelRegistration RegisterExp();
KernelRegistration RegisterLog();
KernelRegistration RegisterSqrt();
KernelRegistration RegisterRsqrt();
KernelRegistration RegisterSquare();
KernelRegistration RegisterNeg();
KernelRegistration RegisterAbs();
KernelRegistration RegisterEqual();
KernelRegistration RegisterNotEqual();
KernelRegistration RegisterLess();
KernelRegistration RegisterLessEqual();
KernelRegistration RegisterGreater();
KernelRegistration RegisterGreaterEqual();
KernelRegistration RegisterLogicalAnd();
KernelRegistration RegisterLogicalOr();
KernelRegistration RegisterLogicalNot();
KernelRegistration RegisterSelect();
KernelRegistration RegisterCast();
// (end elementwise)


// ---- softmax, reductions, indices: softmax.cc, reduce.cc, arg_max.cc,
// one_hot.cc, zeros_like.cc, dequantize.cc
KernelRegistration RegisterSoftmax();
KernelRegistration RegisterLogSoftmax();
KernelRegistration RegisterSum();
KernelRegistration RegisterMean();
KernelRegistration RegisterReduceMax();
KernelRegistration RegisterReduceMin();
KernelRegistration RegisterReduceProd();
KernelRegistration RegisterArgMax();
KernelRegistration RegisterOneHot();
KernelRegistration RegisterZerosLike();
KernelRegistration RegisterDequantize();
// (end softmax, reductions, indices)


// ---- variables: variable_ops.cc
KernelRegistration RegisterReadVariable();
KernelRegistration RegisterAssignVariable();
// (end variables)


// ---- training: activation_grad.cc, broadcast_to.cc,
// softmax_cross_entropy.cc, optimizer_updates.cc, scatter_add.cc
KernelRegistration RegisterActivationGrad();
KernelRegistration RegisterBroadcastTo();
KernelRegistration RegisterSumToShape();
KernelRegistration RegisterSoftmaxCrossEntropy();
KernelRegistration RegisterOptimizerUpdate();
KernelRegistration RegisterScatterAdd();
// TFLite importer: binary.cc (floor_div), broadcast_gradient_args.cc
KernelRegistration RegisterFloorDiv();
KernelRegistration RegisterBroadcastGradientArgs();
// (end training)


// ---- convolution gradients: conv2d_grad.cc, depthwise_conv2d_grad.cc,
// pool2d_grad.cc
KernelRegistration RegisterConv2dBackpropInput();
KernelRegistration RegisterConv2dBackpropFilter();
KernelRegistration RegisterDepthwiseConv2dBackpropInput();
KernelRegistration RegisterDepthwiseConv2dBackpropFilter();
KernelRegistration RegisterMaxPool2dGrad();
KernelRegistration RegisterAvgPool2dGrad();
// (end convolution gradients)


// ---- shape and data movement: reshape.cc, transpose.cc, concat.cc, ...
KernelRegistration RegisterReshape();
KernelRegistration RegisterTranspose();
KernelRegistration RegisterConcat();
KernelRegistration RegisterPack();
KernelRegistration RegisterUnpack();
KernelRegistration RegisterSlice();
KernelRegistration RegisterStridedSlice();
KernelRegistration RegisterGather();
KernelRegistration RegisterTile();
KernelRegistration RegisterFill();
KernelRegistration RegisterShape();
KernelRegistration RegisterExpandDims();
KernelRegistration RegisterSqueeze();
KernelRegistration RegisterPad();
// (end shape and data movement)


// ---- checkpoints: checkpoint/checkpoint_kernels.cc
KernelRegistration RegisterSaveCheckpoint();
KernelRegistration RegisterRestoreCheckpoint();
// checkpoint/tensor_checkpoint_kernels.cc (TFLite Flex Save/Restore)
KernelRegistration RegisterSaveTensors();
KernelRegistration RegisterRestoreTensors();
// (end checkpoints)


// ---- random: random_mask.cc
KernelRegistration RegisterRandomMask();
// (end random)


namespace {

using Table = std::array<KernelRegistration, kNumOpCodes>;

Table BuildTable() {
  Table t{};
  auto set = [&t](OpCode op, KernelRegistration r) {
    t[static_cast<int>(op)] = r;
  };
  // ---- dense and convolution
  set(OpCode::kFullyConnected, RegisterFullyConnected());
  set(OpCode::kBatchMatMul, RegisterBatchMatMul());
  set(OpCode::kConv2d, RegisterConv2d());
  set(OpCode::kDepthwiseConv2d, RegisterDepthwiseConv2d());
  set(OpCode::kMaxPool2d, RegisterMaxPool2d());
  set(OpCode::kAvgPool2d, RegisterAvgPool2d());
  // (end dense and convolution)


  // ---- elementwise
  set(OpCode::kAdd, RegisterAdd());
  set(OpCode::kSub, RegisterSub());
  set(OpCode::kMul, RegisterMul());
  set(OpCode::kDiv, RegisterDiv());
  set(OpCode::kMaximum, RegisterMaximum());
  set(OpCode::kMinimum, RegisterMinimum());
  set(OpCode::kPow, RegisterPow());
  set(OpCode::kSquaredDifference, RegisterSquaredDifference());
  set(OpCode::kRelu, RegisterRelu());
  set(OpCode::kRelu6, RegisterRelu6());
  set(OpCode::kLeakyRelu, RegisterLeakyRelu());
  set(OpCode::kSigmoid, RegisterSigmoid());
  set(OpCode::kTanh, RegisterTanh());
  set(OpCode::kHardSwish, RegisterHardSwish());
  set(OpCode::kGelu, RegisterGelu());
  set(OpCode::kElu, RegisterElu());
  set(OpCode::kExp, RegisterExp());
  set(OpCode::kLog, RegisterLog());
  set(OpCode::kSqrt, RegisterSqrt());
  set(OpCode::kRsqrt, RegisterRsqrt());
  set(OpCode::kSquare, RegisterSquare());
  set(OpCode::kNeg, RegisterNeg());
  set(OpCode::kAbs, RegisterAbs());
  set(OpCode::kEqual, RegisterEqual());
  set(OpCode::kNotEqual, RegisterNotEqual());
  set(OpCode::kLess, RegisterLess());
  set(OpCode::kLessEqual, RegisterLessEqual());
  set(OpCode::kGreater, RegisterGreater());
  set(OpCode::kGreaterEqual, RegisterGreaterEqual());
  set(OpCode::kLogicalAnd, RegisterLogicalAnd());
  set(OpCode::kLogicalOr, RegisterLogicalOr());
  set(OpCode::kLogicalNot, RegisterLogicalNot());
  set(OpCode::kSelect, RegisterSelect());
  set(OpCode::kCast, RegisterCast());
  // (end elementwise)


  // ---- softmax, reductions, indices
  set(OpCode::kSoftmax, RegisterSoftmax());
  set(OpCode::kLogSoftmax, RegisterLogSoftmax());
  set(OpCode::kSum, RegisterSum());
  set(OpCode::kMean, RegisterMean());
  set(OpCode::kReduceMax, RegisterReduceMax());
  set(OpCode::kReduceMin, RegisterReduceMin());
  set(OpCode::kReduceProd, RegisterReduceProd());
  set(OpCode::kArgMax, RegisterArgMax());
  set(OpCode::kOneHot, RegisterOneHot());
  set(OpCode::kZerosLike, RegisterZerosLike());
  set(OpCode::kDequantize, RegisterDequantize());
  // (end softmax, reductions, indices)


  // ---- variables
  set(OpCode::kReadVariable, RegisterReadVariable());
  set(OpCode::kAssignVariable, RegisterAssignVariable());
  set(OpCode::kAssignAddVariable, RegisterAssignVariable());
  set(OpCode::kAssignSubVariable, RegisterAssignVariable());
  // (end variables)


  // ---- training
  for (OpCode op : {OpCode::kReluGrad, OpCode::kRelu6Grad,
                    OpCode::kLeakyReluGrad, OpCode::kEluGrad,
                    OpCode::kHardSwishGrad, OpCode::kGeluGrad,
                    OpCode::kSigmoidGrad, OpCode::kTanhGrad}) {
    set(op, RegisterActivationGrad());
  }
  set(OpCode::kBroadcastTo, RegisterBroadcastTo());
  set(OpCode::kSumToShape, RegisterSumToShape());
  set(OpCode::kSparseSoftmaxCrossEntropy, RegisterSoftmaxCrossEntropy());
  set(OpCode::kSoftmaxCrossEntropy, RegisterSoftmaxCrossEntropy());
  for (OpCode op : {OpCode::kSgdUpdate, OpCode::kAdamUpdate,
                    OpCode::kRmspropUpdate, OpCode::kAdagradUpdate}) {
    set(op, RegisterOptimizerUpdate());
  }
  set(OpCode::kScatterAdd, RegisterScatterAdd());
  set(OpCode::kFloorDiv, RegisterFloorDiv());
  set(OpCode::kBroadcastGradientArgs, RegisterBroadcastGradientArgs());
  // (end training)


  // ---- convolution gradients
  set(OpCode::kConv2dBackpropInput, RegisterConv2dBackpropInput());
  set(OpCode::kConv2dBackpropFilter, RegisterConv2dBackpropFilter());
  set(OpCode::kDepthwiseConv2dBackpropInput,
      RegisterDepthwiseConv2dBackpropInput());
  set(OpCode::kDepthwiseConv2dBackpropFilter,
      RegisterDepthwiseConv2dBackpropFilter());
  set(OpCode::kMaxPool2dGrad, RegisterMaxPool2dGrad());
  set(OpCode::kAvgPool2dGrad, RegisterAvgPool2dGrad());
  // (end convolution gradients)


  // ---- shape and data movement
  set(OpCode::kReshape, RegisterReshape());
  set(OpCode::kTranspose, RegisterTranspose());
  set(OpCode::kConcat, RegisterConcat());
  set(OpCode::kPack, RegisterPack());
  set(OpCode::kUnpack, RegisterUnpack());
  set(OpCode::kSlice, RegisterSlice());
  set(OpCode::kStridedSlice, RegisterStridedSlice());
  set(OpCode::kGather, RegisterGather());
  set(OpCode::kTile, RegisterTile());
  set(OpCode::kFill, RegisterFill());
  set(OpCode::kShape, RegisterShape());
  set(OpCode::kExpandDims, RegisterExpandDims());
  set(OpCode::kSqueeze, RegisterSqueeze());
  set(OpCode::kPad, RegisterPad());
  // (end shape and data movement)


  // ---- checkpoints
  set(OpCode::kSaveCheckpoint, RegisterSaveCheckpoint());
  set(OpCode::kRestoreCheckpoint, RegisterRestoreCheckpoint());
  set(OpCode::kSaveTensors, RegisterSaveTensors());
  set(OpCode::kRestoreTensors, RegisterRestoreTensors());
  // (end checkpoints)


  // ---- random
  set(OpCode::kRandomMask, RegisterRandomMask());
  // (end random)


  return t;
}

}  // namespace

const KernelRegistration* FindKernel(OpCode op) {
  static const Table table = BuildTable();
  const int index = static_cast<int>(op);
  if (index < 0 || index >= kNumOpCodes) return nullptr;
  const KernelRegistration& r = table[index];
  return r.prepare != nullptr ? &r : nullptr;
}

}  // namespace attune
