#include "importers/tflite/subgraph_importer.h"

#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace attune {
namespace tflite {
namespace {

absl::StatusOr<DType> StorageDType(tfl::TensorType type) {
  switch (type) {
    case tfl::TensorType::FLOAT32:
      return DType::kFloat32;
    case tfl::TensorType::FLOAT16:
      return DType::kFloat16;
    case tfl::TensorType::INT32:
      return DType::kInt32;
    case tfl::TensorType::INT64:
      return DType::kInt64;
    case tfl::TensorType::UINT8:
      return DType::kUint8;
    case tfl::TensorType::INT8:
      return DType::kInt8;
    case tfl::TensorType::BOOL:
      return DType::kBool;
    case tfl::TensorType::STRING:
      return DType::kString;
    default:
      return absl::UnimplementedError(absl::StrCat(
          "tensor type ", tfl::EnumNameTensorType(type), " is not supported"));
  }
}

bool IsQuantized(const tfl::Tensor& t) {
  const tfl::QuantizationParameters* q = t.quantization();
  if (q == nullptr || q->scale() == nullptr || q->scale()->size() == 0) {
    return false;
  }
  return t.type() == tfl::TensorType::UINT8 ||
         t.type() == tfl::TensorType::INT8 ||
         t.type() == tfl::TensorType::INT16 ||
         t.type() == tfl::TensorType::INT32;
}


template <typename T>
T Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace

std::string VariableKey(const tfl::VarHandleOptions* options) {
  if (options == nullptr) return "";
  const std::string name =
      options->shared_name() ? options->shared_name()->str() : "";
  const std::string container =
      options->container() ? options->container()->str() : "";
  return container.empty() ? name : absl::StrCat(container, "/", name);
}

SubgraphImporter::SubgraphImporter(const tfl::Model& model,
                                   absl::Span<const uint8_t> file, int subgraph,
                                   const VariableIndex& variables,
                                   ModelBuilder& builder, bool float_io)
    : model_(model),
      file_(file),
      sg_(*model.subgraphs()->Get(subgraph)),
      subgraph_(subgraph),
      variables_(variables),
      builder_(builder),
      float_io_(float_io) {
  const int n = sg_.tensors() ? sg_.tensors()->size() : 0;
  map_.assign(n, -1);
  resource_.assign(n, -1);
}

const tfl::Tensor& SubgraphImporter::tensor(int t) const {
  return *sg_.tensors()->Get(t);
}

std::string SubgraphImporter::TensorName(int t) const {
  if (t < 0) return "";
  const flatbuffers::String* name = tensor(t).name();
  return name == nullptr ? std::string() : name->str();
}

Shape SubgraphImporter::TensorShape(int t) const {
  if (t < 0) return {};
  const tfl::Tensor& info = tensor(t);
  const flatbuffers::Vector<int32_t>* dims = info.shape_signature();
  if (dims == nullptr || dims->size() == 0) dims = info.shape();
  Shape shape;
  if (dims != nullptr) {
    for (int32_t d : *dims) shape.push_back(d < 0 ? -1 : d);
  }
  return shape;
}

absl::StatusOr<DType> SubgraphImporter::ComputeDType(int t) const {
  if (t < 0) return InvalidArgument("a required input is omitted");
  const tfl::Tensor& info = tensor(t);
  if (IsQuantized(info) || info.type() == tfl::TensorType::FLOAT16) {
    return DType::kFloat32;
  }
  absl::StatusOr<DType> dtype = StorageDType(info.type());
  if (!dtype.ok()) {
    return Unimplemented(absl::StrCat("tensor \"", TensorName(t),
                                      "\": ", dtype.status().message()));
  }
  return *dtype;
}

int SubgraphImporter::VariableOf(int resource_tensor) const {
  if (resource_tensor < 0 ||
      resource_tensor >= static_cast<int>(resource_.size())) {
    return -1;
  }
  return resource_[resource_tensor];
}

bool SubgraphImporter::IsConstant(int t) const {
  if (t < 0) return false;
  absl::StatusOr<absl::Span<const uint8_t>> bytes =
      BufferBytes(model_, tensor(t).buffer(), file_);
  return bytes.ok() && !bytes->empty();
}

absl::Status SubgraphImporter::Unimplemented(absl::string_view what) const {
  return absl::UnimplementedError(absl::StrCat(where_, ": ", what));
}

absl::Status SubgraphImporter::InvalidArgument(absl::string_view what) const {
  return absl::InvalidArgumentError(absl::StrCat(where_, ": ", what));
}

int SubgraphImporter::num_inputs() const {
  return op_->inputs() ? op_->inputs()->size() : 0;
}
int SubgraphImporter::num_outputs() const {
  return op_->outputs() ? op_->outputs()->size() : 0;
}
int SubgraphImporter::in(int i) const {
  return i < num_inputs() ? op_->inputs()->Get(i) : -1;
}
int SubgraphImporter::out(int i) const {
  return i < num_outputs() ? op_->outputs()->Get(i) : -1;
}

void SubgraphImporter::Set(int t, int handle) { map_[t] = handle; }

absl::StatusOr<std::vector<std::string>> SubgraphImporter::StringConstant(
    int t) const {
  if (t < 0 || !IsConstant(t)) {
    return Unimplemented(absl::StrCat("tensor ", t, " (\"", TensorName(t),
                                      "\") must be a constant string"));
  }
  if (tensor(t).type() != tfl::TensorType::STRING) {
    return InvalidArgument(
        absl::StrCat("tensor \"", TensorName(t), "\" is not a string"));
  }
  ATTUNE_ASSIGN_OR_RETURN(absl::Span<const uint8_t> bytes,
                          BufferBytes(model_, tensor(t).buffer(), file_));
  const auto malformed = [&](absl::string_view why) {
    return absl::DataLossError(absl::StrCat(where_, ": string constant \"",
                                            TensorName(t), "\": ", why));
  };
  if (bytes.size() < 4) return malformed("no count");
  const int64_t count = Load<int32_t>(bytes.data());
  if (count < 0 || static_cast<uint64_t>(count + 2) * 4 > bytes.size()) {
    return malformed(absl::StrCat("count ", count, " does not fit in ",
                                  bytes.size(), " bytes"));
  }
  std::vector<std::string> strings;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t begin = Load<int32_t>(bytes.data() + 4 * (i + 1));
    const int64_t end = Load<int32_t>(bytes.data() + 4 * (i + 2));
    if (begin < 4 * (count + 2) || end < begin ||
        end > static_cast<int64_t>(bytes.size())) {
      return malformed(absl::StrCat("string ", i, " spans [", begin, ", ", end,
                                    ") of ", bytes.size(), " bytes"));
    }
    strings.emplace_back(reinterpret_cast<const char*>(bytes.data()) + begin,
                         static_cast<size_t>(end - begin));
  }
  return strings;
}

int SubgraphImporter::num_operators() const {
  return sg_.operators() ? sg_.operators()->size() : 0;
}

const tfl::Operator& SubgraphImporter::operator_at(int o) const {
  return *sg_.operators()->Get(o);
}

std::string SubgraphImporter::CustomCode(int o) const {
  const tfl::OperatorCode& code =
      *model_.operator_codes()->Get(operator_at(o).opcode_index());
  if (EffectiveBuiltinCode(code) != tfl::BuiltinOperator::CUSTOM ||
      code.custom_code() == nullptr) {
    return "";
  }
  return code.custom_code()->str();
}

void SubgraphImporter::MarkMapped(int o) { mapped_[o] = true; }

int SubgraphImporter::AssignedVariable(int t) const {
  const auto code_of = [&](const tfl::Operator& op) {
    return EffectiveBuiltinCode(
        *model_.operator_codes()->Get(op.opcode_index()));
  };
  const auto input = [](const tfl::Operator& op, uint32_t i) {
    return op.inputs() && op.inputs()->size() > i ? op.inputs()->Get(i) : -1;
  };
  for (int o = 0; o < num_operators(); ++o) {
    const tfl::Operator& assign = operator_at(o);
    if (code_of(assign) != tfl::BuiltinOperator::ASSIGN_VARIABLE ||
        input(assign, 1) != t || input(assign, 0) < 0) {
      continue;
    }
    for (int h = 0; h < num_operators(); ++h) {
      const tfl::Operator& handle = operator_at(h);
      if (code_of(handle) != tfl::BuiltinOperator::VAR_HANDLE ||
          handle.outputs() == nullptr || handle.outputs()->size() != 1 ||
          handle.outputs()->Get(0) != input(assign, 0)) {
        continue;
      }
      auto it = variables_.find(
          VariableKey(handle.builtin_options_as_VarHandleOptions()));
      return it == variables_.end() ? -1 : it->second;
    }
  }
  return -1;
}

absl::StatusOr<int> SubgraphImporter::FloatConstant(
    int t, absl::Span<const int> perm, std::vector<int64_t> new_shape) {
  if (t < 0) return InvalidArgument("a required input is omitted");
  const tfl::Tensor& info = tensor(t);
  ATTUNE_ASSIGN_OR_RETURN(absl::Span<const uint8_t> bytes,
                          BufferBytes(model_, info.buffer(), file_));
  std::vector<int64_t> shape;
  if (info.shape() != nullptr)
    shape.assign(info.shape()->begin(), info.shape()->end());
  ATTUNE_ASSIGN_OR_RETURN(const int64_t count, ElementCount(info.shape()));
  size_t element = 0;
  switch (info.type()) {
    case tfl::TensorType::FLOAT32:
    case tfl::TensorType::INT32:
      element = 4;
      break;
    case tfl::TensorType::FLOAT16:
    case tfl::TensorType::INT16:
      element = 2;
      break;
    case tfl::TensorType::UINT8:
    case tfl::TensorType::INT8:
      element = 1;
      break;
    default:
      return Unimplemented(absl::StrCat(
          "constant \"", TensorName(t), "\" of type ",
          tfl::EnumNameTensorType(info.type()), " as float weights"));
  }
  if (bytes.size() != static_cast<size_t>(count) * element) {
    return absl::DataLossError(absl::StrCat(
        where_, ": constant \"", TensorName(t), "\" holds ", bytes.size(),
        " bytes, its shape needs ", count * element));
  }
  // Dequantization: real = scale * (q - zero_point), per tensor or per slice
  // along quantized_dimension.
  const bool quantized = IsQuantized(info);
  int64_t outer = count, channels = 1, inner = 1;
  std::vector<float> scales{1.0f};
  std::vector<int64_t> zeros{0};
  if (quantized) {
    const tfl::QuantizationParameters& q = *info.quantization();
    scales.assign(q.scale()->begin(), q.scale()->end());
    zeros.assign(scales.size(), 0);
    if (q.zero_point() != nullptr) {
      for (size_t i = 0; i < q.zero_point()->size() && i < zeros.size(); ++i) {
        zeros[i] = q.zero_point()->Get(i);
      }
    }
    if (scales.size() > 1) {
      const int axis = q.quantized_dimension();
      if (axis < 0 || axis >= static_cast<int>(shape.size()) ||
          shape[axis] != static_cast<int64_t>(scales.size())) {
        return absl::DataLossError(
            absl::StrCat(where_, ": constant \"", TensorName(t), "\" has ",
                         scales.size(), " scales, not matching dim ", axis));
      }
      channels = shape[axis];
      outer = 1;
      for (int i = 0; i < axis; ++i) outer *= shape[i];
      inner = count / std::max<int64_t>(1, outer * channels);
    } else {
      outer = 1;
      inner = count;
    }
  }
  std::vector<float> values(count);
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t* p = bytes.data() + i * element;
    double q;
    switch (info.type()) {
      case tfl::TensorType::FLOAT32:
        q = Load<float>(p);
        break;
      case tfl::TensorType::FLOAT16:
        q = HalfToFloat(Load<uint16_t>(p));
        break;
      case tfl::TensorType::INT32:
        q = Load<int32_t>(p);
        break;
      case tfl::TensorType::INT16:
        q = Load<int16_t>(p);
        break;
      case tfl::TensorType::UINT8:
        q = *p;
        break;
      default:
        q = static_cast<int8_t>(*p);
        break;
    }
    if (quantized) {
      const int64_t c = channels > 1 ? (i / inner) % channels : 0;
      q = scales[c] * (q - static_cast<double>(zeros[c]));
    }
    values[i] = static_cast<float>(q);
  }
  if (!perm.empty()) {
    if (perm.size() != shape.size()) {
      return InvalidArgument(absl::StrCat("constant \"", TensorName(t),
                                          "\" has rank ", shape.size(),
                                          ", expected ", perm.size()));
    }
    const size_t rank = shape.size();
    std::vector<int64_t> out_shape(rank), in_strides(rank, 1);
    for (size_t i = rank; i-- > 1;)
      in_strides[i - 1] = in_strides[i] * shape[i];
    for (size_t i = 0; i < rank; ++i) out_shape[i] = shape[perm[i]];
    std::vector<float> permuted(count);
    std::vector<int64_t> index(rank, 0);
    for (int64_t o = 0; o < count; ++o) {
      int64_t src = 0;
      for (size_t i = 0; i < rank; ++i) src += index[i] * in_strides[perm[i]];
      permuted[o] = values[src];
      for (size_t i = rank; i-- > 0;) {
        if (++index[i] < out_shape[i]) break;
        index[i] = 0;
      }
    }
    values = std::move(permuted);
    shape = out_shape;
  }
  if (!new_shape.empty()) shape = std::move(new_shape);
  return builder_.Constant<float>(TensorName(t),
                                  Shape(shape.begin(), shape.end()),
                                  absl::MakeConstSpan(values));
}

