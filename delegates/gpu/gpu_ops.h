#ifndef ATTUNE_DELEGATES_GPU_GPU_OPS_H_
#define ATTUNE_DELEGATES_GPU_GPU_OPS_H_

// Op by op mapping of attune nodes to the OpenCL kernels of kernels.cl:
// what is supported (CheckOp) and which kernel launches run a node
// (LowerOp). Shapes come from the prepared plan, so the shape rules are the
// reference kernels'. One file per op family (fully_connected.cc,
// conv2d.cc, pool2d.cc, elementwise.cc, reshape.cc); see op_util.h. No
// OpenCL types here: gpu_delegate.cc turns launches into cl_kernels.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "delegates/delegate.h"

namespace attune {
namespace gpu {

// One argument of a kernel launch.
struct KernelArg {
  enum class Kind {
    kTensor,    // the device buffer of plan tensor `tensor`
    kNull,      // a null buffer (an absent bias)
    kInt,       // `i`
    kFloat,     // `f`
    kGeometry,  // `ints`, uploaded once into a small device buffer
  };
  Kind kind = Kind::kNull;
  int tensor = -1;
  int32_t i = 0;
  float f = 0.0f;
  std::vector<int32_t> ints;

  static KernelArg Tensor(int t) {
    KernelArg a;
    a.kind = t >= 0 ? Kind::kTensor : Kind::kNull;
    a.tensor = t;
    return a;
  }
  static KernelArg Int(int64_t v) {
    KernelArg a;
    a.kind = Kind::kInt;
    a.i = static_cast<int32_t>(v);
    return a;
  }
  static KernelArg Float(float v) {
    KernelArg a;
    a.kind = Kind::kFloat;
    a.f = v;
    return a;
  }
  static KernelArg Geometry(std::vector<int32_t> v) {
    KernelArg a;
    a.kind = Kind::kGeometry;
    a.ints = std::move(v);
    return a;
  }
};

// One clEnqueueNDRangeKernel. `local` all zero: the runtime chooses.
struct Launch {
  std::string kernel;  // a __kernel of kernels.cl
  std::vector<KernelArg> args;
  int dims = 1;
  std::array<size_t, 2> global = {0, 1};
  std::array<size_t, 2> local = {0, 0};
};

// How one node runs on the device.
struct Lowered {
  std::vector<Launch> launches;
  // >= 0: the node moves no data (reshape, squeeze, expand_dims); its output
  // is this input tensor's buffer, reinterpreted.
  int alias_of = -1;
};

// OK when step `step` of `view` maps to the GPU kernels; Unimplemented with
// a one-line reason otherwise.
absl::Status CheckOp(const PlanView& view, int step);

// The launches of `node` (accepted by CheckOp) on `tensors` (the plan's,
// with their prepared shapes; static operands are read here). Internal
// when the node does not lower (an attune bug: CheckOp accepted it).
absl::StatusOr<Lowered> LowerOp(const Node& node,
                                const std::vector<Tensor>& tensors);

}  // namespace gpu
}  // namespace attune

#endif  // ATTUNE_DELEGATES_GPU_GPU_OPS_H_
