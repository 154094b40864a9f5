#ifndef ATTUNE_DATA_IMAGE_H_
#define ATTUNE_DATA_IMAGE_H_

// Image files (BMP, PNG, JPEG, ...) decoded with stb_image (Debian package
// libstb-dev), and the bilinear resize image models' preprocessing uses.

#include <string>

#include "absl/status/statusor.h"
#include "data/array.h"

namespace attune {

// Decodes the image at `path` into a uint8 array [height, width, 3] (RGB;
// grey and alpha channels converted). NotFound when the file cannot be read,
// InvalidArgument when it is not a decodable image.
absl::StatusOr<Array> ReadImage(const std::string& path);

// Resizes a uint8 or float32 [h, w, c] image to [height, width, c] by
// bilinear interpolation with half-pixel centers (TensorFlow 2's
// tf.image.resize): source coordinate (dst + 0.5) * in / out - 0.5, clamped
// to the image. The result is float32 (not rounded). InvalidArgument for
// another rank or dtype, or a non-positive size.
absl::StatusOr<Array> ResizeBilinear(const Array& image, int height, int width);

}  // namespace attune

#endif  // ATTUNE_DATA_IMAGE_H_
