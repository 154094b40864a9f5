#include "autodiff/gradients.h"

#include "absl/strings/str_cat.h"
#include "autodiff/grad_rule.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

// Walks the forward graph once and emits the backward graph.
class BackwardPass {
 public:
  BackwardPass(ModelBuilder& builder, int loss, absl::Span<const int> sources,
               const GradientReady& ready)
      : b_(builder),
        loss_(loss),
        sources_(sources.begin(), sources.end()),
        ready_(ready),
        forward_(builder.nodes()),
        num_tensors_(builder.num_tensors()) {}

  absl::StatusOr<GradientResult> Run();

 private:
  void MarkActiveNodes();
  absl::Status Contribute(int tensor, int gradient);
  absl::Status Finalize(int tensor);

  ModelBuilder& b_;
  const int loss_;
  const std::vector<int> sources_;
  const GradientReady& ready_;
  const std::vector<Node> forward_;  // copy: the builder's list grows
  const int num_tensors_;

  std::vector<bool> from_source_;    // tensor depends on a source
  std::vector<bool> active_;         // node gets backward ops
  std::vector<int> pending_;         // active consumers still to contribute
  std::vector<std::vector<int>> contributions_;
  std::vector<int> gradient_;        // final gradient per tensor, or -1
  GradientResult result_;
};

void BackwardPass::MarkActiveNodes() {
  const int num_nodes = static_cast<int>(forward_.size());
  from_source_.assign(num_tensors_, false);
  for (int s : sources_) from_source_[s] = true;
  std::vector<bool> node_from_source(num_nodes, false);
  for (int n = 0; n < num_nodes; ++n) {
    for (int t : forward_[n].inputs) {
      if (t != -1 && from_source_[t]) node_from_source[n] = true;
    }
    if (node_from_source[n]) {
      // Integer and bool tensors (shapes, indices, masks of comparisons)
      // carry no gradient, so what is computed from them alone does not
      // depend on the sources differentiably.
      for (int t : forward_[n].outputs) {
        const DType dtype = b_.tensor(t).dtype;
        if (dtype == DType::kFloat32 || dtype == DType::kFloat16) {
          from_source_[t] = true;
        }
      }
    }
  }
  std::vector<bool> reaches_loss(num_tensors_, false);
  reaches_loss[loss_] = true;
  active_.assign(num_nodes, false);
  for (int n = num_nodes - 1; n >= 0; --n) {
    bool feeds_loss = false;
    for (int t : forward_[n].outputs) feeds_loss = feeds_loss || reaches_loss[t];
    if (!feeds_loss) continue;
    for (int t : forward_[n].inputs) {
      if (t != -1) reaches_loss[t] = true;
    }
    active_[n] = node_from_source[n];
  }
  pending_.assign(num_tensors_, 0);
  for (int n = 0; n < num_nodes; ++n) {
    if (!active_[n]) continue;
    for (int t : forward_[n].inputs) {
      if (t != -1 && from_source_[t]) ++pending_[t];
    }
  }
}

absl::Status BackwardPass::Contribute(int tensor, int gradient) {
  if (gradient != -1) contributions_[tensor].push_back(gradient);
  if (--pending_[tensor] == 0) return Finalize(tensor);
  return absl::OkStatus();
}

absl::Status BackwardPass::Finalize(int tensor) {
  const std::vector<int>& parts = contributions_[tensor];
  if (parts.empty()) return absl::OkStatus();
  int sum = parts[0];
  // A copy: each Op1 below may grow the tensor list.
  const std::string name = b_.tensor(tensor).name;
  for (size_t i = 1; i < parts.size(); ++i) {
    sum = b_.Op1(OpCode::kAdd, {sum, parts[i]}, {},
                 absl::StrCat("gradients/", name, "/accumulate_", i));
  }
  gradient_[tensor] = sum;
  result_.gradient_of.emplace_back(tensor, sum);
  for (size_t s = 0; s < sources_.size(); ++s) {
    if (sources_[s] != tensor) continue;
    result_.source_gradients[s] = sum;
    if (ready_) ATTUNE_RETURN_IF_ERROR(ready_(static_cast<int>(s), sum));
  }
  return absl::OkStatus();
}

