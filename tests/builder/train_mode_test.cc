// Training-mode layers in compiled specs: batch_norm uses batch statistics
// and updates its moving statistics in train/accumulate only; dropout masks
// in train only, reproducibly.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "builder/spec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/builder/train_util.h"

namespace attune {
namespace {

using ::attune::testing::Pseudo;
using ::attune::testing::Session;
using ::attune::testing::StepResult;

std::unique_ptr<Session> MustCompile(const std::string& spec) {
  auto s = Session::FromSpec(spec);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

int64_t Counter(Session& s) {
  absl::StatusOr<absl::Span<const int64_t>> c =
      s.variables().Get<int64_t>("random/counter");
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? (*c)[0] : -1;
}

// ---- batch_norm
// ---------------------------------------------------------------

// One batch_norm on NHWC [B, 2, 2, 3]: the logits are its output, so the mse
// loss against y shows the normalization itself.
constexpr char kBatchNormSpec[] = R"({
  "name": "bn_only",
  "inputs": [{"name": "x", "shape": [-1, 2, 2, 3]}],
  "layers": [{"type": "batch_norm", "name": "bn", "momentum": 0.9,
              "epsilon": 0.01}],
  "loss": {"type": "mse"},
  "optimizer": {"type": "sgd", "learning_rate": 0.0},
  "gradient_accumulation_steps": 2,
  "seed": 1
})";

struct BatchNormRef {
  std::vector<double> out;   // normalized with the given statistics
  std::vector<double> mean;  // batch mean per channel
  std::vector<double> var;   // biased batch variance per channel
};

// Double-precision batch_norm over all axes but the last (C channels).
// With `moving_*` non-empty, normalizes with those instead of the batch's.
BatchNormRef Reference(const std::vector<float>& x, int c,
                       const std::vector<float>& gamma,
                       const std::vector<float>& beta, double eps,
                       const std::vector<float>& moving_mean = {},
                       const std::vector<float>& moving_var = {}) {
  const size_t rows = x.size() / c;
  BatchNormRef r;
  r.mean.assign(c, 0);
  r.var.assign(c, 0);
  for (size_t i = 0; i < x.size(); ++i) r.mean[i % c] += x[i];
  for (double& m : r.mean) m /= rows;
  for (size_t i = 0; i < x.size(); ++i) {
    const double d = x[i] - r.mean[i % c];
    r.var[i % c] += d * d;
  }
  for (double& v : r.var) v /= rows;
  for (size_t i = 0; i < x.size(); ++i) {
    const int ch = static_cast<int>(i % c);
    const double m = moving_mean.empty() ? r.mean[ch] : moving_mean[ch];
    const double v = moving_var.empty() ? r.var[ch] : moving_var[ch];
    r.out.push_back((x[i] - m) / std::sqrt(v + eps) * gamma[ch] + beta[ch]);
  }
  return r;
}

TEST(TrainModeTest, BatchNormTrainsOnBatchStatisticsAndUpdatesMovingOnes) {
  auto s = MustCompile(kBatchNormSpec);
  ASSERT_NE(s, nullptr);
  const std::vector<float> gamma = {1.5f, 0.5f, -2.0f};
  const std::vector<float> beta = {0.25f, -1.0f, 0.0f};
  const std::vector<float> mm = {0.1f, -0.2f, 0.3f};
  const std::vector<float> mv = {1.2f, 0.8f, 2.0f};
  s->SetVar("bn/gamma", gamma);
  s->SetVar("bn/beta", beta);
  s->SetVar("bn/moving_mean", mm);
  s->SetVar("bn/moving_variance", mv);
  const Shape shape = {4, 2, 2, 3};
  std::vector<float> x = Pseudo(48, 3, -2, 3);
  for (size_t i = 2; i < x.size(); i += 3) x[i] = 5 + 4 * x[i];  // offset
  const std::vector<float> y = Pseudo(48, 4);
  const double eps = 0.01;

  // eval: moving statistics; writes nothing.
  const BatchNormRef inf = Reference(x, 3, gamma, beta, eps, mm, mv);
  double eval_loss = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    eval_loss += (inf.out[i] - y[i]) * (inf.out[i] - y[i]) / y.size();
  }
  absl::StatusOr<StepResult> e = s->Run<float>("eval", x, shape, y, shape);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_NEAR(e->loss, eval_loss, 1e-5 * eval_loss);
  EXPECT_EQ(s->Var("bn/moving_mean"), mm);
  EXPECT_EQ(s->Var("bn/moving_variance"), mv);
  absl::StatusOr<std::vector<float>> before = s->Infer(x, shape);
  ASSERT_TRUE(before.ok()) << before.status();
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR((*before)[i], inf.out[i], 1e-5 * (1 + std::fabs(inf.out[i])));
  }

  // train: batch statistics in the loss (float32 vs double: relative 1e-5),
  // then moving = moving * 0.9 + batch * 0.1.
  const BatchNormRef bn = Reference(x, 3, gamma, beta, eps);
  double train_loss = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    train_loss += (bn.out[i] - y[i]) * (bn.out[i] - y[i]) / y.size();
  }
  absl::StatusOr<StepResult> t = s->Run<float>("train", x, shape, y, shape);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_NEAR(t->loss, train_loss, 1e-5 * train_loss);
  EXPECT_GT(std::fabs(train_loss - eval_loss), 0.1);  // the paths differ
  const std::vector<float> new_mm = s->Var("bn/moving_mean");
  const std::vector<float> new_mv = s->Var("bn/moving_variance");
  ASSERT_EQ(new_mm.size(), 3u);
  ASSERT_EQ(new_mv.size(), 3u);
  for (int c = 0; c < 3; ++c) {
    const double want_mean = mm[c] * 0.9 + bn.mean[c] * 0.1;
    const double want_var = mv[c] * 0.9 + bn.var[c] * 0.1;
    EXPECT_NEAR(new_mm[c], want_mean, 1e-5 * (1 + std::fabs(want_mean))) << c;
    EXPECT_NEAR(new_mv[c], want_var, 1e-5 * (1 + want_var)) << c;
  }
  // lr 0: gamma and beta stay.
  EXPECT_EQ(s->Var("bn/gamma"), gamma);
  EXPECT_EQ(s->Var("bn/beta"), beta);

  // infer now normalizes with the updated moving statistics.
  const BatchNormRef after = Reference(x, 3, gamma, beta, eps, new_mm, new_mv);
  absl::StatusOr<std::vector<float>> out = s->Infer(x, shape);
  ASSERT_TRUE(out.ok()) << out.status();
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR((*out)[i], after.out[i], 1e-5 * (1 + std::fabs(after.out[i])));
  }

  // accumulate updates the moving statistics too; apply_gradients does not.
  ASSERT_TRUE(s->Run<float>("accumulate", x, shape, y, shape).ok());
  for (int c = 0; c < 3; ++c) {
    const double want = new_mm[c] * 0.9 + bn.mean[c] * 0.1;
    EXPECT_NEAR(s->Var("bn/moving_mean")[c], want,
                1e-5 * (1 + std::fabs(want)));
  }
  const std::vector<float> accumulated = s->Var("bn/moving_mean");
  ASSERT_TRUE(s->Invoke("apply_gradients").ok());
  EXPECT_EQ(s->Var("bn/moving_mean"), accumulated);
}

