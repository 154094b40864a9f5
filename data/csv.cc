#include "data/csv.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "data/npy.h"

namespace attune {
namespace {

// Splits one line (without its line end) into fields. Returns false with
// `error` set for an unterminated quote or text after a closing quote.
bool SplitLine(absl::string_view line, char delimiter,
               std::vector<std::string>& fields, std::string& error) {
  fields.clear();
  size_t i = 0;
  while (true) {
    std::string field;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t') &&
           line[i] != delimiter) {
      ++i;
    }
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        field += line[i++];
      }
      if (!closed) {
        error = "unterminated quoted field";
        return false;
      }
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i < line.size() && line[i] != delimiter) {
        error = "text after a closing quote";
        return false;
      }
    } else {
      const size_t end = line.find(delimiter, i);
      const size_t stop = end == absl::string_view::npos ? line.size() : end;
      field = std::string(absl::StripAsciiWhitespace(line.substr(i, stop - i)));
      i = stop;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) break;
    ++i;  // the delimiter
    if (i == line.size()) {
      fields.emplace_back();  // a trailing delimiter: one empty last field
      break;
    }
  }
  return true;
}

bool ParseNumber(const std::string& s, double* out) {
  if (s.empty()) return false;
  return absl::SimpleAtod(s, out);
}

}  // namespace

absl::StatusOr<CsvData> ParseCsv(absl::string_view text,
                                 const CsvReadOptions& options,
                                 absl::string_view what) {
  if (text.size() >= 3 && std::memcmp(text.data(), "\xEF\xBB\xBF", 3) == 0) {
    text.remove_prefix(3);
  }
  auto error = [&](int64_t line, absl::string_view message) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ":", line, ": ", message));
  };
  CsvData data;
  std::vector<float> features;
  std::vector<int32_t> labels;
  std::vector<std::string> fields;
  std::string split_error;
  int64_t line_number = 0;
  int64_t rows = 0;
  size_t columns = 0;
  bool first = true;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == absl::string_view::npos) end = text.size();
    absl::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    if (!SplitLine(line, options.delimiter, fields, split_error)) {
      return error(line_number, split_error);
    }
    if (first) {
      first = false;
      columns = fields.size();
      bool header = options.header == CsvReadOptions::Header::kYes;
      if (options.header == CsvReadOptions::Header::kAuto) {
        for (const std::string& f : fields) {
          double v;
          if (!ParseNumber(f, &v)) header = true;
        }
      }
      if (header) {
        data.columns = fields;
      } else {
        for (size_t c = 0; c < columns; ++c) {
          data.columns.push_back(absl::StrCat(c));
        }
      }
      // Resolve the label column.
      if (!options.label_column.empty()) {
        for (size_t c = 0; c < columns; ++c) {
          if (header && data.columns[c] == options.label_column) {
            data.label_index = static_cast<int>(c);
          }
        }
        if (data.label_index < 0) {
          int64_t index;
          if (absl::SimpleAtoi(options.label_column, &index) && index >= 0 &&
              index < static_cast<int64_t>(columns)) {
            data.label_index = static_cast<int>(index);
          } else {
            return error(
                line_number,
                absl::StrCat("no label column \"", options.label_column, "\"",
                             header ? "" : " (the file has no header)", "; ",
                             columns, " columns"));
          }
        }
      } else if (options.label_index >= 0) {
        if (options.label_index >= static_cast<int>(columns)) {
          return error(line_number,
                       absl::StrCat("label column index ", options.label_index,
                                    " out of range: ", columns, " columns"));
        }
        data.label_index = options.label_index;
      }
      data.has_labels = data.label_index >= 0;
      if (data.has_labels && columns < 2) {
        return error(line_number, "no feature column besides the label");
      }
      if (header) continue;
    }
    if (fields.size() != columns) {
      return error(line_number, absl::StrCat("expected ", columns,
                                             " fields, got ", fields.size()));
    }
    for (size_t c = 0; c < columns; ++c) {
      double v;
      if (!ParseNumber(fields[c], &v)) {
        return error(line_number,
                     absl::StrCat("column ", c, " (\"", data.columns[c],
                                  "\"): \"", fields[c], "\" is not a number"));
      }
      if (static_cast<int>(c) == data.label_index) {
        if (!std::isfinite(v) || v != std::floor(v) ||
            v < std::numeric_limits<int32_t>::min() ||
            v > std::numeric_limits<int32_t>::max()) {
          return error(
              line_number,
              absl::StrCat("label column ", c, " (\"", data.columns[c],
                           "\"): \"", fields[c], "\" is not an int32 integer"));
        }
        labels.push_back(static_cast<int32_t>(v));
      } else {
        features.push_back(static_cast<float>(v));
      }
    }
    ++rows;
  }
  if (rows == 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": no data rows"));
  }
  const int64_t feature_columns =
      static_cast<int64_t>(columns) - (data.has_labels ? 1 : 0);
  absl::StatusOr<Array> f = Array::From<float>({rows, feature_columns},
                                               absl::MakeConstSpan(features));
  if (!f.ok()) return f.status();
  data.features = *std::move(f);
  absl::StatusOr<Array> l = Array::From<int32_t>({data.has_labels ? rows : 0},
                                                 absl::MakeConstSpan(labels));
  if (!l.ok()) return l.status();
  data.labels = *std::move(l);
  return data;
}

absl::StatusOr<CsvData> ReadCsv(const std::string& path,
                                const CsvReadOptions& options) {
  absl::StatusOr<std::string> bytes = ReadFileBytes(path, options.max_bytes);
  if (!bytes.ok()) return bytes.status();
  return ParseCsv(*bytes, options, path);
}

}  // namespace attune
