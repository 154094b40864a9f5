// transpose: y[i_perm0, i_perm1, ...] permutes the dims of x.
// y.dim(k) = x.dim(perm[k]).
// Inputs: x (any fixed-size dtype), optional perm (int32/int64, static).
// Attributes: perm ints when the input is absent; default reverses the dims.
// perm entries may be negative (counted from the end); it must be a
// permutation of 0..rank-1.
//
// Prepare simplifies the problem: size-1 dims are dropped and dims that stay
// adjacent and in order under perm are merged, so e.g. NHWC->NCHW becomes a
// batch of 2-D transposes. Eval then either copies contiguous rows (the last
// dim is kept) or runs cache-blocked 2-D transposes over the two innermost
// output dims.

#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData {
  int64_t dims[kMaxRank];  // simplified x dims
  int8_t perm[kMaxRank];   // simplified permutation
  int32_t rank;            // simplified rank
  int32_t elem_size;
};

absl::Status Prepare(NodeContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int rank = x.rank();
  if (DTypeSize(x.dtype) == 0) {
    return ctx.Unimplemented(
        absl::StrCat("dtype ", DTypeName(x.dtype), " is not supported"));
  }
  if (rank > kMaxRank) {
    return ctx.InvalidArgument(absl::StrCat("x ", ShapeToString(x.shape),
                                            " has rank above ", kMaxRank));
  }
  std::vector<int64_t> reverse(rank);
  for (int d = 0; d < rank; ++d) reverse[d] = rank - 1 - d;
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> perm,
                          ctx.IntsFromInputOrAttr(1, "perm", &reverse));
  if (perm.size() != static_cast<size_t>(rank)) {
    return ctx.InvalidArgument(absl::StrCat(
        "perm ", ShapeToString(perm), " must have one entry per dim of x ",
        ShapeToString(x.shape)));
  }
  bool seen[kMaxRank] = {};
  Shape shape;
  for (int k = 0; k < rank; ++k) {
    int64_t p = perm[k] < 0 ? perm[k] + rank : perm[k];
    if (p < 0 || p >= rank || seen[p]) {
      return ctx.InvalidArgument(absl::StrCat("perm ", ShapeToString(perm),
                                              " is not a permutation of 0..",
                                              rank - 1));
    }
    seen[p] = true;
    perm[k] = p;
    shape.push_back(x.dim(static_cast<int>(p)));
  }
  // Simplify: drop size-1 dims, renumber, then merge runs p, p+1 in perm.
  int new_index[kMaxRank];
  int kept = 0;
  for (int d = 0; d < rank; ++d) {
    new_index[d] = x.dim(d) == 1 ? -1 : kept++;
  }
  int64_t kept_dims[kMaxRank];
  int kept_perm[kMaxRank];
  int n = 0;
  for (int d = 0; d < rank; ++d) {
    if (new_index[d] != -1) kept_dims[new_index[d]] = x.dim(d);
  }
  for (int k = 0; k < rank; ++k) {
    if (new_index[perm[k]] != -1) kept_perm[n++] = new_index[perm[k]];
  }
  // Merge: output position k+1 continues k when kept_perm[k+1] ==
  // kept_perm[k] + 1. group_of[input dim] -> merged dim.
  OpData& data = ctx.op_data<OpData>();
  data = OpData{};
  data.elem_size = static_cast<int32_t>(DTypeSize(x.dtype));
  int group_start[kMaxRank];  // first input dim of each output group
  int64_t group_size[kMaxRank];
  int groups = 0;
  for (int k = 0; k < n; ++k) {
    if (groups > 0 && kept_perm[k] == kept_perm[k - 1] + 1) {
      group_size[groups - 1] *= kept_dims[kept_perm[k]];
    } else {
      group_start[groups] = kept_perm[k];
      group_size[groups] = kept_dims[kept_perm[k]];
      ++groups;
    }
  }
  // Groups in input order give the simplified x dims; their output order is
  // the simplified perm.
  int rank_in_input[kMaxRank];
  for (int g = 0; g < groups; ++g) {
    int r = 0;
    for (int h = 0; h < groups; ++h) r += group_start[h] < group_start[g];
    rank_in_input[g] = r;
    data.dims[r] = group_size[g];
  }
  for (int g = 0; g < groups; ++g) {
    data.perm[g] = static_cast<int8_t>(rank_in_input[g]);
  }
  data.rank = groups;
  return ctx.SetOutput(0, x.dtype, std::move(shape));
}