TEST(TrainModeTest, FrozenBatchNormRunsInInferenceModeWhileTraining) {
  std::string spec = absl::StrReplaceAll(
      kBatchNormSpec, {{R"("epsilon": 0.01})",
                        R"("epsilon": 0.01, "trainable": false},
              {"type": "dense", "name": "head", "units": 2})"}});
  auto s = MustCompile(spec);
  ASSERT_NE(s, nullptr);
  const Shape shape = {4, 2, 2, 3};
  const std::vector<float> x = Pseudo(48, 5);
  const std::vector<float> y = Pseudo(32, 6);
  absl::StatusOr<StepResult> e =
      s->Run<float>("eval", x, shape, y, {4, 2, 2, 2});
  absl::StatusOr<StepResult> t =
      s->Run<float>("train", x, shape, y, {4, 2, 2, 2});
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_FLOAT_EQ(t->loss, e->loss);
  EXPECT_EQ(s->Var("bn/moving_mean"), std::vector<float>(3, 0.0f));
  EXPECT_EQ(s->Var("bn/moving_variance"), std::vector<float>(3, 1.0f));
}

// Central differences of the train signature's loss (which uses batch
// statistics) against SGD's step: with lr 1 and no momentum, one train call
// moves each trainable variable by exactly -gradient. The loss is float32
// of order 1: eps 1e-2 keeps rounding (~1e-5) and truncation (~eps^2)
// small; tolerance 2e-3 + 2e-2 relative.
TEST(TrainModeTest, BatchNormGradientsMatchFiniteDifferences) {
  const std::string spec = R"({
    "name": "bn_mlp",
    "inputs": [{"name": "x", "shape": [-1, 3]}],
    "layers": [
      {"type": "dense", "name": "d1", "units": 4},
      {"type": "batch_norm", "name": "bn"},
      {"type": "dense", "name": "d2", "units": 2, "activation": "tanh"}
    ],
    "loss": {"type": "mse"},
    "optimizer": {"type": "sgd", "learning_rate": 1.0},
    "seed": 7
  })";
  const std::vector<std::string> names = {"d1/kernel", "d1/bias",   "bn/gamma",
                                          "bn/beta",   "d2/kernel", "d2/bias"};
  const Shape xs = {5, 3};
  const Shape ys = {5, 2};
  const std::vector<float> x = Pseudo(15, 8, -2, 2);
  const std::vector<float> y = Pseudo(10, 9);

  auto analytic = MustCompile(spec);
  ASSERT_NE(analytic, nullptr);
  std::vector<std::vector<float>> w0;
  for (const std::string& n : names) w0.push_back(analytic->Var(n));
  analytic->SetVar("bn/gamma", {1.2f, 0.7f, -0.9f, 1.1f});
  analytic->SetVar("bn/beta", {0.1f, -0.3f, 0.2f, 0.0f});
  w0[2] = analytic->Var("bn/gamma");
  w0[3] = analytic->Var("bn/beta");
  ASSERT_TRUE(analytic->Run<float>("train", x, xs, y, ys).ok());

  auto numeric = MustCompile(spec);
  ASSERT_NE(numeric, nullptr);
  numeric->SetVar("optimizer/learning_rate", {0.0f});
  for (size_t v = 0; v < names.size(); ++v) numeric->SetVar(names[v], w0[v]);
  const double eps = 1e-2;
  int checked = 0;
  for (size_t v = 0; v < names.size(); ++v) {
    const std::vector<float> w1 = analytic->Var(names[v]);
    for (size_t i = 0; i < w0[v].size(); ++i) {
      std::vector<float> w = w0[v];
      double loss[2];
      for (int side = 0; side < 2; ++side) {
        w[i] = static_cast<float>(w0[v][i] + (side == 0 ? eps : -eps));
        numeric->SetVar(names[v], w);
        absl::StatusOr<StepResult> r =
            numeric->Run<float>("train", x, xs, y, ys);
        ASSERT_TRUE(r.ok()) << r.status();
        loss[side] = r->loss;
      }
      numeric->SetVar(names[v], w0[v]);
      const double fd = (loss[0] - loss[1]) / (2 * eps);
      const double grad = static_cast<double>(w0[v][i]) - w1[i];
      EXPECT_NEAR(grad, fd, 2e-3 + 2e-2 * std::fabs(fd))
          << names[v] << "[" << i << "]";
      ++checked;
    }
  }
  EXPECT_EQ(checked, 12 + 4 + 4 + 4 + 8 + 2);
}

