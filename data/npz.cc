#include "data/npz.h"

#include <zlib.h>

#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

// Zip record signatures (PKWARE APPNOTE.TXT).
constexpr uint32_t kLocalHeaderSig = 0x04034b50;
constexpr uint32_t kCentralHeaderSig = 0x02014b50;
constexpr uint32_t kEndOfCentralDirSig = 0x06054b50;
constexpr uint32_t kZip64EndLocatorSig = 0x07064b50;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kEndOfCentralDirSize = 22;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint16_t kMethodStored = 0;
constexpr uint16_t kMethodDeflate = 8;
// Members above this size (decompressed) are refused.
constexpr uint64_t kMaxMemberBytes = uint64_t{1} << 34;

uint64_t Le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void PutLe(std::string& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

struct Member {
  std::string name;
  uint16_t flags = 0;
  uint16_t method = 0;
  uint32_t crc = 0;
  uint64_t compressed = 0;
  uint64_t uncompressed = 0;
  uint64_t local_offset = 0;
};

absl::Status Bad(absl::string_view what, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": not a valid .npz (zip) archive: ", why));
}

absl::StatusOr<std::vector<Member>> ReadCentralDirectory(
    absl::Span<const uint8_t> b, absl::string_view what) {
  if (b.size() < kEndOfCentralDirSize) return Bad(what, "too short");
  // The end record sits in the last 22 + 65535 (comment) bytes.
  size_t eocd = std::string::npos;
  const size_t lowest =
      b.size() > kEndOfCentralDirSize + 0xFFFF ? b.size() - kEndOfCentralDirSize - 0xFFFF : 0;
  for (size_t i = b.size() - kEndOfCentralDirSize + 1; i-- > lowest;) {
    if (Le(b.data() + i, 4) == kEndOfCentralDirSig) {
      eocd = i;
      break;
    }
  }
  if (eocd == std::string::npos) {
    return Bad(what, "no end-of-central-directory record");
  }
  const uint8_t* e = b.data() + eocd;
  if (Le(e + 4, 2) != 0 || Le(e + 6, 2) != 0) {
    return absl::UnimplementedError(
        absl::StrCat(what, ": multi-disk zip archives are not supported"));
  }
  uint64_t count = Le(e + 10, 2);
  uint64_t cd_size = Le(e + 12, 4);
  uint64_t cd_offset = Le(e + 16, 4);
  if (count == 0xFFFF || cd_size == 0xFFFFFFFF || cd_offset == 0xFFFFFFFF) {
    if (eocd >= 20 && Le(b.data() + eocd - 20, 4) == kZip64EndLocatorSig) {
      return absl::UnimplementedError(absl::StrCat(
          what, ": Zip64 archives above 65535 members or 4 GiB are not "
                "supported"));
    }
  }
  if (cd_offset > b.size() || cd_size > b.size() - cd_offset) {
    return Bad(what, "central directory lies outside the file");
  }
  std::vector<Member> members;
  size_t pos = cd_offset;
  const size_t end = cd_offset + cd_size;
  for (uint64_t i = 0; i < count; ++i) {
    if (end - pos < kCentralHeaderSize ||
        Le(b.data() + pos, 4) != kCentralHeaderSig) {
      return Bad(what, absl::StrCat("central directory entry #", i,
                                    " is damaged"));
    }
    const uint8_t* h = b.data() + pos;
    Member m;
    m.flags = static_cast<uint16_t>(Le(h + 8, 2));
    m.method = static_cast<uint16_t>(Le(h + 10, 2));
    m.crc = static_cast<uint32_t>(Le(h + 16, 4));
    m.compressed = Le(h + 20, 4);
    m.uncompressed = Le(h + 24, 4);
    const size_t name_len = Le(h + 28, 2);
    const size_t extra_len = Le(h + 30, 2);
    const size_t comment_len = Le(h + 32, 2);
    m.local_offset = Le(h + 42, 4);
    if (end - pos - kCentralHeaderSize < name_len + extra_len + comment_len) {
      return Bad(what, absl::StrCat("central directory entry #", i,
                                    " is truncated"));
    }
    m.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderSize),
                  name_len);
    // Zip64 extra: the 8-byte values replace fields saturated at 0xFFFFFFFF,
    // in the order uncompressed, compressed, offset.
    const uint8_t* x = h + kCentralHeaderSize + name_len;
    const uint8_t* x_end = x + extra_len;
    while (x_end - x >= 4) {
      const uint16_t id = static_cast<uint16_t>(Le(x, 2));
      const size_t len = Le(x + 2, 2);
      if (static_cast<size_t>(x_end - x - 4) < len) break;
      if (id == kZip64ExtraId) {
        const uint8_t* v = x + 4;
        size_t left = len;
        auto take = [&](uint64_t& field) {
          if (field == 0xFFFFFFFF && left >= 8) {
            field = Le(v, 8);
            v += 8;
            left -= 8;
          }
        };
        take(m.uncompressed);
        take(m.compressed);
        take(m.local_offset);
      }
      x += 4 + len;
    }
    members.push_back(std::move(m));
    pos += kCentralHeaderSize + name_len + extra_len + comment_len;
  }
  return members;
}

