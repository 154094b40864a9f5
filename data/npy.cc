#include "data/npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
constexpr size_t kMaxHeaderBytes = size_t{1} << 20;

absl::Status Malformed(absl::string_view what, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": malformed .npy header: ", why));
}

// A tiny reader for the Python literal dict of an .npy header. Accepts
// exactly the value kinds the format uses: quoted strings, True/False and
// tuples of non-negative integers.
class HeaderParser {
 public:
  HeaderParser(absl::string_view text, absl::string_view what)
      : text_(text), what_(what) {}

  struct Fields {
    std::string descr;
    bool fortran_order = false;
    Shape shape;
    bool has_descr = false, has_fortran = false, has_shape = false;
  };

  absl::StatusOr<Fields> Parse() {
    Fields fields;
    SkipSpace();
    if (!Consume('{')) return Malformed(what_, "expected '{'");
    while (true) {
      SkipSpace();
      if (Consume('}')) break;
      ATTUNE_ASSIGN_OR_RETURN(std::string key, ParseString());
      SkipSpace();
      if (!Consume(':')) {
        return Malformed(what_, absl::StrCat("expected ':' after '", key, "'"));
      }
      SkipSpace();
      if (key == "descr") {
        ATTUNE_ASSIGN_OR_RETURN(fields.descr, ParseString());
        fields.has_descr = true;
      } else if (key == "fortran_order") {
        ATTUNE_ASSIGN_OR_RETURN(fields.fortran_order, ParseBool());
        fields.has_fortran = true;
      } else if (key == "shape") {
        ATTUNE_ASSIGN_OR_RETURN(fields.shape, ParseTuple());
        fields.has_shape = true;
      } else {
        return Malformed(what_, absl::StrCat("unexpected key '", key, "'"));
      }
      SkipSpace();
      if (Consume(',')) continue;
      SkipSpace();
      if (Consume('}')) break;
      return Malformed(what_, "expected ',' or '}'");
    }
    SkipSpace();
    if (pos_ != text_.size()) {
      return Malformed(what_, "unexpected text after the dict");
    }
    if (!fields.has_descr || !fields.has_fortran || !fields.has_shape) {
      return Malformed(what_,
                       "needs the keys 'descr', 'fortran_order' and 'shape'");
    }
    return fields;
  }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() &&
           absl::ascii_isspace(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
  }
  bool Consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  absl::StatusOr<std::string> ParseString() {
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
      return Malformed(what_, "expected a quoted string");
    }
    const char quote = text_[pos_++];
    const size_t end = text_.find(quote, pos_);
    if (end == absl::string_view::npos) {
      return Malformed(what_, "unterminated string");
    }
    std::string s(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }
  absl::StatusOr<bool> ParseBool() {
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    return Malformed(what_, "'fortran_order' must be True or False");
  }
  absl::StatusOr<Shape> ParseTuple() {
    if (!Consume('(')) return Malformed(what_, "'shape' must be a tuple");
    Shape shape;
    while (true) {
      SkipSpace();
      if (Consume(')')) break;
      const size_t start = pos_;
      while (pos_ < text_.size() &&
             absl::ascii_isdigit(static_cast<unsigned char>(text_[pos_]))) {
        ++pos_;
      }
      // Python 2 era files may write long integers as "3L".
      absl::string_view digits = text_.substr(start, pos_ - start);
      Consume('L');
      int64_t dim = 0;
      if (digits.empty() || !absl::SimpleAtoi(digits, &dim)) {
        return Malformed(what_, "'shape' must hold non-negative integers");
      }
      shape.push_back(dim);
      if (shape.size() > static_cast<size_t>(kMaxRank)) {
        return Malformed(what_, absl::StrCat("rank above ", kMaxRank));
      }
      SkipSpace();
      if (Consume(',')) continue;
      SkipSpace();
      if (Consume(')')) break;
      return Malformed(what_, "expected ',' or ')' in 'shape'");
    }
    return shape;
  }

  absl::string_view text_;
  absl::string_view what_;
  size_t pos_ = 0;
};

