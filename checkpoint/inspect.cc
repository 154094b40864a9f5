#include "checkpoint/inspect.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "checkpoint/save_restore.h"
#include "data/npy.h"
#include "engine/status_macros.h"

namespace attune {
namespace {


// Calls `f(i, value)` for each element of `data` as a double.
// REQUIRES: dtype is numeric and data holds whole elements.
template <typename F>
void ForEachValue(DType dtype, absl::Span<const uint8_t> data, F&& f) {
  const size_t size = DTypeSize(dtype);
  const size_t n = data.size() / size;
  auto load = [&](auto tag, size_t i) {
    decltype(tag) v;
    std::memcpy(&v, data.data() + i * size, sizeof(v));
    return v;
  };
  for (size_t i = 0; i < n; ++i) {
    double v = 0;
    switch (dtype) {
      case DType::kFloat32:
        v = load(float{}, i);
        break;
      case DType::kFloat16:
        v = HalfToFloat(load(uint16_t{}, i));
        break;
      case DType::kInt32:
        v = load(int32_t{}, i);
        break;
      case DType::kInt64:
        v = static_cast<double>(load(int64_t{}, i));
        break;
      case DType::kInt8:
        v = load(int8_t{}, i);
        break;
      case DType::kUint8:
        v = load(uint8_t{}, i);
        break;
      case DType::kBool:
        v = load(uint8_t{}, i) != 0 ? 1 : 0;
        break;
      case DType::kString:
        return;
    }
    f(i, v);
  }
}

absl::Status CheckWholeElements(DType dtype, size_t bytes) {
  if (dtype == DType::kString) {
    return absl::UnimplementedError("string tensors have no statistics");
  }
  if (bytes % DTypeSize(dtype) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(bytes, " bytes are not a whole number of ",
                     DTypeName(dtype), " elements"));
  }
  return absl::OkStatus();
}

std::string CsvField(absl::string_view text) {
  if (text.find_first_of(",\"\n\r") == absl::string_view::npos) {
    return std::string(text);
  }
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

absl::StatusOr<TensorStats> ComputeTensorStats(DType dtype,
                                               absl::Span<const uint8_t> data) {
  ATTUNE_RETURN_IF_ERROR(CheckWholeElements(dtype, data.size()));
  TensorStats s;
  s.count = static_cast<int64_t>(data.size() / DTypeSize(dtype));
  // Two passes (mean, then squared deviations) avoid the cancellation of
  // the one-pass E[x^2] - E[x]^2 formula.
  int64_t finite = 0;
  double sum = 0, sum_sq = 0;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  ForEachValue(dtype, data, [&](size_t, double v) {
    if (std::isnan(v)) {
      ++s.nan_count;
    } else if (std::isinf(v)) {
      ++s.inf_count;
    } else {
      ++finite;
      sum += v;
      sum_sq += v * v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  });
  if (finite == 0) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    s.min = s.max = s.mean = s.std = s.l2 = nan;
    return s;
  }
  s.min = lo;
  s.max = hi;
  s.mean = sum / static_cast<double>(finite);
  s.l2 = std::sqrt(sum_sq);
  double dev = 0;
  ForEachValue(dtype, data, [&](size_t, double v) {
    if (std::isfinite(v)) dev += (v - s.mean) * (v - s.mean);
  });
  s.std = std::sqrt(dev / static_cast<double>(finite));
  return s;
}

absl::StatusOr<std::vector<TensorSummary>> SummarizeCheckpoint(
    CheckpointStore& store, int64_t id) {
  ATTUNE_ASSIGN_OR_RETURN(std::vector<TensorRecord> records,
                          store.ListTensors(id));
  std::vector<TensorSummary> out;
  out.reserve(records.size());
  for (TensorRecord& record : records) {
    TensorSummary summary;
    if (record.has_data) {
      const std::string name = record.name;
      absl::StatusOr<std::vector<TensorData>> read =
          store.ReadTensors(id, absl::MakeConstSpan(&name, 1));
      if (!read.ok()) {
        summary.status = read.status();
      } else if (record.dtype != DType::kString) {
        absl::StatusOr<TensorStats> stats =
            ComputeTensorStats(record.dtype, (*read)[0].data);
        if (stats.ok()) summary.stats = *stats;
      }
    }
    summary.record = std::move(record);
    out.push_back(std::move(summary));
  }
  return out;
}

absl::string_view TensorDiffKindName(TensorDiff::Kind kind) {
  switch (kind) {
    case TensorDiff::Kind::kSame:
      return "same";
    case TensorDiff::Kind::kChanged:
      return "changed";
    case TensorDiff::Kind::kAdded:
      return "added";
    case TensorDiff::Kind::kRemoved:
      return "removed";
    case TensorDiff::Kind::kReshaped:
      return "reshaped";
  }
  return "?";
}

absl::StatusOr<std::vector<TensorDiff>> DiffCheckpoints(CheckpointStore& a,
                                                        int64_t id_a,
                                                        CheckpointStore& b,
                                                        int64_t id_b) {
  ATTUNE_ASSIGN_OR_RETURN(std::vector<TensorData> ta, a.ReadTensors(id_a));
  ATTUNE_ASSIGN_OR_RETURN(std::vector<TensorData> tb, b.ReadTensors(id_b));
  absl::flat_hash_map<std::string, size_t> in_b;
  for (size_t i = 0; i < tb.size(); ++i) in_b[tb[i].record.name] = i;
  std::vector<TensorDiff> out;
  std::set<std::string> seen;
  for (const TensorData& x : ta) {
    TensorDiff d;
    d.name = x.record.name;
    d.a = x.record;
    seen.insert(d.name);
    auto it = in_b.find(d.name);
    if (it == in_b.end()) {
      d.kind = TensorDiff::Kind::kRemoved;
      out.push_back(std::move(d));
      continue;
    }
    const TensorData& y = tb[it->second];
    d.b = y.record;
    if (x.record.dtype != y.record.dtype || x.record.shape != y.record.shape) {
      d.kind = TensorDiff::Kind::kReshaped;
      out.push_back(std::move(d));
      continue;
    }
    d.kind = TensorDiff::Kind::kSame;
    const bool numeric = x.record.dtype != DType::kString &&
                         x.record.has_data && y.record.has_data &&
                         x.data.size() == y.data.size();
    if (numeric) {
      std::vector<double> va(x.data.size() / DTypeSize(x.record.dtype));
      ForEachValue(x.record.dtype, x.data,
                   [&](size_t i, double v) { va[i] = v; });
      double diff_sq = 0, a_sq = 0;
      ForEachValue(y.record.dtype, y.data, [&](size_t i, double v) {
        const double delta = v - va[i];
        // NaN != NaN: count a NaN on either side as a change unless both.
        const bool same = delta == 0 || (std::isnan(v) && std::isnan(va[i]));
        if (!same) {
          ++d.elements_changed;
          diff_sq += delta * delta;
        }
        a_sq += va[i] * va[i];
      });
      d.l2_diff = std::sqrt(diff_sq);
      d.l2_a = std::sqrt(a_sq);
      d.relative = d.l2_diff == 0 ? 0
                   : d.l2_a == 0  ? std::numeric_limits<double>::infinity()
                                  : d.l2_diff / d.l2_a;
      if (d.elements_changed > 0) d.kind = TensorDiff::Kind::kChanged;
    } else if (x.data != y.data) {
      d.kind = TensorDiff::Kind::kChanged;
    }
    out.push_back(std::move(d));
  }
  for (const TensorData& y : tb) {
    if (seen.count(y.record.name)) continue;
    TensorDiff d;
    d.name = y.record.name;
    d.kind = TensorDiff::Kind::kAdded;
    d.b = y.record;
    out.push_back(std::move(d));
  }
  return out;
}

absl::StatusOr<NamedArrays> CheckpointArrays(CheckpointStore& store,
                                             int64_t id) {
  ATTUNE_ASSIGN_OR_RETURN(CheckpointStore::ReadSnapshot snapshot,
                          store.BeginRead());
  ATTUNE_ASSIGN_OR_RETURN(CheckpointInfo info, store.Find(absl::StrCat(id)));
  if (info.nominal) {
    return absl::FailedPreconditionError(absl::StrCat(
        "checkpoint ", id, " of \"", store.path(),
        "\" is nominal (names and shapes, no data): nothing to export"));
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<TensorData> tensors,
                          store.ReadTensors(id));
  NamedArrays out;
  out.reserve(tensors.size());
  for (TensorData& t : tensors) {
    absl::StatusOr<ArrayDType> dtype = FromDType(t.record.dtype);
    if (!dtype.ok()) {
      return absl::UnimplementedError(
          absl::StrCat("checkpoint ", id, " tensor \"", t.record.name,
                       "\": ", DTypeName(t.record.dtype), " has no .npy form"));
    }
    Array array;
    array.dtype = *dtype;
    array.shape = t.record.shape;
    array.bytes = std::move(t.data);
    out.emplace_back(t.record.name, std::move(array));
  }
  return out;
}

std::string NpyFileNameFor(absl::string_view variable) {
  std::string out;
  for (char c : variable) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (c == '/') {
      out += "__";
    } else {
      out += ok ? c : '_';
    }
  }
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  return out + ".npy";
}

absl::Status WriteNpyDir(const std::string& dir, const NamedArrays& arrays) {
  std::map<std::string, std::string> files;  // file name -> variable
  for (const auto& [name, array] : arrays) {
    const std::string file = NpyFileNameFor(name);
    auto [it, inserted] = files.emplace(file, name);
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat("variables \"", it->second, "\" and \"", name,
                       "\" both map to file name ", file));
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, ": cannot create directory: ", ec.message()));
  }
  for (const auto& [name, array] : arrays) {
    ATTUNE_RETURN_IF_ERROR(WriteNpy(
        (std::filesystem::path(dir) / NpyFileNameFor(name)).string(), array));
  }
  return absl::OkStatus();
}

