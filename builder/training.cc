#include "builder/training.h"

#include <cmath>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "autodiff/gradients.h"
#include "builder/model_builder.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

Attributes VariableAttr(int index) {
  return Attributes().SetInt("variable", index);
}

Attributes AllAxes() { return Attributes().SetInt("keepdims", 0); }

struct LossOutputs {
  int loss = -1;
  int accuracy = -1;  // -1 for regression losses
};

// What the forward graph offers the losses.
struct Forward {
  int subgraph = -1;
  std::vector<SignatureIo> inputs;
  int logits = -1;
  int train_logits = -1;  // infer's logits unless the config names others
  Shape logits_shape;
  // Trainable variables read by the forward pass, and their read tensors.
  std::vector<int> variables;
  std::vector<int> reads;
};

absl::Status ValidateConfig(const TrainingConfig& c) {
  const LossConfig& l = c.loss;
  if (!(l.label_smoothing >= 0 && l.label_smoothing <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("training: label_smoothing must be in [0, 1], got ",
                     l.label_smoothing));
  }
  if (!(l.huber_delta > 0) || !std::isfinite(l.huber_delta)) {
    return absl::InvalidArgumentError(
        absl::StrCat("training: huber delta must be > 0, got ", l.huber_delta));
  }
  if (!(l.l2 >= 0) || !std::isfinite(l.l2)) {
    return absl::InvalidArgumentError(
        absl::StrCat("training: l2 must be >= 0, got ", l.l2));
  }
  if (c.gradient_accumulation_steps < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("training: gradient_accumulation_steps must be >= 1, got ",
                     c.gradient_accumulation_steps));
  }
  return ValidateOptimizerConfig(c.optimizer);
}

absl::StatusOr<Forward> AnalyzeForward(const Graph& graph,
                                       const LossConfig& loss) {
  const Signature* infer = graph.FindSignature("infer");
  if (infer == nullptr) {
    return absl::InvalidArgumentError(
        "training: the graph has no \"infer\" signature");
  }
  for (const char* key : {"train", "eval", "accumulate", "apply_gradients"}) {
    if (graph.FindSignature(key) != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "training: the graph already has a \"", key, "\" signature"));
    }
  }
  Forward f;
  f.subgraph = infer->subgraph;
  f.inputs = infer->inputs;
  for (const SignatureIo& io : infer->inputs) {
    if (io.name == "y") {
      return absl::InvalidArgumentError(
          "training: infer already has an input named \"y\" (the label "
          "input of train/eval)");
    }
  }
  for (const SignatureIo& io : infer->outputs) {
    if (io.name == "logits") f.logits = io.tensor;
  }
  if (f.logits < 0) {
    return absl::InvalidArgumentError(
        "training: signature \"infer\" has no output \"logits\"");
  }
  const Subgraph& sg = graph.subgraphs[f.subgraph];
  const TensorInfo& logits = sg.tensors[f.logits];
  if (logits.dtype != DType::kFloat32 || logits.shape.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "training: logits must be float32 with a batch dimension, are ",
        DTypeName(logits.dtype), ShapeToString(logits.shape)));
  }
  f.logits_shape = logits.shape;
  if (loss.type == LossType::kSoftmaxCrossEntropy &&
      (logits.shape.size() != 2 || logits.shape[1] < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "training: softmax cross-entropy needs logits [batch, classes] with "
        "a static class count, got ",
        ShapeToString(logits.shape)));
  }
  std::vector<bool> seen(graph.variables.size(), false);
  for (const Node& node : sg.nodes) {
    if (node.op != OpCode::kReadVariable) continue;
    const int64_t v = node.attrs.GetIntOr("variable", -1).value_or(-1);
    if (v < 0 || v >= static_cast<int64_t>(graph.variables.size())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "training: read_variable of variable ", v, " out of range"));
    }
    const VariableInfo& info = graph.variables[v];
    if (!info.trainable || info.dtype != DType::kFloat32) continue;
    if (seen[v]) {
      return absl::UnimplementedError(
          absl::StrCat("training: variable \"", info.name,
                       "\" is read more than once by infer"));
    }
    seen[v] = true;
    f.variables.push_back(static_cast<int>(v));
    f.reads.push_back(node.outputs[0]);
  }
  return f;
}

