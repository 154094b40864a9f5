// sgd_update, adam_update, rmsprop_update, adagrad_update
// (engine/kernels/optimizer_updates.cc) against PyTorch's torch.optim update
// rules written out in double precision here, over 5 steps with a fixed
// gradient sequence and a learning rate that changes every step (it is an
// input). Each one-op model updates variable "w" [4] and its slots in place.
#include <cmath>
#include <string>
#include <vector>

#include "builder/model_builder.h"
#include "engine/interpreter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace attune {
namespace {

using ::testing::HasSubstr;

constexpr int kSize = 4;
const std::vector<double> kInitial = {0.5, -1.2, 2.0, 0.1};

struct Hyper {
  double momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, alpha = 0.99;
  bool decoupled = false;
};

std::vector<double> Grad(int t) {
  std::vector<double> g(kSize);
  for (int i = 0; i < kSize; ++i)
    g[i] = std::sin(1.0 + i + 0.7 * t) * (1 + 0.3 * i);
  return g;
}
double Lr(int t) { return 0.05 * (1 + 0.1 * t); }

// torch.optim reference state: p, slot0 (momentum buffer / exp_avg /
// square_avg / sum), slot1 (exp_avg_sq / rmsprop momentum buffer).
struct State {
  std::vector<double> p = kInitial;
  std::vector<double> s0 = std::vector<double>(kSize, 0.0);
  std::vector<double> s1 = std::vector<double>(kSize, 0.0);
};

void ReferenceStep(OpCode op, const Hyper& h, int t, State& st) {
  const std::vector<double> grad = Grad(t);
  const double lr = Lr(t);
  for (int i = 0; i < kSize; ++i) {
    double& p = st.p[i];
    double g = grad[i];
    switch (op) {
      case OpCode::kSgdUpdate: {
        g += h.weight_decay * p;
        if (h.momentum != 0) {
          double& buf = st.s0[i];
          buf = t == 1 ? g : h.momentum * buf + (1 - h.dampening) * g;
          g = h.nesterov ? g + h.momentum * buf : buf;
        }
        p -= lr * g;
        break;
      }
      case OpCode::kAdamUpdate: {
        if (h.decoupled) {
          p *= 1 - lr * h.weight_decay;
        } else {
          g += h.weight_decay * p;
        }
        double& m = st.s0[i];
        double& v = st.s1[i];
        m = h.beta1 * m + (1 - h.beta1) * g;
        v = h.beta2 * v + (1 - h.beta2) * g * g;
        const double bc1 = 1 - std::pow(h.beta1, t);
        const double bc2 = 1 - std::pow(h.beta2, t);
        p -= lr / bc1 * m / (std::sqrt(v) / std::sqrt(bc2) + h.eps);
        break;
      }
      case OpCode::kRmspropUpdate: {
        g += h.weight_decay * p;
        double& sq = st.s0[i];
        sq = h.alpha * sq + (1 - h.alpha) * g * g;
        const double avg = std::sqrt(sq) + h.eps;
        if (h.momentum > 0) {
          double& buf = st.s1[i];
          buf = h.momentum * buf + g / avg;
          p -= lr * buf;
        } else {
          p -= lr * g / avg;
        }
        break;
      }
      case OpCode::kAdagradUpdate: {
        g += h.weight_decay * p;
        double& sum = st.s0[i];
        sum += g * g;
        p -= lr * g / (std::sqrt(sum) + h.eps);
        break;
      }
      default:
        FAIL();
    }
  }
}

// Slot attribute names per optimizer (slot0, slot1); empty: unused.
std::pair<std::string, std::string> SlotAttrs(OpCode op, const Hyper& h) {
  switch (op) {
    case OpCode::kSgdUpdate:
      return {h.momentum != 0 ? "momentum_variable" : "", ""};
    case OpCode::kAdamUpdate:
      return {"m_variable", "v_variable"};
    case OpCode::kRmspropUpdate:
      return {"square_avg_variable",
              h.momentum != 0 ? "momentum_variable" : ""};
    default:
      return {"sum_variable", ""};
  }
}

Attributes HyperAttrs(OpCode op, const Hyper& h) {
  Attributes a;
  a.SetFloat("weight_decay", h.weight_decay).SetFloat("momentum", h.momentum);
  switch (op) {
    case OpCode::kSgdUpdate:
      a.SetFloat("dampening", h.dampening).SetInt("nesterov", h.nesterov);
      break;
    case OpCode::kAdamUpdate:
      a.SetFloat("beta1", h.beta1)
          .SetFloat("beta2", h.beta2)
          .SetFloat("eps", h.eps)
          .SetInt("decoupled", h.decoupled);
      break;
    case OpCode::kRmspropUpdate:
      a.SetFloat("alpha", h.alpha).SetFloat("eps", h.eps);
      break;
    default:
      a.SetFloat("eps", h.eps);
      break;
  }
  return a;
}

bool TakesStep(OpCode op) {
  return op == OpCode::kSgdUpdate || op == OpCode::kAdamUpdate;
}

// The one-op model: variables w, w/slot0, w/slot1 (slot0 of shape
// [slot_size]), signature "train"(grad [4], lr [], step [] int64 for sgd and
// adam).
absl::StatusOr<std::shared_ptr<const Model>> BuildModel(
    OpCode op, const Hyper& h, bool with_step = true, int64_t slot_size = kSize,
    bool drop_slot1 = false) {
  ModelBuilder b("optimizer");
  std::vector<float> initial(kInitial.begin(), kInitial.end());
  const int buffer =
      b.AddBuffer({reinterpret_cast<const uint8_t*>(initial.data()),
                   initial.size() * sizeof(float)});
  b.AddVariable({"w",
                 DType::kFloat32,
                 {kSize},
                 Initializer::kConstantBuffer,
                 buffer,
                 0,
                 true});
  Attributes attrs = HyperAttrs(op, h);
  attrs.SetInt("variable", 0);
  const auto [slot0, slot1] = SlotAttrs(op, h);
  if (!slot0.empty()) {
    attrs.SetInt(slot0, b.AddVariable({"w/" + slot0,
                                       DType::kFloat32,
                                       {slot_size},
                                       Initializer::kZeros,
                                       -1,
                                       0,
                                       false}));
  }
  if (!slot1.empty() && !drop_slot1) {
    attrs.SetInt(slot1, b.AddVariable({"w/" + slot1,
                                       DType::kFloat32,
                                       {kSize},
                                       Initializer::kZeros,
                                       -1,
                                       0,
                                       false}));
  }
  const int grad = b.Input("grad", DType::kFloat32, {kSize});
  const int lr = b.Input("lr", DType::kFloat32, {});
  std::vector<int> inputs = {grad, lr};
  std::vector<std::pair<std::string, int>> feeds = {{"grad", grad}, {"lr", lr}};
  if (with_step && TakesStep(op)) {
    inputs.push_back(b.Input("step", DType::kInt64, {}));
    feeds.emplace_back("step", inputs.back());
  }
  b.Op(op, inputs, attrs, 0);
  b.AddSignature("train", feeds, {});
  return b.BuildModel();
}

void ExpectVariable(const Interpreter& interpreter, const std::string& name,
                    const std::vector<double>& want, int t) {
  auto got = interpreter.variables().Get<float>(name);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR((*got)[i], want[i], 2e-6 + 2e-5 * std::abs(want[i]))
        << name << "[" << i << "] after step " << t;
  }
}

