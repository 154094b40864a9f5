#ifndef ATTUNE_ENGINE_KERNELS_CONV_WINDOW_H_
#define ATTUNE_ENGINE_KERNELS_CONV_WINDOW_H_

// Sliding-window geometry shared by conv2d, depthwise_conv2d, max_pool2d and
// avg_pool2d (NHWC): attribute parsing for strides / dilations / ksize /
// padding and the output size and leading padding of one spatial axis.
// Prepare-time helpers only (they may allocate).

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "engine/kernels/kernel.h"

namespace attune {

enum class WindowPadding { kValid, kSame };

// Reads string attribute "padding" ("valid" when absent, else "same" or
// "valid"). InvalidArgument naming the node for anything else.
inline absl::StatusOr<WindowPadding> GetWindowPadding(const NodeContext& ctx) {
  absl::StatusOr<std::string> padding =
      ctx.attrs().GetStringOr("padding", "valid");
  if (!padding.ok()) return ctx.Annotate(padding.status());
  if (*padding == "valid") return WindowPadding::kValid;
  if (*padding == "same") return WindowPadding::kSame;
  return ctx.InvalidArgument(absl::StrCat(
      "unknown padding \"", *padding, "\" (expected \"same\" or \"valid\")"));
}

// Reads ints attribute `name` as a [h, w] pair of values >= 1. When absent:
// `dflt` if given, else InvalidArgument ("required").
inline absl::Status GetWindowPair(const NodeContext& ctx,
                                  absl::string_view name, const int64_t* dflt,
                                  int64_t pair[2]) {
  if (!ctx.attrs().Has(name)) {
    if (dflt == nullptr) {
      return ctx.InvalidArgument(
          absl::StrCat("attribute \"", name, "\" is required"));
    }
    pair[0] = dflt[0];
    pair[1] = dflt[1];
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<int64_t>> values = ctx.attrs().GetInts(name);
  if (!values.ok()) return ctx.Annotate(values.status());
  if (values->size() != 2 || (*values)[0] < 1 || (*values)[1] < 1) {
    std::string shown;
    for (int64_t v : *values)
      absl::StrAppend(&shown, shown.empty() ? "" : ",", v);
    return ctx.InvalidArgument(absl::StrCat(
        "attribute \"", name, "\" must be two values >= 1, got [", shown, "]"));
  }
  pair[0] = (*values)[0];
  pair[1] = (*values)[1];
  return absl::OkStatus();
}

// One spatial axis of a window op.
struct WindowAxis {
  int64_t out = 0;         // output size
  int64_t pad_before = 0;  // implicit zero rows/columns before the input
};

// TensorFlow's rule: VALID out = ceil((in - eff + 1) / stride) where
// eff = (k - 1) * dilation + 1 (InvalidArgument when eff > in); SAME out =
// ceil(in / stride) with total padding max((out-1)*stride + eff - in, 0),
// the smaller half before and the extra one after.
inline absl::StatusOr<WindowAxis> ComputeWindowAxis(
    const NodeContext& ctx, absl::string_view axis, int64_t in, int64_t k,
    int64_t stride, int64_t dilation, WindowPadding padding) {
  const int64_t eff = (k - 1) * dilation + 1;
  WindowAxis result;
  if (padding == WindowPadding::kValid) {
    if (eff > in) {
      return ctx.InvalidArgument(
          absl::StrCat("VALID window of ", axis, " extent ", eff, " (kernel ",
                       k, ", dilation ", dilation,
                       ") is larger than the input ", axis, " ", in));
    }
    result.out = (in - eff) / stride + 1;
    return result;
  }
  result.out = (in + stride - 1) / stride;
  const int64_t total =
      std::max<int64_t>((result.out - 1) * stride + eff - in, 0);
  result.pad_before = total / 2;
  return result;
}

// Reads the 4 non-negative sizes ([b,h,w,c] or a filter shape) that a
// gradient op takes as static input `index` or attribute `what` (named in
// errors). InvalidArgument for another count or a negative size.
inline absl::Status ReadNhwcSizes(const NodeContext& ctx, int index,
                                  absl::string_view what, int64_t sizes[4]) {
  absl::StatusOr<std::vector<int64_t>> v = ctx.IntsFromInputOrAttr(index, what);
  if (!v.ok()) return v.status();
  if (v->size() != 4) {
    return ctx.InvalidArgument(
        absl::StrCat(what, " must have 4 values, got ", v->size()));
  }
  for (int i = 0; i < 4; ++i) {
    if ((*v)[i] < 0) {
      return ctx.InvalidArgument(absl::StrCat(
          what, " ", ShapeToString(*v), " has a negative size"));
    }
    sizes[i] = (*v)[i];
  }
  return absl::OkStatus();
}

// Reads "strides", "dilations" (default 1x1) and "padding", and fills the
// window fields of a convolution's op data (stride_h/w, dil_h/w, out_h/w,
// pad_top/left) from its in_h, in_w, k_h and k_w. `Geometry` is any struct
// with those members (ConvGeometry, depthwise op data).
template <typename Geometry>
absl::Status ResolveConvWindow(const NodeContext& ctx, Geometry& g) {
  const int64_t one[2] = {1, 1};
  int64_t strides[2] = {1, 1}, dilations[2] = {1, 1};
  absl::Status status = GetWindowPair(ctx, "strides", one, strides);
  if (status.ok()) status = GetWindowPair(ctx, "dilations", one, dilations);
  if (!status.ok()) return status;
  absl::StatusOr<WindowPadding> padding = GetWindowPadding(ctx);
  if (!padding.ok()) return padding.status();
  g.stride_h = strides[0];
  g.stride_w = strides[1];
  g.dil_h = dilations[0];
  g.dil_w = dilations[1];
  absl::StatusOr<WindowAxis> rows = ComputeWindowAxis(
      ctx, "height", g.in_h, g.k_h, g.stride_h, g.dil_h, *padding);
  if (!rows.ok()) return rows.status();
  absl::StatusOr<WindowAxis> cols = ComputeWindowAxis(
      ctx, "width", g.in_w, g.k_w, g.stride_w, g.dil_w, *padding);
  if (!cols.ok()) return cols.status();
  g.out_h = rows->out;
  g.out_w = cols->out;
  g.pad_top = rows->pad_before;
  g.pad_left = cols->pad_before;
  return absl::OkStatus();
}

// Pooling counterpart of ResolveConvWindow: reads "ksize" (required),
// "strides" (default: ksize) and "padding", and fills k_h/k_w,
// stride_h/w, out_h/w and pad_top/left from in_h and in_w.
template <typename Geometry>
absl::Status ResolvePoolWindow(const NodeContext& ctx, Geometry& g) {
  int64_t ksize[2] = {1, 1}, strides[2] = {1, 1};
  absl::Status status = GetWindowPair(ctx, "ksize", nullptr, ksize);
  if (status.ok()) status = GetWindowPair(ctx, "strides", ksize, strides);
  if (!status.ok()) return status;
  absl::StatusOr<WindowPadding> padding = GetWindowPadding(ctx);
  if (!padding.ok()) return padding.status();
  g.k_h = ksize[0];
  g.k_w = ksize[1];
  g.stride_h = strides[0];
  g.stride_w = strides[1];
  absl::StatusOr<WindowAxis> rows = ComputeWindowAxis(
      ctx, "height", g.in_h, g.k_h, g.stride_h, 1, *padding);
  if (!rows.ok()) return rows.status();
  absl::StatusOr<WindowAxis> cols = ComputeWindowAxis(
      ctx, "width", g.in_w, g.k_w, g.stride_w, 1, *padding);
  if (!cols.ok()) return cols.status();
  g.out_h = rows->out;
  g.out_w = cols->out;
  g.pad_top = rows->pad_before;
  g.pad_left = cols->pad_before;
  return absl::OkStatus();
}

}  // namespace attune

#endif  // ATTUNE_ENGINE_KERNELS_CONV_WINDOW_H_
