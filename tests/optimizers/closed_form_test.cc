// Each optimizer through a compiled `train` signature on a tiny linear
// model (dense 3 -> 2, mse) against a double-precision reference of
// PyTorch's torch.optim update rules, over 3 steps.
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/builder/train_util.h"

namespace attune {
namespace {

using ::attune::testing::Session;

constexpr int kBatch = 4, kIn = 3, kOut = 2;

struct Hyper {
  std::string name;  // test label
  std::string json;  // the spec's "optimizer" object
  std::string type;  // sgd, adam, adamw, rmsprop, adagrad
  double lr = 0, momentum = 0, dampening = 0, wd = 0;
  bool nesterov = false;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, alpha = 0.99;
};

// One parameter tensor's optimizer state in double precision.
struct RefState {
  std::vector<double> p, s0, s1;
};

// PyTorch's update for one tensor (docs: pytorch.org/docs/stable/optim.html).
void RefUpdate(const Hyper& h, int step, const std::vector<double>& grad,
               RefState& st) {
  const size_t n = grad.size();
  if (st.s0.empty()) st.s0.assign(n, 0.0), st.s1.assign(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    double& p = st.p[i];
    double g = grad[i];
    if (h.type == "sgd") {
      g += h.wd * p;
      if (h.momentum != 0) {
        st.s0[i] =
            step == 1 ? g : h.momentum * st.s0[i] + (1 - h.dampening) * g;
        g = h.nesterov ? g + h.momentum * st.s0[i] : st.s0[i];
      }
      p -= h.lr * g;
    } else if (h.type == "adam" || h.type == "adamw") {
      if (h.type == "adamw") {
        p *= 1 - h.lr * h.wd;
      } else {
        g += h.wd * p;
      }
      st.s0[i] = h.beta1 * st.s0[i] + (1 - h.beta1) * g;
      st.s1[i] = h.beta2 * st.s1[i] + (1 - h.beta2) * g * g;
      const double m_hat = st.s0[i] / (1 - std::pow(h.beta1, step));
      const double v_hat_sqrt =
          std::sqrt(st.s1[i]) / std::sqrt(1 - std::pow(h.beta2, step));
      p -= h.lr * m_hat / (v_hat_sqrt + h.eps);
    } else if (h.type == "rmsprop") {
      g += h.wd * p;
      st.s0[i] = h.alpha * st.s0[i] + (1 - h.alpha) * g * g;
      const double avg = std::sqrt(st.s0[i]) + h.eps;
      if (h.momentum != 0) {
        st.s1[i] = h.momentum * st.s1[i] + g / avg;
        p -= h.lr * st.s1[i];
      } else {
        p -= h.lr * g / avg;
      }
    } else {  // adagrad
      g += h.wd * p;
      st.s0[i] += g * g;
      p -= h.lr * g / (std::sqrt(st.s0[i]) + h.eps);
    }
  }
}

std::string Spec(const std::string& optimizer) {
  return absl::StrCat(R"({
    "inputs": [{"name": "x", "shape": [-1, 3]}],
    "layers": [{"type": "dense", "name": "lin", "units": 2}],
    "loss": {"type": "mse"},
    "optimizer": )",
                      optimizer, "}");
}

class ClosedFormTest : public ::testing::TestWithParam<Hyper> {};

TEST_P(ClosedFormTest, ThreeStepsMatchTheReference) {
  const Hyper& h = GetParam();
  auto session = Session::FromSpec(Spec(h.json));
  ASSERT_TRUE(session.ok()) << session.status();
  Session& s = **session;
  const std::vector<float> w0 = {0.5f, -0.3f, 0.2f, 0.8f, -0.6f, 0.1f};
  const std::vector<float> b0 = {0.05f, -0.2f};
  s.SetVar("lin/kernel", w0);
  s.SetVar("lin/bias", b0);
  const std::vector<float> x = {1.0f,  2.0f, -1.0f, 0.5f, -0.5f, 1.5f,
                                -2.0f, 0.3f, 0.7f,  1.2f, 1.1f,  -0.4f};
  const std::vector<float> y = {1.0f,  -1.0f, 0.5f, 2.0f,
                                -0.3f, 0.2f,  0.0f, 1.5f};

  RefState w{std::vector<double>(w0.begin(), w0.end()), {}, {}};
  RefState b{std::vector<double>(b0.begin(), b0.end()), {}, {}};
  for (int step = 1; step <= 3; ++step) {
    // Reference loss and gradients: L = mean((x W + b - y)^2).
    std::vector<double> gw(kIn * kOut, 0.0), gb(kOut, 0.0);
    double loss = 0;
    for (int r = 0; r < kBatch; ++r) {
      for (int j = 0; j < kOut; ++j) {
        double pred = b.p[j];
        for (int k = 0; k < kIn; ++k)
          pred += x[r * kIn + k] * w.p[k * kOut + j];
        const double d = pred - y[r * kOut + j];
        loss += d * d / (kBatch * kOut);
        const double dp = 2 * d / (kBatch * kOut);
        gb[j] += dp;
        for (int k = 0; k < kIn; ++k) gw[k * kOut + j] += x[r * kIn + k] * dp;
      }
    }
    auto result = s.Run<float>("train", x, {kBatch, kIn}, y, {kBatch, kOut});
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_NEAR(result->loss, loss, 1e-5 * (1 + loss)) << "step " << step;
    RefUpdate(h, step, gw, w);
    RefUpdate(h, step, gb, b);
    const std::vector<float> got_w = s.Var("lin/kernel");
    const std::vector<float> got_b = s.Var("lin/bias");
    // float32 arithmetic against double: 2e-6 absolute on O(1) values.
    for (size_t i = 0; i < got_w.size(); ++i) {
      EXPECT_NEAR(got_w[i], w.p[i], 2e-6)
          << "kernel[" << i << "] step " << step;
    }
    for (size_t i = 0; i < got_b.size(); ++i) {
      EXPECT_NEAR(got_b[i], b.p[i], 2e-6) << "bias[" << i << "] step " << step;
    }
  }
  // The step counter and the first slot follow the reference too.
  absl::StatusOr<absl::Span<const int64_t>> step =
      s.variables().Get<int64_t>("optimizer/step");
  ASSERT_TRUE(step.ok()) << step.status();
  EXPECT_EQ((*step)[0], 3);
  const std::string slot0 = h.type == "sgd"       ? "momentum"
                            : h.type == "rmsprop" ? "square_avg"
                            : h.type == "adagrad" ? "sum"
                                                  : "m";
  if (h.type != "sgd" || h.momentum != 0) {
    const std::vector<float> got =
        s.Var(absl::StrCat("lin/kernel/", h.type, "/", slot0));
    ASSERT_EQ(got.size(), w.s0.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i], w.s0[i], 2e-6 * (1 + std::fabs(w.s0[i]))) << i;
    }
  }
}

