#include "tests/autodiff/grad_check.h"

#include <cmath>
#include <cstring>
#include <random>

#include "absl/strings/str_cat.h"
#include "autodiff/gradients.h"
#include "builder/model_builder.h"
#include "engine/interpreter.h"
#include "engine/status_macros.h"

namespace attune::testing {
namespace {

struct Built {
  std::unique_ptr<Interpreter> interpreter;
  std::vector<std::vector<float>> probes;  // one per op output
  std::vector<int> differentiated;         // input indices fed at run time
};

absl::StatusOr<Built> BuildGraphs(OpCode op,
                                  const std::vector<GradCheckInput>& inputs,
                                  const Attributes& attrs,
                                  const GradCheckOptions& options) {
  Built built;
  ModelBuilder b("grad check");
  std::vector<int> handles;
  std::vector<std::pair<std::string, int>> feeds;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const GradCheckInput& in = inputs[i];
    const std::string name = absl::StrCat("in", i);
    if (in.differentiate) {
      handles.push_back(b.Input(name, DType::kFloat32, in.shape));
      feeds.emplace_back(name, handles.back());
      built.differentiated.push_back(static_cast<int>(i));
    } else if (in.dtype == DType::kFloat32) {
      handles.push_back(b.Constant<float>(name, in.shape, in.values));
    } else if (in.dtype == DType::kInt64) {
      handles.push_back(b.Constant<int64_t>(name, in.shape, in.int_values));
    } else if (in.dtype == DType::kBool) {
      std::vector<uint8_t> bytes(in.int_values.begin(), in.int_values.end());
      for (uint8_t& v : bytes) v = v != 0 ? 1 : 0;
      handles.push_back(b.Constant(name, DType::kBool, in.shape, bytes));
    } else {
      std::vector<int32_t> narrow(in.int_values.begin(), in.int_values.end());
      handles.push_back(b.Constant<int32_t>(name, in.shape, narrow));
    }
  }
  const std::vector<int> outputs = b.Op(op, handles, attrs, options.num_outputs);
  std::vector<std::pair<std::string, int>> forward_outputs;
  for (size_t k = 0; k < outputs.size(); ++k) {
    forward_outputs.emplace_back(absl::StrCat("out", k), outputs[k]);
  }
  b.AddSignature("forward", feeds, forward_outputs);
  ATTUNE_ASSIGN_OR_RETURN(Graph forward, b.Build());

  // loss = sum_k sum(out_k * probe_k), probes fixed random tensors.
  ModelBuilder g = ModelBuilder::FromGraph(std::move(forward));
  int loss = -1;
  for (size_t k = 0; k < outputs.size(); ++k) {
    const Shape& shape = g.tensor(outputs[k]).shape;
    built.probes.push_back(
        RandomValues(NumElements(shape), -1.0f, 1.0f, options.seed + 17 * k));
    if (!options.probe_outputs.empty() &&
        (k >= options.probe_outputs.size() || !options.probe_outputs[k])) {
      built.probes.back().assign(built.probes.back().size(), 0.0f);
      continue;
    }
    const int probe = g.Constant<float>(absl::StrCat("probe", k), shape,
                                        built.probes.back());
    const int weighted = g.Op1(OpCode::kMul, {outputs[k], probe});
    const int partial = g.Op1(OpCode::kSum, {weighted});
    loss = loss == -1 ? partial : g.Op1(OpCode::kAdd, {loss, partial});
  }
  if (loss == -1) {
    return absl::InvalidArgumentError("probe_outputs weights no output");
  }
  // Shapes of the loss nodes are needed by AddGradients' checks.
  g.AddSignature("loss", feeds, {{"loss", loss}});
  ATTUNE_ASSIGN_OR_RETURN(Graph with_loss, g.Build());
  ModelBuilder h = ModelBuilder::FromGraph(std::move(with_loss));
  std::vector<int> sources;
  for (int i : built.differentiated) sources.push_back(handles[i]);
  ATTUNE_ASSIGN_OR_RETURN(GradientResult result,
                          AddGradients(h, loss, sources));
  std::vector<std::pair<std::string, int>> grads;
  for (size_t s = 0; s < sources.size(); ++s) {
    if (result.source_gradients[s] == -1) {
      return absl::InternalError(absl::StrCat(
          "no gradient reaches input ", built.differentiated[s]));
    }
    grads.emplace_back(absl::StrCat("d_in", built.differentiated[s]),
                       result.source_gradients[s]);
  }
  h.AddSignature("grad", feeds, grads);
  ATTUNE_ASSIGN_OR_RETURN(Graph full, h.Build());
  ATTUNE_RETURN_IF_ERROR(VerifyGradientShapes(full, 0, result.gradient_of));
  ATTUNE_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model,
                          Model::FromGraph(std::move(full)));
  ATTUNE_ASSIGN_OR_RETURN(built.interpreter, Interpreter::Create(model));
  return built;
}

