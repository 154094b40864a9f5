#include "delegates/gpu/gpu_delegate.h"

#include <array>
#include <chrono>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "delegates/gpu/cl_runtime.h"
#include "delegates/gpu/gpu_ops.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

using gpu::ClCheck;
using gpu::ClKernel;
using gpu::ClMem;
using gpu::ClRuntime;
using gpu::KernelArg;
using gpu::Launch;

size_t FloatBytes(const Tensor& t) {
  return static_cast<size_t>(t.num_elements()) * sizeof(float);
}

// One partition as OpenCL buffers and kernels.
//
// Build (Create) lowers every node to kernel launches, gives each tensor
// the launches touch a device buffer (reshape-like nodes alias their input's
// buffer; intermediates reuse the buffers of intermediates whose last launch
// has passed, which the in-order queue makes safe), uploads static and
// variable-backed operands, and creates one
// cl_kernel per launch with its arguments set once. Invoke copies the
// partition's inputs to the device, re-uploads variables whose version
// moved, enqueues the launches and reads the outputs back, then waits.
class GpuKernel final : public DelegateKernel {
 public:
  static absl::StatusOr<std::unique_ptr<DelegateKernel>> Create(
      std::shared_ptr<ClRuntime> rt, cl_program program, const PlanView& view,
      const Partition& partition) {
    std::unique_ptr<GpuKernel> k(new GpuKernel());
    k->rt_ = std::move(rt);
    k->tensors_ = view.tensors;
    k->variables_ = view.variables;
    const int last = partition.steps.back();
    std::vector<Launch> launches;
    for (int s : partition.steps) {
      const Node& node = view.node(s);
      ATTUNE_ASSIGN_OR_RETURN(gpu::Lowered lowered,
                              gpu::LowerOp(node, *view.tensors));
      if (lowered.alias_of >= 0) {
        k->alias_[node.outputs[0]] = k->Root(lowered.alias_of);
      }
      for (Launch& l : lowered.launches) launches.push_back(std::move(l));
    }
    for (int t : partition.inputs) {
      ATTUNE_RETURN_IF_ERROR(k->BufferFor(view, t, last, true).status());
    }
    // Intermediates (no static value, variable, partition input or output)
    // share pooled buffers: each returns to the pool after its last launch.
    for (int t : partition.outputs) k->pinned_.insert(k->Root(t));
    for (size_t i = 0; i < launches.size(); ++i) {
      for (const KernelArg& a : launches[i].args) {
        if (a.kind == KernelArg::Kind::kTensor) {
          k->last_use_[k->Root(a.tensor)] = static_cast<int>(i);
        }
      }
    }
    for (size_t i = 0; i < launches.size(); ++i) {
      ATTUNE_RETURN_IF_ERROR(
          k->AddLaunch(view, program, launches[i], last, static_cast<int>(i)));
    }
    for (int t : partition.outputs) {
      ATTUNE_ASSIGN_OR_RETURN(cl_mem mem, k->BufferFor(view, t, last, false));
      k->downloads_.push_back({t, mem, FloatBytes(view.tensor(t))});
    }
    return std::unique_ptr<DelegateKernel>(std::move(k));
  }

  absl::Status Setup() override {
    setup_ = true;  // host pointers are read from the plan at each Invoke
    return absl::OkStatus();
  }

