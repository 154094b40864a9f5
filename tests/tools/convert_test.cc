// `attune convert` on real .tflite files (models/), then `attune info`,
// `run` and `fit` on the result; the CLI's embedding equals the C++ API's.

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "data/image.h"
#include "data/npy.h"
#include "engine/interpreter.h"
#include "engine/model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "importers/tflite/importer.h"
#include "tests/tools/cli_test_base.h"

namespace attune {
namespace {

using ::testing::HasSubstr;

std::string Models() { return std::string(ATTUNE_SOURCE_DIR) + "/models/"; }

class ConvertTest : public CliTestBase {
 protected:
  // Runs `attune ARGS` in the temp dir; returns the exit code and keeps
  // stdout/stderr in out_/err_.
  int Attune(const std::string& args) {
    const CliResult r = CliTestBase::Attune(args);
    out_ = r.out;
    err_ = r.err;
    return r.code;
  }

  std::string out_, err_;
};

TEST_F(ConvertTest, EmbedderRunMatchesCppApi) {
  // The cat photo, resized to 96x96 and scaled to [0, 1].
  absl::StatusOr<Array> image = ReadImage(Models() + "images/cat.bmp");
  ASSERT_TRUE(image.ok()) << image.status();
  absl::StatusOr<Array> x = ResizeBilinear(*image, 96, 96);
  ASSERT_TRUE(x.ok());
  for (float& v : x->mutable_values<float>()) v /= 255.0f;
  x->shape.insert(x->shape.begin(), 1);
  ASSERT_TRUE(WriteNpy(dir_ + "/x.npy", *x).ok());

  ASSERT_EQ(Attune(absl::StrCat("convert '", Models(),
                                "mobilenet_v2_035_96_embedder.tflite' -o "
                                "embedder.attune")),
            0)
      << err_;
  EXPECT_THAT(out_, HasSubstr("signatures serving_default"));
  ASSERT_EQ(Attune("info embedder.attune"), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("keras_layer_input  float32  [-1,96,96,3]"));
  ASSERT_EQ(Attune("run embedder.attune --signature serving_default "
                   "--input keras_layer_input=x.npy --output-dir ."),
            0)
      << err_;
  absl::StatusOr<Array> cli = ReadNpy(dir_ + "/keras_layer.npy");
  ASSERT_TRUE(cli.ok()) << cli.status();

  // The same through the C++ API.
  absl::StatusOr<Graph> graph = tflite::ImportTfliteFile(
      Models() + "mobilenet_v2_035_96_embedder.tflite");
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto model = Model::FromGraph(*std::move(graph));
  ASSERT_TRUE(model.ok());
  auto interp = Interpreter::Create(*model);
  ASSERT_TRUE(interp.ok());
  auto runner = (*interp)->GetSignatureRunner("serving_default");
  ASSERT_TRUE(runner.ok());
  ASSERT_TRUE((*runner)->AllocateTensors().ok());
  ASSERT_TRUE(
      (*runner)->SetInput<float>("keras_layer_input", x->values<float>()).ok());
  ASSERT_TRUE((*runner)->Invoke().ok());
  auto api = (*runner)->typed_output<float>("keras_layer");
  ASSERT_TRUE(api.ok());
  ASSERT_EQ(cli->num_elements(), 1280);
  for (int i = 0; i < 1280; ++i) {
    // Same kernels, same order of operations: bit-identical.
    EXPECT_EQ(cli->values<float>()[i], (*api)[i]) << i;
  }
}

TEST_F(ConvertTest, FitDrivesTheModelsTrainSignature) {
  ASSERT_EQ(Attune(absl::StrCat("convert '", Models(),
                                "tflite_testdata/flutter_training_model.tflite'"
                                " -o flutter.attune")),
            0)
      << err_;
  // y = 2x - 1 on 12 points.
  std::vector<float> xv, yv;
  for (int i = 0; i < 12; ++i) {
    xv.push_back(-2.0f + 0.4f * i);
    yv.push_back(2 * xv.back() - 1);
  }
  const Array xs = *Array::From<float>({12, 1}, xv);
  const Array ys = *Array::From<float>({12, 1}, yv);
  ASSERT_TRUE(WriteNpy(dir_ + "/x.npy", xs).ok());
  ASSERT_TRUE(WriteNpy(dir_ + "/y.npy", ys).ok());
  ASSERT_EQ(Attune("fit flutter.attune --x x.npy --y y.npy --batch-size 1 "
                   "--epochs 15 --no-shuffle --log log.csv"),
            0)
      << err_;
  std::vector<std::string> lines =
      absl::StrSplit(Slurp(Path("log.csv")), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u + 15 * 12);
  const auto loss = [&](size_t line) {
    std::vector<std::string> cells = absl::StrSplit(lines[line], ',');
    return std::stod(cells[2]);
  };
  EXPECT_LT(loss(lines.size() - 1), 1e-3 * loss(1));
}

TEST_F(ConvertTest, TrainableHeadOnEmbedder) {
  std::ofstream(dir_ + "/head.json") << R"([
    {"type": "dense", "name": "head_1", "units": 8, "activation": "relu"},
    {"type": "dense", "name": "head_2", "units": 2}])";
  ASSERT_EQ(Attune(absl::StrCat("convert '", Models(),
                                "mobilenet_v2_035_96_embedder.tflite' -o "
                                "w4.attune --trainable-head head.json")),
            0)
      << err_;
  EXPECT_THAT(out_, HasSubstr("signatures infer, train, eval"));
  ASSERT_EQ(Attune("info w4.attune"), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("head_1/kernel"));
  EXPECT_THAT(out_, HasSubstr("output  probabilities"));
  // --train-from alone is a usage error; an unknown tensor a runtime one.
  EXPECT_EQ(Attune(absl::StrCat("convert '", Models(),
                                "mobilenet_v2_035_96_embedder.tflite' -o "
                                "x.attune --train-from foo")),
            2);
  EXPECT_EQ(Attune(absl::StrCat("convert '", Models(),
                                "mobilenet_v2_035_96_embedder.tflite' -o "
                                "x.attune --trainable-head head.json "
                                "--train-from nope")),
            1);
  EXPECT_THAT(err_, HasSubstr("no tensor named \"nope\""));
}

TEST_F(ConvertTest, Errors) {
  EXPECT_EQ(Attune("convert --help"), 0);
  EXPECT_THAT(out_, HasSubstr("--trainable-head"));
  EXPECT_EQ(Attune("convert missing.tflite"), 2);  // no -o
  EXPECT_EQ(Attune("convert missing.tflite -o out.attune"), 1);
  EXPECT_THAT(err_, HasSubstr("missing.tflite"));
  std::ofstream(dir_ + "/bad.tflite") << "not a flatbuffer at all";
  EXPECT_EQ(Attune("convert bad.tflite -o out.attune"), 1);
  EXPECT_THAT(err_, HasSubstr("TFL3"));
}

}  // namespace
}  // namespace attune