void CheckFiveSteps(OpCode op, const Hyper& h) {
  auto model = BuildModel(op, h);
  ASSERT_TRUE(model.ok()) << model.status();
  auto interpreter = Interpreter::Create(*model);
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  SignatureRunner* train = *(*interpreter)->GetSignatureRunner("train");
  ASSERT_TRUE(train->AllocateTensors().ok());
  State st;
  const auto [slot0, slot1] = SlotAttrs(op, h);
  for (int t = 1; t <= 5; ++t) {
    const std::vector<double> g = Grad(t);
    ASSERT_TRUE(
        train->SetInput<float>("grad", std::vector<float>(g.begin(), g.end()))
            .ok());
    ASSERT_TRUE(train
                    ->SetInput<float>(
                        "lr", std::vector<float>{static_cast<float>(Lr(t))})
                    .ok());
    if (TakesStep(op)) {
      ASSERT_TRUE(
          train->SetInput<int64_t>("step", std::vector<int64_t>{t}).ok());
    }
    const uint64_t version = (*interpreter)->variables().version(0);
    absl::Status s = train->Invoke();
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_GT((*interpreter)->variables().version(0), version);
    ReferenceStep(op, h, t, st);
    ExpectVariable(**interpreter, "w", st.p, t);
    if (!slot0.empty()) ExpectVariable(**interpreter, "w/" + slot0, st.s0, t);
    if (!slot1.empty()) ExpectVariable(**interpreter, "w/" + slot1, st.s1, t);
  }
}

