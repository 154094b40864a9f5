#include "checkpoint/save_restore.h"

#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

std::vector<VariableInfo> Infos(const VariableStore& variables) {
  std::vector<VariableInfo> infos;
  infos.reserve(variables.size());
  for (int i = 0; i < variables.size(); ++i) {
    infos.push_back(variables.info(i));
  }
  return infos;
}

// The checkpoint name variable `name` is read from (RestoreOptions).
std::string MappedName(const RestoreOptions& options, const std::string& name) {
  for (const auto& [from, to] : options.name_map) {
    if (absl::StartsWith(name, from)) {
      return absl::StrCat(to, name.substr(from.size()));
    }
  }
  return name;
}

}  // namespace

std::string ModelFingerprint(const std::vector<VariableInfo>& variables) {
  // 64-bit FNV-1a (offset basis and prime from the FNV specification).
  uint64_t hash = 0xcbf29ce484222325ull;
  auto mix = [&hash](absl::string_view bytes) {
    for (unsigned char c : bytes) {
      hash ^= c;
      hash *= 0x100000001b3ull;
    }
  };
  for (const VariableInfo& v : variables) {
    mix(v.name);
    mix(absl::string_view("\0", 1));
    mix(DTypeName(v.dtype));
    mix(absl::string_view("\0", 1));
    mix(ShapeToString(v.shape));
    mix("\n");
  }
  return absl::StrFormat("%016x", hash);
}

bool IsOptimizerState(const std::vector<VariableInfo>& variables, int index) {
  const std::string& name = variables[index].name;
  if (absl::StartsWith(name, "optimizer/")) return true;
  // "<v>/<optimizer>/<slot>": strip two components and look for <v>.
  const size_t last = name.rfind('/');
  if (last == std::string::npos || last == 0) return false;
  const size_t middle = name.rfind('/', last - 1);
  if (middle == std::string::npos || middle == 0) return false;
  const absl::string_view owner(name.data(), middle);
  for (int i = 0; i < static_cast<int>(variables.size()); ++i) {
    if (i != index && variables[i].name == owner) return true;
  }
  return false;
}

absl::StatusOr<int64_t> SaveVariables(const VariableStore& variables,
                                      CheckpointStore& store,
                                      const SaveOptions& options) {
  const std::vector<VariableInfo> infos = Infos(variables);
  CheckpointToWrite c;
  c.tag = options.tag;
  c.fingerprint = ModelFingerprint(infos);
  c.properties = options.properties;
  if (options.step.has_value()) {
    c.step = *options.step;
  } else if (auto step = variables.Get<int64_t>("optimizer/step");
             step.ok() && step->size() == 1) {
    c.step = (*step)[0];
  }
  for (int i = 0; i < variables.size(); ++i) {
    if (!options.include_optimizer_state && IsOptimizerState(infos, i)) {
      continue;
    }
    const Tensor& t = variables.tensor(i);
    c.tensors.push_back({infos[i].name,
                         t.dtype,
                         t.shape,
                         {static_cast<const uint8_t*>(t.data), t.bytes}});
  }
  return store.Write(c, options.keep_last);
}

absl::StatusOr<int64_t> SaveNominalVariables(
    const std::vector<VariableInfo>& variables, CheckpointStore& store,
    const SaveOptions& options) {
  CheckpointToWrite c;
  c.nominal = true;
  c.tag = options.tag;
  c.step = options.step.value_or(0);
  c.fingerprint = ModelFingerprint(variables);
  c.properties = options.properties;
  for (int i = 0; i < static_cast<int>(variables.size()); ++i) {
    if (!options.include_optimizer_state && IsOptimizerState(variables, i)) {
      continue;
    }
    c.tensors.push_back(
        {variables[i].name, variables[i].dtype, variables[i].shape, {}});
  }
  return store.Write(c, options.keep_last);
}

