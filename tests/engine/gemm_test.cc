// Gemm against a double-precision reference on every micro-kernel path this
// CPU supports: transposes, beta, odd sizes and tails, padded leading
// dimensions, k = 0, the fused bias/clamp epilogue, small cache blocks (so
// every depth/row/column block boundary is crossed) and 1-3 threads.
//
// Tolerance: inputs are uniform in [-1, 1], so each of the k products is at
// most 1 in magnitude and float32 accumulation error grows at most linearly
// with k: |actual - reference| <= 4e-6 * (k + 2).

#include "engine/gemm/gemm.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "engine/gemm/gemm_internal.h"
#include "gtest/gtest.h"
#include "pthreadpool.h"

namespace attune {
namespace {

using gemm_internal::GemmBlocking;
using gemm_internal::GemmPath;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kSentinel = 1234.5f;

double Tolerance(int64_t k) { return 4e-6 * static_cast<double>(k + 2); }

struct Case {
  int64_t m, n, k;
  bool ta = false, tb = false;
  float beta = 0.0f;
  int64_t pad = 0;  // extra elements at the end of every row of A, B and C
  bool bias = false;
  float clamp_min = -kInf, clamp_max = kInf;
  int threads = 1;
};

std::string Describe(const Case& c) {
  return "m=" + std::to_string(c.m) + " n=" + std::to_string(c.n) +
         " k=" + std::to_string(c.k) + " ta=" + std::to_string(c.ta) +
         " tb=" + std::to_string(c.tb) + " beta=" + std::to_string(c.beta) +
         " pad=" + std::to_string(c.pad) + " bias=" + std::to_string(c.bias) +
         " clamp=[" + std::to_string(c.clamp_min) + "," +
         std::to_string(c.clamp_max) + "] threads=" + std::to_string(c.threads);
}

// 64-byte aligned buffer followed by guard bytes that must stay untouched.
class GuardedScratch {
 public:
  explicit GuardedScratch(size_t bytes) : bytes_(bytes) {
    const size_t total = (bytes + kGuard + 63) / 64 * 64;
    data_ = static_cast<unsigned char*>(std::aligned_alloc(64, total));
    std::memset(data_, 0xA5, total);
  }
  ~GuardedScratch() { std::free(data_); }
  void* data() { return data_; }
  bool GuardIntact() const {
    for (size_t i = 0; i < kGuard; ++i) {
      if (data_[bytes_ + i] != 0xA5) return false;
    }
    return true;
  }

