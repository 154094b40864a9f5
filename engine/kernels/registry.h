#ifndef ATTUNE_ENGINE_KERNELS_REGISTRY_H_
#define ATTUNE_ENGINE_KERNELS_REGISTRY_H_

#include "engine/kernels/kernel.h"
#include "engine/op_code.h"

namespace attune {

// The reference (float32 / integer) kernel for `op`, or nullptr when attune
// has none yet. Thread-safe; the table is built on first use.
const KernelRegistration* FindKernel(OpCode op);

}  // namespace attune

#endif  // ATTUNE_ENGINE_KERNELS_REGISTRY_H_
