#ifndef ATTUNE_DELEGATES_XNNPACK_XNNPACK_OPS_H_
#define ATTUNE_DELEGATES_XNNPACK_XNNPACK_OPS_H_

// Op by op mapping of attune nodes to XNNPACK subgraph nodes: what is
// supported (CheckOp) and how it is defined (DefineOp). Shapes come from the
// prepared plan, so the shape rules are the reference kernels'. One file per
// op family (fully_connected.cc, conv2d.cc, pool2d.cc, binary.cc, unary.cc,
// reshape.cc); see op_util.h.

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "delegates/delegate.h"
#include "xnnpack.h"

namespace attune {
namespace xnn {

// Defines XNNPACK values for plan tensors while one subgraph is built.
class ValueDefiner {
 public:
  virtual ~ValueDefiner() = default;
  virtual xnn_subgraph_t subgraph() = 0;
  virtual const Tensor& tensor(int t) const = 0;
  // The value of tensor `t` with its own shape, defined on first use.
  virtual absl::StatusOr<uint32_t> Value(int t) = 0;
  // A value with `dims` holding the data of static or variable tensor `t`
  // rearranged by `pack` (called with the source data and a buffer of the
  // tensor's element count, owned by the kernel).
  using PackFn = void (*)(const Tensor& source_shape, const float* src,
                          float* dst);
  virtual absl::StatusOr<uint32_t> PackedValue(int t,
                                               const std::vector<size_t>& dims,
                                               PackFn pack) = 0;
  // A fresh internal value (between two XNNPACK nodes of one attune op).
  virtual absl::StatusOr<uint32_t> InternalValue(
      const std::vector<size_t>& dims) = 0;
};

// OK when step `step` of `view` maps to XNNPACK; Unimplemented with the
// reason otherwise.
absl::Status CheckOp(const PlanView& view, int step);

// Adds the XNNPACK node(s) of `node` (accepted by CheckOp). Internal on a
// library failure.
absl::Status DefineOp(const Node& node, ValueDefiner& values);

}  // namespace xnn
}  // namespace attune

#endif  // ATTUNE_DELEGATES_XNNPACK_XNNPACK_OPS_H_
