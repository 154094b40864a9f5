#include "signatures/execution_plan.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "delegates/partitioner.h"
#include "engine/kernels/registry.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

// Nodes whose outputs are all known at prepare time are folded only when
// their outputs are at most this large (shape arithmetic, small constants).
constexpr size_t kMaxFoldBytes = 64 * 1024;

size_t AlignUp64(size_t n) { return (n + 63) / 64 * 64; }

uint8_t* AllocateAligned(size_t bytes) {
  return static_cast<uint8_t*>(
      std::aligned_alloc(64, AlignUp64(std::max<size_t>(bytes, 1))));
}

}  // namespace

struct ExecutionPlan::Step {
  alignas(64) uint8_t op_data[NodeContext::kOpDataBytes] = {};
  int node = 0;
  const KernelRegistration* kernel = nullptr;
  std::vector<Tensor*> inputs;
  std::vector<Tensor*> outputs;
  std::vector<size_t> scratch_sizes;
  std::vector<void*> scratch;
  // Tensors the step reads and writes (arena lifetimes).
  std::vector<int> input_ids;
  std::vector<int> output_ids;
  // Set for a delegated partition (then `kernel` is nullptr and `node` is
  // the partition's first node).
  std::unique_ptr<DelegateKernel> delegate;
  std::string delegate_name;
};

ExecutionPlan::ExecutionPlan(std::shared_ptr<const Model> model,
                             int signature_index, const PlanOptions& options)
    : model_(std::move(model)),
      graph_(&model_->graph()),
      signature_(&graph_->signatures[signature_index]),
      subgraph_(&graph_->subgraphs[signature_->subgraph]),
      options_(options) {}

ExecutionPlan::~ExecutionPlan() { std::free(arena_); }

absl::StatusOr<std::unique_ptr<ExecutionPlan>> ExecutionPlan::Create(
    std::shared_ptr<const Model> model, int signature_index,
    const PlanOptions& options) {
  if (model == nullptr || signature_index < 0 ||
      signature_index >= static_cast<int>(model->graph().signatures.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("no signature #", signature_index));
  }
  std::unique_ptr<ExecutionPlan> plan(
      new ExecutionPlan(std::move(model), signature_index, options));
  const Subgraph& subgraph = *plan->subgraph_;
  plan->tensors_.resize(subgraph.tensors.size());
  for (const SignatureIo& io : plan->signature_->inputs) {
    Shape shape = subgraph.tensors[io.tensor].shape;
    for (int64_t& d : shape) {
      if (d < 0) d = 1;
    }
    plan->input_shapes_.push_back(std::move(shape));
  }
  plan->descriptions_.reserve(subgraph.nodes.size());
  for (size_t n = 0; n < subgraph.nodes.size(); ++n) {
    plan->descriptions_.push_back(absl::StrCat(OpName(subgraph.nodes[n].op),
                                               " node #", n, " (signature \"",
                                               plan->signature_->key, "\")"));
  }
  ATTUNE_RETURN_IF_ERROR(plan->Prepare());
  return plan;
}

absl::Status ExecutionPlan::ResizeInput(int index,
                                        absl::Span<const int64_t> shape) {
  if (index < 0 || index >= static_cast<int>(signature_->inputs.size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "signature \"", signature_->key, "\" has no input #", index));
  }
  const SignatureIo& io = signature_->inputs[index];
  const Shape& declared = subgraph_->tensors[io.tensor].shape;
  bool compatible = declared.size() == shape.size();
  for (size_t d = 0; compatible && d < shape.size(); ++d) {
    compatible =
        shape[d] >= 0 && (declared[d] == -1 || declared[d] == shape[d]);
  }
  if (!compatible) {
    return absl::InvalidArgumentError(absl::StrCat(
        "signature \"", signature_->key, "\" input \"", io.name, "\": shape ",
        ShapeToString(shape), " does not match declared shape ",
        ShapeToString(declared), " (only -1 dims may change)"));
  }
  ATTUNE_RETURN_IF_ERROR(CheckedNumElements(shape).status());
  if (!std::equal(shape.begin(), shape.end(), input_shapes_[index].begin(),
                  input_shapes_[index].end())) {
    input_shapes_[index] = Shape(shape.begin(), shape.end());
    prepared_ = false;
    allocated_ = false;
  }
  return absl::OkStatus();
}

