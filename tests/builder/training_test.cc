// Training signatures compiled from specs: learning end to end, frozen
// layers, dynamic batch, losses, gradient accumulation, clipping, and the
// memory figures of backward pruning and update placement.
#include "builder/training.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "autodiff/grad_rule.h"
#include "builder/spec.h"
#include "data/idx.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/builder/train_util.h"

namespace attune {
namespace {

using ::attune::testing::Pseudo;
using ::attune::testing::Session;
using ::attune::testing::StepResult;
using ::testing::HasSubstr;

std::string ReadSpec(const std::string& name) {
  std::ifstream in(std::string(ATTUNE_SOURCE_DIR) + "/examples/specs/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::unique_ptr<Session> MustCompile(const std::string& spec) {
  auto s = Session::FromSpec(spec);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

// ---- data ------------------------------------------------------------------

struct Dataset {
  std::vector<float> x;    // [n, 28, 28] in [0, 1]
  std::vector<int32_t> y;  // [n]
  int n = 0;
};

// The first `n` images of a Fashion-MNIST file pair, or an empty set.
Dataset LoadFashion(const std::string& prefix, int n) {
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  IdxReadOptions options;
  options.scale_to_unit = true;
  absl::StatusOr<Array> images =
      ReadIdx(dir + prefix + "-images-idx3-ubyte.gz", options);
  absl::StatusOr<Array> labels =
      ReadIdx(dir + prefix + "-labels-idx1-ubyte.gz");
  Dataset d;
  if (!images.ok() || !labels.ok()) return d;
  d.n = std::min<int>(n, static_cast<int>(labels->num_elements()));
  auto px = images->values<float>();
  d.x.assign(px.begin(), px.begin() + d.n * 784);
  auto py = labels->values<uint8_t>();
  for (int i = 0; i < d.n; ++i) d.y.push_back(py[i]);
  return d;
}

// A learnable synthetic stand-in: class c lights up block c of the image
// plus noise.
Dataset Synthetic(int n, uint32_t seed) {
  Dataset d;
  d.n = n;
  d.x = Pseudo(n * 784, seed, 0.0f, 0.3f);
  for (int i = 0; i < n; ++i) {
    const int c = static_cast<int>((i * 7 + seed) % 10);
    d.y.push_back(c);
    for (int p = c * 78; p < c * 78 + 78; ++p) d.x[i * 784 + p] += 0.7f;
  }
  return d;
}

// Trains W0's architecture for `steps` steps of batch 100 over the first
// 2000 training images; returns (first loss, mean loss of the last 20
// steps, eval accuracy on 1000 test images).
struct FitResult {
  float first_loss = 0, last_loss = 0, test_accuracy = 0;
  bool real_data = false;
};

FitResult FitW0(const std::string& optimizer_json, int steps) {
  std::string spec = ReadSpec("w0_tflite_tutorial.json");
  spec = absl::StrReplaceAll(
      spec, {{R"({"type": "sgd", "learning_rate": 0.001})", optimizer_json}});
  EXPECT_THAT(spec, HasSubstr(optimizer_json));
  auto s = MustCompile(spec);
  FitResult r;
  if (s == nullptr) return r;
  Dataset train = LoadFashion("train", 2000);
  Dataset test = LoadFashion("t10k", 1000);
  r.real_data = train.n == 2000 && test.n == 1000;
  if (!r.real_data) {
    train = Synthetic(2000, 1);
    test = Synthetic(1000, 2);
  }
  constexpr int kBatch = 100;
  double tail = 0;
  for (int step = 0; step < steps; ++step) {
    const int start = (step * kBatch) % train.n;
    std::vector<float> x(train.x.begin() + start * 784,
                         train.x.begin() + (start + kBatch) * 784);
    std::vector<int32_t> y(train.y.begin() + start,
                           train.y.begin() + start + kBatch);
    auto out = s->Run<int32_t>("train", x, {kBatch, 28, 28}, y, {kBatch});
    EXPECT_TRUE(out.ok()) << out.status();
    if (!out.ok()) return r;
    if (step == 0) r.first_loss = out->loss;
    if (step >= steps - 20) tail += out->loss / 20;
  }
  r.last_loss = static_cast<float>(tail);
  auto eval =
      s->Run<int32_t>("eval", test.x, {test.n, 28, 28}, test.y, {test.n});
  EXPECT_TRUE(eval.ok()) << eval.status();
  if (eval.ok()) r.test_accuracy = eval->accuracy;
  return r;
}

// W0 (Flatten -> Dense 128 ReLU -> Dense 10) on the first 2000
// Fashion-MNIST images, batch 100, 300 steps (15 epochs). SGD with lr 0.1
// (the tutorial's 0.001 needs far more steps): the mean loss of the last
// 20 steps is at least 4x below the first step's loss and test accuracy
// on 1000 t10k images is at least 75% (measured: see the test output).
TEST(TrainingTest, W0LearnsWithSgd) {
  FitResult r = FitW0(R"({"type": "sgd", "learning_rate": 0.1})", 300);
  std::cout << "W0 sgd lr 0.1, "
            << (r.real_data ? "fashion-mnist" : "synthetic") << ": loss "
            << r.first_loss << " -> " << r.last_loss << ", test accuracy "
            << r.test_accuracy << std::endl;
  EXPECT_GT(r.first_loss, 4 * r.last_loss);
  EXPECT_GE(r.test_accuracy, 0.75f);
}

// Same with Adam lr 1e-3 (PyTorch defaults otherwise).
TEST(TrainingTest, W0LearnsWithAdam) {
  FitResult r = FitW0(R"({"type": "adam", "learning_rate": 0.001})", 300);
  std::cout << "W0 adam lr 1e-3, "
            << (r.real_data ? "fashion-mnist" : "synthetic") << ": loss "
            << r.first_loss << " -> " << r.last_loss << ", test accuracy "
            << r.test_accuracy << std::endl;
  EXPECT_GT(r.first_loss, 4 * r.last_loss);
  EXPECT_GE(r.test_accuracy, 0.75f);
}

// ---- signatures, frozen layers, dynamic batch ------------------------------

constexpr char kFrozenSpec[] = R"({
  "name": "frozen",
  "inputs": [{"name": "x", "shape": [-1, 8]}],
  "layers": [
    {"type": "dense", "name": "backbone", "units": 6, "activation": "relu",
     "trainable": false},
    {"type": "batch_norm", "name": "bn"},
    {"type": "dense", "name": "head", "units": 3}
  ],
  "loss": {"type": "softmax_cross_entropy", "labels": "sparse"},
  "optimizer": {"type": "adam", "learning_rate": 0.01},
  "seed": 4
})";

TEST(TrainingTest, SignaturesFollowTheContract) {
  absl::StatusOr<Graph> g = CompileSpec(kFrozenSpec);
  ASSERT_TRUE(g.ok()) << g.status();
  for (const char* key : {"train", "eval"}) {
    const Signature* sig = g->FindSignature(key);
    ASSERT_NE(sig, nullptr) << key;
    ASSERT_EQ(sig->inputs.size(), 2u);
    EXPECT_EQ(sig->inputs[0].name, "x");
    EXPECT_EQ(sig->inputs[1].name, "y");
    const TensorInfo& y =
        g->subgraphs[sig->subgraph].tensors[sig->inputs[1].tensor];
    EXPECT_EQ(y.dtype, DType::kInt32);
    EXPECT_EQ(y.shape, Shape({-1}));
    ASSERT_EQ(sig->outputs.size(), 2u);
    EXPECT_EQ(sig->outputs[0].name, "loss");
    EXPECT_EQ(sig->outputs[1].name, "accuracy");
    for (const SignatureIo& io : sig->outputs) {
      const TensorInfo& t = g->subgraphs[sig->subgraph].tensors[io.tensor];
      EXPECT_EQ(t.dtype, DType::kFloat32);
      EXPECT_EQ(t.shape, Shape({}));
    }
  }
  EXPECT_EQ(g->FindSignature("accumulate"), nullptr);
  // Infer only without an optimizer.
  std::string no_opt = kFrozenSpec;
  no_opt.erase(no_opt.find(R"(  "optimizer")"),
               no_opt.find(R"(  "seed")") - no_opt.find(R"(  "optimizer")"));
  absl::StatusOr<Graph> infer_only = CompileSpec(no_opt);
  ASSERT_TRUE(infer_only.ok()) << infer_only.status();
  // infer, plus save and restore, which every compiled model has.
  ASSERT_EQ(infer_only->signatures.size(), 3u);
  EXPECT_EQ(infer_only->signatures[0].key, "infer");
  EXPECT_EQ(infer_only->signatures[1].key, "save");
  EXPECT_EQ(infer_only->signatures[2].key, "restore");
  // one_hot labels are float32 [B, C].
  std::string one_hot = absl::StrReplaceAll(
      kFrozenSpec, {{R"("labels": "sparse")", R"("labels": "one_hot")"}});
  absl::StatusOr<Graph> oh = CompileSpec(one_hot);
  ASSERT_TRUE(oh.ok()) << oh.status();
  const Signature* train = oh->FindSignature("train");
  const TensorInfo& y =
      oh->subgraphs[train->subgraph].tensors[train->inputs[1].tensor];
  EXPECT_EQ(y.dtype, DType::kFloat32);
  EXPECT_EQ(y.shape, Shape({-1, 3}));
}

TEST(TrainingTest, FrozenVariablesAreBitIdenticalAndTrainableOnesMove) {
  auto s = MustCompile(kFrozenSpec);
  ASSERT_NE(s, nullptr);
  const std::vector<std::string> frozen = {"backbone/kernel", "backbone/bias"};
  // Not trainable, but train updates them from the batch statistics.
  const std::vector<std::string> moving = {"bn/moving_mean",
                                           "bn/moving_variance"};
  std::vector<std::vector<float>> before_moving;
  for (const auto& n : moving) before_moving.push_back(s->Var(n));
  const std::vector<std::string> trainable = {"bn/gamma", "bn/beta",
                                              "head/kernel", "head/bias"};
  std::vector<std::vector<float>> before_frozen, before_trainable;
  for (const auto& n : frozen) before_frozen.push_back(s->Var(n));
  for (const auto& n : trainable) before_trainable.push_back(s->Var(n));
  const std::vector<float> x = Pseudo(16 * 8, 3);
  const std::vector<int32_t> y = {0, 1, 2, 0, 1, 2, 2, 1,
                                  0, 0, 1, 2, 1, 1, 0, 2};
  for (int i = 0; i < 5; ++i) {
    auto r = s->Run<int32_t>("train", x, {16, 8}, y, {16});
    ASSERT_TRUE(r.ok()) << r.status();
  }
  for (size_t i = 0; i < frozen.size(); ++i) {
    const std::vector<float> after = s->Var(frozen[i]);
    ASSERT_EQ(after.size(), before_frozen[i].size());
    EXPECT_EQ(std::memcmp(after.data(), before_frozen[i].data(),
                          after.size() * sizeof(float)),
              0)
        << frozen[i];
  }
  for (size_t i = 0; i < trainable.size(); ++i) {
    EXPECT_NE(s->Var(trainable[i]), before_trainable[i]) << trainable[i];
  }
  for (size_t i = 0; i < moving.size(); ++i) {
    EXPECT_NE(s->Var(moving[i]), before_moving[i]) << moving[i];
    EXPECT_EQ(s->variables().Find(moving[i] + "/adam/m"), -1) << moving[i];
  }
  // Slots exist for trainable variables only; step counted 5 train calls.
  const VariableStore& vars = s->variables();
  for (const auto& n : trainable) {
    EXPECT_GE(vars.Find(n + "/adam/m"), 0) << n;
    EXPECT_GE(vars.Find(n + "/adam/v"), 0) << n;
  }
  for (const auto& n : frozen) EXPECT_EQ(vars.Find(n + "/adam/m"), -1) << n;
  EXPECT_EQ((*vars.Get<int64_t>("optimizer/step"))[0], 5);
}

TEST(TrainingTest, LearningRateVariableChangesTheNextStepWithoutRebuild) {
  auto s = MustCompile(R"({
    "inputs": [{"name": "x", "shape": [-1, 2]}],
    "layers": [{"type": "dense", "name": "lin", "units": 1}],
    "loss": {"type": "mse"},
    "optimizer": {"type": "sgd", "learning_rate": 0.1}})");
  ASSERT_NE(s, nullptr);
  s->SetVar("lin/kernel", {0.0f, 0.0f});
  const std::vector<float> x = {1.0f, 0.0f};
  const std::vector<float> y = {1.0f};
  // Gradient of (w0 - 1)^2 at w0 = 0 is -2: w0 += 2 * lr.
  ASSERT_TRUE(s->Run<float>("train", x, {1, 2}, y, {1, 1}).ok());
  EXPECT_NEAR(s->Var("lin/kernel")[0], 0.2f, 1e-6);
  s->SetVar("optimizer/learning_rate", {0.0f});
  ASSERT_TRUE(s->Run<float>("train", x, {1, 2}, y, {1, 1}).ok());
  EXPECT_NEAR(s->Var("lin/kernel")[0], 0.2f, 1e-6);
  s->SetVar("optimizer/learning_rate", {0.5f});
  // Gradient 2 * (0.2 - 1) = -1.6 (bias moved too: b = 0.2).
  ASSERT_TRUE(s->Run<float>("train", x, {1, 2}, y, {1, 1}).ok());
  EXPECT_NEAR(s->Var("lin/kernel")[0], 0.2f + 0.5f * 2 * (1.0f - 0.4f), 1e-6);
}

TEST(TrainingTest, DynamicBatchWithoutRecompileAndInferSeesNewWeights) {
  auto s = MustCompile(R"({
    "inputs": [{"name": "x", "shape": [-1, 5]}],
    "layers": [
      {"type": "dense", "name": "h", "units": 4, "activation": "relu"},
      {"type": "dense", "name": "out", "units": 3}
    ],
    "loss": {"type": "softmax_cross_entropy"},
    "optimizer": {"type": "sgd", "learning_rate": 0.5, "momentum": 0.9},
    "seed": 9})");
  ASSERT_NE(s, nullptr);
  const std::vector<float> probe = Pseudo(2 * 5, 77);
  auto before = s->Infer(probe, {2, 5});
  ASSERT_TRUE(before.ok()) << before.status();
  for (int batch : {7, 32, 7}) {
    std::vector<int32_t> y(batch);
    for (int i = 0; i < batch; ++i) y[i] = i % 3;
    auto r = s->Run<int32_t>("train", Pseudo(batch * 5, batch), {batch, 5}, y,
                             {batch});
    ASSERT_TRUE(r.ok()) << "batch " << batch << ": " << r.status();
    EXPECT_TRUE(std::isfinite(r->loss));
  }
  auto after = s->Infer(probe, {2, 5});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_NE(*after, *before);
  // infer's logits equal a direct computation from the current variables.
  const auto hk = s->Var("h/kernel"), hb = s->Var("h/bias");
  const auto ok = s->Var("out/kernel"), ob = s->Var("out/bias");
  for (int r = 0; r < 2; ++r) {
    double h[4];
    for (int j = 0; j < 4; ++j) {
      double acc = hb[j];
      for (int k = 0; k < 5; ++k)
        acc += double{probe[r * 5 + k]} * hk[k * 4 + j];
      h[j] = std::max(acc, 0.0);
    }
    for (int j = 0; j < 3; ++j) {
      double acc = ob[j];
      for (int k = 0; k < 4; ++k) acc += h[k] * ok[k * 3 + j];
      EXPECT_NEAR((*after)[r * 3 + j], acc, 1e-5);
    }
  }
}

