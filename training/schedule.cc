#include "training/schedule.h"

#include <cmath>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace attune {

LearningRateSchedule LearningRateSchedule::Constant(double lr) {
  LearningRateSchedule s;
  s.kind_ = Kind::kConstant;
  s.lr_ = lr;
  return s;
}

LearningRateSchedule LearningRateSchedule::Step(double lr, int64_t step_size,
                                                double gamma) {
  LearningRateSchedule s;
  s.kind_ = Kind::kStep;
  s.lr_ = lr;
  s.period_ = step_size;
  s.gamma_ = gamma;
  return s;
}

LearningRateSchedule LearningRateSchedule::Exponential(double lr,
                                                       double gamma) {
  LearningRateSchedule s;
  s.kind_ = Kind::kExponential;
  s.lr_ = lr;
  s.gamma_ = gamma;
  return s;
}

LearningRateSchedule LearningRateSchedule::Cosine(double lr,
                                                  int64_t total_steps,
                                                  double min_lr) {
  LearningRateSchedule s;
  s.kind_ = Kind::kCosine;
  s.lr_ = lr;
  s.period_ = total_steps;
  s.min_lr_ = min_lr;
  return s;
}

LearningRateSchedule LearningRateSchedule::WithWarmup(
    int64_t steps, double start_factor) const {
  LearningRateSchedule s = *this;
  s.warmup_steps_ = steps;
  s.warmup_start_ = start_factor;
  return s;
}

double LearningRateSchedule::Inner(int64_t step) const {
  if (step < 0) step = 0;
  switch (kind_) {
    case Kind::kConstant:
      return lr_;
    case Kind::kStep:
      return lr_ * std::pow(gamma_, static_cast<double>(step / period_));
    case Kind::kExponential:
      return lr_ * std::pow(gamma_, static_cast<double>(step));
    case Kind::kCosine: {
      const double t = static_cast<double>(std::min(step, period_));
      const double pi = std::acos(-1.0);
      return min_lr_ +
             (lr_ - min_lr_) *
                 (1.0 + std::cos(pi * t / static_cast<double>(period_))) / 2.0;
    }
  }
  return lr_;
}

double LearningRateSchedule::At(int64_t step) const {
  if (step < 0) step = 0;
  if (step < warmup_steps_) {
    const double progress =
        static_cast<double>(step + 1) / static_cast<double>(warmup_steps_);
    return Inner(0) * (warmup_start_ + (1.0 - warmup_start_) * progress);
  }
  return Inner(step - warmup_steps_);
}

absl::Status LearningRateSchedule::Validate() const {
  auto bad = [&](absl::string_view what, double value) {
    return absl::InvalidArgumentError(absl::StrCat(
        "learning-rate schedule ", DebugString(), ": ", what, " ", value));
  };
  if (!std::isfinite(lr_) || lr_ < 0) return bad("learning rate", lr_);
  if (kind_ == Kind::kStep || kind_ == Kind::kExponential) {
    if (!std::isfinite(gamma_) || gamma_ <= 0) return bad("gamma", gamma_);
  }
  if ((kind_ == Kind::kStep || kind_ == Kind::kCosine) && period_ < 1) {
    return bad(kind_ == Kind::kStep ? "step size" : "total steps",
               static_cast<double>(period_));
  }
  if (kind_ == Kind::kCosine && (!std::isfinite(min_lr_) || min_lr_ < 0)) {
    return bad("minimum learning rate", min_lr_);
  }
  if (warmup_steps_ < 0) {
    return bad("warm-up steps", static_cast<double>(warmup_steps_));
  }
  if (!(warmup_start_ >= 0 && warmup_start_ <= 1)) {
    return bad("warm-up start factor", warmup_start_);
  }
  return absl::OkStatus();
}

std::string LearningRateSchedule::DebugString() const {
  std::string s;
  switch (kind_) {
    case Kind::kConstant:
      s = absl::StrFormat("constant(lr=%g)", lr_);
      break;
    case Kind::kStep:
      s = absl::StrFormat("step(lr=%g, every=%d, gamma=%g)", lr_, period_,
                          gamma_);
      break;
    case Kind::kExponential:
      s = absl::StrFormat("exponential(lr=%g, gamma=%g)", lr_, gamma_);
      break;
    case Kind::kCosine:
      s = absl::StrFormat("cosine(lr=%g, T=%d, min=%g)", lr_, period_, min_lr_);
      break;
  }
  if (warmup_steps_ != 0) {
    absl::StrAppendFormat(&s, " + warmup(%d, from %g)", warmup_steps_,
                          warmup_start_);
  }
  return s;
}

absl::StatusOr<LearningRateSchedule> ParseSchedule(absl::string_view text,
                                                   double lr) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "schedule \"", text, "\": ", why,
        " (forms: constant, step:N:GAMMA, exp:GAMMA, cosine:T[:MIN_LR], "
        "each optionally followed by ,warmup:W[:START_FACTOR])"));
  };
  std::vector<std::string> parts = absl::StrSplit(text, ',');
  if (parts.empty() || parts.size() > 2) return bad("expected 1 or 2 parts");
  auto number = [](const std::string& s, double* out) {
    return absl::SimpleAtod(s, out) && std::isfinite(*out);
  };
  auto integer = [](const std::string& s, int64_t* out) {
    return absl::SimpleAtoi(s, out);
  };
  std::vector<std::string> f = absl::StrSplit(parts[0], ':');
  LearningRateSchedule schedule;
  if (f[0] == "constant" && f.size() == 1) {
    schedule = LearningRateSchedule::Constant(lr);
  } else if (f[0] == "step" && f.size() == 3) {
    int64_t n;
    double gamma;
    if (!integer(f[1], &n) || !number(f[2], &gamma)) return bad("bad number");
    schedule = LearningRateSchedule::Step(lr, n, gamma);
  } else if (f[0] == "exp" && f.size() == 2) {
    double gamma;
    if (!number(f[1], &gamma)) return bad("bad number");
    schedule = LearningRateSchedule::Exponential(lr, gamma);
  } else if (f[0] == "cosine" && (f.size() == 2 || f.size() == 3)) {
    int64_t t;
    double min_lr = 0;
    if (!integer(f[1], &t) || (f.size() == 3 && !number(f[2], &min_lr))) {
      return bad("bad number");
    }
    schedule = LearningRateSchedule::Cosine(lr, t, min_lr);
  } else {
    return bad(absl::StrCat("unknown form \"", parts[0], "\""));
  }
  if (parts.size() == 2) {
    std::vector<std::string> w = absl::StrSplit(parts[1], ':');
    int64_t steps;
    double start = 0;
    if (w[0] != "warmup" || w.size() < 2 || w.size() > 3 ||
        !integer(w[1], &steps) || (w.size() == 3 && !number(w[2], &start))) {
      return bad(absl::StrCat("bad warm-up \"", parts[1], "\""));
    }
    schedule = schedule.WithWarmup(steps, start);
  }
  absl::Status status = schedule.Validate();
  if (!status.ok()) return bad(status.message());
  return schedule;
}

}  // namespace attune