absl::StatusOr<std::string> Inflate(const uint8_t* data, uint64_t size,
                                    uint64_t expected, absl::string_view what) {
  std::string out;
  out.resize(expected);
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
    return absl::InternalError(absl::StrCat(what, ": zlib init failed"));
  }
  // Feed in chunks that fit zlib's 32-bit counters.
  uint64_t in_left = size;
  uint64_t out_done = 0;
  const uint8_t* in = data;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.avail_in == 0 && in_left > 0) {
      const uInt chunk = static_cast<uInt>(std::min<uint64_t>(in_left, 1u << 30));
      zs.next_in = const_cast<Bytef*>(in);
      zs.avail_in = chunk;
      in += chunk;
      in_left -= chunk;
    }
    char sink;
    if (out_done < expected) {
      const uInt chunk =
          static_cast<uInt>(std::min<uint64_t>(expected - out_done, 1u << 30));
      zs.next_out = reinterpret_cast<Bytef*>(&out[out_done]);
      zs.avail_out = chunk;
    } else {
      // Room for one byte to detect data beyond the announced size.
      zs.next_out = reinterpret_cast<Bytef*>(&sink);
      zs.avail_out = 1;
    }
    const uInt before = zs.avail_out;
    rc = inflate(&zs, Z_NO_FLUSH);
    const uInt produced = before - zs.avail_out;
    if (out_done >= expected && produced > 0) {
      inflateEnd(&zs);
      return absl::DataLossError(absl::StrCat(
          what, ": inflates to more than the announced ", expected, " bytes"));
    }
    out_done += produced;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && in_left == 0) {
      inflateEnd(&zs);
      return absl::DataLossError(
          absl::StrCat(what, ": compressed data is truncated"));
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      inflateEnd(&zs);
      return absl::DataLossError(absl::StrCat(
          what, ": corrupt deflate stream (", zs.msg ? zs.msg : "zlib error",
          ")"));
    }
  }
  inflateEnd(&zs);
  if (out_done != expected) {
    return absl::DataLossError(absl::StrCat(what, ": inflated ", out_done,
                                            " bytes, expected ", expected));
  }
  return out;
}

