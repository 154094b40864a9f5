// Builds y = relu(x . w) with the installed headers and library, runs it and
// checks the result. Exit 0 on success.
#include <cstdio>
#include <vector>

#include "builder/model_builder.h"
#include "engine/interpreter.h"

int main() {
  attune::ModelBuilder builder("consumer");
  const int x = builder.Input("x", attune::DType::kFloat32, {-1, 2});
  const std::vector<float> w = {1, -1, 2, 1};
  const int weights = builder.Constant<float>("w", {2, 2}, w);
  const int y = builder.Op1(attune::OpCode::kFullyConnected, {x, weights},
                            attune::Attributes().SetString("activation", "relu"));
  builder.AddSignature("infer", {{"x", x}}, {{"y", y}});
  auto model = builder.BuildModel();
  if (!model.ok()) return std::puts(model.status().ToString().c_str()), 1;
  auto interpreter = attune::Interpreter::Create(*model);
  if (!interpreter.ok()) return 1;
  attune::SignatureRunner* runner = *(*interpreter)->GetSignatureRunner("infer");
  if (!runner->AllocateTensors().ok()) return 1;
  const std::vector<float> x_values = {3, 1};
  if (!runner->SetInput<float>("x", x_values).ok()) return 1;
  if (!runner->Invoke().ok()) return 1;
  auto out = *runner->typed_output<float>("y");
  // [3, 1] . [[1, -1], [2, 1]] = [5, -2] -> relu -> [5, 0]
  const bool ok = out.size() == 2 && out[0] == 5.0f && out[1] == 0.0f;
  std::printf("consumer: y = [%g, %g] %s\n", out[0], out[1], ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
