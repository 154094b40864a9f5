#ifndef ATTUNE_TESTS_IMPORTERS_OP_TEST_UTIL_H_
#define ATTUNE_TESTS_IMPORTERS_OP_TEST_UTIL_H_

// Runs one TFLite operator through the importer and the interpreter:
// writes a one-op .tflite (tflite_writer.h), imports it, feeds the
// non-constant inputs and returns every output as doubles.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "engine/interpreter.h"
#include "engine/model.h"
#include "importers/tflite/importer.h"
#include "tests/importers/tflite_writer.h"

namespace attune {
namespace tflite {

struct TensorSpec {
  tfl::TensorType type = tfl::TensorType::FLOAT32;
  std::vector<int32_t> shape;
  std::vector<double> values;  // data of a constant, or the fed input
  bool constant = false;
  const TfliteWriter::Quant* quant = nullptr;
};

inline TensorSpec F(std::vector<int32_t> shape, std::vector<double> values) {
  return {tfl::TensorType::FLOAT32, std::move(shape), std::move(values)};
}
inline TensorSpec I32(std::vector<int32_t> shape, std::vector<double> values) {
  return {tfl::TensorType::INT32, std::move(shape), std::move(values)};
}
inline TensorSpec Const(TensorSpec spec) {
  spec.constant = true;
  return spec;
}
// An output: type and shape only.
inline TensorSpec Out(tfl::TensorType type, std::vector<int32_t> shape) {
  return {type, std::move(shape), {}};
}
inline TensorSpec FOut(std::vector<int32_t> shape) {
  return Out(tfl::TensorType::FLOAT32, std::move(shape));
}

struct OpResult {
  std::vector<int64_t> shape;
  std::vector<double> values;
};

using OptionsFn =
    std::function<flatbuffers::Offset<void>(flatbuffers::FlatBufferBuilder&)>;

inline std::vector<uint8_t> Encode(tfl::TensorType type,
                                   const std::vector<double>& values) {
  switch (type) {
    case tfl::TensorType::FLOAT32:
      return TfliteWriter::Bytes(
          std::vector<float>(values.begin(), values.end()));
    case tfl::TensorType::INT32:
      return TfliteWriter::Bytes(
          std::vector<int32_t>(values.begin(), values.end()));
    case tfl::TensorType::INT64:
      return TfliteWriter::Bytes(
          std::vector<int64_t>(values.begin(), values.end()));
    case tfl::TensorType::INT8:
      return TfliteWriter::Bytes(
          std::vector<int8_t>(values.begin(), values.end()));
    default:  // UINT8, BOOL
      return TfliteWriter::Bytes(
          std::vector<uint8_t>(values.begin(), values.end()));
  }
}

// A one-op model: inputs (constants written into the file), outputs.
inline std::vector<uint8_t> OneOpModel(
    tfl::BuiltinOperator code, const std::vector<TensorSpec>& inputs,
    const std::vector<TensorSpec>& outputs, tfl::BuiltinOptions options_type,
    const OptionsFn& options, std::vector<int32_t>* fed = nullptr,
    const std::string& custom = "", std::vector<uint8_t> custom_options = {}) {
  TfliteWriter w;
  std::vector<int32_t> in, out, graph_in;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorSpec& s = inputs[i];
    if (s.shape.size() == 1 && s.shape[0] == -1) {  // omitted optional input
      in.push_back(-1);
      continue;
    }
    const int t =
        w.Tensor(absl::StrCat("in", i), s.type, s.shape,
                 s.constant ? Encode(s.type, s.values) : std::vector<uint8_t>{},
                 s.quant);
    in.push_back(t);
    if (!s.constant) graph_in.push_back(t);
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    out.push_back(w.Tensor(absl::StrCat("out", i), outputs[i].type,
                           outputs[i].shape, {}, outputs[i].quant));
  }
  if (custom.empty()) {
    w.Op(code, in, out, options_type,
         options ? options(w.fbb()) : flatbuffers::Offset<void>(0));
  } else {
    w.Custom(custom, in, out, std::move(custom_options));
  }
  if (fed != nullptr) *fed = graph_in;
  return w.Finish(graph_in, out, "run");
}

inline absl::StatusOr<std::vector<OpResult>> RunModel(
    const std::vector<uint8_t>& file, const std::vector<TensorSpec>& inputs,
    const std::vector<int32_t>& fed, int num_outputs) {
  absl::StatusOr<Graph> graph = ImportTflite(file);
  if (!graph.ok()) return graph.status();
  auto model = Model::FromGraph(*std::move(graph));
  if (!model.ok()) return model.status();
  auto interp = Interpreter::Create(*model);
  if (!interp.ok()) return interp.status();
  auto runner = (*interp)->GetSignatureRunner("run");
  if (!runner.ok()) return runner.status();
  size_t next = 0;
  for (const TensorSpec& s : inputs) {
    if (s.constant || (s.shape.size() == 1 && s.shape[0] == -1)) continue;
    const std::string name = TfliteWriter::names_in(fed[next++]);
    absl::Status st =
        (*runner)->ResizeInput(name, Shape(s.shape.begin(), s.shape.end()));
    if (!st.ok()) return st;
  }
  absl::Status status = (*runner)->AllocateTensors();
  if (!status.ok()) return status;
  next = 0;
  for (const TensorSpec& s : inputs) {
    if (s.constant || (s.shape.size() == 1 && s.shape[0] == -1)) continue;
    const std::string name = TfliteWriter::names_in(fed[next++]);
    auto tensor = (*runner)->input(name);
    if (!tensor.ok()) return tensor.status();
    const std::vector<uint8_t> bytes = Encode(s.type, s.values);
    if (bytes.size() != static_cast<size_t>((*tensor)->num_elements()) *
                            DTypeSize((*tensor)->dtype)) {
      return absl::InvalidArgumentError(absl::StrCat("input ", name, " size"));
    }
    if (!bytes.empty())
      std::memcpy((*tensor)->data, bytes.data(), bytes.size());
  }
  status = (*runner)->Invoke();
  if (!status.ok()) return status;
  std::vector<OpResult> results;
  for (const std::string& name : (*runner)->output_names()) {
    auto tensor = (*runner)->output(name);
    if (!tensor.ok()) return tensor.status();
    const Tensor& t = **tensor;
    OpResult r;
    r.shape.assign(t.shape.begin(), t.shape.end());
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      switch (t.dtype) {
        case DType::kFloat32:
          r.values.push_back(t.data_as<float>()[i]);
          break;
        case DType::kInt32:
          r.values.push_back(t.data_as<int32_t>()[i]);
          break;
        case DType::kInt64:
          r.values.push_back(t.data_as<int64_t>()[i]);
          break;
        case DType::kInt8:
          r.values.push_back(t.data_as<int8_t>()[i]);
          break;
        default:
          r.values.push_back(t.data_as<uint8_t>()[i]);
          break;
      }
    }
    results.push_back(std::move(r));
  }
  if (static_cast<int>(results.size()) != num_outputs) {
    return absl::InternalError("output count");
  }
  return results;
}

// OneOpModel + RunModel.
inline absl::StatusOr<std::vector<OpResult>> RunOp(
    tfl::BuiltinOperator code, const std::vector<TensorSpec>& inputs,
    const std::vector<TensorSpec>& outputs,
    tfl::BuiltinOptions options_type = tfl::BuiltinOptions::NONE,
    const OptionsFn& options = nullptr) {
  std::vector<int32_t> fed;
  const std::vector<uint8_t> file =
      OneOpModel(code, inputs, outputs, options_type, options, &fed);
  return RunModel(file, inputs, fed, static_cast<int>(outputs.size()));
}

}  // namespace tflite
}  // namespace attune

#endif  // ATTUNE_TESTS_IMPORTERS_OP_TEST_UTIL_H_