Hyper Make(std::string name, std::string json, std::string type) {
  Hyper h;
  h.name = std::move(name);
  h.json = std::move(json);
  h.type = std::move(type);
  return h;
}

std::vector<Hyper> Cases() {
  std::vector<Hyper> c;
  Hyper h = Make("Sgd", R"({"type": "sgd", "learning_rate": 0.1})", "sgd");
  h.lr = 0.1;
  c.push_back(h);
  h = Make("SgdMomentumDampeningWeightDecay",
           R"({"type": "sgd", "learning_rate": 0.05, "momentum": 0.9,
               "dampening": 0.1, "weight_decay": 0.01})",
           "sgd");
  h.lr = 0.05, h.momentum = 0.9, h.dampening = 0.1, h.wd = 0.01;
  c.push_back(h);
  h = Make("SgdNesterov",
           R"({"type": "sgd", "learning_rate": 0.05, "momentum": 0.8,
               "nesterov": true, "weight_decay": 0.02})",
           "sgd");
  h.lr = 0.05, h.momentum = 0.8, h.nesterov = true, h.wd = 0.02;
  c.push_back(h);
  h = Make("Adam", R"({"type": "adam", "learning_rate": 0.01})", "adam");
  h.lr = 0.01;
  c.push_back(h);
  h = Make("AdamWeightDecayAndBetas",
           R"({"type": "adam", "learning_rate": 0.02, "beta1": 0.8,
               "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.05})",
           "adam");
  h.lr = 0.02, h.beta1 = 0.8, h.beta2 = 0.99, h.eps = 1e-6, h.wd = 0.05;
  c.push_back(h);
  // AdamW's default weight decay is PyTorch's 1e-2.
  h = Make("AdamW", R"({"type": "adamw", "learning_rate": 0.01})", "adamw");
  h.lr = 0.01, h.wd = 0.01;
  c.push_back(h);
  h = Make("Rmsprop", R"({"type": "rmsprop", "learning_rate": 0.01,
                          "alpha": 0.9})",
           "rmsprop");
  h.lr = 0.01, h.alpha = 0.9;
  c.push_back(h);
  h = Make("RmspropMomentumWeightDecay",
           R"({"type": "rmsprop", "learning_rate": 0.01, "momentum": 0.5,
               "weight_decay": 0.01})",
           "rmsprop");
  h.lr = 0.01, h.momentum = 0.5, h.wd = 0.01;
  c.push_back(h);
  h = Make("Adagrad", R"({"type": "adagrad", "learning_rate": 0.1,
                          "weight_decay": 0.01})",
           "adagrad");
  h.lr = 0.1, h.wd = 0.01, h.eps = 1e-10;
  c.push_back(h);
  return c;
}

INSTANTIATE_TEST_SUITE_P(Optimizers, ClosedFormTest,
                         ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Hyper>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace attune
