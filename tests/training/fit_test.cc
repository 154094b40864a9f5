// Fit on the hand-built classifier of test_models.h: learning, metrics,
// determinism, schedules, logs, accumulation, the NaN guard and errors.
#include "training/fit.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "builder/model_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/data/test_util.h"
#include "tests/training/test_models.h"

namespace attune {
namespace {

using ::testing::HasSubstr;

// n points in [-1, 1]^2, label 1 when x0 + x1 > 0, none within 0.1 of the
// boundary (linearly separable with a margin). Deterministic.
Dataset Separable(int64_t n, uint64_t seed, float nan_at = -1,
                  float scale = 1) {
  std::mt19937_64 rng(seed);
  auto uniform = [&] {
    return static_cast<float>((rng() >> 11) * 0x1.0p-53 * 2 - 1);
  };
  std::vector<float> x;
  std::vector<int32_t> y;
  while (static_cast<int64_t>(y.size()) < n) {
    const float a = uniform(), b = uniform();
    if (std::fabs(a + b) < 0.1f) continue;
    x.push_back(a * scale);
    x.push_back(b * scale);
    y.push_back(a + b > 0 ? 1 : 0);
  }
  if (nan_at >= 0) x[static_cast<size_t>(nan_at) * 2] = std::nanf("");
  return *Dataset::Create(*Array::From<float>({n, 2}, absl::MakeConstSpan(x)),
                          *Array::From<int32_t>({n}, absl::MakeConstSpan(y)));
}

std::unique_ptr<Interpreter> NewInterpreter(float lr = 0.5f,
                                            bool accumulate = true) {
  testing::ClassifierOptions o;
  o.learning_rate = lr;
  o.accumulate = accumulate;
  auto model = testing::BuildClassifier(o);
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return nullptr;
  auto interpreter = Interpreter::Create(*model);
  EXPECT_TRUE(interpreter.ok()) << interpreter.status();
  return interpreter.ok() ? *std::move(interpreter) : nullptr;
}

using Snapshot = std::vector<std::vector<uint8_t>>;

Snapshot Variables(const Interpreter& interpreter) {
  Snapshot s;
  const VariableStore& v = interpreter.variables();
  for (int i = 0; i < v.size(); ++i) {
    const uint8_t* p = static_cast<const uint8_t*>(v.tensor(i).data);
    s.emplace_back(p, p + v.tensor(i).bytes);
  }
  return s;
}

FitOptions Quiet() {
  FitOptions o;
  o.progress = ProgressMode::kNone;
  return o;
}

TEST(FitTest, LearnsASeparableTaskAndReportsMetrics) {
  auto interpreter = NewInterpreter();
  ASSERT_NE(interpreter, nullptr);
  const Dataset train = Separable(160, 1);
  const Dataset validation = Separable(64, 2);
  auto before = Evaluate(*interpreter, train, 50);
  ASSERT_TRUE(before.ok()) << before.status();
  FitOptions o = Quiet();
  o.epochs = 20;
  o.batch_size = 16;
  o.seed = 3;
  std::vector<EpochMetrics> seen;
  o.on_epoch = [&](const EpochMetrics& m) { seen.push_back(m); };
  auto result = Fit(*interpreter, train, o, &validation);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->epochs.size(), 20u);
  EXPECT_EQ(seen.size(), 20u);
  EXPECT_EQ(result->steps, 20 * 10);
  EXPECT_EQ(result->samples, 20 * 160);
  EXPECT_FALSE(result->reached_max_steps);
  const EpochMetrics& last = result->epochs.back();
  // Loss falls by more than half; a linear model fits this task.
  EXPECT_LT(last.loss, 0.5 * before->loss)
      << before->loss << " -> " << last.loss;
  EXPECT_LT(last.loss, result->epochs.front().loss);
  ASSERT_TRUE(last.accuracy.has_value());
  EXPECT_GT(*last.accuracy, 0.95);
  ASSERT_TRUE(last.validation.has_value());
  ASSERT_TRUE(last.validation->accuracy.has_value());
  EXPECT_GT(*last.validation->accuracy, 0.9);
  EXPECT_EQ(last.validation->samples, 64);
  // The last validation is the model as it is now.
  auto after = Evaluate(*interpreter, validation, 7);
  ASSERT_TRUE(after.ok());
  EXPECT_NEAR(after->loss, last.validation->loss, 1e-6);
  EXPECT_NEAR(*after->accuracy, *last.validation->accuracy, 1e-9);
  // The optimizer step counter counts the steps.
  EXPECT_EQ(interpreter->variables().Get<int64_t>("optimizer/step")->at(0),
            200);
  EXPECT_THAT(FormatEpoch(last, 20), HasSubstr("epoch 20/20  loss "));
  EXPECT_THAT(FormatEpoch(last, 20), HasSubstr("val_accuracy"));
}

TEST(FitTest, EvaluateMatchesAReferenceComputation) {
  auto interpreter = NewInterpreter();
  ASSERT_NE(interpreter, nullptr);
  const Dataset data = Separable(13, 5);
  auto m = Evaluate(*interpreter, data, 4);  // batches 4, 4, 4, 1
  ASSERT_TRUE(m.ok()) << m.status();
  auto w = *interpreter->variables().Get<float>("dense/kernel");
  auto b = *interpreter->variables().Get<float>("dense/bias");
  double loss = 0, correct = 0;
  for (int64_t i = 0; i < data.size(); ++i) {
    float x[2];
    int32_t y;
    std::memcpy(x, data.feature(i), 8);
    std::memcpy(&y, data.label(i), 4);
    double z[2];
    for (int c = 0; c < 2; ++c) z[c] = b[c] + x[0] * w[c] + x[1] * w[2 + c];
    const double mx = std::max(z[0], z[1]);
    const double lse = mx + std::log(std::exp(z[0] - mx) + std::exp(z[1] - mx));
    loss += lse - z[y];
    correct += ((z[1] > z[0]) ? 1 : 0) == y;
  }
  EXPECT_NEAR(m->loss, loss / 13, 1e-5);
  EXPECT_NEAR(*m->accuracy, correct / 13, 1e-6);
  EXPECT_EQ(m->samples, 13);
}

// A converted model's signature declaring (labels, features): matched by
// name, not by order. eval's loss = mean((features0 + features1 - labels)^2).
TEST(FitTest, LabelInputMatchedByTfliteStyleName) {
  ModelBuilder b("labels first");
  const int labels = b.Input("labels", DType::kFloat32, {-1});
  const int features = b.Input("features", DType::kFloat32, {-1, 2});
  const int sum =
      b.Op1(OpCode::kSum, {features}, Attributes().SetInts("axes", {1}));
  const int sq = b.Op1(OpCode::kSquaredDifference, {sum, labels});
  const int loss = b.Op1(OpCode::kMean, {sq});
  b.AddSignature("eval", {{"labels", labels}, {"features", features}},
                 {{"loss", loss}});
  auto model = b.BuildModel();
  ASSERT_TRUE(model.ok()) << model.status();
  auto interpreter = Interpreter::Create(*model);
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  const std::vector<float> x = {1, 2, 3, -1, 0.5f, 0.5f};
  const std::vector<float> y = {2, 0, 4};
  auto data =
      Dataset::Create(*Array::From<float>({3, 2}, absl::MakeConstSpan(x)),
                      *Array::From<float>({3}, absl::MakeConstSpan(y)));
  ASSERT_TRUE(data.ok()) << data.status();
  auto m = Evaluate(**interpreter, *data, 3);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_NEAR(m->loss, (1.0 + 4.0 + 9.0) / 3, 1e-6);
}

TEST(FitTest, PartialLastBatchKeptOrDroppedAndMaxSteps) {
  const Dataset data = Separable(10, 4);
  auto interpreter = NewInterpreter();
  ASSERT_NE(interpreter, nullptr);
  FitOptions o = Quiet();
  o.batch_size = 4;
  std::vector<int64_t> sizes;
  o.on_step = [&](const StepInfo& s) {
    sizes.push_back(s.samples);
    EXPECT_EQ(s.steps_per_epoch, 3);
    return true;
  };
  ASSERT_TRUE(Fit(*interpreter, data, o).ok());
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2}));
  sizes.clear();
  o.drop_remainder = true;
  o.on_step = [&](const StepInfo& s) {
    sizes.push_back(s.samples);
    return true;
  };
  ASSERT_TRUE(Fit(*interpreter, data, o).ok());
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4}));
  o.drop_remainder = false;
  o.epochs = 5;
  o.max_steps = 7;
  auto r = Fit(*interpreter, data, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->steps, 7);
  EXPECT_TRUE(r->reached_max_steps);
  ASSERT_EQ(r->epochs.size(), 3u);
  EXPECT_EQ(r->epochs[2].steps, 1);
  // A callback that returns false stops after that step.
  o.max_steps = 0;
  o.on_step = [](const StepInfo& s) { return s.step < 2; };
  r = Fit(*interpreter, data, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->steps, 2);
  EXPECT_TRUE(r->stopped_by_callback);
}

