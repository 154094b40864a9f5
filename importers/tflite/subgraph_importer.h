#ifndef ATTUNE_IMPORTERS_TFLITE_SUBGRAPH_IMPORTER_H_
#define ATTUNE_IMPORTERS_TFLITE_SUBGRAPH_IMPORTER_H_

// Imports one TFLite subgraph into the builder's current attune subgraph
// (internal to the importer; see importer.h for the conversion rules).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "builder/model_builder.h"
#include "importers/tflite/reader.h"

namespace attune {
namespace tflite {

// The attune variable of each TFLite resource (key "container/shared_name",
// or "shared_name" when the container is empty).
using VariableIndex = absl::flat_hash_map<std::string, int>;

// Key of a VAR_HANDLE's resource in VariableIndex.
std::string VariableKey(const tfl::VarHandleOptions* options);

// Not thread-safe; lives for one subgraph import.
class SubgraphImporter {
 public:
  // `float_io`: quantized signature inputs/outputs become float32.
  SubgraphImporter(const tfl::Model& model, absl::Span<const uint8_t> file,
                   int subgraph, const VariableIndex& variables,
                   ModelBuilder& builder, bool float_io);

  // Declares the attune inputs for TFLite tensors `inputs` (named
  // `names`), maps every operator, and returns the attune tensors of
  // `outputs`. Errors as ImportTflite's.
  absl::StatusOr<std::vector<int>> Import(const std::vector<int>& inputs,
                                          const std::vector<std::string>& names,
                                          const std::vector<int>& outputs);

  // Init-evaluation mode (for CALL_ONCE init subgraphs): ASSIGN_VARIABLE
  // records (variable, value tensor) in assignments() instead of emitting
  // an op, and READ_VARIABLE reads the last value recorded. Call before
  // Import.
  void RecordAssignments() { record_assignments_ = true; }
  const std::vector<std::pair<int, int>>& assignments() const {
    return assignments_;
  }

  // The attune graph inputs declared by Import, in order (before any
  // dequantization).
  const std::vector<int>& input_handles() const { return input_handles_; }

  // ---- used by the op mappers (builtin_ops.cc, flex_ops.cc) ----
  const tfl::Tensor& tensor(int t) const;
  // The attune tensor holding TFLite tensor `t` (a constant is created on
  // first use). -1 for `t` == -1. Error if `t` is neither computed yet nor
  // constant.
  absl::StatusOr<int> Get(int t);
  // Records that TFLite tensor `t` is attune tensor `handle`.
  void Set(int t, int handle);
  // True when `t` has constant data.
  bool IsConstant(int t) const;
  // A float32 constant of `t` (dequantized when quantized), with its data
  // permuted by `perm` (empty: none) and its shape replaced by `shape`
  // (empty: the permuted shape).
  absl::StatusOr<int> FloatConstant(int t, absl::Span<const int> perm,
                                    std::vector<int64_t> shape = {});
  // The attune dtype TFLite tensor `t` computes in (float32 for quantized
  // and float16 tensors).
  absl::StatusOr<DType> ComputeDType(int t) const;
  // The shape of TFLite tensor `t` (shape_signature when present).
  Shape TensorShape(int t) const;
  std::string TensorName(int t) const;
  int VariableOf(int resource_tensor) const;
  // The elements of constant STRING tensor `t` (TFLite's string buffer:
  // int32 count, count + 1 int32 byte offsets from the buffer's start, then
  // the bytes). Unimplemented when `t` is not constant, DataLoss when the
  // buffer is malformed.
  absl::StatusOr<std::vector<std::string>> StringConstant(int t) const;
  // The attune variable an ASSIGN_VARIABLE of this subgraph assigns TFLite
  // tensor `t` to (the first such), or -1.
  int AssignedVariable(int t) const;
  // The subgraph's operators, for mappers that gather several operators
  // into one attune op: the current operator's index, the count, one
  // operator, its custom code ("" for a builtin), and MarkMapped, which
  // makes Import skip operator `o` (after the current one) because the
  // current operator's attune op already computes its outputs.
  int op_index() const { return op_index_; }
  int num_operators() const;
  const tfl::Operator& operator_at(int o) const;
  std::string CustomCode(int o) const;
  void MarkMapped(int o);
  ModelBuilder& builder() { return builder_; }
  // "subgraph 3 (\"train\") operator 5 (FULLY_CONNECTED)".
  std::string Where() const { return where_; }
  absl::Status Unimplemented(absl::string_view what) const;
  absl::Status InvalidArgument(absl::string_view what) const;
  absl::Status Internal(absl::string_view what) const;
  const tfl::Operator& op() const { return *op_; }
  // Operator input / output TFLite indices (-1 for omitted inputs).
  int in(int i) const;
  int out(int i) const;
  int num_inputs() const;
  int num_outputs() const;

  // Applies a fused activation to attune tensor `x` (named after output
  // `t`): returns x for NONE.
  absl::StatusOr<int> FusedActivation(int x, tfl::ActivationFunctionType act,
                                      int t);
  // The activation attribute value for a fused activation an attune op can
  // take ("none", "relu", "relu6", "tanh"); empty when it needs separate ops.
  static std::string ActivationAttr(tfl::ActivationFunctionType act);

 private:
  absl::Status MapOperator(const tfl::Operator& op);
  // Declares the graph input for TFLite tensor `t` (appending it to
  // input_handles_) and returns the tensor the body computes with.
  absl::StatusOr<int> Boundary(int t, absl::string_view name);
  absl::StatusOr<int> Requantize(int handle, int t);

  const tfl::Model& model_;
  absl::Span<const uint8_t> file_;
  const tfl::SubGraph& sg_;
  int subgraph_;
  const VariableIndex& variables_;
  ModelBuilder& builder_;
  bool float_io_;
  std::vector<int> map_;
  std::vector<int> input_handles_;
  bool record_assignments_ = false;
  std::vector<std::pair<int, int>> assignments_;  // variable, attune tensor
  std::vector<int> resource_;  // TFLite tensor -> attune variable (-1)
  const tfl::Operator* op_ = nullptr;
  int op_index_ = -1;
  std::vector<bool> mapped_;  // per operator: mapped by an earlier one
  std::string where_;
};

// Op mappers: builtin_ops.cc and flex_ops.cc. Each maps the importer's
// current operator. Unimplemented names the op when it is not supported.
absl::Status MapBuiltin(SubgraphImporter& im, tfl::BuiltinOperator code);
absl::Status MapFlex(SubgraphImporter& im, absl::string_view custom_code);

}  // namespace tflite
}  // namespace attune

#endif  // ATTUNE_IMPORTERS_TFLITE_SUBGRAPH_IMPORTER_H_
