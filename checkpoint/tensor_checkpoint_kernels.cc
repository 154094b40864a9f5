// The save_tensors and restore_tensors kernels: TensorFlow's Save/SaveV2 and
// Restore/RestoreV2 (Flex ops of converted training models) on attune
// checkpoint databases (engine/kernels/OPS.md). Unlike save_checkpoint they
// save and restore named tensor values, not the interpreter's variables:
// the model's ASSIGN_VARIABLEs consume restore_tensors' outputs. Compiled
// into attune_kernels (registry.cc registers them).
//
// Attributes hold the per-tensor facts the importer knows: "name_<i>"
// (string; absent when the names come from the tensor_names input),
// and for restore_tensors "dtype_<i>" (string) and "shape_<i>" (ints): the
// output's planned dtype and shape (shapes are settled at prepare time;
// the checkpoint's tensor must match them).

#include <cstring>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "checkpoint/save_restore.h"
#include "checkpoint/store.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

constexpr int kPath = 0;

std::string NameAttr(int i) { return absl::StrCat("name_", i); }

// Checks that input `i` (when present) is a string tensor of `count`
// elements.
absl::Status ExpectStrings(NodeContext& ctx, int i, int64_t count,
                           absl::string_view what) {
  if (!ctx.has_input(i)) return absl::OkStatus();
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectInputDType(i, DType::kString));
  if (ctx.input(i).num_elements() != count) {
    return ctx.InvalidArgument(absl::StrCat(what, " must hold ", count,
                                            " strings, has shape ",
                                            ShapeToString(ctx.input(i).shape)));
  }
  return absl::OkStatus();
}

absl::Status PreparePath(NodeContext& ctx) {
  return ExpectStrings(ctx, kPath, 1, "path");
}

// The path input, or InvalidArgument when it is empty.
absl::StatusOr<std::string> PathOf(const NodeContext& ctx) {
  const std::string& path = *ctx.input(kPath).data_as<std::string>();
  if (path.empty()) return ctx.InvalidArgument("path is empty");
  return path;
}

// The names of the `count` tensors: input `input` when present (-1: the op
// has no such input), else the "name_<i>" attributes.
absl::StatusOr<std::vector<std::string>> NamesOf(const NodeContext& ctx,
                                                 int input, int count) {
  const bool from_input = input >= 0 && ctx.has_input(input);
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) {
    if (from_input) {
      names.push_back(ctx.input(input).data_as<std::string>()[i]);
    } else {
      absl::StatusOr<std::string> name = ctx.attrs().GetString(NameAttr(i));
      if (!name.ok()) return ctx.Annotate(name.status());
      names.push_back(*std::move(name));
    }
    if (names.back().empty()) {
      return ctx.InvalidArgument(absl::StrCat("tensor name ", i, " is empty"));
    }
  }
  return names;
}

// Unimplemented when a shape_and_slices entry (input `input`) asks for a
// partial slice; attune saves and restores whole tensors only.
absl::Status CheckWholeTensors(const NodeContext& ctx, int input,
                               const std::vector<std::string>& names) {
  if (!ctx.has_input(input)) return absl::OkStatus();
  const std::string* slices = ctx.input(input).data_as<std::string>();
  for (size_t i = 0; i < names.size(); ++i) {
    if (!slices[i].empty()) {
      return ctx.Unimplemented(absl::StrCat(
          "tensor \"", names[i], "\": partial slice \"", slices[i],
          "\" (only whole tensors, an empty shape_and_slices entry)"));
    }
  }
  return absl::OkStatus();
}

// ---- save_tensors: path, shape_and_slices (optional), tensors...

constexpr int kSaveSlices = 1;
constexpr int kFirstSaved = 2;

int NumSaved(const NodeContext& ctx) {
  return ctx.num_inputs() > kFirstSaved ? ctx.num_inputs() - kFirstSaved : 0;
}

