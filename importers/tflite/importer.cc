#include "importers/tflite/importer.h"

#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "builder/model_builder.h"
#include "engine/interpreter.h"
#include "engine/status_macros.h"
#include "importers/tflite/reader.h"
#include "importers/tflite/subgraph_importer.h"
#include "variables/variable_store.h"

namespace attune {
namespace tflite {
namespace {

struct VariableState {
  std::string key;
  bool has_value = false;  // dtype and shape known
  DType dtype = DType::kFloat32;
  Shape shape;
  int buffer = -1;  // initial value (constant buffer), -1: zeros
};

// A variable's initial value computed by a CALL_ONCE init subgraph.
struct InitValue {
  int variable = -1;
  DType dtype = DType::kFloat32;
  Shape shape;
  std::vector<uint8_t> bytes;
};

// Evaluating an init subgraph at import allocates its arena; above this
// (the default cap on all variables' bytes) the file is refused.
constexpr size_t kMaxInitArenaBytes = VariableStore::kDefaultMaxVariableBytes;

// Evaluates init subgraph `s` at import: its ops are mapped like any
// subgraph's (SubgraphImporter in init-evaluation mode), the values it
// assigns become the outputs of a one-off signature, and an interpreter
// runs it once. Constant assignments are read directly. The last assignment
// of a variable wins.
absl::StatusOr<std::vector<InitValue>> EvaluateInitSubgraph(
    const tfl::Model& model, absl::Span<const uint8_t> file, int s,
    const VariableIndex& index) {
  ModelBuilder builder("CALL_ONCE init");
  SubgraphImporter importer(model, file, s, index, builder, false);
  importer.RecordAssignments();
  ATTUNE_RETURN_IF_ERROR(importer.Import({}, {}, {}).status());
  std::vector<std::pair<std::string, int>> outputs;
  std::vector<int> variables;
  std::vector<InitValue> values;
  for (const auto& [var, handle] : importer.assignments()) {
    const TensorInfo& info = builder.tensor(handle);
    if (info.buffer >= 0) {  // a constant: no need to run anything
      InitValue v;
      v.variable = var;
      v.dtype = info.dtype;
      v.shape = info.shape;
      const ConstantBuffer& b = builder.graph().buffers[info.buffer];
      v.bytes.assign(b.data, b.data + b.size);
      values.push_back(std::move(v));
      continue;
    }
    outputs.emplace_back(absl::StrCat("v", outputs.size()), handle);
    variables.push_back(var);
  }
  builder.AddSignature("init", {}, outputs);
  ATTUNE_ASSIGN_OR_RETURN(std::shared_ptr<const Model> m, builder.BuildModel());
  ATTUNE_ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> interpreter,
                          Interpreter::Create(m));
  ATTUNE_ASSIGN_OR_RETURN(SignatureRunner * runner,
                          interpreter->GetSignatureRunner("init"));
  if (runner->arena_bytes() > kMaxInitArenaBytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "CALL_ONCE init subgraph ", s, " needs a ", runner->arena_bytes(),
        "-byte arena to evaluate (limit ", kMaxInitArenaBytes, ")"));
  }
  ATTUNE_RETURN_IF_ERROR(runner->AllocateTensors());
  ATTUNE_RETURN_IF_ERROR(runner->Invoke());
  for (size_t i = 0; i < outputs.size(); ++i) {
    ATTUNE_ASSIGN_OR_RETURN(const Tensor* t, runner->output(outputs[i].first));
    InitValue v;
    v.variable = variables[i];
    v.dtype = t->dtype;
    v.shape = t->shape;
    const uint8_t* data = static_cast<const uint8_t*>(t->data);
    v.bytes.assign(data, data + t->num_elements() * DTypeSize(t->dtype));
    values.push_back(std::move(v));
  }
  return values;
}

tfl::BuiltinOperator CodeOf(const tfl::Model& model, const tfl::Operator& op) {
  return EffectiveBuiltinCode(*model.operator_codes()->Get(op.opcode_index()));
}

absl::StatusOr<DType> PlainDType(const tfl::Tensor& t) {
  switch (t.type()) {
    case tfl::TensorType::FLOAT32:
      return DType::kFloat32;
    case tfl::TensorType::INT32:
      return DType::kInt32;
    case tfl::TensorType::INT64:
      return DType::kInt64;
    case tfl::TensorType::BOOL:
      return DType::kBool;
    default:
      return absl::UnimplementedError(
          absl::StrCat("variable of type ", tfl::EnumNameTensorType(t.type())));
  }
}

