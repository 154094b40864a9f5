#ifndef ATTUNE_CHECKPOINT_CHECKPOINT_H_
#define ATTUNE_CHECKPOINT_CHECKPOINT_H_

// The public C++ checkpoint API: save an interpreter's variables to a local
// SQLite checkpoint database and restore them, with plain std::string
// paths and selectors (no string tensors). Format and durability:
// checkpoint/FORMAT.md.
//
//   attune::SaveOptions save;
//   save.properties = {{"epoch", int64_t{3}}, {"accuracy", 0.91}};
//   ATTUNE_ASSIGN_OR_RETURN(int64_t id, attune::Save(*interpreter, db, save));
//   ATTUNE_ASSIGN_OR_RETURN(auto info, attune::Restore(*interpreter, db));
//
// Every function opens the database, does its work in one transaction (a
// restore: one read, then the variable writes) and closes it; errors are as
// CheckpointStore (store.h) and RestoreVariables (save_restore.h) describe.
// Use CheckpointStore directly to keep a database open across calls.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "checkpoint/save_restore.h"
#include "checkpoint/store.h"
#include "engine/interpreter.h"
#include "engine/model.h"

namespace attune {

// Saves every variable (optimizer state unless excluded) as a new
// checkpoint of `db_path` (created if needed). Returns its id.
absl::StatusOr<int64_t> Save(VariableStore& variables,
                             const std::string& db_path,
                             const SaveOptions& options = {});
inline absl::StatusOr<int64_t> Save(Interpreter& interpreter,
                                    const std::string& db_path,
                                    const SaveOptions& options = {}) {
  return Save(interpreter.variables(), db_path, options);
}

// Restores checkpoint `selector` ("latest", a decimal id, or a tag); all or
// nothing (see RestoreVariables). Returns the checkpoint restored.
absl::StatusOr<CheckpointInfo> Restore(VariableStore& variables,
                                       const std::string& db_path,
                                       absl::string_view selector = "latest",
                                       const RestoreOptions& options = {});
inline absl::StatusOr<CheckpointInfo> Restore(
    Interpreter& interpreter, const std::string& db_path,
    absl::string_view selector = "latest", const RestoreOptions& options = {}) {
  return Restore(interpreter.variables(), db_path, selector, options);
}

// Writes a nominal checkpoint of `model` (variable names, dtypes, shapes; no
// data) so an app can ship small and receive weights later.
absl::StatusOr<int64_t> SaveNominal(const Model& model,
                                    const std::string& db_path,
                                    const SaveOptions& options = {});

// Checkpoints of `db_path`, oldest first. NotFound when the file is absent
// (it is not created).
absl::StatusOr<std::vector<CheckpointInfo>> ListCheckpoints(
    const std::string& db_path);

// Deletes checkpoint `selector`. NotFound when it does not exist.
absl::Status DeleteCheckpoint(const std::string& db_path,
                              absl::string_view selector);

// Properties of checkpoint `selector`.
absl::StatusOr<Properties> GetCheckpointProperties(const std::string& db_path,
                                                   absl::string_view selector);
absl::Status SetCheckpointProperty(const std::string& db_path,
                                   absl::string_view selector,
                                   const std::string& name,
                                   const PropertyValue& value);

// Checks every checkpoint of `db_path` (CheckpointStore::Verify); OK, or
// DataLoss naming the first problem.
absl::Status VerifyCheckpoints(const std::string& db_path);

}  // namespace attune

#endif  // ATTUNE_CHECKPOINT_CHECKPOINT_H_
