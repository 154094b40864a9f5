#include "tools/ckpt_util.h"

#include <cmath>
#include <filesystem>
#include <iostream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "tools/cli.h"

namespace attune {
namespace cli {

namespace {

Json PropertiesJson(const Properties& properties) {
  Json out = Json::object();
  for (const auto& [name, value] : properties) {
    if (const auto* i = std::get_if<int64_t>(&value)) {
      out[name] = *i;
    } else if (const auto* d = std::get_if<double>(&value)) {
      out[name] = JsonNumber(*d);
    } else {
      out[name] = std::get<std::string>(value);
    }
  }
  return out;
}

}  // namespace

int FailWith(const absl::Status& status) {
  const int code = Fail(status);
  return absl::IsDataLoss(status) ? kExitCorrupt : code;
}

absl::StatusOr<std::unique_ptr<CheckpointStore>> OpenExisting(
    const std::string& db, bool read_only) {
  std::error_code ec;
  if (!std::filesystem::exists(db, ec)) {
    return absl::NotFoundError(
        absl::StrCat(db, ": no such checkpoint database"));
  }
  StoreOptions options;
  options.read_only = read_only;
  return CheckpointStore::Open(db, options);
}

std::string FormatTime(int64_t unix_us) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMicros(unix_us),
                          absl::UTCTimeZone());
}

std::string HumanBytes(int64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = -1;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  return absl::StrFormat("%.1f %s", v, units[u]);
}

std::string Num(double v) { return absl::StrFormat("%.6g", v); }

Json JsonNumber(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

std::string PropertiesText(const Properties& properties) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : properties) {
    const std::string text = std::holds_alternative<double>(value)
                                 ? Num(std::get<double>(value))
                                 : PropertyToString(value);
    parts.push_back(absl::StrCat(name, "=", text));
  }
  return absl::StrJoin(parts, " ");
}

Json InfoJson(const CheckpointInfo& info) {
  return Json{{"id", info.id},
              {"time", FormatTime(info.created_unix_us) + "Z"},
              {"created_unix_us", info.created_unix_us},
              {"step", info.step},
              {"tag", info.tag},
              {"fingerprint", info.fingerprint},
              {"nominal", info.nominal},
              {"num_tensors", info.num_tensors},
              {"bytes", info.total_bytes},
              {"properties", PropertiesJson(info.properties)}};
}

Json ShapeJson(const Shape& shape) {
  Json out = Json::array();
  for (int64_t d : shape) out.push_back(d);
  return out;
}

void PrintJson(const Json& json) { std::cout << json.dump(2) << std::endl; }

}  // namespace cli
}  // namespace attune