// ---- dropout ----------------------------------------------------------------

// identity dense layer -> dropout: with x = ones, batch 1 and y = 0, the
// train logits are the mask m, loss = mean(m^2), and one SGD step with lr 1
// sets bias_j = -2/N m_j^2 (zero exactly where dropped).
constexpr int kUnits = 1000;
constexpr double kRate = 0.4;
const std::string& DropoutSpec() {
  static const std::string spec = absl::StrCat(R"({
    "name": "dropout",
    "inputs": [{"name": "x", "shape": [-1, 1000]}],
    "layers": [
      {"type": "dense", "name": "d", "units": 1000},
      {"type": "dropout", "name": "drop", "rate": 0.4}
    ],
    "loss": {"type": "mse"},
    "optimizer": {"type": "sgd", "learning_rate": 1.0},
    "seed": 3
  })");
  return spec;
}

void MakeIdentity(Session& s) {
  std::vector<float> k(kUnits * kUnits, 0.0f);
  for (int i = 0; i < kUnits; ++i) k[i * kUnits + i] = 1;
  s.SetVar("d/kernel", k);
  s.SetVar("d/bias", std::vector<float>(kUnits, 0.0f));
}

// One train step from identity weights; returns the mask it used (0 or
// 1/(1-rate) per element) and checks the loss and the per-element update.
std::vector<float> TrainMask(Session& s) {
  MakeIdentity(s);
  const std::vector<float> x(kUnits, 1.0f);
  const std::vector<float> y(kUnits, 0.0f);
  absl::StatusOr<StepResult> r =
      s.Run<float>("train", x, {1, kUnits}, y, {1, kUnits});
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {};
  const float scale = static_cast<float>(1 / (1 - kRate));
  const std::vector<float> bias = s.Var("d/bias");
  const std::vector<float> kernel = s.Var("d/kernel");
  std::vector<float> mask;
  double sum_sq = 0;
  for (int j = 0; j < kUnits; ++j) {
    const float want_kept = -2.0f / kUnits * scale * scale;
    const bool kept = std::fabs(bias[j] - want_kept) < 1e-6f;
    EXPECT_TRUE(kept || bias[j] == 0.0f) << j << ": " << bias[j];
    mask.push_back(kept ? scale : 0.0f);
    sum_sq += kept ? scale * scale : 0.0;
    // Kernel column j moved only if j was kept (x = ones feeds every row).
    EXPECT_EQ(kernel[5 * kUnits + j] != (j == 5 ? 1.0f : 0.0f), kept) << j;
  }
  EXPECT_NEAR(r->loss, sum_sq / kUnits, 1e-4);
  return mask;
}

