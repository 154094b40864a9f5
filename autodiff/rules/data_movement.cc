// Shape and data-movement ops: the gradient moves dy back to where each
// element came from (and sums where an element was used several times).
//   concat:        slice dy along the axis, one piece per input (the sizes
//                  along the axis must be static).
//   pack:          unpack dy along the new axis.
//   unpack:        pack the output gradients (zeros for outputs without one).
//   transpose:     transpose dy by the inverse permutation.
//   slice:         pad dy back with zeros to x's shape.
//   pad:           slice dy at the paddings' "before" offsets, x's size (the
//                  pad value, when an input, gets none).
//   strided_slice: all strides 1, no ellipsis / new axis: pad dy back
//                  (after restoring shrunk dims as size 1). Otherwise a
//                  scatter-add of dy to the flat positions the slice took,
//                  found by slicing an iota of x's (static) shape the same way.
//   tile:          reshape dy to [m0, d0, m1, d1, ...] and sum the m axes.
//   broadcast_to:  sum_to_shape(dy, shape(x)).
//   sum_to_shape:  broadcast_to(dy, shape(x)).

#include <numeric>

#include "absl/strings/str_cat.h"
#include "autodiff/grad_rule.h"
#include "autodiff/rules/static_args.h"
#include "engine/status_macros.h"

namespace attune {

absl::Status ConcatGrad(GradContext& ctx, std::vector<int>& dxs) {
  const int rank = static_cast<int>(ctx.info(ctx.y()).shape.size());
  ATTUNE_ASSIGN_OR_RETURN(const int64_t axis_attr, ctx.attrs().GetInt("axis"));
  ATTUNE_ASSIGN_OR_RETURN(const int axis, NormalizedAxis(ctx, axis_attr, rank));
  int64_t offset = 0;
  for (size_t i = 0; i < dxs.size(); ++i) {
    const int64_t length = ctx.info(ctx.x(i)).shape[axis];
    if (length < 0) {
      return ctx.Unimplemented(absl::StrCat(
          "input ", i, " has a dynamic size along the concat axis ", axis));
    }
    std::vector<int64_t> begin(rank, 0), size(rank, -1);
    begin[axis] = offset;
    size[axis] = length;
    offset += length;
    dxs[i] = ctx.Op1(OpCode::kSlice, {ctx.dy()},
                     Attributes().SetInts("begin", begin).SetInts("size", size),
                     absl::StrCat("dx", i));
  }
  return absl::OkStatus();
}

absl::Status PackGrad(GradContext& ctx, std::vector<int>& dxs) {
  const int rank = static_cast<int>(ctx.info(ctx.y()).shape.size());
  ATTUNE_ASSIGN_OR_RETURN(const int64_t axis_attr,
                          ctx.attrs().GetIntOr("axis", 0));
  ATTUNE_ASSIGN_OR_RETURN(const int axis, NormalizedAxis(ctx, axis_attr, rank));
  const int n = static_cast<int>(dxs.size());
  const std::vector<int> pieces =
      ctx.builder().Op(OpCode::kUnpack, {ctx.dy()},
                       Attributes().SetInt("axis", axis).SetInt("num", n), n);
  for (int i = 0; i < n; ++i) dxs[i] = pieces[i];
  return absl::OkStatus();
}

absl::Status UnpackGrad(GradContext& ctx, std::vector<int>& dxs) {
  const int n = static_cast<int>(ctx.node().outputs.size());
  std::vector<int> parts;
  for (int i = 0; i < n; ++i) {
    parts.push_back(ctx.dy(i) != -1 ? ctx.dy(i)
                                    : ctx.Op1(OpCode::kZerosLike, {ctx.y(i)}));
  }
  ATTUNE_ASSIGN_OR_RETURN(const int64_t axis, ctx.attrs().GetIntOr("axis", 0));
  dxs[0] =
      ctx.Op1(OpCode::kPack, parts, Attributes().SetInt("axis", axis), "dx");
  return absl::OkStatus();
}

absl::Status TransposeGrad(GradContext& ctx, std::vector<int>& dxs) {
  const int rank = static_cast<int>(ctx.info(ctx.x(0)).shape.size());
  ATTUNE_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> perm,
                          StaticInts(ctx, 1, "perm"));
  std::vector<int64_t> p(rank);
  if (perm.has_value()) {
    if (static_cast<int>(perm->size()) != rank) {
      return ctx.Unimplemented("perm length differs from the rank");
    }
    p = *perm;
  } else {
    for (int k = 0; k < rank; ++k) p[k] = rank - 1 - k;
  }
  std::vector<int64_t> inverse(rank);
  for (int k = 0; k < rank; ++k) {
    ATTUNE_ASSIGN_OR_RETURN(const int from, NormalizedAxis(ctx, p[k], rank));
    inverse[from] = k;
  }
  dxs[0] = ctx.Op1(OpCode::kTranspose, {ctx.dy()},
                   Attributes().SetInts("perm", inverse), "dx");
  return absl::OkStatus();
}

