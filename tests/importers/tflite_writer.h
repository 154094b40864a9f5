#ifndef ATTUNE_TESTS_IMPORTERS_TFLITE_WRITER_H_
#define ATTUNE_TESTS_IMPORTERS_TFLITE_WRITER_H_

// Writes small .tflite files for importer tests with attune's schema subset
// (the same field ids as TensorFlow's writer): subgraphs, tensors with
// optional constant data and quantization, builtin or custom operators, and
// signatures (one on the last subgraph, and any added with AddSignature).

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "flatbuffers/flatbuffers.h"
#include "tflite_subset_generated.h"

namespace attune {
namespace tflite {

namespace tfl = ::tflite_subset;

class TfliteWriter {
 public:
  TfliteWriter() {
    // Buffer 0 is the empty sentinel.
    buffers_.push_back(tfl::CreateBuffer(fbb_));
  }

  flatbuffers::FlatBufferBuilder& fbb() { return fbb_; }

  struct Quant {
    std::vector<float> scale;
    std::vector<int64_t> zero_point;
    int axis = 0;
  };

  // A tensor; `data` non-empty makes it a constant. `signature` (non-empty)
  // is written as shape_signature.
  int Tensor(const std::string& name, tfl::TensorType type,
             std::vector<int32_t> shape, std::vector<uint8_t> data = {},
             const Quant* quant = nullptr,
             std::vector<int32_t> signature = {}) {
    uint32_t buffer = 0;
    if (!data.empty()) {
      fbb_.ForceVectorAlignment(data.size(), 1, 16);
      buffer = static_cast<uint32_t>(buffers_.size());
      buffers_.push_back(tfl::CreateBuffer(fbb_, fbb_.CreateVector(data)));
    }
    flatbuffers::Offset<tfl::QuantizationParameters> q = 0;
    if (quant != nullptr) {
      q = tfl::CreateQuantizationParameters(
          fbb_, 0, 0, fbb_.CreateVector(quant->scale),
          fbb_.CreateVector(quant->zero_point), quant->axis);
    }
    tensors_.push_back(tfl::CreateTensor(
        fbb_, fbb_.CreateVector(shape), type, buffer, fbb_.CreateString(name),
        q, false, signature.empty() ? 0 : fbb_.CreateVector(signature)));
    return static_cast<int>(tensors_.size()) - 1;
  }

  template <typename T>
  static std::vector<uint8_t> Bytes(const std::vector<T>& values) {
    std::vector<uint8_t> bytes(values.size() * sizeof(T));
    if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    return bytes;
  }

  // TFLite's STRING buffer: int32 count, count + 1 int32 byte offsets from
  // the buffer's start, then the bytes (for constant STRING tensors).
  static std::vector<uint8_t> StringBytes(
      const std::vector<std::string>& strings) {
    std::vector<int32_t> header = {static_cast<int32_t>(strings.size())};
    int32_t offset = static_cast<int32_t>(4 * (strings.size() + 2));
    for (const std::string& s : strings) {
      header.push_back(offset);
      offset += static_cast<int32_t>(s.size());
    }
    header.push_back(offset);
    std::vector<uint8_t> bytes = Bytes(header);
    for (const std::string& s : strings)
      bytes.insert(bytes.end(), s.begin(), s.end());
    return bytes;
  }

  // A builtin operator with options (type NONE when absent).
  void Op(tfl::BuiltinOperator code, std::vector<int32_t> inputs,
          std::vector<int32_t> outputs,
          tfl::BuiltinOptions options_type = tfl::BuiltinOptions::NONE,
          flatbuffers::Offset<void> options = 0) {
    ops_.push_back(
        tfl::CreateOperator(fbb_, Code(code, ""), fbb_.CreateVector(inputs),
                            fbb_.CreateVector(outputs), options_type, options));
  }

  // A custom operator (e.g. "FlexReluGrad") with raw custom_options.
  void Custom(const std::string& custom_code, std::vector<int32_t> inputs,
              std::vector<int32_t> outputs, std::vector<uint8_t> options) {
    ops_.push_back(tfl::CreateOperator(
        fbb_, Code(tfl::BuiltinOperator::CUSTOM, custom_code),
        fbb_.CreateVector(inputs), fbb_.CreateVector(outputs),
        tfl::BuiltinOptions::NONE, 0,
        options.empty() ? 0 : fbb_.CreateVector(options)));
  }

