#include "optimizers/optimizer.h"

#include <cmath>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

Attributes VariableAttr(int index) {
  return Attributes().SetInt("variable", index);
}

absl::Status CheckRange(absl::string_view name, double v, double lo, double hi,
                        bool hi_open) {
  const bool ok = std::isfinite(v) && v >= lo && (hi_open ? v < hi : v <= hi);
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("optimizer: ", name, " must be in [", lo, ", ", hi,
                   hi_open ? ")" : "]", ", got ", v));
}

}  // namespace

absl::string_view OptimizerTypeName(OptimizerType type) {
  switch (type) {
    case OptimizerType::kSgd:
      return "sgd";
    case OptimizerType::kAdam:
      return "adam";
    case OptimizerType::kAdamW:
      return "adamw";
    case OptimizerType::kRmsprop:
      return "rmsprop";
    case OptimizerType::kAdagrad:
      return "adagrad";
  }
  return "?";
}

absl::StatusOr<OptimizerType> ParseOptimizerType(absl::string_view name) {
  for (OptimizerType t :
       {OptimizerType::kSgd, OptimizerType::kAdam, OptimizerType::kAdamW,
        OptimizerType::kRmsprop, OptimizerType::kAdagrad}) {
    if (OptimizerTypeName(t) == name) return t;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("optimizer: unknown type \"", name,
                   "\" (allowed: sgd, adam, adamw, rmsprop, adagrad)"));
}

OptimizerConfig DefaultOptimizerConfig(OptimizerType type) {
  OptimizerConfig c;
  c.type = type;
  switch (type) {
    case OptimizerType::kAdamW:
      c.weight_decay = 1e-2;
      break;
    case OptimizerType::kRmsprop:
      c.learning_rate = 1e-2;
      break;
    case OptimizerType::kAdagrad:
      c.learning_rate = 1e-2;
      c.eps = 1e-10;
      break;
    default:
      break;
  }
  return c;
}

