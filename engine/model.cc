#include "engine/model.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "attune_generated.h"
#include "engine/status_macros.h"
#include "engine/validator.h"
#include "flatbuffers/flatbuffers.h"

namespace attune {
namespace {

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("corrupt model file: ", what));
}

absl::Status ErrnoStatus(absl::string_view op, const std::string& path) {
  const int err = errno;
  std::string message = absl::StrCat(op, " \"", path, "\": ", strerror(err));
  switch (err) {
    case ENOENT: return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
    case EROFS: return absl::PermissionDeniedError(message);
    case ENOSPC:
    case EDQUOT: return absl::ResourceExhaustedError(message);
    default: return absl::UnavailableError(message);
  }
}

// The FlatBuffers verifier checks a vector's alignment only to 4 bytes, so
// in a corrupt file a vector of 8-byte scalars may sit at a 4-byte boundary.
// Copy the elements bytewise instead of loading them through a T*.
template <typename T, typename Out>
void CopyScalars(const flatbuffers::Vector<T>* v, Out& out) {
  out.resize(v == nullptr ? 0 : v->size());
  if (out.empty()) return;
  std::memcpy(out.data(), v->Data(), out.size() * sizeof(T));
  for (auto& x : out) x = flatbuffers::EndianScalar(x);
}

template <typename T>
std::vector<T> ToVector(const flatbuffers::Vector<T>* v) {
  std::vector<T> out;
  CopyScalars(v, out);
  return out;
}

Shape ToShape(const flatbuffers::Vector<int64_t>* v) {
  Shape shape;
  CopyScalars(v, shape);
  return shape;
}

std::string ToString(const flatbuffers::String* s) {
  return s == nullptr ? std::string() : s->str();
}

absl::StatusOr<Attributes> ParseAttributes(
    const flatbuffers::Vector<flatbuffers::Offset<fb::Attribute>>* attrs) {
  Attributes out;
  if (attrs == nullptr) return out;
  for (const fb::Attribute* a : *attrs) {
    const std::string name = a->name()->str();
    switch (a->type()) {
      case fb::AttrType::INT: out.SetInt(name, a->i()); break;
      case fb::AttrType::FLOAT: out.SetFloat(name, a->f()); break;
      case fb::AttrType::STRING: out.SetString(name, ToString(a->s())); break;
      case fb::AttrType::INTS: out.SetInts(name, ToVector(a->ints())); break;
      case fb::AttrType::FLOATS:
        out.SetFloats(name, ToVector(a->floats()));
        break;
      default:
        return Corrupt(absl::StrCat("attribute \"", name, "\" has unknown type ",
                                    static_cast<int>(a->type())));
    }
  }
  return out;
}

absl::StatusOr<DType> ParseDTypeValue(fb::DType dtype, absl::string_view what) {
  if (!IsValidDType(static_cast<int>(dtype))) {
    return Corrupt(absl::StrCat(what, " has unknown dtype ",
                                static_cast<int>(dtype)));
  }
  return static_cast<DType>(dtype);
}