  absl::Status Invoke() override {
    if (!setup_) {
      return absl::FailedPreconditionError(
          "gpu partition: Invoke before Setup");
    }
    cl_command_queue q = rt_->queue();
    bool stale = false;
    for (const Versioned& v : versioned_) {
      stale |= variables_->version(v.variable) != v.version;
    }
    if (stale) {
      const auto start = std::chrono::steady_clock::now();
      ATTUNE_RETURN_IF_ERROR(UploadVariables());
      ATTUNE_RETURN_IF_ERROR(ClCheck(clFinish(q), "clFinish (weights)"));
      stats_.repacks++;
      stats_.repack_seconds += std::chrono::duration<double>(
                                   std::chrono::steady_clock::now() - start)
                                   .count();
    }
    // Messages are built only on failure: Invoke allocates nothing itself.
    for (const Transfer& in : uploads_) {
      const cl_int err = clEnqueueWriteBuffer(q, in.mem, CL_FALSE, 0, in.bytes,
                                              (*tensors_)[in.tensor].data, 0,
                                              nullptr, nullptr);
      if (err != CL_SUCCESS) {
        return ClCheck(err, absl::StrCat("uploading ", TensorName(in.tensor)));
      }
    }
    for (const Enqueued& e : enqueued_) {
      const cl_int err = clEnqueueNDRangeKernel(
          q, e.kernel.get(), e.dims, nullptr, e.global.data(),
          e.local[0] != 0 ? e.local.data() : nullptr, 0, nullptr, nullptr);
      if (err != CL_SUCCESS) {
        return ClCheck(err, absl::StrCat("enqueueing kernel ", e.name));
      }
    }
    for (const Transfer& out : downloads_) {
      const cl_int err = clEnqueueReadBuffer(q, out.mem, CL_FALSE, 0, out.bytes,
                                             (*tensors_)[out.tensor].data, 0,
                                             nullptr, nullptr);
      if (err != CL_SUCCESS) {
        return ClCheck(err, absl::StrCat("reading ", TensorName(out.tensor)));
      }
    }
    ATTUNE_RETURN_IF_ERROR(ClCheck(clFinish(q), "running the partition"));
    stats_.invokes++;
    return absl::OkStatus();
  }

  DelegateKernelStats stats() const override { return stats_; }

 private:
  struct Transfer {
    int tensor;
    cl_mem mem;
    size_t bytes;
  };
  struct Versioned {
    int variable;
    uint64_t version;
    cl_mem mem;
    size_t bytes;
  };
  struct Enqueued {
    std::string name;
    ClKernel kernel;
    cl_uint dims;
    std::array<size_t, 2> global;
    std::array<size_t, 2> local;
  };

  GpuKernel() = default;

  std::string TensorName(int t) const {
    const std::string* name = (*tensors_)[t].name;
    return name == nullptr ? absl::StrCat("tensor #", t)
                           : absl::StrCat("\"", *name, "\"");
  }

  int Root(int t) const {
    auto it = alias_.find(t);
    return it == alias_.end() ? t : it->second;
  }

  // The device buffer of tensor `t` (of its alias root), created on first
  // use: static values are uploaded now, variable-backed ones now and when
  // their version moves, partition inputs (`input`) at every Invoke.
  absl::StatusOr<cl_mem> BufferFor(const PlanView& view, int t, int last,
                                   bool input) {
    const int root = Root(t);
    if (auto it = buffer_of_.find(root); it != buffer_of_.end()) {
      return it->second;
    }
    const Tensor& tensor = view.tensor(root);
    const size_t bytes = FloatBytes(tensor);
    const int var = tensor.is_static ? -1 : view.VariableAt(root, last);
    if (!input && !tensor.is_static && var < 0 && !pinned_.contains(root)) {
      return PooledBuffer(root, bytes);
    }
    const void* init = nullptr;
    if (tensor.is_static) {
      init = tensor.data;
    } else if (var >= 0) {
      init = variables_->tensor(var).data;
    }
    ATTUNE_ASSIGN_OR_RETURN(ClMem mem, rt_->NewBuffer(bytes, init));
    cl_mem raw = mem.get();
    buffers_.push_back(std::move(mem));
    buffer_of_[root] = raw;
    if (var >= 0) {
      versioned_.push_back({var, variables_->version(var), raw, bytes});
    } else if (input && !tensor.is_static) {
      uploads_.push_back({root, raw, bytes});
    }
    return raw;
  }

