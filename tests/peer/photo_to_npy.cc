// photo_to_npy IMAGE SIZE MEAN STD OUT.npy
//
// attune's side of the classifier photo check (tflite_classifier_test.sh):
// decodes IMAGE with data/image (stb_image), resizes the whole image
// bilinearly to SIZE x SIZE (ResizeBilinear: half-pixel centers, no
// antialiasing) and writes float32 [1, SIZE, SIZE, 3] = (pixel - MEAN) / STD,
// unrounded, as the input of a float image signature.
// Exit codes: 0 ok, 1 runtime failure (reason on stderr), 2 usage error.

#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "data/array.h"
#include "data/image.h"
#include "data/npy.h"

namespace {

absl::Status Run(const std::string& image_path, int size, float mean,
                 float std_dev, const std::string& out_path) {
  absl::StatusOr<attune::Array> image = attune::ReadImage(image_path);
  if (!image.ok()) return image.status();
  absl::StatusOr<attune::Array> resized =
      attune::ResizeBilinear(*image, size, size);
  if (!resized.ok()) return resized.status();
  for (float& v : resized->mutable_values<float>()) v = (v - mean) / std_dev;
  resized->shape.insert(resized->shape.begin(), 1);
  return attune::WriteNpy(out_path, *resized);
}

}  // namespace

int main(int argc, char** argv) {
  int size = 0;
  float mean = 0, std_dev = 0;
  if (argc != 6 || !absl::SimpleAtoi(argv[2], &size) || size <= 0 ||
      !absl::SimpleAtof(argv[3], &mean) ||
      !absl::SimpleAtof(argv[4], &std_dev) || std_dev == 0) {
    std::fprintf(stderr,
                 "usage: photo_to_npy IMAGE SIZE MEAN STD OUT.npy "
                 "(SIZE > 0, STD != 0)\n");
    return 2;
  }
  const absl::Status status = Run(argv[1], size, mean, std_dev, argv[5]);
  if (!status.ok()) {
    std::fprintf(stderr, "photo_to_npy: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
