#include "autodiff/rules/static_args.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace attune {

absl::StatusOr<std::optional<std::vector<int64_t>>> StaticInts(
    const GradContext& ctx, int input, absl::string_view attr) {
  if (ctx.has_input(input)) {
    const TensorInfo& info = ctx.info(ctx.x(input));
    if (info.buffer < 0) {
      return ctx.Unimplemented(
          absl::StrCat("input ", input, " (", attr, ") must be a constant"));
    }
    if (info.dtype != DType::kInt32 && info.dtype != DType::kInt64) {
      return ctx.Unimplemented(absl::StrCat("input ", input, " (", attr,
                                            ") must be int32 or int64"));
    }
    const ConstantBuffer& buffer = ctx.builder().graph().buffers[info.buffer];
    const size_t width = DTypeSize(info.dtype);
    std::vector<int64_t> values(buffer.size / width);
    for (size_t i = 0; i < values.size(); ++i) {
      if (width == 4) {
        int32_t v;
        std::memcpy(&v, buffer.data + 4 * i, 4);
        values[i] = v;
      } else {
        std::memcpy(&values[i], buffer.data + 8 * i, 8);
      }
    }
    return std::optional<std::vector<int64_t>>(std::move(values));
  }
  if (!ctx.attrs().Has(attr)) return std::optional<std::vector<int64_t>>();
  absl::StatusOr<std::vector<int64_t>> list = ctx.attrs().GetInts(attr);
  if (list.ok()) return std::optional<std::vector<int64_t>>(*std::move(list));
  absl::StatusOr<int64_t> scalar = ctx.attrs().GetInt(attr);
  if (!scalar.ok()) return list.status();
  return std::optional<std::vector<int64_t>>(std::vector<int64_t>{*scalar});
}

absl::StatusOr<Shape> StaticShape(const GradContext& ctx, int tensor,
                                  absl::string_view why) {
  const Shape& shape = ctx.info(tensor).shape;
  for (int64_t d : shape) {
    if (d < 0) {
      return ctx.Unimplemented(absl::StrCat(
          why, " needs the static shape of \"", ctx.info(tensor).name,
          "\", which is ", ShapeToString(shape)));
    }
  }
  return shape;
}

absl::StatusOr<int> NormalizedAxis(const GradContext& ctx, int64_t axis,
                                   int rank) {
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    return absl::InvalidArgumentError(
        absl::StrCat("gradient of ", OpName(ctx.node().op), ": axis ", axis,
                     " is out of range for rank ", rank));
  }
  return static_cast<int>(a);
}

}  // namespace attune