  // A buffer of at least `bytes` for intermediate `root`: the smallest free
  // pooled one that fits, else a new one.
  absl::StatusOr<cl_mem> PooledBuffer(int root, size_t bytes) {
    auto best = free_.end();
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->first >= bytes &&
          (best == free_.end() || it->first < best->first)) {
        best = it;
      }
    }
    cl_mem raw = nullptr;
    if (best != free_.end()) {
      raw = best->second;
      pooled_bytes_[root] = best->first;
      free_.erase(best);
    } else {
      ATTUNE_ASSIGN_OR_RETURN(ClMem mem, rt_->NewBuffer(bytes));
      raw = mem.get();
      buffers_.push_back(std::move(mem));
      pooled_bytes_[root] = bytes;
    }
    buffer_of_[root] = raw;
    return raw;
  }

  // Returns the pooled buffers of intermediates last used by launch `index`.
  void ReleaseAfter(const Launch& l, int index) {
    for (const KernelArg& a : l.args) {
      if (a.kind != KernelArg::Kind::kTensor) continue;
      const int root = Root(a.tensor);
      auto pooled = pooled_bytes_.find(root);
      if (pooled == pooled_bytes_.end() || last_use_[root] != index) continue;
      free_.push_back({pooled->second, buffer_of_[root]});
      pooled_bytes_.erase(pooled);  // released once even if used twice
    }
  }

  absl::Status AddLaunch(const PlanView& view, cl_program program,
                         const Launch& l, int last, int index) {
    if (l.global[0] == 0 || l.global[1] == 0) {
      ReleaseAfter(l, index);
      return absl::OkStatus();
    }
    cl_int err = CL_SUCCESS;
    ClKernel kernel(clCreateKernel(program, l.kernel.c_str(), &err));
    ATTUNE_RETURN_IF_ERROR(
        ClCheck(err, absl::StrCat("clCreateKernel(", l.kernel, ")")));
    for (size_t i = 0; i < l.args.size(); ++i) {
      const KernelArg& a = l.args[i];
      const cl_uint index = static_cast<cl_uint>(i);
      switch (a.kind) {
        case KernelArg::Kind::kTensor: {
          ATTUNE_ASSIGN_OR_RETURN(cl_mem mem,
                                  BufferFor(view, a.tensor, last, false));
          err = clSetKernelArg(kernel.get(), index, sizeof(cl_mem), &mem);
          break;
        }
        case KernelArg::Kind::kNull:
          err = clSetKernelArg(kernel.get(), index, sizeof(cl_mem), nullptr);
          break;
        case KernelArg::Kind::kInt: {
          const cl_int v = a.i;
          err = clSetKernelArg(kernel.get(), index, sizeof(v), &v);
          break;
        }
        case KernelArg::Kind::kFloat: {
          const cl_float v = a.f;
          err = clSetKernelArg(kernel.get(), index, sizeof(v), &v);
          break;
        }
        case KernelArg::Kind::kGeometry: {
          ATTUNE_ASSIGN_OR_RETURN(
              ClMem mem,
              rt_->NewBuffer(a.ints.size() * sizeof(int32_t), a.ints.data()));
          cl_mem raw = mem.get();
          buffers_.push_back(std::move(mem));
          err = clSetKernelArg(kernel.get(), index, sizeof(cl_mem), &raw);
          break;
        }
      }
      ATTUNE_RETURN_IF_ERROR(ClCheck(
          err, absl::StrCat("clSetKernelArg(", l.kernel, ", ", i, ")")));
    }
    Enqueued e{l.kernel, std::move(kernel), static_cast<cl_uint>(l.dims),
               l.global, l.local};
    if (l.local[0] != 0) {
      size_t max_group = 0;
      ATTUNE_RETURN_IF_ERROR(ClCheck(
          clGetKernelWorkGroupInfo(e.kernel.get(), rt_->device(),
                                   CL_KERNEL_WORK_GROUP_SIZE, sizeof(max_group),
                                   &max_group, nullptr),
          "clGetKernelWorkGroupInfo"));
      const size_t group = l.local[0] * (l.dims == 2 ? l.local[1] : 1);
      if (group > max_group) {
        return absl::UnimplementedError(absl::StrCat(
            "gpu: kernel ", l.kernel, " needs work-groups of ", group,
            " items; ", rt_->device_description(), " allows ", max_group));
      }
    }
    enqueued_.push_back(std::move(e));
    ReleaseAfter(l, index);
    return absl::OkStatus();
  }

  // Re-uploads the variables whose version moved since their last upload.
  absl::Status UploadVariables() {
    for (Versioned& v : versioned_) {
      if (variables_->version(v.variable) == v.version) continue;
      v.version = variables_->version(v.variable);
      ATTUNE_RETURN_IF_ERROR(ClCheck(
          clEnqueueWriteBuffer(rt_->queue(), v.mem, CL_FALSE, 0, v.bytes,
                               variables_->tensor(v.variable).data, 0, nullptr,
                               nullptr),
          "uploading a variable"));
    }
    return absl::OkStatus();
  }

  std::shared_ptr<ClRuntime> rt_;
  const std::vector<Tensor>* tensors_ = nullptr;
  VariableStore* variables_ = nullptr;
  absl::flat_hash_map<int, int> alias_;         // tensor -> root tensor
  absl::flat_hash_map<int, cl_mem> buffer_of_;  // root tensor -> buffer
  absl::flat_hash_set<int> pinned_;         // roots of the partition's outputs
  absl::flat_hash_map<int, int> last_use_;  // root -> last launch using it
  // Intermediates holding a pooled buffer (root -> its capacity), and the
  // free pooled buffers (capacity, buffer); both only during Create.
  absl::flat_hash_map<int, size_t> pooled_bytes_;
  std::vector<std::pair<size_t, cl_mem>> free_;
  std::vector<ClMem> buffers_;        // owns every buffer
  std::vector<Transfer> uploads_;     // partition inputs
  std::vector<Versioned> versioned_;  // variable-backed operands
  std::vector<Transfer> downloads_;   // partition outputs
  std::vector<Enqueued> enqueued_;
  bool setup_ = false;
  DelegateKernelStats stats_;
};