absl::Status ExecutionPlan::Prepare() {
  prepared_ = false;
  allocated_ = false;
  steps_.clear();
  static_values_.clear();
  static_bytes_ = 0;
  num_folded_ = 0;
  num_aliased_reads_ = 0;
  delegation_ = DelegationReport();

  // 1. Tensors: constants point into the model; inputs take their shapes.
  std::vector<bool> defined(tensors_.size(), false);
  aliased_.assign(tensors_.size(), false);
  for (size_t t = 0; t < tensors_.size(); ++t) {
    const TensorInfo& info = subgraph_->tensors[t];
    Tensor& tensor = tensors_[t];
    tensor = Tensor();
    tensor.dtype = info.dtype;
    tensor.name = &info.name;
    tensor.quantization =
        info.quantization.has_value() ? &*info.quantization : nullptr;
    if (info.buffer != -1) {
      const ConstantBuffer& buffer = graph_->buffers[info.buffer];
      tensor.shape = info.shape;
      tensor.data = const_cast<uint8_t*>(buffer.data);
      tensor.bytes = buffer.size;
      tensor.is_static = true;
      defined[t] = true;
    }
  }
  for (size_t i = 0; i < signature_->inputs.size(); ++i) {
    Tensor& tensor = tensors_[signature_->inputs[i].tensor];
    tensor.shape = input_shapes_[i];
    tensor.bytes = NumElements(tensor.shape) * DTypeSize(tensor.dtype);
    defined[signature_->inputs[i].tensor] = true;
  }

  // 2. Only nodes that feed a signature output, and stateful nodes (variable
  //    writes, optimizer updates), belong to this signature.
  const int num_nodes = static_cast<int>(subgraph_->nodes.size());
  std::vector<bool> wanted(tensors_.size(), false);
  for (const SignatureIo& io : signature_->outputs) wanted[io.tensor] = true;
  std::vector<bool> needed(num_nodes, false);
  for (int n = num_nodes - 1; n >= 0; --n) {
    const Node& node = subgraph_->nodes[n];
    bool need = IsStateful(node.op);
    for (int t : node.outputs) need = need || wanted[t];
    if (!need) continue;
    needed[n] = true;
    for (int t : node.inputs) {
      if (t != -1) wanted[t] = true;
    }
  }

  // 3. Shape rules in node order; fold what is known now.
  std::vector<size_t> scratch;
  for (int n = 0; n < num_nodes; ++n) {
    if (!needed[n]) continue;
    const Node& node = subgraph_->nodes[n];
    for (int t : node.inputs) {
      if (t != -1 && !defined[t]) {
        return absl::InvalidArgumentError(absl::StrCat(
            descriptions_[n], ": reads tensor #", t, " \"",
            subgraph_->tensors[t].name,
            "\", which is neither a constant, a signature input nor computed "
            "by an earlier node"));
      }
    }
    scratch.clear();
    ATTUNE_RETURN_IF_ERROR(PrepareNode(n, scratch));
    for (int t : node.outputs) defined[t] = true;
  }

  // 4. Signature outputs must be defined.
  for (const SignatureIo& io : signature_->outputs) {
    if (!defined[io.tensor]) {
      return absl::InvalidArgumentError(
          absl::StrCat("signature \"", signature_->key, "\" output \"", io.name,
                       "\" is never computed"));
    }
  }
  AliasVariableReads();
  ApplyDelegates();
  PlanMemory();
  prepared_ = true;
  return absl::OkStatus();
}

