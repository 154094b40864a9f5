#include "variables/variable_store.h"

#include <vector>

#include "builder/model_builder.h"
#include "gtest/gtest.h"

namespace attune {
namespace {

std::shared_ptr<const Model> ModelWithVariables() {
  ModelBuilder b("variables");
  const std::vector<float> init = {1.5f, -2.0f, 3.0f};
  const int buffer = b.AddBuffer({reinterpret_cast<const uint8_t*>(init.data()),
                                  init.size() * sizeof(float)});
  b.AddVariable({"dense/kernel", DType::kFloat32, {4, 3},
                 Initializer::kGlorotUniform, -1, 9, true});
  b.AddVariable({"dense/bias", DType::kFloat32, {3}, Initializer::kConstantBuffer,
                 buffer, 0, true});
  b.AddVariable({"optimizer/step", DType::kInt64, {}, Initializer::kZeros, -1,
                 0, false});
  b.AddVariable({"ones", DType::kInt32, {2}, Initializer::kOnes, -1, 0, false});
  auto model = b.BuildModel();
  EXPECT_TRUE(model.ok()) << model.status();
  return *model;
}

TEST(VariableStoreTest, InitializesEveryVariable) {
  auto store = VariableStore::Create(ModelWithVariables());
  ASSERT_TRUE(store.ok()) << store.status();
  VariableStore& s = **store;
  EXPECT_EQ(s.size(), 4);
  EXPECT_EQ(s.total_bytes(), 4 * 3 * 4 + 3 * 4 + 8 + 2 * 4);
  auto bias = s.Get<float>("dense/bias");
  ASSERT_TRUE(bias.ok());
  EXPECT_EQ(std::vector<float>(bias->begin(), bias->end()),
            (std::vector<float>{1.5f, -2.0f, 3.0f}));
  auto step = s.Get<int64_t>("optimizer/step");
  ASSERT_TRUE(step.ok());
  EXPECT_EQ((*step)[0], 0);
  auto ones = s.Get<int32_t>("ones");
  EXPECT_EQ(std::vector<int32_t>(ones->begin(), ones->end()),
            (std::vector<int32_t>{1, 1}));
  auto kernel = s.Get<float>("dense/kernel");
  float abs_sum = 0;
  for (float v : *kernel) abs_sum += std::abs(v);
  EXPECT_GT(abs_sum, 0.0f);  // random, not zeros
}

TEST(VariableStoreTest, SetBumpsVersionAndResetRestores) {
  auto store = VariableStore::Create(ModelWithVariables());
  ASSERT_TRUE(store.ok());
  VariableStore& s = **store;
  const int bias = *s.Index("dense/bias");
  const uint64_t before = s.version(bias);
  const std::vector<float> values = {7, 8, 9};
  ASSERT_TRUE(s.Set<float>("dense/bias", values).ok());
  EXPECT_GT(s.version(bias), before);
  EXPECT_FLOAT_EQ((*s.Get<float>("dense/bias"))[2], 9.0f);
  const std::vector<float> kernel_before((*s.Get<float>("dense/kernel")).begin(),
                                         (*s.Get<float>("dense/kernel")).end());
  ASSERT_TRUE(s.ResetAll().ok());
  EXPECT_FLOAT_EQ((*s.Get<float>("dense/bias"))[2], 3.0f);
  // Same seed: the same random kernel again.
  auto kernel = *s.Get<float>("dense/kernel");
  EXPECT_EQ(std::vector<float>(kernel.begin(), kernel.end()), kernel_before);
}

TEST(VariableStoreTest, ErrorsNameTheVariable) {
  auto store = VariableStore::Create(ModelWithVariables());
  ASSERT_TRUE(store.ok());
  VariableStore& s = **store;
  EXPECT_EQ(s.Get<float>("missing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.Get<int32_t>("dense/bias").status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<float> wrong = {1, 2};
  absl::Status status = s.Set<float>("dense/bias", wrong);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(status.message()).find("dense/bias"), std::string::npos);
}

TEST(VariableStoreTest, RandomInitializerOnIntegerVariableIsRejected) {
  ModelBuilder b("bad");
  b.AddVariable({"counter", DType::kInt32, {2}, Initializer::kHeNormal, -1, 0,
                 false});
  auto model = b.BuildModel();
  ASSERT_FALSE(model.ok());  // the builder's own store creation fails
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune

namespace attune {
namespace {

TEST(VariableStoreTest, TotalSizeAboveTheLimitIsRefusedBeforeAllocating) {
  ModelBuilder b("big");
  // 2^29 floats = 2 GiB: above the default 1 GiB cap, refused without
  // allocating.
  b.AddVariable({"huge", DType::kFloat32, {1 << 14, 1 << 15},
                 Initializer::kGlorotUniform, -1, 0, true});
  Graph graph;
  {
    auto built = b.Build();
    ASSERT_FALSE(built.ok());  // the builder's own store hits the default cap
    EXPECT_EQ(built.status().code(), absl::StatusCode::kResourceExhausted);
  }
  ModelBuilder small("small");
  small.AddVariable({"w", DType::kFloat32, {512, 1024}, Initializer::kZeros, -1,
                     0, true});
  auto model = small.BuildModel();
  ASSERT_TRUE(model.ok());
  auto store = VariableStore::Create(*model, /*max_bytes=*/1 << 20);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(std::string(store.status().message()).find("2097152 bytes"),
            std::string::npos);
  EXPECT_TRUE(VariableStore::Create(*model, 2 << 20).ok());
}

}  // namespace
}  // namespace attune