std::vector<double> Losses(uint64_t seed, bool shuffle) {
  auto interpreter = NewInterpreter();
  FitOptions o = Quiet();
  o.epochs = 3;
  o.batch_size = 8;
  o.seed = seed;
  o.shuffle = shuffle;
  std::vector<double> losses;
  o.on_step = [&](const StepInfo& s) {
    losses.push_back(s.loss);
    return true;
  };
  EXPECT_TRUE(Fit(*interpreter, Separable(40, 9), o).ok());
  return losses;
}

TEST(FitTest, ShuffleIsDeterministicPerSeed) {
  const std::vector<double> a = Losses(11, true);
  ASSERT_EQ(a.size(), 15u);
  EXPECT_EQ(a, Losses(11, true));  // bit for bit
  EXPECT_NE(a, Losses(12, true));
  EXPECT_NE(a, Losses(11, false));
  EXPECT_EQ(Losses(1, false), Losses(2, false));
}

TEST(FitTest, ScheduleSetsTheLearningRateVariableEachStep) {
  auto interpreter = NewInterpreter();
  ASSERT_NE(interpreter, nullptr);
  FitOptions o = Quiet();
  o.epochs = 2;
  o.batch_size = 5;
  const LearningRateSchedule schedule =
      LearningRateSchedule::Cosine(0.4, 6, 0.01).WithWarmup(2);
  o.schedule = schedule;
  std::vector<double> lrs;
  o.on_step = [&](const StepInfo& s) {
    lrs.push_back(s.learning_rate);
    return true;
  };
  ASSERT_TRUE(Fit(*interpreter, Separable(20, 3), o).ok());
  ASSERT_EQ(lrs.size(), 8u);
  for (size_t i = 0; i < lrs.size(); ++i) {
    EXPECT_EQ(lrs[i], static_cast<float>(schedule.At(i))) << i;
  }
  EXPECT_EQ(
      interpreter->variables().Get<float>("optimizer/learning_rate")->at(0),
      static_cast<float>(schedule.At(7)));
  // A second Fit on the same interpreter (as after a restore) continues
  // the schedule at optimizer/step = 8 instead of restarting it.
  lrs.clear();
  o.epochs = 1;
  ASSERT_TRUE(Fit(*interpreter, Separable(20, 3), o).ok());
  ASSERT_EQ(lrs.size(), 4u);
  for (size_t i = 0; i < lrs.size(); ++i) {
    EXPECT_EQ(lrs[i], static_cast<float>(schedule.At(8 + i))) << i;
  }
  EXPECT_EQ(interpreter->variables().Get<int64_t>("optimizer/step")->at(0), 12);
  // A smaller learning rate moves the weights less: lr 0 not at all.
  auto frozen = NewInterpreter();
  const Snapshot before = Variables(*frozen);
  o.schedule = LearningRateSchedule::Constant(0.0);
  o.on_step = nullptr;
  ASSERT_TRUE(Fit(*frozen, Separable(20, 3), o).ok());
  const Snapshot after = Variables(*frozen);
  EXPECT_EQ(before[0], after[0]);  // dense/kernel
  EXPECT_EQ(before[1], after[1]);  // dense/bias
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(FitTest, LogsParseAsCsvAndJsonLines) {
  const std::string dir = testing::TempDir();
  for (const std::string ext : {".csv", ".jsonl"}) {
    auto interpreter = NewInterpreter();
    FitOptions o = Quiet();
    o.epochs = 2;
    o.batch_size = 6;
    o.log_path = dir + "/log" + ext;
    std::vector<double> losses;
    o.on_step = [&](const StepInfo& s) {
      losses.push_back(s.loss);
      return true;
    };
    ASSERT_TRUE(Fit(*interpreter, Separable(15, 3), o).ok());
    ASSERT_EQ(losses.size(), 6u);
    std::vector<std::string> lines =
        absl::StrSplit(Slurp(o.log_path), '\n', absl::SkipEmpty());
    if (ext == ".csv") {
      ASSERT_EQ(lines.size(), 7u);
      EXPECT_EQ(lines[0], "step,epoch,loss");
      lines.erase(lines.begin());
    }
    ASSERT_EQ(lines.size(), 6u);
    for (size_t i = 0; i < lines.size(); ++i) {
      int64_t step, epoch;
      double loss;
      if (ext == ".csv") {
        std::vector<std::string> f = absl::StrSplit(lines[i], ',');
        ASSERT_EQ(f.size(), 3u) << lines[i];
        ASSERT_TRUE(absl::SimpleAtoi(f[0], &step));
        ASSERT_TRUE(absl::SimpleAtoi(f[1], &epoch));
        ASSERT_TRUE(absl::SimpleAtod(f[2], &loss));
      } else {
        nlohmann::json j = nlohmann::json::parse(lines[i], nullptr, false);
        ASSERT_FALSE(j.is_discarded()) << lines[i];
        ASSERT_EQ(j.size(), 3u);
        step = j["step"];
        epoch = j["epoch"];
        loss = j["loss"];
      }
      EXPECT_EQ(step, static_cast<int64_t>(i + 1));
      EXPECT_EQ(epoch, static_cast<int64_t>(i / 3 + 1));
      EXPECT_NEAR(loss, losses[i], 1e-7 * std::fabs(losses[i]));  // %.9g
    }
  }
  auto interpreter = NewInterpreter();
  FitOptions o = Quiet();
  o.log_path = dir + "/log.txt";
  auto r = Fit(*interpreter, Separable(15, 3), o);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(".jsonl"));
  o.log_path = dir + "/no/such/dir/log.csv";
  r = Fit(*interpreter, Separable(15, 3), o);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("no/such/dir"));
}