absl::StatusOr<int> SubgraphImporter::Get(int t) {
  if (t < 0) return -1;
  if (map_[t] >= 0) return map_[t];
  if (!IsConstant(t)) {
    return InvalidArgument(absl::StrCat("tensor ", t, " (\"", TensorName(t),
                                        "\") is used before it is computed"));
  }
  const tfl::Tensor& info = tensor(t);
  int handle;
  if (IsQuantized(info) || info.type() == tfl::TensorType::FLOAT16) {
    ATTUNE_ASSIGN_OR_RETURN(handle, FloatConstant(t, {}));
  } else {
    ATTUNE_ASSIGN_OR_RETURN(DType dtype, ComputeDType(t));
    if (dtype == DType::kString) {
      return Unimplemented(
          absl::StrCat("string constant \"", TensorName(t), "\""));
    }
    ATTUNE_ASSIGN_OR_RETURN(absl::Span<const uint8_t> bytes,
                            BufferBytes(model_, info.buffer(), file_));
    Shape shape;
    if (info.shape() != nullptr) {
      shape.assign(info.shape()->begin(), info.shape()->end());
    }
    ATTUNE_ASSIGN_OR_RETURN(const int64_t count, ElementCount(info.shape()));
    if (bytes.size() != static_cast<uint64_t>(count) * DTypeSize(dtype)) {
      return absl::DataLossError(absl::StrCat(
          where_, ": constant \"", TensorName(t), "\" holds ", bytes.size(),
          " bytes, its shape needs ", count * DTypeSize(dtype)));
    }
    handle = builder_.Constant(TensorName(t), dtype, shape, bytes);
  }
  map_[t] = handle;
  return handle;
}

