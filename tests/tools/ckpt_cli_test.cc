// `attune ckpt`: runs the built binary (ATTUNE_CLI_PATH) on checkpoint
// databases written by the store and by `attune run --checkpoint`, and
// checks outputs, files and exit codes (0 ok, 1 runtime failure / not
// found, 2 usage, 3 corrupt).

#include <sys/wait.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "checkpoint/store.h"
#include "data/npy.h"
#include "data/npz.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/tools/cli_test_base.h"

namespace attune {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

using Result = CliResult;

template <typename T>
absl::Span<const uint8_t> Bytes(const std::vector<T>& v) {
  return {reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(T)};
}

// 16384 floats starting at `base` (distinct per checkpoint, 64 KiB).
std::vector<float> Values(float base) {
  std::vector<float> v(16384);
  for (size_t i = 0; i < v.size(); ++i) v[i] = base + 0.001f * i;
  return v;
}

class CkptCliTest : public CliTestBase {
 protected:
  // Three checkpoints: "dense/kernel" [16384] (Values(k)) and "step" [],
  // properties loss = 1/k and epoch = k; checkpoint 2 is tagged "best".
  void WriteThree(const std::string& name) {
    auto store = CheckpointStore::Open(Path(name));
    ASSERT_TRUE(store.ok()) << store.status();
    for (int k = 1; k <= 3; ++k) {
      const std::vector<float> w = Values(static_cast<float>(k));
      const std::vector<int64_t> step = {10 * k};
      CheckpointToWrite c;
      c.step = 10 * k;
      c.tag = k == 2 ? "best" : "";
      c.properties = {{"loss", 1.0 / k}, {"epoch", int64_t{k}}};
      c.tensors = {{"dense/kernel", DType::kFloat32, {16384}, Bytes(w)},
                   {"step", DType::kInt64, {}, Bytes(step)}};
      ASSERT_TRUE((*store)->Write(c).ok());
    }
  }

  // Flips one bit in the data of checkpoint k (k = 1..3 of WriteThree).
  void FlipBit(const std::string& name, int k) {
    std::string bytes = Slurp(Path(name));
    const float first = static_cast<float>(k);
    const size_t at = bytes.find(
        std::string(reinterpret_cast<const char*>(&first), sizeof(first)));
    ASSERT_NE(at, std::string::npos);
    bytes[at + 4000] ^= 0x10;
    std::ofstream(Path(name), std::ios::binary | std::ios::trunc) << bytes;
  }

  std::string dir_;
};

nlohmann::json ParseJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << text;
  return j;
}

TEST_F(CkptCliTest, HelpOnEverySubcommand) {
  Result r = Attune("ckpt --help");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("3 corrupt data"));
  for (const char* sub : {"ls", "show", "diff", "export", "import", "verify",
                          "prune", "tag", "history"}) {
    r = Attune(absl::StrCat("ckpt ", sub, " --help"));
    EXPECT_EQ(r.code, 0) << sub << ": " << r.err;
    EXPECT_THAT(r.out, HasSubstr(absl::StrCat("ckpt ", sub))) << sub;
    EXPECT_THAT(r.out, HasSubstr("--json")) << sub;
  }
}

