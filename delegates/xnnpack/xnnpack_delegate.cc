#include "delegates/xnnpack/xnnpack_delegate.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "delegates/xnnpack/xnnpack_ops.h"
#include "engine/status_macros.h"
#include "xnnpack.h"

namespace attune {
namespace {

absl::Status XnnStatus(xnn_status status, absl::string_view what) {
  if (status == xnn_status_success) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("xnnpack: ", what, " failed (status ",
                                          static_cast<int>(status), ")"));
}

// One partition as an XNNPACK runtime.
//
// Static operands (constants, folded values) and variables are defined as
// static XNNPACK values, so XNNPACK packs weights when the runtime is
// created; the runtime is created again (Repack) when a variable the
// partition reads has a new version. Conv filters are first rearranged into
// buffers this kernel owns. The partition's inputs and outputs are external
// values bound to the plan's arena in Setup.
class XnnpackKernel final : public DelegateKernel, private xnn::ValueDefiner {
 public:
  static absl::StatusOr<std::unique_ptr<DelegateKernel>> Create(
      const PlanView& view, const Partition& partition) {
    std::unique_ptr<XnnpackKernel> k(new XnnpackKernel());
    k->tensors_ = view.tensors;
    k->variables_ = view.variables;
    k->pool_ = view.thread_pool;
    const int last = partition.steps.back();
    for (int s : partition.steps) {
      const Node& node = view.node(s);
      k->nodes_.push_back(&node);
      for (int t : node.inputs) {
        const int var = view.VariableAt(t, last);
        if (var >= 0 && !view.tensor(t).is_static) {
          k->variable_of_[t] = var;
          bool known = false;
          for (const auto& [v, version] : k->packed_) known |= v == var;
          if (!known) k->packed_.push_back({var, 0});
        }
      }
    }
    for (int t : partition.inputs) {
      if (!k->variable_of_.contains(t)) k->externals_.push_back(t);
    }
    k->num_inputs_ = k->externals_.size();
    for (int t : partition.outputs) k->externals_.push_back(t);
    k->bindings_.resize(k->externals_.size());
    ATTUNE_RETURN_IF_ERROR(k->Pack());
    return std::unique_ptr<DelegateKernel>(std::move(k));
  }

  ~XnnpackKernel() override {
    if (runtime_ != nullptr) xnn_delete_runtime(runtime_);
  }

  absl::Status Setup() override {
    for (size_t i = 0; i < externals_.size(); ++i) {
      bindings_[i] = {static_cast<uint32_t>(i),
                      (*tensors_)[externals_[i]].data};
    }
    setup_ = false;
    ATTUNE_RETURN_IF_ERROR(XnnStatus(
        xnn_setup_runtime(runtime_, bindings_.size(), bindings_.data()),
        "xnn_setup_runtime"));
    setup_ = true;
    return absl::OkStatus();
  }

  absl::Status Invoke() override {
    if (!setup_) {
      return absl::FailedPreconditionError(
          "xnnpack partition: Invoke before Setup");
    }
    bool stale = false;
    for (const auto& [v, version] : packed_) {
      stale |= variables_->version(v) != version;
    }
    if (stale) {
      const auto start = std::chrono::steady_clock::now();
      ATTUNE_RETURN_IF_ERROR(Pack());
      ATTUNE_RETURN_IF_ERROR(Setup());
      stats_.repacks++;
      stats_.repack_seconds += std::chrono::duration<double>(
                                   std::chrono::steady_clock::now() - start)
                                   .count();
    }
    stats_.invokes++;
    return XnnStatus(xnn_invoke_runtime(runtime_), "xnn_invoke_runtime");
  }

  DelegateKernelStats stats() const override { return stats_; }

 private:
  XnnpackKernel() = default;

  // Defines the subgraph from the current weights and creates the runtime.
  absl::Status Pack() {
    for (auto& [v, version] : packed_) version = variables_->version(v);
    xnn_subgraph_t subgraph = nullptr;
    ATTUNE_RETURN_IF_ERROR(
        XnnStatus(xnn_create_subgraph(static_cast<uint32_t>(externals_.size()),
                                      0, &subgraph),
                  "xnn_create_subgraph"));
    subgraph_ = subgraph;
    ids_.clear();
    packed_buffers_used_ = 0;
    absl::Status status;
    for (const Node* node : nodes_) {
      status = xnn::DefineOp(*node, *this);
      if (!status.ok()) break;
    }
    xnn_runtime_t runtime = nullptr;
    if (status.ok()) {
      status = XnnStatus(xnn_create_runtime_v2(subgraph, pool_, 0, &runtime),
                         "xnn_create_runtime_v2");
    }
    xnn_delete_subgraph(subgraph);
    subgraph_ = nullptr;
    ATTUNE_RETURN_IF_ERROR(status);
    if (runtime_ != nullptr) xnn_delete_runtime(runtime_);
    runtime_ = runtime;
    setup_ = false;
    return absl::OkStatus();
  }

  const void* DataOf(int t) const {
    auto it = variable_of_.find(t);
    if (it != variable_of_.end()) return variables_->tensor(it->second).data;
    return (*tensors_)[t].data;  // static
  }