absl::Status ExecutionPlan::PrepareNode(int n, std::vector<size_t>& scratch) {
  const Node& node = subgraph_->nodes[n];
  const KernelRegistration* kernel = FindKernel(node.op);
  if (kernel == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat(descriptions_[n], ": op \"", OpName(node.op),
                     "\" has no kernel in this build"));
  }
  Step step;
  step.node = n;
  step.kernel = kernel;
  for (int t : node.inputs) {
    step.inputs.push_back(t == -1 ? nullptr : &tensors_[t]);
  }
  for (int t : node.outputs) step.outputs.push_back(&tensors_[t]);
  for (int t : node.inputs) {
    if (t != -1) step.input_ids.push_back(t);
  }
  step.output_ids = node.outputs;

  NodeContext::Bindings bindings{node.op,
                                 &node.attrs,
                                 step.inputs.data(),
                                 static_cast<int>(step.inputs.size()),
                                 step.outputs.data(),
                                 static_cast<int>(step.outputs.size()),
                                 nullptr,
                                 0,
                                 options_.thread_pool,
                                 step.op_data,
                                 options_.variables,
                                 &descriptions_[n]};
  NodeContext ctx(bindings, &scratch);
  ATTUNE_RETURN_IF_ERROR(kernel->prepare(ctx));

  // The kernel's result must agree with the declared dtype and static dims.
  bool foldable = true;
  size_t output_bytes = 0;
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    const TensorInfo& declared = subgraph_->tensors[node.outputs[i]];
    const Tensor& actual = tensors_[node.outputs[i]];
    bool shape_ok =
        declared.shape.empty() || declared.shape.size() == actual.shape.size();
    for (size_t d = 0;
         shape_ok && !declared.shape.empty() && d < declared.shape.size();
         ++d) {
      shape_ok =
          declared.shape[d] == -1 || declared.shape[d] == actual.shape[d];
    }
    // Scalars may be declared with an empty shape; only check ranked decls.
    if (options_.check_declared &&
        (declared.dtype != actual.dtype || !shape_ok)) {
      return absl::InvalidArgumentError(
          absl::StrCat(descriptions_[n], ": output ", i, " \"", declared.name,
                       "\" is declared ", DTypeName(declared.dtype),
                       ShapeToString(declared.shape), " but computes to ",
                       DTypeName(actual.dtype), ShapeToString(actual.shape)));
    }
    output_bytes += actual.bytes;
  }
  for (const Tensor* in : step.inputs) {
    if (in != nullptr && !in->is_static) foldable = false;
  }
  if (node.op == OpCode::kShape) foldable = true;  // needs shapes only
  if (IsStateful(node.op)) foldable = false;       // runs at every Invoke
  if (foldable && output_bytes <= kMaxFoldBytes) {
    return FoldNode(n, scratch, step.op_data);
  }
  step.scratch_sizes = scratch;
  steps_.push_back(std::move(step));
  return absl::OkStatus();
}

absl::Status ExecutionPlan::FoldNode(int n, absl::Span<const size_t> scratch,
                                     void* op_data) {
  const Node& node = subgraph_->nodes[n];
  std::vector<Tensor*> inputs, outputs;
  for (int t : node.inputs) inputs.push_back(t == -1 ? nullptr : &tensors_[t]);
  for (int t : node.outputs) {
    Tensor& out = tensors_[t];
    static_values_.emplace_back(AllocateAligned(out.bytes), std::free);
    out.data = static_values_.back().get();
    out.is_static = true;
    static_bytes_ += out.bytes;
    outputs.push_back(&out);
  }
  std::vector<std::unique_ptr<uint8_t, void (*)(void*)>> scratch_storage;
  std::vector<void*> scratch_ptrs;
  for (size_t bytes : scratch) {
    scratch_storage.emplace_back(AllocateAligned(bytes), std::free);
    scratch_ptrs.push_back(scratch_storage.back().get());
  }
  NodeContext::Bindings bindings{node.op,
                                 &node.attrs,
                                 inputs.data(),
                                 static_cast<int>(inputs.size()),
                                 outputs.data(),
                                 static_cast<int>(outputs.size()),
                                 scratch_ptrs.data(),
                                 static_cast<int>(scratch_ptrs.size()),
                                 options_.thread_pool,
                                 op_data,
                                 options_.variables,
                                 &descriptions_[n]};
  NodeContext ctx(bindings, nullptr);
  ++num_folded_;
  return FindKernel(node.op)->eval(ctx);
}

