// Resource variables from files the test writes: a CALL_ONCE init subgraph
// that computes (evaluated at import), shared variables across signatures'
// subgraphs, and init errors.

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/importers/op_test_util.h"
#include "tests/importers/tflite_test_util.h"

namespace attune {
namespace tflite {
namespace {

using B = tfl::BuiltinOperator;
using O = tfl::BuiltinOptions;
using TT = tfl::TensorType;
using ::testing::ElementsAre;
using ::testing::FloatNear;

flatbuffers::Offset<void> Handle(TfliteWriter& w, const std::string& name) {
  return tfl::CreateVarHandleOptions(w.fbb(), w.fbb().CreateString(""),
                                     w.fbb().CreateString(name))
      .Union();
}

// Subgraph 0 (init): w = [1, 2] + [10, 20] (an ADD, not a constant).
// Subgraph 1 (main): CALL_ONCE(0); y = x * read(w); w = y.
std::vector<uint8_t> ComputedInitModel() {
  TfliteWriter w;
  const int a = w.Tensor("a", TT::FLOAT32, {2},
                         TfliteWriter::Bytes(std::vector<float>{1, 2}));
  const int b = w.Tensor("b", TT::FLOAT32, {2},
                         TfliteWriter::Bytes(std::vector<float>{10, 20}));
  const int sum = w.Tensor("sum", TT::FLOAT32, {2});
  const int res = w.Tensor("w_init", TT::RESOURCE, {});
  w.Op(B::ADD, {a, b}, {sum}, O::AddOptions,
       tfl::CreateActivationOptions(w.fbb()).Union());
  w.Op(B::VAR_HANDLE, {}, {res}, O::VarHandleOptions, Handle(w, "w"));
  w.Op(B::ASSIGN_VARIABLE, {res, sum}, {});
  w.EndSubgraph({}, {}, "init");
  const int x = w.Tensor("x", TT::FLOAT32, {2});
  const int r = w.Tensor("w_res", TT::RESOURCE, {});
  const int value = w.Tensor("w_value", TT::FLOAT32, {2});
  const int y = w.Tensor("y", TT::FLOAT32, {2});
  w.Op(B::CALL_ONCE, {}, {}, O::CallOnceOptions,
       tfl::CreateCallOnceOptions(w.fbb(), 0).Union());
  w.Op(B::VAR_HANDLE, {}, {r}, O::VarHandleOptions, Handle(w, "w"));
  w.Op(B::READ_VARIABLE, {r}, {value});
  w.Op(B::MUL, {x, value}, {y}, O::MulOptions,
       tfl::CreateActivationOptions(w.fbb()).Union());
  w.Op(B::ASSIGN_VARIABLE, {r, y}, {});
  return w.Finish({x}, {y}, "run");
}

TEST(TfliteVariables, ComputedInitIsEvaluatedAtImport) {
  auto graph = ImportTflite(ComputedInitModel());
  ASSERT_TRUE(graph.ok()) << graph.status();
  ASSERT_EQ(graph->variables.size(), 1u);
  EXPECT_EQ(graph->variables[0].name, "w");
  EXPECT_EQ(graph->variables[0].initializer, Initializer::kConstantBuffer);
  auto model = Model::FromGraph(*std::move(graph));
  ASSERT_TRUE(model.ok());
  auto interp = Interpreter::Create(*model);
  ASSERT_TRUE(interp.ok());
  auto runner = Runner(**interp, "run");
  ASSERT_TRUE(runner.ok());
  ASSERT_TRUE((*runner)->SetInput<float>("t0", {2, 3}).ok());
  ASSERT_TRUE((*runner)->Invoke().ok());
  EXPECT_THAT(*(*runner)->typed_output<float>("t3"),
              ElementsAre(FloatNear(22, 1e-6f), FloatNear(66, 1e-6f)));
  // The assign kept y: the next call multiplies by it.
  ASSERT_TRUE((*runner)->Invoke().ok());
  EXPECT_THAT(*(*runner)->typed_output<float>("t3"),
              ElementsAre(FloatNear(44, 1e-6f), FloatNear(198, 1e-6f)));
  // ResetVariables restores the evaluated initial value.
  ASSERT_TRUE((*interp)->ResetVariables().ok());
  ASSERT_TRUE((*runner)->Invoke().ok());
  EXPECT_THAT(*(*runner)->typed_output<float>("t3"),
              ElementsAre(FloatNear(22, 1e-6f), FloatNear(66, 1e-6f)));
}

TEST(TfliteVariables, BadCallOnceIndexIsDataLoss) {
  TfliteWriter w;
  const int x = w.Tensor("x", TT::FLOAT32, {1});
  const int y = w.Tensor("y", TT::FLOAT32, {1});
  w.Op(B::CALL_ONCE, {}, {}, O::CallOnceOptions,
       tfl::CreateCallOnceOptions(w.fbb(), 7).Union());
  w.Op(B::RELU, {x}, {y});
  auto r = ImportTflite(w.Finish({x}, {y}, "run"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("CALL_ONCE"));
}

TEST(TfliteVariables, ReadWithoutHandleIsInvalidArgument) {
  TfliteWriter w;
  const int x = w.Tensor("x", TT::RESOURCE, {});
  const int y = w.Tensor("y", TT::FLOAT32, {1});
  w.Op(B::READ_VARIABLE, {x}, {y});
  auto r = ImportTflite(w.Finish({}, {y}, "run"));
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace tflite
}  // namespace attune