// ---- losses against hand computations --------------------------------------

// A dense 3 -> 2 layer with fixed weights; the loss of `eval` on a batch of
// 3 is compared with a double-precision computation from the same logits.
struct LossCase {
  std::vector<float> x = {0.5f,   -1.0f, 2.0f, 1.5f, 0.25f,
                          -0.75f, -2.0f, 1.0f, 0.5f};
  std::vector<float> w = {0.3f, -0.8f, 1.2f, 0.4f, -0.5f, 0.9f};
  std::vector<float> b = {0.1f, -0.2f};
  std::vector<double> Logits() const {
    std::vector<double> z(6);
    for (int r = 0; r < 3; ++r) {
      for (int j = 0; j < 2; ++j) {
        double acc = b[j];
        for (int k = 0; k < 3; ++k) acc += double{x[r * 3 + k]} * w[k * 2 + j];
        z[r * 2 + j] = acc;
      }
    }
    return z;
  }
};

std::unique_ptr<Session> LossSession(const std::string& loss,
                                     const LossCase& c) {
  auto s = MustCompile(absl::StrCat(R"({
    "inputs": [{"name": "x", "shape": [-1, 3]}],
    "layers": [{"type": "dense", "name": "d", "units": 2}],
    "loss": )",
                                    loss, R"(,
    "optimizer": {"type": "sgd", "learning_rate": 0.1}})"));
  if (s != nullptr) {
    s->SetVar("d/kernel", c.w);
    s->SetVar("d/bias", c.b);
  }
  return s;
}