void ExecutionPlan::AliasVariableReads() {
  // 1. Last step reading each tensor; signature outputs are never aliased
  //    (a later signature could change them under the caller).
  const int num_steps = static_cast<int>(steps_.size());
  std::vector<int> last_read(tensors_.size(), -1);
  for (int s = 0; s < num_steps; ++s) {
    for (int t : subgraph_->nodes[steps_[s].node].inputs) {
      if (t != -1) last_read[t] = s;
    }
  }
  for (const SignatureIo& io : signature_->outputs) last_read[io.tensor] = -2;
  // 2. A read is aliased when no assign to its variable runs while its
  //    output is live.
  std::vector<bool> alias(num_steps, false);
  for (int s = 0; s < num_steps; ++s) {
    const Node& node = subgraph_->nodes[steps_[s].node];
    if (node.op != OpCode::kReadVariable || last_read[node.outputs[0]] == -2) {
      continue;
    }
    const int64_t variable = node.attrs.GetIntOr("variable", -1).value_or(-1);
    bool written = false;
    for (int later = s + 1; later <= last_read[node.outputs[0]]; ++later) {
      const Node& other = subgraph_->nodes[steps_[later].node];
      if (IsStateful(other.op) && other.op != OpCode::kReadVariable &&
          other.attrs.GetIntOr("variable", -1).value_or(-1) == variable) {
        written = true;
        break;
      }
    }
    alias[s] = !written;
  }
  // 3. Aliased outputs point at the variable; their steps are dropped.
  int kept = 0;
  for (int s = 0; s < num_steps; ++s) {
    if (!alias[s]) {
      if (kept != s) steps_[kept] = std::move(steps_[s]);
      ++kept;
      continue;
    }
    const Node& node = subgraph_->nodes[steps_[s].node];
    const int64_t variable = node.attrs.GetIntOr("variable", -1).value_or(-1);
    Tensor& out = tensors_[node.outputs[0]];
    out.data = options_.variables->tensor(static_cast<int>(variable)).data;
    aliased_[node.outputs[0]] = true;
    ++num_aliased_reads_;
  }
  steps_.resize(kept);
}

void ExecutionPlan::PlanMemory() {
  requests_.clear();
  request_tensor_.clear();
  request_step_.clear();
  const int num_steps = static_cast<int>(steps_.size());
  // Tensor index -> request index.
  std::vector<int> request_of(tensors_.size(), -1);
  auto touch = [&](int t, int step) {
    if (tensors_[t].is_static || aliased_[t]) return;
    if (request_of[t] == -1) {
      request_of[t] = static_cast<int>(requests_.size());
      requests_.push_back({tensors_[t].bytes, step, step});
      request_tensor_.push_back(t);
      request_step_.push_back(-1);
    }
    BufferRequest& r = requests_[request_of[t]];
    r.first_use = std::min(r.first_use, step);
    r.last_use = std::max(r.last_use, step);
  };
  // Inputs are written before step 0 and stay intact through the last step,
  // so Invoke can be repeated on the same inputs; outputs are read after it.
  for (const SignatureIo& io : signature_->inputs) {
    touch(io.tensor, 0);
    touch(io.tensor, std::max(num_steps - 1, 0));
  }
  for (int s = 0; s < num_steps; ++s) {
    for (int t : steps_[s].input_ids) touch(t, s);
    for (int t : steps_[s].output_ids) touch(t, s);
    for (size_t bytes : steps_[s].scratch_sizes) {
      requests_.push_back({bytes, s, s});
      request_tensor_.push_back(-1);
      request_step_.push_back(s);
    }
  }
  for (const SignatureIo& io : signature_->outputs) {
    touch(io.tensor, std::max(num_steps - 1, 0));
    // Static (folded or constant) and aliased outputs need no arena space.
    if (request_of[io.tensor] != -1) {
      requests_[request_of[io.tensor]].last_use = num_steps;
    }
  }
  arena_plan_ = PlanArena(requests_);
}

absl::Status ExecutionPlan::Reshape() {
  return prepared_ ? absl::OkStatus() : Prepare();
}