absl::Status Feed(SignatureRunner* runner,
                  const std::vector<GradCheckInput>& inputs,
                  const std::vector<int>& differentiated,
                  const std::vector<std::vector<float>>& values) {
  for (size_t d = 0; d < differentiated.size(); ++d) {
    ATTUNE_RETURN_IF_ERROR(runner->SetInput<float>(
        absl::StrCat("in", differentiated[d]), values[d]));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<float> RandomValues(int64_t n, float lo, float hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<float> out(n);
  for (float& v : out) {
    const double u = static_cast<double>(rng() >> 11) / 9007199254740992.0;
    v = static_cast<float>(lo + (hi - lo) * u);
  }
  return out;
}

absl::Status CheckGradients(OpCode op, const std::vector<GradCheckInput>& inputs,
                            const Attributes& attrs,
                            const GradCheckOptions& options) {
  ATTUNE_ASSIGN_OR_RETURN(Built built, BuildGraphs(op, inputs, attrs, options));
  ATTUNE_ASSIGN_OR_RETURN(SignatureRunner * forward,
                          built.interpreter->GetSignatureRunner("forward"));
  ATTUNE_ASSIGN_OR_RETURN(SignatureRunner * grad,
                          built.interpreter->GetSignatureRunner("grad"));
  ATTUNE_RETURN_IF_ERROR(forward->AllocateTensors());
  ATTUNE_RETURN_IF_ERROR(grad->AllocateTensors());
  std::vector<std::vector<float>> values;
  for (int i : built.differentiated) values.push_back(inputs[i].values);

  ATTUNE_RETURN_IF_ERROR(Feed(grad, inputs, built.differentiated, values));
  ATTUNE_RETURN_IF_ERROR(grad->Invoke());

  auto loss_at = [&](const std::vector<std::vector<float>>& at)
      -> absl::StatusOr<double> {
    ATTUNE_RETURN_IF_ERROR(Feed(forward, inputs, built.differentiated, at));
    ATTUNE_RETURN_IF_ERROR(forward->Invoke());
    double loss = 0.0;
    for (size_t k = 0; k < built.probes.size(); ++k) {
      ATTUNE_ASSIGN_OR_RETURN(auto out,
                              forward->typed_output<float>(absl::StrCat("out", k)));
      for (size_t e = 0; e < out.size(); ++e) {
        loss += static_cast<double>(out[e]) * built.probes[k][e];
      }
    }
    return loss;
  };

  for (size_t d = 0; d < built.differentiated.size(); ++d) {
    const int input = built.differentiated[d];
    ATTUNE_ASSIGN_OR_RETURN(
        auto analytic, grad->typed_output<float>(absl::StrCat("d_in", input)));
    const std::vector<float> analytic_copy(analytic.begin(), analytic.end());
    for (size_t e = 0; e < values[d].size(); ++e) {
      std::vector<std::vector<float>> plus = values, minus = values;
      plus[d][e] += static_cast<float>(options.eps);
      minus[d][e] -= static_cast<float>(options.eps);
      // The perturbation actually applied in float32.
      const double step = double{plus[d][e]} - double{minus[d][e]};
      ATTUNE_ASSIGN_OR_RETURN(double up, loss_at(plus));
      ATTUNE_ASSIGN_OR_RETURN(double down, loss_at(minus));
      const double numeric = (up - down) / step;
      const double error = std::abs(analytic_copy[e] - numeric);
      if (error > options.atol + options.rtol * std::abs(numeric)) {
        return absl::InternalError(absl::StrCat(
            OpName(op), ": d loss / d input ", input, "[", e, "] analytic ",
            analytic_copy[e], " vs numeric ", numeric, " (x = ",
            values[d][e], ")"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace attune::testing