absl::StatusOr<Subgraph> ParseSubgraph(const fb::Subgraph& in, int index) {
  Subgraph out;
  out.name = ToString(in.name());
  if (in.tensors() != nullptr) {
    for (const fb::Tensor* t : *in.tensors()) {
      TensorInfo info;
      info.name = ToString(t->name());
      ATTUNE_ASSIGN_OR_RETURN(
          info.dtype,
          ParseDTypeValue(t->dtype(), absl::StrCat("subgraph #", index,
                                                   " tensor \"", info.name,
                                                   "\"")));
      info.shape = ToShape(t->shape());
      info.buffer = t->buffer();
      if (const fb::Quantization* q = t->quantization()) {
        Quantization quant;
        quant.scale = ToVector(q->scale());
        quant.zero_point = ToVector(q->zero_point());
        quant.axis = q->axis();
        info.quantization = std::move(quant);
      }
      out.tensors.push_back(std::move(info));
    }
  }
  if (in.operators() != nullptr) {
    for (const fb::Operator* op : *in.operators()) {
      Node node;
      node.op = static_cast<OpCode>(op->opcode());
      node.inputs = ToVector(op->inputs());
      node.outputs = ToVector(op->outputs());
      ATTUNE_ASSIGN_OR_RETURN(node.attrs, ParseAttributes(op->attributes()));
      out.nodes.push_back(std::move(node));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<Graph> ParseModelBytes(absl::Span<const uint8_t> bytes,
                                      std::shared_ptr<const void> owner) {
  if (bytes.size() < 8) {
    return Corrupt(absl::StrCat("only ", bytes.size(), " bytes"));
  }
  if (!flatbuffers::BufferHasIdentifier(bytes.data(), fb::ModelIdentifier())) {
    return Corrupt("missing file identifier \"ATUN\" (not an attune model)");
  }
  // The FlatBuffer sits at the start; constant data follows it. FlatBuffers
  // verifies at most 2 GiB, which bounds the FlatBuffer part only.
  const size_t verify_size =
      std::min<size_t>(bytes.size(), FLATBUFFERS_MAX_BUFFER_SIZE - 1);
  flatbuffers::Verifier verifier(bytes.data(), verify_size, /*max_depth=*/64,
                                 /*max_tables=*/10'000'000);
  if (!fb::VerifyModelBuffer(verifier)) {
    return Corrupt("FlatBuffers verification failed");
  }
  const fb::Model* model = fb::GetModel(bytes.data());
  if (model->format_version() != kFormatVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("model format version ", model->format_version(),
                     " is not supported (this build reads version ",
                     kFormatVersion, ")"));
  }
  Graph graph;
  graph.description = ToString(model->description());
  if (model->buffers() != nullptr) {
    for (size_t i = 0; i < model->buffers()->size(); ++i) {
      const fb::Buffer* b = model->buffers()->Get(i);
      if (b->offset() % kBufferAlignment != 0 || b->offset() > bytes.size() ||
          b->size() > bytes.size() - b->offset()) {
        return Corrupt(absl::StrCat("buffer #", i, " at offset ", b->offset(),
                                    " size ", b->size(),
                                    " lies outside the ", bytes.size(),
                                    "-byte file or is misaligned"));
      }
      ConstantBuffer buffer;
      buffer.data = bytes.data() + b->offset();
      buffer.size = b->size();
      buffer.owner = owner;
      graph.buffers.push_back(std::move(buffer));
    }
  }
  if (model->subgraphs() != nullptr) {
    for (size_t i = 0; i < model->subgraphs()->size(); ++i) {
      ATTUNE_ASSIGN_OR_RETURN(
          Subgraph subgraph,
          ParseSubgraph(*model->subgraphs()->Get(i), static_cast<int>(i)));
      graph.subgraphs.push_back(std::move(subgraph));
    }
  }
  if (model->signatures() != nullptr) {
    for (const fb::Signature* s : *model->signatures()) {
      Signature signature;
      signature.key = s->key()->str();
      signature.subgraph = s->subgraph();
      for (const auto* list : {s->inputs(), s->outputs()}) {
        if (list == nullptr) continue;
        auto& target =
            list == s->inputs() ? signature.inputs : signature.outputs;
        for (const fb::TensorMap* m : *list) {
          target.push_back({m->name()->str(), m->tensor()});
        }
      }
      graph.signatures.push_back(std::move(signature));
    }
  }
  if (model->variables() != nullptr) {
    for (const fb::Variable* v : *model->variables()) {
      VariableInfo variable;
      variable.name = v->name()->str();
      ATTUNE_ASSIGN_OR_RETURN(
          variable.dtype,
          ParseDTypeValue(v->dtype(),
                          absl::StrCat("variable \"", variable.name, "\"")));
      variable.shape = ToShape(v->shape());
      const int init = static_cast<int>(v->initializer());
      if (init < 0 || init > static_cast<int>(Initializer::kHeNormal)) {
        return Corrupt(absl::StrCat("variable \"", variable.name,
                                    "\" has unknown initializer ", init));
      }
      variable.initializer = static_cast<Initializer>(init);
      variable.buffer = v->buffer();
      variable.seed = v->seed();
      variable.trainable = v->trainable();
      graph.variables.push_back(std::move(variable));
    }
  }
  if (model->metadata() != nullptr) {
    for (const fb::KeyValue* kv : *model->metadata()) {
      graph.metadata.emplace_back(kv->key()->str(), ToString(kv->value()));
    }
  }
  return graph;
}

absl::StatusOr<std::shared_ptr<const Model>> Model::FromGraph(Graph graph) {
  ATTUNE_RETURN_IF_ERROR(ValidateGraph(graph));
  return std::shared_ptr<const Model>(new Model(std::move(graph)));
}

absl::StatusOr<std::shared_ptr<const Model>> Model::FromBytes(
    absl::Span<const uint8_t> bytes) {
  ConstantBuffer copy = ConstantBuffer::Copy(bytes);
  ATTUNE_ASSIGN_OR_RETURN(Graph graph,
                          ParseModelBytes(copy.bytes(), copy.owner));
  return FromGraph(std::move(graph));
}

absl::StatusOr<std::shared_ptr<const Model>> Model::Load(
    const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open model", path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    absl::Status status = ErrnoStatus("cannot stat model", path);
    close(fd);
    return status;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat("model \"", path, "\" is not a regular file"));
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    close(fd);
    return Corrupt(absl::StrCat("\"", path, "\" is empty"));
  }
  void* mapped = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (mapped == MAP_FAILED) return ErrnoStatus("cannot map model", path);
  std::shared_ptr<const void> owner(
      mapped, [size](const void* p) { munmap(const_cast<void*>(p), size); });
  absl::StatusOr<Graph> graph = ParseModelBytes(
      {static_cast<const uint8_t*>(mapped), size}, owner);
  if (!graph.ok()) {
    return absl::Status(graph.status().code(),
                        absl::StrCat(path, ": ", graph.status().message()));
  }
  return FromGraph(*std::move(graph));
}

