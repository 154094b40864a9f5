#ifndef ATTUNE_ENGINE_KERNELS_KERNEL_H_
#define ATTUNE_ENGINE_KERNELS_KERNEL_H_

// The contract between the execution plan and an operator's kernel.
//
// A kernel is two functions (see KernelRegistration):
//  - Prepare(ctx): the op's shape rule. Checks input dtypes, shapes and
//    attributes, sets every output's dtype and shape with SetOutput, and
//    reserves scratch memory with RequestScratch. Input data is readable only
//    for inputs with `is_static` (constants and prepare-time folded values).
//    Prepare runs again after any input resize.
//  - Eval(ctx): the math. All input and output data pointers are valid.
//    Eval never allocates heap memory; it may use ctx.thread_pool().
// Both return an absl::Status; use ctx.InvalidArgument(...) and friends so
// the message names the node ("conv2d node #3 (signature \"infer\"): ...").

#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/attributes.h"
#include "engine/op_code.h"
#include "engine/tensor.h"
#include "pthreadpool.h"
#include "variables/variable_store.h"

namespace attune {

class NodeContext;

struct KernelRegistration {
  absl::Status (*prepare)(NodeContext& ctx) = nullptr;
  absl::Status (*eval)(NodeContext& ctx) = nullptr;
};

// Per-node view handed to kernels. Owned by the execution plan; valid only
// during the Prepare or Eval call it is passed to. Not thread-safe (kernels
// parallelize internally through thread_pool()).
class NodeContext {
 public:
  struct Bindings {
    OpCode op;
    const Attributes* attrs;
    Tensor* const* inputs;    // nullptr entries for omitted optional inputs
    int num_inputs;
    Tensor* const* outputs;
    int num_outputs;
    void* const* scratch;     // Eval: scratch buffers, in request order
    int num_scratch;
    pthreadpool_t thread_pool;  // may be nullptr: run on the caller's thread
    void* op_data;              // kOpDataBytes, 64-byte aligned, per node
    VariableStore* variables;   // the interpreter's variables; may be nullptr
    const std::string* description;  // "conv2d node #3 (signature \"infer\")"
  };

  // `scratch_sizes` collects RequestScratch calls during Prepare (may be
  // nullptr during Eval).
  NodeContext(const Bindings& bindings, std::vector<size_t>* scratch_sizes)
      : b_(bindings), scratch_sizes_(scratch_sizes) {}

  OpCode op() const { return b_.op; }
  const Attributes& attrs() const { return *b_.attrs; }

  int num_inputs() const { return b_.num_inputs; }
  // False for an omitted optional input or an index past num_inputs().
  bool has_input(int i) const {
    return i < b_.num_inputs && b_.inputs[i] != nullptr;
  }
  // REQUIRES: has_input(i).
  const Tensor& input(int i) const { return *b_.inputs[i]; }

  int num_outputs() const { return b_.num_outputs; }
  Tensor& output(int i) { return *b_.outputs[i]; }

  // Prepare: sets output i's dtype and shape. InvalidArgument when the shape
  // is negative or too large.
  absl::Status SetOutput(int i, DType dtype, Shape shape);

  // Prepare: reserves `bytes` of 64-byte aligned scratch live during this
  // node's Eval; returns its index for scratch().
  int RequestScratch(size_t bytes);
  // Eval: the scratch buffer `index` returned by RequestScratch.
  void* scratch(int index) const { return b_.scratch[index]; }

  // Per-node state that Prepare computes and Eval reads (parsed attributes,
  // derived sizes): a trivially copyable struct of at most kOpDataBytes,
  // zero-initialized before the first Prepare.
  static constexpr size_t kOpDataBytes = 256;
  template <typename T>
  T& op_data() const {
    static_assert(sizeof(T) <= kOpDataBytes && alignof(T) <= 64,
                  "op data too large");
    static_assert(std::is_trivially_copyable_v<T>, "op data must be POD-like");
    return *static_cast<T*>(b_.op_data);
  }

  // The interpreter's resource variables (nullptr when the plan has none).
  VariableStore* variables() const { return b_.variables; }

  pthreadpool_t thread_pool() const { return b_.thread_pool; }
  size_t num_threads() const {
    return b_.thread_pool == nullptr
               ? 1
               : pthreadpool_get_threads_count(b_.thread_pool);
  }

  // Reads an integer list that an op takes either as input `input_index`
  // (int32 or int64, which must be static at Prepare) or as attribute
  // `attr`. NotFound-free: when neither is present returns `dflt` if given,
  // else InvalidArgument naming both.
  absl::StatusOr<std::vector<int64_t>> IntsFromInputOrAttr(
      int input_index, absl::string_view attr,
      const std::vector<int64_t>* dflt = nullptr) const;

  // Reads a scalar float from a static input or an attribute, as above.
  absl::StatusOr<double> ScalarFromInputOrAttr(int input_index,
                                               absl::string_view attr,
                                               double dflt) const;

  const std::string& description() const { return *b_.description; }

  // Statuses whose message starts with description().
  absl::Status InvalidArgument(absl::string_view message) const;
  absl::Status Unimplemented(absl::string_view message) const;
  absl::Status Internal(absl::string_view message) const;
  // Prefixes an existing error (e.g. from Attributes::GetInt).
  absl::Status Annotate(const absl::Status& status) const;

  // Checks input i's dtype; InvalidArgument naming expected and actual.
  absl::Status ExpectInputDType(int i, DType dtype) const;
  // Checks that input i is float32.
  absl::Status ExpectFloatInput(int i) const {
    return ExpectInputDType(i, DType::kFloat32);
  }

 private:
  Bindings b_;
  std::vector<size_t>* scratch_sizes_;
};

}  // namespace attune

#endif  // ATTUNE_ENGINE_KERNELS_KERNEL_H_
