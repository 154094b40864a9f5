// The library part of `attune ckpt`: statistics, summaries of damaged
// checkpoints, diffs, export/import round trips, detailed verification,
// histories and charts.

#include "checkpoint/inspect.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "checkpoint/checkpoint.h"
#include "checkpoint/history_chart.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/checkpoint/test_models.h"
#include "tests/checkpoint/test_util.h"
#include "zlib.h"

namespace attune {
namespace {

using ::attune::testing::Bytes;
using ::attune::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kTol = 1e-12;

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::unique_ptr<CheckpointStore> OpenStore(const std::string& path) {
  auto store = CheckpointStore::Open(path);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

TEST(TensorStatsTest, FloatStatsSkipNanAndInf) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> v = {1, 2, 3, 4, std::nanf(""), -inf};
  auto s = ComputeTensorStats(DType::kFloat32, Bytes(v));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->count, 6);
  EXPECT_EQ(s->nan_count, 1);
  EXPECT_EQ(s->inf_count, 1);
  EXPECT_NEAR(s->min, 1, kTol);
  EXPECT_NEAR(s->max, 4, kTol);
  EXPECT_NEAR(s->mean, 2.5, kTol);
  EXPECT_NEAR(s->std, std::sqrt(1.25), kTol);  // population std of 1..4
  EXPECT_NEAR(s->l2, std::sqrt(30.0), kTol);
}

TEST(TensorStatsTest, IntegerBoolAndHalf) {
  const std::vector<int64_t> ints = {-5, 7};
  auto s = ComputeTensorStats(DType::kInt64, Bytes(ints));
  ASSERT_TRUE(s.ok());
  EXPECT_NEAR(s->min, -5, kTol);
  EXPECT_NEAR(s->mean, 1, kTol);
  const std::vector<uint8_t> bools = {1, 0, 1, 1};
  s = ComputeTensorStats(DType::kBool, bools);
  ASSERT_TRUE(s.ok());
  EXPECT_NEAR(s->mean, 0.75, kTol);
  // binary16: 1.0, -2.0, +inf, a subnormal (2^-24).
  const std::vector<uint16_t> halves = {0x3c00, 0xc000, 0x7c00, 0x0001};
  s = ComputeTensorStats(DType::kFloat16, Bytes(halves));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->inf_count, 1);
  EXPECT_NEAR(s->min, -2, kTol);
  EXPECT_NEAR(s->max, 1, kTol);
  EXPECT_NEAR(s->l2, std::sqrt(5.0 + std::ldexp(1.0, -48)), kTol);
}

TEST(TensorStatsTest, AllNanGivesNanStatsAndBadInputsFail) {
  const std::vector<float> nans = {std::nanf(""), std::nanf("")};
  auto s = ComputeTensorStats(DType::kFloat32, Bytes(nans));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->nan_count, 2);
  EXPECT_TRUE(std::isnan(s->mean));
  const std::vector<uint8_t> odd(5);
  EXPECT_EQ(ComputeTensorStats(DType::kFloat32, odd).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ComputeTensorStats(DType::kString, {}).status().code(),
            absl::StatusCode::kUnimplemented);
}

// Two tensors "a" (distinct float pattern) and "b"; returns the id.
int64_t WriteAb(CheckpointStore& store, const std::vector<float>& a,
                const std::vector<float>& b, int64_t step) {
  CheckpointToWrite c;
  c.step = step;
  c.tensors = {
      {"layer/a", DType::kFloat32, {static_cast<int64_t>(a.size())}, Bytes(a)},
      {"b", DType::kFloat32, {static_cast<int64_t>(b.size())}, Bytes(b)}};
  auto id = store.Write(c);
  EXPECT_TRUE(id.ok()) << id.status();
  return id.value_or(-1);
}

std::vector<float> Pattern(float base, size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = base + 0.25f * static_cast<float>(i);
  return v;
}

