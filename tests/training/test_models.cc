#include "tests/training/test_models.h"

#include <vector>

#include "autodiff/gradients.h"
#include "builder/model_builder.h"
#include "engine/status_macros.h"

namespace attune {
namespace testing {
namespace {

Attributes Var(int index) { return Attributes().SetInt("variable", index); }

constexpr int kKernel = 0;
constexpr int kBias = 1;
constexpr int kLearningRate = 2;
constexpr int kStep = 3;
constexpr int kAccumKernel = 4;
constexpr int kAccumBias = 5;
constexpr int kAccumCount = 6;

struct Forward {
  int x, y, w, b, logits, loss, accuracy;
};

Forward AddForward(ModelBuilder& m, const ClassifierOptions& o) {
  Forward f;
  f.x = m.Input("x", DType::kFloat32, {-1, o.features});
  f.y = m.Input("y", DType::kInt32, {-1});
  f.w = m.Op1(OpCode::kReadVariable, {}, Var(kKernel), "w");
  f.b = m.Op1(OpCode::kReadVariable, {}, Var(kBias), "b");
  f.logits = m.Op1(OpCode::kFullyConnected, {f.x, f.w, f.b}, {}, "logits");
  const std::vector<int> ce =
      m.Op(OpCode::kSparseSoftmaxCrossEntropy, {f.logits, f.y}, {}, 2, "ce");
  f.loss = m.Op1(OpCode::kMean, {ce[0]}, {}, "loss");
  const int predicted =
      m.Op1(OpCode::kArgMax, {f.logits},
            Attributes().SetInt("axis", -1).SetString("output_type", "int32"));
  const int correct = m.Op1(OpCode::kEqual, {predicted, f.y});
  const int as_float = m.Op1(OpCode::kCast, {correct},
                             Attributes().SetString("dtype", "float32"));
  f.accuracy = m.Op1(OpCode::kMean, {as_float}, {}, "accuracy");
  return f;
}

}  // namespace

absl::StatusOr<Graph> BuildClassifierGraph(const ClassifierOptions& o) {
  const int64_t f_dim = o.features, c_dim = o.classes;
  ModelBuilder m("test classifier");
  m.AddVariable({"dense/kernel",
                 DType::kFloat32,
                 {f_dim, c_dim},
                 Initializer::kGlorotUniform,
                 -1,
                 o.seed,
                 true});
  m.AddVariable({"dense/bias",
                 DType::kFloat32,
                 {c_dim},
                 Initializer::kZeros,
                 -1,
                 0,
                 true});
  const float lr = o.learning_rate;
  const int lr_buffer =
      m.AddBuffer({reinterpret_cast<const uint8_t*>(&lr), sizeof(lr)});
  m.AddVariable({"optimizer/learning_rate",
                 DType::kFloat32,
                 {},
                 Initializer::kConstantBuffer,
                 lr_buffer,
                 0,
                 false});
  m.AddVariable(
      {"optimizer/step", DType::kInt64, {}, Initializer::kZeros, -1, 0, false});
  if (o.accumulate) {
    m.AddVariable({"accum/dense/kernel",
                   DType::kFloat32,
                   {f_dim, c_dim},
                   Initializer::kZeros,
                   -1,
                   0,
                   false});
    m.AddVariable({"accum/dense/bias",
                   DType::kFloat32,
                   {c_dim},
                   Initializer::kZeros,
                   -1,
                   0,
                   false});
    m.AddVariable({"accum/count",
                   DType::kFloat32,
                   {},
                   Initializer::kZeros,
                   -1,
                   0,
                   false});
  }

  // infer (subgraph 0).
  {
    const int x = m.Input("x", DType::kFloat32, {-1, o.features});
    const int w = m.Op1(OpCode::kReadVariable, {}, Var(kKernel));
    const int b = m.Op1(OpCode::kReadVariable, {}, Var(kBias));
    const int logits = m.Op1(OpCode::kFullyConnected, {x, w, b});
    m.AddSignature("infer", {{"x", x}}, {{"logits", logits}});
  }
  m.AddSubgraph("eval");
  {
    const Forward f = AddForward(m, o);
    m.AddSignature("eval", {{"x", f.x}, {"y", f.y}},
                   {{"loss", f.loss}, {"accuracy", f.accuracy}});
  }
  const int train_subgraph = m.AddSubgraph("train");
  const Forward train = AddForward(m, o);
  const int train_lr = m.Op1(OpCode::kReadVariable, {}, Var(kLearningRate));
  const std::vector<int64_t> one = {1};
  m.Op(OpCode::kAssignAddVariable,
       {m.Constant<int64_t>("one", {}, absl::MakeConstSpan(one))}, Var(kStep),
       0);
  m.AddSignature("train", {{"x", train.x}, {"y", train.y}},
                 {{"loss", train.loss}, {"accuracy", train.accuracy}});
  int accumulate_subgraph = -1;
  Forward acc{};
  if (o.accumulate) {
    accumulate_subgraph = m.AddSubgraph("accumulate");
    acc = AddForward(m, o);
    m.Op(OpCode::kAssignAddVariable, {m.ConstantScalar("one", 1.0f)},
         Var(kAccumCount), 0);
    m.AddSignature("accumulate", {{"x", acc.x}, {"y", acc.y}},
                   {{"loss", acc.loss}});

    m.AddSubgraph("apply_gradients");
    const int count = m.Op1(OpCode::kReadVariable, {}, Var(kAccumCount));
    const int lr_read = m.Op1(OpCode::kReadVariable, {}, Var(kLearningRate));
    const int gw =
        m.Op1(OpCode::kDiv,
              {m.Op1(OpCode::kReadVariable, {}, Var(kAccumKernel)), count});
    const int gb =
        m.Op1(OpCode::kDiv,
              {m.Op1(OpCode::kReadVariable, {}, Var(kAccumBias)), count});
    m.Op(OpCode::kSgdUpdate, {gw, lr_read}, Var(kKernel), 0);
    m.Op(OpCode::kSgdUpdate, {gb, lr_read}, Var(kBias), 0);
    const std::vector<float> zeros_w(f_dim * c_dim, 0.0f);
    const std::vector<float> zeros_b(c_dim, 0.0f);
    m.Op(OpCode::kAssignVariable,
         {m.Constant<float>("zeros_w", {f_dim, c_dim},
                            absl::MakeConstSpan(zeros_w))},
         Var(kAccumKernel), 0);
    m.Op(OpCode::kAssignVariable,
         {m.Constant<float>("zeros_b", {c_dim}, absl::MakeConstSpan(zeros_b))},
         Var(kAccumBias), 0);
    m.Op(OpCode::kAssignVariable, {m.ConstantScalar("zero", 0.0f)},
         Var(kAccumCount), 0);
    m.Op(OpCode::kAssignAddVariable,
         {m.Constant<int64_t>("one", {}, absl::MakeConstSpan(one))}, Var(kStep),
         0);
    m.AddSignature("apply_gradients", {}, {});
  }
  ATTUNE_ASSIGN_OR_RETURN(Graph forward, m.Build());

  // Backward passes: train updates at once; accumulate adds to accumulators.
  ModelBuilder g = ModelBuilder::FromGraph(std::move(forward));
  g.SetCurrentSubgraph(train_subgraph);
  ATTUNE_RETURN_IF_ERROR(
      AddGradients(g, train.loss, {train.w, train.b},
                   [&](int index, int gradient) {
                     g.Op(OpCode::kSgdUpdate, {gradient, train_lr},
                          Var(index == 0 ? kKernel : kBias), 0);
                     return absl::OkStatus();
                   })
          .status());
  if (o.accumulate) {
    g.SetCurrentSubgraph(accumulate_subgraph);
    ATTUNE_RETURN_IF_ERROR(
        AddGradients(g, acc.loss, {acc.w, acc.b}, [&](int index, int gradient) {
          g.Op(OpCode::kAssignAddVariable, {gradient},
               Var(index == 0 ? kAccumKernel : kAccumBias), 0);
          return absl::OkStatus();
        }).status());
  }
  return g.Build();
}

absl::StatusOr<std::shared_ptr<const Model>> BuildClassifier(
    const ClassifierOptions& options) {
  ATTUNE_ASSIGN_OR_RETURN(Graph graph, BuildClassifierGraph(options));
  return Model::FromGraph(std::move(graph));
}

}  // namespace testing
}  // namespace attune