absl::Status WriteArraysCsv(const std::string& path,
                            const NamedArrays& arrays) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot open for writing"));
  }
  // Rows are formatted into `out` and written whenever it passes 1 MiB, so
  // memory stays flat however large the checkpoint is.
  constexpr size_t kFlushBytes = size_t{1} << 20;
  std::string out = "variable,index,value\n";
  auto flush = [&](bool force) {
    if (force || out.size() >= kFlushBytes) {
      file.write(out.data(), static_cast<std::streamsize>(out.size()));
      out.clear();
    }
  };
  for (const auto& named : arrays) {
    // Not a structured binding: C++17 lambdas cannot capture one (clang).
    const auto& array = named.second;
    const std::string field = CsvField(named.first);
    // `digits` significant digits print every value of T exactly.
    auto rows = [&](auto tag, int digits) {
      using T = decltype(tag);
      const absl::Span<const T> v = array.values<T>();
      for (size_t i = 0; i < v.size(); ++i) {
        absl::StrAppendFormat(&out, "%s,%d,%.*g\n", field, i, digits,
                              static_cast<double>(v[i]));
        flush(false);
      }
    };
    switch (array.dtype) {
      case ArrayDType::kFloat32:
        rows(float{}, 9);
        break;
      case ArrayDType::kFloat64:
        rows(double{}, 17);
        break;
      case ArrayDType::kInt64: {
        // Printed as integers: a double would round past 2^53.
        const absl::Span<const int64_t> v = array.values<int64_t>();
        for (size_t i = 0; i < v.size(); ++i) {
          absl::StrAppendFormat(&out, "%s,%d,%d\n", field, i, v[i]);
          flush(false);
        }
        break;
      }
      case ArrayDType::kInt32:
        rows(int32_t{}, 10);
        break;
      case ArrayDType::kUint8:
      case ArrayDType::kBool:
        rows(uint8_t{}, 3);
        break;
      case ArrayDType::kInt8:
        rows(int8_t{}, 3);
        break;
    }
  }
  flush(true);
  file.close();
  if (!file) {
    return absl::DataLossError(absl::StrCat(path, ": write failed"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ImportArrays(CheckpointStore& store,
                                     const NamedArrays& arrays,
                                     const ImportOptions& options) {
  // Convert float64 arrays; the others are written from `arrays` without a
  // copy. `converted` is reserved so pointers into it stay valid.
  std::vector<Array> converted;
  converted.reserve(arrays.size());
  std::vector<const Array*> sources;
  std::set<std::string> names;
  for (const auto& [name, array] : arrays) {
    if (!names.insert(name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("array \"", name, "\" appears twice"));
    }
    if (array.dtype == ArrayDType::kFloat64) {
      ATTUNE_ASSIGN_OR_RETURN(Array f32, ConvertToFloat32(array));
      converted.push_back(std::move(f32));
      sources.push_back(&converted.back());
    } else {
      sources.push_back(&array);
    }
    if (!ToDType(sources.back()->dtype).ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("array \"", name, "\": ", ArrayDTypeName(array.dtype),
                       " is not supported"));
    }
  }
  CheckpointToWrite c;
  c.step = options.step;
  c.tag = options.tag;
  c.properties = options.properties;
  for (size_t i = 0; i < arrays.size(); ++i) {
    c.tensors.push_back({arrays[i].first, *ToDType(sources[i]->dtype),
                         sources[i]->shape, sources[i]->bytes});
  }
  if (options.model_variables.has_value()) {
    const std::vector<VariableInfo>& vars = *options.model_variables;
    absl::flat_hash_map<std::string, int> index;
    for (int i = 0; i < static_cast<int>(vars.size()); ++i) {
      index[vars[i].name] = i;
    }
    for (const TensorToWrite& t : c.tensors) {
      auto it = index.find(t.name);
      if (it == index.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "array \"", t.name, "\" is not a variable of the model"));
      }
      const VariableInfo& v = vars[it->second];
      if (v.dtype != t.dtype || v.shape != t.shape) {
        return absl::InvalidArgumentError(
            absl::StrCat("array \"", t.name, "\" is ", DTypeName(t.dtype),
                         ShapeToString(t.shape), ", the model's variable is ",
                         DTypeName(v.dtype), ShapeToString(v.shape)));
      }
    }
    std::vector<std::string> missing_weights, optimizer_present,
        optimizer_missing;
    for (int i = 0; i < static_cast<int>(vars.size()); ++i) {
      const bool present = names.count(vars[i].name) > 0;
      if (IsOptimizerState(vars, i)) {
        (present ? optimizer_present : optimizer_missing)
            .push_back(vars[i].name);
      } else if (!present) {
        missing_weights.push_back(vars[i].name);
      }
    }
    if (!missing_weights.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("no array for the model's variable(s) ",
                       absl::StrJoin(missing_weights, ", ")));
    }
    if (!optimizer_present.empty() && !optimizer_missing.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("optimizer state is all or none; missing ",
                       absl::StrJoin(optimizer_missing, ", ")));
    }
    c.fingerprint = ModelFingerprint(vars);
  }
  return store.Write(c);
}

