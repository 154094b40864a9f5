#ifndef ATTUNE_TESTS_ENGINE_ELEMENTWISE_REFERENCE_H_
#define ATTUNE_TESTS_ENGINE_ELEMENTWISE_REFERENCE_H_

// Test-only helpers for the elementwise kernel tests: a deliberately naive
// numpy broadcasting reference (per-element index arithmetic, no dimension
// merging or strides shared with the kernels) and random inputs.

#include <cstdint>
#include <random>
#include <vector>

#include "engine/shape.h"

namespace attune::testing {

inline int64_t Count(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// Flat index into `in` (right-aligned against `out`, size-1 dims repeating)
// of output element `flat`.
inline int64_t BroadcastSource(const Shape& out, const Shape& in,
                               int64_t flat) {
  int64_t index = 0;
  int64_t in_stride = 1;
  const int offset = static_cast<int>(out.size() - in.size());
  for (int d = static_cast<int>(out.size()) - 1; d >= 0; --d) {
    const int64_t coord = flat % out[d];
    flat /= out[d];
    if (d < offset) continue;
    const int64_t in_dim = in[d - offset];
    if (in_dim != 1) index += coord * in_stride;
    in_stride *= in_dim;
  }
  return index;
}

// out[k] = fn(a[...], b[...]) over the broadcast shape `out`.
template <typename R, typename A, typename B, typename Fn>
std::vector<R> ReferenceBinary(const Shape& out, const Shape& sa,
                               const std::vector<A>& a, const Shape& sb,
                               const std::vector<B>& b, Fn fn) {
  std::vector<R> result(Count(out));
  for (int64_t k = 0; k < Count(out); ++k) {
    result[k] =
        fn(a[BroadcastSource(out, sa, k)], b[BroadcastSource(out, sb, k)]);
  }
  return result;
}

template <typename T>
std::vector<T> RandomValues(int64_t n, double lo, double hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(dist(rng));
  return v;
}

}  // namespace attune::testing

#endif  // ATTUNE_TESTS_ENGINE_ELEMENTWISE_REFERENCE_H_
