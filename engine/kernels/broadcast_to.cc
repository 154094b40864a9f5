// broadcast_to(x, shape): x broadcast numpy-style to `shape` (any dtype).
// sum_to_shape(x, shape): float32 x summed down to `shape`, the inverse of a
//   broadcast (the engine's reduction of gradients of broadcasting ops):
//   leading dims x has beyond `shape` and dims where `shape` has 1 are summed.
// `shape` is a static int32/int64 input. Ranks up to kMaxBroadcastRank.

#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

constexpr int kMaxBroadcastRank = 8;

// Maps each index of the big (broadcast) shape to an offset in the small
// one: small_strides[d] is 0 on broadcast dims.
struct OpData {
  int rank;
  int64_t big_dims[kMaxBroadcastRank];
  int64_t small_strides[kMaxBroadcastRank];
  int64_t inner;  // contiguous run length shared by both (fast path)
};

// Fills op data for big shape `big` and small shape `small` (small
// broadcastable to big). InvalidArgument otherwise.
absl::Status PlanBroadcast(NodeContext& ctx, const Shape& big,
                           const Shape& small) {
  if (big.size() > kMaxBroadcastRank || small.size() > big.size()) {
    return ctx.InvalidArgument(absl::StrCat(
        "cannot broadcast ", ShapeToString(small), " to ", ShapeToString(big),
        " (rank at most ", kMaxBroadcastRank, ")"));
  }
  OpData& data = ctx.op_data<OpData>();
  data.rank = static_cast<int>(big.size());
  const int offset = data.rank - static_cast<int>(small.size());
  int64_t stride = 1;
  for (int d = data.rank - 1; d >= 0; --d) {
    data.big_dims[d] = big[d];
    const int64_t s = d >= offset ? small[d - offset] : 1;
    if (s != big[d] && s != 1) {
      return ctx.InvalidArgument(absl::StrCat(
          "cannot broadcast ", ShapeToString(small), " to ",
          ShapeToString(big)));
    }
    data.small_strides[d] = s == 1 && big[d] != 1 ? 0 : stride;
    stride *= s;
  }
  // Innermost dims that are not broadcast form one contiguous run.
  data.inner = 1;
  for (int d = data.rank - 1; d >= 0 && data.small_strides[d] != 0; --d) {
    data.inner *= data.big_dims[d];
  }
  return absl::OkStatus();
}

absl::StatusOr<Shape> TargetShape(NodeContext& ctx) {
  absl::StatusOr<std::vector<int64_t>> dims = ctx.IntsFromInputOrAttr(1, "shape");
  if (!dims.ok()) return dims.status();
  return Shape(dims->begin(), dims->end());
}

absl::Status PrepareBroadcastTo(NodeContext& ctx) {
  ATTUNE_ASSIGN_OR_RETURN(Shape target, TargetShape(ctx));
  ATTUNE_RETURN_IF_ERROR(PlanBroadcast(ctx, target, ctx.input(0).shape));
  return ctx.SetOutput(0, ctx.input(0).dtype, std::move(target));
}

absl::Status PrepareSumToShape(NodeContext& ctx) {
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(0));
  ATTUNE_ASSIGN_OR_RETURN(Shape target, TargetShape(ctx));
  ATTUNE_RETURN_IF_ERROR(PlanBroadcast(ctx, ctx.input(0).shape, target));
  return ctx.SetOutput(0, DType::kFloat32, std::move(target));
}

// Calls visit(big_offset, small_offset, run) for each contiguous run of the
// big shape, in order.
template <typename Visit>
void ForEachRun(const OpData& data, Visit visit) {
  int64_t big_total = 1;
  for (int d = 0; d < data.rank; ++d) big_total *= data.big_dims[d];
  if (big_total == 0) return;
  int64_t index[kMaxBroadcastRank] = {};
  int outer_rank = data.rank;
  int64_t run = 1;
  while (outer_rank > 0 && run < data.inner) {
    run *= data.big_dims[--outer_rank];
  }
  int64_t small_offset = 0;
  for (int64_t big_offset = 0; big_offset < big_total; big_offset += run) {
    visit(big_offset, small_offset, run);
    for (int d = outer_rank - 1; d >= 0; --d) {
      small_offset += data.small_strides[d];
      if (++index[d] < data.big_dims[d]) break;
      small_offset -= data.small_strides[d] * index[d];
      index[d] = 0;
    }
  }
}

absl::Status EvalBroadcastTo(NodeContext& ctx) {
  const OpData& data = ctx.op_data<OpData>();
  const size_t element = DTypeSize(ctx.input(0).dtype);
  const uint8_t* in = static_cast<const uint8_t*>(ctx.input(0).data);
  uint8_t* out = static_cast<uint8_t*>(ctx.output(0).data);
  ForEachRun(data, [&](int64_t big, int64_t small, int64_t run) {
    if (data.inner == run && data.inner > 1) {
      std::memcpy(out + big * element, in + small * element, run * element);
    } else {
      // Innermost dim broadcast: replicate one element.
      for (int64_t i = 0; i < run; ++i) {
        std::memcpy(out + (big + i) * element, in + small * element, element);
      }
    }
  });
  return absl::OkStatus();
}

absl::Status EvalSumToShape(NodeContext& ctx) {
  const OpData& data = ctx.op_data<OpData>();
  const float* in = ctx.input(0).data_as<float>();
  float* out = ctx.output(0).data_as<float>();
  if (ctx.output(0).bytes > 0) std::memset(out, 0, ctx.output(0).bytes);
  ForEachRun(data, [&](int64_t big, int64_t small, int64_t run) {
    if (data.inner == run && data.inner > 1) {
      for (int64_t i = 0; i < run; ++i) out[small + i] += in[big + i];
    } else {
      float sum = 0.0f;
      for (int64_t i = 0; i < run; ++i) sum += in[big + i];
      out[small] += sum;
    }
  });
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterBroadcastTo() {
  return {PrepareBroadcastTo, EvalBroadcastTo};
}
KernelRegistration RegisterSumToShape() {
  return {PrepareSumToShape, EvalSumToShape};
}

}  // namespace attune
