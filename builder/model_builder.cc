#include "builder/model_builder.h"

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"
#include "engine/validator.h"
#include "signatures/execution_plan.h"

namespace attune {

ModelBuilder::ModelBuilder(std::string description) {
  graph_.description = std::move(description);
  graph_.subgraphs.emplace_back();
  graph_.subgraphs.back().name = "main";
}

ModelBuilder ModelBuilder::FromGraph(Graph graph) {
  ModelBuilder builder;
  builder.graph_ = std::move(graph);
  if (builder.graph_.subgraphs.empty()) {
    builder.graph_.subgraphs.emplace_back();
    builder.graph_.subgraphs.back().name = "main";
  }
  return builder;
}

int ModelBuilder::CopySubgraph(int from, std::string name) {
  if (from < 0 || from >= static_cast<int>(graph_.subgraphs.size())) {
    AddError(absl::StrCat("CopySubgraph: no subgraph #", from));
    return current_;
  }
  Subgraph copy = graph_.subgraphs[from];
  copy.name = std::move(name);
  graph_.subgraphs.push_back(std::move(copy));
  current_ = static_cast<int>(graph_.subgraphs.size()) - 1;
  return current_;
}

void ModelBuilder::AddError(absl::string_view message) {
  if (first_error_.empty()) first_error_ = std::string(message);
}

int ModelBuilder::AddSubgraph(std::string name) {
  graph_.subgraphs.emplace_back();
  graph_.subgraphs.back().name = std::move(name);
  current_ = static_cast<int>(graph_.subgraphs.size()) - 1;
  return current_;
}

void ModelBuilder::SetCurrentSubgraph(int index) {
  if (index < 0 || index >= static_cast<int>(graph_.subgraphs.size())) {
    if (first_error_.empty()) {
      first_error_ = absl::StrCat("no subgraph #", index);
    }
    return;
  }
  current_ = index;
}

int ModelBuilder::AddTensor(TensorInfo info) {
  auto& tensors = graph_.subgraphs[current_].tensors;
  tensors.push_back(std::move(info));
  return static_cast<int>(tensors.size()) - 1;
}

bool ModelBuilder::CheckHandle(int tensor, absl::string_view what) {
  const int n = static_cast<int>(graph_.subgraphs[current_].tensors.size());
  if (tensor >= 0 && tensor < n) return true;
  if (first_error_.empty()) {
    first_error_ = absl::StrCat(what, ": tensor handle ", tensor,
                                " is not in subgraph #", current_);
  }
  return false;
}

int ModelBuilder::Input(absl::string_view name, DType dtype, Shape shape) {
  return AddTensor({std::string(name), dtype, std::move(shape), -1, {}});
}

int ModelBuilder::AddBuffer(absl::Span<const uint8_t> bytes) {
  graph_.buffers.push_back(ConstantBuffer::Copy(bytes));
  return static_cast<int>(graph_.buffers.size()) - 1;
}

int ModelBuilder::Constant(absl::string_view name, DType dtype, Shape shape,
                           absl::Span<const uint8_t> bytes) {
  const int buffer = AddBuffer(bytes);
  return AddTensor({std::string(name), dtype, std::move(shape), buffer, {}});
}

int ModelBuilder::ConstantInts(absl::string_view name,
                               absl::Span<const int64_t> values) {
  return Constant<int64_t>(name, {static_cast<int64_t>(values.size())}, values);
}

int ModelBuilder::ConstantScalar(absl::string_view name, float value) {
  return Constant<float>(name, {}, absl::MakeConstSpan(&value, 1));
}

std::vector<int> ModelBuilder::Op(OpCode op, std::vector<int> inputs,
                                  Attributes attrs, int num_outputs,
                                  absl::string_view name) {
  Subgraph& subgraph = graph_.subgraphs[current_];
  const std::string base =
      name.empty()
          ? absl::StrCat(OpName(op), "_", subgraph.nodes.size())
          : std::string(name);
  for (int t : inputs) {
    if (t != -1) CheckHandle(t, base);
  }
  Node node;
  node.op = op;
  node.inputs = std::move(inputs);
  node.attrs = std::move(attrs);
  for (int i = 0; i < num_outputs; ++i) {
    node.outputs.push_back(AddTensor(
        {num_outputs == 1 ? base : absl::StrCat(base, ":", i),
         DType::kFloat32,
         {},
         -1,
         {}}));
  }
  std::vector<int> outputs = node.outputs;
  graph_.subgraphs[current_].nodes.push_back(std::move(node));
  return outputs;
}

int ModelBuilder::Op1(OpCode op, std::vector<int> inputs, Attributes attrs,
                      absl::string_view name) {
  return Op(op, std::move(inputs), std::move(attrs), 1, name)[0];
}

int ModelBuilder::AddVariable(VariableInfo variable) {
  graph_.variables.push_back(std::move(variable));
  return static_cast<int>(graph_.variables.size()) - 1;
}

void ModelBuilder::AddSignature(
    absl::string_view key, std::vector<std::pair<std::string, int>> inputs,
    std::vector<std::pair<std::string, int>> outputs) {
  Signature signature;
  signature.key = std::string(key);
  signature.subgraph = current_;
  for (auto& [name, tensor] : inputs) {
    CheckHandle(tensor, absl::StrCat("signature ", key, " input ", name));
    signature.inputs.push_back({std::move(name), tensor});
  }
  for (auto& [name, tensor] : outputs) {
    CheckHandle(tensor, absl::StrCat("signature ", key, " output ", name));
    signature.outputs.push_back({std::move(name), tensor});
  }
  graph_.signatures.push_back(std::move(signature));
}

void ModelBuilder::AddMetadata(absl::string_view key, absl::string_view value) {
  graph_.metadata.emplace_back(std::string(key), std::string(value));
}

absl::StatusOr<Graph> ModelBuilder::Build() const {
  if (!first_error_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ModelBuilder: ", first_error_));
  }
  Graph graph = graph_;
  ATTUNE_RETURN_IF_ERROR(ValidateGraph(graph));
  // Shape inference: plan each signature twice, with every dynamic input dim
  // at 1 and at 2. Computed dims that differ between the two depend on a
  // dynamic dim and are declared -1.
  ATTUNE_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model,
                          Model::FromGraph(graph));
  ATTUNE_ASSIGN_OR_RETURN(std::unique_ptr<VariableStore> variables,
                          VariableStore::Create(model));
  PlanOptions options;
  options.check_declared = false;
  options.variables = variables.get();
  for (int sig = 0; sig < static_cast<int>(graph.signatures.size()); ++sig) {
    const Signature& signature = graph.signatures[sig];
    ATTUNE_ASSIGN_OR_RETURN(std::unique_ptr<ExecutionPlan> ones,
                            ExecutionPlan::Create(model, sig, options));
    ATTUNE_ASSIGN_OR_RETURN(std::unique_ptr<ExecutionPlan> twos,
                            ExecutionPlan::Create(model, sig, options));
    for (size_t i = 0; i < signature.inputs.size(); ++i) {
      Shape shape = twos->declared_shape(signature.inputs[i].tensor);
      for (int64_t& d : shape) {
        if (d < 0) d = 2;
      }
      ATTUNE_RETURN_IF_ERROR(twos->ResizeInput(static_cast<int>(i), shape));
    }
    // Shapes only: the arena is planned, never allocated (an imported
    // file may declare tensors of terabytes).
    ATTUNE_RETURN_IF_ERROR(twos->Reshape());
    Subgraph& subgraph = graph.subgraphs[signature.subgraph];
    for (const Node& node : subgraph.nodes) {
      for (int t : node.outputs) {
        const Tensor& a = ones->tensor(t);
        const Tensor& b = twos->tensor(t);
        TensorInfo& info = subgraph.tensors[t];
        info.dtype = a.dtype;
        info.shape = a.shape;
        for (size_t d = 0; d < info.shape.size() && d < b.shape.size(); ++d) {
          if (a.shape[d] != b.shape[d]) info.shape[d] = -1;
        }
      }
    }
  }
  return graph;
}

absl::StatusOr<std::shared_ptr<const Model>> ModelBuilder::BuildModel() const {
  ATTUNE_ASSIGN_OR_RETURN(Graph graph, Build());
  return Model::FromGraph(std::move(graph));
}

}  // namespace attune
