// The --checkpoint DB option of `attune fit` and `attune run` (DESIGN.md,
// "The command-line contract"): restore the latest checkpoint first if DB
// has one, save a new one at the end.

#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "checkpoint/save_restore.h"
#include "checkpoint/store.h"
#include "engine/status_macros.h"
#include "tools/cli.h"

namespace attune {
namespace cli {

absl::StatusOr<std::optional<CheckpointInfo>> RestoreLatestIfAny(
    Interpreter& interpreter, const std::string& db) {
  std::error_code ec;
  if (!std::filesystem::exists(db, ec)) return std::nullopt;
  ATTUNE_ASSIGN_OR_RETURN(std::unique_ptr<CheckpointStore> store,
                          CheckpointStore::Open(db));
  absl::StatusOr<CheckpointInfo> latest = store->Find("latest");
  if (absl::IsNotFound(latest.status())) return std::nullopt;
  if (!latest.ok()) return latest.status();
  ATTUNE_ASSIGN_OR_RETURN(
      CheckpointInfo info,
      RestoreVariables(interpreter.variables(), *store,
                       absl::StrCat(latest->id), RestoreOptions{}));
  std::cout << "restored checkpoint " << info.id << " (step " << info.step
            << ") from " << db << std::endl;
  return info;
}

absl::StatusOr<int64_t> SaveCheckpoint(Interpreter& interpreter,
                                       const std::string& db,
                                       const Properties& properties) {
  ATTUNE_ASSIGN_OR_RETURN(std::unique_ptr<CheckpointStore> store,
                          CheckpointStore::Open(db));
  SaveOptions options;
  options.properties = properties;
  ATTUNE_ASSIGN_OR_RETURN(
      int64_t id, SaveVariables(interpreter.variables(), *store, options));
  ATTUNE_ASSIGN_OR_RETURN(CheckpointInfo info, store->Find(absl::StrCat(id)));
  std::cout << "saved checkpoint " << id << " (step " << info.step << ") to "
            << db << std::endl;
  return id;
}

}  // namespace cli
}  // namespace attune