Shape StaticShape(const tfl::Tensor& t) {
  Shape shape;
  if (t.shape() != nullptr) {
    for (int32_t d : *t.shape()) shape.push_back(d);
  }
  return shape;
}

// True when init subgraph `sg` does more than assign plain (unquantized,
// constant) tensors to variables.
bool NeedsEvaluation(const tfl::Model& model, absl::Span<const uint8_t> file,
                     const tfl::SubGraph& sg) {
  for (const tfl::Operator* op : *sg.operators()) {
    const tfl::BuiltinOperator code = CodeOf(model, *op);
    if (code == tfl::BuiltinOperator::VAR_HANDLE) continue;
    if (code != tfl::BuiltinOperator::ASSIGN_VARIABLE || !op->inputs() ||
        op->inputs()->size() != 2 || op->inputs()->Get(1) < 0) {
      return true;
    }
    const tfl::Tensor& t = *sg.tensors()->Get(op->inputs()->Get(1));
    absl::StatusOr<absl::Span<const uint8_t>> bytes =
        BufferBytes(model, t.buffer(), file);
    if (!bytes.ok() || bytes->empty() || !PlainDType(t).ok() ||
        (t.quantization() && t.quantization()->scale() &&
         t.quantization()->scale()->size() > 0)) {
      return true;
    }
  }
  return false;
}

