// tile: y = x repeated multiples[d] times along each dim d.
// Inputs: x (any fixed-size dtype), optional multiples (int32/int64, static).
// Attributes: multiples ints, used when the input is absent. One value per
// dim of x, each >= 0. Output dim d is x.dim(d) * multiples[d].

#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

absl::Status Prepare(NodeContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (DTypeSize(x.dtype) == 0) {
    return ctx.Unimplemented(
        absl::StrCat("dtype ", DTypeName(x.dtype), " is not supported"));
  }
  if (x.rank() > kMaxRank) {
    return ctx.InvalidArgument(absl::StrCat("x ", ShapeToString(x.shape),
                                            " has rank above ", kMaxRank));
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> multiples,
                          ctx.IntsFromInputOrAttr(1, "multiples"));
  if (multiples.size() != static_cast<size_t>(x.rank())) {
    return ctx.InvalidArgument(absl::StrCat(
        "multiples ", ShapeToString(multiples),
        " must have one value per dim of x ", ShapeToString(x.shape)));
  }
  Shape shape;
  for (int d = 0; d < x.rank(); ++d) {
    if (multiples[d] < 0) {
      return ctx.InvalidArgument(absl::StrCat(
          "multiples ", ShapeToString(multiples), " has a negative value"));
    }
    if (multiples[d] > 0 && x.dim(d) > kMaxTensorElements / multiples[d]) {
      return ctx.InvalidArgument(
          absl::StrCat("tiling x ", ShapeToString(x.shape), " by ",
                       ShapeToString(multiples), " is too large"));
    }
    shape.push_back(x.dim(d) * multiples[d]);
  }
  return ctx.SetOutput(0, x.dtype, std::move(shape));
}

// Shapes and byte sizes for the recursion; all on the stack.
struct TileArgs {
  int rank;
  const int64_t* in_dims;
  int64_t multiples[kMaxRank];
  int64_t in_block[kMaxRank + 1];   // bytes of x[i0..id, :, ...]
  int64_t out_block[kMaxRank + 1];  // bytes of y[i0..id, :, ...]
};

// Writes the tiling of the x sub-block at `in` (dims d..rank-1) to `out`.
// Copies one tile of dim d (recursing into the inner dims), then replicates
// it multiples[d] - 1 times with memcpy.
void TileDim(const TileArgs& a, int d, const uint8_t* in, uint8_t* out) {
  const int64_t n = a.in_dims[d];
  int64_t tile_bytes;
  if (d == a.rank - 1) {
    tile_bytes = a.in_block[d];
    std::memcpy(out, in, static_cast<size_t>(tile_bytes));
  } else {
    for (int64_t i = 0; i < n; ++i) {
      TileDim(a, d + 1, in + i * a.in_block[d + 1],
              out + i * a.out_block[d + 1]);
    }
    tile_bytes = n * a.out_block[d + 1];
  }
  for (int64_t m = 1; m < a.multiples[d]; ++m) {
    std::memcpy(out + m * tile_bytes, out, static_cast<size_t>(tile_bytes));
  }
}

absl::Status Eval(NodeContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& y = ctx.output(0);
  if (y.bytes == 0) return absl::OkStatus();
  const int64_t es = static_cast<int64_t>(DTypeSize(x.dtype));
  if (x.rank() == 0) {
    std::memcpy(y.data, x.data, static_cast<size_t>(es));
    return absl::OkStatus();
  }
  TileArgs a;
  a.rank = x.rank();
  a.in_dims = x.shape.data();
  a.in_block[a.rank] = es;
  a.out_block[a.rank] = es;
  for (int d = a.rank - 1; d >= 0; --d) {
    a.multiples[d] = y.dim(d) / x.dim(d);  // y nonempty, so x.dim(d) > 0
    a.in_block[d] = a.in_block[d + 1] * x.dim(d);
    a.out_block[d] = a.out_block[d + 1] * y.dim(d);
  }
  TileDim(a, 0, x.data_as<uint8_t>(), y.data_as<uint8_t>());
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterTile() { return {Prepare, Eval}; }

}  // namespace attune
