#ifndef ATTUNE_DELEGATES_DELEGATE_H_
#define ATTUNE_DELEGATES_DELEGATE_H_

// The delegate interface that the execution plan owns and backends
// (delegates/xnnpack, delegates/gpu) implement.
//
// After the plan has prepared every node (shapes known, constants folded,
// variable reads aliased), it shows each delegate, in priority order, a
// PlanView of its steps. A delegate says per step whether it can run it
// (Supports); the partitioner (partitioner.h) groups supported steps into
// partitions, and the delegate compiles each into one DelegateKernel
// (Build). The plan then runs that kernel in place of the partition's steps;
// tensors used only inside a partition get no arena space. A partition that
// fails to Build falls back to the reference kernels and the reason is kept
// in the plan's DelegationReport.
//
// Contract on results: a delegate's outputs match the float32 reference
// kernels within the tolerance it states in its header.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/graph.h"
#include "engine/tensor.h"
#include "pthreadpool.h"
#include "variables/variable_store.h"

namespace attune {

// A prepared plan as a delegate sees it. The view itself lives only during
// the Supports and Build calls; the objects its pointers name (tensors,
// subgraph nodes, variables, thread pool) are owned by the plan or the
// interpreter and outlive every kernel the plan holds, so a kernel may keep
// those pointers. Tensor pointers are stable (only their `data` moves, at
// AllocateTensors). A tensor is one of:
//  - static (`is_static`): a constant or a prepare-time folded value; its
//    data is readable now and does not change until the next prepare;
//  - variable-backed: the output of a read_variable of variable v; at step s
//    it equals the variable's current buffer when VariableAt(t, s) == v;
//  - computed at Invoke by an earlier step (or a signature input).
struct PlanView {
  const Subgraph* subgraph = nullptr;
  const std::vector<Tensor>* tensors = nullptr;
  std::vector<int> step_nodes;   // node index of each step, in run order
  std::vector<int> variable_of;  // per tensor: variable index or -1
  // Per tensor: index of the first step after the read that writes the
  // variable (num_steps when none). Meaningful when variable_of[t] >= 0.
  std::vector<int> variable_valid_until;
  std::vector<bool> is_signature_output;  // per tensor
  VariableStore* variables = nullptr;     // may be nullptr
  pthreadpool_t thread_pool = nullptr;    // nullptr: the calling thread
  const std::string* signature_key = nullptr;

  int num_steps() const { return static_cast<int>(step_nodes.size()); }
  const Node& node(int step) const { return subgraph->nodes[step_nodes[step]]; }
  const Tensor& tensor(int t) const { return (*tensors)[t]; }
  // The variable whose current buffer holds tensor `t` while step `step`
  // runs, or -1 (not variable-backed, or written since the read).
  int VariableAt(int t, int step) const {
    if (t < 0 || variable_of[t] < 0) return -1;
    return step < variable_valid_until[t] ? variable_of[t] : -1;
  }
};

// A set of steps one delegate runs as one kernel.
struct Partition {
  std::vector<int> steps;    // plan steps (indices into PlanView), in order
  std::vector<int> inputs;   // non-static tensors read but not produced here
  std::vector<int> outputs;  // tensors produced here and read after it
};

// Counters a delegate kernel keeps about re-packing weights.
struct DelegateKernelStats {
  int64_t invokes = 0;
  int64_t repacks = 0;          // rebuilds after a variable changed
  double repack_seconds = 0.0;  // total time spent in those rebuilds
};

// A compiled partition. Owned by the plan; Setup runs after every
// AllocateTensors (data pointers may have moved), Invoke once per plan
// Invoke. Reads its inputs and writes its outputs through the plan's
// tensors. Not thread-safe.
class DelegateKernel {
 public:
  virtual ~DelegateKernel() = default;
  // Binds the current data pointers. Internal on a backend failure.
  virtual absl::Status Setup() = 0;
  // Runs the partition. FailedPrecondition before Setup.
  virtual absl::Status Invoke() = 0;
  virtual DelegateKernelStats stats() const { return {}; }
};

class Delegate {
 public:
  virtual ~Delegate() = default;
  // "xnnpack", "gpu".
  virtual absl::string_view name() const = 0;
  // OK when this delegate can run step `step` of `view` (its op, dtypes,
  // shapes and attributes, and which inputs are static or variables);
  // otherwise Unimplemented with a one-line reason ("activation tanh").
  virtual absl::Status Supports(const PlanView& view, int step) const = 0;
  // Compiles `partition` (every step of which Supports accepted). Any error
  // makes the plan run these steps on the reference kernels instead.
  virtual absl::StatusOr<std::unique_ptr<DelegateKernel>> Build(
      const PlanView& view, const Partition& partition) = 0;
};

// What the delegates did with one plan, for `attune info` and tests.
struct DelegationReport {
  struct Claimed {
    std::string delegate;
    std::vector<int> nodes;  // node indices, in run order
  };
  struct Refused {
    int node = -1;
    std::string delegate;
    std::string reason;
  };
  std::vector<Claimed> partitions;     // partitions now running on a delegate
  std::vector<Refused> refused;        // steps left on the reference kernels
  std::vector<std::string> fallbacks;  // partitions whose Build failed
};

}  // namespace attune

#endif  // ATTUNE_DELEGATES_DELEGATE_H_
