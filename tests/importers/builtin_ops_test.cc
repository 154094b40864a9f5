// Every TFLite builtin the importer maps, on a one-op model, against values
// computed here independently (hand-derived or with plain loops).

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "importers/tflite/reader.h"
#include "tests/importers/op_test_util.h"

namespace attune {
namespace tflite {
namespace {

using B = tfl::BuiltinOperator;
using O = tfl::BuiltinOptions;
using Act = tfl::ActivationFunctionType;
using TT = tfl::TensorType;

void ExpectResult(const absl::StatusOr<std::vector<OpResult>>& result,
                  std::vector<int64_t> shape, std::vector<double> values,
                  double tol = 1e-5, int output = 0) {
  ASSERT_TRUE(result.ok()) << result.status();
  const OpResult& r = (*result)[output];
  EXPECT_EQ(r.shape, shape);
  ASSERT_EQ(r.values.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_NEAR(r.values[i], values[i], tol) << "element " << i;
  }
}

// ---- convolution, dense, pooling -----------------------------------------

// Naive NHWC conv with a TFLite OHWI filter, VALID or SAME (TensorFlow:
// extra padding at the bottom/right).
std::vector<double> NaiveConv(const std::vector<double>& x, int h, int w, int c,
                              const std::vector<double>& f, int o, int kh,
                              int kw, int stride, bool same,
                              const std::vector<double>& bias, int* oh_out,
                              int* ow_out) {
  int oh, ow, top = 0, left = 0;
  if (same) {
    oh = (h + stride - 1) / stride;
    ow = (w + stride - 1) / stride;
    top = std::max((oh - 1) * stride + kh - h, 0) / 2;
    left = std::max((ow - 1) * stride + kw - w, 0) / 2;
  } else {
    oh = (h - kh) / stride + 1;
    ow = (w - kw) / stride + 1;
  }
  std::vector<double> y;
  for (int i = 0; i < oh; ++i)
    for (int j = 0; j < ow; ++j)
      for (int k = 0; k < o; ++k) {
        double s = bias[k];
        for (int a = 0; a < kh; ++a)
          for (int b = 0; b < kw; ++b)
            for (int ch = 0; ch < c; ++ch) {
              const int yi = i * stride + a - top, xj = j * stride + b - left;
              if (yi < 0 || yi >= h || xj < 0 || xj >= w) continue;
              s += x[(yi * w + xj) * c + ch] *
                   f[((k * kh + a) * kw + b) * c + ch];
            }
        y.push_back(s);
      }
  *oh_out = oh;
  *ow_out = ow;
  return y;
}

std::vector<double> Iota(int n, double start, double step) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(start + step * i);
  return v;
}

TEST(TfliteBuiltin, Conv2dValidWithRelu) {
  const std::vector<double> x = Iota(9 * 2, -1.0, 0.13);
  const std::vector<double> f = Iota(3 * 2 * 2 * 2, 0.5, -0.07);
  const std::vector<double> bias = {0.1, -0.2, 0.3};
  int oh, ow;
  std::vector<double> y =
      NaiveConv(x, 3, 3, 2, f, 3, 2, 2, 1, false, bias, &oh, &ow);
  for (double& v : y) v = std::max(v, 0.0);
  ExpectResult(RunOp(B::CONV_2D,
                     {F({1, 3, 3, 2}, x), Const(F({3, 2, 2, 2}, f)),
                      Const(F({3}, bias))},
                     {FOut({1, 2, 2, 3})}, O::Conv2DOptions,
                     [](auto& fbb) {
                       return tfl::CreateConv2DOptions(fbb, tfl::Padding::VALID,
                                                       1, 1, Act::RELU)
                           .Union();
                     }),
               {1, oh, ow, 3}, y);
}

// SAME, stride 2 on an even size: the extra padding row/column goes at the
// bottom/right. Int8 per-channel filter (hybrid model) dequantized at import.
TEST(TfliteBuiltin, Conv2dSameStride2Int8PerChannel) {
  const std::vector<double> x = Iota(16, 0.3, 0.21);
  // Filter [2 out, 3, 3, 1] int8 with scales 0.5 and 0.25 along dim 0.
  std::vector<double> fq = Iota(18, -9, 1);
  TfliteWriter::Quant quant{{0.5f, 0.25f}, {0, 0}, 0};
  std::vector<double> f;
  for (int i = 0; i < 18; ++i) f.push_back(fq[i] * (i < 9 ? 0.5 : 0.25));
  int oh, ow;
  const std::vector<double> y =
      NaiveConv(x, 4, 4, 1, f, 2, 3, 3, 2, true, {0, 0}, &oh, &ow);
  TensorSpec filter{TT::INT8, {2, 3, 3, 1}, fq, true, &quant};
  ExpectResult(
      RunOp(B::CONV_2D, {F({1, 4, 4, 1}, x), filter, {TT::FLOAT32, {-1}, {}}},
            {FOut({1, 2, 2, 2})}, O::Conv2DOptions,
            [](auto& fbb) {
              return tfl::CreateConv2DOptions(fbb, tfl::Padding::SAME, 2, 2)
                  .Union();
            }),
      {1, oh, ow, 2}, y, 1e-4);
}

TEST(TfliteBuiltin, DepthwiseConv2dMultiplier2) {
  // x [1,3,3,2], filter [1,2,2,4] (c=2, m=2), VALID stride 1.
  const std::vector<double> x = Iota(18, -0.5, 0.1);
  const std::vector<double> f = Iota(16, 0.2, -0.05);
  const std::vector<double> bias = {1, 2, 3, 4};
  std::vector<double> y;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      for (int ch = 0; ch < 2; ++ch)
        for (int m = 0; m < 2; ++m) {
          double s = bias[ch * 2 + m];
          for (int a = 0; a < 2; ++a)
            for (int b = 0; b < 2; ++b)
              s += x[((i + a) * 3 + (j + b)) * 2 + ch] *
                   f[(a * 2 + b) * 4 + ch * 2 + m];
          y.push_back(s);
        }
  ExpectResult(RunOp(B::DEPTHWISE_CONV_2D,
                     {F({1, 3, 3, 2}, x), Const(F({1, 2, 2, 4}, f)),
                      Const(F({4}, bias))},
                     {FOut({1, 2, 2, 4})}, O::DepthwiseConv2DOptions,
                     [](auto& fbb) {
                       return tfl::CreateDepthwiseConv2DOptions(
                                  fbb, tfl::Padding::VALID, 1, 1, 2)
                           .Union();
                     }),
               {1, 2, 2, 4}, y);
}

TEST(TfliteBuiltin, FullyConnectedFlattensAndTransposes) {
  // x [1,2,3] -> [2,3]; weights [out 2, in 3].
  const std::vector<double> x = {1, 2, 3, -1, 0, 2};
  const std::vector<double> w = {0.5, -1, 2, 1, 1, 1};
  ExpectResult(
      RunOp(B::FULLY_CONNECTED,
            {F({1, 2, 3}, x), Const(F({2, 3}, w)), Const(F({2}, {-2, -5}))},
            {FOut({2, 2})}, O::FullyConnectedOptions,
            [](auto& fbb) {
              return tfl::CreateFullyConnectedOptions(fbb, Act::RELU6).Union();
            }),
      {2, 2}, {2.5, 1, 1.5, 0});
  // Uint8 weights (zero point 128, scale 0.5), no bias, keep_num_dims.
  TfliteWriter::Quant quant{{0.5f}, {128}, 0};
  TensorSpec wq{TT::UINT8, {1, 3}, {130, 126, 128}, true, &quant};
  ExpectResult(
      RunOp(B::FULLY_CONNECTED, {F({1, 2, 3}, x), wq, {TT::FLOAT32, {-1}, {}}},
            {FOut({1, 2, 1})}, O::FullyConnectedOptions,
            [](auto& fbb) {
              return tfl::CreateFullyConnectedOptions(fbb, Act::NONE, 0, true)
                  .Union();
            }),
      {1, 2, 1}, {1 * 1 - 2 * 1, -1 * 1});
}

TEST(TfliteBuiltin, BatchMatMulAdjY) {
  // a [1,2,2] . b^T with b [1,2,2].
  ExpectResult(
      RunOp(B::BATCH_MATMUL,
            {F({1, 2, 2}, {1, 2, 3, 4}), F({1, 2, 2}, {1, 0, 1, 1})},
            {FOut({1, 2, 2})}, O::BatchMatMulOptions,
            [](auto& fbb) {
              return tfl::CreateBatchMatMulOptions(fbb, false, true).Union();
            }),
      {1, 2, 2}, {1, 3, 3, 7});
}

TEST(TfliteBuiltin, Pooling) {
  const std::vector<double> x = {1, 5, 2, 0, -3, 4, 7, 1,
                                 2, 2, 0, 9, 1,  1, 1, 8};
  auto pool = [](auto& fbb) {
    return tfl::CreatePool2DOptions(fbb, tfl::Padding::VALID, 2, 2, 2, 2)
        .Union();
  };
  ExpectResult(RunOp(B::MAX_POOL_2D, {F({1, 4, 4, 1}, x)}, {FOut({1, 2, 2, 1})},
                     O::Pool2DOptions, pool),
               {1, 2, 2, 1}, {5, 7, 2, 9});
  ExpectResult(RunOp(B::AVERAGE_POOL_2D, {F({1, 4, 4, 1}, x)},
                     {FOut({1, 2, 2, 1})}, O::Pool2DOptions, pool),
               {1, 2, 2, 1}, {7.0 / 4, 10.0 / 4, 6.0 / 4, 18.0 / 4});
  // SAME 3x3 stride 2 with a fused RELU_N1_TO_1 (separate clamp ops).
  ExpectResult(RunOp(B::AVERAGE_POOL_2D, {F({1, 2, 2, 1}, {-4, -2, 0, 1})},
                     {FOut({1, 1, 1, 1})}, O::Pool2DOptions,
                     [](auto& fbb) {
                       return tfl::CreatePool2DOptions(fbb, tfl::Padding::SAME,
                                                       2, 2, 3, 3,
                                                       Act::RELU_N1_TO_1)
                           .Union();
                     }),
               {1, 1, 1, 1}, {-1});
}

// ---- elementwise --------------------------------------------------------

flatbuffers::Offset<void> ActOptions(flatbuffers::FlatBufferBuilder& fbb,
                                     Act act) {
  return tfl::CreateActivationOptions(fbb, act).Union();
}

TEST(TfliteBuiltin, ArithmeticWithFusedActivations) {
  const TensorSpec a = F({2, 2}, {1, -2, 3, 8});
  const TensorSpec b = F({2}, {2, 4});  // broadcast
  ExpectResult(RunOp(B::ADD, {a, b}, {FOut({2, 2})}, O::AddOptions,
                     [](auto& fbb) { return ActOptions(fbb, Act::RELU6); }),
               {2, 2}, {3, 2, 5, 6});
  ExpectResult(RunOp(B::SUB, {a, b}, {FOut({2, 2})}, O::SubOptions,
                     [](auto& fbb) { return ActOptions(fbb, Act::RELU); }),
               {2, 2}, {0, 0, 1, 4});
  ExpectResult(
      RunOp(B::MUL, {a, b}, {FOut({2, 2})}, O::MulOptions,
            [](auto& fbb) { return ActOptions(fbb, Act::TANH); }),
      {2, 2},
      {std::tanh(2.0), std::tanh(-8.0), std::tanh(6.0), std::tanh(32.0)});
  ExpectResult(
      RunOp(B::DIV, {a, b}, {FOut({2, 2})}, O::DivOptions,
            [](auto& fbb) { return ActOptions(fbb, Act::RELU_N1_TO_1); }),
      {2, 2}, {0.5, -0.5, 1, 1});
  ExpectResult(RunOp(B::ADD, {I32({2}, {7, -3}), Const(I32({}, {5}))},
                     {Out(TT::INT32, {2})}),
               {2}, {12, 2});
}

TEST(TfliteBuiltin, BinaryOps) {
  const TensorSpec a = F({4}, {1, -2, 3, 0.5});
  const TensorSpec b = F({4}, {2, 2, -1, 0.5});
  ExpectResult(RunOp(B::MAXIMUM, {a, b}, {FOut({4})}), {4}, {2, 2, 3, 0.5});
  ExpectResult(RunOp(B::MINIMUM, {a, b}, {FOut({4})}), {4}, {1, -2, -1, 0.5});
  ExpectResult(
      RunOp(B::POW, {F({3}, {2, 3, 4}), F({3}, {3, 2, 0.5})}, {FOut({3})}), {3},
      {8, 9, 2});
  ExpectResult(RunOp(B::SQUARED_DIFFERENCE, {a, b}, {FOut({4})}), {4},
               {1, 16, 16, 0});
  ExpectResult(
      RunOp(B::FLOOR_DIV, {I32({4}, {7, -7, 7, -7}), I32({4}, {2, 2, -2, -2})},
            {Out(TT::INT32, {4})}),
      {4}, {3, -4, -4, 3});
  ExpectResult(
      RunOp(B::FLOOR_DIV, {F({2}, {-7, 7.5}), F({2}, {2, 2})}, {FOut({2})}),
      {2}, {-4, 3});
  ExpectResult(RunOp(B::ADD_N, {a, b, F({4}, {1, 1, 1, 1})}, {FOut({4})}), {4},
               {4, 1, 3, 2});
}

TEST(TfliteBuiltin, ComparisonsAndLogic) {
  const TensorSpec a = F({3}, {1, 2, 3});
  const TensorSpec b = F({3}, {2, 2, 2});
  const TensorSpec out = Out(TT::BOOL, {3});
  ExpectResult(RunOp(B::LESS, {a, b}, {out}), {3}, {1, 0, 0});
  ExpectResult(RunOp(B::LESS_EQUAL, {a, b}, {out}), {3}, {1, 1, 0});
  ExpectResult(RunOp(B::GREATER, {a, b}, {out}), {3}, {0, 0, 1});
  ExpectResult(RunOp(B::GREATER_EQUAL, {a, b}, {out}), {3}, {0, 1, 1});
  ExpectResult(RunOp(B::EQUAL, {a, b}, {out}), {3}, {0, 1, 0});
  ExpectResult(RunOp(B::NOT_EQUAL, {a, b}, {out}), {3}, {1, 0, 1});
  const TensorSpec p{TT::BOOL, {3}, {1, 0, 1}};
  const TensorSpec q{TT::BOOL, {3}, {1, 1, 0}};
  ExpectResult(RunOp(B::LOGICAL_AND, {p, q}, {out}), {3}, {1, 0, 0});
  ExpectResult(RunOp(B::LOGICAL_OR, {p, q}, {out}), {3}, {1, 1, 1});
  ExpectResult(RunOp(B::LOGICAL_NOT, {p}, {out}), {3}, {0, 1, 0});
  ExpectResult(RunOp(B::SELECT_V2, {p, a, F({}, {-1})}, {FOut({3})}), {3},
               {1, -1, 3});
  ExpectResult(RunOp(B::SELECT, {p, a, b}, {FOut({3})}), {3}, {1, 2, 3});
}

TEST(TfliteBuiltin, UnaryOps) {
  const std::vector<double> x = {-2.5, -0.5, 0.25, 1.5, 7};
  const TensorSpec in = F({5}, x);
  struct Case {
    B code;
    std::function<double(double)> f;
  };
  const std::vector<Case> cases = {
      {B::RELU, [](double v) { return std::max(v, 0.0); }},
      {B::RELU6, [](double v) { return std::min(std::max(v, 0.0), 6.0); }},
      {B::LOGISTIC, [](double v) { return 1 / (1 + std::exp(-v)); }},
      {B::TANH, [](double v) { return std::tanh(v); }},
      {B::HARD_SWISH,
       [](double v) { return v * std::min(std::max(v + 3, 0.0), 6.0) / 6; }},
      {B::ELU, [](double v) { return v > 0 ? v : std::exp(v) - 1; }},
      {B::EXP, [](double v) { return std::exp(v); }},
      {B::SQUARE, [](double v) { return v * v; }},
      {B::NEG, [](double v) { return -v; }},
      {B::ABS, [](double v) { return std::abs(v); }},
      {B::GELU,
       [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }},
  };
  for (const Case& c : cases) {
    std::vector<double> y;
    for (double v : x) y.push_back(c.f(v));
    SCOPED_TRACE(BuiltinName(c.code));
    ExpectResult(RunOp(c.code, {in}, {FOut({5})}), {5}, y, 1e-4);
  }
  const TensorSpec pos = F({3}, {0.25, 1, 9});
  ExpectResult(RunOp(B::LOG, {pos}, {FOut({3})}), {3},
               {std::log(0.25), 0, std::log(9.0)});
  ExpectResult(RunOp(B::SQRT, {pos}, {FOut({3})}), {3}, {0.5, 1, 3});
  ExpectResult(RunOp(B::RSQRT, {pos}, {FOut({3})}), {3}, {2, 1, 1.0 / 3}, 1e-4);
  ExpectResult(RunOp(B::LEAKY_RELU, {in}, {FOut({5})}, O::LeakyReluOptions,
                     [](auto& fbb) {
                       return tfl::CreateLeakyReluOptions(fbb, 0.1f).Union();
                     }),
               {5}, {-0.25, -0.05, 0.25, 1.5, 7});
}

TEST(TfliteBuiltin, SoftmaxAndLogSoftmax) {
  const TensorSpec x = F({1, 3}, {1, 2, 3});
  const double beta = 0.5;
  double z = 0;
  for (double v : {1.0, 2.0, 3.0}) z += std::exp(beta * v);
  ExpectResult(RunOp(B::SOFTMAX, {x}, {FOut({1, 3})}, O::SoftmaxOptions,
                     [&](auto& fbb) {
                       return tfl::CreateSoftmaxOptions(fbb, beta).Union();
                     }),
               {1, 3},
               {std::exp(0.5) / z, std::exp(1.0) / z, std::exp(1.5) / z});
  double z1 = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  ExpectResult(RunOp(B::LOG_SOFTMAX, {x}, {FOut({1, 3})}), {1, 3},
               {1 - std::log(z1), 2 - std::log(z1), 3 - std::log(z1)});
}

TEST(TfliteBuiltin, Reductions) {
  const TensorSpec x = F({2, 3}, {1, 2, 3, 4, 5, 6});
  const TensorSpec axis = Const(I32({1}, {1}));
  auto keep = [](bool k) {
    return [k](auto& fbb) { return tfl::CreateReducerOptions(fbb, k).Union(); };
  };
  ExpectResult(
      RunOp(B::MEAN, {x, axis}, {FOut({2})}, O::ReducerOptions, keep(false)),
      {2}, {2, 5});
  ExpectResult(
      RunOp(B::SUM, {x, axis}, {FOut({2, 1})}, O::ReducerOptions, keep(true)),
      {2, 1}, {6, 15});
  ExpectResult(RunOp(B::REDUCE_MAX, {x, Const(I32({1}, {0}))}, {FOut({3})},
                     O::ReducerOptions, keep(false)),
               {3}, {4, 5, 6});
  ExpectResult(RunOp(B::REDUCE_MIN, {x, axis}, {FOut({2})}, O::ReducerOptions,
                     keep(false)),
               {2}, {1, 4});
  ExpectResult(RunOp(B::REDUCE_PROD, {x, axis}, {FOut({2})}, O::ReducerOptions,
                     keep(false)),
               {2}, {6, 120});
  ExpectResult(
      RunOp(B::ARG_MAX, {F({2, 3}, {1, 9, 3, 7, 5, 6}), Const(I32({}, {1}))},
            {Out(TT::INT32, {2})}, O::ArgMaxOptions,
            [](auto& fbb) {
              return tfl::CreateArgMaxOptions(fbb, TT::INT32).Union();
            }),
      {2}, {1, 0});
}

// ---- shapes and data movement ---------------------------------------------

TEST(TfliteBuiltin, ReshapeTransposeSqueezeExpand) {
  const TensorSpec x = F({2, 3}, {1, 2, 3, 4, 5, 6});
  ExpectResult(RunOp(B::RESHAPE, {x, Const(I32({2}, {3, -1}))}, {FOut({3, 2})}),
               {3, 2}, {1, 2, 3, 4, 5, 6});
  ExpectResult(RunOp(B::RESHAPE, {x}, {FOut({6})}, O::ReshapeOptions,
                     [](auto& fbb) {
                       return tfl::CreateReshapeOptions(
                                  fbb,
                                  fbb.CreateVector(std::vector<int32_t>{6}))
                           .Union();
                     }),
               {6}, {1, 2, 3, 4, 5, 6});
  ExpectResult(
      RunOp(B::TRANSPOSE, {x, Const(I32({2}, {1, 0}))}, {FOut({3, 2})}), {3, 2},
      {1, 4, 2, 5, 3, 6});
  ExpectResult(
      RunOp(B::SQUEEZE, {F({1, 2, 1}, {7, 8})}, {FOut({2})}, O::SqueezeOptions,
            [](auto& fbb) {
              return tfl::CreateSqueezeOptions(
                         fbb, fbb.CreateVector(std::vector<int32_t>{0, 2}))
                  .Union();
            }),
      {2}, {7, 8});
  ExpectResult(
      RunOp(B::EXPAND_DIMS, {x, Const(I32({}, {1}))}, {FOut({2, 1, 3})}),
      {2, 1, 3}, {1, 2, 3, 4, 5, 6});
}

TEST(TfliteBuiltin, ConcatPackUnpack) {
  const TensorSpec a = F({1, 2}, {1, 2});
  const TensorSpec b = F({1, 2}, {-3, 4});
  ExpectResult(
      RunOp(B::CONCATENATION, {a, b}, {FOut({1, 4})}, O::ConcatenationOptions,
            [](auto& fbb) {
              return tfl::CreateConcatenationOptions(fbb, 1, Act::RELU).Union();
            }),
      {1, 4}, {1, 2, 0, 4});
  ExpectResult(RunOp(B::PACK, {a, b}, {FOut({1, 2, 2})}, O::PackOptions,
                     [](auto& fbb) {
                       return tfl::CreatePackOptions(fbb, 2, 1).Union();
                     }),
               {1, 2, 2}, {1, 2, -3, 4});
  auto result = RunOp(B::UNPACK, {F({2, 2}, {1, 2, 3, 4})},
                      {FOut({2}), FOut({2})}, O::UnpackOptions, [](auto& fbb) {
                        return tfl::CreateUnpackOptions(fbb, 2, 1).Union();
                      });
  ExpectResult(result, {2}, {1, 3}, 1e-6, 0);
  ExpectResult(result, {2}, {2, 4}, 1e-6, 1);
}

TEST(TfliteBuiltin, SlicesAndGather) {
  const TensorSpec x = F({3, 3}, Iota(9, 0, 1));
  ExpectResult(
      RunOp(B::SLICE, {x, Const(I32({2}, {1, 0})), Const(I32({2}, {2, -1}))},
            {FOut({2, 3})}),
      {2, 3}, {3, 4, 5, 6, 7, 8});
  // x[::2, 1] (shrink axis 1).
  ExpectResult(
      RunOp(B::STRIDED_SLICE,
            {x, Const(I32({2}, {0, 1})), Const(I32({2}, {3, 2})),
             Const(I32({2}, {2, 1}))},
            {FOut({2})}, O::StridedSliceOptions,
            [](auto& fbb) {
              return tfl::CreateStridedSliceOptions(fbb, 0, 0, 0, 0, 2).Union();
            }),
      {2}, {1, 7});
  ExpectResult(
      RunOp(B::GATHER, {x, Const(I32({2}, {2, 0}))}, {FOut({2, 3})},
            O::GatherOptions,
            [](auto& fbb) { return tfl::CreateGatherOptions(fbb, 0).Union(); }),
      {2, 3}, {6, 7, 8, 0, 1, 2});
}

TEST(TfliteBuiltin, ShapeArithmetic) {
  const TensorSpec x = F({2, 3}, Iota(6, 1, 1));
  ExpectResult(RunOp(B::SHAPE, {x}, {Out(TT::INT32, {2})}, O::ShapeOptions,
                     [](auto& fbb) {
                       return tfl::CreateShapeOptions(fbb, TT::INT32).Union();
                     }),
               {2}, {2, 3});
  ExpectResult(
      RunOp(B::FILL, {Const(I32({2}, {2, 2})), F({}, {1.5})}, {FOut({2, 2})}),
      {2, 2}, {1.5, 1.5, 1.5, 1.5});
  ExpectResult(RunOp(B::TILE, {F({1, 2}, {1, 2}), Const(I32({2}, {2, 2}))},
                     {FOut({2, 4})}),
               {2, 4}, {1, 2, 1, 2, 1, 2, 1, 2});
  ExpectResult(RunOp(B::BROADCAST_TO, {F({2}, {1, 2}), Const(I32({2}, {2, 2}))},
                     {FOut({2, 2})}),
               {2, 2}, {1, 2, 1, 2});
  ExpectResult(RunOp(B::ZEROS_LIKE, {x}, {FOut({2, 3})}), {2, 3},
               {0, 0, 0, 0, 0, 0});
  ExpectResult(
      RunOp(
          B::CAST, {F({3}, {1.7, -2.2, 0})}, {Out(TT::INT32, {3})},
          O::CastOptions,
          [](auto& fbb) {
            return tfl::CreateCastOptions(fbb, TT::FLOAT32, TT::INT32).Union();
          }),
      {3}, {1, -2, 0});
  ExpectResult(RunOp(B::ONE_HOT,
                     {I32({2}, {2, 0}), Const(I32({}, {3})), Const(F({}, {5})),
                      Const(F({}, {-1}))},
                     {FOut({2, 3})}, O::OneHotOptions,
                     [](auto& fbb) {
                       return tfl::CreateOneHotOptions(fbb, -1).Union();
                     }),
               {2, 3}, {-1, -1, 5, 5, -1, -1});
}

TEST(TfliteBuiltin, PadAndPadV2) {
  const TensorSpec x = F({1, 2}, {1, 2});
  const TensorSpec pads = Const(I32({2, 2}, {1, 0, 0, 2}));
  ExpectResult(RunOp(B::PAD, {x, pads}, {FOut({2, 4})}), {2, 4},
               {0, 0, 0, 0, 1, 2, 0, 0});
  ExpectResult(RunOp(B::PADV2, {x, pads, Const(F({}, {9}))}, {FOut({2, 4})}),
               {2, 4}, {9, 9, 9, 9, 1, 2, 9, 9});
}

// float16 weights behind DEQUANTIZE (folded to float32 at import); QUANTIZE
// is an identity in the float computation.
TEST(TfliteBuiltin, DequantizeFloat16AndQuantize) {
  TfliteWriter w;
  // 1.0, -2.0, 0.5, 65504 in binary16.
  const std::vector<uint16_t> half = {0x3C00, 0xC000, 0x3800, 0x7BFF};
  const int h = w.Tensor("h", TT::FLOAT16, {4}, TfliteWriter::Bytes(half));
  const int f = w.Tensor("f", TT::FLOAT32, {4});
  const int x = w.Tensor("x", TT::FLOAT32, {4});
  const int y = w.Tensor("y", TT::FLOAT32, {4});
  TfliteWriter::Quant quant{{0.5f}, {3}, 0};
  const int q = w.Tensor("q", TT::INT8, {4}, {}, &quant);
  const int z = w.Tensor("z", TT::FLOAT32, {4});
  w.Op(B::DEQUANTIZE, {h}, {f});
  w.Op(B::MUL, {x, f}, {y}, O::MulOptions, ActOptions(w.fbb(), Act::NONE));
  w.Op(B::QUANTIZE, {y}, {q});
  w.Op(B::DEQUANTIZE, {q}, {z});
  const std::vector<uint8_t> file = w.Finish({x}, {z}, "run");
  ExpectResult(RunModel(file, {F({4}, {2, 2, 2, 1})}, {x}, 1), {4},
               {2, -4, 1, 65504});
}

// Quantized signature inputs/outputs keep their integer type: int8 in
// (scale 0.5, zero point -1), int8 out (scale 0.25, zero point 3),
// requantized with rounding and saturation.
TEST(TfliteBuiltin, QuantizedInt8Boundary) {
  TfliteWriter::Quant in_q{{0.5f}, {-1}, 0};
  TfliteWriter::Quant out_q{{0.25f}, {3}, 0};
  TensorSpec x{TT::INT8, {5}, {-5, -1, 3, 10, 127}, false, &in_q};
  TensorSpec y{TT::INT8, {5}, {}, false, &out_q};
  // real in: -2, 0, 2, 5.5, 64 -> relu -> q = floor(r / 0.25 + 3 + 0.5):
  // 3, 3, 11, 25, 259 -> saturated to 127.
  ExpectResult(RunOp(B::RELU, {x}, {y}), {5}, {3, 3, 11, 25, 127}, 0);
}

}  // namespace
}  // namespace tflite
}  // namespace attune