TEST(OptimizerUpdatesTest, SgdPlain) { CheckFiveSteps(OpCode::kSgdUpdate, {}); }

TEST(OptimizerUpdatesTest, SgdMomentum) {
  Hyper h;
  h.momentum = 0.9;
  CheckFiveSteps(OpCode::kSgdUpdate, h);
}

TEST(OptimizerUpdatesTest, SgdMomentumDampening) {
  Hyper h;
  h.momentum = 0.8;
  h.dampening = 0.3;
  CheckFiveSteps(OpCode::kSgdUpdate, h);
}

TEST(OptimizerUpdatesTest, SgdNesterov) {
  Hyper h;
  h.momentum = 0.9;
  h.nesterov = true;
  CheckFiveSteps(OpCode::kSgdUpdate, h);
}

TEST(OptimizerUpdatesTest, SgdWeightDecayPlainAndWithMomentum) {
  Hyper h;
  h.weight_decay = 0.1;
  CheckFiveSteps(OpCode::kSgdUpdate, h);
  h.momentum = 0.5;
  CheckFiveSteps(OpCode::kSgdUpdate, h);
}

TEST(OptimizerUpdatesTest, Adam) {
  CheckFiveSteps(OpCode::kAdamUpdate, {});
  Hyper h;
  h.beta1 = 0.8;
  h.beta2 = 0.95;
  h.eps = 1e-3;
  CheckFiveSteps(OpCode::kAdamUpdate, h);
}

TEST(OptimizerUpdatesTest, AdamCoupledWeightDecay) {
  Hyper h;
  h.weight_decay = 0.1;
  CheckFiveSteps(OpCode::kAdamUpdate, h);
}

TEST(OptimizerUpdatesTest, AdamWDecoupledWeightDecay) {
  Hyper h;
  h.weight_decay = 0.1;
  h.decoupled = true;
  CheckFiveSteps(OpCode::kAdamUpdate, h);
}

TEST(OptimizerUpdatesTest, RmspropPlain) {
  CheckFiveSteps(OpCode::kRmspropUpdate, {});
}

TEST(OptimizerUpdatesTest, RmspropMomentumAndWeightDecay) {
  Hyper h;
  h.momentum = 0.9;
  CheckFiveSteps(OpCode::kRmspropUpdate, h);
  h.weight_decay = 0.05;
  h.alpha = 0.9;
  CheckFiveSteps(OpCode::kRmspropUpdate, h);
  Hyper wd_only;
  wd_only.weight_decay = 0.05;
  CheckFiveSteps(OpCode::kRmspropUpdate, wd_only);
}

TEST(OptimizerUpdatesTest, Adagrad) {
  Hyper h;
  h.eps = 1e-10;
  CheckFiveSteps(OpCode::kAdagradUpdate, h);
  h.weight_decay = 0.1;
  CheckFiveSteps(OpCode::kAdagradUpdate, h);
}