// Checks TrainingConfig::train_logits and state_updates against the infer
// subgraph and sets f.train_logits.
absl::Status CheckTrainPath(const Graph& graph, const TrainingConfig& config,
                            Forward& f) {
  const Subgraph& sg = graph.subgraphs[f.subgraph];
  const int num_tensors = static_cast<int>(sg.tensors.size());
  f.train_logits = config.train_logits == -1 ? f.logits : config.train_logits;
  if (f.train_logits < 0 || f.train_logits >= num_tensors) {
    return absl::InvalidArgumentError(absl::StrCat(
        "training: train_logits tensor ", f.train_logits, " out of range"));
  }
  const TensorInfo& z = sg.tensors[f.train_logits];
  if (z.dtype != DType::kFloat32 || z.shape != f.logits_shape) {
    return absl::InvalidArgumentError(
        absl::StrCat("training: train_logits \"", z.name, "\" is ",
                     DTypeName(z.dtype), ShapeToString(z.shape),
                     ", logits are float32", ShapeToString(f.logits_shape)));
  }
  for (const StateUpdate& u : config.state_updates) {
    if (u.variable < 0 ||
        u.variable >= static_cast<int>(graph.variables.size()) || u.value < 0 ||
        u.value >= num_tensors) {
      return absl::InvalidArgumentError(
          absl::StrCat("training: state update of variable ", u.variable,
                       " from tensor ", u.value, " out of range"));
    }
    const VariableInfo& v = graph.variables[u.variable];
    const TensorInfo& t = sg.tensors[u.value];
    if (t.dtype != v.dtype || t.shape != v.shape) {
      return absl::InvalidArgumentError(absl::StrCat(
          "training: state update of variable \"", v.name, "\" (",
          DTypeName(v.dtype), ShapeToString(v.shape), ") from tensor \"",
          t.name, "\" (", DTypeName(t.dtype), ShapeToString(t.shape), ")"));
    }
  }
  return absl::OkStatus();
}

// Appends one assign_variable per state update to the current subgraph (a
// copy of the infer subgraph: same tensor indices).
void AddStateUpdates(ModelBuilder& b, const TrainingConfig& config) {
  for (const StateUpdate& u : config.state_updates) {
    b.Op(OpCode::kAssignVariable, {u.value}, VariableAttr(u.variable), 0);
  }
}

// Appends the label input `y` to the current subgraph.
int LabelInput(ModelBuilder& b, const LossConfig& loss, const Shape& logits) {
  if (loss.type == LossType::kSoftmaxCrossEntropy && loss.sparse_labels) {
    return b.Input("y", DType::kInt32, {logits[0]});
  }
  return b.Input("y", DType::kFloat32, logits);
}

// |a - b| = relu(a - b) + relu(b - a): ops that all have gradient rules.
int AbsDiff(ModelBuilder& b, int a, int c) {
  const int pos =
      b.Op1(OpCode::kRelu, {b.Op1(OpCode::kSub, {a, c}, {}, "loss/diff")}, {},
            "loss/diff_pos");
  const int neg =
      b.Op1(OpCode::kRelu, {b.Op1(OpCode::kSub, {c, a}, {}, "loss/neg_diff")},
            {}, "loss/diff_neg");
  return b.Op1(OpCode::kAdd, {pos, neg}, {}, "loss/abs_diff");
}