absl::Status SliceGrad(GradContext& ctx, std::vector<int>& dxs) {
  const Shape& x_shape = ctx.info(ctx.x(0)).shape;
  ATTUNE_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> begin,
                          StaticInts(ctx, 1, "begin"));
  ATTUNE_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> size,
                          StaticInts(ctx, 2, "size"));
  if (!begin.has_value() || !size.has_value() ||
      begin->size() != x_shape.size() || size->size() != x_shape.size()) {
    return ctx.Unimplemented("slice without one begin and size per dim");
  }
  std::vector<int64_t> paddings;
  for (size_t d = 0; d < x_shape.size(); ++d) {
    int64_t after = 0;
    if ((*size)[d] != -1) {
      if (x_shape[d] < 0) {
        return ctx.Unimplemented(
            absl::StrCat("a sized slice of dynamic dim ", d));
      }
      after = x_shape[d] - (*begin)[d] - (*size)[d];
    }
    paddings.push_back((*begin)[d]);
    paddings.push_back(after);
  }
  dxs[0] = ctx.Op1(OpCode::kPad, {ctx.dy()},
                   Attributes().SetInts("paddings", paddings), "dx");
  return absl::OkStatus();
}

absl::Status PadGrad(GradContext& ctx, std::vector<int>& dxs) {
  const int rank = static_cast<int>(ctx.info(ctx.x(0)).shape.size());
  ATTUNE_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> paddings,
                          StaticInts(ctx, 1, "paddings"));
  if (!paddings.has_value() || static_cast<int>(paddings->size()) != 2 * rank) {
    return ctx.Unimplemented("pad without (before, after) per dim");
  }
  std::vector<int64_t> begin(rank);
  for (int d = 0; d < rank; ++d) begin[d] = (*paddings)[2 * d];
  dxs[0] = ctx.Op1(
      OpCode::kSlice,
      {ctx.dy(), ctx.ConstantInts("begin", begin), ctx.ShapeOf(ctx.x(0))}, {},
      "dx");
  return absl::OkStatus();
}

namespace {

// The pad path of strided_slice: every stride 1, no ellipsis or new axis.
// Returns false in `handled` when the slice needs the general path.
absl::Status StridedSliceByPad(GradContext& ctx, int& dx, bool& handled) {
  handled = false;
  const Shape& x_shape = ctx.info(ctx.x(0)).shape;
  const int rank = static_cast<int>(x_shape.size());
  ATTUNE_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> begin,
                          StaticInts(ctx, 1, "begin"));
  ATTUNE_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> end,
                          StaticInts(ctx, 2, "end"));
  ATTUNE_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> strides,
                          StaticInts(ctx, 3, "strides"));
  if (!begin.has_value() || !end.has_value()) {
    return ctx.Unimplemented("strided_slice without begin and end");
  }
  const int n = static_cast<int>(begin->size());
  if (n > rank) return absl::OkStatus();
  if (strides.has_value()) {
    for (int64_t s : *strides) {
      if (s != 1) return absl::OkStatus();
    }
  }
  auto mask = [&](absl::string_view name) {
    return ctx.attrs().GetIntOr(name, 0).value_or(0);
  };
  if (mask("ellipsis_mask") != 0 || mask("new_axis_mask") != 0) {
    return absl::OkStatus();
  }
  const int64_t begin_mask = mask("begin_mask");
  const int64_t end_mask = mask("end_mask");
  const int64_t shrink_mask = mask("shrink_axis_mask");
  std::vector<int64_t> paddings;
  std::vector<int64_t> kept;  // dy's shape with shrunk dims restored as 1
  int dynamic = 0;
  for (int d = 0; d < rank; ++d) {
    const int64_t size = x_shape[d];
    const bool b_masked = d >= n || ((begin_mask >> d) & 1) != 0;
    const bool e_masked = d >= n || ((end_mask >> d) & 1) != 0;
    const bool shrink = d < n && ((shrink_mask >> d) & 1) != 0;
    if (size < 0) {
      // A dynamic dim works only when taken whole.
      const bool whole = !shrink && (b_masked || (*begin)[d] == 0) && e_masked;
      if (!whole) return absl::OkStatus();
      paddings.push_back(0);
      paddings.push_back(0);
      kept.push_back(-1);
      ++dynamic;
      continue;
    }
    int64_t b, count;
    if (shrink) {
      b = (*begin)[d] < 0 ? (*begin)[d] + size : (*begin)[d];
      count = 1;
    } else {
      auto resolve = [&](int64_t v, bool masked, int64_t dflt) {
        if (masked) return dflt;
        if (v < 0) v += size;
        return v < 0 ? int64_t{0} : (v > size ? size : v);
      };
      // Dims past the given begin/end lists are masked: never index them.
      b = resolve(b_masked ? 0 : (*begin)[d], b_masked, 0);
      const int64_t e = resolve(e_masked ? 0 : (*end)[d], e_masked, size);
      count = e > b ? e - b : 0;
      if (count == 0) b = 0;
    }
    paddings.push_back(b);
    paddings.push_back(size - b - count);
    kept.push_back(count);
  }
  if (dynamic > 1) return absl::OkStatus();
  int g = ctx.dy();
  if (shrink_mask != 0) {
    g = ctx.Op1(OpCode::kReshape, {g, ctx.ConstantInts("kept_shape", kept)});
  }
  dx = ctx.Op1(OpCode::kPad, {g}, Attributes().SetInts("paddings", paddings),
               "dx");
  handled = true;
  return absl::OkStatus();
}

}  // namespace

