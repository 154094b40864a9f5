// select(cond, x, y) = where(cond, x, y) (engine/kernels/OPS.md).
// Inputs: cond bool, x and y of one dtype (any fixed-size dtype); all three
// broadcast numpy-style (broadcast.h). Output: x's dtype, broadcast shape.
// Any nonzero cond byte selects x. Elements are moved as raw 1/2/4/8-byte
// words, so the kernel is dtype-agnostic.

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "engine/kernels/broadcast.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData {
  BroadcastPlan plan;
  int32_t element_size;
};

absl::Status Prepare(NodeContext& ctx) {
  for (int i = 0; i < 3; ++i) {
    if (!ctx.has_input(i)) {
      return ctx.InvalidArgument(absl::StrCat("input ", i, " is missing"));
    }
  }
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectInputDType(0, DType::kBool));
  const Tensor& x = ctx.input(1);
  const Tensor& y = ctx.input(2);
  if (x.dtype != y.dtype) {
    return ctx.InvalidArgument(absl::StrCat("x and y have different dtypes ",
                                            DTypeName(x.dtype), " and ",
                                            DTypeName(y.dtype)));
  }
  const size_t size = DTypeSize(x.dtype);
  if (size != 1 && size != 2 && size != 4 && size != 8) {
    return ctx.InvalidArgument(
        absl::StrCat("does not support dtype ", DTypeName(x.dtype)));
  }
  OpData& data = ctx.op_data<OpData>();
  data.element_size = static_cast<int32_t>(size);
  const absl::Span<const int64_t> shapes[] = {ctx.input(0).shape, x.shape,
                                              y.shape};
  absl::StatusOr<Shape> out = PlanBroadcast(shapes, &data.plan);
  if (!out.ok()) return ctx.Annotate(out.status());
  return ctx.SetOutput(0, x.dtype, *std::move(out));
}

template <typename W>
void SelectWords(NodeContext& ctx, const BroadcastPlan& plan) {
  const uint8_t* cond = ctx.input(0).data_as<uint8_t>();
  const W* x = ctx.input(1).data_as<W>();
  const W* y = ctx.input(2).data_as<W>();
  W* out = ctx.output(0).data_as<W>();
  const int64_t step_c = InnerRepeats(plan, 0) ? 0 : 1;
  const int64_t step_x = InnerRepeats(plan, 1) ? 0 : 1;
  const int64_t step_y = InnerRepeats(plan, 2) ? 0 : 1;
  ParallelForEachSegment(
      plan, ctx.thread_pool(), [=](const int64_t* off, int64_t o, int64_t n) {
        const uint8_t* c = cond + off[0];
        const W* xs = x + off[1];
        const W* ys = y + off[2];
        W* dst = out + o;
        if (step_c == 1 && step_x == 1 && step_y == 1) {
          for (int64_t k = 0; k < n; ++k) dst[k] = c[k] != 0 ? xs[k] : ys[k];
        } else {
          for (int64_t k = 0; k < n; ++k) {
            dst[k] = c[k * step_c] != 0 ? xs[k * step_x] : ys[k * step_y];
          }
        }
      });
}

absl::Status Eval(NodeContext& ctx) {
  const OpData& data = ctx.op_data<OpData>();
  switch (data.element_size) {
    case 1:
      SelectWords<uint8_t>(ctx, data.plan);
      break;
    case 2:
      SelectWords<uint16_t>(ctx, data.plan);
      break;
    case 4:
      SelectWords<uint32_t>(ctx, data.plan);
      break;
    case 8:
      SelectWords<uint64_t>(ctx, data.plan);
      break;
    default:
      return ctx.Internal("element size not rejected in Prepare");
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterSelect() { return {Prepare, Eval}; }

}  // namespace attune
