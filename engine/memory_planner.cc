#include "engine/memory_planner.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace attune {
namespace {

size_t AlignUp(size_t value, size_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

bool LifetimesOverlap(const BufferRequest& a, const BufferRequest& b) {
  return a.first_use <= b.last_use && b.first_use <= a.last_use;
}

}  // namespace

ArenaPlan PlanArena(absl::Span<const BufferRequest> requests,
                    size_t alignment) {
  ArenaPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].bytes != requests[b].bytes) {
      return requests[a].bytes > requests[b].bytes;
    }
    return requests[a].first_use < requests[b].first_use;
  });

  std::vector<size_t> placed;  // indices into requests, in placement order
  std::vector<size_t> conflicts;
  for (size_t index : order) {
    const BufferRequest& request = requests[index];
    if (request.bytes == 0) continue;
    conflicts.clear();
    for (size_t other : placed) {
      if (LifetimesOverlap(request, requests[other])) conflicts.push_back(other);
    }
    std::sort(conflicts.begin(), conflicts.end(), [&](size_t a, size_t b) {
      return plan.offsets[a] < plan.offsets[b];
    });
    size_t candidate = 0;
    for (size_t other : conflicts) {
      const size_t other_begin = plan.offsets[other];
      if (candidate + request.bytes <= other_begin) break;  // fits in the gap
      candidate = std::max(
          candidate, AlignUp(other_begin + requests[other].bytes, alignment));
    }
    plan.offsets[index] = candidate;
    plan.arena_bytes = std::max(plan.arena_bytes, candidate + request.bytes);
    placed.push_back(index);
  }
  plan.arena_bytes = AlignUp(plan.arena_bytes, alignment);
  return plan;
}

absl::Status CheckNoOverlap(absl::Span<const BufferRequest> requests,
                            const ArenaPlan& plan) {
  for (size_t a = 0; a < requests.size(); ++a) {
    if (requests[a].bytes == 0) continue;
    if (plan.offsets[a] + requests[a].bytes > plan.arena_bytes) {
      return absl::InternalError(absl::StrCat("buffer ", a, " ends past the ",
                                              plan.arena_bytes, "-byte arena"));
    }
    for (size_t b = a + 1; b < requests.size(); ++b) {
      if (requests[b].bytes == 0 || !LifetimesOverlap(requests[a], requests[b])) {
        continue;
      }
      const size_t a_end = plan.offsets[a] + requests[a].bytes;
      const size_t b_end = plan.offsets[b] + requests[b].bytes;
      if (plan.offsets[a] < b_end && plan.offsets[b] < a_end) {
        return absl::InternalError(absl::StrCat(
            "buffers ", a, " [", plan.offsets[a], ",", a_end, ") and ", b,
            " [", plan.offsets[b], ",", b_end,
            ") overlap while both are live"));
      }
    }
  }
  return absl::OkStatus();
}

std::string DebugString(absl::Span<const BufferRequest> requests,
                        const ArenaPlan& plan, int width) {
  int last_step = 0;
  for (const BufferRequest& r : requests) last_step = std::max(last_step, r.last_use);
  std::string out = absl::StrCat("arena ", plan.arena_bytes, " bytes, ",
                                 requests.size(), " buffers\n");
  const double scale =
      plan.arena_bytes == 0 ? 0.0 : static_cast<double>(width) / plan.arena_bytes;
  for (int step = 0; step <= last_step; ++step) {
    std::string row(width, '.');
    for (size_t i = 0; i < requests.size(); ++i) {
      const BufferRequest& r = requests[i];
      if (r.bytes == 0 || step < r.first_use || step > r.last_use) continue;
      const int begin = static_cast<int>(plan.offsets[i] * scale);
      const int end = std::max(
          begin + 1, static_cast<int>((plan.offsets[i] + r.bytes) * scale));
      for (int c = begin; c < std::min(end, width); ++c) {
        row[c] = static_cast<char>('A' + i % 26);
      }
    }
    absl::StrAppend(&out, absl::StrFormat("%4d |", step), row, "|\n");
  }
  return out;
}

}  // namespace attune
