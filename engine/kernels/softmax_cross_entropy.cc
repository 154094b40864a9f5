// Fused softmax cross-entropy with its gradient (TensorFlow's
// SparseSoftmaxCrossEntropyWithLogits / SoftmaxCrossEntropyWithLogits):
//   sparse_softmax_cross_entropy(logits [b,c], labels int32/int64 [b])
//   softmax_cross_entropy(logits [b,c], labels float32 [b,c] probabilities)
// -> loss [b] = -sum_j labels_j * log softmax(logits)_j,
//    backprop [b,c] = softmax(logits) - labels  (d loss_i / d logits_i).
// Computed with the log-sum-exp shift, so large logits do not overflow.
// A sparse label outside [0, c) is InvalidArgument at Eval.

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

absl::Status Prepare(NodeContext& ctx) {
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(0));
  const Tensor& logits = ctx.input(0);
  const Tensor& labels = ctx.input(1);
  if (logits.rank() != 2) {
    return ctx.InvalidArgument(absl::StrCat(
        "logits must be [batch, classes], got ", ShapeToString(logits.shape)));
  }
  if (ctx.op() == OpCode::kSparseSoftmaxCrossEntropy) {
    if (labels.dtype != DType::kInt32 && labels.dtype != DType::kInt64) {
      return ctx.InvalidArgument(absl::StrCat(
          "sparse labels must be int32 or int64, got ",
          DTypeName(labels.dtype)));
    }
    if (labels.rank() != 1 || labels.dim(0) != logits.dim(0)) {
      return ctx.InvalidArgument(absl::StrCat(
          "labels ", ShapeToString(labels.shape), " do not match logits ",
          ShapeToString(logits.shape)));
    }
  } else {
    ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(1));
    if (labels.shape != logits.shape) {
      return ctx.InvalidArgument(absl::StrCat(
          "labels ", ShapeToString(labels.shape), " do not match logits ",
          ShapeToString(logits.shape)));
    }
  }
  ATTUNE_RETURN_IF_ERROR(ctx.SetOutput(0, DType::kFloat32, {logits.dim(0)}));
  return ctx.SetOutput(1, DType::kFloat32, logits.shape);
}

int64_t SparseLabel(const Tensor& labels, int64_t row) {
  return labels.dtype == DType::kInt32 ? labels.data_as<int32_t>()[row]
                                       : labels.data_as<int64_t>()[row];
}

absl::Status Eval(NodeContext& ctx) {
  const Tensor& logits = ctx.input(0);
  const Tensor& labels = ctx.input(1);
  const int64_t batch = logits.dim(0);
  const int64_t classes = logits.dim(1);
  const bool sparse = ctx.op() == OpCode::kSparseSoftmaxCrossEntropy;
  float* loss = ctx.output(0).data_as<float>();
  float* backprop = ctx.output(1).data_as<float>();
  for (int64_t i = 0; i < batch; ++i) {
    const float* z = logits.data_as<float>() + i * classes;
    float* g = backprop + i * classes;
    const float max = classes > 0 ? *std::max_element(z, z + classes) : 0.0f;
    double sum = 0.0;
    for (int64_t j = 0; j < classes; ++j) {
      g[j] = std::exp(z[j] - max);
      sum += g[j];
    }
    const double log_sum = std::log(sum);  // log sum exp(z - max)
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t j = 0; j < classes; ++j) g[j] *= inv;
    if (sparse) {
      const int64_t label = SparseLabel(labels, i);
      if (label < 0 || label >= classes) {
        return ctx.InvalidArgument(absl::StrCat(
            "label ", label, " of example ", i, " is outside [0, ", classes,
            ")"));
      }
      loss[i] = static_cast<float>(log_sum - (z[label] - max));
      g[label] -= 1.0f;
    } else {
      const float* p = labels.data_as<float>() + i * classes;
      double total = 0.0;
      for (int64_t j = 0; j < classes; ++j) {
        total -= p[j] * ((z[j] - max) - log_sum);
        g[j] -= p[j];
      }
      loss[i] = static_cast<float>(total);
    }
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterSoftmaxCrossEntropy() { return {Prepare, Eval}; }

}  // namespace attune
