#include "tests/testing/op_tester.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace attune::testing {

OpTester& OpTester::Omitted() {
  inputs_.push_back({DType::kFloat32, {}, {}, false, true});
  return *this;
}

OpTester& OpTester::AddInput(DType dtype, Shape shape,
                             std::vector<uint8_t> bytes, bool constant) {
  inputs_.push_back({dtype, std::move(shape), std::move(bytes), constant, false});
  return *this;
}

absl::Status OpTester::Run() {
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
  ATTUNE_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model,
                          builder.BuildModel());
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
