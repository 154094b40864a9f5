#ifndef ATTUNE_ENGINE_MEMORY_PLANNER_H_
#define ATTUNE_ENGINE_MEMORY_PLANNER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace attune {

// A buffer that must be live from step `first_use` through step `last_use`
// (inclusive). Steps are node positions in an execution plan.
struct BufferRequest {
  size_t bytes = 0;
  int first_use = 0;
  int last_use = 0;
};

struct ArenaPlan {
  std::vector<size_t> offsets;  // one per request, multiples of alignment
  size_t arena_bytes = 0;       // high-water mark
};

// Places buffers in one arena so that buffers with overlapping lifetimes never
// share bytes. Greedy by size:
//  1. order requests by size, largest first (ties: earlier first_use);
//  2. for each, gather the already placed requests whose lifetimes overlap
//     it, sorted by offset;
//  3. place it in the lowest gap between them that fits (offsets aligned);
//  4. the arena size is the largest end offset.
// Zero-byte requests get offset 0 and take no space.
ArenaPlan PlanArena(absl::Span<const BufferRequest> requests,
                    size_t alignment = 64);

// Internal error naming the first pair of requests that are live at the same
// step and overlap in the arena. For tests and debug builds.
absl::Status CheckNoOverlap(absl::Span<const BufferRequest> requests,
                            const ArenaPlan& plan);

// An ASCII map: one row per step, the arena scaled to `width` columns, each
// live buffer drawn with a letter. For `attune info --plan` and debugging.
std::string DebugString(absl::Span<const BufferRequest> requests,
                        const ArenaPlan& plan, int width = 64);

}  // namespace attune

#endif  // ATTUNE_ENGINE_MEMORY_PLANNER_H_
