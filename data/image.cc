#include "data/image.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "stb_image.h"

namespace attune {

absl::StatusOr<Array> ReadImage(const std::string& path) {
  std::ifstream probe(path, std::ios::binary);
  if (!probe) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  probe.close();
  int width = 0, height = 0, channels = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load(path.c_str(), &width, &height, &channels, 3), stbi_image_free);
  if (pixels == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a decodable image (", stbi_failure_reason(), ")"));
  }
  Array image;
  image.dtype = ArrayDType::kUint8;
  image.shape = {height, width, 3};
  image.bytes.assign(pixels.get(),
                     pixels.get() + static_cast<size_t>(height) * width * 3);
  return image;
}

absl::StatusOr<Array> ResizeBilinear(const Array& image, int height,
                                     int width) {
  if (image.shape.size() != 3 || (image.dtype != ArrayDType::kUint8 &&
                                  image.dtype != ArrayDType::kFloat32)) {
    return absl::InvalidArgumentError(
        "resize needs a uint8 or float32 [h, w, c] image");
  }
  if (height <= 0 || width <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("resize to ", height, "x", width));
  }
  const int64_t in_h = image.shape[0], in_w = image.shape[1],
                c = image.shape[2];
  auto pixel = [&](int64_t y, int64_t x, int64_t k) -> float {
    const int64_t i = (y * in_w + x) * c + k;
    return image.dtype == ArrayDType::kUint8
               ? static_cast<float>(image.bytes[i])
               : image.values<float>()[i];
  };
  Array out;
  out.dtype = ArrayDType::kFloat32;
  out.shape = {height, width, c};
  out.bytes.resize(static_cast<size_t>(height) * width * c * sizeof(float));
  absl::Span<float> values = out.mutable_values<float>();
  const double sy = static_cast<double>(in_h) / height;
  const double sx = static_cast<double>(in_w) / width;
  for (int y = 0; y < height; ++y) {
    const double fy =
        std::clamp((y + 0.5) * sy - 0.5, 0.0, static_cast<double>(in_h - 1));
    const int64_t y0 = static_cast<int64_t>(std::floor(fy));
    const int64_t y1 = std::min(y0 + 1, in_h - 1);
    const double dy = fy - y0;
    for (int x = 0; x < width; ++x) {
      const double fx =
          std::clamp((x + 0.5) * sx - 0.5, 0.0, static_cast<double>(in_w - 1));
      const int64_t x0 = static_cast<int64_t>(std::floor(fx));
      const int64_t x1 = std::min(x0 + 1, in_w - 1);
      const double dx = fx - x0;
      for (int64_t k = 0; k < c; ++k) {
        const double top = pixel(y0, x0, k) * (1 - dx) + pixel(y0, x1, k) * dx;
        const double bottom =
            pixel(y1, x0, k) * (1 - dx) + pixel(y1, x1, k) * dx;
        values[(static_cast<int64_t>(y) * width + x) * c + k] =
            static_cast<float>(top * (1 - dy) + bottom * dy);
      }
    }
  }
  return out;
}

}  // namespace attune
