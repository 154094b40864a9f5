// sum, mean, reduce_max, reduce_min, reduce_prod over a set of axes.
// Inputs: x (float32 for all; int32/int64 for all but mean), optional axes
// (int32/int64, static) that overrides attribute `axes`.
// Attributes: axes ints (absent: all axes; an explicit empty list reduces
// nothing), keepdims int 0/1 (0).
//
// Empty reductions (a reduced dim of size 0 with a non-empty output): sum 0,
// prod 1, mean NaN (as numpy); max and min are InvalidArgument at Prepare.
// float32 sum, mean and prod accumulate in double; integer sum and prod wrap
// around like the output type's two's-complement arithmetic.
//
// Algorithm:
//  1. Prepare drops size-1 dims and merges neighbouring dims that are both
//     reduced or both kept, so x becomes e.g. [rows, cols] (last axis),
//     [n, h*w, c] (global pooling) or [total] (all axes).
//  2. Eval walks x once in memory order. The innermost merged dim is either
//     reduced as a contiguous run into one accumulator, or kept and added
//     elementwise into a run of accumulators (scratch, one per output).
//  3. Accumulators are converted into the output (mean divides by the count).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData;
using ReduceFn = void (*)(const OpData&, const void* in, void* out, void* acc);

struct OpData {
  ReduceFn fn;
  int64_t in_elems;
  int64_t out_elems;
  int64_t count;  // input elements per output element
  int32_t num_dims;
  int64_t dims[kMaxRank];  // merged dims
  bool reduced[kMaxRank];
};

// Accumulation policies: Acc, Init, Combine, Run (a contiguous run) and
// Finalize.
template <typename T>
using WideAcc =
    std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;

template <typename T>
WideAcc<T> Widen(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<double>(x);
  } else {
    return static_cast<uint64_t>(static_cast<int64_t>(x));
  }
}

template <typename T>
T Narrow(WideAcc<T> a) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(a);
  } else {
    return static_cast<T>(static_cast<int64_t>(a));
  }
}

template <typename T>
struct SumOp {
  using Acc = WideAcc<T>;
  static Acc Init() { return Acc{0}; }
  static Acc Combine(Acc a, T x) { return a + Widen(x); }
  static Acc Run(const T* x, int64_t n, Acc a) {
    // Four partial sums break the add dependency chain.
    Acc p[4] = {a, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
      p[0] += Widen(x[i]);
      p[1] += Widen(x[i + 1]);
      p[2] += Widen(x[i + 2]);
      p[3] += Widen(x[i + 3]);
    }
    for (; i < n; ++i) p[0] += Widen(x[i]);
    return (p[0] + p[1]) + (p[2] + p[3]);
  }
  static T Finalize(Acc a, int64_t) { return Narrow<T>(a); }
};

template <typename T>
struct MeanOp : SumOp<T> {
  static T Finalize(double a, int64_t count) {
    if (count == 0) return std::numeric_limits<T>::quiet_NaN();
    return static_cast<T>(a / static_cast<double>(count));
  }
};

template <typename T>
struct ProdOp {
  using Acc = WideAcc<T>;
  static Acc Init() { return Acc{1}; }
  static Acc Combine(Acc a, T x) { return a * Widen(x); }
  static Acc Run(const T* x, int64_t n, Acc a) {
    for (int64_t i = 0; i < n; ++i) a *= Widen(x[i]);
    return a;
  }
  static T Finalize(Acc a, int64_t) { return Narrow<T>(a); }
};

// Max and min propagate NaN (as numpy).
template <typename T, bool kMax>
struct ExtremumOp {
  using Acc = T;
  static Acc Init() {
    if constexpr (std::is_floating_point_v<T>) {
      return kMax ? -std::numeric_limits<T>::infinity()
                  : std::numeric_limits<T>::infinity();
    } else {
      return kMax ? std::numeric_limits<T>::lowest()
                  : std::numeric_limits<T>::max();
    }
  }
  static Acc Combine(Acc a, T x) {
    if constexpr (std::is_floating_point_v<T>) {
      if (x != x) return x;
    }
    return (kMax ? x > a : x < a) ? x : a;
  }
  static Acc Run(const T* x, int64_t n, Acc a) {
    for (int64_t i = 0; i < n; ++i) a = Combine(a, x[i]);
    return a;
  }
  static T Finalize(Acc a, int64_t) { return a; }
};

template <typename T, typename Op>
void Reduce(const OpData& d, const void* in_v, void* out_v, void* acc_v) {
  using Acc = typename Op::Acc;
  const T* in = static_cast<const T*>(in_v);
  T* out = static_cast<T*>(out_v);
  Acc* acc = static_cast<Acc*>(acc_v);
  if (d.in_elems == 0) {
    std::fill(out, out + d.out_elems, Op::Finalize(Op::Init(), d.count));
    return;
  }
  const int nd = d.num_dims;
  const int64_t inner = d.dims[nd - 1];
  const bool inner_reduced = d.reduced[nd - 1];
  // Output stride of each outer merged dim (0 for reduced dims).
  int64_t ostride[kMaxRank];
  int64_t idx[kMaxRank];
  int64_t s = inner_reduced ? 1 : inner;
  for (int k = nd - 2; k >= 0; --k) {
    ostride[k] = d.reduced[k] ? 0 : s;
    if (!d.reduced[k]) s *= d.dims[k];
    idx[k] = 0;
  }
  std::fill(acc, acc + d.out_elems, Op::Init());
  int64_t off = 0;
  const int64_t rows = d.in_elems / inner;
  for (int64_t r = 0; r < rows; ++r, in += inner) {
    if (inner_reduced) {
      acc[off] = Op::Run(in, inner, acc[off]);
    } else {
      Acc* a = acc + off;
      for (int64_t i = 0; i < inner; ++i) a[i] = Op::Combine(a[i], in[i]);
    }
    for (int k = nd - 2; k >= 0; --k) {
      if (++idx[k] < d.dims[k]) {
        off += ostride[k];
        break;
      }
      off -= ostride[k] * (d.dims[k] - 1);
      idx[k] = 0;
    }
  }
  for (int64_t i = 0; i < d.out_elems; ++i) {
    out[i] = Op::Finalize(acc[i], d.count);
  }
}