 private:
  static constexpr size_t kGuard = 256;
  size_t bytes_;
  unsigned char* data_;
};

// Runs one case through Gemm and checks it against the reference, that C's
// padding is untouched and that the scratch was not overrun.
void Check(const Case& c) {
  SCOPED_TRACE(Describe(c));
  std::mt19937 rng(static_cast<unsigned>(c.m * 1000003 + c.n * 1009 + c.k));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  // Stored shapes: A is m x k (k x m transposed), B is k x n (n x k).
  const int64_t a_rows = c.ta ? c.k : c.m, a_cols = c.ta ? c.m : c.k;
  const int64_t b_rows = c.tb ? c.n : c.k, b_cols = c.tb ? c.k : c.n;
  const int64_t lda = a_cols + c.pad, ldb = b_cols + c.pad, ldc = c.n + c.pad;
  std::vector<float> a(a_rows * lda), b(b_rows * ldb), bias(c.n);
  std::vector<float> out(c.m * ldc, kSentinel);
  for (float& v : a) v = dist(rng);
  for (float& v : b) v = dist(rng);
  for (float& v : bias) v = dist(rng);
  for (int64_t i = 0; i < c.m; ++i) {
    for (int64_t j = 0; j < c.n; ++j) out[i * ldc + j] = dist(rng);
  }
  if (c.beta == 0.0f) {
    // C must not be read: poison it.
    for (int64_t i = 0; i < c.m; ++i) {
      for (int64_t j = 0; j < c.n; ++j) {
        out[i * ldc + j] = std::numeric_limits<float>::quiet_NaN();
      }
    }
  }

  std::vector<double> expected(c.m * c.n);
  for (int64_t i = 0; i < c.m; ++i) {
    for (int64_t j = 0; j < c.n; ++j) {
      double acc = c.beta == 0.0f ? 0.0 : double{c.beta} * out[i * ldc + j];
      for (int64_t p = 0; p < c.k; ++p) {
        const double av = c.ta ? a[p * lda + i] : a[i * lda + p];
        const double bv = c.tb ? b[j * ldb + p] : b[p * ldb + j];
        acc += av * bv;
      }
      if (c.bias) acc += bias[j];
      acc = std::min<double>(std::max<double>(acc, c.clamp_min), c.clamp_max);
      expected[i * c.n + j] = acc;
    }
  }

  GemmArgs args;
  args.m = c.m;
  args.n = c.n;
  args.k = c.k;
  args.a = a.data();
  args.lda = lda;
  args.transpose_a = c.ta;
  args.b = b.data();
  args.ldb = ldb;
  args.transpose_b = c.tb;
  args.c = out.data();
  args.ldc = ldc;
  args.beta = c.beta;
  args.bias = c.bias ? bias.data() : nullptr;
  args.clamp_min = c.clamp_min;
  args.clamp_max = c.clamp_max;
  GuardedScratch scratch(GemmScratchBytes(c.m, c.n, c.k, c.threads));
  pthreadpool_t pool = c.threads > 1
                           ? pthreadpool_create(static_cast<size_t>(c.threads))
                           : nullptr;
  Gemm(args, scratch.data(), pool);
  if (pool != nullptr) pthreadpool_destroy(pool);

  EXPECT_TRUE(scratch.GuardIntact()) << "scratch overrun";
  const double tol = Tolerance(c.k);
  int failures = 0;
  for (int64_t i = 0; i < c.m && failures < 5; ++i) {
    for (int64_t j = 0; j < ldc && failures < 5; ++j) {
      const float actual = out[i * ldc + j];
      if (j >= c.n) {
        if (actual != kSentinel) {
          ADD_FAILURE() << "padding C[" << i << "," << j << "] written";
          ++failures;
        }
        continue;
      }
      const double want = expected[i * c.n + j];
      if (!(std::abs(actual - want) <= tol)) {
        ADD_FAILURE() << "C[" << i << "," << j << "] = " << actual
                      << ", expected " << want << " (tolerance " << tol << ")";
        ++failures;
      }
    }
  }
}

const char* PathName(GemmPath path) {
  switch (path) {
    case GemmPath::kAuto:
      return "Auto";
    case GemmPath::kGeneric:
      return "Generic";
    case GemmPath::kAvx2:
      return "Avx2";
    case GemmPath::kAvx512:
      return "Avx512";
  }
  return "?";
}

// Restores the run-time defaults after each test.
class GemmTest : public ::testing::Test {
 protected:
  void TearDown() override {
    gemm_internal::SetGemmPathForTesting(GemmPath::kAuto);
    gemm_internal::SetGemmBlockingForTesting(
        gemm_internal::DefaultGemmBlocking());
    gemm_internal::SetGemmParallelThresholdForTesting(
        gemm_internal::kDefaultGemmParallelThreshold);
  }
};

// Param: micro-kernel path, and whether to use tiny cache blocks.
class GemmPathTest
    : public GemmTest,
      public ::testing::WithParamInterface<std::tuple<GemmPath, bool>> {
 protected:
  void SetUp() override {
    const auto [path, tiny_blocks] = GetParam();
    if (!gemm_internal::GemmPathAvailable(path)) {
      GTEST_SKIP() << PathName(path) << " not supported on this CPU";
    }
    ASSERT_TRUE(gemm_internal::SetGemmPathForTesting(path));
    if (tiny_blocks) {
      // Blocks smaller than one tile in M, one tile wide in N and 16 deep:
      // every boundary between blocks is crossed on small shapes.
      gemm_internal::SetGemmBlockingForTesting(
          GemmBlocking{/*mc=*/5, /*nc=*/64, /*kc=*/16});
    }
  }
};

TEST_P(GemmPathTest, TransposesBetaAndOddSizes) {
  const int64_t shapes[][3] = {{1, 1, 1},     {1, 3, 17},   {3, 17, 31},
                               {17, 65, 3},   {31, 3, 257}, {65, 31, 17},
                               {1, 257, 65},  {257, 1, 17}, {17, 257, 1},
                               {15, 33, 300}, {29, 97, 65}, {14, 32, 16}};
  for (const auto& s : shapes) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        for (float beta : {0.0f, 1.0f}) {
          Case c{s[0], s[1], s[2]};
          c.ta = ta;
          c.tb = tb;
          c.beta = beta;
          Check(c);
        }
      }
    }
  }
}

TEST_P(GemmPathTest, PaddedLeadingDimensions) {
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (int64_t pad : {1, 7, 16}) {
        Case c{33, 47, 65};
        c.ta = ta;
        c.tb = tb;
        c.beta = 1.0f;
        c.pad = pad;
        Check(c);
      }
    }
  }
}

// Rows 4 KiB apart: A is packed rather than read in place (see gemm.cc).
TEST_P(GemmPathTest, PowerOfTwoRowStride) {
  for (float beta : {0.0f, 1.0f}) {
    Case c{31, 40, 1000};
    c.pad = 24;  // lda = 1024
    c.beta = beta;
    Check(c);
  }
}

