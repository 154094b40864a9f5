#include "data/idx.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

uint64_t Be(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

absl::StatusOr<Array> ParseIdx(absl::Span<const uint8_t> bytes,
                               const IdxReadOptions& options,
                               absl::string_view what) {
  if (bytes.size() < 4) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": too short for an IDX header (", bytes.size(),
                     " bytes)"));
  }
  if (bytes[0] != 0 || bytes[1] != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": not an IDX file (the magic number must start with two zero "
              "bytes)"));
  }
  const int type = bytes[2];
  const int rank = bytes[3];
  ArrayDType dtype;
  switch (type) {
    case 0x08: dtype = ArrayDType::kUint8; break;
    case 0x09: dtype = ArrayDType::kInt8; break;
    case 0x0C: dtype = ArrayDType::kInt32; break;
    case 0x0D: dtype = ArrayDType::kFloat32; break;
    case 0x0E: dtype = ArrayDType::kFloat64; break;
    case 0x0B:
      return absl::UnimplementedError(
          absl::StrCat(what, ": int16 IDX data (type 0x0B) is not supported"));
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": unknown IDX data type 0x", absl::Hex(type, absl::kZeroPad2)));
  }
  if (rank == 0 || rank > kMaxRank) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": IDX rank ", rank, " is outside 1..", kMaxRank));
  }
  const size_t header = 4 + 4 * static_cast<size_t>(rank);
  if (bytes.size() < header) {
    return absl::DataLossError(absl::StrCat(
        what, ": truncated in the IDX header (rank ", rank, ")"));
  }
  Shape shape;
  for (int d = 0; d < rank; ++d) {
    shape.push_back(static_cast<int64_t>(Be(bytes.data() + 4 + 4 * d, 4)));
  }
  absl::StatusOr<int64_t> n = CheckedNumElements(shape);
  if (!n.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": IDX shape ", ShapeToString(shape), ": ",
                     n.status().message()));
  }
  const size_t elem = ArrayDTypeSize(dtype);
  const uint64_t data_bytes = static_cast<uint64_t>(*n) * elem;
  if (data_bytes + header > static_cast<uint64_t>(options.max_bytes)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        what, ": IDX data of shape ", ShapeToString(shape), " needs ",
        data_bytes, " bytes, above the limit of ", options.max_bytes));
  }
  const uint64_t present = bytes.size() - header;
  if (present < data_bytes) {
    return absl::DataLossError(absl::StrCat(
        what, ": truncated: shape ", ShapeToString(shape), " needs ",
        data_bytes, " data bytes, found ", present));
  }
  if (present > data_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": ", present - data_bytes, " unexpected bytes after the data"));
  }
  const uint8_t* src = bytes.data() + header;
  Array array;
  array.shape = shape;
  if (dtype == ArrayDType::kUint8 && options.scale_to_unit) {
    array.dtype = ArrayDType::kFloat32;
    array.bytes.resize(data_bytes * sizeof(float));
    float* dst = reinterpret_cast<float*>(array.bytes.data());
    for (uint64_t i = 0; i < data_bytes; ++i) dst[i] = src[i] / 255.0f;
    return array;
  }
  array.dtype = dtype;
  array.bytes.resize(data_bytes);
  // Big-endian to host (little-endian) order.
  for (uint64_t i = 0; i < data_bytes; i += elem) {
    for (size_t j = 0; j < elem; ++j) {
      array.bytes[i + j] = src[i + elem - 1 - j];
    }
  }
  if (dtype == ArrayDType::kFloat64 && options.float64_to_float32) {
    return ConvertToFloat32(array);
  }
  return array;
}

absl::StatusOr<Array> ReadIdx(const std::string& path,
                              const IdxReadOptions& options) {
  errno = 0;
  std::unique_ptr<gzFile_s, int (*)(gzFile)> f(gzopen(path.c_str(), "rb"),
                                               &gzclose);
  if (f == nullptr) {
    const int err = errno;
    const std::string msg = absl::StrCat(
        path, ": ", err != 0 ? std::strerror(err) : "cannot open");
    if (err == ENOENT) return absl::NotFoundError(msg);
    if (err == EACCES) return absl::PermissionDeniedError(msg);
    return absl::UnavailableError(msg);
  }
  std::string bytes;
  char buf[1 << 16];
  while (true) {
    const int got = gzread(f.get(), buf, sizeof(buf));
    if (got < 0) {
      int errnum = 0;
      const char* msg = gzerror(f.get(), &errnum);
      return absl::DataLossError(absl::StrCat(
          path, ": corrupt gzip data (", msg ? msg : "zlib error", ")"));
    }
    if (got == 0) break;
    bytes.append(buf, got);
    if (static_cast<int64_t>(bytes.size()) > options.max_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          path, ": decompressed data exceeds the limit of ", options.max_bytes,
          " bytes"));
    }
  }
  // A gzip stream cut short reads as a clean end of file with
  // Z_BUF_ERROR pending.
  int errnum = Z_OK;
  const char* msg = gzerror(f.get(), &errnum);
  if (errnum != Z_OK && errnum != Z_STREAM_END) {
    return absl::DataLossError(absl::StrCat(
        path, ": corrupt or truncated gzip data (", msg ? msg : "zlib error",
        ")"));
  }
  return ParseIdx(
      {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, options,
      path);
}

}  // namespace attune
