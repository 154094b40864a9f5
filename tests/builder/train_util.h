// Helpers for tests that compile a spec and run its signatures.
#ifndef ATTUNE_TESTS_BUILDER_TRAIN_UTIL_H_
#define ATTUNE_TESTS_BUILDER_TRAIN_UTIL_H_

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "builder/spec.h"
#include "engine/interpreter.h"
#include "engine/model.h"
#include "gtest/gtest.h"

namespace attune {
namespace testing {

struct StepResult {
  float loss = 0;
  float accuracy = -1;  // -1 when the signature has no accuracy output
};

// A compiled spec in an interpreter, with typed shortcuts.
class Session {
 public:
  static absl::StatusOr<std::unique_ptr<Session>> FromSpec(
      const std::string& spec) {
    absl::StatusOr<Graph> graph = CompileSpec(spec);
    if (!graph.ok()) return graph.status();
    return FromGraph(*std::move(graph));
  }
  static absl::StatusOr<std::unique_ptr<Session>> FromGraph(Graph graph) {
    absl::StatusOr<std::shared_ptr<const Model>> model =
        Model::FromGraph(std::move(graph));
    if (!model.ok()) return model.status();
    absl::StatusOr<std::unique_ptr<Interpreter>> interp =
        Interpreter::Create(*model);
    if (!interp.ok()) return interp.status();
    auto s = std::make_unique<Session>();
    s->interpreter = *std::move(interp);
    return s;
  }

  VariableStore& variables() { return interpreter->variables(); }
  std::vector<float> Var(const std::string& name) {
    absl::StatusOr<absl::Span<const float>> v = variables().Get<float>(name);
    EXPECT_TRUE(v.ok()) << v.status();
    if (!v.ok()) return {};
    return std::vector<float>(v->begin(), v->end());
  }
  void SetVar(const std::string& name, const std::vector<float>& values) {
    absl::Status s = variables().Set<float>(name, values);
    ASSERT_TRUE(s.ok()) << s;
  }

  // Runs `key` on x (shape x_shape) and labels (int32 or float32 by T).
  template <typename T>
  absl::StatusOr<StepResult> Run(const std::string& key,
                                 const std::vector<float>& x, Shape x_shape,
                                 const std::vector<T>& y, Shape y_shape,
                                 const std::string& input = "x") {
    absl::StatusOr<SignatureRunner*> r = interpreter->GetSignatureRunner(key);
    if (!r.ok()) return r.status();
    SignatureRunner* runner = *r;
    if (auto s = runner->ResizeInput(input, x_shape); !s.ok()) return s;
    if (auto s = runner->ResizeInput("y", y_shape); !s.ok()) return s;
    if (auto s = runner->AllocateTensors(); !s.ok()) return s;
    if (auto s = runner->SetInput<float>(input, x); !s.ok()) return s;
    if (auto s = runner->SetInput<T>("y", y); !s.ok()) return s;
    if (auto s = runner->Invoke(); !s.ok()) return s;
    StepResult out;
    absl::StatusOr<absl::Span<const float>> loss =
        runner->typed_output<float>("loss");
    if (!loss.ok()) return loss.status();
    out.loss = (*loss)[0];
    absl::StatusOr<absl::Span<const float>> acc =
        runner->typed_output<float>("accuracy");
    if (acc.ok()) out.accuracy = (*acc)[0];
    return out;
  }

  absl::StatusOr<std::vector<float>> Infer(const std::vector<float>& x,
                                           Shape x_shape,
                                           const std::string& output = "logits",
                                           const std::string& input = "x") {
    absl::StatusOr<SignatureRunner*> r =
        interpreter->GetSignatureRunner("infer");
    if (!r.ok()) return r.status();
    SignatureRunner* runner = *r;
    if (auto s = runner->ResizeInput(input, x_shape); !s.ok()) return s;
    if (auto s = runner->AllocateTensors(); !s.ok()) return s;
    if (auto s = runner->SetInput<float>(input, x); !s.ok()) return s;
    if (auto s = runner->Invoke(); !s.ok()) return s;
    absl::StatusOr<absl::Span<const float>> out =
        runner->typed_output<float>(output);
    if (!out.ok()) return out.status();
    return std::vector<float>(out->begin(), out->end());
  }

  absl::Status Invoke(const std::string& key) {
    absl::StatusOr<SignatureRunner*> r = interpreter->GetSignatureRunner(key);
    if (!r.ok()) return r.status();
    if (auto s = (*r)->AllocateTensors(); !s.ok()) return s;
    return (*r)->Invoke();
  }

  // Planned arena bytes of `key` at the given input shapes.
  absl::StatusOr<size_t> ArenaBytes(
      const std::string& key,
      const std::vector<std::pair<std::string, Shape>>& shapes) {
    absl::StatusOr<SignatureRunner*> r = interpreter->GetSignatureRunner(key);
    if (!r.ok()) return r.status();
    for (const auto& [name, shape] : shapes) {
      if (auto s = (*r)->ResizeInput(name, shape); !s.ok()) return s;
    }
    if (auto s = (*r)->AllocateTensors(); !s.ok()) return s;
    return (*r)->arena_bytes();
  }

  std::unique_ptr<Interpreter> interpreter;
};

// Deterministic pseudo-random floats in [lo, hi).
inline std::vector<float> Pseudo(int n, uint32_t seed, float lo = -1,
                                 float hi = 1) {
  std::vector<float> v(n);
  uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  for (float& x : v) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    x = lo + (hi - lo) * static_cast<float>((state >> 40) * (1.0 / 16777216.0));
  }
  return v;
}

}  // namespace testing
}  // namespace attune

#endif  // ATTUNE_TESTS_BUILDER_TRAIN_UTIL_H_