absl::Status ExecutionPlan::AllocateTensors() {
  ATTUNE_RETURN_IF_ERROR(Reshape());
  for (const SignatureIo& io : signature_->inputs) {
    const Tensor& tensor = tensors_[io.tensor];
    if (tensor.dtype == DType::kString &&
        tensor.num_elements() > kMaxStringInputElements) {
      return absl::ResourceExhaustedError(
          absl::StrCat("signature \"", signature_->key, "\" input \"", io.name,
                       "\": ", tensor.num_elements(), " strings (shape ",
                       ShapeToString(tensor.shape), ") exceed the limit of ",
                       kMaxStringInputElements));
    }
  }
  if (arena_plan_.arena_bytes > arena_capacity_) {
    std::free(arena_);
    arena_ = AllocateAligned(arena_plan_.arena_bytes);
    if (arena_ == nullptr) {
      arena_capacity_ = 0;
      return absl::ResourceExhaustedError(absl::StrCat(
          "signature \"", signature_->key, "\": cannot allocate a ",
          arena_plan_.arena_bytes, "-byte arena"));
    }
    arena_capacity_ = arena_plan_.arena_bytes;
  }
  for (Step& step : steps_) step.scratch.clear();
  for (size_t r = 0; r < requests_.size(); ++r) {
    uint8_t* data = arena_ + arena_plan_.offsets[r];
    if (request_tensor_[r] >= 0) {
      tensors_[request_tensor_[r]].data = data;
    } else {
      steps_[request_step_[r]].scratch.push_back(data);
    }
  }
  input_strings_.resize(signature_->inputs.size());
  for (size_t i = 0; i < signature_->inputs.size(); ++i) {
    Tensor& tensor = tensors_[signature_->inputs[i].tensor];
    if (tensor.dtype != DType::kString) continue;
    input_strings_[i].resize(static_cast<size_t>(tensor.num_elements()));
    tensor.data = input_strings_[i].data();
  }
  for (Step& step : steps_) {
    if (step.delegate != nullptr) {
      ATTUNE_RETURN_IF_ERROR(step.delegate->Setup());
    }
  }
  allocated_ = true;
  return absl::OkStatus();
}

absl::Status ExecutionPlan::Invoke() {
  if (!allocated_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "signature \"", signature_->key,
        "\": call AllocateTensors before Invoke (and after ResizeInput)"));
  }
  for (Step& step : steps_) {
    if (step.delegate != nullptr) {
      ATTUNE_RETURN_IF_ERROR(step.delegate->Invoke());
      continue;
    }
    const Node& node = subgraph_->nodes[step.node];
    NodeContext::Bindings bindings{node.op,
                                   &node.attrs,
                                   step.inputs.data(),
                                   static_cast<int>(step.inputs.size()),
                                   step.outputs.data(),
                                   static_cast<int>(step.outputs.size()),
                                   step.scratch.data(),
                                   static_cast<int>(step.scratch.size()),
                                   options_.thread_pool,
                                   step.op_data,
                                   options_.variables,
                                   &descriptions_[step.node]};
    NodeContext ctx(bindings, nullptr);
    ATTUNE_RETURN_IF_ERROR(step.kernel->eval(ctx));
  }
  return absl::OkStatus();
}

int ExecutionPlan::num_steps() const { return static_cast<int>(steps_.size()); }

OpCode ExecutionPlan::step_op(int step) const {
  return subgraph_->nodes[steps_[step].node].op;
}

absl::string_view ExecutionPlan::step_delegate(int step) const {
  return steps_[step].delegate_name;
}

DelegateKernelStats ExecutionPlan::delegate_stats() const {
  DelegateKernelStats total;
  for (const Step& step : steps_) {
    if (step.delegate == nullptr) continue;
    const DelegateKernelStats s = step.delegate->stats();
    total.invokes += s.invokes;
    total.repacks += s.repacks;
    total.repack_seconds += s.repack_seconds;
  }
  return total;
}

DelegateKernelStats ExecutionPlan::step_delegate_stats(int step) const {
  const Step& s = steps_[step];
  return s.delegate == nullptr ? DelegateKernelStats() : s.delegate->stats();
}

