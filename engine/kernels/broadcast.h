#ifndef ATTUNE_ENGINE_KERNELS_BROADCAST_H_
#define ATTUNE_ENGINE_KERNELS_BROADCAST_H_

// Internal to the elementwise kernels (binary.cc, comparison.cc, select.cc,
// unary.cc): numpy broadcasting of up to three operands and a chunked
// parallel loop.
//
// A BroadcastPlan is computed once in Prepare (PlanBroadcast) and kept in the
// node's op_data; Eval walks it with ForEachSegment, which hands the kernel
// runs of contiguous output elements in which every operand either advances
// one element per output element or repeats one element. The cases:
//  - same shapes: one run over everything, every operand advancing;
//  - a scalar (one-element) operand: one run, that operand repeating;
//  - inner-dimension broadcast ([m, n] with [n], or [m, 1] with [m, n]): one
//    run per row;
//  - anything else: an odometer over the outer dimensions, one run per
//    innermost row.
// Size-1 output dimensions are dropped and neighbouring dimensions with the
// same repeat pattern are merged in Prepare, so the first three cases are
// simply plans of rank <= 2.
//
// The plan stores, per merged dimension, its size and one bit per operand
// saying whether the operand repeats along it; the operands' element strides
// follow from those and are expanded into a stack array at the start of each
// Eval (three int64 stride arrays of kMaxRank would not fit the 256-byte
// op_data).

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/shape.h"
#include "pthreadpool.h"

