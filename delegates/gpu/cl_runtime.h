#ifndef ATTUNE_DELEGATES_GPU_CL_RUNTIME_H_
#define ATTUNE_DELEGATES_GPU_CL_RUNTIME_H_

// Internal to delegates/gpu: the OpenCL objects one GPU delegate owns (the
// chosen device, one context, one in-order command queue and one program
// holding every kernel of kernels.cl), and RAII handles for them.

#include <memory>
#include <mutex>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "delegates/gpu/gpu_delegate.h"

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

namespace attune {
namespace gpu {

// Internal("<what> failed: CL_...") unless `err` is CL_SUCCESS.
absl::Status ClCheck(cl_int err, absl::string_view what);
// "CL_OUT_OF_RESOURCES" etc.; the number for unknown codes.
std::string ClErrorName(cl_int err);

// Owning handles: release on destruction.
struct ClMemRelease {
  void operator()(cl_mem m) const { clReleaseMemObject(m); }
};
struct ClKernelRelease {
  void operator()(cl_kernel k) const { clReleaseKernel(k); }
};
using ClMem = std::unique_ptr<std::remove_pointer_t<cl_mem>, ClMemRelease>;
using ClKernel =
    std::unique_ptr<std::remove_pointer_t<cl_kernel>, ClKernelRelease>;

// One device's context, queue and (lazily built) program.
//
// Thread-safety: Program() may be called from several threads; the queue
// may be used by one thread at a time (the delegate's contract).
class ClRuntime {
 public:
  // Picks the device of `kind` among all platforms' devices and creates the
  // context and queue. Unavailable, listing the platforms and devices found,
  // when none fits; Internal on another OpenCL failure.
  static absl::StatusOr<std::unique_ptr<ClRuntime>> Create(GpuDeviceKind kind);
  ~ClRuntime();
  ClRuntime(const ClRuntime&) = delete;
  ClRuntime& operator=(const ClRuntime&) = delete;

  // "NVIDIA H200 (NVIDIA CUDA, GPU, OpenCL 3.0 CUDA)".
  const std::string& device_description() const { return description_; }
  cl_context context() const { return context_; }
  cl_command_queue queue() const { return queue_; }
  cl_device_id device() const { return device_; }

  // The program of kernels.cl, built on the first call (slow on pocl) and
  // kept. Internal with the build log when it does not compile; the error
  // is kept and returned by later calls too.
  absl::StatusOr<cl_program> Program();

  // A new buffer of `bytes` (at least 4), initialized from `host` when not
  // null. Internal (ResourceExhausted when the device is out of memory).
  absl::StatusOr<ClMem> NewBuffer(size_t bytes, const void* host = nullptr);

 private:
  ClRuntime() = default;

  cl_device_id device_ = nullptr;
  cl_context context_ = nullptr;
  cl_command_queue queue_ = nullptr;
  std::string description_;
  std::mutex mu_;
  cl_program program_ = nullptr;  // guarded by mu_
  absl::Status program_status_;   // guarded by mu_; error of the first build
};

}  // namespace gpu
}  // namespace attune

#endif  // ATTUNE_DELEGATES_GPU_CL_RUNTIME_H_
