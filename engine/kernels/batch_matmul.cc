// batch_matmul: out[..., m, n] = op(a)[..., m, k] . op(b)[..., k, n], where
// op transposes the last two dims when adj_x (for a) / adj_y (for b) is 1.
// Inputs: a, b (float32, rank >= 2); their batch dims (all but the last
// two) broadcast numpy-style. Attributes: adj_x, adj_y (int 0/1, default 0).
// See OPS.md.
//
// Algorithm: one Gemm per output batch; the offsets of a's and b's matrices
// follow from the broadcast batch index (stride 0 along broadcast dims).

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/gemm/gemm.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData {
  int64_t m, n, k;
  bool adj_x, adj_y;
};

absl::StatusOr<bool> GetAdjoint(const NodeContext& ctx,
                                absl::string_view name) {
  absl::StatusOr<int64_t> value = ctx.attrs().GetIntOr(name, 0);
  if (!value.ok()) return ctx.Annotate(value.status());
  if (*value != 0 && *value != 1) {
    return ctx.InvalidArgument(
        absl::StrCat("attribute \"", name, "\" must be 0 or 1, got ", *value));
  }
  return *value == 1;
}

absl::Status Prepare(NodeContext& ctx) {
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(0));
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(1));
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (a.rank() < 2 || b.rank() < 2) {
    return ctx.InvalidArgument(absl::StrCat(
        "needs a and b of rank >= 2, got a ", ShapeToString(a.shape), " and b ",
        ShapeToString(b.shape)));
  }
  OpData& d = ctx.op_data<OpData>();
  ATTUNE_ASSIGN_OR_RETURN(d.adj_x, GetAdjoint(ctx, "adj_x"));
  ATTUNE_ASSIGN_OR_RETURN(d.adj_y, GetAdjoint(ctx, "adj_y"));
  const int ra = a.rank();
  const int rb = b.rank();
  d.m = a.dim(ra - (d.adj_x ? 1 : 2));
  d.k = a.dim(ra - (d.adj_x ? 2 : 1));
  const int64_t kb = b.dim(rb - (d.adj_y ? 1 : 2));
  d.n = b.dim(rb - (d.adj_y ? 2 : 1));
  if (kb != d.k) {
    return ctx.InvalidArgument(absl::StrCat(
        "inner dims differ: a ", ShapeToString(a.shape), " (adj_x ",
        d.adj_x ? 1 : 0, ") has k = ", d.k, " but b ", ShapeToString(b.shape),
        " (adj_y ", d.adj_y ? 1 : 0, ") has k = ", kb));
  }
  absl::Span<const int64_t> a_batch(a.shape.data(), ra - 2);
  absl::Span<const int64_t> b_batch(b.shape.data(), rb - 2);
  absl::StatusOr<Shape> batch = BroadcastShapes(a_batch, b_batch);
  if (!batch.ok()) return ctx.Annotate(batch.status());
  Shape out = *std::move(batch);
  out.push_back(d.m);
  out.push_back(d.n);
  ctx.RequestScratch(GemmScratchBytes(d.m, d.n, d.k, ctx.num_threads()));
  return ctx.SetOutput(0, DType::kFloat32, std::move(out));
}

absl::Status Eval(NodeContext& ctx) {
  const OpData& d = ctx.op_data<OpData>();
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  Tensor& out = ctx.output(0);
  const int64_t total = out.num_elements();
  if (total == 0) return absl::OkStatus();
  float* c = out.data_as<float>();
  if (d.k == 0) {
    std::fill(c, c + total, 0.0f);
    return absl::OkStatus();
  }
  // Batch dims of the output, right-aligned strides (in matrices) of a and
  // b, 0 where that operand is broadcast. Fixed arrays: no allocation.
  const int batch_rank = out.rank() - 2;
  int64_t dims[kMaxRank] = {};
  int64_t a_stride[kMaxRank] = {};
  int64_t b_stride[kMaxRank] = {};
  int64_t a_step = 1, b_step = 1;
  for (int i = batch_rank - 1; i >= 0; --i) {
    dims[i] = out.dim(i);
    const int ia = i - (batch_rank - (a.rank() - 2));
    const int ib = i - (batch_rank - (b.rank() - 2));
    if (ia >= 0) {
      a_stride[i] = a.dim(ia) == 1 ? 0 : a_step;
      a_step *= a.dim(ia);
    }
    if (ib >= 0) {
      b_stride[i] = b.dim(ib) == 1 ? 0 : b_step;
      b_step *= b.dim(ib);
    }
  }
  const int64_t a_matrix = d.m * d.k;
  const int64_t b_matrix = d.k * d.n;
  const int64_t c_matrix = d.m * d.n;
  const int64_t batches = c_matrix == 0 ? 0 : total / c_matrix;
  GemmArgs args;
  args.m = d.m;
  args.n = d.n;
  args.k = d.k;
  args.transpose_a = d.adj_x;
  args.lda = d.adj_x ? d.m : d.k;
  args.transpose_b = d.adj_y;
  args.ldb = d.adj_y ? d.k : d.n;
  args.ldc = d.n;
  int64_t index[kMaxRank] = {};
  for (int64_t batch = 0; batch < batches; ++batch) {
    int64_t a_offset = 0, b_offset = 0;
    for (int i = 0; i < batch_rank; ++i) {
      a_offset += index[i] * a_stride[i];
      b_offset += index[i] * b_stride[i];
    }
    args.a = a.data_as<float>() + a_offset * a_matrix;
    args.b = b.data_as<float>() + b_offset * b_matrix;
    args.c = c + batch * c_matrix;
    Gemm(args, ctx.scratch(0), ctx.thread_pool());
    for (int i = batch_rank - 1; i >= 0; --i) {  // odometer increment
      if (++index[i] < dims[i]) break;
      index[i] = 0;
    }
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterBatchMatMul() { return {Prepare, Eval}; }

}  // namespace attune
