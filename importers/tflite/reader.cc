#include "importers/tflite/reader.h"

#include "absl/strings/str_cat.h"
#include "flatbuffers/flatbuffers.h"

namespace attune {
namespace tflite {
namespace {

absl::Status CheckTensorIndices(const flatbuffers::Vector<int32_t>* indices,
                                int num_tensors, bool allow_omitted,
                                absl::string_view what) {
  if (indices == nullptr) return absl::OkStatus();
  for (int32_t t : *indices) {
    if (t == -1 && allow_omitted) continue;
    if (t < 0 || t >= num_tensors) {
      return absl::DataLossError(absl::StrCat(what, " refers to tensor ", t,
                                              " (subgraph has ", num_tensors,
                                              " tensors)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

tfl::BuiltinOperator EffectiveBuiltinCode(const tfl::OperatorCode& code) {
  const int32_t deprecated = code.deprecated_builtin_code();
  const int32_t current = static_cast<int32_t>(code.builtin_code());
  return static_cast<tfl::BuiltinOperator>(std::max(deprecated, current));
}

std::string BuiltinName(tfl::BuiltinOperator op) {
  const char* name = tfl::EnumNameBuiltinOperator(op);
  if (name != nullptr && name[0] != '\0') return name;
  return absl::StrCat("BUILTIN_", static_cast<int32_t>(op));
}

absl::StatusOr<const tfl::Model*> VerifyTflite(
    absl::Span<const uint8_t> bytes) {
  if (bytes.size() < 8) {
    return absl::DataLossError(absl::StrCat(
        "not a TFLite model: ", bytes.size(), " bytes is too short"));
  }
  if (!tfl::ModelBufferHasIdentifier(bytes.data())) {
    return absl::DataLossError(
        "not a TFLite model: file identifier is not \"TFL3\"");
  }
  // Files over 2 GB keep buffers after the flatbuffer; verify only the
  // flatbuffer part the format allows (FlatBuffers' own size limit).
  const size_t limit =
      std::min<size_t>(bytes.size(), FLATBUFFERS_MAX_BUFFER_SIZE - 1);
  flatbuffers::Verifier::Options options;
  options.max_tables = 10'000'000;
  options.check_alignment = true;
  flatbuffers::Verifier verifier(bytes.data(), limit, options);
  if (!tfl::VerifyModelBuffer(verifier)) {
    return absl::DataLossError(
        "TFLite model fails the FlatBuffers verifier (truncated or corrupt)");
  }
  const tfl::Model* model = tfl::GetModel(bytes.data());
  if (model->subgraphs() == nullptr || model->subgraphs()->size() == 0) {
    return absl::DataLossError("TFLite model has no subgraphs");
  }
  const uint32_t num_codes =
      model->operator_codes() ? model->operator_codes()->size() : 0;
  const uint32_t num_buffers = model->buffers() ? model->buffers()->size() : 0;
  for (uint32_t s = 0; s < model->subgraphs()->size(); ++s) {
    const tfl::SubGraph* sg = model->subgraphs()->Get(s);
    const int num_tensors = sg->tensors() ? sg->tensors()->size() : 0;
    const std::string where = absl::StrCat("subgraph ", s);
    for (int t = 0; t < num_tensors; ++t) {
      const uint32_t buffer = sg->tensors()->Get(t)->buffer();
      if (buffer != 0 && buffer >= num_buffers) {
        return absl::DataLossError(
            absl::StrCat(where, " tensor ", t, " refers to buffer ", buffer,
                         " (model has ", num_buffers, ")"));
      }
    }
    absl::Status status = CheckTensorIndices(sg->inputs(), num_tensors, false,
                                             absl::StrCat(where, " inputs"));
    if (status.ok()) {
      status = CheckTensorIndices(sg->outputs(), num_tensors, false,
                                  absl::StrCat(where, " outputs"));
    }
    if (!status.ok()) return status;
    if (sg->operators() == nullptr) continue;
    for (uint32_t o = 0; o < sg->operators()->size(); ++o) {
      const tfl::Operator* op = sg->operators()->Get(o);
      const std::string op_where = absl::StrCat(where, " operator ", o);
      if (op->opcode_index() >= num_codes) {
        return absl::DataLossError(
            absl::StrCat(op_where, " has opcode index ", op->opcode_index(),
                         " (model has ", num_codes, " operator codes)"));
      }
      status = CheckTensorIndices(op->inputs(), num_tensors, true,
                                  absl::StrCat(op_where, " input"));
      if (status.ok()) {
        status = CheckTensorIndices(op->outputs(), num_tensors, false,
                                    absl::StrCat(op_where, " output"));
      }
      if (!status.ok()) return status;
    }
  }
  if (model->signature_defs() != nullptr) {
    for (const tfl::SignatureDef* sig : *model->signature_defs()) {
      if (sig->subgraph_index() >= model->subgraphs()->size()) {
        return absl::DataLossError(absl::StrCat(
            "signature \"",
            sig->signature_key() ? sig->signature_key()->str() : "",
            "\" refers to subgraph ", sig->subgraph_index()));
      }
    }
  }
  return model;
}

absl::StatusOr<int64_t> ElementCount(
    const flatbuffers::Vector<int32_t>* shape) {
  constexpr int64_t kMaxElements = int64_t{1} << 40;
  int64_t count = 1;
  if (shape == nullptr) return count;
  for (int32_t d : *shape) {
    if (d < 0) {
      return absl::DataLossError(
          absl::StrCat("tensor shape has a negative dim ", d));
    }
    if (d > 0 && count > kMaxElements / d) {
      return absl::DataLossError("tensor shape has more than 2^40 elements");
    }
    count *= d;
  }
  return count;
}

absl::StatusOr<absl::Span<const uint8_t>> BufferBytes(
    const tfl::Model& model, uint32_t index, absl::Span<const uint8_t> file) {
  if (index == 0 || model.buffers() == nullptr ||
      index >= model.buffers()->size()) {
    return absl::Span<const uint8_t>();
  }
  const tfl::Buffer* buffer = model.buffers()->Get(index);
  if (buffer->offset() > 1) {
    const uint64_t offset = buffer->offset();
    const uint64_t size = buffer->size();
    if (offset > file.size() || size > file.size() - offset) {
      return absl::DataLossError(absl::StrCat(
          "buffer ", index, " lies outside the file (offset ", offset,
          ", size ", size, ", file ", file.size(), " bytes)"));
    }
    return file.subspan(offset, size);
  }
  if (buffer->data() == nullptr) return absl::Span<const uint8_t>();
  return absl::Span<const uint8_t>(buffer->data()->data(),
                                   buffer->data()->size());
}

}  // namespace tflite
}  // namespace attune
