#ifndef ATTUNE_ENGINE_SHAPE_H_
#define ATTUNE_ENGINE_SHAPE_H_

#include <cstdint>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace attune {

// Dimensions of a tensor, outermost first. -1 marks a dynamic dimension in
// declared (model file) shapes; runtime shapes never hold -1.
using Shape = absl::InlinedVector<int64_t, 6>;

// Largest element count or byte size attune accepts for one tensor (2^40).
// Anything larger is treated as a corrupt or absurd shape.
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 40;
inline constexpr int kMaxRank = 16;

// Product of dims. InvalidArgument when a dim is negative or the product
// would exceed kMaxTensorElements (so byte counts never overflow).
absl::StatusOr<int64_t> CheckedNumElements(absl::Span<const int64_t> dims);

// Product of dims for an already validated shape.
int64_t NumElements(absl::Span<const int64_t> dims);

// True when every dim is >= 0.
bool IsFullyDefined(absl::Span<const int64_t> dims);

// "[2,3,-1]".
std::string ShapeToString(absl::Span<const int64_t> dims);

// Numpy broadcasting of two shapes. InvalidArgument naming both shapes when
// they are incompatible.
absl::StatusOr<Shape> BroadcastShapes(absl::Span<const int64_t> a,
                                      absl::Span<const int64_t> b);

// Resolves a possibly negative axis against `rank`. InvalidArgument when out
// of range [-rank, rank).
absl::StatusOr<int> NormalizeAxis(int64_t axis, int rank);

}  // namespace attune

#endif  // ATTUNE_ENGINE_SHAPE_H_
