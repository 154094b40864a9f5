#include "engine/kernels/registry.h"

#include <array>

namespace attune {

// Each kernel file defines its Register* function(s). One declaration and
// one table line per op, grouped by kernel family (keep groups apart so
// independent changes merge cleanly).

// ---- dense and convolution: fully_connected.cc, batch_matmul.cc,
// conv2d.cc, depthwise_conv2d.cc, pool2d.cc
KernelRegistration RegisterFullyConnected();
// (end dense and convolution)


// ---- elementwise: binary.cc, unary.cc, comparison.cc, select.cc, cast.cc
// (end elementwise)


// ---- softmax, reductions, indices: softmax.cc, reduce.cc, arg_max.cc,
// one_hot.cc, zeros_like.cc, dequantize.cc
// (end softmax, reductions, indices)


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


namespace {

using Table = std::array<KernelRegistration, kNumOpCodes>;

Table BuildTable() {
  Table t{};
  auto set = [&t](OpCode op, KernelRegistration r) {
    t[static_cast<int>(op)] = r;
  };
  // ---- dense and convolution
  set(OpCode::kFullyConnected, RegisterFullyConnected());
  // (end dense and convolution)


  // ---- elementwise
  // (end elementwise)


  // ---- softmax, reductions, indices
  // (end softmax, reductions, indices)


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