absl::Status ValidateOptimizerConfig(const OptimizerConfig& c) {
  constexpr double kBig = 1e30;
  ATTUNE_RETURN_IF_ERROR(
      CheckRange("learning_rate", c.learning_rate, 0, kBig, false));
  ATTUNE_RETURN_IF_ERROR(CheckRange("momentum", c.momentum, 0, kBig, false));
  ATTUNE_RETURN_IF_ERROR(CheckRange("dampening", c.dampening, 0, 1, false));
  ATTUNE_RETURN_IF_ERROR(
      CheckRange("weight_decay", c.weight_decay, 0, kBig, false));
  ATTUNE_RETURN_IF_ERROR(CheckRange("beta1", c.beta1, 0, 1, true));
  ATTUNE_RETURN_IF_ERROR(CheckRange("beta2", c.beta2, 0, 1, true));
  ATTUNE_RETURN_IF_ERROR(CheckRange("eps", c.eps, 0, kBig, false));
  ATTUNE_RETURN_IF_ERROR(CheckRange("alpha", c.alpha, 0, 1, false));
  ATTUNE_RETURN_IF_ERROR(
      CheckRange("clip_value", c.clip_value, 0, kBig, false));
  ATTUNE_RETURN_IF_ERROR(
      CheckRange("clip_global_norm", c.clip_global_norm, 0, kBig, false));
  if (c.nesterov &&
      (c.type != OptimizerType::kSgd || c.momentum <= 0 || c.dampening != 0)) {
    return absl::InvalidArgumentError(
        "optimizer: nesterov needs sgd with momentum > 0 and dampening 0");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Optimizer>> Optimizer::Create(
    ModelBuilder& builder, const OptimizerConfig& config,
    std::vector<int> variables) {
  ATTUNE_RETURN_IF_ERROR(ValidateOptimizerConfig(config));
  std::unique_ptr<Optimizer> opt(new Optimizer(config, std::move(variables)));
  auto exists = [&](const std::string& name) {
    for (const VariableInfo& v : builder.graph().variables) {
      if (v.name == name) return true;
    }
    return false;
  };
  auto add = [&](VariableInfo v) -> absl::StatusOr<int> {
    if (exists(v.name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("optimizer: variable \"", v.name, "\" already exists"));
    }
    return builder.AddVariable(std::move(v));
  };
  const int num_model_variables =
      static_cast<int>(builder.graph().variables.size());
  const std::string type(OptimizerTypeName(config.type));
  for (int index : opt->variables_) {
    if (index < 0 || index >= num_model_variables) {
      return absl::InvalidArgumentError(
          absl::StrCat("optimizer: variable index ", index, " out of range"));
    }
    // Copy: AddVariable may reallocate the list.
    const VariableInfo var = builder.graph().variables[index];
    if (var.dtype != DType::kFloat32 || !IsFullyDefined(var.shape)) {
      return absl::InvalidArgumentError(
          absl::StrCat("optimizer: variable \"", var.name,
                       "\" must be float32 with a "
                       "static shape, is ",
                       DTypeName(var.dtype), ShapeToString(var.shape)));
    }
    auto slot = [&](absl::string_view name) {
      return add({absl::StrCat(var.name, "/", type, "/", name), DType::kFloat32,
                  var.shape, Initializer::kZeros, -1, 0, false});
    };
    int s0 = -1, s1 = -1;
    switch (config.type) {
      case OptimizerType::kSgd: {
        if (config.momentum != 0) {
          ATTUNE_ASSIGN_OR_RETURN(s0, slot("momentum"));
        }
        break;
      }
      case OptimizerType::kAdam:
      case OptimizerType::kAdamW: {
        ATTUNE_ASSIGN_OR_RETURN(s0, slot("m"));
        ATTUNE_ASSIGN_OR_RETURN(s1, slot("v"));
        break;
      }
      case OptimizerType::kRmsprop: {
        ATTUNE_ASSIGN_OR_RETURN(s0, slot("square_avg"));
        if (config.momentum != 0) {
          ATTUNE_ASSIGN_OR_RETURN(s1, slot("momentum"));
        }
        break;
      }
      case OptimizerType::kAdagrad: {
        ATTUNE_ASSIGN_OR_RETURN(s0, slot("sum"));
        break;
      }
    }
    opt->slot0_.push_back(s0);
    opt->slot1_.push_back(s1);
  }
  ATTUNE_ASSIGN_OR_RETURN(opt->step_variable_, add({"optimizer/step",
                                                    DType::kInt64,
                                                    {},
                                                    Initializer::kZeros,
                                                    -1,
                                                    0,
                                                    false}));
  const float lr = static_cast<float>(config.learning_rate);
  const int buffer =
      builder.AddBuffer({reinterpret_cast<const uint8_t*>(&lr), sizeof(lr)});
  ATTUNE_ASSIGN_OR_RETURN(opt->lr_variable_, add({"optimizer/learning_rate",
                                                  DType::kFloat32,
                                                  {},
                                                  Initializer::kConstantBuffer,
                                                  buffer,
                                                  0,
                                                  false}));
  return opt;
}

absl::Status Optimizer::BeginStep(ModelBuilder& b) {
  if (in_step_) {
    return absl::FailedPreconditionError("optimizer: a step is already open");
  }
  in_step_ = true;
  const int64_t one = 1;
  const int one_t = b.Constant<int64_t>("optimizer/step_increment", {},
                                        absl::MakeConstSpan(&one, 1));
  b.Op(OpCode::kAssignAddVariable, {one_t}, VariableAttr(step_variable_), 0);
  step_tensor_ = b.Op1(OpCode::kReadVariable, {}, VariableAttr(step_variable_),
                       "optimizer/step");
  lr_tensor_ = b.Op1(OpCode::kReadVariable, {}, VariableAttr(lr_variable_),
                     "optimizer/learning_rate");
  gradients_.assign(variables_.size(), -1);
  squared_sums_.assign(variables_.size(), -1);
  seen_.assign(variables_.size(), false);
  return absl::OkStatus();
}

int Optimizer::ClipByValue(ModelBuilder& b, int i, int gradient) {
  if (config_.clip_value <= 0) return gradient;
  const std::string& name = b.graph().variables[variables_[i]].name;
  const float c = static_cast<float>(config_.clip_value);
  const int hi = b.ConstantScalar(absl::StrCat(name, "/clip_max"), c);
  const int lo = b.ConstantScalar(absl::StrCat(name, "/clip_min"), -c);
  const int low_clipped = b.Op1(OpCode::kMaximum, {gradient, lo}, {},
                                absl::StrCat(name, "/gradient_clip_min"));
  return b.Op1(OpCode::kMinimum, {low_clipped, hi}, {},
               absl::StrCat(name, "/gradient_clipped"));
}

absl::Status Optimizer::AddGradient(ModelBuilder& b, int i, int gradient) {
  if (!in_step_) {
    return absl::FailedPreconditionError(
        "optimizer: AddGradient outside BeginStep/FinishStep");
  }
  if (i < 0 || i >= static_cast<int>(variables_.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("optimizer: variable #", i, " out of range"));
  }
  if (seen_[i]) {
    return absl::InvalidArgumentError(
        absl::StrCat("optimizer: second gradient for \"",
                     b.graph().variables[variables_[i]].name, "\""));
  }
  seen_[i] = true;
  gradient = ClipByValue(b, i, gradient);
  if (config_.clip_global_norm > 0) {
    const std::string& name = b.graph().variables[variables_[i]].name;
    const int sq = b.Op1(OpCode::kSquare, {gradient}, {},
                         absl::StrCat(name, "/gradient_squared"));
    squared_sums_[i] = b.Op1(OpCode::kSum, {sq}, {},
                             absl::StrCat(name, "/gradient_squared_sum"));
  }
  if (config_.clip_global_norm > 0 || config_.updates_at_end) {
    gradients_[i] = gradient;
    return absl::OkStatus();
  }
  return EmitUpdate(b, i, gradient, -1);
}

absl::Status Optimizer::EmitUpdate(ModelBuilder& b, int i, int gradient,
                                   int scale) {
  const int var = variables_[i];
  const std::string name = b.graph().variables[var].name;
  if (scale != -1) {
    gradient = b.Op1(OpCode::kMul, {gradient, scale}, {},
                     absl::StrCat(name, "/gradient_scaled"));
  }
  const OptimizerConfig& c = config_;
  Attributes attrs = VariableAttr(var);
  attrs.SetFloat("weight_decay", c.weight_decay);
  std::vector<int> inputs = {gradient, lr_tensor_};
  OpCode op = OpCode::kSgdUpdate;
  switch (c.type) {
    case OptimizerType::kSgd:
      op = OpCode::kSgdUpdate;
      inputs.push_back(step_tensor_);
      attrs.SetInt("momentum_variable", slot0_[i])
          .SetFloat("momentum", c.momentum)
          .SetFloat("dampening", c.dampening)
          .SetInt("nesterov", c.nesterov ? 1 : 0);
      break;
    case OptimizerType::kAdam:
    case OptimizerType::kAdamW:
      op = OpCode::kAdamUpdate;
      inputs.push_back(step_tensor_);
      attrs.SetInt("m_variable", slot0_[i])
          .SetInt("v_variable", slot1_[i])
          .SetFloat("beta1", c.beta1)
          .SetFloat("beta2", c.beta2)
          .SetFloat("eps", c.eps)
          .SetInt("decoupled", c.type == OptimizerType::kAdamW ? 1 : 0);
      break;
    case OptimizerType::kRmsprop:
      op = OpCode::kRmspropUpdate;
      attrs.SetInt("square_avg_variable", slot0_[i])
          .SetInt("momentum_variable", slot1_[i])
          .SetFloat("alpha", c.alpha)
          .SetFloat("eps", c.eps)
          .SetFloat("momentum", c.momentum);
      break;
    case OptimizerType::kAdagrad:
      op = OpCode::kAdagradUpdate;
      attrs.SetInt("sum_variable", slot0_[i]).SetFloat("eps", c.eps);
      break;
  }
  b.Op(op, std::move(inputs), std::move(attrs), 0,
       absl::StrCat(name, "/", OptimizerTypeName(c.type), "_update"));
  return absl::OkStatus();
}

absl::Status Optimizer::FinishStep(ModelBuilder& b) {
  if (!in_step_) {
    return absl::FailedPreconditionError(
        "optimizer: FinishStep without BeginStep");
  }
  in_step_ = false;
  int scale = -1;
  if (config_.clip_global_norm > 0) {
    int total = -1;
    for (int sq : squared_sums_) {
      if (sq == -1) continue;
      total = total == -1 ? sq
                          : b.Op1(OpCode::kAdd, {total, sq}, {},
                                  "optimizer/gradient_squared_total");
    }
    if (total != -1) {
      const int norm =
          b.Op1(OpCode::kSqrt, {total}, {}, "optimizer/global_norm");
      const int eps = b.ConstantScalar("optimizer/norm_eps", 1e-6f);
      const int max_norm =
          b.ConstantScalar("optimizer/clip_global_norm",
                           static_cast<float>(config_.clip_global_norm));
      const int one = b.ConstantScalar("optimizer/one", 1.0f);
      const int denom =
          b.Op1(OpCode::kAdd, {norm, eps}, {}, "optimizer/global_norm_eps");
      const int ratio =
          b.Op1(OpCode::kDiv, {max_norm, denom}, {}, "optimizer/clip_ratio");
      scale = b.Op1(OpCode::kMinimum, {ratio, one}, {},
                    "optimizer/clip_coefficient");
    }
  }
  for (size_t i = 0; i < gradients_.size(); ++i) {
    if (gradients_[i] == -1) continue;
    ATTUNE_RETURN_IF_ERROR(
        EmitUpdate(b, static_cast<int>(i), gradients_[i], scale));
  }
  return absl::OkStatus();
}

std::function<absl::Status(int, int)> Optimizer::ReadyCallback(
    ModelBuilder& builder) {
  return [this, &builder](int index, int gradient) {
    return AddGradient(builder, index, gradient);
  };
}

}  // namespace attune
