// fully_connected -> the tiled gemm kernel: x [..., k] as an [m, k] matrix
// times w [k, n] (our layout is already the kernel's row-major B), plus
// bias and the fused activation in the epilogue. Weights may be constants,
// variables or computed tensors: every operand is a device buffer.
#include "delegates/gpu/op_util.h"
#include "engine/status_macros.h"

namespace attune {
namespace gpu {

absl::Status CheckFullyConnected(const PlanView& view, int step) {
  const Node& node = view.node(step);
  ATTUNE_RETURN_IF_ERROR(GetActivation(node.attrs).status());
  const Tensor& x = view.tensor(node.inputs[0]);
  const Tensor& w = view.tensor(node.inputs[1]);
  if (w.rank() != 2 || x.rank() < 1 || x.dim(x.rank() - 1) != w.dim(0)) {
    return Refuse("weight is not [k, n] matching x [..., k]");
  }
  return absl::OkStatus();
}

// Launch of gemm computing y [m, n] = clamp(a [m, k] * w [k, n] + bias).
// conv geometry `g` empty: a is a plain matrix.
Launch GemmLaunch(int a, int w, int bias, int y, int64_t m, int64_t n,
                  int64_t k, const Activation& act, std::vector<int32_t> g) {
  // kernels.cl: gemm (64x64 tiles) everywhere; gemm_large (128x128 tiles,
  // 8x8 outputs per work item) when both dims span several large tiles.
  const bool large = m >= 512 && n >= 256;
  const size_t tile = large ? 128 : 64;
  Launch l;
  l.kernel = large ? "gemm_large" : "gemm";
  const bool conv = !g.empty();
  if (!conv) g.assign(12, 0);  // the kernel reads the geometry either way
  l.args = {KernelArg::Int(m),         KernelArg::Int(n),
            KernelArg::Int(k),         KernelArg::Tensor(a),
            KernelArg::Tensor(w),      KernelArg::Tensor(bias),
            KernelArg::Int(bias >= 0), KernelArg::Tensor(y)};
  AddActivationArgs(act, l.args);
  l.args.push_back(KernelArg::Int(conv ? 1 : 0));
  l.args.push_back(KernelArg::Geometry(std::move(g)));
  constexpr size_t kItems = 16;  // kernels.cl RTS
  l.dims = 2;
  l.local = {kItems, kItems};
  l.global = {(static_cast<size_t>(n) + tile - 1) / tile * kItems,
              (static_cast<size_t>(m) + tile - 1) / tile * kItems};
  return l;
}

absl::StatusOr<Lowered> LowerFullyConnected(const Node& node,
                                            const std::vector<Tensor>& t) {
  ATTUNE_ASSIGN_OR_RETURN(Activation act, GetActivation(node.attrs));
  const Tensor& w = t[node.inputs[1]];
  const int64_t k = w.dim(0), n = w.dim(1);
  const int64_t m = k == 0 ? 0 : t[node.inputs[0]].num_elements() / k;
  Lowered out;
  out.launches.push_back(GemmLaunch(node.inputs[0], node.inputs[1],
                                    HasInput(node, 2) ? node.inputs[2] : -1,
                                    node.outputs[0], m, n, k, act, {}));
  return out;
}

}  // namespace gpu
}  // namespace attune