std::string SubgraphImporter::ActivationAttr(tfl::ActivationFunctionType act) {
  switch (act) {
    case tfl::ActivationFunctionType::NONE:
      return "none";
    case tfl::ActivationFunctionType::RELU:
      return "relu";
    case tfl::ActivationFunctionType::RELU6:
      return "relu6";
    case tfl::ActivationFunctionType::TANH:
      return "tanh";
    default:
      return "";
  }
}

absl::StatusOr<int> SubgraphImporter::FusedActivation(
    int x, tfl::ActivationFunctionType act, int t) {
  const std::string name = TensorName(t);
  switch (act) {
    case tfl::ActivationFunctionType::NONE:
      return x;
    case tfl::ActivationFunctionType::RELU:
      return builder_.Op1(OpCode::kRelu, {x}, {}, name);
    case tfl::ActivationFunctionType::RELU6:
      return builder_.Op1(OpCode::kRelu6, {x}, {}, name);
    case tfl::ActivationFunctionType::TANH:
      return builder_.Op1(OpCode::kTanh, {x}, {}, name);
    case tfl::ActivationFunctionType::RELU_N1_TO_1: {
      const int lo = builder_.ConstantScalar(absl::StrCat(name, "/lo"), -1.0f);
      const int hi = builder_.ConstantScalar(absl::StrCat(name, "/hi"), 1.0f);
      const int y = builder_.Op1(OpCode::kMaximum, {x, lo});
      return builder_.Op1(OpCode::kMinimum, {y, hi}, {}, name);
    }
    default:
      return Unimplemented(absl::StrCat(
          "fused activation ", tfl::EnumNameActivationFunctionType(act)));
  }
}

