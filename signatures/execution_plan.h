#ifndef ATTUNE_SIGNATURES_EXECUTION_PLAN_H_
#define ATTUNE_SIGNATURES_EXECUTION_PLAN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "delegates/delegate.h"
#include "engine/graph.h"
#include "engine/kernels/kernel.h"
#include "engine/memory_planner.h"
#include "engine/model.h"
#include "engine/tensor.h"
#include "pthreadpool.h"

namespace attune {

struct PlanOptions {
  pthreadpool_t thread_pool = nullptr;  // not owned; nullptr: caller's thread
  // Check each computed tensor against its declared dtype and static dims.
  // Off only for shape inference (ModelBuilder), where nothing is declared.
  bool check_declared = true;
  // The interpreter's variables, read and written by variable ops. Not
  // owned; must outlive the plan. nullptr: the plan may not use variables.
  VariableStore* variables = nullptr;
  // Delegates in priority order (see delegates/delegate.h); empty: every
  // step runs on the reference kernels. Shared, not owned exclusively.
  std::vector<std::shared_ptr<Delegate>> delegates;
};

// The prepared, memory-planned execution of one signature.
//
// Data flow: Create -> [ResizeInput]* -> AllocateTensors -> Invoke*.
//  1. Prepare keeps the nodes the signature needs (those its outputs depend
//     on, and stateful nodes: variable writes, optimizer updates) and runs
//     their shape rules in order. A node whose inputs are
//     all known before Invoke (constants, shape arithmetic on a resized batch)
//     and whose outputs are small is evaluated right there ("folded"); its
//     outputs become static and it does not run at Invoke.
//  2. The remaining nodes become steps; every tensor they touch and every
//     scratch buffer gets a lifetime in steps, and PlanArena assigns offsets
//     in one arena.
//  3. AllocateTensors grows the arena if needed and binds data pointers.
//  4. Invoke runs the steps' Eval functions and allocates nothing.
//  Between steps 1 and 2, delegates (PlanOptions::delegates) claim
//  partitions of the steps and compile them (packing weights); each
//  partition becomes one step and only its inputs and outputs take arena
//  space. After step 3 each delegate kernel is Setup. The one exception to
//  "Invoke allocates nothing": a delegate kernel whose variable weights
//  changed since it packed them re-packs inside Invoke (XNNPACK allocates).
// A read_variable whose output no later assign to the same variable can
// change while it is live is not run at all: its output aliases the
// variable's buffer (zero-copy).
//
// Owns its tensors, arena and folded values; holds a reference to the model,
// whose constant buffers it reads in place. Not thread-safe.
class ExecutionPlan {
 public:
  // String inputs live outside the arena (one std::string per element,
  // allocated by AllocateTensors); more elements are ResourceExhausted.
  static constexpr int64_t kMaxStringInputElements = int64_t{1} << 20;

  // Prepares the plan with every dynamic input dim set to 1, which validates
  // every node's dtypes and shapes. Errors name the node and signature.
  static absl::StatusOr<std::unique_ptr<ExecutionPlan>> Create(
      std::shared_ptr<const Model> model, int signature_index,
      const PlanOptions& options);

  ~ExecutionPlan();
  ExecutionPlan(const ExecutionPlan&) = delete;
  ExecutionPlan& operator=(const ExecutionPlan&) = delete;

  const Signature& signature() const { return *signature_; }

  // Sets input `index`'s shape. Its rank and non-dynamic dims must match the
  // declared shape (InvalidArgument otherwise). Takes effect at the next
  // AllocateTensors, which re-plans; data pointers change then.
  absl::Status ResizeInput(int index, absl::Span<const int64_t> shape);

  // Re-plans if an input was resized (shapes, folding, arena_bytes), without
  // allocating the arena: shape inference uses this, and a caller can check
  // arena_bytes() before AllocateTensors. Errors as Create's.
  absl::Status Reshape();

  // Re-plans if an input was resized, then binds memory. Allocates only when
  // the arena must grow. ResourceExhausted when the arena cannot be
  // allocated or a string input has more than kMaxStringInputElements.
  absl::Status AllocateTensors();