absl::Status StridedSliceGrad(GradContext& ctx, std::vector<int>& dxs) {
  bool handled = false;
  ATTUNE_RETURN_IF_ERROR(StridedSliceByPad(ctx, dxs[0], handled));
  if (handled) return absl::OkStatus();
  // General case: positions = strided_slice(iota), dx = scatter_add.
  ATTUNE_ASSIGN_OR_RETURN(Shape x_shape,
                          StaticShape(ctx, ctx.x(0),
                                      "strided_slice with strides != 1, an "
                                      "ellipsis or a new axis"));
  const int64_t total = NumElements(x_shape);
  std::vector<int64_t> iota(total);
  std::iota(iota.begin(), iota.end(), int64_t{0});
  const int flat = ctx.ConstantInts("positions", iota);
  const int positions_in_x = ctx.Op1(
      OpCode::kReshape,
      {flat, ctx.ConstantInts("x_shape", std::vector<int64_t>(x_shape.begin(),
                                                              x_shape.end()))});
  std::vector<int> inputs = ctx.node().inputs;
  inputs[0] = positions_in_x;
  const int taken = ctx.Op1(OpCode::kStridedSlice, inputs, ctx.attrs());
  const int scattered =
      ctx.Op1(OpCode::kScatterAdd,
              {taken, ctx.dy(), ctx.ConstantInts("flat", {total})});
  dxs[0] =
      ctx.Op1(OpCode::kReshape, {scattered, ctx.ShapeOf(ctx.x(0))}, {}, "dx");
  return absl::OkStatus();
}

absl::Status TileGrad(GradContext& ctx, std::vector<int>& dxs) {
  const Shape& x_shape = ctx.info(ctx.x(0)).shape;
  const int rank = static_cast<int>(x_shape.size());
  ATTUNE_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> multiples,
                          StaticInts(ctx, 1, "multiples"));
  if (!multiples.has_value() || static_cast<int>(multiples->size()) != rank) {
    return ctx.Unimplemented("tile without one multiple per dim");
  }
  std::vector<int64_t> split, axes;
  int dynamic = 0;
  for (int d = 0; d < rank; ++d) {
    split.push_back((*multiples)[d]);
    split.push_back(x_shape[d]);
    axes.push_back(2 * d);
    if (x_shape[d] < 0) ++dynamic;
  }
  if (dynamic > 1) {
    return ctx.Unimplemented("tile of a tensor with several dynamic dims");
  }
  if (rank == 0) {
    dxs[0] = ctx.dy();
    return absl::OkStatus();
  }
  const int reshaped =
      ctx.Op1(OpCode::kReshape, {ctx.dy(), ctx.ConstantInts("split", split)});
  dxs[0] =
      ctx.Op1(OpCode::kSum, {reshaped},
              Attributes().SetInts("axes", axes).SetInt("keepdims", 0), "dx");
  return absl::OkStatus();
}

absl::Status BroadcastToGrad(GradContext& ctx, std::vector<int>& dxs) {
  dxs[0] =
      ctx.Op1(OpCode::kSumToShape, {ctx.dy(), ctx.ShapeOf(ctx.x(0))}, {}, "dx");
  return absl::OkStatus();
}

absl::Status SumToShapeGrad(GradContext& ctx, std::vector<int>& dxs) {
  dxs[0] = ctx.Op1(OpCode::kBroadcastTo, {ctx.dy(), ctx.ShapeOf(ctx.x(0))}, {},
                   "dx");
  return absl::OkStatus();
}

}  // namespace attune
