// Learning-rate schedules against their closed forms (relative tolerance
// 1e-12: both sides are computed in double precision).
#include "training/schedule.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace attune {
namespace {

using ::testing::HasSubstr;

constexpr double kTol = 1e-12;
const double kPi = std::acos(-1.0);

TEST(ScheduleTest, ConstantStepExponentialCosine) {
  const LearningRateSchedule c = LearningRateSchedule::Constant(0.1);
  const LearningRateSchedule s = LearningRateSchedule::Step(0.1, 3, 0.5);
  const LearningRateSchedule e = LearningRateSchedule::Exponential(0.1, 0.9);
  const LearningRateSchedule k = LearningRateSchedule::Cosine(0.1, 10, 0.01);
  for (int64_t t = 0; t < 15; ++t) {
    EXPECT_NEAR(c.At(t), 0.1, kTol);
    EXPECT_NEAR(s.At(t), 0.1 * std::pow(0.5, t / 3), kTol) << t;
    EXPECT_NEAR(e.At(t), 0.1 * std::pow(0.9, t), kTol) << t;
    const double tt = std::min<double>(t, 10);
    EXPECT_NEAR(k.At(t), 0.01 + 0.09 * (1 + std::cos(kPi * tt / 10)) / 2, kTol)
        << t;
  }
  EXPECT_NEAR(s.At(2), 0.1, kTol);
  EXPECT_NEAR(s.At(3), 0.05, kTol);
  EXPECT_NEAR(k.At(0), 0.1, kTol);
  EXPECT_NEAR(k.At(5), 0.055, kTol);
  EXPECT_NEAR(k.At(10), 0.01, kTol);
  EXPECT_NEAR(k.At(1000), 0.01, kTol);
}

TEST(ScheduleTest, WarmupComposesAndShiftsTheInnerSchedule) {
  const LearningRateSchedule w =
      LearningRateSchedule::Cosine(0.2, 8, 0.0).WithWarmup(4);
  EXPECT_NEAR(w.At(0), 0.2 * 1 / 4.0, kTol);
  EXPECT_NEAR(w.At(1), 0.2 * 2 / 4.0, kTol);
  EXPECT_NEAR(w.At(3), 0.2, kTol);
  for (int64_t t = 4; t < 16; ++t) {
    const double tt = std::min<double>(t - 4, 8);
    EXPECT_NEAR(w.At(t), 0.2 * (1 + std::cos(kPi * tt / 8)) / 2, kTol) << t;
  }
  const LearningRateSchedule from_half =
      LearningRateSchedule::Constant(1.0).WithWarmup(2, 0.5);
  EXPECT_NEAR(from_half.At(0), 0.75, kTol);
  EXPECT_NEAR(from_half.At(1), 1.0, kTol);
  EXPECT_NEAR(from_half.At(7), 1.0, kTol);
  const LearningRateSchedule step =
      LearningRateSchedule::Step(1.0, 2, 0.1).WithWarmup(1);
  EXPECT_NEAR(step.At(0), 1.0, kTol);
  EXPECT_NEAR(step.At(2), 1.0, kTol);
  EXPECT_NEAR(step.At(3), 0.1, kTol);
}

TEST(ScheduleTest, ParseForms) {
  auto s = ParseSchedule("step:10:0.5", 0.2);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->kind(), LearningRateSchedule::Kind::kStep);
  EXPECT_NEAR(s->At(10), 0.1, kTol);
  s = ParseSchedule("cosine:100:0.001,warmup:10", 0.1);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->warmup_steps(), 10);
  EXPECT_NEAR(s->At(110), 0.001, kTol);
  s = ParseSchedule("exp:0.5", 2.0);
  ASSERT_TRUE(s.ok());
  EXPECT_NEAR(s->At(2), 0.5, kTol);
  s = ParseSchedule("constant", 0.3);
  ASSERT_TRUE(s.ok());
  EXPECT_NEAR(s->At(99), 0.3, kTol);
}

TEST(ScheduleTest, ParseAndValidateErrors) {
  for (const char* bad :
       {"", "linear", "step:10", "step:0:0.5", "step:x:1", "exp:-1", "cosine:0",
        "cosine:10:-1", "constant,warmup", "constant,warmup:-2",
        "constant,warmup:2:1.5", "constant,cool:3",
        "constant,warmup:1,warmup:2"}) {
    absl::StatusOr<LearningRateSchedule> s = ParseSchedule(bad, 0.1);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(s.status().message()), HasSubstr("schedule"))
        << bad;
  }
  EXPECT_FALSE(ParseSchedule("constant", -1).ok());
  EXPECT_FALSE(ParseSchedule("constant", std::nan("")).ok());
  EXPECT_FALSE(LearningRateSchedule::Step(0.1, 0, 0.5).Validate().ok());
  EXPECT_TRUE(LearningRateSchedule::Step(0.1, 1, 0.5).Validate().ok());
}

}  // namespace
}  // namespace attune
