// dequantize: float32 values of a quantized or half-precision tensor.
// Inputs: x, one of
//  - int8 / uint8 with tensor quantization: y = scale * (q - zero_point),
//    per tensor (one scale) or per channel along quantization axis (one
//    scale per slice). Missing zero points are 0. Missing quantization is
//    InvalidArgument.
//  - float16 (IEEE 754 binary16, stored as uint16): exact widening,
//    including subnormals, infinities and NaN (payload kept).
// No attributes. Output: float32, x's shape.

#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData {
  DType dtype;
  // Quantization parameters, owned by the model's graph (which outlives the
  // plan). zero_point is nullptr when the model gives none.
  const float* scale;
  const int64_t* zero_point;
  int64_t outer;     // elements before the channel axis (1 per tensor)
  int64_t channels;  // number of scales
  int64_t inner;     // elements after the channel axis (all per tensor)
};


absl::Status Prepare(NodeContext& ctx) {
  if (!ctx.has_input(0)) return ctx.InvalidArgument("input 0 is missing");
  const Tensor& x = ctx.input(0);
  OpData& data = ctx.op_data<OpData>();
  data.dtype = x.dtype;
  data.scale = nullptr;
  data.zero_point = nullptr;
  data.outer = 1;
  data.channels = 1;
  data.inner = x.num_elements();
  if (x.dtype == DType::kFloat16) {
    return ctx.SetOutput(0, DType::kFloat32, x.shape);
  }
  if (x.dtype != DType::kInt8 && x.dtype != DType::kUint8) {
    return ctx.InvalidArgument(
        absl::StrCat("x has dtype ", DTypeName(x.dtype),
                     "; expected int8, uint8 (quantized) or float16"));
  }
  const Quantization* q = x.quantization;
  if (q == nullptr || q->scale.empty()) {
    return ctx.InvalidArgument(absl::StrCat(
        DTypeName(x.dtype), " input \"", x.name != nullptr ? *x.name : "",
        "\" has no quantization parameters"));
  }
  if (!q->zero_point.empty() && q->zero_point.size() != q->scale.size()) {
    return ctx.InvalidArgument(
        absl::StrCat("quantization has ", q->scale.size(), " scales but ",
                     q->zero_point.size(), " zero points"));
  }
  data.scale = q->scale.data();
  data.zero_point = q->zero_point.empty() ? nullptr : q->zero_point.data();
  const int64_t channels = static_cast<int64_t>(q->scale.size());
  if (channels > 1) {
    if (q->axis < 0 || q->axis >= x.rank() || x.dim(q->axis) != channels) {
      return ctx.InvalidArgument(absl::StrCat(
          "per-channel quantization with ", channels, " scales along axis ",
          q->axis, " does not match x ", ShapeToString(x.shape)));
    }
    data.channels = channels;
    data.inner = 1;
    for (int d = 0; d < q->axis; ++d) data.outer *= x.dim(d);
    for (int d = q->axis + 1; d < x.rank(); ++d) data.inner *= x.dim(d);
  }
  return ctx.SetOutput(0, DType::kFloat32, x.shape);
}

template <typename Q>
void DequantizeAffine(const OpData& d, const Q* x, float* y) {
  for (int64_t o = 0; o < d.outer; ++o) {
    for (int64_t c = 0; c < d.channels; ++c) {
      const float scale = d.scale[c];
      const int64_t zero = d.zero_point != nullptr ? d.zero_point[c] : 0;
      for (int64_t i = 0; i < d.inner; ++i) {
        y[i] = scale * static_cast<float>(static_cast<int64_t>(x[i]) - zero);
      }
      x += d.inner;
      y += d.inner;
    }
  }
}

absl::Status Eval(NodeContext& ctx) {
  const OpData& d = ctx.op_data<OpData>();
  const Tensor& x = ctx.input(0);
  float* y = ctx.output(0).data_as<float>();
  switch (d.dtype) {
    case DType::kInt8:
      DequantizeAffine(d, x.data_as<int8_t>(), y);
      break;
    case DType::kUint8:
      DequantizeAffine(d, x.data_as<uint8_t>(), y);
      break;
    default: {
      const uint16_t* h = x.data_as<uint16_t>();
      const int64_t n = x.num_elements();
      for (int64_t i = 0; i < n; ++i) y[i] = HalfToFloat(h[i]);
      break;
    }
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterDequantize() { return {Prepare, Eval}; }

}  // namespace attune