double SoftmaxCe(const double* z, const double* t, int n) {
  double m = *std::max_element(z, z + n), sum = 0;
  for (int j = 0; j < n; ++j) sum += std::exp(z[j] - m);
  double loss = 0;
  for (int j = 0; j < n; ++j) loss -= t[j] * (z[j] - m - std::log(sum));
  return loss;
}

TEST(TrainingTest, SoftmaxCrossEntropyWithLabelSmoothing) {
  const LossCase c;
  const std::vector<double> z = c.Logits();
  const std::vector<int32_t> labels = {1, 0, 1};
  const double s = 0.2;
  double expected = 0, plain = 0;
  for (int r = 0; r < 3; ++r) {
    double t[2], hard[2] = {0, 0};
    hard[labels[r]] = 1;
    for (int j = 0; j < 2; ++j) t[j] = hard[j] * (1 - s) + s / 2;
    expected += SoftmaxCe(&z[r * 2], t, 2) / 3;
    plain += SoftmaxCe(&z[r * 2], hard, 2) / 3;
  }
  // Sparse and one-hot labels, smoothed and not.
  auto sparse = LossSession(
      R"({"type": "softmax_cross_entropy", "label_smoothing": 0.2})", c);
  auto r = sparse->Run<int32_t>("eval", c.x, {3, 3}, labels, {3});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR(r->loss, expected, 1e-6);
  auto one_hot = LossSession(R"({"type": "softmax_cross_entropy",
      "labels": "one_hot", "label_smoothing": 0.2})",
                             c);
  std::vector<float> y(6, 0.0f);
  for (int i = 0; i < 3; ++i) y[i * 2 + labels[i]] = 1.0f;
  r = one_hot->Run<float>("eval", c.x, {3, 3}, y, {3, 2});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR(r->loss, expected, 1e-6);
  auto hard = LossSession(R"({"type": "softmax_cross_entropy"})", c);
  r = hard->Run<int32_t>("eval", c.x, {3, 3}, labels, {3});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR(r->loss, plain, 1e-6);
  // Accuracy: argmax of each row against the label.
  int hits = 0;
  for (int i = 0; i < 3; ++i)
    hits += (z[i * 2 + 1] > z[i * 2]) == (labels[i] == 1);
  EXPECT_NEAR(r->accuracy, hits / 3.0, 1e-7);
}