TEST_F(CkptCliTest, UsageErrorsExitTwo) {
  WriteThree("c.db");
  for (const char* args :
       {"ckpt", "ckpt bogus c.db", "ckpt ls", "ckpt ls c.db --nope",
        "ckpt export c.db --format xml -o f", "ckpt export c.db --format npz",
        "ckpt prune c.db --keep 0", "ckpt prune c.db", "ckpt tag c.db 1",
        "ckpt tag c.db 1 x --clear", "ckpt diff c.db 1",
        "ckpt history c.db --property loss --plot a.gif",
        "ckpt history c.db --property loss --x time", "ckpt history c.db"}) {
    Result r = Attune(args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.out << r.err;
    EXPECT_THAT(r.err, StartsWith("attune: ")) << args;
  }
}

TEST_F(CkptCliTest, NotFoundExitsOneWithOneLine) {
  WriteThree("c.db");
  for (const char* args :
       {"ckpt ls missing.db", "ckpt show c.db 99", "ckpt show c.db nosuchtag",
        "ckpt verify missing.db", "ckpt diff c.db 1 99",
        "ckpt diff c.db 1 1 --db-b missing.db",
        "ckpt export c.db 7 --format npz -o x.npz",
        "ckpt prune missing.db --keep 1", "ckpt import c.db missing.npz",
        "ckpt history c.db --property nope"}) {
    Result r = Attune(args);
    EXPECT_EQ(r.code, 1) << args << ": " << r.out << r.err;
    EXPECT_THAT(r.err, StartsWith("attune: ")) << args;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  Result r = Attune("ckpt ls missing.db");
  EXPECT_EQ(r.err, "attune: missing.db: no such checkpoint database\n");
  EXPECT_FALSE(std::filesystem::exists(Path("missing.db")));
}

TEST_F(CkptCliTest, LsAndShow) {
  WriteThree("c.db");
  Result r = Attune("ckpt ls c.db");
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n');
  ASSERT_GE(lines.size(), 4u);
  EXPECT_THAT(lines[0],
              StartsWith("id  time (UTC)           step  tag   tensors  size"));
  EXPECT_THAT(lines[2],
              HasSubstr("  20    best  2        64.0 KiB  epoch=2 loss=0.5"));
  // Aligned: each column starts at the same offset in every row. (Not
  // find("10"): the time column before it may hold "10" too.)
  const size_t step_column = lines[0].find("step");
  ASSERT_NE(step_column, std::string::npos);
  EXPECT_EQ(lines[1].compare(step_column, 3, "10 "), 0) << lines[1];

  r = Attune("ckpt ls c.db --json");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = ParseJson(r.out);
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[1]["id"], 2);
  EXPECT_EQ(j[1]["tag"], "best");
  EXPECT_EQ(j[1]["step"], 20);
  EXPECT_EQ(j[1]["bytes"], 16384 * 4 + 8);
  EXPECT_EQ(j[1]["num_tensors"], 2);
  EXPECT_EQ(j[1]["properties"]["epoch"], 2);
  EXPECT_DOUBLE_EQ(j[1]["properties"]["loss"].get<double>(), 0.5);

  r = Attune("ckpt show c.db best");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("checkpoint 2  step 20  tag best  "));
  EXPECT_THAT(r.out, HasSubstr("dense/kernel  float32  [16384]  65536  2 "));
  EXPECT_THAT(r.out, HasSubstr("step          int64    []       8      20 "));
  EXPECT_THAT(r.out, HasSubstr("  ok\n"));

  r = Attune("ckpt show c.db --json");  // latest
  ASSERT_EQ(r.code, 0) << r.err;
  j = ParseJson(r.out);
  EXPECT_EQ(j["id"], 3);
  const nlohmann::json& t = j["tensors"][0];
  EXPECT_EQ(t["name"], "dense/kernel");
  EXPECT_EQ(t["shape"], nlohmann::json::array({16384}));
  EXPECT_EQ(t["checksum"], "ok");
  EXPECT_EQ(t["nan"], 0);
  EXPECT_NEAR(t["min"].get<double>(), 3.0, 1e-6);
  EXPECT_NEAR(t["max"].get<double>(), 3.0f + 0.001f * 16383, 1e-4);
  EXPECT_NEAR(t["mean"].get<double>(), 3.0 + 0.001 * 16383 / 2, 1e-3);
}

TEST_F(CkptCliTest, VerifyAndShowOnBitFlip) {
  WriteThree("c.db");
  Result r = Attune("ckpt verify c.db");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("3 intact, 0 damaged"));

  FlipBit("c.db", 3);
  r = Attune("ckpt verify c.db");
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_THAT(r.out,
              HasSubstr("checkpoint 3: DAMAGED\n  tensor \"dense/kernel\": "));
  EXPECT_THAT(r.out, HasSubstr("checksum mismatch"));
  EXPECT_THAT(r.out, HasSubstr("checkpoint 1: ok"));
  EXPECT_THAT(r.err, StartsWith("attune: "));
  r = Attune("ckpt verify c.db --json");
  EXPECT_EQ(r.code, 3);
  nlohmann::json j = ParseJson(r.out);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["damaged"], nlohmann::json::array({3}));
  EXPECT_EQ(j["intact"], nlohmann::json::array({1, 2}));
  EXPECT_EQ(j["damaged_tensors"][0]["tensor"], "dense/kernel");

  // The intact checkpoints still show; the damaged one shows what it can.
  r = Attune("ckpt show c.db 2");
  EXPECT_EQ(r.code, 0) << r.err;
  r = Attune("ckpt show c.db 3");
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.out, HasSubstr("dense/kernel  float32  [16384]  65536  -"));
  EXPECT_THAT(r.out, HasSubstr("DAMAGED"));
  EXPECT_THAT(r.out, HasSubstr("step          int64    []       8      30"));
  EXPECT_THAT(r.err, HasSubstr("1 damaged tensor(s)"));
  EXPECT_EQ(Attune("ckpt export c.db 3 --format npz -o x.npz").code, 3);
  EXPECT_EQ(Attune("ckpt export c.db 2 --format npz -o x.npz").code, 0);
}