absl::Status PrepareSave(NodeContext& ctx) {
  ATTUNE_RETURN_IF_ERROR(PreparePath(ctx));
  const int n = NumSaved(ctx);
  ATTUNE_RETURN_IF_ERROR(
      ExpectStrings(ctx, kSaveSlices, n, "shape_and_slices"));
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < n; ++i) {
    if (!ctx.has_input(kFirstSaved + i)) {
      return ctx.InvalidArgument(absl::StrCat("tensor ", i, " is omitted"));
    }
    absl::StatusOr<std::string> name = ctx.attrs().GetString(NameAttr(i));
    if (!name.ok()) return ctx.Annotate(name.status());
    if (name->empty() || !seen.insert(*name).second) {
      return ctx.InvalidArgument(absl::StrCat("tensor name \"", *name, "\" (",
                                              i, ") is empty or repeated"));
    }
    const DType dtype = ctx.input(kFirstSaved + i).dtype;
    if (DTypeSize(dtype) == 0) {
      return ctx.Unimplemented(
          absl::StrCat("tensor \"", *name, "\" of dtype ", DTypeName(dtype)));
    }
  }
  return ctx.SetOutput(0, DType::kInt64, {});
}

// One checkpoint (one transaction) holding the tensors under their names,
// with the model's fingerprint when the plan has variables.
absl::Status EvalSave(NodeContext& ctx) {
  ATTUNE_ASSIGN_OR_RETURN(std::string path, PathOf(ctx));
  const int n = NumSaved(ctx);
  ATTUNE_ASSIGN_OR_RETURN(std::vector<std::string> names,
                          NamesOf(ctx, /*input=*/-1, n));
  ATTUNE_RETURN_IF_ERROR(CheckWholeTensors(ctx, kSaveSlices, names));
  CheckpointToWrite c;
  if (const VariableStore* variables = ctx.variables(); variables != nullptr) {
    std::vector<VariableInfo> infos;
    for (int i = 0; i < variables->size(); ++i) {
      infos.push_back(variables->info(i));
    }
    c.fingerprint = ModelFingerprint(infos);
  }
  for (int i = 0; i < n; ++i) {
    const Tensor& t = ctx.input(kFirstSaved + i);
    c.tensors.push_back(
        {names[i],
         t.dtype,
         t.shape,
         {static_cast<const uint8_t*>(t.data),
          static_cast<size_t>(t.num_elements()) * DTypeSize(t.dtype)}});
  }
  absl::StatusOr<std::unique_ptr<CheckpointStore>> store =
      CheckpointStore::Open(path);
  if (!store.ok()) return ctx.Annotate(store.status());
  absl::StatusOr<int64_t> id = (*store)->Write(c);
  if (!id.ok()) return ctx.Annotate(id.status());
  *ctx.output(0).data_as<int64_t>() = *id;
  return absl::OkStatus();
}

// ---- restore_tensors: path, tensor_names (optional), shape_and_slices
// (optional) -> one output per tensor.

constexpr int kRestoreNames = 1;
constexpr int kRestoreSlices = 2;

absl::Status PrepareRestore(NodeContext& ctx) {
  ATTUNE_RETURN_IF_ERROR(PreparePath(ctx));
  const int n = ctx.num_outputs();
  ATTUNE_RETURN_IF_ERROR(ExpectStrings(ctx, kRestoreNames, n, "tensor_names"));
  ATTUNE_RETURN_IF_ERROR(
      ExpectStrings(ctx, kRestoreSlices, n, "shape_and_slices"));
  for (int i = 0; i < n; ++i) {
    if (!ctx.has_input(kRestoreNames)) {
      absl::StatusOr<std::string> name = ctx.attrs().GetString(NameAttr(i));
      if (!name.ok()) return ctx.Annotate(name.status());
    }
    absl::StatusOr<std::string> dtype_name =
        ctx.attrs().GetString(absl::StrCat("dtype_", i));
    if (!dtype_name.ok()) return ctx.Annotate(dtype_name.status());
    absl::StatusOr<DType> dtype = ParseDType(*dtype_name);
    if (!dtype.ok()) return ctx.Annotate(dtype.status());
    if (DTypeSize(*dtype) == 0) {
      return ctx.Unimplemented(
          absl::StrCat("output ", i, " of dtype ", *dtype_name));
    }
    absl::StatusOr<std::vector<int64_t>> dims =
        ctx.attrs().GetInts(absl::StrCat("shape_", i));
    if (!dims.ok()) return ctx.Annotate(dims.status());
    for (int64_t d : *dims) {
      if (d < 0) {
        return ctx.InvalidArgument(absl::StrCat(
            "output ", i, " has a dynamic shape ", ShapeToString(*dims)));
      }
    }
    ATTUNE_RETURN_IF_ERROR(
        ctx.SetOutput(i, *dtype, Shape(dims->begin(), dims->end())));
  }
  return absl::OkStatus();
}

