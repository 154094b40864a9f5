#include "importers/tflite/head.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "builder/model_builder.h"
#include "builder/spec.h"
#include "builder/training.h"
#include "engine/status_macros.h"
#include "nlohmann/json.hpp"

namespace attune {
namespace tflite {
namespace {

using Json = nlohmann::json;

absl::StatusOr<const Signature*> PickSignature(const Graph& graph,
                                               const std::string& key) {
  if (!key.empty()) {
    const Signature* sig = graph.FindSignature(key);
    if (sig == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("no signature \"", key, "\" in the imported model"));
    }
    return sig;
  }
  for (const Signature& sig : graph.signatures) {
    if (absl::EndsWith(sig.key, "_float")) return &sig;
  }
  if (graph.signatures.empty()) {
    return absl::InvalidArgumentError("the imported model has no signature");
  }
  return &graph.signatures[0];
}

absl::StatusOr<int> FindTensor(const Subgraph& sub, const std::string& name) {
  int found = -1;
  for (size_t t = 0; t < sub.tensors.size(); ++t) {
    if (sub.tensors[t].name == name) found = static_cast<int>(t);
  }
  if (found < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("no tensor named \"", name, "\" in the backbone"));
  }
  return found;
}

// Step 1 of AttachTrainableHead: the head spec's pieces, with defaults.
struct HeadSpec {
  Json layers;
  Json loss;
  Json optimizer;
  Json extra;  // seed, gradient_accumulation_steps
  std::string attach_to;
  std::string signature;
};

absl::StatusOr<HeadSpec> ParseHead(const std::string& text) {
  Json root = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    return absl::InvalidArgumentError("head spec: invalid JSON");
  }
  HeadSpec head;
  head.loss = {{"type", "softmax_cross_entropy"}, {"labels", "sparse"}};
  head.optimizer = {{"type", "adam"}, {"learning_rate", 1e-3}};
  head.extra = Json::object();
  if (root.is_array()) {
    head.layers = root;
    return head;
  }
  if (!root.is_object() || !root.contains("layers")) {
    return absl::InvalidArgumentError(
        "head spec: must be a list of layers or an object with \"layers\"");
  }
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (it.key() == "layers") {
      head.layers = it.value();
    } else if (it.key() == "loss") {
      head.loss = it.value();
    } else if (it.key() == "optimizer") {
      head.optimizer = it.value();
    } else if ((it.key() == "attach_to" || it.key() == "signature") &&
               it.value().is_string()) {
      (it.key() == "attach_to" ? head.attach_to : head.signature) =
          it.value().get<std::string>();
    } else if (it.key() == "seed" ||
               it.key() == "gradient_accumulation_steps") {
      head.extra[it.key()] = it.value();
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("head spec: unknown field \"", it.key(), "\""));
    }
  }
  return head;
}

// Marks the nodes needed to compute `target`; returns them in order.
std::vector<int> Slice(const Subgraph& sub, int target) {
  std::vector<bool> needed_tensor(sub.tensors.size(), false);
  needed_tensor[target] = true;
  std::vector<bool> keep(sub.nodes.size(), false);
  for (int n = static_cast<int>(sub.nodes.size()) - 1; n >= 0; --n) {
    const Node& node = sub.nodes[n];
    bool produces = false;
    for (int o : node.outputs) produces = produces || needed_tensor[o];
    // Stateful nodes (variable writes) are not part of a pure backbone.
    if (!produces) continue;
    keep[n] = true;
    for (int i : node.inputs) {
      if (i >= 0) needed_tensor[i] = true;
    }
  }
  std::vector<int> nodes;
  for (size_t n = 0; n < keep.size(); ++n) {
    if (keep[n]) nodes.push_back(static_cast<int>(n));
  }
  return nodes;
}