TEST(TrainingTest, BinaryCrossEntropyIsStableForLargeLogits) {
  LossCase c;
  c.w[0] = 40.0f;  // row 2 gets a logit near -80: exp would overflow naively
  const std::vector<double> z = c.Logits();
  const std::vector<float> y = {1.0f, 0.0f, 0.3f, 1.0f, 0.0f, 0.0f};
  double expected = 0;
  int hits = 0;
  for (int i = 0; i < 6; ++i) {
    expected += (std::max(z[i], 0.0) - z[i] * y[i] +
                 std::log1p(std::exp(-std::fabs(z[i])))) /
                6;
    hits += (z[i] > 0) == (y[i] > 0.5f);
  }
  auto s = LossSession(R"({"type": "binary_cross_entropy"})", c);
  auto r = s->Run<float>("eval", c.x, {3, 3}, y, {3, 2});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR(r->loss, expected, 1e-5 * expected);
  EXPECT_NEAR(r->accuracy, hits / 6.0, 1e-7);
  // And it trains: one SGD step lowers the loss.
  auto t = s->Run<float>("train", c.x, {3, 3}, y, {3, 2});
  ASSERT_TRUE(t.ok()) << t.status();
  auto again = s->Run<float>("eval", c.x, {3, 3}, y, {3, 2});
  EXPECT_LT(again->loss, r->loss);
}

