// Gradients of depthwise_conv2d (see depthwise_conv2d.cc), with
// iy = oy*sh - pad_top + ky*dh, ix = ox*sw - pad_left + kx*dw and m the
// channel multiplier:
//   depthwise_conv2d_backprop_input(dy, filter, input_sizes):
//     dx[b, iy, ix, c] = sum_{oy, ox, ky, kx, j} dy[b, oy, ox, c*m + j] *
//                        filter[ky, kx, c, j]
//   depthwise_conv2d_backprop_filter(x, dy, filter_sizes):
//     dfilter[ky, kx, c, j] = sum_{b, oy, ox} x[b, iy, ix, c] *
//                             dy[b, oy, ox, c*m + j]
// (out-of-bounds x reading as zero). input_sizes / filter_sizes are static
// int32/int64 [4] inputs. Attributes: strides, dilations, padding as
// depthwise_conv2d (no activation). See OPS.md.
//
// Algorithms (direct loops; channels are contiguous and form the inner,
// vectorized loop):
//  backprop_input: one task per dx row (b, iy), which zeroes the row and
//   adds, for every ky whose output row oy exists, the taps of each output
//   pixel of that row. Tasks write disjoint rows, so no races.
//  backprop_filter: the output rows (b, oy) are split into one contiguous
//   range per thread; each task accumulates into its own partial filter in
//   scratch and the partials are summed at the end (one thread: directly
//   into the output).

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/kernels/conv_window.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

// Multiply-adds below which the op runs on the calling thread.
constexpr int64_t kMinParallelMacs = int64_t{1} << 15;

struct OpData {
  int64_t batch, in_h, in_w, in_c, multiplier;
  int64_t k_h, k_w;
  int64_t stride_h, stride_w, dil_h, dil_w;
  int64_t pad_top, pad_left, out_h, out_w;
  int64_t slots;            // backprop_filter: partial filters (tasks)
  int32_t partial_scratch;  // backprop_filter: slots * filter floats, or -1
};

// Reads the attributes, derives the geometry from the dims stored in `d`
// and checks that input `dy_index` is float32 [b, oh, ow, c*m].
absl::Status PrepareGeometry(NodeContext& ctx, int dy_index, OpData& d) {
  absl::StatusOr<std::string> act =
      ctx.attrs().GetStringOr("activation", "none");
  if (!act.ok()) return ctx.Annotate(act.status());
  if (*act != "none" && !act->empty()) {
    return ctx.InvalidArgument(
        absl::StrCat("takes no fused activation, got \"", *act, "\""));
  }
  if (d.k_h < 1 || d.k_w < 1) {
    return ctx.InvalidArgument(
        absl::StrCat("filter window ", d.k_h, "x", d.k_w, " is empty"));
  }
  ATTUNE_RETURN_IF_ERROR(ResolveConvWindow(ctx, d));
  d.slots = 1;
  d.partial_scratch = -1;
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(dy_index));
  const Tensor& dy = ctx.input(dy_index);
  const Shape expected{d.batch, d.out_h, d.out_w, d.in_c * d.multiplier};
  if (dy.shape != expected) {
    return ctx.InvalidArgument(absl::StrCat("dy ", ShapeToString(dy.shape),
                                            " != forward output shape ",
                                            ShapeToString(expected)));
  }
  return absl::OkStatus();
}

// Range of kx whose column ix0 + kx*dw lies in [0, in_w).
inline void ValidTaps(const OpData& d, int64_t ix0, int64_t* lo, int64_t* hi) {
  int64_t kx_lo = ix0 >= 0 ? 0 : (-ix0 + d.dil_w - 1) / d.dil_w;
  int64_t kx_hi = ix0 >= d.in_w ? 0 : (d.in_w - 1 - ix0) / d.dil_w + 1;
  kx_lo = std::min(kx_lo, d.k_w);
  *lo = kx_lo;
  *hi = std::max(std::min(kx_hi, d.k_w), kx_lo);
}

struct Task {
  const OpData* d;
  const float* a;  // input: dy; filter: x
  const float* b;  // input: filter; filter: dy
  float* out;      // input: dx; filter: the output (1 slot) or partials
};

// ---- depthwise_conv2d_backprop_input

// dx[c] += sum_j dy[c*m + j] * w[c*m + j]
void InputTap(const float* __restrict dy, const float* __restrict w,
              float* __restrict dx, int64_t channels, int64_t multiplier) {
  if (multiplier == 1) {
    for (int64_t c = 0; c < channels; ++c) dx[c] += dy[c] * w[c];
    return;
  }
  for (int64_t c = 0; c < channels; ++c) {
    const float* __restrict g = dy + c * multiplier;
    const float* __restrict f = w + c * multiplier;
    float acc = 0.0f;
    for (int64_t j = 0; j < multiplier; ++j) acc += g[j] * f[j];
    dx[c] += acc;
  }
}

