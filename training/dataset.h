#ifndef ATTUNE_TRAINING_DATASET_H_
#define ATTUNE_TRAINING_DATASET_H_

// In-memory datasets for Fit: features and labels as data::Array, sample i
// being row i of both (the first dimension). Batching and shuffling:
//  - EpochOrder gives the sample order of one epoch: identity, or a
//    Fisher-Yates shuffle driven by std::mt19937_64 seeded from (seed,
//    epoch), with our own unbiased bounded draw, so orders are identical on
//    every platform and standard library.
//  - The last batch of an epoch may be partial. By default it is kept: Fit
//    resizes the model's inputs to the remainder (every sample is seen once
//    per epoch, the inputs are re-planned twice per epoch). With
//    FitOptions::drop_remainder it is dropped instead.

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "data/array.h"

namespace attune {

// Features and labels sharing their first dimension. A value type: copies
// and slices share the (immutable) arrays. Thread-compatible.
class Dataset {
 public:
  // InvalidArgument when an array is inconsistent or a scalar, the first
  // dimensions differ, or there are no samples.
  static absl::StatusOr<Dataset> Create(Array features, Array labels);

  int64_t size() const { return end_ - begin_; }
  ArrayDType feature_dtype() const { return features_->dtype; }
  ArrayDType label_dtype() const { return labels_->dtype; }
  // The shape of one sample (the arrays' shapes without the first dim).
  Shape feature_shape() const;
  Shape label_shape() const;
  size_t feature_bytes() const { return feature_bytes_; }
  size_t label_bytes() const { return label_bytes_; }
  // REQUIRES: 0 <= i < size().
  const uint8_t* feature(int64_t i) const {
    return features_->bytes.data() + (begin_ + i) * feature_bytes_;
  }
  const uint8_t* label(int64_t i) const {
    return labels_->bytes.data() + (begin_ + i) * label_bytes_;
  }

  // Samples [begin, begin + count). InvalidArgument when out of range or
  // empty.
  absl::StatusOr<Dataset> Slice(int64_t begin, int64_t count) const;

  // (train, validation): validation is the last round(size * fraction)
  // samples, at least 1, and train keeps at least 1. InvalidArgument for a
  // fraction outside (0, 1) or fewer than 2 samples.
  absl::StatusOr<std::pair<Dataset, Dataset>> SplitValidation(
      double fraction) const;

  // A copy whose features / labels have the given dtypes (CastArray).
  absl::StatusOr<Dataset> Cast(ArrayDType features, ArrayDType labels) const;

 private:
  std::shared_ptr<const Array> features_;
  std::shared_ptr<const Array> labels_;
  int64_t begin_ = 0;
  int64_t end_ = 0;
  size_t feature_bytes_ = 0;
  size_t label_bytes_ = 0;
};

// A uniform draw in [0, bound) from `rng` without modulo bias.
// REQUIRES: bound > 0.
uint64_t UniformBelow(std::mt19937_64& rng, uint64_t bound);

// In-place Fisher-Yates shuffle (Durstenfeld): for i = n-1 .. 1, swap
// element i with element UniformBelow(rng, i + 1).
void ShuffleInPlace(absl::Span<int64_t> values, std::mt19937_64& rng);

// The sample order of 0-based `epoch`: 0..n-1, shuffled when `shuffle`
// with a generator seeded from (seed, epoch), so each epoch's order can be
// computed on its own.
std::vector<int64_t> EpochOrder(int64_t n, bool shuffle, uint64_t seed,
                                int64_t epoch);

// Batches per epoch: ceil(n / batch), or floor with drop_remainder.
int64_t NumBatches(int64_t n, int64_t batch_size, bool drop_remainder);

// A copy of `array` with dtype `dtype`. Float -> integer conversions must be
// exact (InvalidArgument naming the first element that is not an integer in
// range); integer -> integer conversions must fit.
absl::StatusOr<Array> CastArray(const Array& array, ArrayDType dtype);

// What a data file holds for ReadDataFile.
enum class DataRole { kFeatures, kLabels };

struct DataFileOptions {
  // IDX uint8 features become float32 in [0, 1].
  bool scale_idx_images = true;
  // CSV: the label column by name or index. For kFeatures every other
  // column is read; for kLabels this column. With no label column, a CSV
  // read as labels must have one column.
  std::string csv_label_column;
};

// Reads one data file for training:
//   FILE.npz:NAME   a member of an .npz archive
//   FILE.npz        the archive's only member
//   FILE.npy        NumPy array
//   FILE.csv        CSV (data/csv.h); .tsv is tab-separated
//   anything else   IDX, gzip-compressed or plain (Fashion-MNIST files)
// Errors come from the readers and name the file.
absl::StatusOr<Array> ReadDataFile(const std::string& spec, DataRole role,
                                   const DataFileOptions& options = {});

}  // namespace attune

#endif  // ATTUNE_TRAINING_DATASET_H_
