// slice and strided_slice: copy a (strided) box out of x.
//
// slice: inputs x, begin?, size? (int32/int64 rank-1, static); attributes
//   begin, size ints when the inputs are absent. 0 <= begin[d] <= dim[d];
//   size[d] == -1 means "to the end", else begin[d] + size[d] <= dim[d].
// strided_slice: inputs x, begin?, end?, strides? (static); attributes begin,
//   end, strides ints (strides default to all 1), begin_mask, end_mask,
//   ellipsis_mask, new_axis_mask, shrink_axis_mask ints. TensorFlow
//   semantics: negative indices count from the end, out-of-range begin/end
//   are clamped, negative strides walk backwards, a masked begin/end means
//   "from the start/to the end in the stride's direction", one ellipsis
//   expands to the dims not named, new_axis inserts a size-1 dim and
//   shrink_axis takes one index (which must be in range) and drops the dim.
//
// Both reduce to a CopyPlan computed at Prepare: a base element offset and,
// per output-order dim, a count and an element stride into x (size-1 dims
// dropped, contiguous runs merged). Eval walks it with an odometer and
// copies the innermost run with memcpy when it is contiguous.

#include <cstdint>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

// Fits NodeContext::kOpDataBytes: outer counts are int32 (Prepare checks).
struct CopyPlan {
  int64_t base;          // element offset of the first copied element
  int64_t inner_count;   // elements in the innermost run
  int64_t inner_stride;  // element stride of the innermost run
  int32_t elem_size;
  int32_t outer_rank;  // dims outside the innermost run
  int64_t outer_stride[kMaxRank - 1];
  int32_t outer_count[kMaxRank - 1];
};
static_assert(sizeof(CopyPlan) <= NodeContext::kOpDataBytes);

// Builds the plan for copying, for each dim d of x, `count[d]` elements
// starting at `begin[d]` with step `step[d]`.
absl::Status BuildPlan(const NodeContext& ctx, const Tensor& x,
                       const int64_t* begin, const int64_t* step,
                       const int64_t* count, CopyPlan& plan) {
  plan = CopyPlan{};
  plan.elem_size = static_cast<int32_t>(DTypeSize(x.dtype));
  int64_t counts[kMaxRank];
  int64_t strides[kMaxRank];
  int n = 0;
  int64_t in_stride = 1;
  bool empty = false;
  for (int d = x.rank() - 1; d >= 0; --d) {
    plan.base += begin[d] * in_stride;
    if (count[d] == 0) empty = true;
    if (count[d] != 1) {
      counts[n] = count[d];
      strides[n] = step[d] * in_stride;
      ++n;
    }
    in_stride *= x.dim(d);
  }
  // counts/strides are innermost first. Merge dim k+1 into k when it
  // continues k's run: stride[k+1] == stride[k] * count[k].
  int m = 0;
  for (int k = 0; k < n; ++k) {
    if (m > 0 && strides[k] == strides[m - 1] * counts[m - 1]) {
      counts[m - 1] *= counts[k];
    } else {
      counts[m] = counts[k];
      strides[m] = strides[k];
      ++m;
    }
  }
  if (empty) {
    plan.inner_count = 0;
    plan.base = 0;
    return absl::OkStatus();
  }
  plan.inner_count = m > 0 ? counts[0] : 1;
  plan.inner_stride = m > 0 ? strides[0] : 1;
  plan.outer_rank = m > 0 ? m - 1 : 0;
  for (int k = 1; k < m; ++k) {
    if (counts[k] > std::numeric_limits<int32_t>::max()) {
      return ctx.Unimplemented(absl::StrCat("an outer dim of ", counts[k],
                                            " elements is too large to slice"));
    }
    // Stored outermost first.
    plan.outer_count[m - 1 - k] = static_cast<int32_t>(counts[k]);
    plan.outer_stride[m - 1 - k] = strides[k];
  }
  return absl::OkStatus();
}

template <typename T>
void CopyRun(const uint8_t* src, int64_t stride, int64_t count, uint8_t* dst) {
  const T* s = reinterpret_cast<const T*>(src);
  T* o = reinterpret_cast<T*>(dst);
  for (int64_t i = 0; i < count; ++i) o[i] = s[i * stride];
}