// A momentum_variable given with momentum 0 is ignored, as PyTorch keeps no
// buffer then (dampening would otherwise scale the gradient).
TEST(OptimizerUpdatesTest, SgdZeroMomentumIgnoresMomentumVariable) {
  ModelBuilder b("sgd");
  b.AddVariable({"w", DType::kFloat32, {2}, Initializer::kOnes, -1, 0, true});
  b.AddVariable(
      {"w/m", DType::kFloat32, {2}, Initializer::kZeros, -1, 0, false});
  const int grad = b.Input("grad", DType::kFloat32, {2});
  const int lr = b.Input("lr", DType::kFloat32, {});
  const int step = b.Input("step", DType::kInt64, {});
  b.Op(OpCode::kSgdUpdate, {grad, lr, step},
       Attributes()
           .SetInt("variable", 0)
           .SetInt("momentum_variable", 1)
           .SetFloat("dampening", 0.5),
       0);
  b.AddSignature("train", {{"grad", grad}, {"lr", lr}, {"step", step}}, {});
  auto model = b.BuildModel();
  ASSERT_TRUE(model.ok()) << model.status();
  auto interpreter = Interpreter::Create(*model);
  ASSERT_TRUE(interpreter.ok());
  SignatureRunner* train = *(*interpreter)->GetSignatureRunner("train");
  ASSERT_TRUE(train->AllocateTensors().ok());
  for (int64_t t = 1; t <= 2; ++t) {
    ASSERT_TRUE(train->SetInput<float>("grad", std::vector<float>{1, 2}).ok());
    ASSERT_TRUE(train->SetInput<float>("lr", std::vector<float>{0.1f}).ok());
    ASSERT_TRUE(train->SetInput<int64_t>("step", std::vector<int64_t>{t}).ok());
    ASSERT_TRUE(train->Invoke().ok());
  }
  auto w = *(*interpreter)->variables().Get<float>("w");
  EXPECT_NEAR(w[0], 1 - 2 * 0.1 * 1, 1e-6);
  EXPECT_NEAR(w[1], 1 - 2 * 0.1 * 2, 1e-6);
}

absl::Status FirstError(absl::StatusOr<std::shared_ptr<const Model>> model) {
  if (!model.ok()) return model.status();
  auto interpreter = Interpreter::Create(*model);
  if (!interpreter.ok()) return interpreter.status();
  auto train = (*interpreter)->GetSignatureRunner("train");
  if (!train.ok()) return train.status();
  return (*train)->AllocateTensors();
}

TEST(OptimizerUpdatesTest, MissingSlotVariableIsInvalidArgument) {
  Hyper h;
  absl::Status s = FirstError(BuildModel(OpCode::kAdamUpdate, h, true, kSize,
                                         /*drop_slot1=*/true));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("v_variable"));
  h.momentum = 0.9;
  s = FirstError(BuildModel(OpCode::kRmspropUpdate, h, true, kSize, true));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("momentum_variable"));
}

TEST(OptimizerUpdatesTest, SlotShapeMismatchIsInvalidArgument) {
  for (OpCode op :
       {OpCode::kAdamUpdate, OpCode::kAdagradUpdate, OpCode::kRmspropUpdate}) {
    absl::Status s = FirstError(BuildModel(op, {}, true, kSize + 1));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << OpName(op);
    EXPECT_THAT(std::string(s.message()), HasSubstr("[5]")) << OpName(op);
  }
}

TEST(OptimizerUpdatesTest, NesterovNeedsMomentumWithoutDampening) {
  Hyper h;
  h.momentum = 0.9;
  h.nesterov = true;
  h.dampening = 0.1;
  absl::Status s = FirstError(BuildModel(OpCode::kSgdUpdate, h));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("nesterov"));
}

TEST(OptimizerUpdatesTest, AdamStepZeroIsInvalidArgumentAtInvoke) {
  auto model = BuildModel(OpCode::kAdamUpdate, {});
  ASSERT_TRUE(model.ok()) << model.status();
  auto interpreter = Interpreter::Create(*model);
  ASSERT_TRUE(interpreter.ok());
  SignatureRunner* train = *(*interpreter)->GetSignatureRunner("train");
  ASSERT_TRUE(train->AllocateTensors().ok());
  ASSERT_TRUE(
      train->SetInput<float>("grad", std::vector<float>(kSize, 1)).ok());
  ASSERT_TRUE(train->SetInput<float>("lr", std::vector<float>{0.1f}).ok());
  ASSERT_TRUE(train->SetInput<int64_t>("step", std::vector<int64_t>{0}).ok());
  EXPECT_EQ(train->Invoke().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
