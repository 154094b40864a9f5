#ifndef ATTUNE_CHECKPOINT_SAVE_RESTORE_H_
#define ATTUNE_CHECKPOINT_SAVE_RESTORE_H_

// Saving and restoring a VariableStore to and from a checkpoint database.
// The interpreter-level API (checkpoint/checkpoint.h) and the save/restore
// kernels both call these; they depend only on the variables layer.
// Format: checkpoint/FORMAT.md.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "checkpoint/store.h"
#include "engine/graph.h"
#include "variables/variable_store.h"

namespace attune {

struct SaveOptions {
  // Step recorded in the checkpoint; default: the value of the int64
  // variable "optimizer/step" if the model has one, else 0.
  std::optional<int64_t> step;
  std::string tag;  // empty: untagged
  Properties properties;
  // Optimizer slots, step and learning rate (see IsOptimizerState).
  bool include_optimizer_state = true;
  // > 0: keep only the last `keep_last` untagged checkpoints, pruned in the
  // same transaction as the save.
  int keep_last = 0;
  StoreOptions store;
};

struct RestoreOptions {
  // Restore only these model variables (NotFound for a name the model does
  // not have) ...
  std::vector<std::string> names;
  // ... and/or only those whose name starts with `prefix`. Both empty: every
  // variable.
  std::string prefix;
  bool include_optimizer_state = true;
  // Where each model variable is read from: pairs (model-name prefix,
  // checkpoint-name prefix); the first pair whose first member prefixes the
  // variable's name replaces that prefix. A full name maps one variable
  // ({"head/kernel", "old_head/kernel"}); {"backbone/", "mobilenet/"} loads
  // a backbone saved by another model. Unmatched names read themselves.
  std::vector<std::pair<std::string, std::string>> name_map;
  // Restore although the checkpoint was saved from a model with another
  // fingerprint (another architecture); names, dtypes and shapes are still
  // checked per tensor.
  bool allow_fingerprint_mismatch = false;
  // Restore never creates the database (NotFound for a missing file).
  StoreOptions store = [] {
    StoreOptions options;
    options.create = false;
    return options;
  }();
};

// 16 hex digits identifying the model's variables (names, dtypes, shapes;
// not values). Algorithm in FORMAT.md, "Model fingerprint".
std::string ModelFingerprint(const std::vector<VariableInfo>& variables);

// True for optimizer state: names under "optimizer/", and slots named
// "<v>/<optimizer>/<slot>" where <v> is another variable of the model.
bool IsOptimizerState(const std::vector<VariableInfo>& variables, int index);

// Writes the variables as a new checkpoint of `store` in one transaction and
// returns its id. Errors: as CheckpointStore::Write.
absl::StatusOr<int64_t> SaveVariables(const VariableStore& variables,
                                      CheckpointStore& store,
                                      const SaveOptions& options);

// Writes a nominal checkpoint: the variables' names, dtypes and shapes
// without data (an app ships it and receives weights later). Returns its id.
absl::StatusOr<int64_t> SaveNominalVariables(
    const std::vector<VariableInfo>& variables, CheckpointStore& store,
    const SaveOptions& options);

// Restores the checkpoint `selector` ("latest", an id or a tag) into the
// selected variables, all or nothing: every tensor is read and checked
// (checksum, dtype, shape, fingerprint unless allowed) before any variable
// is written, so on error the variables are exactly as before. Returns the
// checkpoint restored. Errors name the checkpoint, the tensor and the
// reason: NotFound (no such checkpoint, a missing tensor, an unknown
// variable in `names`), FailedPrecondition (nominal checkpoint),
// InvalidArgument (fingerprint, dtype or shape mismatch), DataLoss
// (corruption).
//
// A checkpoint saved without optimizer state (it holds none of the model's
// optimizer variables) restores the other variables and leaves the
// optimizer state as it is.
absl::StatusOr<CheckpointInfo> RestoreVariables(VariableStore& variables,
                                                CheckpointStore& store,
                                                absl::string_view selector,
                                                const RestoreOptions& options);

}  // namespace attune

#endif  // ATTUNE_CHECKPOINT_SAVE_RESTORE_H_