// All or nothing: every tensor is found, read (checksum checked by the
// store) and matched to its output's dtype and shape before any output is
// written; consumers (ASSIGN_VARIABLE) never run after an error.
absl::Status EvalRestore(NodeContext& ctx) {
  ATTUNE_ASSIGN_OR_RETURN(std::string path, PathOf(ctx));
  const int n = ctx.num_outputs();
  ATTUNE_ASSIGN_OR_RETURN(std::vector<std::string> names,
                          NamesOf(ctx, kRestoreNames, n));
  ATTUNE_RETURN_IF_ERROR(CheckWholeTensors(ctx, kRestoreSlices, names));
  StoreOptions options;
  options.create = false;  // a mistyped path leaves no empty database
  absl::StatusOr<std::unique_ptr<CheckpointStore>> store =
      CheckpointStore::Open(path, options);
  if (!store.ok()) return ctx.Annotate(store.status());
  // Find, ListTensors and ReadTensors see one state, even while another
  // process saves and prunes.
  absl::StatusOr<CheckpointStore::ReadSnapshot> snapshot =
      (*store)->BeginRead();
  if (!snapshot.ok()) return ctx.Annotate(snapshot.status());
  absl::StatusOr<CheckpointInfo> info = (*store)->Find("latest");
  if (!info.ok()) return ctx.Annotate(info.status());
  const std::string where =
      absl::StrCat("restore from checkpoint ", info->id, " of \"", path, "\"");
  if (info->nominal) {
    return ctx.Annotate(absl::FailedPreconditionError(
        absl::StrCat(where, ": the checkpoint is nominal (no data)")));
  }
  absl::StatusOr<std::vector<TensorRecord>> records =
      (*store)->ListTensors(info->id);
  if (!records.ok()) return ctx.Annotate(records.status());
  absl::flat_hash_set<std::string> stored;
  for (const TensorRecord& r : *records) stored.insert(r.name);
  // Each distinct name is read once (two outputs may restore one tensor).
  std::vector<std::string> unique;
  absl::flat_hash_map<std::string, int> slot;
  for (const std::string& name : names) {
    if (!stored.contains(name)) {
      return ctx.Annotate(absl::NotFoundError(
          absl::StrCat(where, ": no tensor \"", name, "\"")));
    }
    if (slot.emplace(name, static_cast<int>(unique.size())).second) {
      unique.push_back(name);
    }
  }
  absl::StatusOr<std::vector<TensorData>> tensors =
      (*store)->ReadTensors(info->id, unique);
  if (!tensors.ok()) {
    return ctx.Annotate(
        absl::Status(tensors.status().code(),
                     absl::StrCat(where, ": ", tensors.status().message())));
  }
  for (int i = 0; i < n; ++i) {
    const TensorData& t = (*tensors)[slot.at(names[i])];
    const Tensor& out = ctx.output(i);
    if (t.record.dtype != out.dtype || t.record.shape != out.shape) {
      return ctx.Annotate(absl::InvalidArgumentError(absl::StrCat(
          where, ": tensor \"", names[i], "\" is ", DTypeName(t.record.dtype),
          ShapeToString(t.record.shape), ", expected ", DTypeName(out.dtype),
          ShapeToString(out.shape))));
    }
    if (t.data.size() !=
        static_cast<size_t>(out.num_elements()) * DTypeSize(out.dtype)) {
      return ctx.Annotate(absl::DataLossError(
          absl::StrCat(where, ": tensor \"", names[i], "\" holds ",
                       t.data.size(), " bytes")));
    }
  }
  for (int i = 0; i < n; ++i) {
    const TensorData& t = (*tensors)[slot.at(names[i])];
    if (!t.data.empty()) {
      std::memcpy(ctx.output(i).data, t.data.data(), t.data.size());
    }
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterSaveTensors() { return {PrepareSave, EvalSave}; }

KernelRegistration RegisterRestoreTensors() {
  return {PrepareRestore, EvalRestore};
}

}  // namespace attune