TEST(TrainModeTest, DropoutMasksOnlyInTrainAndReproducibly) {
  auto s = MustCompile(DropoutSpec());
  ASSERT_NE(s, nullptr);
  MakeIdentity(*s);
  const std::vector<float> x = Pseudo(2 * kUnits, 1);
  // infer and eval: the identity.
  absl::StatusOr<std::vector<float>> inf = s->Infer(x, {2, kUnits});
  ASSERT_TRUE(inf.ok()) << inf.status();
  EXPECT_EQ(*inf, x);
  absl::StatusOr<StepResult> e =
      s->Run<float>("eval", x, {2, kUnits}, x, {2, kUnits});
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_FLOAT_EQ(e->loss, 0.0f);
  EXPECT_EQ(Counter(*s), 0);

  const std::vector<float> m1 = TrainMask(*s);
  const std::vector<float> m2 = TrainMask(*s);
  ASSERT_EQ(m1.size(), static_cast<size_t>(kUnits));
  EXPECT_EQ(Counter(*s), 2);
  EXPECT_NE(m1, m2);  // a new mask every step
  // Dropped count ~ Binomial(1000, 0.4): sigma 15.5, bound 6 sigma.
  for (const std::vector<float>* m : {&m1, &m2}) {
    int dropped = 0;
    for (float v : *m) dropped += v == 0.0f;
    EXPECT_NEAR(dropped, kUnits * kRate, 93);
  }
  // eval and infer neither mask nor advance the counter.
  ASSERT_TRUE(s->Run<float>("eval", x, {2, kUnits}, x, {2, kUnits}).ok());
  EXPECT_EQ(Counter(*s), 2);

  // A re-created interpreter (same model, counter from 0) repeats them.
  auto again = MustCompile(DropoutSpec());
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(TrainMask(*again), m1);
  EXPECT_EQ(TrainMask(*again), m2);
}

absl::Status RunPath(Session& s, const std::string& key,
                     const std::string& path) {
  absl::StatusOr<SignatureRunner*> r = s.interpreter->GetSignatureRunner(key);
  if (!r.ok()) return r.status();
  if (auto st = (*r)->AllocateTensors(); !st.ok()) return st;
  if (auto st = (*r)->SetInputString("path", path); !st.ok()) return st;
  return (*r)->Invoke();
}

// The dropout counter is a variable like the others: a checkpoint saves
// and restores it, so a restored run draws the masks it would have drawn.
TEST(TrainModeTest, CheckpointRestoresTheDropoutCounter) {
  const std::string db = ::testing::TempDir() + "/train_mode_counter.db";
  std::remove(db.c_str());
  auto s = MustCompile(DropoutSpec());
  ASSERT_NE(s, nullptr);
  TrainMask(*s);
  ASSERT_TRUE(RunPath(*s, "save", db).ok());
  const std::vector<float> next = TrainMask(*s);
  EXPECT_EQ(Counter(*s), 2);
  ASSERT_TRUE(RunPath(*s, "restore", db).ok());
  EXPECT_EQ(Counter(*s), 1);
  EXPECT_EQ(TrainMask(*s), next);
  std::remove(db.c_str());
}