absl::StatusOr<int> SubgraphImporter::Boundary(int t, absl::string_view name) {
  const tfl::Tensor& info = tensor(t);
  const Shape shape = TensorShape(t);
  if (!IsQuantized(info)) {
    if (info.type() == tfl::TensorType::FLOAT16) {
      return Unimplemented(absl::StrCat("float16 input \"", name, "\""));
    }
    ATTUNE_ASSIGN_OR_RETURN(DType dtype, ComputeDType(t));
    input_handles_.push_back(builder_.Input(name, dtype, shape));
    return input_handles_.back();
  }
  if (float_io_) {
    input_handles_.push_back(builder_.Input(name, DType::kFloat32, shape));
    return input_handles_.back();
  }
  const tfl::QuantizationParameters& q = *info.quantization();
  if (q.scale()->size() != 1) {
    return Unimplemented(
        absl::StrCat("per-channel quantized input \"", name, "\""));
  }
  ATTUNE_ASSIGN_OR_RETURN(DType dtype, StorageDType(info.type()));
  const int x = builder_.Input(name, dtype, shape);
  input_handles_.push_back(x);
  const float zero = q.zero_point() && q.zero_point()->size() > 0
                         ? static_cast<float>(q.zero_point()->Get(0))
                         : 0.0f;
  const std::string base(name);
  const int f = builder_.Op1(OpCode::kCast, {x},
                             Attributes().SetString("dtype", "float32"),
                             absl::StrCat(base, "/float"));
  const int centered = builder_.Op1(
      OpCode::kSub, {f, builder_.ConstantScalar(base + "/zero_point", zero)},
      {}, absl::StrCat(base, "/centered"));
  return builder_.Op1(
      OpCode::kMul,
      {centered, builder_.ConstantScalar(base + "/scale", q.scale()->Get(0))},
      {}, absl::StrCat(base, "/dequantized"));
}

