// Every op the GPU delegate takes, against the reference kernels, on random
// shapes and attributes (small: pocl on a 2-core CI machine is slow). Each
// case builds a one-op (or few-op) model whose operands are constants or
// variables, runs `infer` with and without the delegate and compares within
// the tolerance gpu_delegate.h states: |gpu - ref| <= 1e-4 |ref| +
// 1e-5 sqrt(K) for reductions of K terms, 1e-5 |ref| + 1e-6 elementwise.
// The largest error seen per test, as a fraction of its tolerance, is
// recorded as the property "max_tolerance_used".
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "builder/model_builder.h"
#include "engine/interpreter.h"
#include "gtest/gtest.h"
#include "tests/delegates/gpu_test_util.h"
#include "tests/delegates/op_case.h"

namespace attune {
namespace {

using testing::Case;
using testing::OneOp;
using testing::Random;
using testing::Rng;

// Runs `infer` on `c` with `delegates`; returns y and the plan's number of
// delegated steps.
std::vector<float> RunInfer(const Case& c,
                            std::vector<std::shared_ptr<Delegate>> delegates,
                            int* delegated_steps) {
  InterpreterOptions options;
  options.delegates = std::move(delegates);
  auto interpreter = Interpreter::Create(c.model, options);
  EXPECT_TRUE(interpreter.ok()) << interpreter.status();
  if (!interpreter.ok()) return {};
  SignatureRunner* infer = *(*interpreter)->GetSignatureRunner("infer");
  EXPECT_TRUE(infer->ResizeInput("x", c.x_shape).ok());
  EXPECT_TRUE(infer->AllocateTensors().ok());
  EXPECT_TRUE(infer->SetInput<float>("x", c.x).ok());
  absl::Status status = infer->Invoke();
  EXPECT_TRUE(status.ok()) << status;
  *delegated_steps = 0;
  for (int s = 0; s < infer->plan().num_steps(); ++s) {
    if (!infer->plan().step_delegate(s).empty()) ++*delegated_steps;
  }
  for (const auto& f : infer->plan().delegation_report().fallbacks) {
    ADD_FAILURE() << f;
  }
  for (const auto& r : infer->plan().delegation_report().refused) {
    ADD_FAILURE() << c.what << ": refused node #" << r.node << ": " << r.reason;
  }
  auto y = *infer->typed_output<float>("y");
  return std::vector<float>(y.begin(), y.end());
}

// Largest |gpu - ref| / tolerance over a test, for the report.
class ToleranceUse : public ::testing::Test {
 protected:
  void TearDown() override {
    RecordProperty("max_tolerance_used", absl::StrFormat("%.3g", max_used_));
  }

  void ExpectParity(const Case& c) {
    ATTUNE_ASSERT_GPU(gpu);
    int ref_steps = 0, gpu_steps = 0;
    const std::vector<float> ref = RunInfer(c, {}, &ref_steps);
    const std::vector<float> got = RunInfer(c, {gpu}, &gpu_steps);
    EXPECT_EQ(ref_steps, 0);
    EXPECT_GE(gpu_steps, 1) << c.what;
    ASSERT_EQ(ref.size(), got.size()) << c.what;
    const double rel = c.terms > 0 ? 1e-4 : 1e-5;
    const double abs = c.terms > 0 ? 1e-5 * std::sqrt(c.terms) : 1e-6;
    for (size_t i = 0; i < ref.size(); ++i) {
      const double tol = rel * std::fabs(ref[i]) + abs;
      const double err = std::fabs(double{got[i]} - ref[i]);
      max_used_ = std::max(max_used_, err / tol);
      ASSERT_LE(err, tol) << c.what << " element " << i << ": gpu " << got[i]
                          << " ref " << ref[i];
    }
  }