absl::StatusOr<ArrayDType> ParseDescr(absl::string_view descr,
                                      absl::string_view what) {
  if (descr.empty()) return Malformed(what, "empty 'descr'");
  char order = '|';
  absl::string_view code = descr;
  if (descr[0] == '<' || descr[0] == '>' || descr[0] == '|' ||
      descr[0] == '=') {
    order = descr[0];
    code = descr.substr(1);
  }
  struct Entry {
    absl::string_view code;
    ArrayDType dtype;
  };
  static constexpr Entry kEntries[] = {
      {"f4", ArrayDType::kFloat32}, {"f8", ArrayDType::kFloat64},
      {"i4", ArrayDType::kInt32},   {"i8", ArrayDType::kInt64},
      {"u1", ArrayDType::kUint8},   {"i1", ArrayDType::kInt8},
      {"b1", ArrayDType::kBool},
  };
  for (const Entry& e : kEntries) {
    if (code != e.code) continue;
    if (order == '>' && ArrayDTypeSize(e.dtype) > 1) {
      return absl::UnimplementedError(absl::StrCat(
          what, ": big-endian dtype '", descr,
          "' is not supported; save with a little-endian dtype"));
    }
    if (order == '|' && ArrayDTypeSize(e.dtype) > 1 && descr[0] == '|') {
      return Malformed(what, absl::StrCat("dtype '", descr,
                                          "' needs a byte order"));
    }
    return e.dtype;
  }
  return absl::UnimplementedError(absl::StrCat(
      what, ": dtype '", descr,
      "' is not supported (float32, float64, int32, int64, uint8, int8, "
      "bool)"));
}

uint32_t ReadLe(const uint8_t* p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

absl::StatusOr<Array> ParseNpy(absl::Span<const uint8_t> bytes,
                               const NpyReadOptions& options,
                               absl::string_view what) {
  if (bytes.size() < kMagicSize + 2 ||
      std::memcmp(bytes.data(), kMagic, kMagicSize) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": not an .npy file (bad magic string)"));
  }
  const int major = bytes[6];
  const int minor = bytes[7];
  int len_bytes = 0;
  if (major == 1 && minor == 0) {
    len_bytes = 2;
  } else if ((major == 2 || major == 3) && minor == 0) {
    len_bytes = 4;
  } else {
    return absl::UnimplementedError(absl::StrCat(
        what, ": .npy format version ", major, ".", minor,
        " is not supported (1.0, 2.0, 3.0)"));
  }
  const size_t prefix = kMagicSize + 2 + len_bytes;
  if (bytes.size() < prefix) {
    return absl::DataLossError(
        absl::StrCat(what, ": truncated in the .npy header"));
  }
  const uint32_t header_len = ReadLe(bytes.data() + 8, len_bytes);
  if (header_len > kMaxHeaderBytes) {
    return Malformed(what, absl::StrCat("header length ", header_len,
                                        " is implausibly large"));
  }
  if (bytes.size() < prefix + header_len) {
    return absl::DataLossError(absl::StrCat(
        what, ": truncated in the .npy header (", header_len,
        " header bytes announced, ", bytes.size() - prefix, " present)"));
  }
  absl::string_view header(reinterpret_cast<const char*>(bytes.data()) + prefix,
                           header_len);
  ATTUNE_ASSIGN_OR_RETURN(HeaderParser::Fields fields,
                          HeaderParser(header, what).Parse());
  ATTUNE_ASSIGN_OR_RETURN(ArrayDType dtype, ParseDescr(fields.descr, what));
  if (fields.fortran_order && fields.shape.size() > 1) {
    return absl::UnimplementedError(absl::StrCat(
        what, ": Fortran-order arrays are not supported; save a C-order "
              "array (numpy.ascontiguousarray)"));
  }
  absl::StatusOr<int64_t> n = CheckedNumElements(fields.shape);
  if (!n.ok()) {
    return Malformed(what, absl::StrCat("shape ", ShapeToString(fields.shape),
                                        ": ", n.status().message()));
  }
  const uint64_t data_bytes =
      static_cast<uint64_t>(*n) * ArrayDTypeSize(dtype);
  const uint64_t present = bytes.size() - prefix - header_len;
  if (present < data_bytes) {
    return absl::DataLossError(absl::StrCat(
        what, ": truncated: ", DescribeArray({dtype, fields.shape, {}}),
        " needs ", data_bytes, " data bytes, the file holds ", present));
  }
  if (present > data_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": ", present - data_bytes, " unexpected bytes after the ",
        data_bytes, " data bytes of ", DescribeArray({dtype, fields.shape, {}})));
  }
  Array array;
  array.dtype = dtype;
  array.shape = fields.shape;
  const uint8_t* data = bytes.data() + prefix + header_len;
  array.bytes.assign(data, data + data_bytes);
  if (dtype == ArrayDType::kFloat64 && options.float64_to_float32) {
    return ConvertToFloat32(array);
  }
  return array;
}