TEST_F(CkptCliTest, VerifyOnTruncatedAndForeignFiles) {
  WriteThree("c.db");
  // Cut into the last checkpoint's pages: the first still shows.
  std::filesystem::resize_file(
      Path("c.db"), std::filesystem::file_size(Path("c.db")) - 40000);
  Result r = Attune("ckpt show c.db 1");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("  ok\n"));
  r = Attune("ckpt verify c.db");
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("checkpoint 1: ok"));
  EXPECT_THAT(r.out, HasSubstr("checkpoint 3: DAMAGED"));

  std::filesystem::resize_file(Path("c.db"), 1000);
  r = Attune("ckpt verify c.db");
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, StartsWith("attune: "));
  std::ofstream(Path("text.db")) << "this is not a database, it is a text file "
                                    "long enough to have a header page.....";
  EXPECT_EQ(Attune("ckpt ls text.db").code, 3);
}

TEST_F(CkptCliTest, Diff) {
  WriteThree("c.db");
  Result r = Attune("ckpt diff c.db 1 best");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("dense/kernel  changed"));
  EXPECT_THAT(r.out, HasSubstr("2 changed"));
  r = Attune("ckpt diff c.db 1 2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = ParseJson(r.out);
  const nlohmann::json& k = j["tensors"][0];
  EXPECT_EQ(k["status"], "changed");
  // Every element moved by exactly 1: L2 of the difference is sqrt(16384).
  EXPECT_NEAR(k["l2_diff"].get<double>(), 128.0, 1e-3);
  EXPECT_EQ(k["elements_changed"], 16384);

  // Across files: one tensor renamed, one reshaped.
  auto other = CheckpointStore::Open(Path("o.db"));
  ASSERT_TRUE(other.ok());
  const std::vector<float> w = Values(1);
  const std::vector<int64_t> s = {1, 2};
  CheckpointToWrite c;
  c.tensors = {{"dense/kernel", DType::kFloat32, {16384}, Bytes(w)},
               {"step", DType::kInt64, {2}, Bytes(s)},
               {"extra", DType::kInt64, {2}, Bytes(s)}};
  ASSERT_TRUE((*other)->Write(c).ok());
  r = Attune("ckpt diff c.db 1 latest --db-b o.db --json");
  ASSERT_EQ(r.code, 0) << r.err;
  j = ParseJson(r.out);
  EXPECT_EQ(j["tensors"][0]["status"], "same");
  EXPECT_EQ(j["tensors"][1]["status"], "reshaped");
  EXPECT_EQ(j["tensors"][2]["status"], "added");
  EXPECT_EQ(j["summary"]["same"], 1);
}

TEST_F(CkptCliTest, ExportFormats) {
  WriteThree("c.db");
  Result r = Attune("ckpt export c.db best --format npz -o w.npz");
  ASSERT_EQ(r.code, 0) << r.err;
  auto arrays = ReadNpz(Path("w.npz"));
  ASSERT_TRUE(arrays.ok()) << arrays.status();
  ASSERT_EQ(arrays->size(), 2u);
  EXPECT_EQ((*arrays)[0].first, "dense/kernel");
  const std::vector<float> expected = Values(2);
  EXPECT_EQ(
      (*arrays)[0].second.bytes,
      std::vector<uint8_t>(Bytes(expected).begin(), Bytes(expected).end()));
  EXPECT_EQ((*arrays)[1].second.shape, Shape{});

  r = Attune("ckpt export c.db --format npy-dir -o dir --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ParseJson(r.out)["variables"][0], "dense/kernel");
  auto kernel = ReadNpy(Path("dir/dense__kernel.npy"));
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  EXPECT_EQ(kernel->values<float>()[0], 3.0f);

  r = Attune("ckpt export c.db 1 --format csv -o w.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string csv = Slurp(Path("w.csv"));
  EXPECT_THAT(csv, StartsWith("variable,index,value\ndense/kernel,0,1\n"
                              "dense/kernel,1,1.00100005\n"));
  EXPECT_THAT(csv, HasSubstr("\nstep,0,10\n"));
}

// The tiny model of cli_test.cc: dense_a 3->4 relu, dense_b 4->2.
constexpr char kTinySpec[] = R"({
  "name": "tiny",
  "inputs": [{"name": "x", "shape": [-1, 3], "dtype": "float32"}],
  "layers": [
    {"type": "dense", "name": "dense_a", "units": 4, "activation": "relu"},
    {"type": "dense", "name": "dense_b", "units": 2}
  ],
  "seed": 5
})";