  double max_used_ = 0;
};

const char* const kActivations[] = {"none", "relu", "relu6", "sigmoid", "tanh"};

using GpuOpsTest = ToleranceUse;

TEST_F(GpuOpsTest, FullyConnected) {
  Rng rng(1);
  for (int i = 0; i < 6; ++i) {
    // Sizes straddle the 64x64 tile and 16-deep K slices.
    const int64_t m = 1 + rng() % 70, k = 1 + rng() % 40, n = 1 + rng() % 70;
    const bool bias = i % 2 == 0;
    std::vector<Shape> ops = {{k, n}};
    if (bias) ops.push_back({n});
    Shape x_shape = {m, k};
    if (i == 5) x_shape = {2, 3, k};  // leading dims flatten into m
    Case c = OneOp(rng, OpCode::kFullyConnected, x_shape, ops,
                   Attributes().SetString("activation", kActivations[i % 5]),
                   i % 3 == 1, "fully_connected " + std::to_string(i));
    c.terms = static_cast<double>(k);
    ExpectParity(c);
  }
}

TEST_F(GpuOpsTest, Conv2dAndDepthwise) {
  Rng rng(2);
  for (int i = 0; i < 10; ++i) {
    const bool depthwise = i % 2 == 1;
    const int64_t b = 1 + rng() % 2, h = 3 + rng() % 8, w = 3 + rng() % 8;
    const int64_t c = 1 + rng() % 6, kh = 1 + rng() % 3, kw = 1 + rng() % 3;
    const int64_t o = depthwise ? 1 + rng() % 2 : 1 + rng() % 8;
    const int64_t sh = 1 + rng() % 2, sw = 1 + rng() % 2;
    const int64_t dil = (i % 4 == 0) ? 2 : 1;
    const bool same = rng() % 2 == 0;
    Attributes attrs;
    attrs.SetInts("strides", {sh, sw})
        .SetInts("dilations", {dil, dil})
        .SetString("padding", same ? "same" : "valid")
        .SetString("activation", kActivations[i % 5]);
    std::vector<Shape> ops = {{kh, kw, c, o}};
    if (i % 3 != 2) ops.push_back({depthwise ? c * o : o});
    Case cs = OneOp(
        rng, depthwise ? OpCode::kDepthwiseConv2d : OpCode::kConv2d,
        {b, h + 4, w + 4, c}, ops, std::move(attrs), i % 4 == 1,
        std::string(depthwise ? "depthwise " : "conv2d ") + std::to_string(i));
    cs.terms = static_cast<double>(kh * kw * (depthwise ? 1 : c));
    ExpectParity(cs);
  }
}

TEST_F(GpuOpsTest, PointwiseConvIsAPlainGemm) {
  Rng rng(12);
  Case c =
      OneOp(rng, OpCode::kConv2d, {2, 9, 7, 24}, {{1, 1, 24, 70}, {70}},
            Attributes().SetString("activation", "relu6"), false, "conv2d 1x1");
  c.terms = 24;
  ExpectParity(c);
}

// m >= 512 and n >= 256 take gemm_large (128x128 tiles), ragged edges
// included; conv2d too.
TEST_F(GpuOpsTest, LargeTilesForBigMatrices) {
  Rng rng(13);
  Case fc = OneOp(rng, OpCode::kFullyConnected, {520, 33}, {{33, 260}, {260}},
                  Attributes().SetString("activation", "relu"), false,
                  "fully_connected 520x33x260");
  fc.terms = 33;
  ExpectParity(fc);
  Case conv = OneOp(rng, OpCode::kConv2d, {1, 24, 23, 3}, {{3, 3, 3, 257}},
                    Attributes().SetString("padding", "same"), true,
                    "conv2d 3x3 to 257 channels");
  conv.terms = 27;
  ExpectParity(conv);
}

TEST_F(GpuOpsTest, Pooling) {
  Rng rng(3);
  for (int i = 0; i < 8; ++i) {
    const bool max = i % 2 == 0;
    const int64_t k0 = 1 + rng() % 3, k1 = 1 + rng() % 3;
    const int64_t s0 = 1 + rng() % 2, s1 = 1 + rng() % 2;
    Attributes attrs;
    attrs.SetInts("ksize", {k0, k1})
        .SetInts("strides", {s0, s1})
        .SetString("padding", rng() % 2 == 0 ? "same" : "valid");
    Case c = OneOp(
        rng, max ? OpCode::kMaxPool2d : OpCode::kAvgPool2d,
        {2, 5 + static_cast<int64_t>(rng() % 6),
         5 + static_cast<int64_t>(rng() % 6), 3},
        {}, std::move(attrs), false,
        std::string(max ? "max_pool2d " : "avg_pool2d ") + std::to_string(i));
    c.terms = static_cast<double>(k0 * k1);
    ExpectParity(c);
  }
}

TEST_F(GpuOpsTest, GlobalAveragePooling) {
  Rng rng(4);
  for (int keepdims = 0; keepdims < 2; ++keepdims) {
    Case c =
        OneOp(rng, OpCode::kMean, {3, 7, 5, 6}, {},
              Attributes().SetInts("axes", {1, 2}).SetInt("keepdims", keepdims),
              false, "mean keepdims " + std::to_string(keepdims));
    c.terms = 35;
    ExpectParity(c);
  }
}

TEST_F(GpuOpsTest, BinaryWithBroadcasting) {
  Rng rng(5);
  const OpCode ops[] = {OpCode::kAdd,
                        OpCode::kSub,
                        OpCode::kMul,
                        OpCode::kDiv,
                        OpCode::kMaximum,
                        OpCode::kMinimum,
                        OpCode::kSquaredDifference};
  const std::vector<std::pair<Shape, Shape>> shapes = {{{2, 3, 4}, {2, 3, 4}},
                                                       {{2, 3, 4}, {4}},
                                                       {{4, 1, 5}, {1, 3, 1}},
                                                       {{2, 3}, {}}};
  int i = 0;
  for (OpCode op : ops) {
    for (const auto& [xs, ws] : shapes) {
      Attributes attrs;
      if (op == OpCode::kAdd || op == OpCode::kSub || op == OpCode::kMul ||
          op == OpCode::kDiv) {
        attrs.SetString("activation", kActivations[i % 5]);
      }
      // div: a divisor in [0.5, 2] keeps quotients bounded.
      const bool div = op == OpCode::kDiv;
      Case c = OneOp(rng, op, xs, {ws}, std::move(attrs), i % 2 == 1,
                     std::string(OpName(op)) + " " + std::to_string(i), -1, 1,
                     div ? 0.5f : -1.0f, div ? 2.0f : 1.0f);
      ExpectParity(c);
      ++i;
    }
  }
}

TEST_F(GpuOpsTest, Unary) {
  Rng rng(6);
  struct U {
    OpCode op;
    Attributes attrs;
    float lo, hi;
  };
  const std::vector<U> ops = {
      {OpCode::kRelu, {}, -2, 2},
      {OpCode::kRelu6, {}, -3, 9},
      {OpCode::kLeakyRelu, Attributes().SetFloat("alpha", 0.3), -2, 2},
      {OpCode::kLeakyRelu, {}, -2, 2},
      {OpCode::kElu, Attributes().SetFloat("alpha", 0.7), -3, 2},
      {OpCode::kSigmoid, {}, -8, 8},
      {OpCode::kTanh, {}, -4, 4},
      {OpCode::kHardSwish, {}, -5, 5},
      {OpCode::kAbs, {}, -2, 2},
      {OpCode::kNeg, {}, -2, 2},
      {OpCode::kSquare, {}, -2, 2},
      {OpCode::kSqrt, {}, 0.01f, 4},
      {OpCode::kExp, {}, -4, 4},
      {OpCode::kSoftmax, {}, -5, 5},
      {OpCode::kSoftmax, Attributes().SetFloat("beta", -0.5), -5, 5},
  };
  for (const U& u : ops) {
    Case c = OneOp(rng, u.op, {3, 17}, {}, u.attrs, false,
                   std::string(OpName(u.op)), u.lo, u.hi);
    ExpectParity(c);
  }
}

TEST_F(GpuOpsTest, ReshapeAliasesAndPad) {
  Rng rng(7);
  {
    // reshape -> relu -> expand_dims -> squeeze: aliases around a kernel.
    ModelBuilder b("reshape");
    const int x = b.Input("x", DType::kFloat32, {2, 3, 4, 5});
    const int r = b.Op1(OpCode::kReshape, {x, b.ConstantInts("s", {-1, 60})});
    const int a = b.Op1(OpCode::kRelu, {r});
    const int e =
        b.Op1(OpCode::kExpandDims, {a}, Attributes().SetInt("axis", 1));
    const int y =
        b.Op1(OpCode::kSqueeze, {e}, Attributes().SetInts("axes", {1}));
    b.AddSignature("infer", {{"x", x}}, {{"y", y}});
    Case c{*b.BuildModel(), {2, 3, 4, 5}, Random(rng, 120), 0, "reshape"};
    ExpectParity(c);
  }
  {
    ModelBuilder b("pad");
    const int x = b.Input("x", DType::kFloat32, {2, 3, 4, 5});
    const int y = b.Op1(
        OpCode::kPad,
        {x, b.Constant<int64_t>("p", {4, 2},
                                std::vector<int64_t>{0, 0, 1, 2, 2, 0, 0, 1})},
        Attributes().SetFloat("value", 0.5));
    b.AddSignature("infer", {{"x", x}}, {{"y", y}});
    Case c{*b.BuildModel(), {2, 3, 4, 5}, Random(rng, 120), 0, "pad"};
    ExpectParity(c);
  }
}

// A chain where intermediates stay on the device: fc -> add -> softmax.
TEST_F(GpuOpsTest, ChainInOnePartition) {
  Rng rng(9);
  ModelBuilder b("chain");
  const int x = b.Input("x", DType::kFloat32, {5, 12});
  const int h = b.Op1(OpCode::kFullyConnected,
                      {x, b.Constant<float>("w", {12, 7}, Random(rng, 84)),
                       b.Constant<float>("b", {7}, Random(rng, 7))},
                      Attributes().SetString("activation", "relu"));
  const int s =
      b.Op1(OpCode::kAdd, {h, b.Constant<float>("c", {7}, Random(rng, 7))});
  const int y = b.Op1(OpCode::kSoftmax, {s});
  b.AddSignature("infer", {{"x", x}}, {{"y", y}});
  Case c{*b.BuildModel(), {5, 12}, Random(rng, 60), 12, "chain"};
  ATTUNE_ASSERT_GPU(gpu);
  InterpreterOptions options;
  options.delegates = {gpu};
  auto interpreter = Interpreter::Create(c.model, options);
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  const ExecutionPlan& plan =
      (*(*interpreter)->GetSignatureRunner("infer"))->plan();
  ASSERT_EQ(plan.delegation_report().partitions.size(), 1u);
  EXPECT_EQ(plan.delegation_report().partitions[0].nodes.size(), 3u);
  ExpectParity(c);
}

TEST_F(GpuOpsTest, RefusalsNameTheReasonAndFallBack) {
  Rng rng(8);
  // gelu has no GPU kernel; softmax over a non-last axis is refused.
  ATTUNE_ASSERT_GPU(gpu);
  for (bool softmax : {true, false}) {
    Case c =
        softmax ? OneOp(rng, OpCode::kSoftmax, {2, 3}, {},
                        Attributes().SetInt("axis", 0), false, "softmax axis 0")
                : OneOp(rng, OpCode::kGelu, {2, 3}, {}, {}, false, "gelu");
    InterpreterOptions options;
    options.delegates = {gpu};
    auto interpreter = Interpreter::Create(c.model, options);
    ASSERT_TRUE(interpreter.ok());
    SignatureRunner* infer = *(*interpreter)->GetSignatureRunner("infer");
    const DelegationReport& report = infer->plan().delegation_report();
    ASSERT_EQ(report.refused.size(), 1u);
    EXPECT_EQ(report.refused[0].delegate, "gpu");
    EXPECT_NE(report.refused[0].reason.find(softmax ? "non-last" : "gelu"),
              std::string::npos)
        << report.refused[0].reason;
    EXPECT_TRUE(report.partitions.empty());
    int steps = 0;
    const std::vector<float> ref = RunInfer(c, {}, &steps);
    ASSERT_TRUE(infer->AllocateTensors().ok());
    ASSERT_TRUE(infer->SetInput<float>("x", c.x).ok());
    ASSERT_TRUE(infer->Invoke().ok());
    auto y = *infer->typed_output<float>("y");
    ASSERT_EQ(y.size(), ref.size());
    for (size_t i = 0; i < ref.size(); ++i) EXPECT_EQ(y[i], ref[i]);
  }
}

// Any delegate that is not the GPU delegate.
class OtherDelegate final : public Delegate {
 public:
  absl::string_view name() const override { return "other"; }
  absl::Status Supports(const PlanView&, int) const override {
    return absl::UnimplementedError("nothing");
  }
  absl::StatusOr<std::unique_ptr<DelegateKernel>> Build(
      const PlanView&, const Partition&) override {
    return absl::UnimplementedError("nothing");
  }
};

const Delegate& NotAGpuDelegate() {
  static const OtherDelegate* const other = new OtherDelegate();
  return *other;
}

TEST(GpuDelegateTest, DeviceKindParsingAndDescription) {
  EXPECT_EQ(*ParseGpuDeviceKind("gpu"), GpuDeviceKind::kGpu);
  EXPECT_EQ(*ParseGpuDeviceKind("cpu"), GpuDeviceKind::kCpu);
  EXPECT_EQ(*ParseGpuDeviceKind("any"), GpuDeviceKind::kAny);
  absl::StatusOr<GpuDeviceKind> bad = ParseGpuDeviceKind("tpu");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_NE(bad.status().message().find("tpu"), std::string::npos);
  ATTUNE_ASSERT_GPU(gpu);
  EXPECT_EQ(gpu->name(), "gpu");
  EXPECT_FALSE(GpuDeviceDescription(*gpu).empty());
  RecordProperty("device", GpuDeviceDescription(*gpu));
}

// GpuDelegateOptions::device overrides ATTUNE_OPENCL_DEVICE; a bad value of
// the variable is InvalidArgument naming it when no option is given.
TEST(GpuDelegateTest, OptionOverridesTheEnvironment) {
  const char* saved = std::getenv("ATTUNE_OPENCL_DEVICE");
  const std::string previous = saved != nullptr ? saved : "";
  setenv("ATTUNE_OPENCL_DEVICE", "tpu", 1);
  auto from_env = CreateGpuDelegate();
  GpuDelegateOptions options;
  options.device = GpuDeviceKind::kAny;
  auto from_option = CreateGpuDelegate(options);
  if (saved != nullptr) {
    setenv("ATTUNE_OPENCL_DEVICE", previous.c_str(), 1);
  } else {
    unsetenv("ATTUNE_OPENCL_DEVICE");
  }
  ASSERT_FALSE(from_env.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(from_env.status()));
  EXPECT_NE(from_env.status().message().find("ATTUNE_OPENCL_DEVICE"),
            std::string::npos);
  ASSERT_TRUE(from_option.ok()) << from_option.status();
  EXPECT_FALSE(GpuDeviceDescription(**from_option).empty());
  EXPECT_EQ(GpuDeviceDescription(NotAGpuDelegate()), "");
}

}  // namespace
}  // namespace attune