TEST(TrainingTest, RegressionLossesAndL2Term) {
  const LossCase c;
  const std::vector<double> z = c.Logits();
  const std::vector<float> y = {0.5f, -3.0f, 1.0f, 0.2f, -0.4f, 2.5f};
  double mse = 0, l1 = 0, huber = 0;
  const double delta = 0.7;
  for (int i = 0; i < 6; ++i) {
    const double d = z[i] - y[i];
    mse += d * d / 6;
    l1 += std::fabs(d) / 6;
    huber += (std::fabs(d) <= delta ? 0.5 * d * d
                                    : delta * (std::fabs(d) - 0.5 * delta)) /
             6;
  }
  // Both Huber regimes occur in this batch.
  int small = 0;
  for (int i = 0; i < 6; ++i) small += std::fabs(z[i] - y[i]) <= delta;
  ASSERT_GT(small, 0);
  ASSERT_LT(small, 6);
  double w2 = 0;
  for (float v : c.w) w2 += double{v} * v;
  struct Case {
    std::string loss;
    double expected;
  };
  for (const Case& k : std::vector<Case>{
           {R"({"type": "mse"})", mse},
           {R"({"type": "mean_squared_error", "l2": 0.01})", mse + 0.01 * w2},
           {R"({"type": "l1"})", l1},
           {R"({"type": "huber", "delta": 0.7})", huber}}) {
    auto s = LossSession(k.loss, c);
    ASSERT_NE(s, nullptr) << k.loss;
    auto r = s->Run<float>("eval", c.x, {3, 3}, y, {3, 2});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_NEAR(r->loss, k.expected, 1e-6 * (1 + k.expected)) << k.loss;
    EXPECT_EQ(r->accuracy, -1.0f) << "regression has no accuracy";
    // One train step lowers each loss.
    ASSERT_TRUE(s->Run<float>("train", c.x, {3, 3}, y, {3, 2}).ok());
    auto after = s->Run<float>("eval", c.x, {3, 3}, y, {3, 2});
    EXPECT_LT(after->loss, r->loss) << k.loss;
  }
}

TEST(TrainingTest, L2GradientDecaysKernelsOnly) {
  // With zero data gradient (prediction == label) only the l2 term moves
  // the kernel: w -= lr * 2 * lambda * w; the bias stays.
  auto s = MustCompile(R"({
    "inputs": [{"name": "x", "shape": [-1, 2]}],
    "layers": [{"type": "dense", "name": "d", "units": 1}],
    "loss": {"type": "mse", "l2": 0.5},
    "optimizer": {"type": "sgd", "learning_rate": 0.1}})");
  ASSERT_NE(s, nullptr);
  s->SetVar("d/kernel", {2.0f, -1.0f});
  s->SetVar("d/bias", {0.25f});
  const std::vector<float> x = {0.0f, 0.0f};
  ASSERT_TRUE(
      s->Run<float>("train", x, {1, 2}, std::vector<float>{0.25f}, {1, 1})
          .ok());
  EXPECT_NEAR(s->Var("d/kernel")[0], 2.0f * (1 - 0.1f), 1e-6);
  EXPECT_NEAR(s->Var("d/kernel")[1], -1.0f * (1 - 0.1f), 1e-6);
  EXPECT_NEAR(s->Var("d/bias")[0], 0.25f, 1e-7);
}

// ---- accumulation and clipping ---------------------------------------------

constexpr char kAccumSpec[] = R"({
  "inputs": [{"name": "x", "shape": [-1, 6]}],
  "layers": [
    {"type": "dense", "name": "h", "units": 5, "activation": "tanh"},
    {"type": "dense", "name": "out", "units": 3}
  ],
  "loss": {"type": "softmax_cross_entropy"},
  "optimizer": {"type": "sgd", "learning_rate": 0.3, "momentum": 0.5},
  "gradient_accumulation_steps": 3,
  "seed": 12
})";

TEST(TrainingTest, AccumulatedMicroBatchesEqualOneTrainOnTheirConcatenation) {
  auto acc = MustCompile(kAccumSpec);
  auto ref = MustCompile(kAccumSpec);
  ASSERT_NE(acc, nullptr);
  ASSERT_NE(ref, nullptr);
  const std::vector<std::string> vars = {"h/kernel", "h/bias", "out/kernel",
                                         "out/bias"};
  for (const auto& v : vars) ASSERT_EQ(acc->Var(v), ref->Var(v));
  for (int round = 0; round < 2; ++round) {
    const std::vector<float> x = Pseudo(12 * 6, 40 + round);
    std::vector<int32_t> y(12);
    for (int i = 0; i < 12; ++i) y[i] = (i * 5 + round) % 3;
    for (int m = 0; m < 3; ++m) {
      std::vector<float> xm(x.begin() + m * 24, x.begin() + (m + 1) * 24);
      std::vector<int32_t> ym(y.begin() + m * 4, y.begin() + (m + 1) * 4);
      auto r = acc->Run<int32_t>("accumulate", xm, {4, 6}, ym, {4});
      ASSERT_TRUE(r.ok()) << r.status();
    }
    ASSERT_TRUE(acc->Invoke("apply_gradients").ok());
    ASSERT_TRUE(ref->Run<int32_t>("train", x, {12, 6}, y, {12}).ok());
    for (const auto& v : vars) {
      const auto a = acc->Var(v), b = ref->Var(v);
      ASSERT_EQ(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_NEAR(a[i], b[i], 1e-6) << v << "[" << i << "] round " << round;
      }
      // The accumulators are zero again.
      for (float g : acc->Var(v + "/grad_accum")) EXPECT_EQ(g, 0.0f) << v;
    }
  }
  EXPECT_EQ((*acc->variables().Get<int64_t>("optimizer/step"))[0], 2);
  EXPECT_EQ(acc->Var("optimizer/accumulated_batches")[0], 0.0f);
}

// lin: y = x w + b with w [2, 1]; batch of 2 with large targets.
constexpr char kClipSpec[] = R"({
  "inputs": [{"name": "x", "shape": [-1, 2]}],
  "layers": [{"type": "dense", "name": "lin", "units": 1}],
  "loss": {"type": "mse"},
  "optimizer": {"type": "sgd", "learning_rate": 1.0, CLIP}})";