namespace attune {

inline constexpr int kMaxBroadcastOperands = 3;

// Elementwise work at or below this many elements runs on the calling thread.
inline constexpr int64_t kParallelThreshold = int64_t{1} << 16;

struct BroadcastPlan {
  int32_t num_operands;
  int32_t rank;  // merged rank; 0 when the output has exactly one element
  // Bit d of repeats[i]: operand i repeats (stride 0) along merged dim d.
  uint32_t repeats[kMaxBroadcastOperands];
  int64_t num_elements;  // of the output
  int64_t dims[kMaxRank];
};

// Broadcasts `shapes` (2 or 3 of them) numpy-style, fills `plan` and returns
// the output shape. InvalidArgument naming the shapes when incompatible.
absl::StatusOr<Shape> PlanBroadcast(
    absl::Span<const absl::Span<const int64_t>> shapes, BroadcastPlan* plan);

// True when operand i repeats one element along the innermost run.
inline bool InnerRepeats(const BroadcastPlan& plan, int i) {
  return plan.rank == 0 || ((plan.repeats[i] >> (plan.rank - 1)) & 1u) != 0;
}

// Calls fn(begin, end) over [0, n) in chunks, on `pool` when n exceeds
// kParallelThreshold (pool may be nullptr). fn must be safe to call
// concurrently on disjoint ranges.
template <typename Fn>
void ParallelFor(pthreadpool_t pool, int64_t n, const Fn& fn) {
  if (n <= 0) return;
  const size_t threads =
      pool == nullptr ? 1 : pthreadpool_get_threads_count(pool);
  if (threads <= 1 || n <= kParallelThreshold) {
    fn(int64_t{0}, n);
    return;
  }
  struct Context {
    const Fn* fn;
    int64_t n;
    int64_t chunk;
  };
  // About four chunks per thread, none smaller than 16K elements.
  const int64_t chunk = std::max<int64_t>(
      int64_t{1} << 14, (n + static_cast<int64_t>(threads) * 4 - 1) /
                            (static_cast<int64_t>(threads) * 4));
  Context context{&fn, n, chunk};
  auto task = [](void* p, size_t index) {
    const Context& c = *static_cast<const Context*>(p);
    const int64_t begin = static_cast<int64_t>(index) * c.chunk;
    (*c.fn)(begin, std::min(c.n, begin + c.chunk));
  };
  pthreadpool_parallelize_1d(pool, task, &context,
                             static_cast<size_t>((n + chunk - 1) / chunk), 0);
}

// Visits output elements [begin, end) of `plan` as runs: calls
// fn(offsets, out_offset, length) where offsets[i] is operand i's element
// offset at the run's start and out_offset the output's. Within a run operand
// i advances one element per output element unless InnerRepeats(plan, i).
template <typename Fn>
void ForEachSegment(const BroadcastPlan& plan, int64_t begin, int64_t end,
                    const Fn& fn) {
  const int n_ops = plan.num_operands;
  const int rank = plan.rank;
  int64_t offsets[kMaxBroadcastOperands] = {0, 0, 0};
  if (begin >= end) return;
  if (rank == 0) {
    fn(static_cast<const int64_t*>(offsets), begin, end - begin);
    return;
  }
  // 1. Element strides of each operand per merged dim.
  int64_t strides[kMaxBroadcastOperands][kMaxRank];
  for (int i = 0; i < n_ops; ++i) {
    int64_t running = 1;
    for (int d = rank - 1; d >= 0; --d) {
      if ((plan.repeats[i] >> d) & 1u) {
        strides[i][d] = 0;
      } else {
        strides[i][d] = running;
        running *= plan.dims[d];
      }
    }
  }
  // 2. Multi-index and operand offsets of `begin`.
  int64_t index[kMaxRank];
  int64_t rest = begin;
  for (int d = rank - 1; d >= 0; --d) {
    index[d] = rest % plan.dims[d];
    rest /= plan.dims[d];
    for (int i = 0; i < n_ops; ++i) offsets[i] += index[d] * strides[i][d];
  }
  // 3. One run per (partial) innermost row, then an odometer step.
  const int inner = rank - 1;
  const int64_t inner_dim = plan.dims[inner];
  int64_t pos = begin;
  while (pos < end) {
    const int64_t len = std::min(inner_dim - index[inner], end - pos);
    fn(static_cast<const int64_t*>(offsets), pos, len);
    pos += len;
    index[inner] += len;
    for (int i = 0; i < n_ops; ++i) offsets[i] += len * strides[i][inner];
    for (int d = inner; d > 0 && index[d] == plan.dims[d]; --d) {
      index[d] = 0;
      ++index[d - 1];
      for (int i = 0; i < n_ops; ++i) {
        offsets[i] += strides[i][d - 1] - plan.dims[d] * strides[i][d];
      }
    }
  }
}

// ForEachSegment over the whole output, split over `pool` when large.
template <typename Fn>
void ParallelForEachSegment(const BroadcastPlan& plan, pthreadpool_t pool,
                            const Fn& fn) {
  ParallelFor(pool, plan.num_elements, [&plan, &fn](int64_t b, int64_t e) {
    ForEachSegment(plan, b, e, fn);
  });
}

// out[k] = op(a[k], b[k]) over one run of `n` elements; a_rep / b_rep: the
// operand repeats its first element. Branches hoisted so each loop is plain.
template <typename A, typename B, typename Out, typename Op>
inline void BinaryRun(const A* a, bool a_rep, const B* b, bool b_rep, Out* out,
                      int64_t n, const Op& op) {
  if (!a_rep && !b_rep) {
    for (int64_t k = 0; k < n; ++k) out[k] = op(a[k], b[k]);
  } else if (a_rep && !b_rep) {
    const A x = a[0];
    for (int64_t k = 0; k < n; ++k) out[k] = op(x, b[k]);
  } else if (!a_rep) {
    const B y = b[0];
    for (int64_t k = 0; k < n; ++k) out[k] = op(a[k], y);
  } else {
    const Out v = op(a[0], b[0]);
    for (int64_t k = 0; k < n; ++k) out[k] = v;
  }
}

// Broadcast binary map over a two-operand plan: out = op(a, b).
template <typename A, typename B, typename Out, typename Op>
void BroadcastBinary(const BroadcastPlan& plan, pthreadpool_t pool, const A* a,
                     const B* b, Out* out, const Op& op) {
  const bool a_rep = InnerRepeats(plan, 0);
  const bool b_rep = InnerRepeats(plan, 1);
  ParallelForEachSegment(
      plan, pool, [=, &op](const int64_t* off, int64_t o, int64_t n) {
        BinaryRun(a + off[0], a_rep, b + off[1], b_rep, out + o, n, op);
      });
}

}  // namespace attune

#endif  // ATTUNE_ENGINE_KERNELS_BROADCAST_H_
