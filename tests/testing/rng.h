#ifndef ATTUNE_TESTS_TESTING_RNG_H_
#define ATTUNE_TESTS_TESTING_RNG_H_

// A deterministic generator for mutation sweeps: std::mt19937_64's output
// is fixed by the standard (its distributions are not), so only raw draws
// are used and a seed gives the same mutants on every platform.

#include <cstddef>
#include <cstdint>
#include <random>

namespace attune::testing {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  uint64_t Next() { return engine_(); }
  // Uniform enough in [0, n) for sweeps; 0 when n is 0.
  size_t Below(size_t n) {
    return n == 0 ? 0 : static_cast<size_t>(Next() % n);
  }
  uint8_t Byte() { return static_cast<uint8_t>(Next()); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace attune::testing

#endif  // ATTUNE_TESTS_TESTING_RNG_H_