void InputRow(void* context, size_t index) {
  const Task& t = *static_cast<const Task*>(context);
  const OpData& d = *t.d;
  const int64_t c = d.in_c;
  const int64_t cm = c * d.multiplier;
  const int64_t n = static_cast<int64_t>(index) / d.in_h;
  const int64_t iy = static_cast<int64_t>(index) % d.in_h;
  float* dst = t.out + static_cast<int64_t>(index) * d.in_w * c;
  std::fill(dst, dst + d.in_w * c, 0.0f);
  for (int64_t ky = 0; ky < d.k_h; ++ky) {
    const int64_t s = iy + d.pad_top - ky * d.dil_h;
    if (s < 0 || s % d.stride_h != 0 || s / d.stride_h >= d.out_h) continue;
    const int64_t oy = s / d.stride_h;
    const float* dy_row = t.a + (n * d.out_h + oy) * d.out_w * cm;
    const float* w_row = t.b + ky * d.k_w * cm;
    for (int64_t ox = 0; ox < d.out_w; ++ox) {
      const int64_t ix0 = ox * d.stride_w - d.pad_left;
      int64_t kx_lo, kx_hi;
      ValidTaps(d, ix0, &kx_lo, &kx_hi);
      for (int64_t kx = kx_lo; kx < kx_hi; ++kx) {
        InputTap(dy_row + ox * cm, w_row + kx * cm,
                 dst + (ix0 + kx * d.dil_w) * c, c, d.multiplier);
      }
    }
  }
}

absl::Status PrepareInput(NodeContext& ctx) {
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(1));
  const Tensor& filter = ctx.input(1);
  if (filter.rank() != 4) {
    return ctx.InvalidArgument(
        absl::StrCat("needs filter [kh,kw,c,m] of rank 4, got ",
                     ShapeToString(filter.shape)));
  }
  int64_t sizes[4];
  ATTUNE_RETURN_IF_ERROR(ReadNhwcSizes(ctx, 2, "input_sizes", sizes));
  OpData& d = ctx.op_data<OpData>();
  d.batch = sizes[0];
  d.in_h = sizes[1];
  d.in_w = sizes[2];
  d.in_c = sizes[3];
  d.k_h = filter.dim(0);
  d.k_w = filter.dim(1);
  d.multiplier = filter.dim(3);
  if (filter.dim(2) != d.in_c) {
    return ctx.InvalidArgument(absl::StrCat(
        "input_sizes channels ", d.in_c, " != filter channels ", filter.dim(2),
        " (filter ", ShapeToString(filter.shape), ")"));
  }
  ATTUNE_RETURN_IF_ERROR(PrepareGeometry(ctx, 0, d));
  return ctx.SetOutput(0, DType::kFloat32,
                       Shape{d.batch, d.in_h, d.in_w, d.in_c});
}

absl::Status EvalInput(NodeContext& ctx) {
  const OpData& d = ctx.op_data<OpData>();
  const int64_t tasks = d.batch * d.in_h;
  if (tasks == 0 || d.in_w * d.in_c == 0) return absl::OkStatus();
  Task task{&d, ctx.input(0).data_as<float>(), ctx.input(1).data_as<float>(),
            ctx.output(0).data_as<float>()};
  const int64_t macs =
      d.batch * d.out_h * d.out_w * d.k_h * d.k_w * d.in_c * d.multiplier;
  if (ctx.num_threads() > 1 && tasks > 1 && macs >= kMinParallelMacs) {
    pthreadpool_parallelize_1d(ctx.thread_pool(), InputRow, &task,
                               static_cast<size_t>(tasks), 0);
  } else {
    for (int64_t i = 0; i < tasks; ++i) InputRow(&task, static_cast<size_t>(i));
  }
  return absl::OkStatus();
}

// ---- depthwise_conv2d_backprop_filter

// f[c*m + j] += x[c] * dy[c*m + j]
void FilterTap(const float* __restrict x, const float* __restrict dy,
               float* __restrict f, int64_t channels, int64_t multiplier) {
  if (multiplier == 1) {
    for (int64_t c = 0; c < channels; ++c) f[c] += x[c] * dy[c];
    return;
  }
  for (int64_t c = 0; c < channels; ++c) {
    const float v = x[c];
    const float* __restrict g = dy + c * multiplier;
    float* __restrict o = f + c * multiplier;
    for (int64_t j = 0; j < multiplier; ++j) o[j] += v * g[j];
  }
}