class GpuDelegate final : public Delegate {
 public:
  explicit GpuDelegate(std::shared_ptr<ClRuntime> rt) : rt_(std::move(rt)) {}

  absl::string_view name() const override { return "gpu"; }

  absl::Status Supports(const PlanView& view, int step) const override {
    return gpu::CheckOp(view, step);
  }

  absl::StatusOr<std::unique_ptr<DelegateKernel>> Build(
      const PlanView& view, const Partition& partition) override {
    ATTUNE_ASSIGN_OR_RETURN(cl_program program, rt_->Program());
    return GpuKernel::Create(rt_, program, view, partition);
  }

  const std::string& device_description() const {
    return rt_->device_description();
  }

 private:
  std::shared_ptr<ClRuntime> rt_;
};

}  // namespace

absl::StatusOr<GpuDeviceKind> ParseGpuDeviceKind(absl::string_view value) {
  if (value == "gpu") return GpuDeviceKind::kGpu;
  if (value == "cpu") return GpuDeviceKind::kCpu;
  if (value == "any") return GpuDeviceKind::kAny;
  return absl::InvalidArgumentError(absl::StrCat(
      "gpu: OpenCL device kind \"", value, "\" is not gpu, cpu or any"));
}

absl::StatusOr<std::shared_ptr<Delegate>> CreateGpuDelegate(
    const GpuDelegateOptions& options) {
  GpuDeviceKind kind = GpuDeviceKind::kAny;
  if (options.device.has_value()) {
    kind = *options.device;
  } else if (const char* env = std::getenv("ATTUNE_OPENCL_DEVICE");
             env != nullptr && *env != '\0') {
    absl::StatusOr<GpuDeviceKind> parsed = ParseGpuDeviceKind(env);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("ATTUNE_OPENCL_DEVICE: ", parsed.status().message()));
    }
    kind = *parsed;
  }
  ATTUNE_ASSIGN_OR_RETURN(std::unique_ptr<ClRuntime> rt,
                          ClRuntime::Create(kind));
  return std::shared_ptr<Delegate>(
      new GpuDelegate(std::shared_ptr<ClRuntime>(std::move(rt))));
}

std::string GpuDeviceDescription(const Delegate& delegate) {
  const auto* gpu = dynamic_cast<const GpuDelegate*>(&delegate);
  return gpu == nullptr ? "" : gpu->device_description();
}

}  // namespace attune
