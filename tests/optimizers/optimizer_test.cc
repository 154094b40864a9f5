// The optimizer pass: configs, slot variables, and where updates go.
#include "optimizers/optimizer.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "builder/spec.h"
#include "engine/interpreter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace attune {
namespace {

using ::testing::HasSubstr;

std::string Mlp(const std::string& optimizer) {
  return absl::StrCat(R"({
    "inputs": [{"name": "x", "shape": [-1, 6]}],
    "layers": [
      {"type": "dense", "name": "d1", "units": 5, "activation": "relu"},
      {"type": "dense", "name": "d2", "units": 4, "activation": "tanh"},
      {"type": "dense", "name": "d3", "units": 3}
    ],
    "loss": {"type": "softmax_cross_entropy"},
    "optimizer": )",
                      optimizer, "}");
}

const VariableInfo* FindVariable(const Graph& g, absl::string_view name) {
  for (const VariableInfo& v : g.variables) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

int VariableIndex(const Graph& g, absl::string_view name) {
  for (size_t i = 0; i < g.variables.size(); ++i) {
    if (g.variables[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

// Node positions in the train subgraph.
struct Positions {
  std::vector<int> updates;  // per node index, the variable it updates
  int first_backward = -1;   // first node writing a "gradients/" tensor
  int last_backward = -1;
  std::vector<std::pair<int, int>> update_at;  // (node, variable)
};

Positions Scan(const Graph& g) {
  const Signature* train = g.FindSignature("train");
  EXPECT_NE(train, nullptr);
  const Subgraph& sg = g.subgraphs[train->subgraph];
  Positions p;
  for (int n = 0; n < static_cast<int>(sg.nodes.size()); ++n) {
    const Node& node = sg.nodes[n];
    switch (node.op) {
      case OpCode::kSgdUpdate:
      case OpCode::kAdamUpdate:
      case OpCode::kRmspropUpdate:
      case OpCode::kAdagradUpdate:
        p.update_at.emplace_back(
            n, static_cast<int>(*node.attrs.GetIntOr("variable", -1)));
        continue;
      default:
        break;
    }
    if (!node.outputs.empty() &&
        sg.tensors[node.outputs[0]].name.rfind("gradients/", 0) == 0) {
      if (p.first_backward < 0) p.first_backward = n;
      p.last_backward = n;
    }
  }
  return p;
}

TEST(OptimizerTest, SlotVariablesStepAndLearningRateAreNamedAsDocumented) {
  struct Case {
    std::string json;
    std::vector<std::string> slots;  // of d1/kernel
    std::vector<std::string> absent;
  };
  const std::vector<Case> cases = {
      {R"({"type": "sgd", "learning_rate": 0.1})",
       {},
       {"d1/kernel/sgd/momentum"}},
      {R"({"type": "sgd", "momentum": 0.9})", {"d1/kernel/sgd/momentum"}, {}},
      {R"({"type": "adam"})", {"d1/kernel/adam/m", "d1/kernel/adam/v"}, {}},
      {R"({"type": "adamw"})", {"d1/kernel/adamw/m", "d1/kernel/adamw/v"}, {}},
      {R"({"type": "rmsprop"})",
       {"d1/kernel/rmsprop/square_avg"},
       {"d1/kernel/rmsprop/momentum"}},
      {R"({"type": "rmsprop", "momentum": 0.5})",
       {"d1/kernel/rmsprop/square_avg", "d1/kernel/rmsprop/momentum"},
       {}},
      {R"({"type": "adagrad"})", {"d1/kernel/adagrad/sum"}, {}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Graph> g = CompileSpec(Mlp(c.json));
    ASSERT_TRUE(g.ok()) << g.status();
    for (const std::string& name : c.slots) {
      const VariableInfo* v = FindVariable(*g, name);
      ASSERT_NE(v, nullptr) << name;
      EXPECT_EQ(v->shape, Shape({6, 5})) << name;
      EXPECT_EQ(v->initializer, Initializer::kZeros);
      EXPECT_FALSE(v->trainable);
    }
    for (const std::string& name : c.absent) {
      EXPECT_EQ(FindVariable(*g, name), nullptr) << name;
    }
    const VariableInfo* step = FindVariable(*g, "optimizer/step");
    ASSERT_NE(step, nullptr);
    EXPECT_EQ(step->dtype, DType::kInt64);
    EXPECT_EQ(step->shape, Shape({}));
    const VariableInfo* lr = FindVariable(*g, "optimizer/learning_rate");
    ASSERT_NE(lr, nullptr);
    EXPECT_EQ(lr->dtype, DType::kFloat32);
    EXPECT_EQ(lr->shape, Shape({}));
  }
  // The learning rate variable starts at the config's value (PyTorch
  // default 1e-2 for rmsprop).
  absl::StatusOr<Graph> g = CompileSpec(Mlp(R"({"type": "rmsprop"})"));
  ASSERT_TRUE(g.ok());
  auto model = Model::FromGraph(*std::move(g));
  ASSERT_TRUE(model.ok());
  auto interp = Interpreter::Create(*model);
  ASSERT_TRUE(interp.ok());
  auto lr = (*interp)->variables().Get<float>("optimizer/learning_rate");
  ASSERT_TRUE(lr.ok());
  EXPECT_FLOAT_EQ((*lr)[0], 0.01f);
  auto step = (*interp)->variables().Get<int64_t>("optimizer/step");
  ASSERT_TRUE(step.ok());
  EXPECT_EQ((*step)[0], 0);
}

TEST(OptimizerTest, EachUpdateFollowsItsGradientByDefault) {
  absl::StatusOr<Graph> g = CompileSpec(Mlp(R"({"type": "adam"})"));
  ASSERT_TRUE(g.ok()) << g.status();
  Positions p = Scan(*g);
  ASSERT_EQ(p.update_at.size(), 6u);
  // d3 is differentiated first: its updates come before the backward ops
  // of d1, i.e. before the backward pass ends.
  const int d3_kernel = VariableIndex(*g, "d3/kernel");
  const int d1_kernel = VariableIndex(*g, "d1/kernel");
  int d3_at = -1, d1_at = -1;
  for (auto [node, var] : p.update_at) {
    if (var == d3_kernel) d3_at = node;
    if (var == d1_kernel) d1_at = node;
  }
  ASSERT_GE(d3_at, 0);
  ASSERT_GE(d1_at, 0);
  EXPECT_LT(d3_at, p.last_backward);
  EXPECT_LT(d3_at, d1_at);
}

TEST(OptimizerTest, UpdatesAtEndAndGlobalNormClippingDeferEveryUpdate) {
  for (const char* json : {R"({"type": "sgd", "updates_at_end": true})",
                           R"({"type": "sgd", "clip_global_norm": 1.0})"}) {
    absl::StatusOr<Graph> g = CompileSpec(Mlp(json));
    ASSERT_TRUE(g.ok()) << g.status();
    Positions p = Scan(*g);
    ASSERT_EQ(p.update_at.size(), 6u) << json;
    for (auto [node, var] : p.update_at) {
      EXPECT_GT(node, p.last_backward) << json;
    }
  }
}

TEST(OptimizerTest, ConfigValidation) {
  OptimizerConfig c = DefaultOptimizerConfig(OptimizerType::kSgd);
  EXPECT_TRUE(ValidateOptimizerConfig(c).ok());
  c.nesterov = true;
  EXPECT_THAT(ValidateOptimizerConfig(c).message(), HasSubstr("nesterov"));
  c.momentum = 0.9;
  EXPECT_TRUE(ValidateOptimizerConfig(c).ok());
  c.dampening = 0.1;
  EXPECT_EQ(ValidateOptimizerConfig(c).code(),
            absl::StatusCode::kInvalidArgument);
  c = DefaultOptimizerConfig(OptimizerType::kAdam);
  c.beta1 = 1.0;
  EXPECT_THAT(ValidateOptimizerConfig(c).message(), HasSubstr("beta1"));
  c = DefaultOptimizerConfig(OptimizerType::kAdam);
  c.learning_rate = -1;
  EXPECT_THAT(ValidateOptimizerConfig(c).message(), HasSubstr("learning_rate"));
  EXPECT_EQ(DefaultOptimizerConfig(OptimizerType::kAdamW).weight_decay, 1e-2);
  EXPECT_EQ(DefaultOptimizerConfig(OptimizerType::kAdagrad).eps, 1e-10);
  EXPECT_EQ(ParseOptimizerType("lamb").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*ParseOptimizerType("adamw"), OptimizerType::kAdamW);
  // Spec-level errors name the field.
  absl::StatusOr<Graph> g =
      CompileSpec(Mlp(R"({"type": "sgd", "nesterov": true})"));
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(g.status().message(), HasSubstr("nesterov"));
  g = CompileSpec(Mlp(R"({"type": "adam", "betas": [0.9, 0.99]})"));
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(g.status().message(), HasSubstr("\"betas\": unknown field"));
}

TEST(OptimizerTest, StepProtocolErrors) {
  ModelBuilder b("protocol");
  b.AddVariable({"w", DType::kFloat32, {2}, Initializer::kZeros, -1, 0, true});
  auto opt =
      Optimizer::Create(b, DefaultOptimizerConfig(OptimizerType::kSgd), {0});
  ASSERT_TRUE(opt.ok()) << opt.status();
  const int g = b.Input("g", DType::kFloat32, {2});
  EXPECT_EQ((*opt)->AddGradient(b, 0, g).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*opt)->BeginStep(b).ok());
  EXPECT_EQ((*opt)->BeginStep(b).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE((*opt)->AddGradient(b, 0, g).ok());
  EXPECT_EQ((*opt)->AddGradient(b, 0, g).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*opt)->AddGradient(b, 1, g).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE((*opt)->FinishStep(b).ok());
  // A second optimizer on the same graph collides on its variable names.
  auto again =
      Optimizer::Create(b, DefaultOptimizerConfig(OptimizerType::kSgd), {0});
  EXPECT_THAT(again.status().message(), HasSubstr("optimizer/step"));
  auto bad =
      Optimizer::Create(b, DefaultOptimizerConfig(OptimizerType::kSgd), {7});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
