#include "engine/memory_planner.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace attune {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Largest sum of bytes live at one step: no valid plan can be smaller.
size_t PeakLiveBytes(const std::vector<BufferRequest>& requests) {
  int last = 0;
  for (const BufferRequest& r : requests) last = std::max(last, r.last_use);
  size_t peak = 0;
  for (int step = 0; step <= last; ++step) {
    size_t live = 0;
    for (const BufferRequest& r : requests) {
      if (r.first_use <= step && step <= r.last_use) live += r.bytes;
    }
    peak = std::max(peak, live);
  }
  return peak;
}

TEST(MemoryPlannerTest, RandomLifetimesNeverOverlap) {
  std::mt19937_64 rng(1234);
  for (int trial = 0; trial < 300; ++trial) {
    const size_t alignment = size_t{1} << (rng() % 8);  // 1 .. 128
    const int count = 1 + static_cast<int>(rng() % 40);
    const int steps = 1 + static_cast<int>(rng() % 20);
    std::vector<BufferRequest> requests(count);
    size_t aligned_sum = 0;
    for (BufferRequest& r : requests) {
      r.bytes = rng() % 5 == 0 ? 0 : 1 + rng() % 5000;
      r.first_use = static_cast<int>(rng() % steps);
      r.last_use =
          r.first_use + static_cast<int>(rng() % (steps - r.first_use));
      aligned_sum += (r.bytes + alignment - 1) / alignment * alignment;
    }
    SCOPED_TRACE(::testing::Message()
                 << "trial " << trial << " alignment " << alignment);
    const ArenaPlan plan = PlanArena(requests, alignment);
    ASSERT_EQ(plan.offsets.size(), requests.size());
    EXPECT_TRUE(CheckNoOverlap(requests, plan).ok())
        << CheckNoOverlap(requests, plan) << "\n"
        << DebugString(requests, plan);
    EXPECT_GE(plan.arena_bytes, PeakLiveBytes(requests));
    EXPECT_LE(plan.arena_bytes, aligned_sum);  // never worse than no reuse
    EXPECT_EQ(plan.arena_bytes % alignment, 0u);
    for (size_t i = 0; i < requests.size(); ++i) {
      EXPECT_EQ(plan.offsets[i] % alignment, 0u) << "request " << i;
      if (requests[i].bytes == 0) EXPECT_EQ(plan.offsets[i], 0u);
    }
  }
}

TEST(MemoryPlannerTest, SequentialBuffersShareOffsetZero) {
  const std::vector<BufferRequest> requests = {
      {100, 0, 0}, {100, 1, 1}, {100, 2, 2}};
  const ArenaPlan plan = PlanArena(requests);
  EXPECT_THAT(plan.offsets, ElementsAre(0, 0, 0));
  EXPECT_EQ(plan.arena_bytes, 128u);
}

TEST(MemoryPlannerTest, ChainPlacesLargestFirst) {
  // B (largest) goes first at 0; A and C overlap B, not each other, so both
  // land right after it.
  const std::vector<BufferRequest> requests = {
      {100, 0, 1}, {200, 1, 2}, {100, 2, 3}};
  const ArenaPlan plan = PlanArena(requests);
  EXPECT_THAT(plan.offsets, ElementsAre(256, 0, 256));
  EXPECT_EQ(plan.arena_bytes, 384u);
}

TEST(MemoryPlannerTest, SmallBufferFillsGapBelowALiveOne) {
  // B [0,128) is placed first; A overlaps it and goes to 128; C overlaps
  // only A, so it fits in the gap at 0.
  const std::vector<BufferRequest> requests = {
      {64, 0, 2}, {128, 0, 0}, {64, 2, 2}};
  const ArenaPlan plan = PlanArena(requests);
  EXPECT_THAT(plan.offsets, ElementsAre(128, 0, 0));
  EXPECT_EQ(plan.arena_bytes, 192u);
}

TEST(MemoryPlannerTest, TiesGoToTheEarlierFirstUse) {
  const std::vector<BufferRequest> requests = {{64, 1, 2}, {64, 0, 1}};
  const ArenaPlan plan = PlanArena(requests);
  EXPECT_THAT(plan.offsets, ElementsAre(64, 0));
}

