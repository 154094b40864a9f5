#include "training/dataset.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "data/csv.h"
#include "data/idx.h"
#include "data/npy.h"
#include "data/npz.h"

namespace attune {
namespace {

bool IsFloat(ArrayDType d) {
  return d == ArrayDType::kFloat32 || d == ArrayDType::kFloat64;
}

// Element i as double (floating sources) or int64 (the others).
double FloatAt(const Array& a, int64_t i) {
  return a.dtype == ArrayDType::kFloat32 ? a.values<float>()[i]
                                         : a.values<double>()[i];
}

int64_t IntAt(const Array& a, int64_t i) {
  switch (a.dtype) {
    case ArrayDType::kInt32:
      return a.values<int32_t>()[i];
    case ArrayDType::kInt64:
      return a.values<int64_t>()[i];
    case ArrayDType::kUint8:
      return a.values<uint8_t>()[i];
    case ArrayDType::kInt8:
      return a.values<int8_t>()[i];
    case ArrayDType::kBool:
      return a.bytes[i] != 0 ? 1 : 0;
    default:
      return 0;
  }
}

template <typename T>
absl::Status CastTo(const Array& in, Array& out) {
  T* dst = out.mutable_values<T>().data();
  const int64_t n = in.num_elements();
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_floating_point_v<T>) {
      dst[i] = IsFloat(in.dtype) ? static_cast<T>(FloatAt(in, i))
                                 : static_cast<T>(IntAt(in, i));
    } else {
      const double lo = static_cast<double>(std::numeric_limits<T>::lowest());
      const double hi = static_cast<double>(std::numeric_limits<T>::max());
      if (IsFloat(in.dtype)) {
        const double v = FloatAt(in, i);
        if (!(v >= lo && v <= hi) || v != std::floor(v)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "element ", i, " (", v, ") is not an integer in the range of ",
              ArrayDTypeName(out.dtype)));
        }
        dst[i] = static_cast<T>(v);
      } else {
        const int64_t v = IntAt(in, i);
        if (static_cast<double>(v) < lo || static_cast<double>(v) > hi) {
          return absl::InvalidArgumentError(
              absl::StrCat("element ", i, " (", v, ") is out of the range of ",
                           ArrayDTypeName(out.dtype)));
        }
        dst[i] = static_cast<T>(v);
      }
    }
  }
  return absl::OkStatus();
}

// SplitMix64: decorrelates (seed, epoch) into one generator seed.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

absl::StatusOr<Dataset> Dataset::Create(Array features, Array labels) {
  for (const Array* a : {&features, &labels}) {
    const char* what = a == &features ? "features" : "labels";
    absl::Status s = a->Validate();
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": ", s.message()));
    }
    if (a->shape.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " must have a sample dimension, got ", DescribeArray(*a)));
    }
  }
  if (features.shape[0] != labels.shape[0]) {
    return absl::InvalidArgumentError(
        absl::StrCat("features hold ", features.shape[0], " samples (",
                     DescribeArray(features), ") but labels hold ",
                     labels.shape[0], " (", DescribeArray(labels), ")"));
  }
  if (features.shape[0] == 0) {
    return absl::InvalidArgumentError("the dataset has no samples");
  }
  Dataset d;
  d.begin_ = 0;
  d.end_ = features.shape[0];
  d.feature_bytes_ = features.bytes.size() / features.shape[0];
  d.label_bytes_ = labels.bytes.size() / labels.shape[0];
  d.features_ = std::make_shared<const Array>(std::move(features));
  d.labels_ = std::make_shared<const Array>(std::move(labels));
  return d;
}

Shape Dataset::feature_shape() const {
  return Shape(features_->shape.begin() + 1, features_->shape.end());
}

Shape Dataset::label_shape() const {
  return Shape(labels_->shape.begin() + 1, labels_->shape.end());
}

absl::StatusOr<Dataset> Dataset::Slice(int64_t begin, int64_t count) const {
  if (begin < 0 || count < 1 || begin > size() - count) {
    return absl::InvalidArgumentError(
        absl::StrCat("slice [", begin, ", ", begin + count,
                     ") of a dataset of ", size(), " samples"));
  }
  Dataset d = *this;
  d.begin_ = begin_ + begin;
  d.end_ = d.begin_ + count;
  return d;
}

absl::StatusOr<std::pair<Dataset, Dataset>> Dataset::SplitValidation(
    double fraction) const {
  if (!(fraction > 0 && fraction < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("validation fraction ", fraction, " is not in (0, 1)"));
  }
  if (size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot split a validation set off ", size(), " sample(s)"));
  }
  int64_t k = static_cast<int64_t>(std::llround(size() * fraction));
  k = std::min(std::max<int64_t>(k, 1), size() - 1);
  absl::StatusOr<Dataset> train = Slice(0, size() - k);
  if (!train.ok()) return train.status();
  absl::StatusOr<Dataset> validation = Slice(size() - k, k);
  if (!validation.ok()) return validation.status();
  return std::make_pair(*std::move(train), *std::move(validation));
}

absl::StatusOr<Dataset> Dataset::Cast(ArrayDType features,
                                      ArrayDType labels) const {
  Dataset d = *this;
  auto cast =
      [&](const std::shared_ptr<const Array>& a, ArrayDType dtype,
          const char* what) -> absl::StatusOr<std::shared_ptr<const Array>> {
    if (a->dtype == dtype) return a;
    absl::StatusOr<Array> c = CastArray(*a, dtype);
    if (!c.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": ", c.status().message()));
    }
    return std::make_shared<const Array>(*std::move(c));
  };
  absl::StatusOr<std::shared_ptr<const Array>> f =
      cast(features_, features, "features");
  if (!f.ok()) return f.status();
  absl::StatusOr<std::shared_ptr<const Array>> l =
      cast(labels_, labels, "labels");
  if (!l.ok()) return l.status();
  d.features_ = *f;
  d.labels_ = *l;
  d.feature_bytes_ = d.features_->bytes.size() / d.features_->shape[0];
  d.label_bytes_ = d.labels_->bytes.size() / d.labels_->shape[0];
  return d;
}