absl::StatusOr<int> SubgraphImporter::Requantize(int handle, int t) {
  const tfl::Tensor& info = tensor(t);
  if (!IsQuantized(info) || float_io_) return handle;
  const tfl::QuantizationParameters& q = *info.quantization();
  if (q.scale()->size() != 1 || (info.type() != tfl::TensorType::UINT8 &&
                                 info.type() != tfl::TensorType::INT8)) {
    return Unimplemented(absl::StrCat("quantized output \"", TensorName(t),
                                      "\" (per-channel or not 8-bit)"));
  }
  // q = clamp(floor(x / scale + zero_point + 0.5)): shifted into uint8's
  // range so that the saturating, truncating cast is the floor.
  const bool is_int8 = info.type() == tfl::TensorType::INT8;
  const float zero = q.zero_point() && q.zero_point()->size() > 0
                         ? static_cast<float>(q.zero_point()->Get(0))
                         : 0.0f;
  const std::string base = TensorName(t);
  const int scaled = builder_.Op1(
      OpCode::kDiv,
      {handle, builder_.ConstantScalar(base + "/scale", q.scale()->Get(0))});
  const int shifted = builder_.Op1(
      OpCode::kAdd,
      {scaled, builder_.ConstantScalar(
                   base + "/offset", zero + (is_int8 ? 128.0f : 0.0f) + 0.5f)});
  const int u8 = builder_.Op1(OpCode::kCast, {shifted},
                              Attributes().SetString("dtype", "uint8"),
                              is_int8 ? "" : base + "/quantized");
  if (!is_int8) return u8;
  const int wide = builder_.Op1(OpCode::kCast, {u8},
                                Attributes().SetString("dtype", "int32"));
  const int32_t offset = 128;
  const int centered = builder_.Op1(
      OpCode::kSub,
      {wide, builder_.Constant<int32_t>(base + "/int8_offset", {},
                                        absl::MakeConstSpan(&offset, 1))});
  return builder_.Op1(OpCode::kCast, {centered},
                      Attributes().SetString("dtype", "int8"),
                      base + "/quantized");
}