// Builds the loss (and accuracy) of `logits` against `y` in the current
// subgraph. `f.reads` are the read tensors of the trainable variables (for
// l2).
LossOutputs BuildLoss(ModelBuilder& b, const TrainingConfig& config,
                      const Forward& f, int z, const Shape& logits_shape,
                      const Graph& graph, int y) {
  const LossConfig& l = config.loss;
  LossOutputs out;
  int data_loss = -1;
  const float s = static_cast<float>(l.label_smoothing);
  switch (l.type) {
    case LossType::kSoftmaxCrossEntropy: {
      const int64_t classes = logits_shape[1];
      if (l.sparse_labels && s == 0.0f) {
        const std::vector<int> ce = b.Op(OpCode::kSparseSoftmaxCrossEntropy,
                                         {z, y}, {}, 2, "loss/cross_entropy");
        data_loss = b.Op1(OpCode::kMean, {ce[0]}, AllAxes(), "loss/data");
      } else {
        int target = y;
        if (l.sparse_labels) {
          target = b.Op1(OpCode::kOneHot, {y},
                         Attributes().SetInt("depth", classes), "loss/one_hot");
        }
        if (s > 0.0f) {
          target = b.Op1(OpCode::kMul,
                         {target, b.ConstantScalar("loss/keep", 1.0f - s)}, {},
                         "loss/labels_scaled");
          target =
              b.Op1(OpCode::kAdd,
                    {target, b.ConstantScalar("loss/smooth",
                                              s / static_cast<float>(classes))},
                    {}, "loss/labels_smoothed");
        }
        const std::vector<int> ce =
            b.Op(OpCode::kSoftmaxCrossEntropy, {z, target}, {}, 2,
                 "loss/cross_entropy");
        data_loss = b.Op1(OpCode::kMean, {ce[0]}, AllAxes(), "loss/data");
      }
      const Attributes argmax =
          Attributes().SetInt("axis", -1).SetString("output_type", "int32");
      const int predicted =
          b.Op1(OpCode::kArgMax, {z}, argmax, "accuracy/predicted");
      const int truth = l.sparse_labels ? y
                                        : b.Op1(OpCode::kArgMax, {y}, argmax,
                                                "accuracy/truth");
      const int hit =
          b.Op1(OpCode::kEqual, {predicted, truth}, {}, "accuracy/hit");
      out.accuracy = b.Op1(
          OpCode::kMean,
          {b.Op1(OpCode::kCast, {hit},
                 Attributes().SetString("dtype", "float32"), "accuracy/hit_f")},
          AllAxes(), "accuracy");
      break;
    }
    case LossType::kBinaryCrossEntropy: {
      int target = y;
      if (s > 0.0f) {
        target = b.Op1(OpCode::kMul,
                       {target, b.ConstantScalar("loss/keep", 1.0f - s)}, {},
                       "loss/labels_scaled");
        target = b.Op1(OpCode::kAdd,
                       {target, b.ConstantScalar("loss/smooth", 0.5f * s)}, {},
                       "loss/labels_smoothed");
      }
      // [N, 1] columns of logits and labels; [0, z] and [1 - y, y] pairs.
      const int column = b.ConstantInts("loss/column_shape", {-1, 1});
      const int zc = b.Op1(OpCode::kReshape, {z, column}, {}, "loss/z_column");
      const int yc =
          b.Op1(OpCode::kReshape, {target, column}, {}, "loss/y_column");
      const std::vector<float> pick = {0.0f, 1.0f};
      const std::vector<float> flip = {-1.0f, 1.0f};
      const std::vector<float> flip_bias = {1.0f, 0.0f};
      const int pair =
          b.Op1(OpCode::kFullyConnected,
                {zc, b.Constant<float>("loss/pair_weights", {1, 2}, pick)}, {},
                "loss/logit_pairs");
      const int labels =
          b.Op1(OpCode::kFullyConnected,
                {yc, b.Constant<float>("loss/label_weights", {1, 2}, flip),
                 b.Constant<float>("loss/label_bias", {2}, flip_bias)},
                {}, "loss/label_pairs");
      const std::vector<int> ce =
          b.Op(OpCode::kSoftmaxCrossEntropy, {pair, labels}, {}, 2,
               "loss/cross_entropy");
      data_loss = b.Op1(OpCode::kMean, {ce[0]}, AllAxes(), "loss/data");
      const int zero = b.ConstantScalar("accuracy/zero", 0.0f);
      const int half = b.ConstantScalar("accuracy/half", 0.5f);
      const int hit =
          b.Op1(OpCode::kEqual,
                {b.Op1(OpCode::kGreater, {z, zero}, {}, "accuracy/predicted"),
                 b.Op1(OpCode::kGreater, {y, half}, {}, "accuracy/truth")},
                {}, "accuracy/hit");
      out.accuracy = b.Op1(
          OpCode::kMean,
          {b.Op1(OpCode::kCast, {hit},
                 Attributes().SetString("dtype", "float32"), "accuracy/hit_f")},
          AllAxes(), "accuracy");
      break;
    }
    case LossType::kMeanSquaredError: {
      const int sq =
          b.Op1(OpCode::kSquaredDifference, {z, y}, {}, "loss/squared_error");
      data_loss = b.Op1(OpCode::kMean, {sq}, AllAxes(), "loss/data");
      break;
    }
    case LossType::kMeanAbsoluteError: {
      data_loss =
          b.Op1(OpCode::kMean, {AbsDiff(b, z, y)}, AllAxes(), "loss/data");
      break;
    }
    case LossType::kHuber: {
      // q = min(a, delta) = a - relu(a - delta);
      // huber = 0.5 q^2 + delta (a - q).
      const float delta = static_cast<float>(l.huber_delta);
      const int a = AbsDiff(b, z, y);
      const int delta_t = b.ConstantScalar("loss/delta", delta);
      const int over = b.Op1(
          OpCode::kRelu, {b.Op1(OpCode::kSub, {a, delta_t}, {}, "loss/excess")},
          {}, "loss/excess_pos");
      const int q = b.Op1(OpCode::kSub, {a, over}, {}, "loss/quadratic_part");
      const int quad = b.Op1(OpCode::kMul,
                             {b.Op1(OpCode::kMul, {q, q}, {}, "loss/q_squared"),
                              b.ConstantScalar("loss/half", 0.5f)},
                             {}, "loss/quadratic");
      const int lin = b.Op1(OpCode::kMul, {over, delta_t}, {}, "loss/linear");
      data_loss = b.Op1(OpCode::kMean,
                        {b.Op1(OpCode::kAdd, {quad, lin}, {}, "loss/huber")},
                        AllAxes(), "loss/data");
      break;
    }
  }
  int loss = data_loss;
  if (l.l2 > 0) {
    int total = -1;
    for (size_t i = 0; i < f.variables.size(); ++i) {
      const VariableInfo& v = graph.variables[f.variables[i]];
      if (v.shape.size() < 2) continue;
      const int r = f.reads[i];
      const int sq = b.Op1(OpCode::kMul, {r, r}, {},
                           absl::StrCat("loss/l2/", v.name, "/squared"));
      const int sum = b.Op1(OpCode::kSum, {sq}, AllAxes(),
                            absl::StrCat("loss/l2/", v.name, "/sum"));
      total = total == -1 ? sum
                          : b.Op1(OpCode::kAdd, {total, sum}, {},
                                  absl::StrCat("loss/l2/total_", i));
    }
    if (total != -1) {
      const int term = b.Op1(
          OpCode::kMul,
          {total, b.ConstantScalar("loss/l2/lambda", static_cast<float>(l.l2))},
          {}, "loss/l2");
      loss = b.Op1(OpCode::kAdd, {data_loss, term}, {}, "loss");
    }
  }
  if (loss == data_loss) {
    // Name the output tensor "loss".
    loss = b.Op1(OpCode::kAdd, {data_loss, b.ConstantScalar("loss/zero", 0.0f)},
                 {}, "loss");
  }
  out.loss = loss;
  return out;
}