// Flips one bit 4000 bytes into the data that starts with `first`.
void FlipBitAfter(const std::string& db, float first) {
  std::string bytes = ReadFile(db);
  const size_t at = bytes.find(
      std::string(reinterpret_cast<const char*>(&first), sizeof(first)));
  ASSERT_NE(at, std::string::npos);
  bytes[at + 4000] ^= 0x10;
  WriteFile(db, bytes);
}

TEST(SummarizeCheckpointTest, DamagedTensorIsNamedOthersStillSummarized) {
  TempDir dir;
  const std::string db = dir.File("d.db");
  int64_t id = 0;
  {
    auto store = OpenStore(db);
    id = WriteAb(*store, Pattern(1, 4), Pattern(1000.5f, 8192), 1);
  }  // closing folds the WAL into the file
  FlipBitAfter(db, 1000.5f);
  auto store = OpenStore(db);
  auto summary = SummarizeCheckpoint(*store, id);
  ASSERT_TRUE(summary.ok()) << summary.status();
  ASSERT_EQ(summary->size(), 2u);
  const TensorSummary& a = (*summary)[0];
  EXPECT_EQ(a.record.name, "layer/a");
  EXPECT_TRUE(a.status.ok());
  ASSERT_TRUE(a.stats.has_value());
  EXPECT_NEAR(a.stats->max, 1.75, kTol);
  const TensorSummary& b = (*summary)[1];
  EXPECT_EQ(b.status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(b.status.message(), HasSubstr("\"b\""));
  EXPECT_FALSE(b.stats.has_value());
  EXPECT_EQ(SummarizeCheckpoint(*store, 99).status().code(),
            absl::StatusCode::kNotFound);

  auto verify = VerifyDetailed(*store);
  ASSERT_TRUE(verify.ok()) << verify.status();
  EXPECT_THAT(verify->report.damaged, ElementsAre(id));
  ASSERT_EQ(verify->damaged_tensors.size(), 1u);
  EXPECT_EQ(verify->damaged_tensors[0].name, "b");
  EXPECT_THAT(verify->damaged_tensors[0].problem, HasSubstr("checksum"));
}

TEST(DiffCheckpointsTest, ChangedSameAddedRemovedReshaped) {
  TempDir dir;
  auto store = OpenStore(dir.File("diff.db"));
  const std::vector<float> w_a = {1, 2, 3}, w_b = {1, 2, 5}, same = {4},
                           r_a = {1}, r_b = {1, 2};
  CheckpointToWrite a;
  a.tensors = {{"w", DType::kFloat32, {3}, Bytes(w_a)},
               {"same", DType::kFloat32, {1}, Bytes(same)},
               {"r", DType::kFloat32, {1}, Bytes(r_a)},
               {"gone", DType::kFloat32, {1}, Bytes(same)}};
  CheckpointToWrite b;
  b.tensors = {{"new", DType::kFloat32, {1}, Bytes(same)},
               {"r", DType::kFloat32, {2}, Bytes(r_b)},
               {"same", DType::kFloat32, {1}, Bytes(same)},
               {"w", DType::kFloat32, {3}, Bytes(w_b)}};
  const int64_t ia = *store->Write(a), ib = *store->Write(b);
  auto diffs = DiffCheckpoints(*store, ia, *store, ib);
  ASSERT_TRUE(diffs.ok()) << diffs.status();
  ASSERT_EQ(diffs->size(), 5u);
  const TensorDiff& w = (*diffs)[0];
  EXPECT_EQ(w.name, "w");
  EXPECT_EQ(w.kind, TensorDiff::Kind::kChanged);
  EXPECT_NEAR(w.l2_diff, 2, kTol);
  EXPECT_NEAR(w.l2_a, std::sqrt(14.0), kTol);
  EXPECT_NEAR(w.relative, 2 / std::sqrt(14.0), kTol);
  EXPECT_EQ(w.elements_changed, 1);
  EXPECT_EQ((*diffs)[1].kind, TensorDiff::Kind::kSame);
  EXPECT_EQ((*diffs)[1].relative, 0);
  EXPECT_EQ((*diffs)[2].kind, TensorDiff::Kind::kReshaped);
  EXPECT_EQ((*diffs)[3].name, "gone");
  EXPECT_EQ((*diffs)[3].kind, TensorDiff::Kind::kRemoved);
  EXPECT_EQ((*diffs)[4].name, "new");
  EXPECT_EQ((*diffs)[4].kind, TensorDiff::Kind::kAdded);
  EXPECT_EQ(TensorDiffKindName((*diffs)[4].kind), "added");
}

TEST(DiffCheckpointsTest, AcrossTwoDatabasesAndFromZero) {
  TempDir dir;
  auto one = OpenStore(dir.File("one.db"));
  auto two = OpenStore(dir.File("two.db"));
  const int64_t ia = WriteAb(*one, {0, 0}, {1}, 1);
  const int64_t ib = WriteAb(*two, {3, 4}, {1}, 2);
  auto diffs = DiffCheckpoints(*one, ia, *two, ib);
  ASSERT_TRUE(diffs.ok()) << diffs.status();
  EXPECT_NEAR((*diffs)[0].l2_diff, 5, kTol);
  EXPECT_TRUE(std::isinf((*diffs)[0].relative));
  EXPECT_EQ(DiffCheckpoints(*one, ia, *two, 77).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ExportImportTest, ModelRoundTripIsExact) {
  TempDir dir;
  const std::string db = dir.File("model.db");
  auto interpreter = attune::testing::SmallInterpreter();
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  attune::testing::FillVariables((*interpreter)->variables(), 0.5f);
  auto saved = Save(**interpreter, db);
  ASSERT_TRUE(saved.ok()) << saved.status();

  auto store = OpenStore(db);
  auto arrays = CheckpointArrays(*store, *saved);
  ASSERT_TRUE(arrays.ok()) << arrays.status();
  ASSERT_EQ(arrays->size(),
            static_cast<size_t>((*interpreter)->variables().size()));
  EXPECT_EQ((*arrays)[0].first, "dense_1/kernel");
  EXPECT_EQ((*arrays)[0].second.shape, (Shape{4, 8}));

  // Through .npz bytes, then weights changed "in numpy" and stored as
  // float64 (numpy's default): import converts them back exactly.
  const std::string npz = dir.File("w.npz");
  ASSERT_TRUE(WriteNpz(npz, *arrays).ok());
  auto read = ReadNpz(npz);
  ASSERT_TRUE(read.ok()) << read.status();
  NamedArrays weights;
  std::vector<float> expected_kernel;
  for (auto& [name, array] : *read) {
    if (name.find("adam") != std::string::npos ||
        name.rfind("optimizer/", 0) == 0) {
      continue;  // weights only: the optimizer state stays as it is
    }
    Array f64;
    f64.dtype = ArrayDType::kFloat64;
    f64.shape = array.shape;
    std::vector<double> values;
    for (float v : array.values<float>()) values.push_back(2.0 * v + 1.0);
    f64.bytes.resize(values.size() * sizeof(double));
    std::memcpy(f64.bytes.data(), values.data(), f64.bytes.size());
    if (name == "dense_1/kernel") {
      for (double v : values) expected_kernel.push_back(static_cast<float>(v));
    }
    weights.emplace_back(name, std::move(f64));
  }
  ImportOptions options;
  options.step = 42;
  options.model_variables = (*interpreter)->model().graph().variables;
  auto imported = ImportArrays(*store, weights, options);
  ASSERT_TRUE(imported.ok()) << imported.status();

  attune::testing::FillVariables((*interpreter)->variables(), 9.0f);
  auto restored = Restore(**interpreter, db, absl::StrCat(*imported));
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->step, 42);
  auto kernel = (*interpreter)->variables().Get<float>("dense_1/kernel");
  ASSERT_TRUE(kernel.ok());
  ASSERT_EQ(kernel->size(), expected_kernel.size());
  for (size_t i = 0; i < expected_kernel.size(); ++i) {
    EXPECT_EQ((*kernel)[i], expected_kernel[i]) << i;  // bit-exact copy
  }
}

TEST(ExportImportTest, ImportChecksTheModel) {
  TempDir dir;
  auto model = attune::testing::SmallModel();
  ASSERT_TRUE(model.ok()) << model.status();
  auto store = OpenStore(dir.File("i.db"));
  ImportOptions options;
  options.model_variables = (*model)->graph().variables;
  auto wrong = Array::From<float>({2}, std::vector<float>{1, 2});
  ASSERT_TRUE(wrong.ok());
  NamedArrays arrays = {{"dense_1/kernel", *wrong}};
  absl::Status s = ImportArrays(*store, arrays, options).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("dense_1/kernel"));
  arrays = {{"nope", *wrong}};
  s = ImportArrays(*store, arrays, options).status();
  EXPECT_THAT(s.message(), HasSubstr("\"nope\" is not a variable"));
  // Without a model: anything goes, fingerprint "".
  auto id = ImportArrays(*store, arrays, ImportOptions{});
  ASSERT_TRUE(id.ok()) << id.status();
  auto info = store->Find(absl::StrCat(*id));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->fingerprint, "");
  EXPECT_EQ(info->num_tensors, 1);
}

