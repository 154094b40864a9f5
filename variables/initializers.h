#ifndef ATTUNE_VARIABLES_INITIALIZERS_H_
#define ATTUNE_VARIABLES_INITIALIZERS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "engine/graph.h"

namespace attune {

// Fan-in and fan-out of a weight of `shape`, as Keras and PyTorch define
// them: rank 2 [in, out]; rank >= 3 [k..., in, out] with the receptive field
// (product of the leading dims) multiplied into both; rank 1 and 0 use the
// element count for both.
struct Fans {
  double fan_in = 1;
  double fan_out = 1;
};
Fans ComputeFans(absl::Span<const int64_t> shape);

// Fills `out` (one float per element of `shape`) by `initializer`:
//   kZeros, kOnes;
//   kGlorotUniform  U(-l, l), l = sqrt(6 / (fan_in + fan_out))  (Glorot &
//                   Bengio 2010);
//   kGlorotNormal   N(0, s), s = sqrt(2 / (fan_in + fan_out));
//   kHeUniform      U(-l, l), l = sqrt(6 / fan_in)  (He et al. 2015);
//   kHeNormal       N(0, s), s = sqrt(2 / fan_in).
// Random values come from a 64-bit Mersenne Twister seeded with `seed`,
// turned into uniforms (53-bit) and normals (Box-Muller) by attune itself,
// so the same seed gives the same weights on every platform and compiler.
// InvalidArgument for kConstantBuffer (the caller copies the buffer) or a
// size mismatch.
absl::Status InitializeFloats(Initializer initializer, uint64_t seed,
                              absl::Span<const int64_t> shape,
                              absl::Span<float> out);

}  // namespace attune

#endif  // ATTUNE_VARIABLES_INITIALIZERS_H_