absl::Status EvalCopy(NodeContext& ctx) {
  const CopyPlan& plan = ctx.op_data<CopyPlan>();
  if (plan.inner_count == 0) return absl::OkStatus();
  const int64_t es = plan.elem_size;
  const uint8_t* in = ctx.input(0).data_as<uint8_t>() + plan.base * es;
  uint8_t* out = ctx.output(0).data_as<uint8_t>();
  const int64_t run_bytes = plan.inner_count * es;
  int32_t index[kMaxRank] = {};
  const int r = plan.outer_rank;
  while (true) {
    if (plan.inner_stride == 1) {
      std::memcpy(out, in, static_cast<size_t>(run_bytes));
    } else {
      switch (es) {
        case 1:
          CopyRun<uint8_t>(in, plan.inner_stride, plan.inner_count, out);
          break;
        case 2:
          CopyRun<uint16_t>(in, plan.inner_stride, plan.inner_count, out);
          break;
        case 4:
          CopyRun<uint32_t>(in, plan.inner_stride, plan.inner_count, out);
          break;
        default:
          CopyRun<uint64_t>(in, plan.inner_stride, plan.inner_count, out);
          break;
      }
    }
    out += run_bytes;
    int d = r - 1;
    for (; d >= 0; --d) {
      in += plan.outer_stride[d] * es;
      if (++index[d] < plan.outer_count[d]) break;
      in -= plan.outer_stride[d] * es * plan.outer_count[d];
      index[d] = 0;
    }
    if (d < 0) break;
  }
  return absl::OkStatus();
}

absl::Status CheckX(const NodeContext& ctx, const Tensor& x) {
  if (DTypeSize(x.dtype) == 0) {
    return ctx.Unimplemented(
        absl::StrCat("dtype ", DTypeName(x.dtype), " is not supported"));
  }
  if (x.rank() > kMaxRank) {
    return ctx.InvalidArgument(absl::StrCat("x ", ShapeToString(x.shape),
                                            " has rank above ", kMaxRank));
  }
  return absl::OkStatus();
}

absl::Status PrepareSlice(NodeContext& ctx) {
  const Tensor& x = ctx.input(0);
  ATTUNE_RETURN_IF_ERROR(CheckX(ctx, x));
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> begin,
                          ctx.IntsFromInputOrAttr(1, "begin"));
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> size,
                          ctx.IntsFromInputOrAttr(2, "size"));
  const size_t rank = static_cast<size_t>(x.rank());
  if (begin.size() != rank || size.size() != rank) {
    return ctx.InvalidArgument(absl::StrCat(
        "begin ", ShapeToString(begin), " and size ", ShapeToString(size),
        " must each have one value per dim of x ", ShapeToString(x.shape)));
  }
  int64_t step[kMaxRank];
  Shape shape;
  for (size_t d = 0; d < rank; ++d) {
    const int64_t dim = x.dim(d);
    if (begin[d] < 0 || begin[d] > dim) {
      return ctx.InvalidArgument(absl::StrCat(
          "begin ", ShapeToString(begin), " is out of range for x ",
          ShapeToString(x.shape), " at dim ", d));
    }
    if (size[d] == -1) size[d] = dim - begin[d];
    if (size[d] < 0 || begin[d] + size[d] > dim) {
      return ctx.InvalidArgument(absl::StrCat(
          "begin ", ShapeToString(begin), " + size ", ShapeToString(size),
          " is out of range for x ", ShapeToString(x.shape), " at dim ", d));
    }
    step[d] = 1;
    shape.push_back(size[d]);
  }
  ATTUNE_RETURN_IF_ERROR(BuildPlan(ctx, x, begin.data(), step, size.data(),
                                   ctx.op_data<CopyPlan>()));
  return ctx.SetOutput(0, x.dtype, std::move(shape));
}

absl::StatusOr<int64_t> MaskAttr(const NodeContext& ctx,
                                 absl::string_view name) {
  absl::StatusOr<int64_t> v = ctx.attrs().GetIntOr(name, 0);
  if (!v.ok()) return ctx.Annotate(v.status());
  return *v;
}