TEST(ExportImportTest, NominalCannotExport) {
  TempDir dir;
  auto model = attune::testing::SmallModel();
  ASSERT_TRUE(model.ok());
  const std::string db = dir.File("n.db");
  auto id = SaveNominal(**model, db);
  ASSERT_TRUE(id.ok()) << id.status();
  auto store = OpenStore(db);
  EXPECT_EQ(CheckpointArrays(*store, *id).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ExportImportTest, NpyDirAndCsv) {
  EXPECT_EQ(NpyFileNameFor("dense_1/kernel"), "dense_1__kernel.npy");
  EXPECT_EQ(NpyFileNameFor("a b"), "a_b.npy");
  EXPECT_EQ(NpyFileNameFor(".."), "_...npy");
  auto x = Array::From<float>({2}, std::vector<float>{0.1f, -2});
  // 2^53 + 1: exact only when printed as an integer.
  auto n = Array::From<int64_t>({}, std::vector<int64_t>{9007199254740993});
  ASSERT_TRUE(x.ok() && n.ok());
  NamedArrays arrays = {{"l/x", *x}, {"a,b", *n}};
  TempDir dir;
  ASSERT_TRUE(WriteArraysCsv(dir.File("w.csv"), arrays).ok());
  EXPECT_EQ(ReadFile(dir.File("w.csv")),
            "variable,index,value\nl/x,0,0.100000001\nl/x,1,-2\n"
            "\"a,b\",0,9007199254740993\n");
  EXPECT_EQ(WriteArraysCsv(dir.File("no/such/dir/w.csv"), arrays).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(WriteNpyDir(dir.File("out"), arrays).ok());
  auto back = ReadNpy(dir.File("out/l__x.npy"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->bytes, x->bytes);
  NamedArrays clash = {{"a/b", *x}, {"a__b", *x}};
  EXPECT_EQ(WriteNpyDir(dir.File("clash"), clash).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PropertyHistoryTest, NumericPropertiesInOrder) {
  TempDir dir;
  auto store = OpenStore(dir.File("h.db"));
  for (int k = 0; k < 3; ++k) {
    CheckpointToWrite c;
    c.step = 10 * (k + 1);
    if (k != 1) c.properties["loss"] = 1.0 / (k + 1);
    if (k == 2) c.properties["epoch"] = int64_t{3};
    c.properties["note"] = std::string("x");
    ASSERT_TRUE(store->Write(c).ok());
  }
  auto loss = PropertyHistory(*store, "loss");
  ASSERT_TRUE(loss.ok()) << loss.status();
  ASSERT_EQ(loss->size(), 2u);
  EXPECT_EQ((*loss)[1].checkpoint_id, 3);
  EXPECT_EQ((*loss)[1].step, 30);
  EXPECT_NEAR((*loss)[1].value, 1.0 / 3, kTol);
  auto step = PropertyHistory(*store, "step");
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(step->size(), 3u);
  EXPECT_EQ(PropertyHistory(*store, "note").status().code(),
            absl::StatusCode::kInvalidArgument);
  auto none = PropertyHistory(*store, "missing");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(HistoryChartTest, TextChartPlotsEveryPoint) {
  const std::vector<ChartPoint> points = {{1, 2.0}, {2, 1.0}, {3, 0.5}};
  auto chart = TextChart(points, {"loss", "step"}, 20, 5);
  ASSERT_TRUE(chart.ok()) << chart.status();
  EXPECT_EQ(std::count(chart->begin(), chart->end(), '*'), 3);
  EXPECT_THAT(*chart, HasSubstr("loss\n"));
  // Highest value on the first plot row, lowest on the last.
  std::vector<std::string> lines = absl::StrSplit(*chart, '\n');
  EXPECT_THAT(lines[1], HasSubstr("2 |*"));
  EXPECT_THAT(lines[5], HasSubstr("0.5 |"));
  EXPECT_EQ(lines[5].back(), '*');
  EXPECT_FALSE(TextChart({}, {}).ok());
  EXPECT_FALSE(TextChart({{0, NAN}}, {}).ok());
  // Labels wider than the plot still lay out.
  auto narrow = TextChart({{-1234567.5, 1e-30}, {7654321.25, 2e30}},
                          {"t", "a long x axis label"}, 2, 2);
  ASSERT_TRUE(narrow.ok());
  EXPECT_THAT(*narrow, HasSubstr("-1.23457e+06  7.65432e+06\n"));
  EXPECT_LT(narrow->size(), 200u);
  // One point (flat ranges) still plots.
  auto one = TextChart({{5, 5}}, {}, 10, 3);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(std::count(one->begin(), one->end(), '*'), 1);
}

TEST(HistoryChartTest, SvgAndPng) {
  const std::vector<ChartPoint> points = {{1, 2.0}, {2, 1.0}, {3, 0.5}};
  auto svg = SvgChart(points, {"a<b", "step"});
  ASSERT_TRUE(svg.ok());
  EXPECT_THAT(*svg, HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(*svg, HasSubstr("a&lt;b"));
  // The line's first point is top-left of the plot, the last bottom-right.
  EXPECT_THAT(*svg, HasSubstr("points=\"80.00,40.00 350.00,"));
  EXPECT_THAT(*svg, HasSubstr(" 620.00,350.00\""));

  auto png = PngChart(points);
  ASSERT_TRUE(png.ok());
  ASSERT_GT(png->size(), 57u);
  EXPECT_EQ(png->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(png->substr(12, 4), "IHDR");
  // IDAT inflates to 400 rows of 1 + 640 * 3 bytes.
  const size_t idat = png->find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  const unsigned char* p =
      reinterpret_cast<const unsigned char*>(png->data()) + idat - 4;
  const uLong length = (uLong{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
  std::vector<Bytef> raw(400 * (1 + 640 * 3) + 1);
  uLongf raw_size = raw.size();
  ASSERT_EQ(uncompress(raw.data(), &raw_size,
                       reinterpret_cast<const Bytef*>(png->data() + idat + 4),
                       length),
            Z_OK);
  EXPECT_EQ(raw_size, 400u * (1 + 640 * 3));
  // CRC of the IHDR chunk (type + 13 data bytes).
  const uLong crc =
      crc32_z(0, reinterpret_cast<const Bytef*>(png->data() + 12), 17);
  const unsigned char* c =
      reinterpret_cast<const unsigned char*>(png->data()) + 29;
  EXPECT_EQ(crc, (uLong{c[0]} << 24) | (c[1] << 16) | (c[2] << 8) | c[3]);
}

}  // namespace
}  // namespace attune
