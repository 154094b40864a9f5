// broadcast_gradient_args: the axes to sum a broadcast gradient over
// (TensorFlow's BroadcastGradientArgs, used by converted training graphs).
// Inputs: s0, s1 (int32/int64 rank-1 shapes, static). Outputs r0, r1
// (input dtype, rank-1): the axes of the broadcast shape (s0 and s1
// right-aligned, padded with ones) where s0 (r0) or s1 (r1) has a 1; an
// axis where both are 1 is in both. Incompatible shapes are
// InvalidArgument. Computed in Prepare (all inputs are static); Eval writes
// the values.

#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData {
  int8_t axes[2][kMaxRank];  // axis numbers (< kMaxRank)
  int count[2];
};

absl::Status Prepare(NodeContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) {
    return ctx.InvalidArgument("needs inputs s0 and s1");
  }
  const DType dtype = ctx.input(0).dtype;
  if ((dtype != DType::kInt32 && dtype != DType::kInt64) ||
      ctx.input(1).dtype != dtype) {
    return ctx.InvalidArgument("s0 and s1 must both be int32 or int64");
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> s0,
                          ctx.IntsFromInputOrAttr(0, "s0"));
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> s1,
                          ctx.IntsFromInputOrAttr(1, "s1"));
  const size_t rank = std::max(s0.size(), s1.size());
  if (rank > static_cast<size_t>(kMaxRank)) {
    return ctx.InvalidArgument(
        absl::StrCat("rank ", rank, " exceeds ", kMaxRank));
  }
  s0.insert(s0.begin(), rank - s0.size(), 1);
  s1.insert(s1.begin(), rank - s1.size(), 1);
  OpData& data = ctx.op_data<OpData>();
  data.count[0] = data.count[1] = 0;
  for (size_t i = 0; i < rank; ++i) {
    const int64_t a = s0[i], b = s1[i];
    if (a == 1) data.axes[0][data.count[0]++] = static_cast<int8_t>(i);
    if (b == 1) data.axes[1][data.count[1]++] = static_cast<int8_t>(i);
    if (a != b && a != 1 && b != 1) {
      return ctx.InvalidArgument(
          absl::StrCat("shapes ", ShapeToString(s0), " and ", ShapeToString(s1),
                       " do not broadcast (axis ", i, ": ", a, " vs ", b, ")"));
    }
  }
  for (int side = 0; side < 2; ++side) {
    ATTUNE_RETURN_IF_ERROR(
        ctx.SetOutput(side, dtype, {static_cast<int64_t>(data.count[side])}));
  }
  return absl::OkStatus();
}

absl::Status Eval(NodeContext& ctx) {
  const OpData& data = ctx.op_data<OpData>();
  for (int side = 0; side < 2; ++side) {
    Tensor& y = ctx.output(side);
    const int8_t* axes = data.axes[side];
    for (int i = 0; i < data.count[side]; ++i) {
      if (y.dtype == DType::kInt32) {
        y.data_as<int32_t>()[i] = static_cast<int32_t>(axes[i]);
      } else {
        y.data_as<int64_t>()[i] = axes[i];
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterBroadcastGradientArgs() { return {Prepare, Eval}; }

}  // namespace attune
