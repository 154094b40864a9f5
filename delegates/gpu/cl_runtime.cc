#include "delegates/gpu/cl_runtime.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "delegates/gpu/kernel_source.h"
#include "engine/status_macros.h"

namespace attune {
namespace gpu {
namespace {

std::string PlatformInfo(cl_platform_id platform, cl_platform_info what) {
  size_t size = 0;
  if (clGetPlatformInfo(platform, what, 0, nullptr, &size) != CL_SUCCESS) {
    return "?";
  }
  std::string s(size, '\0');
  clGetPlatformInfo(platform, what, size, s.data(), nullptr);
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

std::string DeviceInfo(cl_device_id device, cl_device_info what) {
  size_t size = 0;
  if (clGetDeviceInfo(device, what, 0, nullptr, &size) != CL_SUCCESS) {
    return "?";
  }
  std::string s(size, '\0');
  clGetDeviceInfo(device, what, size, s.data(), nullptr);
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

const char* TypeName(cl_device_type type) {
  if (type & CL_DEVICE_TYPE_GPU) return "GPU";
  if (type & CL_DEVICE_TYPE_CPU) return "CPU";
  if (type & CL_DEVICE_TYPE_ACCELERATOR) return "accelerator";
  return "other";
}

struct Found {
  cl_device_id device;
  cl_device_type type;
  std::string platform;
  std::string name;
};

std::vector<Found> AllDevices() {
  std::vector<Found> found;
  cl_uint num_platforms = 0;
  if (clGetPlatformIDs(0, nullptr, &num_platforms) != CL_SUCCESS) {
    return found;  // CL_PLATFORM_NOT_FOUND_KHR: no ICD installed
  }
  std::vector<cl_platform_id> platforms(num_platforms);
  if (clGetPlatformIDs(num_platforms, platforms.data(), nullptr) !=
      CL_SUCCESS) {
    return found;
  }
  for (cl_platform_id p : platforms) {
    cl_uint n = 0;
    if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, nullptr, &n) != CL_SUCCESS) {
      continue;
    }
    std::vector<cl_device_id> devices(n);
    if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, n, devices.data(), nullptr) !=
        CL_SUCCESS) {
      continue;
    }
    for (cl_device_id d : devices) {
      cl_device_type type = 0;
      clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof(type), &type, nullptr);
      found.push_back({d, type, PlatformInfo(p, CL_PLATFORM_NAME),
                       DeviceInfo(d, CL_DEVICE_NAME)});
    }
  }
  return found;
}

const char* KindName(GpuDeviceKind kind) {
  switch (kind) {
    case GpuDeviceKind::kGpu:
      return "gpu";
    case GpuDeviceKind::kCpu:
      return "cpu";
    case GpuDeviceKind::kAny:
      break;
  }
  return "any";
}

}  // namespace

std::string ClErrorName(cl_int err) {
  switch (err) {
#define ATTUNE_CL_ERROR(name) \
  case name:                  \
    return #name;
    ATTUNE_CL_ERROR(CL_DEVICE_NOT_FOUND)
    ATTUNE_CL_ERROR(CL_DEVICE_NOT_AVAILABLE)
    ATTUNE_CL_ERROR(CL_COMPILER_NOT_AVAILABLE)
    ATTUNE_CL_ERROR(CL_MEM_OBJECT_ALLOCATION_FAILURE)
    ATTUNE_CL_ERROR(CL_OUT_OF_RESOURCES)
    ATTUNE_CL_ERROR(CL_OUT_OF_HOST_MEMORY)
    ATTUNE_CL_ERROR(CL_BUILD_PROGRAM_FAILURE)
    ATTUNE_CL_ERROR(CL_INVALID_VALUE)
    ATTUNE_CL_ERROR(CL_INVALID_DEVICE)
    ATTUNE_CL_ERROR(CL_INVALID_CONTEXT)
    ATTUNE_CL_ERROR(CL_INVALID_COMMAND_QUEUE)
    ATTUNE_CL_ERROR(CL_INVALID_MEM_OBJECT)
    ATTUNE_CL_ERROR(CL_INVALID_BUFFER_SIZE)
    ATTUNE_CL_ERROR(CL_INVALID_PROGRAM)
    ATTUNE_CL_ERROR(CL_INVALID_PROGRAM_EXECUTABLE)
    ATTUNE_CL_ERROR(CL_INVALID_KERNEL_NAME)
    ATTUNE_CL_ERROR(CL_INVALID_KERNEL)
    ATTUNE_CL_ERROR(CL_INVALID_ARG_INDEX)
    ATTUNE_CL_ERROR(CL_INVALID_ARG_VALUE)
    ATTUNE_CL_ERROR(CL_INVALID_ARG_SIZE)
    ATTUNE_CL_ERROR(CL_INVALID_KERNEL_ARGS)
    ATTUNE_CL_ERROR(CL_INVALID_WORK_DIMENSION)
    ATTUNE_CL_ERROR(CL_INVALID_WORK_GROUP_SIZE)
    ATTUNE_CL_ERROR(CL_INVALID_WORK_ITEM_SIZE)
    ATTUNE_CL_ERROR(CL_INVALID_GLOBAL_WORK_SIZE)
    ATTUNE_CL_ERROR(CL_INVALID_EVENT_WAIT_LIST)
    ATTUNE_CL_ERROR(CL_INVALID_OPERATION)
#undef ATTUNE_CL_ERROR
    default:
      return absl::StrCat("OpenCL error ", err);
  }
}