// Copies the forward subgraph as `key`, adds y, the loss of `logits` (+
// accuracy) and the signature. Returns the subgraph index and the loss
// outputs.
std::pair<int, LossOutputs> AddLossSignature(ModelBuilder& b,
                                             const TrainingConfig& config,
                                             const Forward& f, int logits,
                                             const std::string& key,
                                             bool with_accuracy) {
  const int sg = b.CopySubgraph(f.subgraph, key);
  const int y = LabelInput(b, config.loss, f.logits_shape);
  const LossOutputs lo =
      BuildLoss(b, config, f, logits, f.logits_shape, b.graph(), y);
  std::vector<std::pair<std::string, int>> inputs;
  for (const SignatureIo& io : f.inputs)
    inputs.emplace_back(io.name, io.tensor);
  inputs.emplace_back("y", y);
  std::vector<std::pair<std::string, int>> outputs = {{"loss", lo.loss}};
  if (with_accuracy && lo.accuracy != -1) {
    outputs.emplace_back("accuracy", lo.accuracy);
  }
  b.AddSignature(key, std::move(inputs), std::move(outputs));
  return {sg, lo};
}

}  // namespace

bool IsClassifierLoss(LossType type) {
  return type == LossType::kSoftmaxCrossEntropy ||
         type == LossType::kBinaryCrossEntropy;
}