// Tensors that depend on `from` (inclusive), over the node list in order.
std::vector<bool> Downstream(const Subgraph& sub, const std::vector<int>& nodes,
                             int from) {
  std::vector<bool> down(sub.tensors.size(), false);
  down[from] = true;
  for (int n : nodes) {
    const Node& node = sub.nodes[n];
    bool any = false;
    for (int i : node.inputs) any = any || (i >= 0 && down[i]);
    if (any) {
      for (int o : node.outputs) down[o] = true;
    }
  }
  return down;
}

}  // namespace

absl::StatusOr<Graph> AttachTrainableHead(const Graph& imported,
                                          const HeadOptions& options) {
  // 1. The head spec, the backbone signature and the attach tensor.
  ATTUNE_ASSIGN_OR_RETURN(HeadSpec head, ParseHead(options.spec_json));
  const std::string& signature =
      options.signature.empty() ? head.signature : options.signature;
  const std::string& attach_to =
      options.attach_to.empty() ? head.attach_to : options.attach_to;
  ATTUNE_ASSIGN_OR_RETURN(const Signature* sig,
                          PickSignature(imported, signature));
  const Subgraph& sub = imported.subgraphs[sig->subgraph];
  int attach;
  if (!attach_to.empty()) {
    ATTUNE_ASSIGN_OR_RETURN(attach, FindTensor(sub, attach_to));
  } else if (sig->outputs.size() == 1) {
    attach = sig->outputs[0].tensor;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("signature \"", sig->key, "\" has ", sig->outputs.size(),
                     " outputs: name the tensor to attach the head to"));
  }
  const TensorInfo& features = sub.tensors[attach];
  if (features.dtype != DType::kFloat32 || features.shape.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor \"", features.name, "\" must be float32 with a batch dim"));
  }

  // 2. Compile the head alone on a "features" input of the tensor's shape
  // (batch dim dynamic); its loss decides the probabilities output.
  Json shape = Json::array({-1});
  for (size_t d = 1; d < features.shape.size(); ++d) {
    shape.push_back(features.shape[d]);
  }
  Json spec = {
      {"name", "head"},
      {"inputs",
       Json::array(
           {{{"name", "features"}, {"shape", shape}, {"dtype", "float32"}}})},
      {"layers", head.layers},
      {"loss", head.loss}};
  for (auto it = head.extra.begin(); it != head.extra.end(); ++it) {
    spec[it.key()] = it.value();
  }
  absl::StatusOr<Graph> head_graph = CompileSpec(spec.dump());
  if (!head_graph.ok()) {
    return absl::Status(head_graph.status().code(),
                        absl::StrCat("head: ", head_graph.status().message()));
  }
  spec["optimizer"] = head.optimizer;
  ATTUNE_ASSIGN_OR_RETURN(std::optional<TrainingConfig> config,
                          ParseTrainingConfig(spec.dump()));
  if (!config.has_value()) {
    return absl::InvalidArgumentError(
        "head spec: needs a loss and an optimizer");
  }
  const Graph& h = *head_graph;
  const Signature* h_infer = h.FindSignature("infer");
  if (h_infer == nullptr || h_infer->inputs.size() != 1) {
    return absl::InternalError("compiled head lacks its infer signature");
  }
  const Subgraph& hsub = h.subgraphs[h_infer->subgraph];

  // 3. The merged graph: backbone slice, then the head reading `attach`.
  Graph merged;
  merged.description = absl::StrCat(imported.description, " + trainable head");
  merged.buffers = imported.buffers;
  merged.variables = imported.variables;
  for (VariableInfo& v : merged.variables) v.trainable = false;
  merged.metadata = imported.metadata;
  Subgraph infer;
  infer.name = "infer";
  infer.tensors = sub.tensors;
  const std::vector<int> slice = Slice(sub, attach);

  // --train-from: the weights of conv/dense ops after that tensor become
  // trainable variables, read at the start of the subgraph.
  std::vector<Node> reads;
  std::vector<int> replaced(sub.tensors.size(), -1);
  if (!options.train_from.empty()) {
    ATTUNE_ASSIGN_OR_RETURN(int from, FindTensor(sub, options.train_from));
    const std::vector<bool> down = Downstream(sub, slice, from);
    if (!down[attach]) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor \"", options.train_from, "\" does not feed \"",
                       features.name, "\""));
    }
    for (int n : slice) {
      const Node& node = sub.nodes[n];
      const bool weighted = node.op == OpCode::kConv2d ||
                            node.op == OpCode::kDepthwiseConv2d ||
                            node.op == OpCode::kFullyConnected;
      if (!weighted || !down[node.outputs[0]]) continue;
      for (size_t k = 1; k < node.inputs.size(); ++k) {
        const int t = node.inputs[k];
        if (t < 0 || replaced[t] >= 0) continue;
        const TensorInfo& info = sub.tensors[t];
        if (info.buffer < 0 || info.dtype != DType::kFloat32) continue;
        VariableInfo var;
        var.name = info.name;
        var.dtype = DType::kFloat32;
        var.shape = info.shape;
        var.initializer = Initializer::kConstantBuffer;
        var.buffer = info.buffer;
        var.trainable = true;
        merged.variables.push_back(std::move(var));
        TensorInfo value = info;
        value.buffer = -1;
        value.name = absl::StrCat(info.name, "/read");
        infer.tensors.push_back(std::move(value));
        replaced[t] = static_cast<int>(infer.tensors.size()) - 1;
        Node read;
        read.op = OpCode::kReadVariable;
        read.outputs = {replaced[t]};
        read.attrs.SetInt("variable",
                          static_cast<int64_t>(merged.variables.size()) - 1);
        reads.push_back(std::move(read));
      }
    }
  }
  infer.nodes = reads;
  for (int n : slice) {
    Node node = sub.nodes[n];
    for (int& i : node.inputs) {
      if (i >= 0 && replaced[i] >= 0) i = replaced[i];
    }
    infer.nodes.push_back(std::move(node));
  }

  // The head's tensors, buffers and variables, renumbered.
  const int buffer_offset = static_cast<int>(merged.buffers.size());
  const int variable_offset = static_cast<int>(merged.variables.size());
  for (const ConstantBuffer& b : h.buffers) merged.buffers.push_back(b);
  for (VariableInfo v : h.variables) {
    if (v.buffer >= 0) v.buffer += buffer_offset;
    merged.variables.push_back(std::move(v));
  }
  std::vector<int> map(hsub.tensors.size(), -1);
  map[h_infer->inputs[0].tensor] = attach;
  for (size_t t = 0; t < hsub.tensors.size(); ++t) {
    if (map[t] >= 0) continue;
    TensorInfo info = hsub.tensors[t];
    if (info.buffer >= 0) info.buffer += buffer_offset;
    infer.tensors.push_back(std::move(info));
    map[t] = static_cast<int>(infer.tensors.size()) - 1;
  }
  for (Node node : hsub.nodes) {
    for (int& i : node.inputs) {
      if (i >= 0) i = map[i];
    }
    for (int& o : node.outputs) o = map[o];
    if (const AttrValue* v = node.attrs.Find("variable")) {
      node.attrs.SetInt("variable", std::get<int64_t>(*v) + variable_offset);
    }
    infer.nodes.push_back(std::move(node));
  }
  merged.subgraphs.push_back(std::move(infer));
  Signature out;
  out.key = "infer";
  out.subgraph = 0;
  out.inputs = sig->inputs;
  for (const SignatureIo& io : h_infer->outputs) {
    out.outputs.push_back({io.name, map[io.tensor]});
  }
  merged.signatures.push_back(std::move(out));
  ATTUNE_ASSIGN_OR_RETURN(merged,
                          ModelBuilder::FromGraph(std::move(merged)).Build());

  // 4. train / eval from the head's loss and optimizer, then save/restore.
  ATTUNE_ASSIGN_OR_RETURN(merged,
                          AddTrainingSignatures(std::move(merged), *config));
  return AddCheckpointSignatures(std::move(merged));
}

}  // namespace tflite
}  // namespace attune