// Parses "step K" out of a guard message.
int64_t StepOf(const absl::Status& status) {
  const std::string m(status.message());
  const size_t at = m.find("step ");
  int64_t step = -1;
  if (at != std::string::npos) {
    std::string digits;
    for (size_t i = at + 5; i < m.size() && std::isdigit(m[i]); ++i)
      digits += m[i];
    (void)absl::SimpleAtoi(digits, &step);
  }
  return step;
}

TEST(FitTest, NanGuardHugeLearningRateRestoresTheVariables) {
  // lr 1e30 on inputs of magnitude up to 1e6: step 1 makes weights of about
  // 1e35 (finite), so a later step's logits overflow and its loss is not
  // finite.
  auto interpreter = NewInterpreter(1e30f);
  ASSERT_NE(interpreter, nullptr);
  std::vector<Snapshot> after_step = {Variables(*interpreter)};
  FitOptions o = Quiet();
  o.epochs = 3;
  o.batch_size = 4;
  o.on_step = [&](const StepInfo&) {
    after_step.push_back(Variables(*interpreter));
    return true;
  };
  auto r = Fit(*interpreter, Separable(16, 3, -1, 1e6f), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("restored"));
  const int64_t step = StepOf(r.status());
  ASSERT_GE(step, 2) << r.status();
  // Steps 1..step-1 succeeded; the variables are bit-identical to their
  // values before the bad step.
  ASSERT_EQ(static_cast<int64_t>(after_step.size()), step);
  EXPECT_NE(after_step[step - 1][0], after_step[0][0]);
  EXPECT_TRUE(Variables(*interpreter) == after_step[step - 1]);
  for (int i = 0; i < interpreter->variables().size(); ++i) {
    if (interpreter->variables().tensor(i).dtype != DType::kFloat32) continue;
    for (float v : interpreter->variables().tensor(i).span<float>()) {
      EXPECT_TRUE(std::isfinite(v));
    }
  }
}

