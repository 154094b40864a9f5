// Flex ops (TensorFlow ops in training models, custom code "Flex<Op>" with a
// flexbuffer NodeDef) mapped to native attune ops. Real Flex training models
// are not available offline, so these files are written by the test.

#include <cmath>
#include <string>
#include <vector>

#include "flatbuffers/flexbuffers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/importers/op_test_util.h"

namespace attune {
namespace tflite {
namespace {

using ::testing::HasSubstr;
using TT = tfl::TensorType;

// custom_options as TensorFlow writes them: a flexbuffer vector of the op
// name and the serialized NodeDef (opaque here).
std::vector<uint8_t> NodeDef(const std::string& op) {
  flexbuffers::Builder fbb;
  fbb.Vector([&] {
    fbb.String(op);
    fbb.String(std::string("\x0a\x03"
                           "op1\x12",
                           6) +
               op);
  });
  fbb.Finish();
  return fbb.GetBuffer();
}

absl::StatusOr<std::vector<OpResult>> RunFlex(
    const std::string& op, const std::vector<TensorSpec>& inputs,
    const std::vector<TensorSpec>& outputs) {
  std::vector<int32_t> fed;
  const std::vector<uint8_t> file = OneOpModel(
      tfl::BuiltinOperator::CUSTOM, inputs, outputs, tfl::BuiltinOptions::NONE,
      nullptr, &fed, "Flex" + op, NodeDef(op));
  return RunModel(file, inputs, fed, static_cast<int>(outputs.size()));
}

TEST(TfliteFlex, ReluGrad) {
  auto r = RunFlex("ReluGrad", {F({4}, {1, 2, 3, 4}), F({4}, {-1, 0, 0.5, 3})},
                   {FOut({4})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT((*r)[0].values, ::testing::ElementsAre(0, 0, 3, 4));
}

TEST(TfliteFlex, Relu6Grad) {
  auto r = RunFlex("Relu6Grad", {F({4}, {1, 2, 3, 4}), F({4}, {-1, 3, 6, 7})},
                   {FOut({4})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT((*r)[0].values, ::testing::ElementsAre(0, 2, 0, 0));
}

// Dense labels (probabilities): loss = -sum(labels * log_softmax), backprop
// = softmax - labels.
TEST(TfliteFlex, SoftmaxCrossEntropyWithLogits) {
  auto r = RunFlex("SoftmaxCrossEntropyWithLogits",
                   {F({1, 2}, {0, 1}), F({1, 2}, {0.25, 0.75})},
                   {FOut({1}), FOut({1, 2})});
  ASSERT_TRUE(r.ok()) << r.status();
  const double z = 1 + std::exp(1.0);
  EXPECT_NEAR((*r)[0].values[0],
              -(0.25 * std::log(1 / z) + 0.75 * std::log(std::exp(1.0) / z)),
              1e-5);
  EXPECT_NEAR((*r)[1].values[0], 1 / z - 0.25, 1e-5);
  EXPECT_NEAR((*r)[1].values[1], std::exp(1.0) / z - 0.75, 1e-5);
}

TEST(TfliteFlex, SparseSoftmaxCrossEntropyWithLogits) {
  const std::vector<double> logits = {1, 2, 3, 0, 0, 0};
  auto r =
      RunFlex("SparseSoftmaxCrossEntropyWithLogits",
              {F({2, 3}, logits), I32({2}, {2, 0})}, {FOut({2}), FOut({2, 3})});
  ASSERT_TRUE(r.ok()) << r.status();
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR((*r)[0].values[0], std::log(z) - 3, 1e-5);
  EXPECT_NEAR((*r)[0].values[1], std::log(3.0), 1e-5);
  EXPECT_NEAR((*r)[1].values[2], std::exp(3.0) / z - 1, 1e-5);
  EXPECT_NEAR((*r)[1].values[3], 1.0 / 3 - 1, 1e-5);
  EXPECT_NEAR((*r)[1].values[4], 1.0 / 3, 1e-5);
}

TEST(TfliteFlex, BroadcastGradientArgs) {
  // [2,1,3] vs [4,1]: broadcast [2,4,3]; s0 reduces axis 1, s1 axes 0, 2.
  auto r = RunFlex("BroadcastGradientArgs",
                   {Const(I32({3}, {2, 1, 3})), Const(I32({2}, {4, 1}))},
                   {Out(TT::INT32, {1}), Out(TT::INT32, {2})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT((*r)[0].values, ::testing::ElementsAre(1));
  EXPECT_THAT((*r)[1].values, ::testing::ElementsAre(0, 2));
  // Both 1 on an axis: both reduce it (TensorFlow's rule).
  r = RunFlex("BroadcastGradientArgs",
              {Const(I32({2}, {1, 5})), Const(I32({2}, {1, 5}))},
              {Out(TT::INT32, {1}), Out(TT::INT32, {1})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT((*r)[0].values, ::testing::ElementsAre(0));
  EXPECT_THAT((*r)[1].values, ::testing::ElementsAre(0));
  r = RunFlex("BroadcastGradientArgs",
              {Const(I32({1}, {3})), Const(I32({1}, {4}))},
              {Out(TT::INT32, {0}), Out(TT::INT32, {0})});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TfliteFlex, UnsupportedFlexOpsAreNamed) {
  auto r = RunFlex("Erfinv", {F({1}, {0.5})}, {FOut({1})});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(r.status().message(), HasSubstr("Flex op Erfinv"));
  EXPECT_THAT(r.status().message(), HasSubstr("subgraph 0 (\"main\")"));
  // SaveV2 with a malformed input list is rejected, naming the op.
  r = RunFlex("SaveV2", {F({1}, {0.5})}, {FOut({1})});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("FlexSaveV2"));
}

TEST(TfliteFlex, MismatchedNodeDefIsRejected) {
  std::vector<int32_t> fed;
  const std::vector<TensorSpec> inputs = {F({1}, {1}), F({1}, {1})};
  const std::vector<uint8_t> file =
      OneOpModel(tfl::BuiltinOperator::CUSTOM, inputs, {FOut({1})},
                 tfl::BuiltinOptions::NONE, nullptr, &fed, "FlexReluGrad",
                 NodeDef("Relu6Grad"));
  auto r = RunModel(file, inputs, fed, 1);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  // custom_options that are not a flexbuffer.
  const std::vector<uint8_t> bad =
      OneOpModel(tfl::BuiltinOperator::CUSTOM, inputs, {FOut({1})},
                 tfl::BuiltinOptions::NONE, nullptr, &fed, "FlexReluGrad",
                 {0xff, 0xff, 0xff, 0x07});
  r = RunModel(bad, inputs, fed, 1);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tflite
}  // namespace attune