TEST_F(CkptCliTest, ImportThenRestoreIntoAModelIsExact) {
  std::ofstream(Path("tiny.json")) << kTinySpec;
  ASSERT_EQ(Attune("compile tiny.json -o tiny.attune").code, 0);
  // float64 weights, as numpy writes them by default.
  NamedArrays weights;
  std::vector<std::vector<float>> as_float;
  for (const auto& [name, shape] :
       std::vector<std::pair<std::string, Shape>>{{"dense_a/kernel", {3, 4}},
                                                  {"dense_a/bias", {4}},
                                                  {"dense_b/kernel", {4, 2}},
                                                  {"dense_b/bias", {2}}}) {
    std::vector<double> v(NumElements(shape));
    as_float.emplace_back();
    for (size_t i = 0; i < v.size(); ++i) {
      v[i] = 0.1 * static_cast<double>(i) - 0.35 + name.size();
      as_float.back().push_back(static_cast<float>(v[i]));
    }
    auto array = Array::From<double>(shape, v);
    ASSERT_TRUE(array.ok());
    weights.emplace_back(name, *array);
  }
  ASSERT_TRUE(WriteNpz(Path("w.npz"), weights).ok());

  // Wrong model shape: refused, nothing written.
  NamedArrays bad = {weights[1]};
  bad[0].first = "dense_a/kernel";
  ASSERT_TRUE(WriteNpz(Path("bad.npz"), bad).ok());
  Result r = Attune("ckpt import u.db bad.npz --model tiny.attune");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("\"dense_a/kernel\" is float32[4], the model's "
                               "variable is float32[3,4]"));

  r = Attune(
      "ckpt import u.db w.npz --model tiny.attune --tag imported --step 7");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("imported 4 arrays from w.npz as checkpoint 1"));
  auto x = Array::From<float>({1, 3}, std::vector<float>{1, 2, 3});
  ASSERT_TRUE(WriteNpy(Path("x.npy"), *x).ok());
  r = Attune(
      "run tiny.attune --input x=x.npy --output-dir out --checkpoint u.db");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("restored checkpoint 1 (step 7) from u.db"));
  EXPECT_THAT(r.out, HasSubstr("saved checkpoint 2"));
  // The checkpoint `run` saved holds exactly the imported weights.
  ASSERT_EQ(Attune("ckpt export u.db 2 --format npz -o back.npz").code, 0);
  auto back = ReadNpz(Path("back.npz"));
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ((*back)[i].first, weights[i].first);
    ASSERT_EQ((*back)[i].second.dtype, ArrayDType::kFloat32);
    const auto got = (*back)[i].second.values<float>();
    EXPECT_EQ(std::vector<float>(got.begin(), got.end()), as_float[i])
        << weights[i].first;
  }
  r = Attune("ckpt show u.db imported --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ParseJson(r.out)["properties"]["source"], "w.npz");
}

TEST_F(CkptCliTest, PruneAndTag) {
  WriteThree("c.db");
  ASSERT_TRUE(CheckpointStore::Open(Path("c.db")).ok());
  Result r = Attune("ckpt prune c.db --keep 1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "deleted 1 checkpoint(s): 1\n");  // 2 is tagged, 3 kept
  r = Attune("ckpt tag c.db 3 final");
  ASSERT_EQ(r.code, 0) << r.err;
  r = Attune("ckpt tag c.db best --clear --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ParseJson(r.out)["id"], 2);
  r = Attune("ckpt tag c.db final 123");
  EXPECT_EQ(r.code, 1) << r.err;  // all digits: an ambiguous selector
  r = Attune("ckpt ls c.db --json");
  nlohmann::json j = ParseJson(r.out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["tag"], "");
  EXPECT_EQ(j[1]["tag"], "final");
}

TEST_F(CkptCliTest, HistoryChartsAndJson) {
  WriteThree("c.db");
  Result r = Attune(
      "ckpt history c.db --property loss --x step --width 30 "
      "--height 6 --plot loss.svg");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '*'), 3);
  EXPECT_THAT(r.out, StartsWith("loss\n"));
  EXPECT_THAT(r.out, HasSubstr("plot: loss.svg"));
  EXPECT_THAT(Slurp(Path("loss.svg")), StartsWith("<svg "));
  r = Attune("ckpt history c.db --property epoch --plot e.PNG");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(Slurp(Path("e.PNG")), StartsWith("\x89PNG"));
  r = Attune("ckpt history c.db --property loss --json");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = ParseJson(r.out);
  ASSERT_EQ(j["points"].size(), 3u);
  EXPECT_EQ(j["points"][2]["step"], 30);
  EXPECT_NEAR(j["points"][2]["value"].get<double>(), 1.0 / 3, 1e-12);
}

}  // namespace
}  // namespace attune
