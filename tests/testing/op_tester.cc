#include "tests/testing/op_tester.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"
#include "signatures/execution_plan.h"

namespace attune::testing {

OpTester& OpTester::Omitted() {
  inputs_.push_back({DType::kFloat32, {}, {}, false, true, std::nullopt});
  return *this;
}

OpTester& OpTester::AddInput(DType dtype, Shape shape,
                             std::vector<uint8_t> bytes, bool constant) {
  inputs_.push_back({dtype, std::move(shape), std::move(bytes), constant, false,
                     std::nullopt});
  return *this;
}

OpTester& OpTester::Quantize(Quantization quantization) {
  if (!inputs_.empty()) inputs_.back().quantization = std::move(quantization);
  return *this;
}

absl::StatusOr<std::shared_ptr<const Model>> OpTester::BuildQuantizedModel()
    const {
  Graph graph;
  graph.description = "op test";
  graph.subgraphs.emplace_back();
  Subgraph& subgraph = graph.subgraphs.back();
  subgraph.name = "main";
  Signature signature;
  signature.key = "run";
  Node node;
  node.op = op_;
  node.attrs = attrs_;
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const PendingInput& in = inputs_[i];
    if (in.omitted) {
      node.inputs.push_back(-1);
      continue;
    }
    TensorInfo info;
    info.name = absl::StrCat("in", i);
    info.dtype = in.dtype;
    info.shape = in.shape;
    info.quantization = in.quantization;
    const int t = static_cast<int>(subgraph.tensors.size());
    if (in.constant) {
      graph.buffers.push_back(ConstantBuffer::Copy(in.bytes));
      info.buffer = static_cast<int>(graph.buffers.size()) - 1;
    } else {
      signature.inputs.push_back({info.name, t});
    }
    subgraph.tensors.push_back(std::move(info));
    node.inputs.push_back(t);
  }
  for (int i = 0; i < num_outputs_; ++i) {
    TensorInfo info;
    info.name = absl::StrCat("out", i);
    const int t = static_cast<int>(subgraph.tensors.size());
    subgraph.tensors.push_back(std::move(info));
    node.outputs.push_back(t);
    signature.outputs.push_back({absl::StrCat("out", i), t});
  }
  subgraph.nodes.push_back(std::move(node));
  graph.signatures.push_back(std::move(signature));

  // Shape inference: prepare once without declared outputs, then declare
  // what the kernel computed.
  ATTUNE_ASSIGN_OR_RETURN(std::shared_ptr<const Model> draft,
                          Model::FromGraph(graph));
  PlanOptions options;
  options.check_declared = false;
  ATTUNE_ASSIGN_OR_RETURN(std::unique_ptr<ExecutionPlan> plan,
                          ExecutionPlan::Create(draft, 0, options));
  for (int t : subgraph.nodes[0].outputs) {
    subgraph.tensors[t].dtype = plan->tensor(t).dtype;
    subgraph.tensors[t].shape = plan->tensor(t).shape;
  }
  return Model::FromGraph(std::move(graph));
}

absl::StatusOr<std::shared_ptr<const Model>> OpTester::BuildModel() const {
  for (const PendingInput& in : inputs_) {
    if (in.quantization.has_value()) return BuildQuantizedModel();
  }
  ModelBuilder builder("op test");
  std::vector<int> handles;
  std::vector<std::pair<std::string, int>> signature_inputs;
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const PendingInput& in = inputs_[i];
    const std::string name = absl::StrCat("in", i);
    if (in.omitted) {
      handles.push_back(-1);
    } else if (in.constant) {
      handles.push_back(builder.Constant(name, in.dtype, in.shape, in.bytes));
    } else {
      handles.push_back(builder.Input(name, in.dtype, in.shape));
      signature_inputs.emplace_back(name, handles.back());
    }
  }
  std::vector<int> outputs = builder.Op(op_, handles, attrs_, num_outputs_);
  std::vector<std::pair<std::string, int>> signature_outputs;
  for (size_t i = 0; i < outputs.size(); ++i) {
    signature_outputs.emplace_back(absl::StrCat("out", i), outputs[i]);
  }
  builder.AddSignature("run", signature_inputs, signature_outputs);
  return builder.BuildModel();
}

absl::Status OpTester::Run() {
  ATTUNE_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, BuildModel());
  InterpreterOptions options;
  options.num_threads = threads_;
  ATTUNE_ASSIGN_OR_RETURN(interpreter_, Interpreter::Create(model, options));
  ATTUNE_ASSIGN_OR_RETURN(runner_, interpreter_->GetSignatureRunner("run"));
  ATTUNE_RETURN_IF_ERROR(runner_->AllocateTensors());
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const PendingInput& in = inputs_[i];
    if (in.omitted || in.constant) continue;
    ATTUNE_ASSIGN_OR_RETURN(Tensor * tensor,
                            runner_->input(absl::StrCat("in", i)));
    if (tensor->bytes != in.bytes.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("OpTester input ", i, ": ", in.bytes.size(),
                       " bytes given for a ", tensor->bytes, "-byte tensor"));
    }
    if (!in.bytes.empty()) {
      std::memcpy(tensor->data, in.bytes.data(), in.bytes.size());
    }
  }
  return runner_->Invoke();
}

const Tensor& OpTester::output(int i) const {
  return **runner_->output(absl::StrCat("out", i));
}

std::vector<double> OpTester::OutputAsDouble(int i) const {
  const Tensor& t = output(i);
  std::vector<double> out(t.num_elements());
  for (size_t k = 0; k < out.size(); ++k) {
    switch (t.dtype) {
      case DType::kFloat32: out[k] = t.data_as<float>()[k]; break;
      case DType::kInt32: out[k] = t.data_as<int32_t>()[k]; break;
      case DType::kInt64: out[k] = t.data_as<int64_t>()[k]; break;
      case DType::kBool: out[k] = t.data_as<uint8_t>()[k]; break;
      case DType::kUint8: out[k] = t.data_as<uint8_t>()[k]; break;
      case DType::kInt8: out[k] = t.data_as<int8_t>()[k]; break;
      default: out[k] = 0; break;
    }
  }
  return out;
}

size_t OpTester::arena_bytes() const { return runner_->arena_bytes(); }

}  // namespace attune::testing