absl::StatusOr<std::string> MemberBytes(absl::Span<const uint8_t> b,
                                        const Member& m,
                                        absl::string_view what) {
  if (m.flags & 0x1) {
    return absl::UnimplementedError(
        absl::StrCat(what, ": encrypted members are not supported"));
  }
  if (m.local_offset > b.size() ||
      b.size() - m.local_offset < kLocalHeaderSize ||
      Le(b.data() + m.local_offset, 4) != kLocalHeaderSig) {
    return Bad(what, "local header is missing or outside the file");
  }
  const uint8_t* h = b.data() + m.local_offset;
  const uint64_t data_start =
      m.local_offset + kLocalHeaderSize + Le(h + 26, 2) + Le(h + 28, 2);
  if (data_start > b.size() || b.size() - data_start < m.compressed) {
    return absl::DataLossError(absl::StrCat(
        what, ": member data is truncated (", m.compressed,
        " bytes announced)"));
  }
  if (m.uncompressed > kMaxMemberBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": member of ", m.uncompressed, " bytes exceeds the limit"));
  }
  const uint8_t* data = b.data() + data_start;
  std::string out;
  if (m.method == kMethodStored) {
    if (m.compressed != m.uncompressed) {
      return Bad(what, "stored member with different compressed size");
    }
    out.assign(reinterpret_cast<const char*>(data), m.compressed);
  } else if (m.method == kMethodDeflate) {
    // Deflate cannot expand data by more than about 1032:1; a larger claim
    // is corrupt (and would make us allocate for nothing).
    if (m.uncompressed > m.compressed * 1032 + 1024) {
      return absl::DataLossError(absl::StrCat(
          what, ": announced size ", m.uncompressed,
          " is implausible for ", m.compressed, " compressed bytes"));
    }
    ATTUNE_ASSIGN_OR_RETURN(out, Inflate(data, m.compressed, m.uncompressed, what));
  } else {
    return absl::UnimplementedError(absl::StrCat(
        what, ": compression method ", m.method,
        " is not supported (stored or deflate)"));
  }
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t done = 0; done < out.size();) {
    const uInt chunk = static_cast<uInt>(std::min<size_t>(out.size() - done, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(out.data() + done), chunk);
    done += chunk;
  }
  if (static_cast<uint32_t>(crc) != m.crc) {
    return absl::DataLossError(absl::StrCat(what, ": CRC-32 mismatch"));
  }
  return out;
}

std::string StripNpy(absl::string_view name) {
  if (absl::EndsWith(name, ".npy")) name.remove_suffix(4);
  return std::string(name);
}

}  // namespace

absl::StatusOr<NamedArrays> ParseNpz(absl::Span<const uint8_t> bytes,
                                     const NpyReadOptions& options,
                                     absl::string_view what) {
  ATTUNE_ASSIGN_OR_RETURN(std::vector<Member> members,
                          ReadCentralDirectory(bytes, what));
  NamedArrays arrays;
  for (const Member& m : members) {
    if (absl::EndsWith(m.name, "/")) continue;  // directory entry
    const std::string member_what = absl::StrCat(what, ":", m.name);
    ATTUNE_ASSIGN_OR_RETURN(std::string data, MemberBytes(bytes, m, member_what));
    ATTUNE_ASSIGN_OR_RETURN(
        Array array,
        ParseNpy({reinterpret_cast<const uint8_t*>(data.data()), data.size()},
                 options, member_what));
    arrays.emplace_back(StripNpy(m.name), std::move(array));
  }
  return arrays;
}