namespace {

flatbuffers::Offset<fb::Attribute> WriteAttribute(
    flatbuffers::FlatBufferBuilder& fbb, const std::string& name,
    const AttrValue& value) {
  auto name_offset = fbb.CreateString(name);
  fb::AttrType type = static_cast<fb::AttrType>(value.index());
  flatbuffers::Offset<flatbuffers::String> s;
  flatbuffers::Offset<flatbuffers::Vector<int64_t>> ints;
  flatbuffers::Offset<flatbuffers::Vector<double>> floats;
  if (auto* v = std::get_if<std::string>(&value)) s = fbb.CreateString(*v);
  if (auto* v = std::get_if<std::vector<int64_t>>(&value)) {
    ints = fbb.CreateVector(*v);
  }
  if (auto* v = std::get_if<std::vector<double>>(&value)) {
    floats = fbb.CreateVector(*v);
  }
  fb::AttributeBuilder builder(fbb);
  builder.add_name(name_offset);
  builder.add_type(type);
  if (auto* v = std::get_if<int64_t>(&value)) builder.add_i(*v);
  if (auto* v = std::get_if<double>(&value)) builder.add_f(*v);
  if (!s.IsNull()) builder.add_s(s);
  if (!ints.IsNull()) builder.add_ints(ints);
  if (!floats.IsNull()) builder.add_floats(floats);
  return builder.Finish();
}

flatbuffers::Offset<fb::Subgraph> WriteSubgraph(
    flatbuffers::FlatBufferBuilder& fbb, const Subgraph& subgraph) {
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  for (const TensorInfo& t : subgraph.tensors) {
    flatbuffers::Offset<fb::Quantization> quant;
    if (t.quantization.has_value()) {
      quant = fb::CreateQuantizationDirect(fbb, &t.quantization->scale,
                                           &t.quantization->zero_point,
                                           t.quantization->axis);
    }
    std::vector<int64_t> shape(t.shape.begin(), t.shape.end());
    tensors.push_back(fb::CreateTensorDirect(
        fbb, t.name.c_str(), static_cast<fb::DType>(t.dtype), &shape,
        t.buffer, quant));
  }
  std::vector<flatbuffers::Offset<fb::Operator>> ops;
  for (const Node& node : subgraph.nodes) {
    std::vector<flatbuffers::Offset<fb::Attribute>> attrs;
    for (const auto& [name, value] : node.attrs.entries()) {
      attrs.push_back(WriteAttribute(fbb, name, value));
    }
    ops.push_back(fb::CreateOperatorDirect(
        fbb, static_cast<fb::OpCode>(node.op), &node.inputs, &node.outputs,
        &attrs));
  }
  return fb::CreateSubgraphDirect(fbb, subgraph.name.c_str(), &tensors, &ops);
}

// Builds the FlatBuffer part, placing buffer i at offsets[i].
void BuildFlatBuffer(const Graph& graph, const std::vector<uint64_t>& offsets,
                     flatbuffers::FlatBufferBuilder& fbb) {
  fbb.Clear();
  // Defaults are written too, so the FlatBuffer's size does not depend on
  // the offset values and the two-pass layout below is stable.
  fbb.ForceDefaults(true);
  std::vector<flatbuffers::Offset<fb::Subgraph>> subgraphs;
  for (const Subgraph& s : graph.subgraphs) {
    subgraphs.push_back(WriteSubgraph(fbb, s));
  }
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers;
  for (size_t i = 0; i < graph.buffers.size(); ++i) {
    buffers.push_back(fb::CreateBuffer(fbb, offsets[i], graph.buffers[i].size));
  }
  std::vector<flatbuffers::Offset<fb::Signature>> signatures;
  for (const Signature& s : graph.signatures) {
    std::vector<flatbuffers::Offset<fb::TensorMap>> inputs, outputs;
    for (const SignatureIo& io : s.inputs) {
      inputs.push_back(fb::CreateTensorMapDirect(fbb, io.name.c_str(), io.tensor));
    }
    for (const SignatureIo& io : s.outputs) {
      outputs.push_back(
          fb::CreateTensorMapDirect(fbb, io.name.c_str(), io.tensor));
    }
    signatures.push_back(fb::CreateSignatureDirect(fbb, s.key.c_str(),
                                                   s.subgraph, &inputs,
                                                   &outputs));
  }
  std::vector<flatbuffers::Offset<fb::Variable>> variables;
  for (const VariableInfo& v : graph.variables) {
    std::vector<int64_t> shape(v.shape.begin(), v.shape.end());
    variables.push_back(fb::CreateVariableDirect(
        fbb, v.name.c_str(), static_cast<fb::DType>(v.dtype), &shape,
        static_cast<fb::Initializer>(v.initializer), v.buffer, v.seed,
        v.trainable));
  }
  std::vector<flatbuffers::Offset<fb::KeyValue>> metadata;
  for (const auto& [key, value] : graph.metadata) {
    // Values may hold any bytes (NUL included): store their full length.
    metadata.push_back(fb::CreateKeyValue(fbb, fbb.CreateString(key),
                                          fbb.CreateString(value)));
  }
  auto model = fb::CreateModelDirect(fbb, kFormatVersion,
                                     graph.description.c_str(), &subgraphs,
                                     &buffers, &signatures, &variables,
                                     &metadata);
  fb::FinishModelBuffer(fbb, model);
}

uint64_t AlignUp(uint64_t value) {
  return (value + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
}

}  // namespace

absl::StatusOr<std::string> SerializeModel(const Graph& graph) {
  ATTUNE_RETURN_IF_ERROR(ValidateGraph(graph));
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<uint64_t> offsets(graph.buffers.size(), 0);
  // Pass 1 measures the FlatBuffer; pass 2 writes the final offsets.
  BuildFlatBuffer(graph, offsets, fbb);
  uint64_t cursor = AlignUp(fbb.GetSize());
  for (size_t i = 0; i < graph.buffers.size(); ++i) {
    offsets[i] = cursor;
    cursor = AlignUp(cursor + graph.buffers[i].size);
  }
  BuildFlatBuffer(graph, offsets, fbb);
  if (fbb.GetSize() > FLATBUFFERS_MAX_BUFFER_SIZE / 2) {
    return absl::InvalidArgumentError("model graph exceeds 1 GiB");
  }
  std::string out(cursor, '\0');
  std::memcpy(out.data(), fbb.GetBufferPointer(), fbb.GetSize());
  for (size_t i = 0; i < graph.buffers.size(); ++i) {
    if (graph.buffers[i].size > 0) {
      std::memcpy(out.data() + offsets[i], graph.buffers[i].data,
                  graph.buffers[i].size);
    }
  }
  return out;
}

absl::Status WriteModelFile(const Graph& graph, const std::string& path) {
  ATTUNE_ASSIGN_OR_RETURN(std::string bytes, SerializeModel(graph));
  const std::string temp = absl::StrCat(path, ".tmp.", getpid());
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                      0644);
  if (fd < 0) return ErrnoStatus("cannot create", temp);
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      absl::Status status = ErrnoStatus("cannot write", temp);
      close(fd);
      unlink(temp.c_str());
      return status;
    }
    written += static_cast<size_t>(n);
  }
  const bool synced = fsync(fd) == 0;
  if (!synced || close(fd) != 0) {
    absl::Status status = ErrnoStatus("cannot flush", temp);
    if (!synced) close(fd);
    unlink(temp.c_str());
    return status;
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    absl::Status status = ErrnoStatus("cannot rename onto", path);
    unlink(temp.c_str());
    return status;
  }
  return absl::OkStatus();
}

}  // namespace attune
