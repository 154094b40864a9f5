// Flex ops: TensorFlow ops the TFLite converter leaves in training models
// (custom code "Flex<Op>"), implemented natively. custom_options is a
// flexbuffer vector [op name, serialized NodeDef]; the op name is checked
// against the custom code, and the ops mapped here need no NodeDef attribute
// (their dtypes come from the tensors).
//
// Save/SaveV2/Restore/RestoreV2 become save_tensors / restore_tensors on an
// attune checkpoint database at the path input (README.md, "Checkpoints").

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"
#include "flatbuffers/flexbuffers.h"
#include "importers/tflite/subgraph_importer.h"

namespace attune {
namespace tflite {
namespace {

// The TensorFlow op name in operator `op`'s flexbuffer NodeDef, or
// `fallback` when the operator carries no custom options.
absl::StatusOr<std::string> FlexOpName(const SubgraphImporter& im,
                                       const tfl::Operator& op,
                                       const std::string& fallback) {
  const flatbuffers::Vector<uint8_t>* options = op.custom_options();
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

// ---- Save/SaveV2/Restore/RestoreV2 (checkpoint/tensor_checkpoint_kernels.cc)

// The constant strings of input `t`, which must hold `count` of them.
absl::StatusOr<std::vector<std::string>> Strings(SubgraphImporter& im, int t,
                                                 size_t count,
                                                 absl::string_view what) {
  ATTUNE_ASSIGN_OR_RETURN(std::vector<std::string> strings,
                          im.StringConstant(t));
  if (strings.size() != count) {
    return im.InvalidArgument(absl::StrCat(what, " holds ", strings.size(),
                                           " strings, expected ", count));
  }
  return strings;
}

// shape_and_slices input `t` of `names.size()` entries (names empty when
// they are computed at run time): -1 when it is a
// constant of empty entries (whole tensors), the attune tensor to check at
// run time when it is computed; Unimplemented for a constant partial slice.
absl::StatusOr<int> Slices(SubgraphImporter& im, int t,
                           const std::vector<std::string>& names) {
  if (!im.IsConstant(t)) return im.Get(t);
  ATTUNE_ASSIGN_OR_RETURN(std::vector<std::string> slices,
                          Strings(im, t, names.size(), "shape_and_slices"));
  for (size_t i = 0; i < slices.size(); ++i) {
    if (!slices[i].empty()) {
      const std::string name =
          names[i].empty() ? absl::StrCat("#", i) : names[i];
      return im.Unimplemented(
          absl::StrCat("tensor \"", name, "\": partial slice \"", slices[i],
                       "\" (attune saves and restores whole tensors only)"));
    }
  }
  return -1;
}

// Save(filename, tensor_names[N], data...) and SaveV2(prefix,
// tensor_names[N], shape_and_slices[N], tensors...): one checkpoint holding
// the tensors under their names. The names must be constant (they become
// attributes).
absl::Status MapSave(SubgraphImporter& im, bool v2) {
  const int first = v2 ? 3 : 2;
  if (im.num_inputs() < first || im.num_outputs() != 0) {
    return im.InvalidArgument(
        absl::StrCat("expects at least ", first, " inputs and no outputs, has ",
                     im.num_inputs(), " and ", im.num_outputs()));
  }
  const size_t n = static_cast<size_t>(im.num_inputs() - first);
  ATTUNE_ASSIGN_OR_RETURN(std::vector<std::string> names,
                          Strings(im, im.in(1), n, "tensor_names"));
  int slices = -1;
  if (v2) {
    ATTUNE_ASSIGN_OR_RETURN(slices, Slices(im, im.in(2), names));
  }
  ATTUNE_ASSIGN_OR_RETURN(int path, im.Get(im.in(0)));
  std::vector<int> inputs = {path, slices};
  Attributes attrs;
  for (size_t i = 0; i < n; ++i) {
    ATTUNE_ASSIGN_OR_RETURN(int t, im.Get(im.in(first + static_cast<int>(i))));
    inputs.push_back(t);
    attrs.SetString(absl::StrCat("name_", i), names[i]);
  }
  im.builder().Op(OpCode::kSaveTensors, std::move(inputs), std::move(attrs), 1);
  return absl::OkStatus();
}

// The planned shape of restored TFLite tensor `t`: its static shape when
// the file gives one (rank > 0, no -1), else the shape of the variable an
// ASSIGN_VARIABLE stores it in, else a scalar when the file says rank 0.
// The kernel checks the checkpoint's tensor against it at run time.
absl::StatusOr<Shape> RestoredShape(SubgraphImporter& im, int t) {
  const Shape shape = im.TensorShape(t);
  bool is_static = !shape.empty();
  for (int64_t d : shape) is_static = is_static && d >= 0;
  if (is_static) return shape;
  const int variable = im.AssignedVariable(t);
  if (variable >= 0) return im.builder().graph().variables[variable].shape;
  if (shape.empty()) return Shape{};
  return im.Unimplemented(absl::StrCat(
      "restored tensor \"", im.TensorName(t), "\" has dynamic shape ",
      ShapeToString(shape),
      " and feeds no variable (attune plans shapes before running)"));
}

// One restore_tensors op computing TFLite tensors `outputs` (names from
// `names` when `names_input` is -1).
absl::Status EmitRestore(SubgraphImporter& im, int path, int names_input,
                         int slices, const std::vector<std::string>& names,
                         const std::vector<int>& outputs) {
  Attributes attrs;
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (names_input < 0) attrs.SetString(absl::StrCat("name_", i), names[i]);
    ATTUNE_ASSIGN_OR_RETURN(DType dtype, im.ComputeDType(outputs[i]));
    ATTUNE_ASSIGN_OR_RETURN(Shape shape, RestoredShape(im, outputs[i]));
    attrs.SetString(absl::StrCat("dtype_", i), DTypeName(dtype));
    attrs.SetInts(absl::StrCat("shape_", i),
                  std::vector<int64_t>(shape.begin(), shape.end()));
  }
  const std::vector<int> handles = im.builder().Op(
      OpCode::kRestoreTensors, {path, names_input, slices}, std::move(attrs),
      static_cast<int>(outputs.size()), im.TensorName(outputs[0]));
  for (size_t i = 0; i < outputs.size(); ++i) im.Set(outputs[i], handles[i]);
  return absl::OkStatus();
}

// Restore(file_pattern, tensor_name) -> one tensor. A restore signature has
// one per variable; to keep restores all-or-nothing, this op and every later
// FlexRestore of the subgraph on the same path tensor with a constant name
// become ONE restore_tensors op (which checks every tensor before it writes
// any output), placed here: their inputs (the path, constants) are all
// available, and gathering stops at the next Save/SaveV2 so a restore never
// moves before a save. A Restore whose name is computed (not constant) is
// mapped alone, with the name as an input: its ASSIGN_VARIABLE may then run
// before a later Restore fails.
absl::Status MapRestore(SubgraphImporter& im) {
  if (im.num_inputs() != 2 || im.num_outputs() != 1) {
    return im.InvalidArgument("expects 2 inputs and 1 output");
  }
  ATTUNE_ASSIGN_OR_RETURN(int path, im.Get(im.in(0)));
  if (!im.IsConstant(im.in(1))) {
    ATTUNE_ASSIGN_OR_RETURN(int name, im.Get(im.in(1)));
    return EmitRestore(im, path, name, -1, {}, {im.out(0)});
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<std::string> names,
                          Strings(im, im.in(1), 1, "tensor_name"));
  std::vector<int> outputs = {im.out(0)};
  for (int o = im.op_index() + 1; o < im.num_operators(); ++o) {
    const std::string code = im.CustomCode(o);
    if (code == "FlexSave" || code == "FlexSaveV2") break;
    const tfl::Operator& op = im.operator_at(o);
    if (code != "FlexRestore" || op.inputs() == nullptr ||
        op.inputs()->size() != 2 || op.outputs() == nullptr ||
        op.outputs()->size() != 1 || op.inputs()->Get(0) != im.in(0) ||
        !im.IsConstant(op.inputs()->Get(1))) {
      continue;
    }
    ATTUNE_ASSIGN_OR_RETURN(std::string op_name, FlexOpName(im, op, "Restore"));
    if (op_name != "Restore") continue;  // rejected when mapped itself
    ATTUNE_ASSIGN_OR_RETURN(std::vector<std::string> more,
                            Strings(im, op.inputs()->Get(1), 1, "tensor_name"));
    names.push_back(more[0]);
    outputs.push_back(op.outputs()->Get(0));
    im.MarkMapped(o);
  }
  return EmitRestore(im, path, -1, -1, names, outputs);
}

// RestoreV2(prefix, tensor_names[N], shape_and_slices[N]) -> N tensors:
// already one op. Names computed at run time are an input of the op.
absl::Status MapRestoreV2(SubgraphImporter& im) {
  if (im.num_inputs() != 3 || im.num_outputs() < 1) {
    return im.InvalidArgument("expects 3 inputs and at least 1 output");
  }
  const size_t n = static_cast<size_t>(im.num_outputs());
  std::vector<int> outputs;
  for (size_t i = 0; i < n; ++i) outputs.push_back(im.out(static_cast<int>(i)));
  ATTUNE_ASSIGN_OR_RETURN(int path, im.Get(im.in(0)));
  std::vector<std::string> names(n);
  int names_input = -1;
  if (im.IsConstant(im.in(1))) {
    ATTUNE_ASSIGN_OR_RETURN(names, Strings(im, im.in(1), n, "tensor_names"));
  } else {
    ATTUNE_ASSIGN_OR_RETURN(names_input, im.Get(im.in(1)));
  }
  int slices = -1;
  if (im.IsConstant(im.in(2))) {
    ATTUNE_ASSIGN_OR_RETURN(slices, Slices(im, im.in(2), names));
  } else {
    ATTUNE_ASSIGN_OR_RETURN(slices, im.Get(im.in(2)));
  }
  return EmitRestore(im, path, names_input, slices, names, outputs);
}

}  // namespace

absl::Status MapFlex(SubgraphImporter& im, absl::string_view custom_code) {
  const std::string expected(custom_code.substr(4));  // after "Flex"
  ATTUNE_ASSIGN_OR_RETURN(std::string name, FlexOpName(im, im.op(), expected));
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
  if (name == "Save") return MapSave(im, /*v2=*/false);
  if (name == "SaveV2") return MapSave(im, /*v2=*/true);
  if (name == "Restore") return MapRestore(im);
  if (name == "RestoreV2") return MapRestoreV2(im);
  return im.Unimplemented(absl::StrCat("Flex op ", name, " is not supported"));
}

}  // namespace tflite
}  // namespace attune
