// The real MobileNets (models/, provenance in models/NOTICE.md): the uint8
// ImageNet classifier's top-1 on nine photos, and the 0.35-96 embedder's
// determinism. The float64 reference of both graphs is
// tests/peer/tflite_embedder_reference.py (ctest peer.tflite.embedder and
// peer.tflite.classifier_photos; the latter gave the labels of the six
// scikit-image photos below).

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "data/image.h"
#include "gtest/gtest.h"
#include "tests/importers/tflite_test_util.h"

namespace attune {
namespace tflite {
namespace {

std::vector<std::string> Labels() {
  std::ifstream in(ModelPath("imagenet_labels.txt"));
  std::vector<std::string> labels;
  for (std::string line; std::getline(in, line);) labels.push_back(line);
  return labels;
}

// The photo resized bilinearly (whole image) to size x size, float 0..255.
Array Photo(const std::string& name, int size) {
  absl::StatusOr<Array> image = ReadImage(ModelPath("images/" + name));
  EXPECT_TRUE(image.ok()) << image.status();
  absl::StatusOr<Array> resized = ResizeBilinear(*image, size, size);
  EXPECT_TRUE(resized.ok()) << resized.status();
  return *resized;
}

class ClassifierTest
    : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(ClassifierTest, Top1OnUint8AndFloatSignatures) {
  // Imported once for all photos (destroyed at exit).
  static const std::unique_ptr<Interpreter> interp = [] {
    auto created = ImportAndCreate("mobilenet_v2_1.0_224_quant.tflite");
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *std::move(created) : nullptr;
  }();
  ASSERT_NE(interp, nullptr);
  const std::vector<std::string> labels = Labels();
  ASSERT_EQ(labels.size(), 1001u);
  const Array photo = Photo(GetParam().first, 224);
  absl::Span<const float> pixels = photo.values<float>();

  // Integer signature: uint8 pixels in, uint8 probabilities out.
  auto q = Runner(*interp, "serving_default");
  ASSERT_TRUE(q.ok()) << q.status();
  std::vector<uint8_t> input(pixels.size());
  for (size_t i = 0; i < pixels.size(); ++i) {
    input[i] = static_cast<uint8_t>(std::lround(pixels[i]));
  }
  ASSERT_TRUE((*q)->SetInput<uint8_t>("input", input).ok());
  ASSERT_TRUE((*q)->Invoke().ok());
  auto qprobs = (*q)->typed_output<uint8_t>("MobilenetV2/Predictions/Softmax");
  ASSERT_TRUE(qprobs.ok()) << qprobs.status();
  const int q_top =
      std::max_element(qprobs->begin(), qprobs->end()) - qprobs->begin();
  EXPECT_EQ(labels[q_top], GetParam().second);

  // Float signature on the same pixels: the dequantized uint8 input
  // (q - 128) / 128. (Unrounded pixels would move some photos' top
  // probability by up to 0.06, e.g. clock_motion.png; the peer test
  // peer.tflite.classifier_photos covers unrounded input.)
  auto f = Runner(*interp, "serving_default_float");
  ASSERT_TRUE(f.ok()) << f.status();
  std::vector<float> finput(pixels.size());
  for (size_t i = 0; i < pixels.size(); ++i) {
    finput[i] = (input[i] - 128.0f) * 0.0078125f;
  }
  ASSERT_TRUE((*f)->SetInput<float>("input", finput).ok());
  ASSERT_TRUE((*f)->Invoke().ok());
  auto probs = (*f)->typed_output<float>("MobilenetV2/Predictions/Softmax");
  ASSERT_TRUE(probs.ok()) << probs.status();
  const int top =
      std::max_element(probs->begin(), probs->end()) - probs->begin();
  EXPECT_EQ(labels[top], GetParam().second);
  // The uint8 output is the float one requantized (scale 1/256): within one
  // quantization step for every class.
  double max_diff = 0;
  for (size_t i = 0; i < probs->size(); ++i) {
    max_diff = std::max(max_diff, std::abs((*qprobs)[i] / 256.0 - (*probs)[i]));
  }
  EXPECT_LE(max_diff, 1.0 / 256);
  std::printf("%s: %s %.3f (uint8 - float: %.2g)\n", GetParam().first.c_str(),
              labels[top].c_str(), (*probs)[top], max_diff);
}

INSTANTIATE_TEST_SUITE_P(
    Photos, ClassifierTest,
    ::testing::Values(std::make_pair("cat.bmp", "Egyptian cat"),
                      std::make_pair("grace_hopper.bmp", "military uniform"),
                      std::make_pair("bird.bmp", "chickadee"),
                      std::make_pair("astronaut.png", "football helmet"),
                      std::make_pair("camera.png", "tripod"),
                      std::make_pair("chelsea.png", "Egyptian cat"),
                      std::make_pair("clock_motion.png", "spotlight, spot"),
                      std::make_pair("coffee.png", "espresso"),
                      std::make_pair("rocket.jpg", "missile")));

// Same image, same embedding, on 1 and 2 threads; a different image gives a
// different one.
TEST(EmbedderTest, DeterministicEmbedding) {
  std::vector<std::vector<float>> embeddings;
  for (const auto& [name, threads] : std::vector<std::pair<std::string, int>>{
           {"cat.bmp", 1}, {"cat.bmp", 2}, {"bird.bmp", 1}}) {
    auto interp =
        ImportAndCreate("mobilenet_v2_035_96_embedder.tflite", threads);
    ASSERT_TRUE(interp.ok()) << interp.status();
    auto runner = Runner(**interp, "serving_default");
    ASSERT_TRUE(runner.ok()) << runner.status();
    const Array photo = Photo(name, 96);
    std::vector<float> x(photo.values<float>().begin(),
                         photo.values<float>().end());
    for (float& v : x) v /= 255.0f;
    ASSERT_TRUE((*runner)->SetInput<float>("keras_layer_input", x).ok());
    ASSERT_TRUE((*runner)->Invoke().ok());
    auto y = (*runner)->typed_output<float>("keras_layer");
    ASSERT_TRUE(y.ok()) << y.status();
    ASSERT_EQ(y->size(), 1280u);
    embeddings.emplace_back(y->begin(), y->end());
  }
  float largest = 0, diff_threads = 0, diff_images = 0;
  for (size_t i = 0; i < 1280; ++i) {
    largest = std::max(largest, std::abs(embeddings[0][i]));
    diff_threads =
        std::max(diff_threads, std::abs(embeddings[0][i] - embeddings[1][i]));
    diff_images =
        std::max(diff_images, std::abs(embeddings[0][i] - embeddings[2][i]));
  }
  EXPECT_GT(largest, 0.0f);
  EXPECT_LE(diff_threads, 1e-5f * largest);
  EXPECT_GT(diff_images, 0.1f * largest);
}

}  // namespace
}  // namespace tflite
}  // namespace attune