  // xnn::ValueDefiner
  xnn_subgraph_t subgraph() override { return subgraph_; }
  const Tensor& tensor(int t) const override { return (*tensors_)[t]; }

  absl::StatusOr<uint32_t> Value(int t) override {
    if (auto it = ids_.find(t); it != ids_.end()) return it->second;
    const Tensor& tensor = (*tensors_)[t];
    const std::vector<size_t> dims(tensor.shape.begin(), tensor.shape.end());
    uint32_t external_id = XNN_INVALID_VALUE_ID;
    uint32_t flags = 0;
    for (size_t i = 0; i < externals_.size(); ++i) {
      if (externals_[i] != t) continue;
      external_id = static_cast<uint32_t>(i);
      flags = i < num_inputs_ ? XNN_VALUE_FLAG_EXTERNAL_INPUT
                              : XNN_VALUE_FLAG_EXTERNAL_OUTPUT;
    }
    const void* data = nullptr;
    if (external_id == XNN_INVALID_VALUE_ID &&
        (tensor.is_static || variable_of_.contains(t))) {
      data = DataOf(t);
    }
    uint32_t id = XNN_INVALID_VALUE_ID;
    ATTUNE_RETURN_IF_ERROR(XnnStatus(
        xnn_define_tensor_value(subgraph_, xnn_datatype_fp32, dims.size(),
                                dims.data(), data, external_id, flags, &id),
        absl::StrCat("defining tensor \"", *tensor.name, "\"")));
    ids_[t] = id;
    return id;
  }

  absl::StatusOr<uint32_t> PackedValue(int t, const std::vector<size_t>& dims,
                                       PackFn pack) override {
    const Tensor& source = (*tensors_)[t];
    if (packed_buffers_used_ == packed_buffers_.size()) {
      packed_buffers_.emplace_back();
    }
    std::vector<float>& buffer = packed_buffers_[packed_buffers_used_++];
    buffer.resize(static_cast<size_t>(source.num_elements()));
    pack(source, static_cast<const float*>(DataOf(t)), buffer.data());
    uint32_t id = XNN_INVALID_VALUE_ID;
    ATTUNE_RETURN_IF_ERROR(XnnStatus(
        xnn_define_tensor_value(subgraph_, xnn_datatype_fp32, dims.size(),
                                dims.data(), buffer.data(),
                                XNN_INVALID_VALUE_ID, 0, &id),
        absl::StrCat("defining packed tensor \"", *source.name, "\"")));
    return id;
  }

  absl::StatusOr<uint32_t> InternalValue(
      const std::vector<size_t>& dims) override {
    uint32_t id = XNN_INVALID_VALUE_ID;
    ATTUNE_RETURN_IF_ERROR(
        XnnStatus(xnn_define_tensor_value(subgraph_, xnn_datatype_fp32,
                                          dims.size(), dims.data(), nullptr,
                                          XNN_INVALID_VALUE_ID, 0, &id),
                  "defining an internal value"));
    return id;
  }

  const std::vector<Tensor>* tensors_ = nullptr;
  VariableStore* variables_ = nullptr;
  pthreadpool_t pool_ = nullptr;
  std::vector<const Node*> nodes_;
  absl::flat_hash_map<int, int> variable_of_;     // tensor -> variable
  std::vector<std::pair<int, uint64_t>> packed_;  // variable, packed version
  std::vector<int> externals_;  // external id -> tensor (inputs first)
  size_t num_inputs_ = 0;
  std::vector<xnn_external_value> bindings_;
  // Rearranged filters; buffers stay at their address while a runtime that
  // was created from them lives (re-filled in the same order on Pack).
  std::vector<std::vector<float>> packed_buffers_;
  size_t packed_buffers_used_ = 0;
  absl::flat_hash_map<int, uint32_t> ids_;  // tensor -> value, during Pack
  xnn_subgraph_t subgraph_ = nullptr;       // during Pack only
  xnn_runtime_t runtime_ = nullptr;
  bool setup_ = false;
  DelegateKernelStats stats_;
};

class XnnpackDelegate final : public Delegate {
 public:
  absl::string_view name() const override { return "xnnpack"; }

  absl::Status Supports(const PlanView& view, int step) const override {
    return xnn::CheckOp(view, step);
  }

  absl::StatusOr<std::unique_ptr<DelegateKernel>> Build(
      const PlanView& view, const Partition& partition) override {
    return XnnpackKernel::Create(view, partition);
  }
};

}  // namespace

absl::StatusOr<std::shared_ptr<Delegate>> CreateXnnpackDelegate() {
  const xnn_status status = xnn_initialize(nullptr);
  if (status == xnn_status_unsupported_hardware) {
    return absl::UnavailableError(
        "xnnpack: this CPU lacks the instructions XNNPACK needs");
  }
  ATTUNE_RETURN_IF_ERROR(XnnStatus(status, "xnn_initialize"));
  return std::shared_ptr<Delegate>(new XnnpackDelegate());
}

}  // namespace attune
