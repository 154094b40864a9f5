#include "engine/kernels/registry.h"

#include <array>

namespace attune {

// Each kernel file defines its Register* function(s). Keep one declaration
// and one table line per op, grouped as the kernel files are.

// fully_connected.cc, batch_matmul.cc, conv2d.cc, depthwise_conv2d.cc,
// pool2d.cc
KernelRegistration RegisterFullyConnected();

// binary.cc

namespace {

using Table = std::array<KernelRegistration, kNumOpCodes>;

Table BuildTable() {
  Table t{};
  auto set = [&t](OpCode op, KernelRegistration r) {
    t[static_cast<int>(op)] = r;
  };
  // Dense and convolution.
  set(OpCode::kFullyConnected, RegisterFullyConnected());

  // Elementwise binary.

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