absl::StatusOr<NamedArrays> ReadNpz(const std::string& path,
                                    const NpyReadOptions& options) {
  ATTUNE_ASSIGN_OR_RETURN(std::string bytes, ReadFileBytes(path));
  return ParseNpz(
      {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, options,
      path);
}

absl::StatusOr<std::vector<std::string>> ListNpz(const std::string& path) {
  ATTUNE_ASSIGN_OR_RETURN(std::string bytes, ReadFileBytes(path));
  ATTUNE_ASSIGN_OR_RETURN(
      std::vector<Member> members,
      ReadCentralDirectory(
          {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()},
          path));
  std::vector<std::string> names;
  for (const Member& m : members) {
    if (!absl::EndsWith(m.name, "/")) names.push_back(StripNpy(m.name));
  }
  return names;
}

absl::StatusOr<Array> ReadNpzMember(const std::string& path,
                                    absl::string_view name,
                                    const NpyReadOptions& options) {
  ATTUNE_ASSIGN_OR_RETURN(std::string bytes, ReadFileBytes(path));
  absl::Span<const uint8_t> b(reinterpret_cast<const uint8_t*>(bytes.data()),
                              bytes.size());
  ATTUNE_ASSIGN_OR_RETURN(std::vector<Member> members,
                          ReadCentralDirectory(b, path));
  const std::string wanted = StripNpy(name);
  std::vector<std::string> names;
  for (const Member& m : members) {
    if (StripNpy(m.name) != wanted) {
      names.push_back(StripNpy(m.name));
      continue;
    }
    const std::string member_what = absl::StrCat(path, ":", m.name);
    ATTUNE_ASSIGN_OR_RETURN(std::string data, MemberBytes(b, m, member_what));
    return ParseNpy(
        {reinterpret_cast<const uint8_t*>(data.data()), data.size()}, options,
        member_what);
  }
  return absl::NotFoundError(absl::StrCat(path, ": no member \"", wanted,
                                          "\" (members: ",
                                          absl::StrJoin(names, ", "), ")"));
}

absl::StatusOr<std::string> SerializeNpz(const NamedArrays& arrays) {
  std::string out;
  std::string central;
  absl::flat_hash_set<std::string> seen;
  for (const auto& [name, array] : arrays) {
    if (name.empty()) {
      return absl::InvalidArgumentError("npz: empty member name");
    }
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("npz: duplicate member name \"", name, "\""));
    }
    ATTUNE_ASSIGN_OR_RETURN(std::string npy, SerializeNpy(array));
    const std::string file_name = absl::StrCat(name, ".npy");
    if (npy.size() >= 0xFFFFFFFFu || out.size() >= 0xFFFFFFFFu ||
        file_name.size() > 0xFFFF) {
      return absl::UnimplementedError(absl::StrCat(
          "npz: member \"", name, "\" needs Zip64, which writing does not support"));
    }
    const uint32_t crc = static_cast<uint32_t>(
        crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(npy.data()),
              static_cast<uInt>(npy.size())));
    const uint64_t offset = out.size();
    // Local header: version 2.0, no flags, stored, DOS date 1980-01-01.
    PutLe(out, kLocalHeaderSig, 4);
    PutLe(out, 20, 2);
    PutLe(out, 0, 2);
    PutLe(out, kMethodStored, 2);
    PutLe(out, 0, 2);
    PutLe(out, 0x21, 2);
    PutLe(out, crc, 4);
    PutLe(out, npy.size(), 4);
    PutLe(out, npy.size(), 4);
    PutLe(out, file_name.size(), 2);
    PutLe(out, 0, 2);
    out += file_name;
    out += npy;
    // Central directory entry.
    PutLe(central, kCentralHeaderSig, 4);
    PutLe(central, 20, 2);  // made by
    PutLe(central, 20, 2);  // needed
    PutLe(central, 0, 2);
    PutLe(central, kMethodStored, 2);
    PutLe(central, 0, 2);
    PutLe(central, 0x21, 2);
    PutLe(central, crc, 4);
    PutLe(central, npy.size(), 4);
    PutLe(central, npy.size(), 4);
    PutLe(central, file_name.size(), 2);
    PutLe(central, 0, 2);  // extra
    PutLe(central, 0, 2);  // comment
    PutLe(central, 0, 2);  // disk
    PutLe(central, 0, 2);  // internal attributes
    PutLe(central, 0, 4);  // external attributes
    PutLe(central, offset, 4);
    central += file_name;
  }
  if (arrays.size() > 0xFFFF || out.size() >= 0xFFFFFFFFu) {
    return absl::UnimplementedError(
        "npz: archive needs Zip64, which writing does not support");
  }
  const uint64_t cd_offset = out.size();
  out += central;
  PutLe(out, kEndOfCentralDirSig, 4);
  PutLe(out, 0, 2);
  PutLe(out, 0, 2);
  PutLe(out, arrays.size(), 2);
  PutLe(out, arrays.size(), 2);
  PutLe(out, central.size(), 4);
  PutLe(out, cd_offset, 4);
  PutLe(out, 0, 2);
  return out;
}

absl::Status WriteNpz(const std::string& path, const NamedArrays& arrays) {
  ATTUNE_ASSIGN_OR_RETURN(std::string bytes, SerializeNpz(arrays));
  return WriteFileBytes(path, bytes);
}

}  // namespace attune