// Blocked 2-D transpose of a [rows, cols] output whose element (i, j) is
// src[i * row_stride + j * col_stride].
template <typename T>
void Transpose2d(const T* src, int64_t rows, int64_t cols, int64_t row_stride,
                 int64_t col_stride, T* dst) {
  constexpr int64_t kBlock = 32;
  for (int64_t i0 = 0; i0 < rows; i0 += kBlock) {
    const int64_t i1 = i0 + kBlock < rows ? i0 + kBlock : rows;
    for (int64_t j0 = 0; j0 < cols; j0 += kBlock) {
      const int64_t j1 = j0 + kBlock < cols ? j0 + kBlock : cols;
      for (int64_t i = i0; i < i1; ++i) {
        const T* s = src + i * row_stride;
        T* d = dst + i * cols;
        for (int64_t j = j0; j < j1; ++j) d[j] = s[j * col_stride];
      }
    }
  }
}

// General case: odometer over the outer output dims; the two innermost output
// dims form a 2-D transpose (or a contiguous row copy when the innermost
// output dim is the innermost x dim).
template <typename T>
void TransposeTyped(const OpData& data, const T* in, T* out) {
  const int r = data.rank;
  int64_t in_stride[kMaxRank];
  int64_t stride = 1;
  for (int d = r - 1; d >= 0; --d) {
    in_stride[d] = stride;
    stride *= data.dims[d];
  }
  int64_t out_dims[kMaxRank], out_stride_in[kMaxRank];
  for (int k = 0; k < r; ++k) {
    out_dims[k] = data.dims[data.perm[k]];
    out_stride_in[k] = in_stride[data.perm[k]];
  }
  const int64_t cols = out_dims[r - 1];
  const int64_t rows = out_dims[r - 2];
  const int outer_rank = r - 2;
  int64_t index[kMaxRank] = {};
  const T* src = in;
  const bool rows_contiguous = out_stride_in[r - 1] == 1;
  while (true) {
    if (rows_contiguous) {
      for (int64_t i = 0; i < rows; ++i) {
        std::memcpy(out + i * cols, src + i * out_stride_in[r - 2],
                    static_cast<size_t>(cols) * sizeof(T));
      }
    } else {
      Transpose2d(src, rows, cols, out_stride_in[r - 2], out_stride_in[r - 1],
                  out);
    }
    out += rows * cols;
    int d = outer_rank - 1;
    for (; d >= 0; --d) {
      src += out_stride_in[d];
      if (++index[d] < out_dims[d]) break;
      src -= out_stride_in[d] * out_dims[d];
      index[d] = 0;
    }
    if (d < 0) break;
  }
}

absl::Status Eval(NodeContext& ctx) {
  const OpData& data = ctx.op_data<OpData>();
  const Tensor& x = ctx.input(0);
  Tensor& y = ctx.output(0);
  if (y.bytes == 0) return absl::OkStatus();
  // After simplifying, rank <= 1 means the layout is unchanged.
  if (data.rank <= 1) {
    std::memcpy(y.data, x.data, y.bytes);
    return absl::OkStatus();
  }
  switch (data.elem_size) {
    case 1:
      TransposeTyped(data, x.data_as<uint8_t>(), y.data_as<uint8_t>());
      break;
    case 2:
      TransposeTyped(data, x.data_as<uint16_t>(), y.data_as<uint16_t>());
      break;
    case 4:
      TransposeTyped(data, x.data_as<uint32_t>(), y.data_as<uint32_t>());
      break;
    default:
      TransposeTyped(data, x.data_as<uint64_t>(), y.data_as<uint64_t>());
      break;
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterTranspose() { return {Prepare, Eval}; }

}  // namespace attune
