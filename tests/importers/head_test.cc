// A trainable head on the imported MobileNetV2-0.35-96 embedder (workload
// W4's shape): train lowers the loss, the backbone stays frozen unless
// train_from makes its last layers trainable.

#include "importers/tflite/head.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "data/image.h"
#include "engine/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/importers/tflite_test_util.h"

namespace attune {
namespace tflite {
namespace {

using ::testing::HasSubstr;

constexpr char kHead[] = R"({
  "layers": [{"type": "dense", "name": "head_1", "units": 16, "activation": "relu"},
             {"type": "dense", "name": "head_2", "units": 3}],
  "optimizer": {"type": "adam", "learning_rate": 0.01},
  "seed": 3
})";

// The three photos at 96x96 in [0, 1], labels 0, 1, 2.
std::vector<float> Batch() {
  std::vector<float> x;
  for (const char* name : {"cat.bmp", "bird.bmp", "grace_hopper.bmp"}) {
    absl::StatusOr<Array> image =
        ReadImage(ModelPath(std::string("images/") + name));
    EXPECT_TRUE(image.ok());
    absl::StatusOr<Array> small = ResizeBilinear(*image, 96, 96);
    EXPECT_TRUE(small.ok());
    for (float v : small->values<float>()) x.push_back(v / 255.0f);
  }
  return x;
}

struct Trained {
  double first_loss = 0, last_loss = 0;
  std::vector<float> backbone_before, backbone_after;  // a train_from weight
};

absl::StatusOr<std::unique_ptr<Interpreter>> HeadModel(HeadOptions options) {
  absl::StatusOr<Graph> imported =
      ImportTfliteFile(ModelPath("mobilenet_v2_035_96_embedder.tflite"));
  if (!imported.ok()) return imported.status();
  absl::StatusOr<Graph> graph = AttachTrainableHead(*imported, options);
  if (!graph.ok()) return graph.status();
  auto model = Model::FromGraph(*std::move(graph));
  if (!model.ok()) return model.status();
  return Interpreter::Create(*model);
}

void Train(Interpreter& interp, int steps, Trained& out) {
  auto train = Runner(interp, "train");
  ASSERT_TRUE(train.ok()) << train.status();
  ASSERT_TRUE((*train)->ResizeInput("keras_layer_input", {3, 96, 96, 3}).ok());
  ASSERT_TRUE((*train)->ResizeInput("y", {3}).ok());
  ASSERT_TRUE((*train)->AllocateTensors().ok());
  const std::vector<float> x = Batch();
  ASSERT_TRUE((*train)->SetInput<float>("keras_layer_input", x).ok());
  ASSERT_TRUE((*train)->SetInput<int32_t>("y", {0, 1, 2}).ok());
  for (int step = 0; step < steps; ++step) {
    ASSERT_TRUE((*train)->Invoke().ok());
    const double loss = (*(*train)->typed_output<float>("loss"))[0];
    if (step == 0) out.first_loss = loss;
    out.last_loss = loss;
  }
}

TEST(TfliteHead, FrozenBackboneTrainableHead) {
  HeadOptions options;
  options.spec_json = kHead;
  auto interp = HeadModel(options);
  ASSERT_TRUE(interp.ok()) << interp.status();
  EXPECT_THAT((*interp)->signature_keys(),
              ::testing::UnorderedElementsAre("infer", "train", "eval", "save",
                                              "restore"));
  // Only the head's variables (and the optimizer's) exist: the backbone's
  // weights are constants.
  for (const VariableInfo& v : (*interp)->model().graph().variables) {
    EXPECT_TRUE(v.name.rfind("head_", 0) == 0 ||
                v.name.rfind("optimizer/", 0) == 0)
        << v.name;
  }
  Trained t;
  Train(**interp, 25, t);
  EXPECT_LT(t.last_loss, 0.2 * t.first_loss);
  // infer agrees with the training labels after training.
  auto infer = Runner(**interp, "infer");
  ASSERT_TRUE(infer.ok());
  ASSERT_TRUE((*infer)->ResizeInput("keras_layer_input", {3, 96, 96, 3}).ok());
  ASSERT_TRUE((*infer)->AllocateTensors().ok());
  ASSERT_TRUE((*infer)->SetInput<float>("keras_layer_input", Batch()).ok());
  ASSERT_TRUE((*infer)->Invoke().ok());
  auto probs = (*infer)->typed_output<float>("probabilities");
  ASSERT_TRUE(probs.ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_GT((*probs)[i * 3 + i], 0.5f) << i;
  }
}

TEST(TfliteHead, TrainFromMakesLastConvTrainable) {
  absl::StatusOr<Graph> imported =
      ImportTfliteFile(ModelPath("mobilenet_v2_035_96_embedder.tflite"));
  ASSERT_TRUE(imported.ok());
  // The input of the last conv2d (Conv_1, 1x1 to 1280 channels).
  const Subgraph& sub = imported->subgraphs[0];
  std::string from, weight;
  for (const Node& node : sub.nodes) {
    if (node.op == OpCode::kConv2d) {
      from = sub.tensors[node.inputs[0]].name;
      weight = sub.tensors[node.inputs[1]].name;
    }
  }
  HeadOptions options;
  options.spec_json = kHead;
  options.train_from = from;
  auto interp = HeadModel(options);
  ASSERT_TRUE(interp.ok()) << interp.status();
  auto before = (*interp)->variables().Get<float>(weight);
  ASSERT_TRUE(before.ok()) << before.status();
  const std::vector<float> w0(before->begin(), before->end());
  Trained t;
  Train(**interp, 5, t);
  EXPECT_LT(t.last_loss, t.first_loss);
  auto after = (*interp)->variables().Get<float>(weight);
  ASSERT_TRUE(after.ok());
  double moved = 0;
  for (size_t i = 0; i < w0.size(); ++i) {
    moved = std::max(moved, std::abs(double((*after)[i]) - w0[i]));
  }
  EXPECT_GT(moved, 1e-4);
}

// Every variable's values, by name.
std::map<std::string, std::vector<float>> FloatVariables(Interpreter& interp) {
  std::map<std::string, std::vector<float>> out;
  for (const VariableInfo& v : interp.model().graph().variables) {
    auto values = interp.variables().Get<float>(v.name);
    if (values.ok()) out[v.name].assign(values->begin(), values->end());
  }
  return out;
}

absl::StatusOr<int64_t> RunPathSignature(Interpreter& interp,
                                         const std::string& key,
                                         const std::string& path) {
  auto runner = Runner(interp, key);
  if (!runner.ok()) return runner.status();
  ATTUNE_RETURN_IF_ERROR((*runner)->AllocateTensors());
  ATTUNE_RETURN_IF_ERROR((*runner)->SetInputString("path", path));
  ATTUNE_RETURN_IF_ERROR((*runner)->Invoke());
  auto out = (*runner)->typed_output<int64_t>(
      key == "save" ? "checkpoint_id" : "step");
  if (!out.ok()) return out.status();
  return (*out)[0];
}

// save(path) after 3 steps, 3 more steps, restore(path): every variable
// (head, the train_from backbone layer, optimizer slots and step) is back
// bit-exactly.
TEST(TfliteHead, SaveRestoreSignaturesRoundTrip) {
  absl::StatusOr<Graph> imported =
      ImportTfliteFile(ModelPath("mobilenet_v2_035_96_embedder.tflite"));
  ASSERT_TRUE(imported.ok());
  std::string from;
  for (const Node& node : imported->subgraphs[0].nodes) {
    if (node.op == OpCode::kConv2d) {
      from = imported->subgraphs[0].tensors[node.inputs[0]].name;
    }
  }
  HeadOptions options;
  options.spec_json = kHead;
  options.train_from = from;
  auto interp = HeadModel(options);
  ASSERT_TRUE(interp.ok()) << interp.status();
  Trained t;
  Train(**interp, 3, t);
  const std::string db = ::testing::TempDir() + "/head_save_restore.db";
  std::remove(db.c_str());
  absl::StatusOr<int64_t> id = RunPathSignature(**interp, "save", db);
  ASSERT_TRUE(id.ok()) << id.status();
  const auto saved = FloatVariables(**interp);
  ASSERT_GT(saved.size(), 4u);
  Train(**interp, 3, t);
  ASSERT_NE(FloatVariables(**interp), saved);
  absl::StatusOr<int64_t> step = RunPathSignature(**interp, "restore", db);
  ASSERT_TRUE(step.ok()) << step.status();
  EXPECT_EQ(FloatVariables(**interp), saved);
  // A path with no database is NotFound and leaves the variables alone.
  const std::string missing = ::testing::TempDir() + "/head_missing.db";
  std::remove(missing.c_str());
  EXPECT_EQ(RunPathSignature(**interp, "restore", missing).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(FloatVariables(**interp), saved);
  std::remove(db.c_str());
}

TEST(TfliteHead, Errors) {
  absl::StatusOr<Graph> imported =
      ImportTfliteFile(ModelPath("mobilenet_v2_035_96_embedder.tflite"));
  ASSERT_TRUE(imported.ok());
  HeadOptions options;
  options.spec_json = "{\"layers\": 3";
  EXPECT_EQ(AttachTrainableHead(*imported, options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.spec_json = kHead;
  options.attach_to = "no such tensor";
  auto r = AttachTrainableHead(*imported, options);
  EXPECT_THAT(r.status().message(), HasSubstr("no such tensor"));
  options.attach_to.clear();
  options.signature = "nope";
  EXPECT_EQ(AttachTrainableHead(*imported, options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tflite
}  // namespace attune
