#include "delegates/partitioner.h"

#include <algorithm>

#include "engine/op_code.h"

namespace attune {
namespace {

// Constants of at least this many elements count as frozen weights (a
// bias or a scalar does not split a partition).
constexpr int64_t kWeightElements = 1024;

// -1: reads no weight; 0: reads only frozen weights (frozen variables or
// constants of kWeightElements or more); 1: reads a trainable variable.
int WeightClass(const PlanView& view, int step) {
  int result = -1;
  for (int t : view.node(step).inputs) {
    if (t < 0) continue;
    const int v = view.VariableAt(t, step);
    if (v >= 0 && view.variables != nullptr) {
      result = std::max(result, view.variables->info(v).trainable ? 1 : 0);
    } else if (view.tensor(t).is_static &&
               view.tensor(t).num_elements() >= kWeightElements) {
      result = std::max(result, 0);
    }
  }
  return result;
}

bool WritesVariable(OpCode op) {
  return IsStateful(op) && op != OpCode::kReadVariable;
}

struct Run {
  int delegate = -1;
  int weight_class = -1;
  std::vector<int> members;
  std::vector<int> between;    // reference steps after the first member
  std::vector<bool> produced;  // per tensor
};

ProposedPartition Finish(const PlanView& view, Run& run) {
  ProposedPartition p;
  p.delegate = run.delegate;
  p.partition.steps = run.members;
  const int last = run.members.back();
  for (int s : run.between) {
    if (s < last) p.hoisted.push_back(s);
  }
  std::vector<bool> member(view.num_steps(), false);
  for (int s : run.members) member[s] = true;
  std::vector<bool> seen(view.tensors->size(), false);
  for (int s : run.members) {
    for (int t : view.node(s).inputs) {
      if (t < 0 || seen[t] || run.produced[t] || view.tensor(t).is_static) {
        continue;
      }
      seen[t] = true;
      p.partition.inputs.push_back(t);
    }
  }
  std::vector<bool> read_outside(view.tensors->size(), false);
  for (int s = 0; s < view.num_steps(); ++s) {
    if (member[s]) continue;
    for (int t : view.node(s).inputs) {
      if (t >= 0) read_outside[t] = true;
    }
  }
  for (int s : run.members) {
    for (int t : view.node(s).outputs) {
      if (read_outside[t] || view.is_signature_output[t]) {
        p.partition.outputs.push_back(t);
      }
    }
  }
  return p;
}

}  // namespace

std::vector<ProposedPartition> ProposePartitions(
    const PlanView& view, absl::Span<const std::shared_ptr<Delegate>> delegates,
    DelegationReport& report) {
  // 1. Owners.
  const int num_steps = view.num_steps();
  std::vector<int> owner(num_steps, -1);
  for (int s = 0; s < num_steps; ++s) {
    std::vector<DelegationReport::Refused> refusals;
    for (size_t d = 0; d < delegates.size() && owner[s] < 0; ++d) {
      absl::Status status = delegates[d]->Supports(view, s);
      if (status.ok()) {
        owner[s] = static_cast<int>(d);
      } else {
        refusals.push_back({view.step_nodes[s],
                            std::string(delegates[d]->name()),
                            std::string(status.message())});
      }
    }
    if (owner[s] < 0) {
      report.refused.insert(report.refused.end(), refusals.begin(),
                            refusals.end());
    }
  }
  // 2-3. Runs.
  std::vector<ProposedPartition> result;
  Run run;
  auto close = [&]() {
    if (!run.members.empty()) result.push_back(Finish(view, run));
    run = Run();
  };
  for (int s = 0; s < num_steps; ++s) {
    const Node& node = view.node(s);
    if (owner[s] >= 0) {
      const int cls = WeightClass(view, s);
      if (!run.members.empty() &&
          (run.delegate != owner[s] || (cls >= 0 && run.weight_class >= 0 &&
                                        cls != run.weight_class))) {
        close();
      }
      if (run.members.empty()) {
        run.delegate = owner[s];
        run.produced.assign(view.tensors->size(), false);
      }
      if (cls >= 0) run.weight_class = cls;
      run.members.push_back(s);
      for (int t : node.outputs) run.produced[t] = true;
      continue;
    }
    if (run.members.empty()) continue;
    bool hoistable = !WritesVariable(node.op);
    for (int t : node.inputs) {
      if (t >= 0 && run.produced[t]) hoistable = false;
    }
    if (hoistable) {
      run.between.push_back(s);
    } else {
      close();
    }
  }
  close();
  return result;
}

}  // namespace attune