absl::StatusOr<std::string> ReadFileBytes(const std::string& path,
                                          int64_t max_bytes) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"),
                                          &std::fclose);
  if (f == nullptr) {
    const int err = errno;
    const std::string msg = absl::StrCat(path, ": ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(msg);
    if (err == EACCES) return absl::PermissionDeniedError(msg);
    return absl::UnavailableError(msg);
  }
  std::string out;
  char buf[1 << 16];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof(buf), f.get())) > 0) {
    out.append(buf, got);
    if (static_cast<int64_t>(out.size()) > max_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": file is larger than the limit of ", max_bytes, " bytes"));
    }
  }
  if (std::ferror(f.get())) {
    return absl::DataLossError(absl::StrCat(path, ": read error"));
  }
  return out;
}

absl::Status WriteFileBytes(const std::string& path, absl::string_view bytes) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"),
                                          &std::fclose);
  if (f == nullptr) {
    const int err = errno;
    const std::string msg =
        absl::StrCat(path, ": cannot open for writing: ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(msg);
    if (err == EACCES) return absl::PermissionDeniedError(msg);
    return absl::UnavailableError(msg);
  }
  if (!bytes.empty() &&
      std::fwrite(bytes.data(), 1, bytes.size(), f.get()) != bytes.size()) {
    return absl::DataLossError(absl::StrCat(path, ": short write"));
  }
  FILE* raw = f.release();
  if (std::fclose(raw) != 0) {
    return absl::DataLossError(absl::StrCat(path, ": error closing file"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Array> ReadNpy(const std::string& path,
                              const NpyReadOptions& options) {
  ATTUNE_ASSIGN_OR_RETURN(std::string bytes, ReadFileBytes(path));
  return ParseNpy({reinterpret_cast<const uint8_t*>(bytes.data()),
                   bytes.size()},
                  options, path);
}

absl::StatusOr<std::string> SerializeNpy(const Array& array) {
  ATTUNE_RETURN_IF_ERROR(array.Validate());
  absl::string_view descr;
  switch (array.dtype) {
    case ArrayDType::kFloat32: descr = "<f4"; break;
    case ArrayDType::kFloat64: descr = "<f8"; break;
    case ArrayDType::kInt32: descr = "<i4"; break;
    case ArrayDType::kInt64: descr = "<i8"; break;
    case ArrayDType::kUint8: descr = "|u1"; break;
    case ArrayDType::kInt8: descr = "|i1"; break;
    case ArrayDType::kBool: descr = "|b1"; break;
  }
  std::string shape = absl::StrJoin(array.shape, ", ");
  if (array.shape.size() == 1) shape += ",";
  std::string header = absl::StrCat("{'descr': '", descr,
                                    "', 'fortran_order': False, 'shape': (",
                                    shape, "), }");
  // Pad with spaces so that the data starts on a 64-byte boundary; the
  // header ends with '\n'.
  int len_bytes = 2;
  int major = 1;
  size_t total = kMagicSize + 2 + len_bytes + header.size() + 1;
  if (total + 63 > 0xFFFF + kMagicSize + 2 + len_bytes) {
    len_bytes = 4;
    major = 2;
    total = kMagicSize + 2 + len_bytes + header.size() + 1;
  }
  const size_t padded = (total + 63) / 64 * 64;
  header.append(padded - total, ' ');
  header.push_back('\n');
  std::string out(kMagic, kMagicSize);
  out.push_back(static_cast<char>(major));
  out.push_back(0);
  const uint32_t len = static_cast<uint32_t>(header.size());
  for (int i = 0; i < len_bytes; ++i) {
    out.push_back(static_cast<char>((len >> (8 * i)) & 0xFF));
  }
  out += header;
  out.append(reinterpret_cast<const char*>(array.bytes.data()),
             array.bytes.size());
  return out;
}

absl::Status WriteNpy(const std::string& path, const Array& array) {
  ATTUNE_ASSIGN_OR_RETURN(std::string bytes, SerializeNpy(array));
  return WriteFileBytes(path, bytes);
}

}  // namespace attune
