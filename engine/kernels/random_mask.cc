// random_mask(shape, counter): a float32 dropout mask of shape `shape`.
// Each element is 0 with probability `rate`, else 1 / (1 - rate).
// Inputs: shape int32/int64 rank-1 (static; typically shape(x), which the
// plan folds), counter int64 scalar (the draw number, typically a variable
// advanced once per train step).
// Attributes: rate (float in [0, 1), default 0.5), seed (int, default 0).
//
// Counter-based RNG, no state: element i's uniform is
//   u = top 24 bits of Mix(key + (i + 1) * 0x9E3779B97F4A7C15) / 2^24,
//   key = Mix(Mix(seed ^ 0xA0761D6478BD642F) + counter * 0xD1B54A32D192ED03)
// where Mix is SplitMix64's finalizer; the element is kept when
// u >= rate (exactly: top bits >= ceil(rate * 2^24)). So a mask depends
// only on (seed, counter, flat index): identical at any thread count and
// on every platform, and reproducible from the counter alone.

#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

constexpr int64_t kTile = 4096;  // elements per parallel task
constexpr int64_t kMinParallelElements = 1 << 16;

uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

struct OpData {
  uint64_t seed;
  uint32_t threshold;  // keep when the 24-bit draw is >= threshold
  float scale;         // 1 / (1 - rate)
  int64_t count;
};

struct Task {
  const OpData* d;
  uint64_t key;
  float* out;
};

void FillTile(void* context, size_t tile) {
  const Task& t = *static_cast<const Task*>(context);
  const int64_t begin = static_cast<int64_t>(tile) * kTile;
  const int64_t end = begin + kTile < t.d->count ? begin + kTile : t.d->count;
  for (int64_t i = begin; i < end; ++i) {
    const uint64_t bits =
        Mix(t.key + static_cast<uint64_t>(i + 1) * 0x9E3779B97F4A7C15ull);
    t.out[i] =
        static_cast<uint32_t>(bits >> 40) >= t.d->threshold ? t.d->scale : 0.0f;
  }
}

absl::Status Prepare(NodeContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) {
    return ctx.InvalidArgument("needs inputs shape and counter");
  }
  const Tensor& shape_t = ctx.input(0);
  if ((shape_t.dtype != DType::kInt32 && shape_t.dtype != DType::kInt64) ||
      shape_t.shape.size() != 1) {
    return ctx.InvalidArgument(
        absl::StrCat("shape must be a rank-1 int32/int64 tensor, got ",
                     DTypeName(shape_t.dtype), ShapeToString(shape_t.shape)));
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> dims,
                          ctx.IntsFromInputOrAttr(0, "shape"));
  Shape shape(dims.begin(), dims.end());
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectInputDType(1, DType::kInt64));
  if (!ctx.input(1).shape.empty()) {
    return ctx.InvalidArgument(
        absl::StrCat("counter must be an int64 scalar, has shape ",
                     ShapeToString(ctx.input(1).shape)));
  }
  absl::StatusOr<double> rate = ctx.attrs().GetFloatOr("rate", 0.5);
  if (!rate.ok()) return ctx.Annotate(rate.status());
  if (!(*rate >= 0.0 && *rate < 1.0)) {
    return ctx.InvalidArgument(
        absl::StrCat("rate must be in [0, 1), got ", *rate));
  }
  absl::StatusOr<int64_t> seed = ctx.attrs().GetIntOr("seed", 0);
  if (!seed.ok()) return ctx.Annotate(seed.status());
  OpData& d = ctx.op_data<OpData>();
  d.seed = static_cast<uint64_t>(*seed);
  d.threshold = static_cast<uint32_t>(std::ceil(*rate * 16777216.0));
  d.scale = static_cast<float>(1.0 / (1.0 - *rate));
  ATTUNE_RETURN_IF_ERROR(ctx.SetOutput(0, DType::kFloat32, shape));
  d.count = NumElements(shape);
  return absl::OkStatus();
}

absl::Status Eval(NodeContext& ctx) {
  const OpData& d = ctx.op_data<OpData>();
  const uint64_t counter =
      static_cast<uint64_t>(*ctx.input(1).data_as<int64_t>());
  const uint64_t key = Mix(Mix(d.seed ^ 0xA0761D6478BD642Full) +
                           counter * 0xD1B54A32D192ED03ull);
  Task task{&d, key, ctx.output(0).data_as<float>()};
  const size_t tiles = static_cast<size_t>((d.count + kTile - 1) / kTile);
  if (ctx.num_threads() > 1 && d.count >= kMinParallelElements) {
    pthreadpool_parallelize_1d(ctx.thread_pool(), FillTile, &task, tiles, 0);
  } else {
    for (size_t t = 0; t < tiles; ++t) FillTile(&task, t);
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterRandomMask() { return {Prepare, Eval}; }

}  // namespace attune
