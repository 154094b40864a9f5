#include "engine/validator.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

absl::Status CheckDeclaredShape(const Shape& shape, DType dtype,
                                const std::string& what) {
  if (shape.size() > kMaxRank) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": rank ", shape.size(), " exceeds the maximum ", kMaxRank));
  }
  Shape concrete(shape);
  for (int64_t& d : concrete) {
    if (d < -1) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": shape ", ShapeToString(shape), " has a dim below -1"));
    }
    if (d == -1) d = 1;
  }
  absl::StatusOr<int64_t> elements = CheckedNumElements(concrete);
  if (!elements.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", elements.status().message()));
  }
  // Bytes are capped like elements, so no plan asks for more than 2^40 bytes
  // for one tensor (kernels' SetOutput enforces the same bound).
  const uint64_t bytes = static_cast<uint64_t>(*elements) * DTypeSize(dtype);
  if (bytes > static_cast<uint64_t>(kMaxTensorElements)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": ", DTypeName(dtype), ShapeToString(shape), " needs ", bytes,
        " bytes, more than 2^40"));
  }
  return absl::OkStatus();
}

absl::Status CheckConstantBytes(const Graph& graph, int buffer, DType dtype,
                                const Shape& shape, const std::string& what) {
  if (buffer < 0 || buffer >= static_cast<int>(graph.buffers.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": buffer index ", buffer, " out of range [0, ",
                     graph.buffers.size(), ")"));
  }
  if (!IsFullyDefined(shape)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": constant has dynamic shape ", ShapeToString(shape)));
  }
  if (dtype == DType::kString) return absl::OkStatus();
  const uint64_t expected = NumElements(shape) * DTypeSize(dtype);
  if (graph.buffers[buffer].size != expected) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": buffer ", buffer, " holds ", graph.buffers[buffer].size,
        " bytes but ", DTypeName(dtype), ShapeToString(shape), " needs ",
        expected));
  }
  return absl::OkStatus();
}