// Steps 1-2 of importer.h: one variable per VAR_HANDLE key; initial values
// from the CALL_ONCE init subgraphs; dtype/shape of the others from the
// tensors assigned to or read from them.
absl::Status CollectVariables(const tfl::Model& model,
                              absl::Span<const uint8_t> file,
                              ModelBuilder& builder, VariableIndex& index) {
  std::vector<VariableState> vars;
  std::set<int> init_subgraphs;
  const int num_subgraphs = model.subgraphs()->size();
  for (int s = 0; s < num_subgraphs; ++s) {
    const tfl::SubGraph& sg = *model.subgraphs()->Get(s);
    if (sg.operators() == nullptr) continue;
    for (const tfl::Operator* op : *sg.operators()) {
      const tfl::BuiltinOperator code = CodeOf(model, *op);
      if (code == tfl::BuiltinOperator::VAR_HANDLE) {
        const std::string key =
            VariableKey(op->builtin_options_as_VarHandleOptions());
        if (key.empty()) {
          return absl::DataLossError(absl::StrCat(
              "subgraph ", s, ": VAR_HANDLE without a shared_name"));
        }
        if (index.emplace(key, static_cast<int>(vars.size())).second) {
          VariableState state;
          state.key = key;
          vars.push_back(std::move(state));
        }
      } else if (code == tfl::BuiltinOperator::CALL_ONCE) {
        const tfl::CallOnceOptions* o =
            op->builtin_options_as_CallOnceOptions();
        const int init = o ? o->init_subgraph_index() : -1;
        if (init < 0 || init >= num_subgraphs || init == s) {
          return absl::DataLossError(absl::StrCat(
              "subgraph ", s, ": CALL_ONCE refers to subgraph ", init));
        }
        init_subgraphs.insert(init);
      }
    }
  }
  // Typing pass: ASSIGN_VARIABLE values (constants in init subgraphs give
  // the initial value) and READ_VARIABLE outputs.
  for (int pass = 0; pass < 2; ++pass) {
    for (int s = 0; s < num_subgraphs; ++s) {
      const bool is_init = init_subgraphs.count(s) > 0;
      if ((pass == 0) != is_init) continue;  // init subgraphs first
      const tfl::SubGraph& sg = *model.subgraphs()->Get(s);
      if (sg.operators() == nullptr) continue;
      if (is_init && NeedsEvaluation(model, file, sg)) {
        ATTUNE_ASSIGN_OR_RETURN(std::vector<InitValue> values,
                                EvaluateInitSubgraph(model, file, s, index));
        for (const InitValue& v : values) {
          VariableState& var = vars[v.variable];
          var.dtype = v.dtype;
          var.shape = v.shape;
          var.buffer = builder.AddBuffer(v.bytes);
          var.has_value = true;
        }
        continue;
      }
      std::vector<int> resource(sg.tensors() ? sg.tensors()->size() : 0, -1);
      for (uint32_t o = 0; o < sg.operators()->size(); ++o) {
        const tfl::Operator& op = *sg.operators()->Get(o);
        const tfl::BuiltinOperator code = CodeOf(model, op);
        const std::string where = absl::StrCat("subgraph ", s, " operator ", o,
                                               " (", BuiltinName(code), ")");
        const int in0 =
            op.inputs() && op.inputs()->size() > 0 ? op.inputs()->Get(0) : -1;
        if (code == tfl::BuiltinOperator::VAR_HANDLE) {
          if (op.outputs() && op.outputs()->size() == 1) {
            resource[op.outputs()->Get(0)] =
                index.at(VariableKey(op.builtin_options_as_VarHandleOptions()));
          }
          continue;
        }
        const bool assign = code == tfl::BuiltinOperator::ASSIGN_VARIABLE;
        const bool read = code == tfl::BuiltinOperator::READ_VARIABLE;
        if (!assign && !read) continue;
        if (in0 < 0 || resource[in0] < 0) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": input 0 is not a VAR_HANDLE resource"));
        }
        VariableState& var = vars[resource[in0]];
        int value = -1;
        if (assign && op.inputs()->size() == 2) value = op.inputs()->Get(1);
        if (read && op.outputs() && op.outputs()->size() == 1) {
          value = op.outputs()->Get(0);
        }
        if (value < 0) {
          return absl::InvalidArgumentError(absl::StrCat(where, ": malformed"));
        }
        const tfl::Tensor& t = *sg.tensors()->Get(value);
        if (is_init) {
          ATTUNE_ASSIGN_OR_RETURN(absl::Span<const uint8_t> bytes,
                                  BufferBytes(model, t.buffer(), file));
          ATTUNE_ASSIGN_OR_RETURN(var.dtype, PlainDType(t));
          var.shape = StaticShape(t);
          ATTUNE_ASSIGN_OR_RETURN(const int64_t count, ElementCount(t.shape()));
          if (bytes.size() !=
              static_cast<uint64_t>(count) * DTypeSize(var.dtype)) {
            return absl::DataLossError(absl::StrCat(
                where, ": initial value of \"", var.key, "\" has ",
                bytes.size(), " bytes for shape ", ShapeToString(var.shape)));
          }
          var.buffer = builder.AddBuffer(bytes);
          var.has_value = true;
        } else if (!var.has_value || (var.buffer < 0 && var.shape.empty() &&
                                      !StaticShape(t).empty())) {
          // Without an initial value, a ranked tensor wins over a rank-0
          // one: the converter leaves Flex Restore outputs (assigned to
          // variables) shapeless.
          ATTUNE_ASSIGN_OR_RETURN(var.dtype, PlainDType(t));
          ATTUNE_RETURN_IF_ERROR(ElementCount(t.shape()).status());
          var.shape = StaticShape(t);
          var.has_value = true;
        }
      }
    }
  }
  for (const VariableState& var : vars) {
    if (!var.has_value) {
      return absl::UnimplementedError(
          absl::StrCat("variable \"", var.key,
                       "\" is never read or assigned, so its "
                       "dtype and shape are unknown"));
    }
    VariableInfo info;
    info.name = var.key;
    info.dtype = var.dtype;
    info.shape = var.shape;
    info.initializer =
        var.buffer >= 0 ? Initializer::kConstantBuffer : Initializer::kZeros;
    info.buffer = var.buffer;
    info.trainable = var.dtype == DType::kFloat32;
    builder.AddVariable(std::move(info));
  }
  return absl::OkStatus();
}

struct SignatureSpec {
  std::string key;
  int subgraph = 0;
  std::vector<std::pair<std::string, int>> inputs;  // name, TFLite tensor
  std::vector<std::pair<std::string, int>> outputs;
};

std::vector<SignatureSpec> Signatures(const tfl::Model& model) {
  std::vector<SignatureSpec> specs;
  if (model.signature_defs() != nullptr && model.signature_defs()->size() > 0) {
    for (const tfl::SignatureDef* def : *model.signature_defs()) {
      SignatureSpec spec;
      spec.key = def->signature_key() ? def->signature_key()->str() : "";
      spec.subgraph = def->subgraph_index();
      for (int side = 0; side < 2; ++side) {
        const auto* maps = side == 0 ? def->inputs() : def->outputs();
        if (maps == nullptr) continue;
        for (const tfl::TensorMap* m : *maps) {
          (side == 0 ? spec.inputs : spec.outputs)
              .emplace_back(m->name() ? m->name()->str() : "",
                            static_cast<int>(m->tensor_index()));
        }
      }
      specs.push_back(std::move(spec));
    }
    return specs;
  }
  SignatureSpec spec;
  spec.key = "serving_default";
  const tfl::SubGraph& sg = *model.subgraphs()->Get(0);
  for (int side = 0; side < 2; ++side) {
    const auto* list = side == 0 ? sg.inputs() : sg.outputs();
    if (list == nullptr) continue;
    for (int t : *list) {
      const tfl::Tensor& info = *sg.tensors()->Get(t);
      (side == 0 ? spec.inputs : spec.outputs)
          .emplace_back(info.name() ? info.name()->str() : absl::StrCat("t", t),
                        t);
    }
  }
  specs.push_back(std::move(spec));
  return specs;
}

