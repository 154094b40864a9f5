#ifndef ATTUNE_ENGINE_VALIDATOR_H_
#define ATTUNE_ENGINE_VALIDATOR_H_

#include "absl/status/status.h"
#include "engine/graph.h"

namespace attune {

// Semantic validation of a graph, independent of any kernel:
//  1. every buffer, tensor, subgraph and variable index is in range;
//  2. shapes have rank <= kMaxRank, dims >= -1, element counts (with dynamic
//     dims taken as 1) within kMaxTensorElements, so byte counts cannot
//     overflow; constant tensors are fully defined and match their buffer;
//  3. every node has a known op code and the arity of its OpInfo;
//  4. every tensor is produced by at most one node, never a constant, and
//     nodes are in topological order (a node reads only tensors produced by
//     earlier nodes, constants, or graph inputs), so the graph is acyclic;
//  5. signatures have unique keys and unique input/output names, their
//     inputs are neither constants nor produced by nodes.
// Returns InvalidArgument naming the offending entity; dtype rules of each op
// are checked by its kernel's shape rule when a plan is prepared.
absl::Status ValidateGraph(const Graph& graph);

}  // namespace attune

#endif  // ATTUNE_ENGINE_VALIDATOR_H_