absl::StatusOr<CheckpointInfo> RestoreVariables(VariableStore& variables,
                                                CheckpointStore& store,
                                                absl::string_view selector,
                                                const RestoreOptions& options) {
  // One snapshot for Find, ListTensors and ReadTensors: a writer pruning
  // the selected checkpoint meanwhile cannot make the restore fail.
  ATTUNE_ASSIGN_OR_RETURN(CheckpointStore::ReadSnapshot snapshot,
                          store.BeginRead());
  ATTUNE_ASSIGN_OR_RETURN(CheckpointInfo info, store.Find(selector));
  const std::string ctx = absl::StrCat("restore checkpoint ", info.id, " of \"",
                                       store.path(), "\"");
  if (info.nominal) {
    return absl::FailedPreconditionError(absl::StrCat(
        ctx, ": the checkpoint is nominal (names and shapes, no data)"));
  }
  const std::vector<VariableInfo> infos = Infos(variables);
  const std::string fingerprint = ModelFingerprint(infos);
  if (!options.allow_fingerprint_mismatch && info.fingerprint != fingerprint) {
    return absl::InvalidArgumentError(absl::StrCat(
        ctx, ": saved from a model with fingerprint ", info.fingerprint,
        ", this model's is ", fingerprint,
        " (its variables differ; allow_fingerprint_mismatch restores the "
        "matching ones)"));
  }

  // 1. Select the variables.
  std::vector<int> selected;
  if (!options.names.empty()) {
    for (const std::string& name : options.names) {
      absl::StatusOr<int> index = variables.Index(name);
      if (!index.ok()) {
        return absl::NotFoundError(
            absl::StrCat(ctx, ": the model has no variable \"", name, "\""));
      }
      selected.push_back(*index);
    }
  } else {
    for (int i = 0; i < variables.size(); ++i) selected.push_back(i);
  }
  {
    std::vector<int> kept;
    for (int i : selected) {
      if (!absl::StartsWith(infos[i].name, options.prefix)) continue;
      if (!options.include_optimizer_state && IsOptimizerState(infos, i)) {
        continue;
      }
      kept.push_back(i);
    }
    selected = std::move(kept);
  }
  // A checkpoint without any optimizer state leaves the model's alone.
  ATTUNE_ASSIGN_OR_RETURN(std::vector<TensorRecord> records,
                          store.ListTensors(info.id));
  absl::flat_hash_set<std::string> stored;
  for (const TensorRecord& r : records) stored.insert(r.name);
  bool has_optimizer_state = false;
  for (int i = 0; i < variables.size(); ++i) {
    if (IsOptimizerState(infos, i) &&
        stored.contains(MappedName(options, infos[i].name))) {
      has_optimizer_state = true;
    }
  }
  if (!has_optimizer_state) {
    std::vector<int> kept;
    for (int i : selected) {
      if (!IsOptimizerState(infos, i)) kept.push_back(i);
    }
    selected = std::move(kept);
  }

  // 2. Read and check everything (checksums are checked by the store).
  std::vector<std::string> sources;
  for (int i : selected) {
    sources.push_back(MappedName(options, infos[i].name));
    if (!stored.contains(sources.back())) {
      return absl::NotFoundError(
          absl::StrCat(ctx, ": no tensor \"", sources.back(),
                       "\" for variable \"", infos[i].name, "\""));
    }
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<TensorData> tensors,
                          store.ReadTensors(info.id, sources));
  for (size_t k = 0; k < selected.size(); ++k) {
    const Tensor& target = variables.tensor(selected[k]);
    const TensorRecord& r = tensors[k].record;
    if (r.dtype != target.dtype || r.shape != target.shape) {
      return absl::InvalidArgumentError(absl::StrCat(
          ctx, ": tensor \"", r.name, "\" is ", DTypeName(r.dtype),
          ShapeToString(r.shape), ", variable \"", infos[selected[k]].name,
          "\" is ", DTypeName(target.dtype), ShapeToString(target.shape)));
    }
    if (tensors[k].data.size() != target.bytes) {
      return absl::InternalError(
          absl::StrCat(ctx, ": tensor \"", r.name, "\" size mismatch"));
    }
  }

  // 3. Write: nothing can fail from here.
  for (size_t k = 0; k < selected.size(); ++k) {
    Tensor& target = variables.tensor(selected[k]);
    if (target.bytes > 0) {
      std::memcpy(target.data, tensors[k].data.data(), target.bytes);
    }
    variables.MarkWritten(selected[k]);
  }
  return info;
}

}  // namespace attune