TEST(MemoryPlannerTest, OffsetsFollowTheAlignment) {
  const std::vector<BufferRequest> requests = {{10, 0, 1}, {10, 1, 1}};
  const ArenaPlan plan16 = PlanArena(requests, 16);
  EXPECT_THAT(plan16.offsets, ElementsAre(0, 16));
  EXPECT_EQ(plan16.arena_bytes, 32u);
  const ArenaPlan plan64 = PlanArena(requests, 64);
  EXPECT_THAT(plan64.offsets, ElementsAre(0, 64));
  EXPECT_EQ(plan64.arena_bytes, 128u);
  const ArenaPlan plan1 = PlanArena(requests, 1);
  EXPECT_THAT(plan1.offsets, ElementsAre(0, 10));
  EXPECT_EQ(plan1.arena_bytes, 20u);
}

TEST(MemoryPlannerTest, ZeroSizeBuffersTakeNoSpace) {
  const std::vector<BufferRequest> requests = {
      {0, 0, 5}, {64, 0, 1}, {0, 1, 1}, {64, 1, 2}};
  const ArenaPlan plan = PlanArena(requests);
  EXPECT_THAT(plan.offsets, ElementsAre(0, 0, 0, 64));
  EXPECT_EQ(plan.arena_bytes, 128u);
  EXPECT_TRUE(CheckNoOverlap(requests, plan).ok());

  const std::vector<BufferRequest> only_empty = {{0, 0, 0}, {0, 0, 3}};
  const ArenaPlan empty_plan = PlanArena(only_empty);
  EXPECT_EQ(empty_plan.arena_bytes, 0u);
  EXPECT_TRUE(CheckNoOverlap(only_empty, empty_plan).ok());
  EXPECT_EQ(PlanArena({}).arena_bytes, 0u);
}

TEST(MemoryPlannerTest, CheckNoOverlapDetectsBrokenPlans) {
  const std::vector<BufferRequest> requests = {
      {100, 0, 2}, {50, 1, 3}, {80, 4, 5}};
  ArenaPlan plan = PlanArena(requests);
  ASSERT_TRUE(CheckNoOverlap(requests, plan).ok());

  ArenaPlan overlapping = plan;
  overlapping.offsets[1] = 64;  // [64,114) meets request 0's [0,100)
  absl::Status status = CheckNoOverlap(requests, overlapping);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(status.message()), HasSubstr("buffers 0 [0,100)"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("1 [64,114)"));

  // Sharing bytes is fine when the lifetimes are disjoint.
  ArenaPlan disjoint = plan;
  disjoint.offsets[2] = disjoint.offsets[0];
  EXPECT_TRUE(CheckNoOverlap(requests, disjoint).ok());

  ArenaPlan too_small = plan;
  too_small.arena_bytes = 120;
  status = CheckNoOverlap(requests, too_small);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(status.message()), HasSubstr("120-byte arena"));
}

TEST(MemoryPlannerTest, DebugStringDrawsOneRowPerStep) {
  const std::vector<BufferRequest> requests = {
      {64, 0, 1}, {64, 1, 2}, {0, 0, 3}, {128, 3, 3}};
  const ArenaPlan plan = PlanArena(requests);
  const std::string text = DebugString(requests, plan, /*width=*/16);
  std::vector<std::string> lines =
      absl::StrSplit(text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u + 4u) << text;  // header + steps 0..3
  EXPECT_THAT(lines[0], HasSubstr("arena 128 bytes, 4 buffers"));
  for (int step = 0; step < 4; ++step) {
    EXPECT_THAT(lines[1 + step], HasSubstr(absl::StrCat(step, " |"))) << text;
    // 16 columns between the bars.
    const size_t bar = lines[1 + step].find('|');
    EXPECT_EQ(lines[1 + step].size(), bar + 16 + 2) << lines[1 + step];
  }
  EXPECT_THAT(lines[1], HasSubstr("A"));
  EXPECT_THAT(lines[1], ::testing::Not(HasSubstr("B")));
  EXPECT_THAT(lines[2], HasSubstr("A"));
  EXPECT_THAT(lines[2], HasSubstr("B"));
  EXPECT_THAT(lines[3], ::testing::Not(HasSubstr("A")));
  EXPECT_THAT(lines[4], HasSubstr("DDDDDDDDDDDDDDDD"));  // fills the arena
  EXPECT_THAT(text, ::testing::Not(HasSubstr("C")));     // zero bytes
}

}  // namespace
}  // namespace attune