// Accumulates output rows [row0, row1) (index b * out_h + oy) into `f`.
void FilterRows(const Task& t, int64_t row0, int64_t row1, float* f) {
  const OpData& d = *t.d;
  const int64_t c = d.in_c;
  const int64_t cm = c * d.multiplier;
  std::fill(f, f + d.k_h * d.k_w * cm, 0.0f);
  for (int64_t r = row0; r < row1; ++r) {
    const int64_t n = r / d.out_h;
    const int64_t oy = r % d.out_h;
    const float* dy_row = t.b + r * d.out_w * cm;
    for (int64_t ky = 0; ky < d.k_h; ++ky) {
      const int64_t iy = oy * d.stride_h - d.pad_top + ky * d.dil_h;
      if (iy < 0 || iy >= d.in_h) continue;
      const float* x_row = t.a + (n * d.in_h + iy) * d.in_w * c;
      float* f_row = f + ky * d.k_w * cm;
      for (int64_t ox = 0; ox < d.out_w; ++ox) {
        const int64_t ix0 = ox * d.stride_w - d.pad_left;
        int64_t kx_lo, kx_hi;
        ValidTaps(d, ix0, &kx_lo, &kx_hi);
        for (int64_t kx = kx_lo; kx < kx_hi; ++kx) {
          FilterTap(x_row + (ix0 + kx * d.dil_w) * c, dy_row + ox * cm,
                    f_row + kx * cm, c, d.multiplier);
        }
      }
    }
  }
}

void FilterSlot(void* context, size_t index) {
  const Task& t = *static_cast<const Task*>(context);
  const OpData& d = *t.d;
  const int64_t rows = d.batch * d.out_h;
  const int64_t per = (rows + d.slots - 1) / d.slots;
  const int64_t slot = static_cast<int64_t>(index);
  const int64_t row0 = std::min(rows, slot * per);
  const int64_t row1 = std::min(rows, row0 + per);
  FilterRows(t, row0, row1,
             t.out + slot * d.k_h * d.k_w * d.in_c * d.multiplier);
}

absl::Status PrepareFilter(NodeContext& ctx) {
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(0));
  const Tensor& x = ctx.input(0);
  if (x.rank() != 4) {
    return ctx.InvalidArgument(absl::StrCat("needs x [b,h,w,c] of rank 4, got ",
                                            ShapeToString(x.shape)));
  }
  int64_t sizes[4];
  ATTUNE_RETURN_IF_ERROR(ReadNhwcSizes(ctx, 2, "filter_sizes", sizes));
  OpData& d = ctx.op_data<OpData>();
  d.batch = x.dim(0);
  d.in_h = x.dim(1);
  d.in_w = x.dim(2);
  d.in_c = x.dim(3);
  d.k_h = sizes[0];
  d.k_w = sizes[1];
  d.multiplier = sizes[3];
  if (sizes[2] != d.in_c) {
    return ctx.InvalidArgument(
        absl::StrCat("input channels ", d.in_c, " != filter_sizes channels ",
                     sizes[2], " (x ", ShapeToString(x.shape), ")"));
  }
  ATTUNE_RETURN_IF_ERROR(PrepareGeometry(ctx, 1, d));
  const int64_t rows = d.batch * d.out_h;
  const int64_t filter_floats = d.k_h * d.k_w * d.in_c * d.multiplier;
  const int64_t macs = rows * d.out_w * filter_floats;
  const int64_t threads = static_cast<int64_t>(ctx.num_threads());
  if (threads > 1 && rows > 1 && filter_floats > 0 &&
      macs >= kMinParallelMacs) {
    d.slots = std::min(threads, rows);
    d.partial_scratch = ctx.RequestScratch(
        static_cast<size_t>(d.slots * filter_floats) * sizeof(float));
  }
  return ctx.SetOutput(0, DType::kFloat32,
                       Shape{d.k_h, d.k_w, d.in_c, d.multiplier});
}

absl::Status EvalFilter(NodeContext& ctx) {
  const OpData& d = ctx.op_data<OpData>();
  const int64_t filter_floats = d.k_h * d.k_w * d.in_c * d.multiplier;
  if (filter_floats == 0) return absl::OkStatus();
  float* df = ctx.output(0).data_as<float>();
  Task task{&d, ctx.input(0).data_as<float>(), ctx.input(1).data_as<float>(),
            df};
  if (d.partial_scratch < 0) {
    FilterRows(task, 0, d.batch * d.out_h, df);
    return absl::OkStatus();
  }
  float* partials = static_cast<float*>(ctx.scratch(d.partial_scratch));
  task.out = partials;
  pthreadpool_parallelize_1d(ctx.thread_pool(), FilterSlot, &task,
                             static_cast<size_t>(d.slots), 0);
  std::copy(partials, partials + filter_floats, df);
  for (int64_t s = 1; s < d.slots; ++s) {
    const float* __restrict p = partials + s * filter_floats;
    for (int64_t i = 0; i < filter_floats; ++i) df[i] += p[i];
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterDepthwiseConv2dBackpropInput() {
  return {PrepareInput, EvalInput};
}
KernelRegistration RegisterDepthwiseConv2dBackpropFilter() {
  return {PrepareFilter, EvalFilter};
}

}  // namespace attune
