// Every op the XNNPACK delegate takes, against the reference kernels, on
// random shapes and attributes. Each case builds a one-op (or few-op) model
// whose weights are constants or variables, runs `infer` with and without
// the delegate and compares within the delegate's stated tolerance:
// |xnn - ref| <= 1e-4 * |ref| + 1e-5 * sqrt(K) (K terms per output).
#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "builder/model_builder.h"
#include "delegates/xnnpack/xnnpack_delegate.h"
#include "engine/interpreter.h"
#include "gtest/gtest.h"
#include "tests/delegates/op_case.h"

namespace attune {
namespace {

using testing::Case;
using testing::OneOp;
using testing::Random;
using testing::Rng;

// Runs `infer` on `c` with `delegates`; returns y and the plan's number of
// delegated steps.
std::vector<float> Run(const Case& c,
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
  auto y = *infer->typed_output<float>("y");
  return std::vector<float>(y.begin(), y.end());
}

void ExpectParity(const Case& c, bool expect_delegated = true) {
  auto xnn = CreateXnnpackDelegate();
  ASSERT_TRUE(xnn.ok()) << xnn.status();
  int ref_steps = 0, xnn_steps = 0;
  const std::vector<float> ref = Run(c, {}, &ref_steps);
  const std::vector<float> got = Run(c, {*xnn}, &xnn_steps);
  EXPECT_EQ(ref_steps, 0);
  if (expect_delegated) EXPECT_GE(xnn_steps, 1) << c.what;
  ASSERT_EQ(ref.size(), got.size()) << c.what;
  // An elementwise case (terms 0) gets the tolerance of one term.
  const double abs_tol = 1e-5 * std::sqrt(std::max(c.terms, 1.0));
  for (size_t i = 0; i < ref.size(); ++i) {
    ASSERT_NEAR(got[i], ref[i], 1e-4 * std::fabs(ref[i]) + abs_tol)
        << c.what << " element " << i;
  }
}

const char* const kActivations[] = {"none", "relu", "relu6"};

TEST(XnnpackOpsTest, FullyConnected) {
  Rng rng(1);
  for (int i = 0; i < 6; ++i) {
    const int64_t m = 1 + rng() % 9, k = 1 + rng() % 40, n = 1 + rng() % 20;
    const bool bias = i % 2 == 0;
    std::vector<Shape> ops = {{k, n}};
    if (bias) ops.push_back({n});
    const char* act = kActivations[i % 3];
    Case c = OneOp(rng, OpCode::kFullyConnected, {m, k}, ops,
                   Attributes().SetString("activation", act), i % 3 == 1,
                   "fully_connected " + std::to_string(i));
    c.terms = static_cast<double>(k);
    ExpectParity(c);
  }
}

TEST(XnnpackOpsTest, Conv2dAndDepthwise) {
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
        .SetString("activation", kActivations[i % 3]);
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

TEST(XnnpackOpsTest, Pooling) {
  Rng rng(3);
  for (int i = 0; i < 8; ++i) {
    const bool max = i % 2 == 0;
    const int64_t k0 = 2 + rng() % 2, k1 = 1 + rng() % 3;
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

TEST(XnnpackOpsTest, GlobalAveragePooling) {
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

TEST(XnnpackOpsTest, Binary) {
  Rng rng(5);
  const OpCode ops[] = {OpCode::kAdd,
                        OpCode::kSub,
                        OpCode::kMul,
                        OpCode::kDiv,
                        OpCode::kMaximum,
                        OpCode::kMinimum,
                        OpCode::kSquaredDifference};
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {4}}, {{4, 1, 5}, {1, 3, 1}}};
  int i = 0;
  for (OpCode op : ops) {
    for (const auto& [xs, ws] : shapes) {
      Attributes attrs;
      const bool has_act = op == OpCode::kAdd || op == OpCode::kSub ||
                           op == OpCode::kMul || op == OpCode::kDiv;
      if (has_act) attrs.SetString("activation", kActivations[i % 3]);
      // div: keep the divisor away from zero (x / w with w in [-1, 1]
      // could be huge); use x as the divisor's reciprocal range instead.
      Case c = OneOp(rng, op, xs, {ws}, std::move(attrs), i % 2 == 1,
                     std::string(OpName(op)) + " " + std::to_string(i));
      if (op == OpCode::kDiv) {
        // Rebuild with a divisor in [0.5, 2].
        ModelBuilder b("div");
        const int x = b.Input("x", DType::kFloat32, xs);
        const int w =
            b.Constant<float>("w", ws, Random(rng, NumElements(ws), 0.5, 2));
        const int y = b.Op1(op, {x, w});
        b.AddSignature("infer", {{"x", x}}, {{"y", y}});
        c.model = *b.BuildModel();
      }
      ExpectParity(c);
      ++i;
    }
  }
}

TEST(XnnpackOpsTest, Unary) {
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
      {OpCode::kHardSwish, {}, -5, 5},
      {OpCode::kAbs, {}, -2, 2},
      {OpCode::kNeg, {}, -2, 2},
      {OpCode::kSquare, {}, -2, 2},
      {OpCode::kSqrt, {}, 0.01f, 4},
      {OpCode::kSoftmax, {}, -5, 5},
  };
  for (const U& u : ops) {
    Case c = OneOp(rng, u.op, {3, 17}, {}, u.attrs, false,
                   std::string(OpName(u.op)), u.lo, u.hi);
    ExpectParity(c);
  }
}

TEST(XnnpackOpsTest, ReshapeAndPad) {
  Rng rng(7);
  {
    ModelBuilder b("reshape");
    const int x = b.Input("x", DType::kFloat32, {2, 3, 4, 5});
    const int r = b.Op1(OpCode::kReshape, {x, b.ConstantInts("s", {-1, 60})});
    const int y = b.Op1(OpCode::kRelu, {r});
    b.AddSignature("infer", {{"x", x}}, {{"y", y}});
    Case c{*b.BuildModel(), {2, 3, 4, 5}, Random(rng, 120), 1, "reshape"};
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
    Case c{*b.BuildModel(), {2, 3, 4, 5}, Random(rng, 120), 1, "pad"};
    ExpectParity(c);
  }
}

TEST(XnnpackOpsTest, RefusalsNameTheReason) {
  Rng rng(8);
  // tanh is not mapped; fully_connected with a fused tanh is refused too.
  Case c =
      OneOp(rng, OpCode::kFullyConnected, {2, 3}, {{3, 4}},
            Attributes().SetString("activation", "tanh"), false, "fc tanh");
  auto xnn = CreateXnnpackDelegate();
  ASSERT_TRUE(xnn.ok());
  InterpreterOptions options;
  options.delegates = {*xnn};
  auto interpreter = Interpreter::Create(c.model, options);
  ASSERT_TRUE(interpreter.ok());
  const ExecutionPlan& plan =
      (*(*interpreter)->GetSignatureRunner("infer"))->plan();
  ASSERT_EQ(plan.delegation_report().refused.size(), 1u);
  EXPECT_EQ(plan.delegation_report().refused[0].delegate, "xnnpack");
  EXPECT_NE(plan.delegation_report().refused[0].reason.find("tanh"),
            std::string::npos);
  EXPECT_TRUE(plan.delegation_report().partitions.empty());
  ExpectParity(c, /*expect_delegated=*/false);
}

}  // namespace
}  // namespace attune