absl::Status PrepareStridedSlice(NodeContext& ctx) {
  const Tensor& x = ctx.input(0);
  ATTUNE_RETURN_IF_ERROR(CheckX(ctx, x));
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> begin,
                          ctx.IntsFromInputOrAttr(1, "begin"));
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> end,
                          ctx.IntsFromInputOrAttr(2, "end"));
  const std::vector<int64_t> ones(begin.size(), 1);
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> strides,
                          ctx.IntsFromInputOrAttr(3, "strides", &ones));
  ATTUNE_ASSIGN_OR_RETURN(const int64_t begin_mask,
                          MaskAttr(ctx, "begin_mask"));
  ATTUNE_ASSIGN_OR_RETURN(const int64_t end_mask, MaskAttr(ctx, "end_mask"));
  ATTUNE_ASSIGN_OR_RETURN(const int64_t ellipsis_mask,
                          MaskAttr(ctx, "ellipsis_mask"));
  ATTUNE_ASSIGN_OR_RETURN(const int64_t new_axis_mask,
                          MaskAttr(ctx, "new_axis_mask"));
  ATTUNE_ASSIGN_OR_RETURN(const int64_t shrink_mask,
                          MaskAttr(ctx, "shrink_axis_mask"));
  const int n = static_cast<int>(begin.size());
  if (end.size() != begin.size() || strides.size() != begin.size()) {
    return ctx.InvalidArgument(absl::StrCat(
        "begin ", ShapeToString(begin), ", end ", ShapeToString(end),
        " and strides ", ShapeToString(strides), " must have equal lengths"));
  }
  if (n > 32) {
    return ctx.InvalidArgument(
        absl::StrCat("slice spec has ", n, " entries, more than 32"));
  }
  auto bit = [](int64_t mask, int i) { return ((mask >> i) & 1) != 0; };
  // 1. Count the spec entries that name a dim of x; find the ellipsis.
  int ellipsis = -1;
  int real_entries = 0;
  for (int i = 0; i < n; ++i) {
    if (bit(ellipsis_mask, i)) {
      if (ellipsis != -1) {
        return ctx.InvalidArgument("only one ellipsis is allowed");
      }
      ellipsis = i;
    } else if (!bit(new_axis_mask, i)) {
      ++real_entries;
    }
  }
  const int rank = x.rank();
  if (real_entries > rank) {
    return ctx.InvalidArgument(
        absl::StrCat("slice spec names ", real_entries, " dims but x ",
                     ShapeToString(x.shape), " has rank ", rank));
  }
  // 2. Walk the spec (with an implicit trailing ellipsis when there is none)
  //    and resolve each dim of x to (begin, step, count); record the output
  //    shape: kept dims, new size-1 axes, dims dropped by shrink_axis.
  int64_t dense_begin[kMaxRank], dense_step[kMaxRank], dense_count[kMaxRank];
  Shape shape;
  int dim = 0;
  auto full_dim = [&](int d) {
    dense_begin[d] = 0;
    dense_step[d] = 1;
    dense_count[d] = x.dim(d);
    shape.push_back(x.dim(d));
  };
  for (int i = 0; i < n; ++i) {
    if (i == ellipsis) {
      const int covered = rank - real_entries;
      for (int k = 0; k < covered; ++k) full_dim(dim++);
      continue;
    }
    if (bit(new_axis_mask, i)) {
      shape.push_back(1);
      continue;
    }
    const int64_t size = x.dim(dim);
    const int64_t stride = strides[i];
    if (stride == 0) {
      return ctx.InvalidArgument(absl::StrCat("strides[", i, "] is 0"));
    }
    if (bit(shrink_mask, i)) {
      const int64_t index = begin[i] < 0 ? begin[i] + size : begin[i];
      if (index < 0 || index >= size) {
        return ctx.InvalidArgument(
            absl::StrCat("index ", begin[i], " is out of range for dim ", dim,
                         " of x ", ShapeToString(x.shape)));
      }
      if (stride < 0) {
        return ctx.InvalidArgument(absl::StrCat(
            "shrink_axis entry ", i, " needs a positive stride, got ", stride));
      }
      dense_begin[dim] = index;
      dense_step[dim] = 1;
      dense_count[dim] = 1;
      ++dim;
      continue;
    }
    // Valid positions are [0, size) walking forward, or (-1, size - 1]
    // walking backward; clamp to the bounds of that walk.
    const int64_t lo = stride > 0 ? 0 : -1;
    const int64_t hi = stride > 0 ? size : size - 1;
    auto resolve = [&](int64_t v, bool masked, bool is_end) {
      if (masked) {
        return stride > 0 ? (is_end ? size : 0) : (is_end ? -1 : size - 1);
      }
      if (v < 0) v += size;
      return v < lo ? lo : (v > hi ? hi : v);
    };
    const int64_t b = resolve(begin[i], bit(begin_mask, i), false);
    const int64_t e = resolve(end[i], bit(end_mask, i), true);
    const int64_t span = e - b;
    int64_t count = 0;
    if ((stride > 0 && span > 0) || (stride < 0 && span < 0)) {
      const int64_t mag = stride > 0 ? stride : -stride;
      const int64_t len = span > 0 ? span : -span;
      count = (len + mag - 1) / mag;
    }
    dense_begin[dim] = count > 0 ? b : 0;
    dense_step[dim] = stride;
    dense_count[dim] = count;
    shape.push_back(count);
    ++dim;
  }
  if (ellipsis == -1) {
    while (dim < rank) full_dim(dim++);
  }
  if (shape.size() > static_cast<size_t>(kMaxRank)) {
    return ctx.InvalidArgument(absl::StrCat("output ", ShapeToString(shape),
                                            " has rank above ", kMaxRank));
  }
  ATTUNE_RETURN_IF_ERROR(BuildPlan(ctx, x, dense_begin, dense_step, dense_count,
                                   ctx.op_data<CopyPlan>()));
  return ctx.SetOutput(0, x.dtype, std::move(shape));
}

}  // namespace

KernelRegistration RegisterSlice() { return {PrepareSlice, EvalCopy}; }
KernelRegistration RegisterStridedSlice() {
  return {PrepareStridedSlice, EvalCopy};
}

}  // namespace attune