TEST_P(GemmPathTest, FusedBiasAndClamp) {
  for (float beta : {0.0f, 1.0f}) {
    Case c{19, 71, 40};
    c.beta = beta;
    c.bias = true;
    Check(c);
    c.clamp_min = 0.0f;  // relu
    Check(c);
    c.clamp_max = 0.5f;  // relu6-like, with a bound the data reaches
    Check(c);
    c.k = 300;  // several depth blocks: the clamp applies only at the end
    c.clamp_min = -2.0f;
    c.clamp_max = 2.0f;
    Check(c);
  }
}

TEST_P(GemmPathTest, ClampKeepsNaN) {
  // A NaN in A must reach C through a relu clamp, as unfused relu would.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> a = {1.0f, nan, 1.0f, 1.0f};  // 2 x 2
  std::vector<float> b = {1.0f, 1.0f, 1.0f, 1.0f};
  std::vector<float> out(4, 0.0f);
  GemmArgs args;
  args.m = args.n = args.k = 2;
  args.a = a.data();
  args.lda = 2;
  args.b = b.data();
  args.ldb = 2;
  args.c = out.data();
  args.ldc = 2;
  args.clamp_min = 0.0f;
  args.clamp_max = 6.0f;
  GuardedScratch scratch(GemmScratchBytes(2, 2, 2, 1));
  Gemm(args, scratch.data(), nullptr);
  EXPECT_TRUE(std::isnan(out[0]) && std::isnan(out[1]));
  EXPECT_FLOAT_EQ(out[2], 2.0f);
  EXPECT_FLOAT_EQ(out[3], 2.0f);
}

TEST_P(GemmPathTest, EmptyDepth) {
  for (float beta : {0.0f, 1.0f}) {
    Case c{5, 9, 0};
    c.beta = beta;
    c.pad = 3;
    Check(c);
    c.bias = true;
    c.clamp_min = 0.0f;
    Check(c);
  }
}

TEST_P(GemmPathTest, Threads) {
  gemm_internal::SetGemmParallelThresholdForTesting(0);
  for (int threads : {1, 2, 3}) {
    for (const auto& s :
         {std::make_tuple(64, 96, 70), std::make_tuple(3, 200, 33),
          std::make_tuple(200, 3, 33), std::make_tuple(1, 1, 5)}) {
      Case c{std::get<0>(s), std::get<1>(s), std::get<2>(s)};
      c.threads = threads;
      c.tb = threads == 2;
      c.beta = threads == 3 ? 1.0f : 0.0f;
      c.pad = 2;
      c.bias = true;
      Check(c);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Paths, GemmPathTest,
    ::testing::Combine(::testing::Values(GemmPath::kAuto, GemmPath::kGeneric,
                                         GemmPath::kAvx2, GemmPath::kAvx512),
                       ::testing::Bool()),
    [](const ::testing::TestParamInfo<GemmPathTest::ParamType>& info) {
      return std::string(PathName(std::get<0>(info.param))) +
             (std::get<1>(info.param) ? "TinyBlocks" : "DefaultBlocks");
    });

TEST_F(GemmTest, LargeShapeWithDefaultThreshold) {
  for (int threads : {1, 2}) {
    Case c{130, 300, 520};
    c.threads = threads;
    c.bias = true;
    Check(c);
  }
}

TEST_F(GemmTest, EmptyOutputIsANoOp) {
  float c_value = kSentinel;
  GemmArgs args;
  args.m = 0;
  args.n = 1;
  args.k = 4;
  args.c = &c_value;
  args.ldc = 1;
  Gemm(args, nullptr, nullptr);
  args.m = 1;
  args.n = 0;
  Gemm(args, nullptr, nullptr);
  EXPECT_EQ(c_value, kSentinel);
  EXPECT_EQ(GemmScratchBytes(0, 5, 5, 2), 0u);
  EXPECT_EQ(GemmScratchBytes(5, 5, 0, 2), 0u);
}

TEST_F(GemmTest, ScratchGrowsWithThreads) {
  EXPECT_GT(GemmScratchBytes(256, 1024, 1024, 2),
            GemmScratchBytes(256, 1024, 1024, 1));
  EXPECT_EQ(GemmScratchBytes(256, 1024, 1024, 1) % 64, 0u);
}

TEST_F(GemmTest, AutoPicksTheWidestAvailableKernel) {
  const std::string name = gemm_internal::ActiveMicroKernel().name;
  if (gemm_internal::GemmPathAvailable(GemmPath::kAvx512)) {
    EXPECT_EQ(name.rfind("avx512", 0), 0u) << name;
  } else if (gemm_internal::GemmPathAvailable(GemmPath::kAvx2)) {
    EXPECT_EQ(name.rfind("avx2", 0), 0u) << name;
  } else {
    EXPECT_EQ(name.rfind("generic", 0), 0u) << name;
  }
}

}  // namespace
}  // namespace attune