absl::Status SubgraphImporter::MapOperator(const tfl::Operator& op) {
  const tfl::OperatorCode& code =
      *model_.operator_codes()->Get(op.opcode_index());
  const tfl::BuiltinOperator builtin = EffectiveBuiltinCode(code);
  switch (builtin) {
    case tfl::BuiltinOperator::CALL_ONCE:
      return absl::OkStatus();  // init subgraphs are evaluated at import
    case tfl::BuiltinOperator::VAR_HANDLE: {
      const std::string key =
          VariableKey(op.builtin_options_as_VarHandleOptions());
      auto it = variables_.find(key);
      if (it == variables_.end()) {
        return Internal(absl::StrCat("variable \"", key, "\" not collected"));
      }
      if (num_outputs() != 1) return InvalidArgument("needs one output");
      resource_[out(0)] = it->second;
      return absl::OkStatus();
    }
    case tfl::BuiltinOperator::READ_VARIABLE: {
      const int var = VariableOf(in(0));
      if (var < 0 || num_outputs() != 1) {
        return InvalidArgument("input is not a VAR_HANDLE resource");
      }
      if (record_assignments_) {
        for (auto it = assignments_.rbegin(); it != assignments_.rend(); ++it) {
          if (it->first == var) {
            Set(out(0), it->second);
            return absl::OkStatus();
          }
        }
        return Unimplemented("reads a variable before the init assigns it");
      }
      Set(out(0), builder_.Op1(OpCode::kReadVariable, {},
                               Attributes().SetInt("variable", var),
                               TensorName(out(0))));
      return absl::OkStatus();
    }
    case tfl::BuiltinOperator::ASSIGN_VARIABLE: {
      const int var = VariableOf(in(0));
      if (var < 0)
        return InvalidArgument("input 0 is not a VAR_HANDLE resource");
      if (num_inputs() != 2 || in(1) < 0) {
        return InvalidArgument(
            absl::StrCat("needs a resource and a value input, has ",
                         num_inputs(), " inputs (value ", in(1), ")"));
      }
      ATTUNE_ASSIGN_OR_RETURN(int value, Get(in(1)));
      if (record_assignments_) {
        assignments_.emplace_back(var, value);
        return absl::OkStatus();
      }
      builder_.Op(OpCode::kAssignVariable, {value},
                  Attributes().SetInt("variable", var), 0);
      return absl::OkStatus();
    }
    case tfl::BuiltinOperator::CUSTOM: {
      const std::string custom =
          code.custom_code() ? code.custom_code()->str() : "";
      if (absl::StartsWith(custom, "Flex")) return MapFlex(*this, custom);
      return Unimplemented(
          absl::StrCat("custom op \"", custom, "\" is not supported"));
    }
    default:
      return MapBuiltin(*this, builtin);
  }
}

absl::Status SubgraphImporter::Internal(absl::string_view what) const {
  return absl::InternalError(absl::StrCat(where_, ": ", what));
}

absl::StatusOr<std::vector<int>> SubgraphImporter::Import(
    const std::vector<int>& inputs, const std::vector<std::string>& names,
    const std::vector<int>& outputs) {
  const std::string sg_name = sg_.name() ? sg_.name()->str() : "";
  where_ = absl::StrCat("subgraph ", subgraph_, " (\"", sg_name, "\")");
  for (size_t i = 0; i < inputs.size(); ++i) {
    ATTUNE_ASSIGN_OR_RETURN(int handle, Boundary(inputs[i], names[i]));
    Set(inputs[i], handle);
  }
  mapped_.assign(num_operators(), false);
  if (sg_.operators() != nullptr) {
    for (uint32_t o = 0; o < sg_.operators()->size(); ++o) {
      if (mapped_[o]) continue;
      op_ = sg_.operators()->Get(o);
      op_index_ = static_cast<int>(o);
      const tfl::OperatorCode& code =
          *model_.operator_codes()->Get(op_->opcode_index());
      const tfl::BuiltinOperator builtin = EffectiveBuiltinCode(code);
      const std::string op_name =
          builtin == tfl::BuiltinOperator::CUSTOM && code.custom_code()
              ? code.custom_code()->str()
              : BuiltinName(builtin);
      where_ = absl::StrCat("subgraph ", subgraph_, " (\"", sg_name,
                            "\") operator ", o, " (", op_name, ")");
      ATTUNE_RETURN_IF_ERROR(MapOperator(*op_));
    }
  }
  where_ = absl::StrCat("subgraph ", subgraph_, " (\"", sg_name, "\")");
  op_ = nullptr;
  op_index_ = -1;
  std::vector<int> result;
  for (int t : outputs) {
    ATTUNE_ASSIGN_OR_RETURN(int handle, Get(t));
    ATTUNE_ASSIGN_OR_RETURN(handle, Requantize(handle, t));
    result.push_back(handle);
  }
  return result;
}

}  // namespace tflite
}  // namespace attune