  // Runs the steps. FailedPrecondition before AllocateTensors (or after a
  // resize without it). Performs no heap allocation, except a delegate's
  // re-pack after a variable it packed was written (see above).
  absl::Status Invoke();

  // Runtime tensors of the signature's inputs and outputs (stable pointers).
  Tensor* input(int index) { return &tensors_[signature_->inputs[index].tensor]; }
  const Tensor* output(int index) const {
    return &tensors_[signature_->outputs[index].tensor];
  }
  const Tensor& tensor(int index) const { return tensors_[index]; }
  // The model's declared shape of tensor `index` (-1 for dynamic dims).
  const Shape& declared_shape(int index) const {
    return subgraph_->tensors[index].shape;
  }

  bool allocated() const { return allocated_; }
  // Bytes of the planned arena (valid after a prepare, i.e. always).
  size_t arena_bytes() const { return arena_plan_.arena_bytes; }
  // Bytes held by folded static values.
  size_t static_bytes() const { return static_bytes_; }
  // Nodes that run at Invoke; nodes folded at prepare time.
  int num_steps() const;
  int num_folded() const { return num_folded_; }
  // read_variable nodes replaced by zero-copy views of the variable.
  int num_aliased_reads() const { return num_aliased_reads_; }
  // Ops per step, for `attune info` and delegates (a delegated step reports
  // its first node's op).
  OpCode step_op(int step) const;
  // The delegate running step `step`, or "" for a reference kernel.
  absl::string_view step_delegate(int step) const;
  // Which steps the delegates took and why others stayed (after a prepare).
  const DelegationReport& delegation_report() const { return delegation_; }
  // Sum of the delegate kernels' counters (re-packs after weight updates).
  DelegateKernelStats delegate_stats() const;
  // One delegated step's counters (zeros for a reference step).
  DelegateKernelStats step_delegate_stats(int step) const;
  // ASCII map of the arena (see memory_planner.h).
  std::string ArenaDebugString(int width = 64) const;
  // The planner's inputs and result, for tests.
  const std::vector<BufferRequest>& buffer_requests() const {
    return requests_;
  }
  const ArenaPlan& arena_plan() const { return arena_plan_; }

 private:
  struct Step;

  ExecutionPlan(std::shared_ptr<const Model> model, int signature_index,
                const PlanOptions& options);
  absl::Status Prepare();
  absl::Status PrepareNode(int node_index, std::vector<size_t>& scratch);
  absl::Status FoldNode(int node_index, absl::Span<const size_t> scratch,
                        void* op_data);
  void AliasVariableReads();
  void ApplyDelegates();
  PlanView MakePlanView() const;
  void PlanMemory();

  std::shared_ptr<const Model> model_;
  const Graph* graph_;
  const Signature* signature_;
  const Subgraph* subgraph_;
  PlanOptions options_;

  std::vector<Tensor> tensors_;
  std::vector<bool> aliased_;  // tensor is a zero-copy view of a variable
  std::vector<Shape> input_shapes_;
  // Per signature input: the std::string elements of a kString input.
  std::vector<std::vector<std::string>> input_strings_;
  std::vector<std::string> descriptions_;  // per node, for error messages
  std::vector<Step> steps_;
  std::vector<std::unique_ptr<uint8_t, void (*)(void*)>> static_values_;
  size_t static_bytes_ = 0;
  int num_folded_ = 0;
  int num_aliased_reads_ = 0;
  DelegationReport delegation_;

  // Arena planning: request i is tensor request_tensor_[i] (or scratch when
  // -1, owned by step request_step_[i]).
  std::vector<BufferRequest> requests_;
  std::vector<int> request_tensor_;
  std::vector<int> request_step_;
  ArenaPlan arena_plan_;
  uint8_t* arena_ = nullptr;
  size_t arena_capacity_ = 0;

  bool prepared_ = false;
  bool allocated_ = false;
};

}  // namespace attune

#endif  // ATTUNE_SIGNATURES_EXECUTION_PLAN_H_