bool HasQuantizedIo(const tfl::Model& model, const SignatureSpec& spec) {
  const tfl::SubGraph& sg = *model.subgraphs()->Get(spec.subgraph);
  for (const auto* list : {&spec.inputs, &spec.outputs}) {
    for (const auto& [name, t] : *list) {
      const tfl::Tensor& info = *sg.tensors()->Get(t);
      const tfl::QuantizationParameters* q = info.quantization();
      if (q && q->scale() && q->scale()->size() > 0 &&
          (info.type() == tfl::TensorType::UINT8 ||
           info.type() == tfl::TensorType::INT8)) {
        return true;
      }
    }
  }
  return false;
}

absl::Status ImportSignature(const tfl::Model& model,
                             absl::Span<const uint8_t> file,
                             const SignatureSpec& spec,
                             const VariableIndex& variables, bool float_io,
                             absl::string_view key, bool first,
                             ModelBuilder& builder) {
  const tfl::SubGraph& sg = *model.subgraphs()->Get(spec.subgraph);
  const int num_tensors = sg.tensors() ? sg.tensors()->size() : 0;
  std::vector<int> inputs, outputs;
  std::vector<std::string> names;
  for (const auto& [name, t] : spec.inputs) {
    inputs.push_back(t);
    names.push_back(name);
  }
  for (const auto& [name, t] : spec.outputs) outputs.push_back(t);
  for (int t : inputs) {
    if (t < 0 || t >= num_tensors) {
      return absl::DataLossError(
          absl::StrCat("signature \"", spec.key, "\" refers to tensor ", t));
    }
  }
  for (int t : outputs) {
    if (t < 0 || t >= num_tensors) {
      return absl::DataLossError(
          absl::StrCat("signature \"", spec.key, "\" refers to tensor ", t));
    }
  }
  if (!first) builder.AddSubgraph(std::string(key));
  SubgraphImporter importer(model, file, spec.subgraph, variables, builder,
                            float_io);
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int> results,
                          importer.Import(inputs, names, outputs));
  std::vector<std::pair<std::string, int>> ins, outs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    ins.emplace_back(names[i], importer.input_handles()[i]);
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    outs.emplace_back(spec.outputs[i].first, results[i]);
  }
  builder.AddSignature(key, std::move(ins), std::move(outs));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Graph> ImportTflite(absl::Span<const uint8_t> bytes) {
  ATTUNE_ASSIGN_OR_RETURN(const tfl::Model* model, VerifyTflite(bytes));
  ModelBuilder builder(model->description() ? model->description()->str()
                                            : "imported from TFLite");
  VariableIndex variables;
  ATTUNE_RETURN_IF_ERROR(CollectVariables(*model, bytes, builder, variables));
  bool first = true;
  for (const SignatureSpec& spec : Signatures(*model)) {
    ATTUNE_RETURN_IF_ERROR(ImportSignature(*model, bytes, spec, variables,
                                           false, spec.key, first, builder));
    first = false;
    if (HasQuantizedIo(*model, spec)) {
      ATTUNE_RETURN_IF_ERROR(ImportSignature(*model, bytes, spec, variables,
                                             true, spec.key + "_float", false,
                                             builder));
    }
  }
  builder.AddMetadata("source", "tflite");
  return builder.Build();
}

absl::StatusOr<Graph> ImportTfliteFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  absl::StatusOr<Graph> graph = ImportTflite(bytes);
  if (!graph.ok()) {
    return absl::Status(graph.status().code(),
                        absl::StrCat(path, ": ", graph.status().message()));
  }
  return graph;
}

absl::StatusOr<std::shared_ptr<const Model>> LoadTfliteModel(
    const std::string& path) {
  ATTUNE_ASSIGN_OR_RETURN(Graph graph, ImportTfliteFile(path));
  return Model::FromGraph(std::move(graph));
}

}  // namespace tflite
}  // namespace attune
