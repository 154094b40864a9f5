#include "engine/op_code.h"

#include "absl/strings/str_cat.h"
#include "attune_generated.h"

namespace attune {
namespace {

// Every C++ op code equals its schema op code.
#define ATTUNE_OP(cpp, schema, str, min_in, max_in, num_out)        \
  static_assert(static_cast<int>(OpCode::k##cpp) ==                 \
                    static_cast<int>(fb::OpCode::schema),           \
                "op_list.inc and schema/attune.fbs disagree on " #schema);
#include "engine/op_list.inc"
#undef ATTUNE_OP
static_assert(static_cast<int>(fb::OpCode::MAX) + 1 == kNumOpCodes,
              "schema/attune.fbs has ops that op_list.inc lacks");

constexpr OpInfo kOpInfos[] = {
#define ATTUNE_OP(cpp, schema, str, min_in, max_in, num_out) \
  {str, min_in, max_in, num_out},
#include "engine/op_list.inc"
#undef ATTUNE_OP
};

}  // namespace

bool IsValidOpCode(int value) { return value >= 0 && value < kNumOpCodes; }

const OpInfo& GetOpInfo(OpCode code) {
  return kOpInfos[static_cast<int>(code)];
}

absl::string_view OpName(OpCode code) {
  return IsValidOpCode(static_cast<int>(code)) ? GetOpInfo(code).name
                                               : absl::string_view("invalid");
}

bool IsStateful(OpCode code) {
  switch (code) {
    case OpCode::kReadVariable:
    case OpCode::kAssignVariable:
    case OpCode::kAssignAddVariable:
    case OpCode::kAssignSubVariable:
    case OpCode::kSgdUpdate:
    case OpCode::kAdamUpdate:
    case OpCode::kRmspropUpdate:
    case OpCode::kAdagradUpdate:
    case OpCode::kSaveCheckpoint:
    case OpCode::kRestoreCheckpoint:
    case OpCode::kSaveTensors:
    case OpCode::kRestoreTensors:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<OpCode> ParseOpCode(absl::string_view name) {
  for (int i = 0; i < kNumOpCodes; ++i) {
    if (kOpInfos[i].name == name) return static_cast<OpCode>(i);
  }
  return absl::NotFoundError(absl::StrCat("unknown op \"", name, "\""));
}

}  // namespace attune
