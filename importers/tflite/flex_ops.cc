// Flex ops: TensorFlow ops the TFLite converter leaves in training models
// (custom code "Flex<Op>"), implemented natively. custom_options is a
// flexbuffer vector [op name, serialized NodeDef]; the op name is checked
// against the custom code, and the ops mapped here need no NodeDef attribute
// (their dtypes come from the tensors).

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"
#include "flatbuffers/flexbuffers.h"
#include "importers/tflite/subgraph_importer.h"

namespace attune {
namespace tflite {
namespace {

// The TensorFlow op name in the operator's flexbuffer NodeDef, or
// `fallback` when the operator carries no custom options.
absl::StatusOr<std::string> FlexOpName(SubgraphImporter& im,
                                       const std::string& fallback) {
  const flatbuffers::Vector<uint8_t>* options = im.op().custom_options();
  if (options == nullptr || options->size() == 0) return fallback;
  std::vector<uint8_t> reuse;
  if (!flexbuffers::VerifyBuffer(options->data(), options->size(), &reuse)) {
    return im.InvalidArgument("custom_options is not a valid flexbuffer");
  }
  flexbuffers::Reference root =
      flexbuffers::GetRoot(options->data(), options->size());
  if (!root.IsVector()) {
    return im.InvalidArgument("custom_options is not a flexbuffer vector");
  }
  flexbuffers::Vector vec = root.AsVector();
  if (vec.size() < 1 || !vec[0].IsString()) {
    return im.InvalidArgument("custom_options lacks the op name");
  }
  return vec[0].AsString().str();
}

absl::Status EmitMulti(SubgraphImporter& im, OpCode op, int num_inputs,
                       int num_outputs) {
  if (im.num_inputs() != num_inputs || im.num_outputs() != num_outputs) {
    return im.InvalidArgument(absl::StrCat(
        "expects ", num_inputs, " inputs and ", num_outputs, " outputs"));
  }
  std::vector<int> inputs;
  for (int i = 0; i < num_inputs; ++i) {
    ATTUNE_ASSIGN_OR_RETURN(int h, im.Get(im.in(i)));
    inputs.push_back(h);
  }
  std::vector<int> outputs =
      im.builder().Op(op, inputs, {}, num_outputs, im.TensorName(im.out(0)));
  for (int i = 0; i < num_outputs; ++i) im.Set(im.out(i), outputs[i]);
  return absl::OkStatus();
}

}  // namespace

absl::Status MapFlex(SubgraphImporter& im, absl::string_view custom_code) {
  const std::string expected(custom_code.substr(4));  // after "Flex"
  ATTUNE_ASSIGN_OR_RETURN(std::string name, FlexOpName(im, expected));
  if (name != expected) {
    return im.InvalidArgument(absl::StrCat(
        "custom code \"", custom_code, "\" carries NodeDef op \"", name, "\""));
  }
  if (name == "ReluGrad") return EmitMulti(im, OpCode::kReluGrad, 2, 1);
  if (name == "Relu6Grad") return EmitMulti(im, OpCode::kRelu6Grad, 2, 1);
  if (name == "SparseSoftmaxCrossEntropyWithLogits") {
    return EmitMulti(im, OpCode::kSparseSoftmaxCrossEntropy, 2, 2);
  }
  if (name == "SoftmaxCrossEntropyWithLogits") {
    return EmitMulti(im, OpCode::kSoftmaxCrossEntropy, 2, 2);
  }
  if (name == "BroadcastGradientArgs") {
    return EmitMulti(im, OpCode::kBroadcastGradientArgs, 2, 2);
  }
  if (name == "Save" || name == "SaveV2" || name == "Restore" ||
      name == "RestoreV2") {
    // TODO(#5): map to the checkpoint helper's save/restore ops.
    return im.Unimplemented(absl::StrCat(
        "Flex op ", name, " needs attune's checkpoint ops, not yet available"));
  }
  return im.Unimplemented(absl::StrCat("Flex op ", name, " is not supported"));
}

}  // namespace tflite
}  // namespace attune
