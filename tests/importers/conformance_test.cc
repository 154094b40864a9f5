// The LiteRT conformance files and the real converted training model
// (models/tflite_testdata, provenance in models/NOTICE.md), imported and run.

#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/importers/tflite_test_util.h"

namespace attune {
namespace tflite {
namespace {

using ::testing::ElementsAre;
using ::testing::FloatNear;
using ::testing::UnorderedElementsAre;

// CALL_ONCE init subgraph assigns Variable = 2; serving_default computes
// Variable * x, then assigns x to Variable.
TEST(TfliteConformance, CallOnceInitializesVariable) {
  auto interp = ImportAndCreate("tflite_testdata/call_once_mul.tflite");
  ASSERT_TRUE(interp.ok()) << interp.status();
  auto runner = Runner(**interp, "serving_default");
  ASSERT_TRUE(runner.ok()) << runner.status();
  ASSERT_TRUE((*runner)->SetInput<float>("x", {3.0f}).ok());
  ASSERT_TRUE((*runner)->Invoke().ok());
  auto y = (*runner)->typed_output<float>("output_0");
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_THAT(*y, ElementsAre(FloatNear(6.0f, 1e-6f)));
  // The variable now holds 3 (assigned after the read).
  ASSERT_TRUE((*runner)->SetInput<float>("x", {5.0f}).ok());
  ASSERT_TRUE((*runner)->Invoke().ok());
  EXPECT_THAT(*(*runner)->typed_output<float>("output_0"),
              ElementsAre(FloatNear(15.0f, 1e-6f)));
}

// Two signatures in one file, each with a constant "variable" (2 and 3) and
// a dynamic batch dim from shape_signature.
TEST(TfliteConformance, MultipleSignatures) {
  auto interp = ImportAndCreate("tflite_testdata/multi_signatures.tflite");
  ASSERT_TRUE(interp.ok()) << interp.status();
  EXPECT_THAT((*interp)->signature_keys(), UnorderedElementsAre("add", "sub"));
  auto add = Runner(**interp, "add");
  ASSERT_TRUE(add.ok());
  ASSERT_TRUE((*add)->ResizeInput("x", {3}).ok());
  ASSERT_TRUE((*add)->AllocateTensors().ok());
  ASSERT_TRUE((*add)->SetInput<float>("x", {1, 2, 3}).ok());
  ASSERT_TRUE((*add)->Invoke().ok());
  EXPECT_THAT(*(*add)->typed_output<float>("output_0"),
              ElementsAre(FloatNear(3, 1e-6f), FloatNear(4, 1e-6f),
                          FloatNear(5, 1e-6f)));
  auto sub = Runner(**interp, "sub");
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE((*sub)->SetInput<float>("x", {10}).ok());
  ASSERT_TRUE((*sub)->Invoke().ok());
  EXPECT_THAT(*(*sub)->typed_output<float>("output_0"),
              ElementsAre(FloatNear(7, 1e-6f)));
}

// Variable [5,5] initialized by CALL_ONCE to 25, 24, ..., 1 (row-major);
// the signature outputs FULLY_CONNECTED(x, transpose(Variable), c) =
// x . Variable + c and x + c, then assigns concat(Variable[1:5], x) to
// Variable.
TEST(TfliteConformance, ResourceVariables) {
  auto interp =
      ImportAndCreate("tflite_testdata/resource_vars_calibrated.tflite");
  ASSERT_TRUE(interp.ok()) << interp.status();
  auto runner = Runner(**interp, "serving_default");
  ASSERT_TRUE(runner.ok());
  const std::vector<float> x = {1, 0, 0, 0, 0};
  ASSERT_TRUE((*runner)->SetInput<float>("x", x).ok());
  ASSERT_TRUE((*runner)->Invoke().ok());
  auto out0 = (*runner)->typed_output<float>("output_0");
  auto out1 = (*runner)->typed_output<float>("output_1");
  ASSERT_TRUE(out0.ok() && out1.ok());
  // c = Const [0.6670, 0.2846, 0.8114, 0.8184, ...]: read it back from
  // output_1 = x + c.
  std::vector<float> c(out1->begin(), out1->end());
  c[0] -= 1.0f;
  // x = e0 picks row 0 of Variable: 25, 24, ..., 21.
  for (int j = 0; j < 5; ++j) {
    EXPECT_NEAR((*out0)[j], 25.0f - j + c[j], 1e-5f) << j;
  }
  // After the assign, row 0 is the old row 1 (20, ..., 16); four runs later
  // it is the x assigned by the first run.
  ASSERT_TRUE((*runner)->Invoke().ok());
  out0 = (*runner)->typed_output<float>("output_0");
  for (int j = 0; j < 5; ++j) {
    EXPECT_NEAR((*out0)[j], 20.0f - j + c[j], 1e-5f) << j;
  }
  for (int run = 0; run < 4; ++run) ASSERT_TRUE((*runner)->Invoke().ok());
  out0 = (*runner)->typed_output<float>("output_0");
  for (int j = 0; j < 5; ++j) {
    EXPECT_NEAR((*out0)[j], x[j] + c[j], 1e-5f) << j;
  }
}

// A real converted training model: y = w x + b trained by its own `train`
// signature (MSE, SGD) toward y = 2x - 1.
TEST(TfliteConformance, FlutterTrainingModel) {
  auto interp =
      ImportAndCreate("tflite_testdata/flutter_training_model.tflite");
  ASSERT_TRUE(interp.ok()) << interp.status();
  EXPECT_THAT(
      (*interp)->signature_keys(),
      UnorderedElementsAre("get_weights", "infer", "set_weights", "train"));
  auto train = Runner(**interp, "train");
  auto infer = Runner(**interp, "infer");
  auto get = Runner(**interp, "get_weights");
  auto set = Runner(**interp, "set_weights");
  ASSERT_TRUE(train.ok() && infer.ok() && get.ok() && set.ok());

  const std::vector<float> xs = {-2, -1, 0, 1, 2, 3};
  float first_loss = 0, last_loss = 0;
  for (int epoch = 0; epoch < 100; ++epoch) {
    float epoch_loss = 0;
    for (float x : xs) {
      ASSERT_TRUE((*train)->SetInput<float>("x", {x}).ok());
      ASSERT_TRUE((*train)->SetInput<float>("y", {2 * x - 1}).ok());
      ASSERT_TRUE((*train)->Invoke().ok());
      epoch_loss += (*(*train)->typed_output<float>("loss"))[0];
    }
    if (epoch == 0) first_loss = epoch_loss;
    last_loss = epoch_loss;
  }
  EXPECT_LT(last_loss, first_loss * 1e-3f);

  ASSERT_TRUE((*get)->Invoke().ok());
  const float w = (*(*get)->typed_output<float>("w"))[0];
  const float b = (*(*get)->typed_output<float>("b"))[0];
  EXPECT_NEAR(w, 2.0f, 0.05f);
  EXPECT_NEAR(b, -1.0f, 0.05f);
  ASSERT_TRUE((*infer)->SetInput<float>("x", {4.0f}).ok());
  ASSERT_TRUE((*infer)->Invoke().ok());
  EXPECT_NEAR((*(*infer)->typed_output<float>("output"))[0], 4 * w + b, 1e-5f);

  // set_weights then get_weights round-trips.
  ASSERT_TRUE((*set)->SetInput<float>("w", {0.25f}).ok());
  ASSERT_TRUE((*set)->SetInput<float>("b", {-3.5f}).ok());
  ASSERT_TRUE((*set)->Invoke().ok());
  ASSERT_TRUE((*get)->Invoke().ok());
  EXPECT_EQ((*(*get)->typed_output<float>("w"))[0], 0.25f);
  EXPECT_EQ((*(*get)->typed_output<float>("b"))[0], -3.5f);
  ASSERT_TRUE((*infer)->Invoke().ok());
  EXPECT_NEAR((*(*infer)->typed_output<float>("output"))[0], 0.25f * 4 - 3.5f,
              1e-6f);
}

// The string model (output = its string input) maps to a kString input with
// a dynamic batch.
TEST(TfliteConformance, StringInputImports) {
  auto graph = ImportTfliteFile(
      ModelPath("tflite_testdata/string_input_model_with_signature.tflite"));
  ASSERT_TRUE(graph.ok()) << graph.status();
  const Signature* sig = graph->FindSignature("serving_default");
  ASSERT_NE(sig, nullptr);
  ASSERT_EQ(sig->inputs.size(), 1u);
  EXPECT_EQ(sig->inputs[0].name, "a");
  const TensorInfo& a =
      graph->subgraphs[sig->subgraph].tensors[sig->inputs[0].tensor];
  EXPECT_EQ(a.dtype, DType::kString);
  EXPECT_EQ(a.shape, Shape({-1, 3}));
  EXPECT_EQ(sig->outputs[0].tensor, sig->inputs[0].tensor);
}

// The string model returns its string input: feed two rows of three
// strings through the signature and read them back.
TEST(TfliteConformance, StringInputRuns) {
  auto interp = ImportAndCreate(
      "tflite_testdata/string_input_model_with_signature.tflite");
  ASSERT_TRUE(interp.ok()) << interp.status();
  auto runner = Runner(**interp, "serving_default");
  ASSERT_TRUE(runner.ok()) << runner.status();
  ASSERT_TRUE((*runner)->ResizeInput("a", {2, 3}).ok());
  ASSERT_TRUE((*runner)->AllocateTensors().ok());
  auto in = (*runner)->typed_input<std::string>("a");
  ASSERT_TRUE(in.ok()) << in.status();
  const std::vector<std::string> values = {"a", "", "ccc",
                                           std::string(100, 'x'), "e\0f", "f"};
  ASSERT_EQ(in->size(), values.size());
  std::copy(values.begin(), values.end(), in->begin());
  ASSERT_TRUE((*runner)->Invoke().ok());
  const std::vector<std::string> names = (*runner)->output_names();
  ASSERT_EQ(names.size(), 1u);
  auto out = (*runner)->typed_output<std::string>(names[0]);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(std::vector<std::string>(out->begin(), out->end()), values);
}

}  // namespace
}  // namespace tflite
}  // namespace attune
