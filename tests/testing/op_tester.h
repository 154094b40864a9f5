#ifndef ATTUNE_TESTS_TESTING_OP_TESTER_H_
#define ATTUNE_TESTS_TESTING_OP_TESTER_H_

// Runs one operator end to end (ModelBuilder -> Model -> Interpreter ->
// Invoke) for kernel tests:
//
//   OpTester t(OpCode::kAdd);
//   t.Input<float>({2, 2}, {1, 2, 3, 4}).Input<float>({2}, {10, 20});
//   ASSERT_OK(t.Run());
//   EXPECT_THAT(t.Output<float>(0), ElementsAre(11, 22, 13, 24));
//
// Input() feeds a signature input at run time; Const() bakes a constant into
// the model (static at prepare time, as shape arguments usually are).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "builder/model_builder.h"
#include "engine/interpreter.h"

namespace attune::testing {

class OpTester {
 public:
  explicit OpTester(OpCode op) : op_(op) {}

  template <typename T>
  OpTester& Input(Shape shape, std::vector<T> values) {
    return AddInput(DTypeOf<T>::value, std::move(shape), AsBytes(values),
                    /*constant=*/false);
  }
  template <typename T>
  OpTester& Const(Shape shape, std::vector<T> values) {
    return AddInput(DTypeOf<T>::value, std::move(shape), AsBytes(values),
                    /*constant=*/true);
  }
  // An omitted optional input.
  OpTester& Omitted();
  // Inputs given as raw bytes, for dtypes without a C++ element type
  // (float16 as uint16 bit patterns).
  OpTester& RawInput(DType dtype, Shape shape, std::vector<uint8_t> bytes) {
    return AddInput(dtype, std::move(shape), std::move(bytes), false);
  }
  OpTester& RawConst(DType dtype, Shape shape, std::vector<uint8_t> bytes) {
    return AddInput(dtype, std::move(shape), std::move(bytes), true);
  }
  // Attaches quantization parameters to the most recently added input.
  // Such a model is assembled directly as a Graph (ModelBuilder cannot carry
  // quantization through its shape inference).
  OpTester& Quantize(Quantization quantization);

  OpTester& Attr(absl::string_view name, AttrValue value) {
    attrs_.Set(name, std::move(value));
    return *this;
  }
  OpTester& Ints(absl::string_view name, std::vector<int64_t> v) {
    return Attr(name, std::move(v));
  }
  OpTester& Int(absl::string_view name, int64_t v) { return Attr(name, v); }
  OpTester& Float(absl::string_view name, double v) { return Attr(name, v); }
  OpTester& String(absl::string_view name, std::string v) {
    return Attr(name, std::move(v));
  }
  OpTester& NumOutputs(int n) {
    num_outputs_ = n;
    return *this;
  }
  OpTester& Threads(int n) {
    threads_ = n;
    return *this;
  }

  // Builds the model, creates an interpreter, feeds the inputs and invokes.
  // Returns the first error of any stage.
  absl::Status Run();

  const Tensor& output(int i) const;
  Shape OutputShape(int i) const { return output(i).shape; }
  DType OutputDType(int i) const { return output(i).dtype; }
  template <typename T>
  std::vector<T> Output(int i) const {
    const Tensor& t = output(i);
    const T* p = t.data_as<T>();
    return std::vector<T>(p, p + t.num_elements());
  }
  // Output i as float32 regardless of dtype (bool/int widened).
  std::vector<double> OutputAsDouble(int i) const;

  // Arena bytes of the single-op plan.
  size_t arena_bytes() const;

 private:
  struct PendingInput {
    DType dtype;
    Shape shape;
    std::vector<uint8_t> bytes;
    bool constant;
    bool omitted;
    std::optional<Quantization> quantization;
  };

  template <typename T>
  static std::vector<uint8_t> AsBytes(const std::vector<T>& values) {
    std::vector<uint8_t> bytes(values.size() * sizeof(T));
    if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    return bytes;
  }
  OpTester& AddInput(DType dtype, Shape shape, std::vector<uint8_t> bytes,
                     bool constant);
  // The one-op model: through ModelBuilder, or as a hand-built Graph when an
  // input carries quantization.
  absl::StatusOr<std::shared_ptr<const Model>> BuildModel() const;
  absl::StatusOr<std::shared_ptr<const Model>> BuildQuantizedModel() const;

  OpCode op_;
  Attributes attrs_;
  int num_outputs_ = 1;
  int threads_ = 1;
  std::vector<PendingInput> inputs_;
  std::unique_ptr<Interpreter> interpreter_;
  SignatureRunner* runner_ = nullptr;
};

// Specialization: std::vector<bool> has no contiguous storage.
template <>
inline OpTester& OpTester::Input<bool>(Shape shape, std::vector<bool> values) {
  std::vector<uint8_t> bytes(values.begin(), values.end());
  return AddInput(DType::kBool, std::move(shape), std::move(bytes), false);
}
template <>
inline OpTester& OpTester::Const<bool>(Shape shape, std::vector<bool> values) {
  std::vector<uint8_t> bytes(values.begin(), values.end());
  return AddInput(DType::kBool, std::move(shape), std::move(bytes), true);
}
template <>
inline std::vector<bool> OpTester::Output<bool>(int i) const {
  const Tensor& t = output(i);
  const uint8_t* p = t.data_as<uint8_t>();
  return std::vector<bool>(p, p + t.num_elements());
}

}  // namespace attune::testing

#endif  // ATTUNE_TESTS_TESTING_OP_TESTER_H_