absl::StatusOr<GradientResult> BackwardPass::Run() {
  if (loss_ < 0 || loss_ >= num_tensors_) {
    return absl::InvalidArgumentError(
        absl::StrCat("gradients: loss tensor ", loss_, " out of range"));
  }
  const TensorInfo& loss_info = b_.tensor(loss_);
  if (loss_info.dtype != DType::kFloat32 || !loss_info.shape.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "gradients: loss \"", loss_info.name, "\" must be a float32 scalar, is ",
        DTypeName(loss_info.dtype), ShapeToString(loss_info.shape)));
  }
  for (int s : sources_) {
    if (s < 0 || s >= num_tensors_) {
      return absl::InvalidArgumentError(
          absl::StrCat("gradients: source tensor ", s, " out of range"));
    }
  }
  result_.source_gradients.assign(sources_.size(), -1);
  contributions_.assign(num_tensors_, {});
  gradient_.assign(num_tensors_, -1);
  MarkActiveNodes();

  // Seed: d loss / d loss = 1, final unless an active node reads the loss.
  contributions_[loss_].push_back(b_.ConstantScalar("gradients/seed", 1.0f));
  ++pending_[loss_];
  ATTUNE_RETURN_IF_ERROR(Contribute(loss_, -1));

  for (int n = static_cast<int>(forward_.size()) - 1; n >= 0; --n) {
    if (!active_[n]) continue;
    const Node& node = forward_[n];
    std::vector<int> dys;
    bool any = false;
    for (int t : node.outputs) {
      if (pending_[t] > 0) {
        return absl::InternalError(absl::StrCat(
            "gradients: ", OpName(node.op), " node #", n,
            " visited before all consumers of its output"));
      }
      dys.push_back(gradient_[t]);
      any = any || gradient_[t] != -1;
    }
    std::vector<int> dxs(node.inputs.size(), -1);
    if (any) {
      const GradRule rule = FindGradRule(node.op);
      if (rule == nullptr) {
        return absl::UnimplementedError(absl::StrCat(
            "gradients: op \"", OpName(node.op), "\" (node #", n, ", output \"",
            b_.tensor(node.outputs[0]).name,
            "\") has no gradient rule; freeze the layers before it or add "
            "a rule in autodiff/rules/"));
      }
      GradContext ctx(b_, node, dys,
                      absl::StrCat("gradients/", b_.tensor(node.outputs[0]).name));
      ATTUNE_RETURN_IF_ERROR(rule(ctx, dxs));
      if (IsBroadcastingOp(node.op)) {
        for (size_t i = 0; i < dxs.size(); ++i) {
          const int x = node.inputs[i];
          if (dxs[i] == -1 || x == -1) continue;
          if (b_.tensor(x).shape != b_.tensor(node.outputs[0]).shape) {
            dxs[i] = ctx.Op1(OpCode::kSumToShape, {dxs[i], ctx.ShapeOf(x)}, {},
                             absl::StrCat("reduce_input_", i));
          }
        }
      }
    }
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const int x = node.inputs[i];
      if (x == -1 || !from_source_[x]) continue;
      ATTUNE_RETURN_IF_ERROR(Contribute(x, dxs[i]));
    }
  }
  return std::move(result_);
}

}  // namespace

absl::StatusOr<GradientResult> AddGradients(ModelBuilder& builder, int loss,
                                            absl::Span<const int> sources,
                                            const GradientReady& ready) {
  BackwardPass pass(builder, loss, sources, ready);
  return pass.Run();
}

absl::Status VerifyGradientShapes(
    const Graph& graph, int subgraph,
    absl::Span<const std::pair<int, int>> gradient_of) {
  const auto& tensors = graph.subgraphs[subgraph].tensors;
  for (const auto& [forward, gradient] : gradient_of) {
    const TensorInfo& f = tensors[forward];
    const TensorInfo& g = tensors[gradient];
    if (f.dtype != g.dtype || f.shape != g.shape) {
      return absl::InvalidArgumentError(absl::StrCat(
          "gradient \"", g.name, "\" is ", DTypeName(g.dtype),
          ShapeToString(g.shape), " but \"", f.name, "\" is ",
          DTypeName(f.dtype), ShapeToString(f.shape)));
    }
  }
  return absl::OkStatus();
}

}  // namespace attune