TEST(TrainModeTest, NoTrainingPathWithoutTrainingOrForRateZero) {
  // Infer-only specs and rate-0 dropout build no training copy.
  for (const std::string& spec :
       {absl::StrReplaceAll(
            DropoutSpec(),
            {{R"("optimizer": {"type": "sgd", "learning_rate": 1.0},)", ""}}),
        absl::StrReplaceAll(DropoutSpec(),
                            {{R"("rate": 0.4)", R"("rate": 0)"}})}) {
    absl::StatusOr<Graph> g = CompileSpec(spec);
    ASSERT_TRUE(g.ok()) << g.status();
    for (const VariableInfo& v : g->variables) {
      EXPECT_NE(v.name, "random/counter");
    }
    for (const TensorInfo& t : g->subgraphs[0].tensors) {
      EXPECT_EQ(t.name.find("/train"), std::string::npos) << t.name;
    }
  }
}

// ---- a W2-like convnet ------------------------------------------------------

TEST(TrainModeTest, ConvNetWithBatchNormAndDropoutLearns) {
  const std::string spec = R"({
    "name": "cnn_bn",
    "inputs": [{"name": "x", "shape": [-1, 8, 8, 1]}],
    "layers": [
      {"type": "conv2d", "name": "c1", "filters": 4, "kernel_size": 3,
       "padding": "same"},
      {"type": "batch_norm", "name": "bn1"},
      {"type": "relu", "name": "r1"},
      {"type": "max_pool2d", "name": "p1"},
      {"type": "flatten", "name": "f"},
      {"type": "dropout", "name": "drop", "rate": 0.25},
      {"type": "dense", "name": "d1", "units": 16, "activation": "relu"},
      {"type": "dense", "name": "out", "units": 4}
    ],
    "loss": {"type": "softmax_cross_entropy", "labels": "sparse"},
    "optimizer": {"type": "sgd", "momentum": 0.9, "learning_rate": 0.02},
    "seed": 2
  })";
  auto s = MustCompile(spec);
  ASSERT_NE(s, nullptr);
  // Class k: quadrant k is bright, plus noise.
  const int batch = 16;
  std::vector<float> x(batch * 64);
  std::vector<int32_t> y(batch);
  double first = 0, last = 0;
  const int steps = 60;
  for (int step = 0; step < steps; ++step) {
    const std::vector<float> noise = Pseudo(batch * 64, 100 + step, 0, 0.5f);
    for (int b = 0; b < batch; ++b) {
      y[b] = (b + step) % 4;
      for (int i = 0; i < 64; ++i) {
        const int q = (i / 8 >= 4) * 2 + (i % 8 >= 4);
        x[b * 64 + i] = noise[b * 64 + i] + (q == y[b] ? 1.0f : 0.0f);
      }
    }
    absl::StatusOr<StepResult> r =
        s->Run<int32_t>("train", x, {batch, 8, 8, 1}, y, {batch});
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(std::isfinite(r->loss));
    if (step < 5) first += r->loss / 5;
    if (step >= steps - 5) last += r->loss / 5;
  }
  std::cout << "cnn_bn: mean loss of steps 1-5 " << first << ", of steps 56-60 "
            << last << std::endl;
  EXPECT_LT(last, 0.5 * first) << first << " -> " << last;
  // The moving statistics followed the batches; eval on the last batch is
  // accurate with them.
  EXPECT_NE(s->Var("bn1/moving_mean"), std::vector<float>(4, 0.0f));
  absl::StatusOr<StepResult> e =
      s->Run<int32_t>("eval", x, {batch, 8, 8, 1}, y, {batch});
  ASSERT_TRUE(e.ok()) << e.status();
  std::cout << "cnn_bn: eval on the last batch: loss " << e->loss
            << ", accuracy " << e->accuracy << std::endl;
  EXPECT_GE(e->accuracy, 0.75f) << e->loss;
}

}  // namespace
}  // namespace attune
