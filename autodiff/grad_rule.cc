#include "autodiff/grad_rule.h"

#include "absl/strings/str_cat.h"

namespace attune {

int GradContext::Op1(OpCode op, std::vector<int> inputs, Attributes attrs,
                     absl::string_view suffix) {
  const std::string name =
      suffix.empty() ? absl::StrCat(prefix_, "/", OpName(op), "_", counter_++)
                     : absl::StrCat(prefix_, "/", suffix);
  return builder_.Op1(op, std::move(inputs), std::move(attrs), name);
}

int GradContext::ShapeOf(int tensor) {
  return Op1(OpCode::kShape, {tensor}, Attributes().SetString("out_type", "int64"));
}

int GradContext::ConstantInts(absl::string_view suffix,
                              std::vector<int64_t> values) {
  return builder_.ConstantInts(absl::StrCat(prefix_, "/", suffix), values);
}

int GradContext::ConstantScalar(absl::string_view suffix, float value) {
  return builder_.ConstantScalar(absl::StrCat(prefix_, "/", suffix), value);
}

absl::Status GradContext::Unimplemented(absl::string_view what) const {
  return absl::UnimplementedError(absl::StrCat(
      "gradient of ", OpName(node_.op), " (", prefix_, "): ", what));
}

bool IsBroadcastingOp(OpCode op) {
  switch (op) {
    case OpCode::kAdd:
    case OpCode::kSub:
    case OpCode::kMul:
    case OpCode::kDiv:
    case OpCode::kMaximum:
    case OpCode::kMinimum:
    case OpCode::kPow:
    case OpCode::kSquaredDifference:
    case OpCode::kSelect:
      return true;
    default:
      return false;
  }
}

}  // namespace attune
