// The optimizer pass: configs and the step protocol.
#include "optimizers/optimizer.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace attune {
namespace {

using ::testing::HasSubstr;

TEST(OptimizerTest, ConfigValidation) {
  OptimizerConfig c = DefaultOptimizerConfig(OptimizerType::kSgd);
  EXPECT_TRUE(ValidateOptimizerConfig(c).ok());
  c.nesterov = true;
  EXPECT_THAT(ValidateOptimizerConfig(c).message(), HasSubstr("nesterov"));
  c.momentum = 0.9;
  EXPECT_TRUE(ValidateOptimizerConfig(c).ok());
  c.dampening = 0.1;
  EXPECT_EQ(ValidateOptimizerConfig(c).code(),
            absl::StatusCode::kInvalidArgument);
  c = DefaultOptimizerConfig(OptimizerType::kAdam);
  c.beta1 = 1.0;
  EXPECT_THAT(ValidateOptimizerConfig(c).message(), HasSubstr("beta1"));
  c = DefaultOptimizerConfig(OptimizerType::kAdam);
  c.learning_rate = -1;
  EXPECT_THAT(ValidateOptimizerConfig(c).message(), HasSubstr("learning_rate"));
  EXPECT_EQ(DefaultOptimizerConfig(OptimizerType::kAdamW).weight_decay, 1e-2);
  EXPECT_EQ(DefaultOptimizerConfig(OptimizerType::kAdagrad).eps, 1e-10);
  EXPECT_EQ(ParseOptimizerType("lamb").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*ParseOptimizerType("adamw"), OptimizerType::kAdamW);
}

TEST(OptimizerTest, StepProtocolErrors) {
  ModelBuilder b("protocol");
  b.AddVariable({"w", DType::kFloat32, {2}, Initializer::kZeros, -1, 0, true});
  auto opt =
      Optimizer::Create(b, DefaultOptimizerConfig(OptimizerType::kSgd), {0});
  ASSERT_TRUE(opt.ok()) << opt.status();
  const int g = b.Input("g", DType::kFloat32, {2});
  EXPECT_EQ((*opt)->AddGradient(b, 0, g).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*opt)->BeginStep(b).ok());
  EXPECT_EQ((*opt)->BeginStep(b).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE((*opt)->AddGradient(b, 0, g).ok());
  EXPECT_EQ((*opt)->AddGradient(b, 0, g).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*opt)->AddGradient(b, 1, g).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE((*opt)->FinishStep(b).ok());
  // A second optimizer on the same graph collides on its variable names.
  auto again =
      Optimizer::Create(b, DefaultOptimizerConfig(OptimizerType::kSgd), {0});
  EXPECT_THAT(again.status().message(), HasSubstr("optimizer/step"));
  auto bad =
      Optimizer::Create(b, DefaultOptimizerConfig(OptimizerType::kSgd), {7});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