template <typename T>
ReduceFn SelectFn(OpCode op, size_t* acc_size) {
  switch (op) {
    case OpCode::kSum:
      *acc_size = sizeof(typename SumOp<T>::Acc);
      return Reduce<T, SumOp<T>>;
    case OpCode::kMean:
      if constexpr (std::is_floating_point_v<T>) {
        *acc_size = sizeof(double);
        return Reduce<T, MeanOp<T>>;
      }
      return nullptr;
    case OpCode::kReduceProd:
      *acc_size = sizeof(typename ProdOp<T>::Acc);
      return Reduce<T, ProdOp<T>>;
    case OpCode::kReduceMax:
      *acc_size = sizeof(T);
      return Reduce<T, ExtremumOp<T, true>>;
    case OpCode::kReduceMin:
      *acc_size = sizeof(T);
      return Reduce<T, ExtremumOp<T, false>>;
    default:
      return nullptr;
  }
}

absl::Status Prepare(NodeContext& ctx) {
  if (!ctx.has_input(0)) return ctx.InvalidArgument("input 0 is missing");
  const Tensor& x = ctx.input(0);
  const OpCode op = ctx.op();
  OpData& data = ctx.op_data<OpData>();
  size_t acc_size = 0;
  switch (x.dtype) {
    case DType::kFloat32:
      data.fn = SelectFn<float>(op, &acc_size);
      break;
    case DType::kInt32:
      data.fn = SelectFn<int32_t>(op, &acc_size);
      break;
    case DType::kInt64:
      data.fn = SelectFn<int64_t>(op, &acc_size);
      break;
    default:
      data.fn = nullptr;
      break;
  }
  if (data.fn == nullptr) {
    return ctx.InvalidArgument(
        absl::StrCat("x has dtype ", DTypeName(x.dtype), "; expected float32",
                     op == OpCode::kMean ? "" : ", int32 or int64"));
  }

  // Axes: input 1, else attribute "axes", else all.
  const int rank = x.rank();
  if (rank > kMaxRank) {
    return ctx.InvalidArgument(
        absl::StrCat("x has rank ", rank, " > ", kMaxRank));
  }
  bool mask[kMaxRank] = {};
  if (ctx.has_input(1) || ctx.attrs().Has("axes")) {
    ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> axes,
                            ctx.IntsFromInputOrAttr(1, "axes"));
    for (int64_t a : axes) {
      absl::StatusOr<int> axis = NormalizeAxis(a, rank);
      if (!axis.ok()) return ctx.Annotate(axis.status());
      if (mask[*axis]) {
        return ctx.InvalidArgument(absl::StrCat(
            "axis ", a, " appears more than once in axes for x of shape ",
            ShapeToString(x.shape)));
      }
      mask[*axis] = true;
    }
  } else {
    std::fill(mask, mask + rank, true);
  }
  absl::StatusOr<int64_t> keepdims = ctx.attrs().GetIntOr("keepdims", 0);
  if (!keepdims.ok()) return ctx.Annotate(keepdims.status());

  Shape out_shape;
  data.count = 1;
  data.num_dims = 0;
  for (int d = 0; d < rank; ++d) {
    const int64_t dim = x.dim(d);
    if (mask[d]) {
      data.count *= dim;
      if (*keepdims != 0) out_shape.push_back(1);
    } else {
      out_shape.push_back(dim);
    }
    if (dim == 1) continue;
    const int n = data.num_dims;
    if (n > 0 && data.reduced[n - 1] == mask[d]) {
      data.dims[n - 1] *= dim;
    } else {
      data.dims[n] = dim;
      data.reduced[n] = mask[d];
      ++data.num_dims;
    }
  }
  if (data.num_dims == 0) {
    data.dims[0] = 1;
    data.reduced[0] = false;
    data.num_dims = 1;
  }
  data.in_elems = x.num_elements();
  data.out_elems = NumElements(out_shape);
  if (data.count == 0 && data.out_elems > 0 &&
      (op == OpCode::kReduceMax || op == OpCode::kReduceMin)) {
    return ctx.InvalidArgument(absl::StrCat(
        "cannot take the ", op == OpCode::kReduceMax ? "maximum" : "minimum",
        " over a zero-size dim of x ", ShapeToString(x.shape)));
  }
  ctx.RequestScratch(
      std::max<size_t>(static_cast<size_t>(data.out_elems) * acc_size, 1));
  return ctx.SetOutput(0, x.dtype, std::move(out_shape));
}

absl::Status Eval(NodeContext& ctx) {
  const OpData& data = ctx.op_data<OpData>();
  if (data.out_elems == 0) return absl::OkStatus();
  data.fn(data, ctx.input(0).data, ctx.output(0).data, ctx.scratch(0));
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterSum() { return {Prepare, Eval}; }
KernelRegistration RegisterMean() { return {Prepare, Eval}; }
KernelRegistration RegisterReduceMax() { return {Prepare, Eval}; }
KernelRegistration RegisterReduceMin() { return {Prepare, Eval}; }
KernelRegistration RegisterReduceProd() { return {Prepare, Eval}; }

}  // namespace attune
