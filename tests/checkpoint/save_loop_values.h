#ifndef ATTUNE_TESTS_CHECKPOINT_SAVE_LOOP_VALUES_H_
#define ATTUNE_TESTS_CHECKPOINT_SAVE_LOOP_VALUES_H_

#include <cstdint>
#include <cstring>

namespace attune::testing {

// Element i of tensor "a" at step s in the save loop (save_loop_helper.cc):
// a finite float whose bits depend on both, so a torn or mixed write shows.
inline float SaveLoopValue(int64_t step, int64_t i) {
  uint64_t x = static_cast<uint64_t>(step) * 0x9E3779B97F4A7C15ull +
               static_cast<uint64_t>(i) * 0xBF58476D1CE4E5B9ull;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 29;
  // Exponent fixed to [1, 2): always finite, bits 0..22 from the hash.
  const uint32_t bits = 0x3F800000u | static_cast<uint32_t>(x & 0x7FFFFFu);
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

}  // namespace attune::testing

#endif  // ATTUNE_TESTS_CHECKPOINT_SAVE_LOOP_VALUES_H_
