#ifndef ATTUNE_DELEGATES_PARTITIONER_H_
#define ATTUNE_DELEGATES_PARTITIONER_H_

#include <memory>
#include <vector>

#include "absl/types/span.h"
#include "delegates/delegate.h"

namespace attune {

// A partition one delegate should build, and the reference steps that must
// run before it because they sat between its members in the plan.
struct ProposedPartition {
  int delegate = -1;  // index into the delegate list
  Partition partition;
  std::vector<int> hoisted;  // steps moved ahead of the partition, in order
};

// Groups the steps of `view` into partitions for `delegates` (priority
// order). Steps every delegate refuses are recorded in `report.refused`.
//
// Algorithm:
//  1. Each step goes to the first delegate whose Supports accepts it.
//  2. Steps are scanned in run order. A partition is a run of steps owned by
//     one delegate; a reference step inside the run that reads nothing the
//     run produced and writes no variable is hoisted ahead of the partition
//     (so the partition stays one step and the order stays valid); any other
//     reference step ends the run.
//  3. A run also ends where steps that read trainable variables meet steps
//     that read only frozen weights: frozen variables or constants of 1024
//     elements or more (steps that read only activations and small
//     constants join either), so that a weight update re-packs only the
//     partition that reads it, not a frozen (e.g. imported) backbone.
//  4. Inputs: non-static tensors the members read and do not produce;
//     outputs: member results read by any other step or by the signature.
std::vector<ProposedPartition> ProposePartitions(
    const PlanView& view, absl::Span<const std::shared_ptr<Delegate>> delegates,
    DelegationReport& report);

}  // namespace attune

#endif  // ATTUNE_DELEGATES_PARTITIONER_H_
