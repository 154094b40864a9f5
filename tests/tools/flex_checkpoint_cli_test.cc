// End to end on the command line: `attune convert` of a TFLite training
// model with Flex Save/Restore signatures (tests/importers/
// flex_checkpoint_model.h), `attune run ... --signature save` writing an
// attune checkpoint database, `attune ckpt show/export` reading it, and
// `--signature restore` reading it back.

#include <fstream>
#include <string>
#include <vector>

#include "data/npz.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/importers/flex_checkpoint_model.h"
#include "tests/tools/cli_test_base.h"

namespace attune {
namespace {

using ::testing::HasSubstr;

class FlexCheckpointCliTest : public CliTestBase {};

TEST_F(FlexCheckpointCliTest, ConvertRunSaveShowExportRestore) {
  const std::vector<uint8_t> file = tflite::FlexCheckpointModel();
  Write("m.tflite", std::string(file.begin(), file.end()));
  CliResult r = Attune("convert m.tflite -o m.attune");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("save"));
  EXPECT_THAT(r.out, HasSubstr("restore"));

  r = Attune("run m.attune --signature save --input checkpoint_path=@x.db");
  ASSERT_EQ(r.code, 0) << r.err;

  r = Attune("ckpt show x.db");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("dense/kernel:0"));
  EXPECT_THAT(r.out, HasSubstr("dense/bias:0"));
  EXPECT_THAT(r.out, HasSubstr("[2,3]"));

  r = Attune("ckpt export x.db --format npz -o x.npz");
  ASSERT_EQ(r.code, 0) << r.err;
  auto arrays = ReadNpz(Path("x.npz"));
  ASSERT_TRUE(arrays.ok()) << arrays.status();
  ASSERT_EQ(arrays->size(), 2u);
  EXPECT_EQ((*arrays)[0].first, "dense/kernel:0");
  EXPECT_EQ((*arrays)[0].second.shape, Shape({2, 3}));
  const uint8_t* init = reinterpret_cast<const uint8_t*>(tflite::kInitKernel);
  EXPECT_EQ((*arrays)[0].second.bytes,
            std::vector<uint8_t>(init, init + sizeof(tflite::kInitKernel)));
  EXPECT_EQ((*arrays)[1].first, "dense/bias:0");
  EXPECT_EQ((*arrays)[1].second.shape, Shape({3}));

  r = Attune("run m.attune --signature restore --input checkpoint_path=@x.db");
  EXPECT_EQ(r.code, 0) << r.err;
  // A missing database: exit 1, one line naming it, no file left behind.
  r = Attune(
      "run m.attune --signature restore --input checkpoint_path=@none.db");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("none.db"));
  EXPECT_FALSE(std::ifstream(Path("none.db")).good());
}

}  // namespace
}  // namespace attune