absl::Status ValidateSubgraph(const Graph& graph, int index) {
  const Subgraph& subgraph = graph.subgraphs[index];
  const int num_tensors = static_cast<int>(subgraph.tensors.size());
  const std::string where = absl::StrCat("subgraph #", index);

  for (int t = 0; t < num_tensors; ++t) {
    const TensorInfo& tensor = subgraph.tensors[t];
    const std::string what =
        absl::StrCat(where, " tensor #", t, " \"", tensor.name, "\"");
    if (!IsValidDType(static_cast<int>(tensor.dtype))) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": invalid dtype"));
    }
    ATTUNE_RETURN_IF_ERROR(
        CheckDeclaredShape(tensor.shape, tensor.dtype, what));
    if (tensor.buffer != -1) {
      ATTUNE_RETURN_IF_ERROR(CheckConstantBytes(graph, tensor.buffer,
                                                tensor.dtype, tensor.shape,
                                                what));
    }
    if (tensor.quantization.has_value()) {
      const Quantization& q = *tensor.quantization;
      const bool per_channel = q.scale.size() > 1;
      if (q.scale.empty() ||
          (!q.zero_point.empty() && q.zero_point.size() != q.scale.size())) {
        return absl::InvalidArgumentError(absl::StrCat(
            what, ": quantization has ", q.scale.size(), " scales and ",
            q.zero_point.size(), " zero points"));
      }
      if (per_channel &&
          (q.axis < 0 || q.axis >= static_cast<int>(tensor.shape.size()) ||
           tensor.shape[q.axis] != static_cast<int64_t>(q.scale.size()))) {
        return absl::InvalidArgumentError(absl::StrCat(
            what, ": per-channel quantization axis ", q.axis, " with ",
            q.scale.size(), " scales does not match shape ",
            ShapeToString(tensor.shape)));
      }
    }
  }

  // Pass 1: op codes, arity, output indices; producer[t] = the node writing t.
  std::vector<int> producer(num_tensors, -1);
  const int num_nodes = static_cast<int>(subgraph.nodes.size());
  for (int n = 0; n < num_nodes; ++n) {
    const Node& node = subgraph.nodes[n];
    if (!IsValidOpCode(static_cast<int>(node.op))) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, " node #", n, ": unknown op code ", static_cast<int>(node.op)));
    }
    const OpInfo& info = GetOpInfo(node.op);
    const std::string what =
        absl::StrCat(info.name, " node #", n, " (", where, ")");
    const int num_in = static_cast<int>(node.inputs.size());
    const int num_out = static_cast<int>(node.outputs.size());
    if (num_in < info.min_inputs ||
        (info.max_inputs != -1 && num_in > info.max_inputs)) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": has ", num_in, " inputs, expected ", info.min_inputs,
          info.max_inputs == -1 ? " or more"
                                : absl::StrCat(" to ", info.max_inputs)));
    }
    if ((info.num_outputs == -1 && num_out < 1) ||
        (info.num_outputs != -1 && num_out != info.num_outputs)) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": has ", num_out, " outputs, expected ",
          info.num_outputs == -1 ? std::string("at least 1")
                                 : absl::StrCat(info.num_outputs)));
    }
    for (int i = 0; i < num_out; ++i) {
      const int t = node.outputs[i];
      if (t < 0 || t >= num_tensors) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": output ", i, " refers to tensor ", t,
                         ", out of range [0, ", num_tensors, ")"));
      }
      if (subgraph.tensors[t].buffer != -1) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": writes constant tensor #", t));
      }
      if (producer[t] != -1) {
        return absl::InvalidArgumentError(absl::StrCat(
            what, ": tensor #", t, " \"", subgraph.tensors[t].name,
            "\" is already produced by node #", producer[t]));
      }
      producer[t] = n;
    }
  }
  // Pass 2: inputs are in range and produced by earlier nodes (acyclic).
  for (int n = 0; n < num_nodes; ++n) {
    const Node& node = subgraph.nodes[n];
    const OpInfo& info = GetOpInfo(node.op);
    for (int i = 0; i < static_cast<int>(node.inputs.size()); ++i) {
      const int t = node.inputs[i];
      if (t == -1 && i >= info.min_inputs) continue;
      if (t < 0 || t >= num_tensors) {
        return absl::InvalidArgumentError(absl::StrCat(
            info.name, " node #", n, " (", where, "): input ", i,
            " refers to tensor ", t, ", out of range [0, ", num_tensors, ")"));
      }
      if (producer[t] >= n) {
        return absl::InvalidArgumentError(absl::StrCat(
            info.name, " node #", n, " (", where, "): reads tensor #", t,
            " \"", subgraph.tensors[t].name, "\" produced by node #",
            producer[t], " (cycle, or nodes not in topological order)"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateSignature(const Graph& graph, const Signature& signature) {
  const std::string what = absl::StrCat("signature \"", signature.key, "\"");
  if (signature.subgraph < 0 ||
      signature.subgraph >= static_cast<int>(graph.subgraphs.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": subgraph index ", signature.subgraph,
                     " out of range [0, ", graph.subgraphs.size(), ")"));
  }
  const Subgraph& subgraph = graph.subgraphs[signature.subgraph];
  std::vector<bool> produced(subgraph.tensors.size(), false);
  for (const Node& node : subgraph.nodes) {
    for (int t : node.outputs) produced[t] = true;
  }
  absl::flat_hash_set<std::string> names;
  for (const auto* list : {&signature.inputs, &signature.outputs}) {
    names.clear();
    const bool is_input = list == &signature.inputs;
    for (const SignatureIo& io : *list) {
      if (!names.insert(io.name).second) {
        return absl::InvalidArgumentError(absl::StrCat(
            what, ": duplicate ", is_input ? "input" : "output", " name \"",
            io.name, "\""));
      }
      if (io.tensor < 0 ||
          io.tensor >= static_cast<int>(subgraph.tensors.size())) {
        return absl::InvalidArgumentError(absl::StrCat(
            what, ": ", is_input ? "input" : "output", " \"", io.name,
            "\" refers to tensor ", io.tensor, ", out of range"));
      }
      if (is_input && (produced[io.tensor] ||
                       subgraph.tensors[io.tensor].buffer != -1)) {
        return absl::InvalidArgumentError(absl::StrCat(
            what, ": input \"", io.name,
            "\" is a constant or computed tensor, not a graph input"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateGraph(const Graph& graph) {
  for (int s = 0; s < static_cast<int>(graph.subgraphs.size()); ++s) {
    ATTUNE_RETURN_IF_ERROR(ValidateSubgraph(graph, s));
  }
  absl::flat_hash_set<std::string> keys;
  for (const Signature& signature : graph.signatures) {
    if (!keys.insert(signature.key).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate signature key \"", signature.key, "\""));
    }
    ATTUNE_RETURN_IF_ERROR(ValidateSignature(graph, signature));
  }
  absl::flat_hash_set<std::string> variable_names;
  for (size_t v = 0; v < graph.variables.size(); ++v) {
    const VariableInfo& variable = graph.variables[v];
    const std::string what =
        absl::StrCat("variable #", v, " \"", variable.name, "\"");
    if (!variable_names.insert(variable.name).second) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": duplicate name"));
    }
    if (!IsValidDType(static_cast<int>(variable.dtype)) ||
        variable.dtype == DType::kString) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": invalid dtype"));
    }
    ATTUNE_RETURN_IF_ERROR(
        CheckDeclaredShape(variable.shape, variable.dtype, what));
    if (!IsFullyDefined(variable.shape)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": variables need a fully defined shape, got ",
                       ShapeToString(variable.shape)));
    }
    if (variable.initializer == Initializer::kConstantBuffer) {
      ATTUNE_RETURN_IF_ERROR(CheckConstantBytes(
          graph, variable.buffer, variable.dtype, variable.shape, what));
    }
  }
  return absl::OkStatus();
}

}  // namespace attune
