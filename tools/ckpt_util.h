#ifndef ATTUNE_TOOLS_CKPT_UTIL_H_
#define ATTUNE_TOOLS_CKPT_UTIL_H_

// Shared pieces of `attune ckpt` (tools/ckpt_command.cc registers the
// subcommands; ckpt_command.cc and ckpt_data_command.cc run them): the
// parsed arguments, opening, exit codes and text/JSON formatting.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "checkpoint/store.h"
#include "engine/shape.h"
#include "nlohmann/json.hpp"

namespace attune {
namespace cli {

using Json = nlohmann::ordered_json;

// Every subcommand's arguments (one subcommand runs per process).
struct CkptArgs {
  std::string db;
  std::string selector = "latest";
  std::string selector_b;
  std::string db_b;
  std::string format;
  std::string output;
  std::string file;
  std::string model;
  std::string tag;
  int64_t step = 0;
  int keep = 0;
  bool clear = false;
  std::string property;
  std::string x_axis = "id";
  std::string plot;
  int width = 60;
  int height = 12;
  bool json = false;
};

// Fail (tools/cli.h), but exit code kExitCorrupt for DataLoss.
int FailWith(const absl::Status& status);

// Opens an existing database; NotFound naming the path when it is absent
// (it is never created).
absl::StatusOr<std::unique_ptr<CheckpointStore>> OpenExisting(
    const std::string& db, bool read_only);

// "2026-11-30 13:40:39" (UTC).
std::string FormatTime(int64_t unix_us);
// "512 B", "397.6 KiB", "1.2 GiB".
std::string HumanBytes(int64_t bytes);
// 6 significant digits.
std::string Num(double v);
// "epoch=3 loss=0.25" (doubles with 6 significant digits).
std::string PropertiesText(const Properties& properties);

// A number, or null for NaN and infinities (JSON has no form for them).
Json JsonNumber(double v);
// id, time, created_unix_us, step, tag, fingerprint, nominal, num_tensors,
// bytes, properties (typed).
Json InfoJson(const CheckpointInfo& info);
Json ShapeJson(const Shape& shape);
// Indented by 2, then a newline.
void PrintJson(const Json& json);

// The subcommands; each returns the process exit code.
int RunLs(const CkptArgs& args);
int RunShow(const CkptArgs& args);
int RunVerify(const CkptArgs& args);
int RunPrune(const CkptArgs& args);
int RunTag(const CkptArgs& args);
int RunDiff(const CkptArgs& args);     // ckpt_data_command.cc
int RunExport(const CkptArgs& args);   // ckpt_data_command.cc
int RunImport(const CkptArgs& args);   // ckpt_data_command.cc
int RunHistory(const CkptArgs& args);  // ckpt_data_command.cc

}  // namespace cli
}  // namespace attune

#endif  // ATTUNE_TOOLS_CKPT_UTIL_H_
