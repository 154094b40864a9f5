#include "variables/initializers.h"

#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"

namespace attune {
namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;

// Uniform in [0, 1) from the top 53 bits of one engine output.
double Uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace

Fans ComputeFans(absl::Span<const int64_t> shape) {
  Fans fans;
  if (shape.size() < 2) {
    double n = 1;
    for (int64_t d : shape) n *= static_cast<double>(d);
    fans.fan_in = fans.fan_out = n;
    return fans;
  }
  double receptive = 1;
  for (size_t i = 0; i + 2 < shape.size(); ++i) {
    receptive *= static_cast<double>(shape[i]);
  }
  fans.fan_in = receptive * static_cast<double>(shape[shape.size() - 2]);
  fans.fan_out = receptive * static_cast<double>(shape[shape.size() - 1]);
  return fans;
}

absl::Status InitializeFloats(Initializer initializer, uint64_t seed,
                              absl::Span<const int64_t> shape,
                              absl::Span<float> out) {
  if (static_cast<int64_t>(out.size()) != NumElements(shape)) {
    return absl::InvalidArgumentError(
        absl::StrCat("initializer: ", out.size(), " values for shape ",
                     ShapeToString(shape)));
  }
  const Fans fans = ComputeFans(shape);
  std::mt19937_64 rng(seed);
  auto uniform = [&](double limit) {
    for (float& v : out) v = static_cast<float>((2 * Uniform01(rng) - 1) * limit);
  };
  auto normal = [&](double stddev) {
    for (size_t i = 0; i < out.size(); i += 2) {
      // Box-Muller: two independent N(0, 1) from two uniforms.
      const double u1 = 1.0 - Uniform01(rng);  // (0, 1]
      const double u2 = Uniform01(rng);
      const double r = std::sqrt(-2.0 * std::log(u1));
      out[i] = static_cast<float>(stddev * r * std::cos(kTwoPi * u2));
      if (i + 1 < out.size()) {
        out[i + 1] = static_cast<float>(stddev * r * std::sin(kTwoPi * u2));
      }
    }
  };
  switch (initializer) {
    case Initializer::kZeros:
      for (float& v : out) v = 0.0f;
      return absl::OkStatus();
    case Initializer::kOnes:
      for (float& v : out) v = 1.0f;
      return absl::OkStatus();
    case Initializer::kGlorotUniform:
      uniform(std::sqrt(6.0 / std::max(fans.fan_in + fans.fan_out, 1.0)));
      return absl::OkStatus();
    case Initializer::kGlorotNormal:
      normal(std::sqrt(2.0 / std::max(fans.fan_in + fans.fan_out, 1.0)));
      return absl::OkStatus();
    case Initializer::kHeUniform:
      uniform(std::sqrt(6.0 / std::max(fans.fan_in, 1.0)));
      return absl::OkStatus();
    case Initializer::kHeNormal:
      normal(std::sqrt(2.0 / std::max(fans.fan_in, 1.0)));
      return absl::OkStatus();
    case Initializer::kConstantBuffer:
      break;
  }
  return absl::InvalidArgumentError(
      "initializer: constant-buffer initialization copies the buffer");
}

}  // namespace attune
