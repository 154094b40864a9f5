#ifndef ATTUNE_BUILDER_MODEL_BUILDER_H_
#define ATTUNE_BUILDER_MODEL_BUILDER_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/graph.h"
#include "engine/model.h"

namespace attune {

// Builds a graph in C++: inputs, constants, variables, ops and signatures.
// Build() runs shape inference through the kernels' shape rules (dynamic
// dims stay -1) and validation, and returns a graph ready for
// Model::FromGraph or WriteModelFile.
//
// Tensor handles are indices into the subgraph being built. Errors in
// arguments (unknown handles, bad shapes) are collected and reported by
// Build(), so a chain of calls needs no error checks in between.
// Not thread-safe.
class ModelBuilder {
 public:
  explicit ModelBuilder(std::string description = "");

  // Starts a new subgraph and makes it current; returns its index. A builder
  // starts with one subgraph, "main".
  int AddSubgraph(std::string name);
  void SetCurrentSubgraph(int index);
  int current_subgraph() const { return current_; }

  // A graph input (fed by a signature). Use -1 for dynamic dims.
  int Input(absl::string_view name, DType dtype, Shape shape);

  // A constant tensor holding a copy of `bytes`.
  int Constant(absl::string_view name, DType dtype, Shape shape,
               absl::Span<const uint8_t> bytes);
  template <typename T>
  int Constant(absl::string_view name, Shape shape,
               absl::Span<const T> values) {
    return Constant(name, DTypeOf<T>::value, std::move(shape),
                    {reinterpret_cast<const uint8_t*>(values.data()),
                     values.size() * sizeof(T)});
  }
  // Rank-1 int64 constant (shapes, axes, permutations).
  int ConstantInts(absl::string_view name, absl::Span<const int64_t> values);
  // Scalar float constant.
  int ConstantScalar(absl::string_view name, float value);

  // Applies `op` to `inputs` (-1 for an omitted optional input). Returns the
  // new output tensors, named "<name>" or "<name>:<i>" (name defaults to
  // "<op>_<node index>").
  std::vector<int> Op(OpCode op, std::vector<int> inputs,
                      Attributes attrs = {}, int num_outputs = 1,
                      absl::string_view name = "");
  // Single-output form.
  int Op1(OpCode op, std::vector<int> inputs, Attributes attrs = {},
          absl::string_view name = "");

  // Adds a resource variable to the model; returns its index.
  int AddVariable(VariableInfo variable);
  // Stores `bytes` as a constant buffer; returns the buffer index (for
  // variables initialized from a constant).
  int AddBuffer(absl::Span<const uint8_t> bytes);

  // Names the current subgraph's tensors as a signature.
  void AddSignature(absl::string_view key,
                    std::vector<std::pair<std::string, int>> inputs,
                    std::vector<std::pair<std::string, int>> outputs);

  void AddMetadata(absl::string_view key, absl::string_view value);

  // Infers every computed tensor's dtype and shape, validates the graph and
  // returns it. InvalidArgument for the first recorded argument error or a
  // failing shape rule (naming the node).
  absl::StatusOr<Graph> Build() const;

  // Build + Model::FromGraph.
  absl::StatusOr<std::shared_ptr<const Model>> BuildModel() const;

 private:
  int AddTensor(TensorInfo info);
  bool CheckHandle(int tensor, absl::string_view what);

  Graph graph_;
  int current_ = 0;
  std::string first_error_;
};

}  // namespace attune

#endif  // ATTUNE_BUILDER_MODEL_BUILDER_H_