absl::StatusOr<Graph> AddTrainingSignatures(Graph forward,
                                            const TrainingConfig& config) {
  ATTUNE_RETURN_IF_ERROR(ValidateConfig(config));
  ATTUNE_ASSIGN_OR_RETURN(Forward f, AnalyzeForward(forward, config.loss));
  ATTUNE_RETURN_IF_ERROR(CheckTrainPath(forward, config, f));
  const int n_accum = config.gradient_accumulation_steps;

  // 1. Variables: optimizer state, accumulators.
  ModelBuilder b = ModelBuilder::FromGraph(std::move(forward));
  ATTUNE_ASSIGN_OR_RETURN(std::unique_ptr<Optimizer> optimizer,
                          Optimizer::Create(b, config.optimizer, f.variables));
  std::vector<int> accumulators;
  int accumulated = -1;
  if (n_accum > 1) {
    for (int v : f.variables) {
      const VariableInfo info = b.graph().variables[v];
      accumulators.push_back(b.AddVariable(
          {absl::StrCat(info.name, "/grad_accum"), DType::kFloat32, info.shape,
           Initializer::kZeros, -1, 0, false}));
    }
    accumulated = b.AddVariable({"optimizer/accumulated_batches",
                                 DType::kFloat32,
                                 {},
                                 Initializer::kZeros,
                                 -1,
                                 0,
                                 false});
  }

  // 2. Forward + loss subgraphs, then shape inference of the loss ops.
  const bool accuracy = IsClassifierLoss(config.loss.type);
  const auto [train_sg, train_loss] =
      AddLossSignature(b, config, f, f.train_logits, "train", accuracy);
  AddLossSignature(b, config, f, f.logits, "eval", accuracy);
  int accum_sg = -1;
  LossOutputs accum_loss;
  if (n_accum > 1) {
    std::tie(accum_sg, accum_loss) =
        AddLossSignature(b, config, f, f.train_logits, "accumulate", false);
  }
  ATTUNE_ASSIGN_OR_RETURN(Graph staged, b.Build());

  // 3. Backward passes with the optimizer's updates.
  ModelBuilder g = ModelBuilder::FromGraph(std::move(staged));
  g.SetCurrentSubgraph(train_sg);
  ATTUNE_RETURN_IF_ERROR(optimizer->BeginStep(g));
  ATTUNE_ASSIGN_OR_RETURN(
      GradientResult train_grads,
      AddGradients(g, train_loss.loss, f.reads, optimizer->ReadyCallback(g)));
  ATTUNE_RETURN_IF_ERROR(optimizer->FinishStep(g));
  AddStateUpdates(g, config);

  GradientResult accum_grads;
  if (n_accum > 1) {
    g.SetCurrentSubgraph(accum_sg);
    GradientReady add_to_accumulator = [&](int i, int gradient) {
      g.Op(OpCode::kAssignAddVariable, {gradient},
           VariableAttr(accumulators[i]), 0);
      return absl::OkStatus();
    };
    ATTUNE_ASSIGN_OR_RETURN(
        accum_grads,
        AddGradients(g, accum_loss.loss, f.reads, add_to_accumulator));
    g.Op(OpCode::kAssignAddVariable,
         {g.ConstantScalar("optimizer/one_batch", 1.0f)},
         VariableAttr(accumulated), 0);
    AddStateUpdates(g, config);

    // apply_gradients(): mean of the accumulated gradients, one step, reset.
    g.AddSubgraph("apply_gradients");
    ATTUNE_RETURN_IF_ERROR(optimizer->BeginStep(g));
    const int count =
        g.Op1(OpCode::kReadVariable, {}, VariableAttr(accumulated),
              "optimizer/accumulated_batches");
    const int at_least_one = g.Op1(
        OpCode::kMaximum, {count, g.ConstantScalar("optimizer/one", 1.0f)}, {},
        "optimizer/accumulated_batches_at_least_one");
    const int scale = g.Op1(
        OpCode::kDiv, {g.ConstantScalar("optimizer/one", 1.0f), at_least_one},
        {}, "optimizer/accumulation_scale");
    std::vector<int> reads;
    for (size_t i = 0; i < accumulators.size(); ++i) {
      const std::string& name = g.graph().variables[accumulators[i]].name;
      reads.push_back(g.Op1(OpCode::kReadVariable, {},
                            VariableAttr(accumulators[i]), name));
      const int mean = g.Op1(OpCode::kMul, {reads.back(), scale}, {},
                             absl::StrCat(name, "/mean"));
      ATTUNE_RETURN_IF_ERROR(
          optimizer->AddGradient(g, static_cast<int>(i), mean));
    }
    ATTUNE_RETURN_IF_ERROR(optimizer->FinishStep(g));
    for (size_t i = 0; i < accumulators.size(); ++i) {
      g.Op(OpCode::kAssignVariable,
           {g.Op1(OpCode::kZerosLike, {reads[i]}, {},
                  absl::StrCat(g.graph().variables[accumulators[i]].name,
                               "/zeros"))},
           VariableAttr(accumulators[i]), 0);
    }
    g.Op(OpCode::kAssignVariable, {g.ConstantScalar("optimizer/zero", 0.0f)},
         VariableAttr(accumulated), 0);
    g.AddSignature("apply_gradients", {}, {});
  }

  // 4. Shapes of everything added, checked against the forward tensors.
  ATTUNE_ASSIGN_OR_RETURN(Graph graph, g.Build());
  ATTUNE_RETURN_IF_ERROR(
      VerifyGradientShapes(graph, train_sg, train_grads.gradient_of));
  if (n_accum > 1) {
    ATTUNE_RETURN_IF_ERROR(
        VerifyGradientShapes(graph, accum_sg, accum_grads.gradient_of));
  }
  return graph;
}

absl::StatusOr<Graph> AddCheckpointSignatures(Graph graph) {
  for (const char* key : {"save", "restore"}) {
    if (graph.FindSignature(key) != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("the model already has a \"", key, "\" signature"));
    }
  }
  ModelBuilder b = ModelBuilder::FromGraph(std::move(graph));
  b.AddSubgraph("save");
  const int save_path = b.Input("save/path", DType::kString, {});
  const int id =
      b.Op1(OpCode::kSaveCheckpoint, {save_path}, {}, "save/checkpoint_id");
  b.AddSignature("save", {{"path", save_path}}, {{"checkpoint_id", id}});
  b.AddSubgraph("restore");
  const int restore_path = b.Input("restore/path", DType::kString, {});
  const int step =
      b.Op1(OpCode::kRestoreCheckpoint, {restore_path}, {}, "restore/step");
  b.AddSignature("restore", {{"path", restore_path}}, {{"step", step}});
  return b.Build();
}

}  // namespace attune
