#ifndef ATTUNE_DATA_CSV_H_
#define ATTUNE_DATA_CSV_H_

// CSV files of numeric tabular data: one sample per row, fields separated by
// a delimiter (',' by default), an optional header row of column names.
// Fields may be double-quoted ("1.5"); a quoted field may hold the
// delimiter and doubled quotes. Surrounding spaces are ignored, CRLF line
// ends are accepted, empty lines are skipped, a UTF-8 byte-order mark at
// the start is skipped.
//
// Every column but the label column becomes float32 features [rows, cols];
// the label column (chosen by name or index) becomes int32 labels [rows],
// whose values must be integers ("3" or "3.0").
//
// Error codes: NotFound / PermissionDenied for the file, InvalidArgument
// for malformed content: messages are "PATH:LINE: ..." and name the column,
// e.g. `iris.csv:7: column 3 ("petal_width"): "abc" is not a number`.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "data/array.h"

namespace attune {

struct CsvReadOptions {
  enum class Header {
    kAuto,  // the first row is a header when any field is not a number
    kYes,
    kNo,
  };
  Header header = Header::kAuto;
  char delimiter = ',';
  // The label column by name (needs a header) or by 0-based index. Neither
  // set: no labels, every column is a feature.
  std::string label_column;
  int label_index = -1;
  // Largest file accepted.
  int64_t max_bytes = int64_t{1} << 31;
};

struct CsvData {
  Array features;  // float32 [rows, feature columns]
  Array labels;    // int32 [rows]; empty shape [0] if none
  bool has_labels = false;
  std::vector<std::string> columns;  // header names (or "0", "1", ...)
  int label_index = -1;              // in `columns`
};

// Parses CSV text; `what` names the source in errors ("PATH:LINE: ...").
// InvalidArgument for no data rows, ragged rows, non-numeric fields, an
// unknown label column, a non-integer or out-of-int32-range label, or a
// file with no feature column besides the label.
absl::StatusOr<CsvData> ParseCsv(absl::string_view text,
                                 const CsvReadOptions& options = {},
                                 absl::string_view what = "csv data");

absl::StatusOr<CsvData> ReadCsv(const std::string& path,
                                const CsvReadOptions& options = {});

}  // namespace attune

#endif  // ATTUNE_DATA_CSV_H_