TEST(TrainingTest, ClippingByGlobalNormAndByValue) {
  const std::vector<float> x = {1.0f, 2.0f, -1.0f, 3.0f};
  const std::vector<float> y = {10.0f, -20.0f};
  // At w = 0, b = 0: d = -y; dL/dw_k = mean(2 d x_k), dL/db = mean(2 d).
  double gw[2] = {0, 0}, gb = 0;
  for (int r = 0; r < 2; ++r) {
    const double d = -y[r];
    gb += d;
    for (int k = 0; k < 2; ++k) gw[k] += d * x[r * 2 + k];
  }
  const double norm = std::sqrt(gw[0] * gw[0] + gw[1] * gw[1] + gb * gb);
  ASSERT_GT(norm, 1.0);  // clipping triggers
  {
    auto s = MustCompile(absl::StrReplaceAll(
        kClipSpec, {{"CLIP", R"("clip_global_norm": 1.0)"}}));
    ASSERT_NE(s, nullptr);
    s->SetVar("lin/kernel", {0.0f, 0.0f});
    ASSERT_TRUE(s->Run<float>("train", x, {2, 2}, y, {2, 1}).ok());
    const double coef = 1.0 / (norm + 1e-6);
    const auto w = s->Var("lin/kernel");
    EXPECT_NEAR(w[0], -gw[0] * coef, 1e-6);
    EXPECT_NEAR(w[1], -gw[1] * coef, 1e-6);
    EXPECT_NEAR(s->Var("lin/bias")[0], -gb * coef, 1e-6);
    // The update has norm 1.
    const double moved =
        std::sqrt(w[0] * w[0] + w[1] * w[1] +
                  s->Var("lin/bias")[0] * s->Var("lin/bias")[0]);
    EXPECT_NEAR(moved, 1.0, 1e-5);
  }
  {
    auto s = MustCompile(
        absl::StrReplaceAll(kClipSpec, {{"CLIP", R"("clip_value": 0.5)"}}));
    ASSERT_NE(s, nullptr);
    s->SetVar("lin/kernel", {0.0f, 0.0f});
    ASSERT_TRUE(s->Run<float>("train", x, {2, 2}, y, {2, 1}).ok());
    auto clip = [](double g) { return std::min(std::max(g, -0.5), 0.5); };
    ASSERT_GT(std::fabs(gw[0]), 0.5);
    EXPECT_NEAR(s->Var("lin/kernel")[0], -clip(gw[0]), 1e-6);
    EXPECT_NEAR(s->Var("lin/kernel")[1], -clip(gw[1]), 1e-6);
    EXPECT_NEAR(s->Var("lin/bias")[0], -clip(gb), 1e-6);
  }
}

// ---- backward pruning and memory -------------------------------------------

// A W3/W4-like dense model: a deep dense backbone on [B, 3072] inputs
// (a flattened 32x32x3 image) into 1280 features, then the W3 head
// 1280 -> 128 -> 5.
std::string DeepDense(bool backbone_trainable) {
  const std::string t = backbone_trainable ? "true" : "false";
  return absl::StrCat(R"({
    "name": "deep_dense",
    "inputs": [{"name": "x", "shape": [-1, 3072]}],
    "layers": [
      {"type": "dense", "name": "b1", "units": 2048, "activation": "relu", "trainable": )",
                      t, R"(},
      {"type": "dense", "name": "b2", "units": 2048, "activation": "relu", "trainable": )",
                      t, R"(},
      {"type": "dense", "name": "b3", "units": 2048, "activation": "relu", "trainable": )",
                      t, R"(},
      {"type": "dense", "name": "features", "units": 1280, "activation": "relu", "trainable": )",
                      t, R"(},
      {"type": "dense", "name": "head_1", "units": 128, "activation": "relu"},
      {"type": "dense", "name": "head_2", "units": 5}
    ],
    "loss": {"type": "softmax_cross_entropy"},
    "optimizer": {"type": "adam"}})");
}

TEST(TrainingTest, FrozenBackboneGetsNoBackwardOpsAndASmallArena) {
  absl::StatusOr<Graph> head_only = CompileSpec(DeepDense(false));
  ASSERT_TRUE(head_only.ok()) << head_only.status();
  const Signature* train = head_only->FindSignature("train");
  const Subgraph& sg = head_only->subgraphs[train->subgraph];
  int backward_ops = 0;
  for (const Node& n : sg.nodes) {
    for (int t : n.outputs) {
      const std::string& name = sg.tensors[t].name;
      for (const char* layer : {"b1", "b2", "b3", "features"}) {
        EXPECT_EQ(name.rfind(absl::StrCat("gradients/", layer), 0),
                  std::string::npos)
            << name;
      }
      backward_ops += name.rfind("gradients/", 0) == 0;
    }
  }
  EXPECT_GT(backward_ops, 0);
  auto frozen = Session::FromGraph(*std::move(head_only));
  auto all = Session::FromSpec(DeepDense(true));
  ASSERT_TRUE(frozen.ok() && all.ok());
  const std::vector<std::pair<std::string, Shape>> shapes = {{"x", {32, 3072}},
                                                             {"y", {32}}};
  auto frozen_bytes = (*frozen)->ArenaBytes("train", shapes);
  auto all_bytes = (*all)->ArenaBytes("train", shapes);
  auto infer_bytes = (*frozen)->ArenaBytes("infer", {{"x", {32, 3072}}});
  ASSERT_TRUE(frozen_bytes.ok() && all_bytes.ok() && infer_bytes.ok());
  std::cout << "deep dense [32,3072] -> 2048x3 -> 1280 -> 128 -> 5, adam: "
            << "train arena head-only " << *frozen_bytes << " B, all trainable "
            << *all_bytes << " B (" << double(*all_bytes) / *frozen_bytes
            << "x); infer arena " << *infer_bytes << " B" << std::endl;
  // Much smaller, and close to inference: no backbone activation is kept.
  EXPECT_LT(*frozen_bytes * 5, *all_bytes);
  EXPECT_LT(*frozen_bytes, *infer_bytes + (1u << 20));
  // Head-only training still works and leaves the backbone alone.
  const std::vector<float> x = Pseudo(4 * 3072, 5);
  const std::vector<int32_t> y = {0, 1, 2, 3};
  const std::vector<float> b2 = (*frozen)->Var("b2/kernel");
  auto r = (*frozen)->Run<int32_t>("train", x, {4, 3072}, y, {4});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*frozen)->Var("b2/kernel"), b2);
}

