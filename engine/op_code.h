#ifndef ATTUNE_ENGINE_OP_CODE_H_
#define ATTUNE_ENGINE_OP_CODE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace attune {

// Operator codes; values equal schema/attune.fbs `enum OpCode`.
enum class OpCode : int32_t {
#define ATTUNE_OP(cpp, schema, str, min_in, max_in, num_out) k##cpp,
#include "engine/op_list.inc"
#undef ATTUNE_OP
  kNumOpCodes,
};

inline constexpr int kNumOpCodes = static_cast<int>(OpCode::kNumOpCodes);

// Static facts about one operator: its names and arity. The validator checks
// every node against these before any kernel sees it.
struct OpInfo {
  absl::string_view name;  // "conv2d"
  int min_inputs;
  int max_inputs;          // -1: variadic
  int num_outputs;         // -1: variadic (at least one); 0: side effect only
};

// REQUIRES: IsValidOpCode(code).
const OpInfo& GetOpInfo(OpCode code);
bool IsValidOpCode(int value);
absl::string_view OpName(OpCode code);

// True for ops that read or write interpreter state (resource variables).
// They are never folded at prepare time and never pruned.
bool IsStateful(OpCode code);

// Inverse of OpName. NotFound for an unknown name.
absl::StatusOr<OpCode> ParseOpCode(absl::string_view name);

}  // namespace attune

#endif  // ATTUNE_ENGINE_OP_CODE_H_
