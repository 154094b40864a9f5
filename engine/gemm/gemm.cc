#include "engine/gemm/gemm.h"

#include <algorithm>

#include "Eigen/Core"

namespace attune {
namespace {

using Stride = Eigen::OuterStride<>;
using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic,
                               Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMajor, Eigen::Unaligned, Stride>;
using Map = Eigen::Map<RowMajor, Eigen::Unaligned, Stride>;

struct Task {
  const GemmArgs* args;
  int64_t rows_per_task;
};

void RunRows(const GemmArgs& g, int64_t row_begin, int64_t row_end) {
  const int64_t rows = row_end - row_begin;
  const int64_t a_rows = g.transpose_a ? g.k : g.m;
  const int64_t a_cols = g.transpose_a ? g.m : g.k;
  const int64_t b_rows = g.transpose_b ? g.n : g.k;
  const int64_t b_cols = g.transpose_b ? g.k : g.n;
  ConstMap a(g.a, a_rows, a_cols, Stride(g.lda));
  ConstMap b(g.b, b_rows, b_cols, Stride(g.ldb));
  Map c(g.c + row_begin * g.ldc, rows, g.n, Stride(g.ldc));
  if (g.beta == 0.0f) c.setZero();
  if (!g.transpose_a && !g.transpose_b) {
    c.noalias() += a.middleRows(row_begin, rows) * b;
  } else if (!g.transpose_a) {
    c.noalias() += a.middleRows(row_begin, rows) * b.transpose();
  } else if (!g.transpose_b) {
    c.noalias() += a.middleCols(row_begin, rows).transpose() * b;
  } else {
    c.noalias() += a.middleCols(row_begin, rows).transpose() * b.transpose();
  }
}

void RunTask(void* context, size_t index) {
  const Task& task = *static_cast<const Task*>(context);
  const int64_t begin = static_cast<int64_t>(index) * task.rows_per_task;
  const int64_t end = std::min(task.args->m, begin + task.rows_per_task);
  if (begin < end) RunRows(*task.args, begin, end);
}

}  // namespace

size_t GemmScratchBytes(int64_t, int64_t, int64_t, size_t) { return 0; }

void Gemm(const GemmArgs& args, void*, pthreadpool_t pool) {
  if (args.m == 0 || args.n == 0) return;
  const size_t threads = pool == nullptr ? 1 : pthreadpool_get_threads_count(pool);
  if (threads <= 1 || args.m < 2) {
    RunRows(args, 0, args.m);
    return;
  }
  Task task{&args, (args.m + threads - 1) / static_cast<int64_t>(threads)};
  const size_t tasks = (args.m + task.rows_per_task - 1) / task.rows_per_task;
  pthreadpool_parallelize_1d(pool, RunTask, &task, tasks, 0);
}

}  // namespace attune