// A W4-like convolutional backbone on [B, 96, 96, 3] into 1280 features and
// the W3 head. Head-only needs no conv gradients; all-trainable does.
std::string ConvBackbone(bool backbone_trainable) {
  const std::string t = backbone_trainable ? "true" : "false";
  return absl::StrCat(R"({
    "inputs": [{"name": "x", "shape": [-1, 96, 96, 3]}],
    "layers": [
      {"type": "conv2d", "name": "c1", "filters": 16, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu6", "trainable": )",
                      t, R"(},
      {"type": "depthwise_conv2d", "name": "dw1", "kernel_size": 3, "padding": "same", "activation": "relu6", "trainable": )",
                      t, R"(},
      {"type": "conv2d", "name": "c2", "filters": 32, "kernel_size": 1, "activation": "relu6", "trainable": )",
                      t, R"(},
      {"type": "conv2d", "name": "c3", "filters": 64, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu6", "trainable": )",
                      t, R"(},
      {"type": "conv2d", "name": "c5", "filters": 96, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu6", "trainable": )",
                      t, R"(},
      {"type": "conv2d", "name": "c6", "filters": 160, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu6", "trainable": )",
                      t, R"(},
      {"type": "conv2d", "name": "c4", "filters": 1280, "kernel_size": 1, "activation": "relu6", "trainable": )",
                      t, R"(},
      {"type": "global_avg_pool", "name": "gap"},
      {"type": "dense", "name": "head_1", "units": 128, "activation": "relu"},
      {"type": "dense", "name": "head_2", "units": 5}
    ],
    "loss": {"type": "softmax_cross_entropy"},
    "optimizer": {"type": "adam"}})");
}

TEST(TrainingTest, ConvBackboneHeadOnlyArenaVersusAllTrainable) {
  auto frozen = Session::FromSpec(ConvBackbone(false));
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  const std::vector<std::pair<std::string, Shape>> shapes = {
      {"x", {16, 96, 96, 3}}, {"y", {16}}};
  auto frozen_bytes = (*frozen)->ArenaBytes("train", shapes);
  auto infer_bytes = (*frozen)->ArenaBytes("infer", {{"x", {16, 96, 96, 3}}});
  ASSERT_TRUE(frozen_bytes.ok()) << frozen_bytes.status();
  ASSERT_TRUE(infer_bytes.ok()) << infer_bytes.status();
  std::cout
      << "conv backbone [16,96,96,3] -> 6x6x1280 -> 128 -> 5, adam: train "
      << "arena head-only " << *frozen_bytes << " B (infer arena "
      << *infer_bytes << " B)" << std::endl;
  // Head-only training keeps no backbone activations: its arena is that of
  // inference plus little.
  EXPECT_LT(*frozen_bytes, *infer_bytes + (1u << 20));
  if (FindGradRule(OpCode::kConv2d) == nullptr ||
      FindGradRule(OpCode::kDepthwiseConv2d) == nullptr) {
    GTEST_SKIP() << "all-trainable needs the conv2d/depthwise gradient rules";
  }
  auto all = Session::FromSpec(ConvBackbone(true));
  ASSERT_TRUE(all.ok()) << all.status();
  auto all_bytes = (*all)->ArenaBytes("train", shapes);
  ASSERT_TRUE(all_bytes.ok()) << all_bytes.status();
  std::cout << "  all trainable " << *all_bytes << " B ("
            << double(*all_bytes) / *frozen_bytes << "x)" << std::endl;
  // Training the backbone keeps its activations for backward (measured
  // 27.1 MB vs 14.6 MB here; the head-only arena is dominated by the
  // backbone's own forward im2col scratch, which both share).
  EXPECT_GT(*all_bytes, *frozen_bytes * 3 / 2);
}

std::string WithUpdatesAtEnd(std::string spec, const std::string& optimizer) {
  const size_t at = spec.find(optimizer);
  EXPECT_NE(at, std::string::npos);
  spec.insert(at + optimizer.size() - 1, R"(, "updates_at_end": true)");
  return spec;
}

TEST(TrainingTest, InterleavedUpdatesNeedNoMoreArenaThanUpdatesAtEnd) {
  struct Workload {
    std::string file, optimizer;
    std::vector<std::pair<std::string, Shape>> shapes;
    bool needs_conv;
  };
  const std::vector<Workload> workloads = {
      {"w1_mlp.json",
       R"({"type": "adam", "learning_rate": 0.001})",
       {{"x", {64, 784}}, {"y", {64}}},
       false},
      {"w2_cnn.json",
       R"({"type": "sgd", "learning_rate": 0.01, "momentum": 0.9})",
       {{"x", {32, 28, 28, 1}}, {"y", {32}}},
       true},
  };
  for (const Workload& w : workloads) {
    if (w.needs_conv && (FindGradRule(OpCode::kConv2d) == nullptr ||
                         FindGradRule(OpCode::kMaxPool2d) == nullptr)) {
      std::cout << w.file << ": skipped (no conv2d/max_pool2d gradient rules)"
                << std::endl;
      continue;
    }
    const std::string spec = ReadSpec(w.file);
    auto interleaved = Session::FromSpec(spec);
    auto at_end = Session::FromSpec(WithUpdatesAtEnd(spec, w.optimizer));
    ASSERT_TRUE(interleaved.ok()) << interleaved.status();
    ASSERT_TRUE(at_end.ok()) << at_end.status();
    auto a = (*interleaved)->ArenaBytes("train", w.shapes);
    auto b = (*at_end)->ArenaBytes("train", w.shapes);
    ASSERT_TRUE(a.ok() && b.ok());
    std::cout << w.file << " train arena: updates interleaved " << *a
              << " B, updates at end " << *b << " B" << std::endl;
    EXPECT_LT(*a, *b) << w.file;
  }
}

TEST(TrainingTest, W2TrainsWhenConvGradientsExist) {
  if (FindGradRule(OpCode::kConv2d) == nullptr ||
      FindGradRule(OpCode::kMaxPool2d) == nullptr) {
    absl::StatusOr<Graph> g = CompileSpec(ReadSpec("w2_cnn.json"));
    ASSERT_FALSE(g.ok());
    EXPECT_EQ(g.status().code(), absl::StatusCode::kUnimplemented);
    GTEST_SKIP() << "no conv2d/max_pool2d gradient rule yet: " << g.status();
  }
  auto s = MustCompile(ReadSpec("w2_cnn.json"));
  ASSERT_NE(s, nullptr);
  Dataset d = Synthetic(64, 3);
  std::vector<int32_t> y(d.y.begin(), d.y.begin() + 32);
  std::vector<float> x(d.x.begin(), d.x.begin() + 32 * 784);
  float first = 0, last = 0;
  for (int step = 0; step < 20; ++step) {
    auto r = s->Run<int32_t>("train", x, {32, 28, 28, 1}, y, {32});
    ASSERT_TRUE(r.ok()) << r.status();
    if (step == 0) first = r->loss;
    last = r->loss;
  }
  EXPECT_LT(last, 0.5f * first);
}

// Regression: the fully_connected gradient rule and the fan-out sum held
// references into the builder's tensor list across op emission; when the
// list grew, a bias gradient lost its reduction axes (float32[1,3] for a
// [3] bias). Stacks of every depth cover many list capacities.
TEST(TrainingTest, DenseStacksOfEveryDepthHaveWellShapedGradients) {
  for (int depth = 1; depth <= 8; ++depth) {
    std::string layers;
    for (int i = 0; i < depth; ++i) {
      absl::StrAppend(&layers, i ? ", " : "",
                      R"({"type": "dense", "units": 3, "activation": "relu"})");
    }
    absl::StatusOr<Graph> g = CompileSpec(absl::StrCat(
        R"({"inputs": [{"name": "x", "shape": [-1, 4]}], "layers": [)", layers,
        R"(], "loss": {"type": "softmax_cross_entropy"},
            "optimizer": {"type": "sgd", "momentum": 0.9}})"));
    EXPECT_TRUE(g.ok()) << "depth " << depth << ": " << g.status();
  }
}

TEST(TrainingTest, ConfigErrors) {
  absl::StatusOr<Graph> forward = CompileSpec(R"({
    "inputs": [{"name": "x", "shape": [-1, 4]}],
    "layers": [{"type": "dense", "name": "d", "units": 2}]})");
  ASSERT_TRUE(forward.ok());
  TrainingConfig c;
  c.loss.label_smoothing = 1.5;
  EXPECT_THAT(AddTrainingSignatures(*forward, c).status().message(),
              HasSubstr("label_smoothing"));
  c = TrainingConfig();
  c.gradient_accumulation_steps = 0;
  EXPECT_EQ(AddTrainingSignatures(*forward, c).status().code(),
            absl::StatusCode::kInvalidArgument);
  c = TrainingConfig();
  absl::StatusOr<Graph> once = AddTrainingSignatures(*forward, c);
  ASSERT_TRUE(once.ok()) << once.status();
  EXPECT_THAT(AddTrainingSignatures(*once, c).status().message(),
              HasSubstr("already has a \"train\""));
  // Spec-level loss errors.
  for (const auto& [loss, message] :
       std::vector<std::pair<std::string, std::string>>{
           {R"({"type": "mse", "labels": "sparse"})",
            "softmax_cross_entropy only"},
           {R"({"type": "mse", "label_smoothing": 0.1})", "cross-entropy"},
           {R"({"type": "l1", "delta": 2})", "huber loss only"},
           {R"({"type": "softmax_cross_entropy", "from_logits": false})",
            "from_logits"},
           {R"({"type": "huber", "delta": 0})", "delta"},
           {R"({"type": "mse", "l2": -1})", "l2"}}) {
    absl::StatusOr<Graph> g = CompileSpec(absl::StrCat(R"({
      "inputs": [{"name": "x", "shape": [-1, 4]}],
      "layers": [{"type": "dense", "name": "d", "units": 2}],
      "optimizer": {"type": "sgd"}, "loss": )",
                                                       loss, "}"));
    ASSERT_FALSE(g.ok()) << loss;
    EXPECT_THAT(g.status().message(), HasSubstr(message)) << loss;
  }
}

}  // namespace
}  // namespace attune
