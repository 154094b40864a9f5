#ifndef ATTUNE_CHECKPOINT_INSPECT_H_
#define ATTUNE_CHECKPOINT_INSPECT_H_

// The library part of `attune ckpt` (tools/ckpt_command.cc): per-tensor
// statistics, checkpoint diffs, export to and import from NumPy files,
// detailed verification and property histories. Reads go through
// CheckpointStore (store.h), so every tensor's size and checksum is checked;
// the database format is checkpoint/FORMAT.md.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "checkpoint/store.h"
#include "data/npz.h"
#include "engine/graph.h"

namespace attune {

// Statistics of one tensor's elements, in double precision. min, max, mean,
// std (population, ddof 0) and l2 (sqrt of the sum of squares) are over the
// finite elements only; NaNs and infinities are counted apart. With no
// finite element they are NaN.
struct TensorStats {
  int64_t count = 0;  // elements
  double min = 0, max = 0, mean = 0, std = 0, l2 = 0;
  int64_t nan_count = 0;
  int64_t inf_count = 0;
};

// Statistics of `data` holding elements of `dtype` (float32, float16, int32,
// int64, int8, uint8, bool). Unimplemented for string tensors;
// InvalidArgument when the byte count is not a whole number of elements.
absl::StatusOr<TensorStats> ComputeTensorStats(DType dtype,
                                               absl::Span<const uint8_t> data);

// One tensor of a checkpoint as `attune ckpt show` lists it.
struct TensorSummary {
  TensorRecord record;
  // OK when the data was read and its checksum matches; DataLoss (or
  // another read error) naming the tensor otherwise. OK for nominal tensors.
  absl::Status status;
  // Present when the data was read and the dtype has numbers.
  std::optional<TensorStats> stats;
};

// Summarizes every tensor of checkpoint `id`, reading them one at a time so
// that one damaged tensor does not hide the others. Errors: NotFound for
// `id`; DataLoss when the tensor rows themselves cannot be listed.
absl::StatusOr<std::vector<TensorSummary>> SummarizeCheckpoint(
    CheckpointStore& store, int64_t id);

// How one variable differs between checkpoints A and B.
struct TensorDiff {
  enum class Kind { kSame, kChanged, kAdded, kRemoved, kReshaped };
  std::string name;
  Kind kind = Kind::kSame;
  std::optional<TensorRecord> a;  // absent for kAdded
  std::optional<TensorRecord> b;  // absent for kRemoved
  // kSame / kChanged only: L2 norm of B - A, of A, and their ratio (the
  // relative change; 0 when both are 0, +inf when only A's norm is 0).
  // For nominal or string tensors all three stay 0 and the kind is kSame
  // when the records match.
  double l2_diff = 0;
  double l2_a = 0;
  double relative = 0;
  int64_t elements_changed = 0;
};

// "same", "changed", "added", "removed", "reshaped" (dtype or shape).
absl::string_view TensorDiffKindName(TensorDiff::Kind kind);

// Compares checkpoint `id_a` of `a` with `id_b` of `b` (the same store or
// two): one entry per variable name, A's order first, then names only in B.
// Errors: as ReadTensors (NotFound, DataLoss naming the tensor).
absl::StatusOr<std::vector<TensorDiff>> DiffCheckpoints(CheckpointStore& a,
                                                        int64_t id_a,
                                                        CheckpointStore& b,
                                                        int64_t id_b);

// Every tensor of checkpoint `id` as an array named by the exact variable
// name (e.g. "dense_1/kernel"), in save order. FailedPrecondition for a
// nominal checkpoint; Unimplemented naming a tensor whose dtype has no
// .npy form (float16, string); errors of ReadTensors.
absl::StatusOr<NamedArrays> CheckpointArrays(CheckpointStore& store,
                                             int64_t id);

// File name of `variable` in an npy directory export: each "/" becomes
// "__" (as `attune fit --save-weights`), other characters outside
// [A-Za-z0-9_.-] become "_", plus ".npy".
std::string NpyFileNameFor(absl::string_view variable);

// Writes `arrays` as one DIR/NpyFileNameFor(name) file each, creating DIR.
// InvalidArgument when two names map to one file name.
absl::Status WriteNpyDir(const std::string& dir, const NamedArrays& arrays);

// Writes CSV to `path`: header "variable,index,value", one row per
// element, index the row-major flat index, each value with the digits that
// make it exact (9 significant for float32, integers in full). Variable
// names are quoted when they need it. Streams: memory does not grow with
// the output. InvalidArgument when the file cannot be opened, DataLoss
// when a write fails (e.g. a full disk).
absl::Status WriteArraysCsv(const std::string& path, const NamedArrays& arrays);

struct ImportOptions {
  int64_t step = 0;
  std::string tag;
  Properties properties;
  // When set: the model the weights are for. Each array must be one of its
  // variables with the same dtype and shape (float64 arrays are converted
  // to float32 variables), every non-optimizer variable must be present,
  // and optimizer state all or none; the checkpoint then carries the
  // model's fingerprint so Restore (and `attune run --checkpoint`) accepts
  // it. Unset: fingerprint "" (restore with allow_fingerprint_mismatch).
  std::optional<std::vector<VariableInfo>> model_variables;
};

// Writes `arrays` (e.g. read from an .npz saved by numpy) as a new
// checkpoint of `store`, float64 arrays stored as float32, and returns its
// id. InvalidArgument naming the array for a mismatch with the model or an
// unsupported dtype; errors of CheckpointStore::Write.
absl::StatusOr<int64_t> ImportArrays(CheckpointStore& store,
                                     const NamedArrays& arrays,
                                     const ImportOptions& options);

// A detailed verification: CheckpointStore::Verify, then, for each damaged
// checkpoint, every tensor read alone so each damaged one is named.
struct DetailedVerifyReport {
  VerifyReport report;
  struct DamagedTensor {
    int64_t checkpoint_id = 0;
    std::string name;
    std::string problem;
  };
  std::vector<DamagedTensor> damaged_tensors;
};
// Errors: only when the database cannot be read at all (DataLoss for a
// file too damaged to list its checkpoints).
absl::StatusOr<DetailedVerifyReport> VerifyDetailed(CheckpointStore& store);

// One point of a property's history.
struct HistoryPoint {
  int64_t checkpoint_id = 0;
  int64_t step = 0;
  double value = 0;
};

// The numeric property `name` (int64 or double) of every checkpoint that
// has it, oldest first; checkpoints without it are skipped. The names
// "step" and "id" fall back to the checkpoint's step and id when no
// property of that name exists. InvalidArgument when a checkpoint holds it
// as a string.
absl::StatusOr<std::vector<HistoryPoint>> PropertyHistory(
    CheckpointStore& store, absl::string_view name);

}  // namespace attune

#endif  // ATTUNE_CHECKPOINT_INSPECT_H_