PlanView ExecutionPlan::MakePlanView() const {
  PlanView view;
  view.subgraph = subgraph_;
  view.tensors = &tensors_;
  const int num_steps = static_cast<int>(steps_.size());
  for (const Step& step : steps_) view.step_nodes.push_back(step.node);
  view.variable_of.assign(tensors_.size(), -1);
  view.variable_valid_until.assign(tensors_.size(), num_steps);
  view.is_signature_output.assign(tensors_.size(), false);
  for (const SignatureIo& io : signature_->outputs) {
    view.is_signature_output[io.tensor] = true;
  }
  auto variable_of = [](const Node& node) {
    return static_cast<int>(node.attrs.GetIntOr("variable", -1).value_or(-1));
  };
  // Aliased reads are valid while their output lives; a read that runs as a
  // step is valid until the next write to its variable.
  for (const Node& node : subgraph_->nodes) {
    if (node.op == OpCode::kReadVariable && aliased_[node.outputs[0]]) {
      view.variable_of[node.outputs[0]] = variable_of(node);
    }
  }
  for (int s = 0; s < num_steps; ++s) {
    const Node& node = subgraph_->nodes[steps_[s].node];
    if (node.op != OpCode::kReadVariable) continue;
    const int t = node.outputs[0];
    view.variable_of[t] = variable_of(node);
    for (int later = s + 1; later < num_steps; ++later) {
      const Node& other = subgraph_->nodes[steps_[later].node];
      if (IsStateful(other.op) && other.op != OpCode::kReadVariable &&
          variable_of(other) == view.variable_of[t]) {
        view.variable_valid_until[t] = later;
        break;
      }
    }
  }
  view.variables = options_.variables;
  view.thread_pool = options_.thread_pool;
  view.signature_key = &signature_->key;
  return view;
}

void ExecutionPlan::ApplyDelegates() {
  if (options_.delegates.empty() || steps_.empty()) return;
  const PlanView view = MakePlanView();
  std::vector<ProposedPartition> proposals =
      ProposePartitions(view, options_.delegates, delegation_);
  // 1. Build each partition; a failure leaves its steps as they are.
  const int num_steps = static_cast<int>(steps_.size());
  std::vector<int> part_of(num_steps, -1);
  std::vector<std::unique_ptr<DelegateKernel>> kernels(proposals.size());
  for (size_t p = 0; p < proposals.size(); ++p) {
    const ProposedPartition& proposal = proposals[p];
    Delegate& delegate = *options_.delegates[proposal.delegate];
    std::vector<int> nodes;
    for (int s : proposal.partition.steps) nodes.push_back(steps_[s].node);
    absl::StatusOr<std::unique_ptr<DelegateKernel>> kernel =
        delegate.Build(view, proposal.partition);
    if (!kernel.ok()) {
      delegation_.fallbacks.push_back(absl::StrCat(
          delegate.name(), " partition of nodes #", absl::StrJoin(nodes, ",#"),
          " (signature \"", signature_->key,
          "\") runs on the reference kernels: ", kernel.status().message()));
      continue;
    }
    kernels[p] = *std::move(kernel);
    delegation_.partitions.push_back({std::string(delegate.name()), nodes});
    for (int s : proposal.partition.steps) part_of[s] = static_cast<int>(p);
    for (int s : proposal.hoisted) part_of[s] = static_cast<int>(p);
  }
  // 2. New order: each built partition at its first member, preceded by the
  //    reference steps hoisted out of it.
  std::vector<Step> steps;
  for (int s = 0; s < num_steps; ++s) {
    const int p = part_of[s];
    if (p < 0) {
      steps.push_back(std::move(steps_[s]));
      continue;
    }
    if (kernels[p] == nullptr) continue;  // already emitted
    const ProposedPartition& proposal = proposals[p];
    for (int h : proposal.hoisted) steps.push_back(std::move(steps_[h]));
    Step step;
    step.node = steps_[proposal.partition.steps.front()].node;
    step.input_ids = proposal.partition.inputs;
    step.output_ids = proposal.partition.outputs;
    step.delegate = std::move(kernels[p]);
    step.delegate_name =
        std::string(options_.delegates[proposal.delegate]->name());
    steps.push_back(std::move(step));
  }
  steps_ = std::move(steps);
}

std::string ExecutionPlan::ArenaDebugString(int width) const {
  return DebugString(requests_, arena_plan_, width);
}

}  // namespace attune
