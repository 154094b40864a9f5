// The save_checkpoint and restore_checkpoint kernels behind every compiled
// model's save(path) and restore(path) signatures (engine/kernels/OPS.md).
// Compiled into attune_kernels (registry.cc registers them); they reach the
// variables through NodeContext::variables() and the store through
// checkpoint/save_restore.h.

#include <string>

#include "absl/strings/str_cat.h"
#include "checkpoint/save_restore.h"
#include "checkpoint/store.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

absl::Status PrepareCheckpointOp(NodeContext& ctx) {
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectInputDType(0, DType::kString));
  if (ctx.input(0).num_elements() != 1) {
    return ctx.InvalidArgument(
        absl::StrCat("path must hold one string, has shape ",
                     ShapeToString(ctx.input(0).shape)));
  }
  for (const char* name : {"include_optimizer_state", "keep_last"}) {
    absl::StatusOr<int64_t> value = ctx.attrs().GetIntOr(name, 0);
    if (!value.ok()) return ctx.Annotate(value.status());
    if (*value < 0) {
      return ctx.InvalidArgument(absl::StrCat(name, " ", *value, " < 0"));
    }
  }
  if (ctx.op() == OpCode::kRestoreCheckpoint) {
    absl::StatusOr<std::string> selector =
        ctx.attrs().GetStringOr("selector", "latest");
    if (!selector.ok()) return ctx.Annotate(selector.status());
  }
  return ctx.SetOutput(0, DType::kInt64, {});
}

// The path input, or InvalidArgument; the variables, or FailedPrecondition.
absl::StatusOr<std::string> PathOf(NodeContext& ctx) {
  const std::string& path = *ctx.input(0).data_as<std::string>();
  if (path.empty()) return ctx.InvalidArgument("path is empty");
  if (ctx.variables() == nullptr) {
    return ctx.Annotate(
        absl::FailedPreconditionError("the plan has no variables"));
  }
  return path;
}

absl::Status EvalSave(NodeContext& ctx) {
  ATTUNE_ASSIGN_OR_RETURN(std::string path, PathOf(ctx));
  SaveOptions options;
  options.include_optimizer_state =
      ctx.attrs().GetIntOr("include_optimizer_state", 1).value_or(1) != 0;
  options.keep_last =
      static_cast<int>(ctx.attrs().GetIntOr("keep_last", 0).value_or(0));
  absl::StatusOr<std::unique_ptr<CheckpointStore>> store =
      CheckpointStore::Open(path, options.store);
  if (!store.ok()) return ctx.Annotate(store.status());
  absl::StatusOr<int64_t> id =
      SaveVariables(*ctx.variables(), **store, options);
  if (!id.ok()) return ctx.Annotate(id.status());
  *ctx.output(0).data_as<int64_t>() = *id;
  return absl::OkStatus();
}

absl::Status EvalRestore(NodeContext& ctx) {
  ATTUNE_ASSIGN_OR_RETURN(std::string path, PathOf(ctx));
  RestoreOptions options;
  options.include_optimizer_state =
      ctx.attrs().GetIntOr("include_optimizer_state", 1).value_or(1) != 0;
  const std::string selector =
      ctx.attrs().GetStringOr("selector", "latest").value_or("latest");
  absl::StatusOr<std::unique_ptr<CheckpointStore>> store =
      CheckpointStore::Open(path, options.store);
  if (!store.ok()) return ctx.Annotate(store.status());
  absl::StatusOr<CheckpointInfo> info =
      RestoreVariables(*ctx.variables(), **store, selector, options);
  if (!info.ok()) return ctx.Annotate(info.status());
  *ctx.output(0).data_as<int64_t>() = info->step;
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterSaveCheckpoint() {
  return {PrepareCheckpointOp, EvalSave};
}

KernelRegistration RegisterRestoreCheckpoint() {
  return {PrepareCheckpointOp, EvalRestore};
}

}  // namespace attune