TEST(FitTest, NanGuardNanInputNamesTheStep) {
  // Sample 9 is NaN; no shuffle, batch 4: it is in step 3.
  auto interpreter = NewInterpreter(0.1f);
  ASSERT_NE(interpreter, nullptr);
  std::vector<Snapshot> after_step = {Variables(*interpreter)};
  FitOptions o = Quiet();
  o.batch_size = 4;
  o.shuffle = false;
  const std::string dir = testing::TempDir();
  o.log_path = dir + "/log.csv";
  o.on_step = [&](const StepInfo&) {
    after_step.push_back(Variables(*interpreter));
    return true;
  };
  auto r = Fit(*interpreter, Separable(16, 3, /*nan_at=*/9), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("step 3 (epoch 1, batch 3/4): loss is nan"));
  ASSERT_EQ(after_step.size(), 3u);
  EXPECT_TRUE(Variables(*interpreter) == after_step[2]);
  EXPECT_NE(after_step[2][0], after_step[0][0]);  // steps 1-2 did train
  // The log keeps the good steps.
  std::vector<std::string> lines =
      absl::StrSplit(Slurp(o.log_path), '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 3u);
}

TEST(FitTest, InvokeErrorsNameTheStepAndRestore) {
  // Label 5 is outside [0, 2): the cross-entropy kernel rejects it.
  auto interpreter = NewInterpreter();
  ASSERT_NE(interpreter, nullptr);
  std::vector<float> x(8, 0.5f);
  std::vector<int32_t> y = {0, 1, 5, 0};
  auto data =
      *Dataset::Create(*Array::From<float>({4, 2}, absl::MakeConstSpan(x)),
                       *Array::From<int32_t>({4}, absl::MakeConstSpan(y)));
  const Snapshot before = Variables(*interpreter);
  FitOptions o = Quiet();
  o.batch_size = 2;
  o.shuffle = false;
  auto r = Fit(*interpreter, data, o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("step 2 (epoch 1"));
  EXPECT_NE(Variables(*interpreter), before);  // step 1 trained
}

TEST(FitTest, GradientAccumulationMatchesOneLargeBatch) {
  const Dataset data = Separable(32, 8);
  auto big = NewInterpreter(0.3f);
  auto small = NewInterpreter(0.3f);
  ASSERT_TRUE(big && small);
  FitOptions o = Quiet();
  o.shuffle = false;
  o.epochs = 2;
  o.batch_size = 8;
  auto r1 = Fit(*big, data, o);
  ASSERT_TRUE(r1.ok()) << r1.status();
  o.batch_size = 4;
  o.accumulation_steps = 2;
  std::vector<int64_t> samples;
  o.on_step = [&](const StepInfo& s) {
    samples.push_back(s.samples);
    return true;
  };
  auto r2 = Fit(*small, data, o);
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_EQ(r1->steps, 8);
  EXPECT_EQ(r2->steps, 8);
  EXPECT_EQ(samples, std::vector<int64_t>(8, 8));
  for (const char* name : {"dense/kernel", "dense/bias"}) {
    auto a = *big->variables().Get<float>(name);
    auto b = *small->variables().Get<float>(name);
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_NEAR(a[i], b[i], 1e-5) << name << "[" << i << "]";
    }
  }
  EXPECT_EQ(small->variables().Get<int64_t>("optimizer/step")->at(0), 8);
  EXPECT_NEAR(r1->epochs[1].loss, r2->epochs[1].loss, 1e-5);
}

