// Invoke must not allocate: this binary replaces every global operator new
// and delete with counting versions, and asserts that no allocation happens
// between arming and disarming the counter around Invoke.
//
// To cover a new op, add a case to NoAllocCases() whose graph uses it.

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <new>
#include <string>
#include <vector>

#include "engine/interpreter.h"
#include "engine/model.h"
#include "gtest/gtest.h"
#include "tests/fuzz/sample_models.h"

namespace {

std::atomic<bool> g_armed{false};
std::atomic<int64_t> g_allocations{0};
std::atomic<int64_t> g_deallocations{0};
void* volatile g_sink = nullptr;

void* CountedAlloc(std::size_t size, std::size_t alignment, bool nothrow) {
  if (g_armed.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  if (size == 0) size = 1;
  void* p = nullptr;
  if (alignment <= alignof(std::max_align_t)) {
    p = std::malloc(size);
  } else {
    p = std::aligned_alloc(alignment,
                           (size + alignment - 1) / alignment * alignment);
  }
  if (p == nullptr && !nothrow) std::abort();  // tests never run out
  return p;
}

void CountedFree(void* p) {
  if (p == nullptr) return;
  if (g_armed.load(std::memory_order_relaxed)) {
    g_deallocations.fetch_add(1, std::memory_order_relaxed);
  }
  std::free(p);
}

// Counts allocations and deallocations made by any thread while alive.
class AllocationCounter {
 public:
  AllocationCounter() {
    g_allocations = 0;
    g_deallocations = 0;
    g_armed = true;
  }
  ~AllocationCounter() { g_armed = false; }
  int64_t allocations() const { return g_allocations.load(); }
  int64_t deallocations() const { return g_deallocations.load(); }
};

}  // namespace

constexpr std::size_t kDefaultAlign = alignof(std::max_align_t);

void* operator new(std::size_t n) {
  return CountedAlloc(n, kDefaultAlign, false);
}
void* operator new[](std::size_t n) {
  return CountedAlloc(n, kDefaultAlign, false);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return CountedAlloc(n, kDefaultAlign, true);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return CountedAlloc(n, kDefaultAlign, true);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return CountedAlloc(n, static_cast<std::size_t>(a), false);
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return CountedAlloc(n, static_cast<std::size_t>(a), false);
}
void* operator new(std::size_t n, std::align_val_t a,
                   const std::nothrow_t&) noexcept {
  return CountedAlloc(n, static_cast<std::size_t>(a), true);
}
void* operator new[](std::size_t n, std::align_val_t a,
                     const std::nothrow_t&) noexcept {
  return CountedAlloc(n, static_cast<std::size_t>(a), true);
}
void operator delete(void* p) noexcept { CountedFree(p); }
void operator delete[](void* p) noexcept { CountedFree(p); }
void operator delete(void* p, std::size_t) noexcept { CountedFree(p); }
void operator delete[](void* p, std::size_t) noexcept { CountedFree(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept {
  CountedFree(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  CountedFree(p);
}
void operator delete(void* p, std::align_val_t) noexcept { CountedFree(p); }
void operator delete[](void* p, std::align_val_t) noexcept { CountedFree(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  CountedFree(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  CountedFree(p);
}
void operator delete(void* p, std::align_val_t,
                     const std::nothrow_t&) noexcept {
  CountedFree(p);
}
void operator delete[](void* p, std::align_val_t,
                       const std::nothrow_t&) noexcept {
  CountedFree(p);
}

namespace attune {
namespace {

// The counter itself must see allocations, or the real tests prove nothing.
TEST(AllocationCounterTest, SeesEveryFormOfNew) {
  struct alignas(128) Wide {
    char bytes[128];
  };
  int64_t allocations = 0, deallocations = 0;
  {
    AllocationCounter counter;
    // Each pointer escapes through g_sink so the pairs cannot be elided.
    int* i = new int(1);
    g_sink = i;
    delete i;
    char* c = new char[3];
    g_sink = c;
    delete[] c;
    Wide* w = new Wide;
    g_sink = w;
    delete w;
    Wide* ws = new Wide[2];
    g_sink = ws;
    delete[] ws;
    int* n = new (std::nothrow) int(2);
    g_sink = n;
    delete n;
    std::vector<int> v(10);
    g_sink = v.data();
    std::string s(100, 'x');
    g_sink = s.data();
    allocations = counter.allocations();
    deallocations = counter.deallocations();
  }
  EXPECT_EQ(allocations, 7);
  EXPECT_EQ(deallocations, 5);  // the vector and string are still alive
}

// One graph for the test to run: its signature "infer" must have a single
// float32 input "x" whose first dim is dynamic.
struct NoAllocCase {
  std::string name;
  std::function<Graph()> build;
  std::vector<int64_t> feature_dims;  // x's dims after the batch
};

std::vector<NoAllocCase> NoAllocCases() {
  return {
      {"dense_stack",
       [] {
         return testing_models::DenseStack(16, {32, 64, 32, 8});
       },
       {16}},
      // Add a case per op family as its kernels land (conv2d, softmax, ...).
  };
}

class NoAllocTest : public ::testing::TestWithParam<std::tuple<int, int>> {
 protected:
  const NoAllocCase& test_case() const {
    static const std::vector<NoAllocCase> cases = NoAllocCases();
    return cases[std::get<0>(GetParam())];
  }
  int num_threads() const { return std::get<1>(GetParam()); }
};

// Fills x (Invoke may reuse input memory for later tensors, so every run
// starts by writing its inputs).
void FillInput(SignatureRunner* runner) {
  absl::Span<float> x = *runner->typed_input<float>("x");
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<float>(i % 13) * 0.125f - 0.75f;
  }
}

// Resizes x to [batch, features...] and allocates.
void PrepareBatch(SignatureRunner* runner, const NoAllocCase& c, int batch) {
  std::vector<int64_t> shape = {batch};
  shape.insert(shape.end(), c.feature_dims.begin(), c.feature_dims.end());
  ASSERT_TRUE(runner->ResizeInput("x", shape).ok());
  ASSERT_TRUE(runner->AllocateTensors().ok());
}

std::vector<float> Outputs(SignatureRunner* runner) {
  std::vector<float> all;
  for (const std::string& name : runner->output_names()) {
    absl::Span<const float> y = *runner->typed_output<float>(name);
    all.insert(all.end(), y.begin(), y.end());
  }
  return all;
}

TEST_P(NoAllocTest, InvokeAllocatesNothingBeforeAndAfterResize) {
  const NoAllocCase& c = test_case();
  absl::StatusOr<std::shared_ptr<const Model>> model =
      Model::FromGraph(c.build());
  ASSERT_TRUE(model.ok()) << model.status();
  InterpreterOptions options;
  options.num_threads = num_threads();
  auto interpreter = Interpreter::Create(*model, options);
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  SignatureRunner* runner = *(*interpreter)->GetSignatureRunner("infer");

  for (int batch : {3, 17, 1}) {
    SCOPED_TRACE(::testing::Message() << "batch " << batch);
    PrepareBatch(runner, c, batch);
    absl::Status status;
    int64_t allocations = 0;
    {
      // Counts the first Invoke after AllocateTensors too.
      AllocationCounter counter;
      for (int i = 0; i < 4 && status.ok(); ++i) {
        FillInput(runner);
        status = runner->Invoke();
      }
      allocations = counter.allocations();
    }
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(allocations, 0) << "Invoke allocated";
    // The counted runs computed a non-empty result, the same as a fresh run.
    const std::vector<float> counted = Outputs(runner);
    EXPECT_FALSE(counted.empty());
    FillInput(runner);
    ASSERT_TRUE(runner->Invoke().ok());
    EXPECT_EQ(counted, Outputs(runner));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, NoAllocTest,
    ::testing::Combine(
        ::testing::Range(0, static_cast<int>(NoAllocCases().size())),
        ::testing::Values(1, 2)),
    [](const ::testing::TestParamInfo<std::tuple<int, int>>& info) {
      return NoAllocCases()[std::get<0>(info.param)].name + "_threads" +
             std::to_string(std::get<1>(info.param));
    });

}  // namespace
}  // namespace attune
