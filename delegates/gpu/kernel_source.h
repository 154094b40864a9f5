#ifndef ATTUNE_DELEGATES_GPU_KERNEL_SOURCE_H_
#define ATTUNE_DELEGATES_GPU_KERNEL_SOURCE_H_

namespace attune {
namespace gpu {

// The OpenCL C 1.2 source of delegates/gpu/kernels.cl, embedded at build
// time (CMake turns the file into a raw string; nothing is read at run time).
extern const char kKernelSource[];

}  // namespace gpu
}  // namespace attune

#endif  // ATTUNE_DELEGATES_GPU_KERNEL_SOURCE_H_