absl::Status ClCheck(cl_int err, absl::string_view what) {
  if (err == CL_SUCCESS) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("gpu: ", what, " failed: ", ClErrorName(err)));
}

absl::StatusOr<std::unique_ptr<ClRuntime>> ClRuntime::Create(
    GpuDeviceKind kind) {
  const std::vector<Found> found = AllDevices();
  const Found* pick = nullptr;
  for (const Found& f : found) {
    if (kind != GpuDeviceKind::kCpu && (f.type & CL_DEVICE_TYPE_GPU)) {
      pick = &f;
      break;
    }
  }
  if (pick == nullptr) {
    for (const Found& f : found) {
      if ((kind == GpuDeviceKind::kCpu && (f.type & CL_DEVICE_TYPE_CPU)) ||
          kind == GpuDeviceKind::kAny) {
        pick = &f;
        break;
      }
    }
  }
  if (pick == nullptr) {
    std::vector<std::string> names;
    for (const Found& f : found) {
      names.push_back(absl::StrCat("\"", f.name, "\" (", TypeName(f.type),
                                   ", platform \"", f.platform, "\")"));
    }
    return absl::UnavailableError(absl::StrCat(
        "gpu: no OpenCL device of kind ", KindName(kind), "; found ",
        names.empty() ? "no OpenCL platform or device (install an ICD, "
                        "e.g. pocl-opencl-icd)"
                      : absl::StrJoin(names, ", ")));
  }
  std::unique_ptr<ClRuntime> rt(new ClRuntime());
  rt->device_ = pick->device;
  rt->description_ =
      absl::StrCat(pick->name, " (", pick->platform, ", ", TypeName(pick->type),
                   ", ", DeviceInfo(pick->device, CL_DEVICE_VERSION), ")");
  cl_int err = CL_SUCCESS;
  rt->context_ =
      clCreateContext(nullptr, 1, &rt->device_, nullptr, nullptr, &err);
  ATTUNE_RETURN_IF_ERROR(ClCheck(err, "clCreateContext"));
  rt->queue_ = clCreateCommandQueue(rt->context_, rt->device_, 0, &err);
  ATTUNE_RETURN_IF_ERROR(ClCheck(err, "clCreateCommandQueue"));
  return rt;
}

ClRuntime::~ClRuntime() {
  if (program_ != nullptr) clReleaseProgram(program_);
  if (queue_ != nullptr) clReleaseCommandQueue(queue_);
  if (context_ != nullptr) clReleaseContext(context_);
}

absl::StatusOr<cl_program> ClRuntime::Program() {
  std::lock_guard<std::mutex> lock(mu_);
  if (program_ != nullptr) return program_;
  ATTUNE_RETURN_IF_ERROR(program_status_);
  const char* source = kKernelSource;
  cl_int err = CL_SUCCESS;
  cl_program program =
      clCreateProgramWithSource(context_, 1, &source, nullptr, &err);
  program_status_ = ClCheck(err, "clCreateProgramWithSource");
  ATTUNE_RETURN_IF_ERROR(program_status_);
  err = clBuildProgram(program, 1, &device_, "-cl-std=CL1.2", nullptr, nullptr);
  if (err != CL_SUCCESS) {
    size_t size = 0;
    clGetProgramBuildInfo(program, device_, CL_PROGRAM_BUILD_LOG, 0, nullptr,
                          &size);
    std::string log(size, '\0');
    clGetProgramBuildInfo(program, device_, CL_PROGRAM_BUILD_LOG, size,
                          log.data(), nullptr);
    while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) {
      log.pop_back();
    }
    clReleaseProgram(program);
    program_status_ = absl::InternalError(
        absl::StrCat("gpu: building the OpenCL program for ", description_,
                     " failed (", ClErrorName(err), "): ", log));
    return program_status_;
  }
  program_ = program;
  return program_;
}

absl::StatusOr<ClMem> ClRuntime::NewBuffer(size_t bytes, const void* host) {
  if (bytes < 4) host = nullptr;  // never read past a tiny host buffer
  cl_int err = CL_SUCCESS;
  const cl_mem_flags flags =
      CL_MEM_READ_WRITE | (host != nullptr ? CL_MEM_COPY_HOST_PTR : 0);
  cl_mem mem = clCreateBuffer(context_, flags, bytes < 4 ? 4 : bytes,
                              const_cast<void*>(host), &err);
  if (err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "gpu: cannot allocate a ", bytes, "-byte buffer on ", description_));
  }
  ATTUNE_RETURN_IF_ERROR(ClCheck(err, "clCreateBuffer"));
  return ClMem(mem);
}

}  // namespace gpu
}  // namespace attune