uint64_t UniformBelow(std::mt19937_64& rng, uint64_t bound) {
  // Reject the lowest (2^64 mod bound) values so every residue is equally
  // likely.
  const uint64_t threshold = (0 - bound) % bound;
  while (true) {
    const uint64_t r = rng();
    if (r >= threshold) return r % bound;
  }
}

void ShuffleInPlace(absl::Span<int64_t> values, std::mt19937_64& rng) {
  for (size_t i = values.size(); i > 1; --i) {
    const uint64_t j = UniformBelow(rng, i);
    std::swap(values[i - 1], values[j]);
  }
}

std::vector<int64_t> EpochOrder(int64_t n, bool shuffle, uint64_t seed,
                                int64_t epoch) {
  std::vector<int64_t> order(n > 0 ? n : 0);
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  if (shuffle) {
    std::mt19937_64 rng(Mix(Mix(seed) ^ static_cast<uint64_t>(epoch)));
    ShuffleInPlace(absl::MakeSpan(order), rng);
  }
  return order;
}

int64_t NumBatches(int64_t n, int64_t batch_size, bool drop_remainder) {
  if (n <= 0 || batch_size <= 0) return 0;
  return drop_remainder ? n / batch_size : (n + batch_size - 1) / batch_size;
}

absl::StatusOr<Array> CastArray(const Array& array, ArrayDType dtype) {
  if (absl::Status s = array.Validate(); !s.ok()) return s;
  if (array.dtype == dtype) return array;
  Array out;
  out.dtype = dtype;
  out.shape = array.shape;
  out.bytes.resize(array.num_elements() * ArrayDTypeSize(dtype));
  absl::Status s;
  switch (dtype) {
    case ArrayDType::kFloat32:
      s = CastTo<float>(array, out);
      break;
    case ArrayDType::kFloat64:
      s = CastTo<double>(array, out);
      break;
    case ArrayDType::kInt32:
      s = CastTo<int32_t>(array, out);
      break;
    case ArrayDType::kInt64:
      s = CastTo<int64_t>(array, out);
      break;
    case ArrayDType::kUint8:
      s = CastTo<uint8_t>(array, out);
      break;
    case ArrayDType::kInt8:
      s = CastTo<int8_t>(array, out);
      break;
    case ArrayDType::kBool:
      return absl::UnimplementedError(
          absl::StrCat("cannot convert ", DescribeArray(array), " to bool"));
  }
  if (!s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("converting ", DescribeArray(array), " to ",
                     ArrayDTypeName(dtype), ": ", s.message()));
  }
  return out;
}

absl::StatusOr<Array> ReadDataFile(const std::string& spec, DataRole role,
                                   const DataFileOptions& options) {
  const std::string lower = absl::AsciiStrToLower(spec);
  const size_t npz = lower.rfind(".npz:");
  if (npz != std::string::npos) {
    return ReadNpzMember(spec.substr(0, npz + 4), spec.substr(npz + 5));
  }
  if (absl::EndsWith(lower, ".npz")) {
    absl::StatusOr<NamedArrays> arrays = ReadNpz(spec);
    if (!arrays.ok()) return arrays.status();
    if (arrays->size() != 1) {
      std::string names;
      for (const auto& [name, array] : *arrays) {
        absl::StrAppend(&names, names.empty() ? "" : ", ", name);
      }
      return absl::InvalidArgumentError(
          absl::StrCat(spec, " holds ", arrays->size(), " arrays (", names,
                       "): name one as ", spec, ":NAME"));
    }
    return std::move((*arrays)[0].second);
  }
  if (absl::EndsWith(lower, ".npy")) return ReadNpy(spec);
  if (absl::EndsWith(lower, ".csv") || absl::EndsWith(lower, ".tsv")) {
    CsvReadOptions csv;
    if (absl::EndsWith(lower, ".tsv")) csv.delimiter = '\t';
    csv.label_column = options.csv_label_column;
    absl::StatusOr<CsvData> data = ReadCsv(spec, csv);
    if (!data.ok()) return data.status();
    if (role == DataRole::kFeatures) return std::move(data->features);
    if (data->has_labels) return std::move(data->labels);
    if (data->features.shape[1] != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          spec, ": labels must be one column, the file has ",
          data->features.shape[1], " (choose one with a label column)"));
    }
    // One column of labels: integers become int32, others stay float32.
    Array labels = data->features;
    labels.shape = {labels.shape[0]};
    absl::StatusOr<Array> ints = CastArray(labels, ArrayDType::kInt32);
    if (ints.ok()) return ints;
    return labels;
  }
  IdxReadOptions idx_options;
  idx_options.scale_to_unit =
      role == DataRole::kFeatures && options.scale_idx_images;
  absl::StatusOr<Array> idx = ReadIdx(spec, idx_options);
  if (!idx.ok() && idx.status().code() == absl::StatusCode::kInvalidArgument) {
    return absl::InvalidArgumentError(absl::StrCat(
        idx.status().message(),
        " (data files are .npy, FILE.npz[:NAME], .csv, .tsv or IDX)"));
  }
  return idx;
}

}  // namespace attune