  // Closes the current subgraph (its tensors and operators so far) and
  // starts an empty one; returns the closed subgraph's index.
  int EndSubgraph(const std::vector<int32_t>& inputs,
                  const std::vector<int32_t>& outputs,
                  const std::string& name) {
    subgraphs_.push_back(tfl::CreateSubGraph(
        fbb_, fbb_.CreateVector(tensors_), fbb_.CreateVector(inputs),
        fbb_.CreateVector(outputs), fbb_.CreateVector(ops_),
        fbb_.CreateString(name)));
    tensors_.clear();
    ops_.clear();
    return static_cast<int>(subgraphs_.size()) - 1;
  }

  // A SignatureDef `key` on subgraph `subgraph` (closed with EndSubgraph)
  // with inputs and outputs named as given; written by Finish.
  void AddSignature(const std::string& key, int subgraph,
                    const std::vector<std::pair<std::string, int>>& inputs,
                    const std::vector<std::pair<std::string, int>>& outputs) {
    std::vector<flatbuffers::Offset<tfl::TensorMap>> ins, outs;
    for (const auto& [name, t] : inputs) {
      ins.push_back(tfl::CreateTensorMap(fbb_, fbb_.CreateString(name), t));
    }
    for (const auto& [name, t] : outputs) {
      outs.push_back(tfl::CreateTensorMap(fbb_, fbb_.CreateString(name), t));
    }
    sigs_.push_back(tfl::CreateSignatureDef(fbb_, fbb_.CreateVector(ins),
                                            fbb_.CreateVector(outs),
                                            fbb_.CreateString(key), subgraph));
  }

  // Closes the current subgraph ("main") and returns the file bytes. With a
  // non-empty `signature_key`, a SignatureDef names that subgraph's inputs
  // and outputs after their tensors.
  std::vector<uint8_t> Finish(const std::vector<int32_t>& inputs,
                              const std::vector<int32_t>& outputs,
                              const std::string& signature_key = "") {
    const int main = EndSubgraph(inputs, outputs, "main");
    std::vector<flatbuffers::Offset<tfl::SignatureDef>> sigs = sigs_;
    if (!signature_key.empty()) {
      std::vector<flatbuffers::Offset<tfl::TensorMap>> ins, outs;
      for (int t : inputs) {
        ins.push_back(
            tfl::CreateTensorMap(fbb_, fbb_.CreateString(names_in(t)), t));
      }
      for (int t : outputs) {
        outs.push_back(
            tfl::CreateTensorMap(fbb_, fbb_.CreateString(names_in(t)), t));
      }
      sigs.push_back(tfl::CreateSignatureDef(
          fbb_, fbb_.CreateVector(ins), fbb_.CreateVector(outs),
          fbb_.CreateString(signature_key), main));
    }
    auto model = tfl::CreateModel(
        fbb_, 3, fbb_.CreateVector(codes_), fbb_.CreateVector(subgraphs_),
        fbb_.CreateString("test"), fbb_.CreateVector(buffers_), 0, 0,
        sigs.empty() ? 0 : fbb_.CreateVector(sigs));
    tfl::FinishModelBuffer(fbb_, model);
    return {fbb_.GetBufferPointer(), fbb_.GetBufferPointer() + fbb_.GetSize()};
  }

  // Input/output tensors are named "t<index>" in signatures.
  static std::string names_in(int t) { return "t" + std::to_string(t); }

 private:
  uint32_t Code(tfl::BuiltinOperator code, const std::string& custom) {
    const int32_t value = static_cast<int32_t>(code);
    // Files from before builtin_code existed set only the deprecated byte;
    // codes past 127 need the new field.
    codes_.push_back(tfl::CreateOperatorCode(
        fbb_, static_cast<int8_t>(value < 127 ? value : 127),
        custom.empty() ? 0 : fbb_.CreateString(custom), 1, code));
    return static_cast<uint32_t>(codes_.size()) - 1;
  }

  flatbuffers::FlatBufferBuilder fbb_;
  std::vector<flatbuffers::Offset<tfl::Buffer>> buffers_;
  std::vector<flatbuffers::Offset<tfl::Tensor>> tensors_;
  std::vector<flatbuffers::Offset<tfl::Operator>> ops_;
  std::vector<flatbuffers::Offset<tfl::OperatorCode>> codes_;
  std::vector<flatbuffers::Offset<tfl::SubGraph>> subgraphs_;
  std::vector<flatbuffers::Offset<tfl::SignatureDef>> sigs_;
};

}  // namespace tflite
}  // namespace attune

#endif  // ATTUNE_TESTS_IMPORTERS_TFLITE_WRITER_H_