TEST(FitTest, Errors) {
  const Dataset data = Separable(8, 1);
  auto plain = NewInterpreter(0.5f, /*accumulate=*/false);
  ASSERT_NE(plain, nullptr);
  FitOptions o = Quiet();
  o.accumulation_steps = 2;
  auto r = Fit(*plain, data, o);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("accumulate"));

  o = Quiet();
  o.batch_size = 0;
  EXPECT_EQ(Fit(*plain, data, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = Quiet();
  o.epochs = 0;
  EXPECT_EQ(Fit(*plain, data, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = Quiet();
  o.train_signature = "learn";
  EXPECT_EQ(Fit(*plain, data, o).status().code(), absl::StatusCode::kNotFound);
  o = Quiet();
  o.train_signature = "infer";  // one input
  EXPECT_THAT(std::string(Fit(*plain, data, o).status().message()),
              HasSubstr("1 inputs"));

  // Three features per sample for a [-1, 2] input.
  std::vector<float> x(9, 1.0f);
  std::vector<int32_t> y = {0, 1, 0};
  auto wide =
      *Dataset::Create(*Array::From<float>({3, 3}, absl::MakeConstSpan(x)),
                       *Array::From<int32_t>({3}, absl::MakeConstSpan(y)));
  r = Fit(*plain, wide, Quiet());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("input \"x\" of signature \"train\" [-1,2] cannot take "
                        "samples of shape [3]"));
  // Validation data that does not fit fails before training.
  const Snapshot before = Variables(*plain);
  r = Fit(*plain, data, Quiet(), &wide);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Variables(*plain), before);
}

TEST(FitTest, FeedsOtherSampleShapesAndDTypes) {
  // [N, 1, 2] float64 features and uint8 labels feed [-1, 2] float32 and
  // int32 inputs.
  const Dataset base = Separable(12, 6);
  std::vector<double> x(24);
  std::vector<uint8_t> y(12);
  for (int i = 0; i < 12; ++i) {
    float f[2];
    int32_t l;
    std::memcpy(f, base.feature(i), 8);
    std::memcpy(&l, base.label(i), 4);
    x[2 * i] = f[0];
    x[2 * i + 1] = f[1];
    y[i] = static_cast<uint8_t>(l);
  }
  auto data =
      *Dataset::Create(*Array::From<double>({12, 1, 2}, absl::MakeConstSpan(x)),
                       *Array::From<uint8_t>({12}, absl::MakeConstSpan(y)));
  auto a = NewInterpreter();
  auto b = NewInterpreter();
  FitOptions o = Quiet();
  o.batch_size = 5;
  auto r1 = Fit(*a, data, o);
  ASSERT_TRUE(r1.ok()) << r1.status();
  auto r2 = Fit(*b, base, o);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r1->epochs[0].loss, r2->epochs[0].loss);
}

}  // namespace
}  // namespace attune
