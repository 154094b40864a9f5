#ifndef ATTUNE_TESTS_DELEGATES_OP_CASE_H_
#define ATTUNE_TESTS_DELEGATES_OP_CASE_H_

// What the delegates' op-parity suites (xnnpack_ops_test.cc,
// gpu_ops_test.cc) share: a one-op model on random operands, built as
// constants or as variables, and the input to run it on. Each suite runs
// the case with and without its delegate and compares within the tolerance
// its delegate states.

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "builder/model_builder.h"
#include "engine/shape.h"
#include "gtest/gtest.h"

namespace attune::testing {

using Rng = std::mt19937;

inline std::vector<float> Random(Rng& rng, int64_t n, float lo = -1,
                                 float hi = 1) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = d(rng);
  return v;
}

struct Case {
  std::shared_ptr<const Model> model;  // signature "infer": x -> y
  Shape x_shape;
  std::vector<float> x;
  double terms = 0;  // reduction length K of each output; 0: elementwise
  std::string what;
};

// y = op(x, w0, w1, ...): the operands of `operands`' shapes hold uniform
// [w_lo, w_hi) values, as constants or (`as_variables`) as variables read
// by read_variable; x is uniform [x_lo, x_hi).
inline Case OneOp(Rng& rng, OpCode op, Shape x_shape,
                  std::vector<Shape> operands, Attributes attrs,
                  bool as_variables, std::string what, float x_lo = -1,
                  float x_hi = 1, float w_lo = -1, float w_hi = 1) {
  ModelBuilder b(what);
  const int x = b.Input("x", DType::kFloat32, x_shape);
  std::vector<int> inputs = {x};
  for (size_t i = 0; i < operands.size(); ++i) {
    const std::vector<float> values =
        Random(rng, NumElements(operands[i]), w_lo, w_hi);
    const std::string name = "w" + std::to_string(i);
    if (as_variables) {
      const int buffer =
          b.AddBuffer({reinterpret_cast<const uint8_t*>(values.data()),
                       values.size() * sizeof(float)});
      const int v =
          b.AddVariable({name, DType::kFloat32, operands[i],
                         Initializer::kConstantBuffer, buffer, 0, true});
      inputs.push_back(
          b.Op1(OpCode::kReadVariable, {}, Attributes().SetInt("variable", v)));
    } else {
      inputs.push_back(b.Constant<float>(name, operands[i], values));
    }
  }
  const int y = b.Op1(op, inputs, std::move(attrs));
  b.AddSignature("infer", {{"x", x}}, {{"y", y}});
  auto model = b.BuildModel();
  EXPECT_TRUE(model.ok()) << what << ": " << model.status();
  Case c;
  c.model = model.ok() ? *model : nullptr;
  c.x_shape = x_shape;
  c.x = Random(rng, NumElements(x_shape), x_lo, x_hi);
  c.what = std::move(what);
  return c;
}

}  // namespace attune::testing

#endif  // ATTUNE_TESTS_DELEGATES_OP_CASE_H_