absl::StatusOr<DetailedVerifyReport> VerifyDetailed(CheckpointStore& store) {
  DetailedVerifyReport out;
  ATTUNE_ASSIGN_OR_RETURN(out.report, store.Verify());
  for (int64_t id : out.report.damaged) {
    absl::StatusOr<std::vector<TensorRecord>> records = store.ListTensors(id);
    if (!records.ok()) {
      out.damaged_tensors.push_back(
          {id, "", std::string(records.status().message())});
      continue;
    }
    for (const TensorRecord& r : *records) {
      absl::StatusOr<std::vector<TensorData>> read =
          store.ReadTensors(id, absl::MakeConstSpan(&r.name, 1));
      if (!read.ok()) {
        out.damaged_tensors.push_back(
            {id, r.name, std::string(read.status().message())});
      }
    }
  }
  return out;
}

absl::StatusOr<std::vector<HistoryPoint>> PropertyHistory(
    CheckpointStore& store, absl::string_view name) {
  ATTUNE_ASSIGN_OR_RETURN(std::vector<CheckpointInfo> infos, store.List());
  std::vector<HistoryPoint> out;
  for (const CheckpointInfo& info : infos) {
    HistoryPoint p{info.id, info.step, 0};
    auto it = info.properties.find(name);
    if (it == info.properties.end()) {
      if (name == "step") {
        p.value = static_cast<double>(info.step);
      } else if (name == "id") {
        p.value = static_cast<double>(info.id);
      } else {
        continue;
      }
    } else if (const auto* i = std::get_if<int64_t>(&it->second)) {
      p.value = static_cast<double>(*i);
    } else if (const auto* d = std::get_if<double>(&it->second)) {
      p.value = *d;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("property \"", name, "\" of checkpoint ", info.id,
                       " is a string, not a number"));
    }
    out.push_back(p);
  }
  return out;
}

}  // namespace attune
