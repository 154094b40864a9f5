#include "checkpoint/checkpoint.h"

#include "engine/status_macros.h"

namespace attune {
namespace {

absl::StatusOr<std::unique_ptr<CheckpointStore>> OpenReadOnly(
    const std::string& db_path) {
  StoreOptions options;
  options.read_only = true;
  return CheckpointStore::Open(db_path, options);
}

// For changes to existing checkpoints: never creates the file.
absl::StatusOr<std::unique_ptr<CheckpointStore>> OpenExisting(
    const std::string& db_path) {
  StoreOptions options;
  options.create = false;
  return CheckpointStore::Open(db_path, options);
}

}  // namespace

absl::StatusOr<int64_t> Save(VariableStore& variables,
                             const std::string& db_path,
                             const SaveOptions& options) {
  ATTUNE_ASSIGN_OR_RETURN(std::unique_ptr<CheckpointStore> store,
                          CheckpointStore::Open(db_path, options.store));
  return SaveVariables(variables, *store, options);
}

absl::StatusOr<CheckpointInfo> Restore(VariableStore& variables,
                                       const std::string& db_path,
                                       absl::string_view selector,
                                       const RestoreOptions& options) {
  ATTUNE_ASSIGN_OR_RETURN(std::unique_ptr<CheckpointStore> store,
                          CheckpointStore::Open(db_path, options.store));
  return RestoreVariables(variables, *store, selector, options);
}

absl::StatusOr<int64_t> SaveNominal(const Model& model,
                                    const std::string& db_path,
                                    const SaveOptions& options) {
  ATTUNE_ASSIGN_OR_RETURN(std::unique_ptr<CheckpointStore> store,
                          CheckpointStore::Open(db_path, options.store));
  return SaveNominalVariables(model.graph().variables, *store, options);
}

absl::StatusOr<std::vector<CheckpointInfo>> ListCheckpoints(
    const std::string& db_path) {
  ATTUNE_ASSIGN_OR_RETURN(std::unique_ptr<CheckpointStore> store,
                          OpenReadOnly(db_path));
  return store->List();
}

absl::Status DeleteCheckpoint(const std::string& db_path,
                              absl::string_view selector) {
  ATTUNE_ASSIGN_OR_RETURN(std::unique_ptr<CheckpointStore> store,
                          OpenExisting(db_path));
  ATTUNE_ASSIGN_OR_RETURN(CheckpointInfo info, store->Find(selector));
  return store->Delete(info.id);
}

absl::StatusOr<Properties> GetCheckpointProperties(const std::string& db_path,
                                                   absl::string_view selector) {
  ATTUNE_ASSIGN_OR_RETURN(std::unique_ptr<CheckpointStore> store,
                          OpenReadOnly(db_path));
  ATTUNE_ASSIGN_OR_RETURN(CheckpointInfo info, store->Find(selector));
  return std::move(info.properties);
}

absl::Status SetCheckpointProperty(const std::string& db_path,
                                   absl::string_view selector,
                                   const std::string& name,
                                   const PropertyValue& value) {
  ATTUNE_ASSIGN_OR_RETURN(std::unique_ptr<CheckpointStore> store,
                          OpenExisting(db_path));
  ATTUNE_ASSIGN_OR_RETURN(CheckpointInfo info, store->Find(selector));
  return store->SetProperty(info.id, name, value);
}

absl::Status VerifyCheckpoints(const std::string& db_path) {
  ATTUNE_ASSIGN_OR_RETURN(std::unique_ptr<CheckpointStore> store,
                          OpenReadOnly(db_path));
  ATTUNE_ASSIGN_OR_RETURN(VerifyReport report, store->Verify());
  return report.status();
}

}  // namespace attune
