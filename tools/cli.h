#ifndef ATTUNE_TOOLS_CLI_H_
#define ATTUNE_TOOLS_CLI_H_

// Shared pieces of the `attune` command line (tools/main.cc). Each command
// lives in its own file and registers a CLI11 subcommand plus the function
// that runs it after a successful parse. Exit codes (DESIGN.md, "The
// command-line contract"): 0 success, 1 runtime failure with a one-line
// "attune: ..." reason on stderr, 2 usage error; `attune ckpt` adds 3 for
// corrupt data (DataLoss), within the runtime-failure family.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "checkpoint/store.h"
#include "delegates/delegate.h"
#include "engine/interpreter.h"
#include "signatures/signature_runner.h"

namespace attune {
namespace cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitCorrupt = 3;

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

void AddCompileCommand(CLI::App& app, std::vector<Command>& commands);
void AddInfoCommand(CLI::App& app, std::vector<Command>& commands);
void AddRunCommand(CLI::App& app, std::vector<Command>& commands);

// Prints "attune: <message>" (one line) to stderr; returns kExitFailure.
int Fail(absl::string_view message);
int Fail(const absl::Status& status);
// Prints "attune: <message>" to stderr; returns kExitUsage.
int UsageError(absl::string_view message);

// Options every command that runs a model shares: --threads N and
// --delegate NAME (repeatable, in priority order).
struct RuntimeOptions {
  int threads = 1;
  std::vector<std::string> delegates;
};
void AddRuntimeOptions(CLI::App* app, RuntimeOptions& options);
// The requested delegates, in priority order; the failure of creating one
// otherwise ("gpu": Unavailable without an OpenCL device; the device is
// chosen by ATTUNE_OPENCL_DEVICE=gpu|cpu|any, default any).
absl::StatusOr<std::vector<std::shared_ptr<Delegate>>> MakeDelegates(
    const RuntimeOptions& options);

// Prints "attune: warning: ..." to stderr for each delegate partition of
// `runner`'s current plan that fell back to the reference kernels.
void WarnDelegateFallbacks(const SignatureRunner& runner);

// "xnnpack", or "gpu (DEVICE)" with the OpenCL device it runs on.
std::string DelegateDescription(const Delegate& delegate);

// --checkpoint DB (fit, run): restores the latest checkpoint of DB into
// `interpreter` when DB exists and has one (printing a line on stdout);
// nullopt when there is none. Errors as RestoreVariables.
absl::StatusOr<std::optional<CheckpointInfo>> RestoreLatestIfAny(
    Interpreter& interpreter, const std::string& db);
// Saves every variable (with optimizer state) as a new checkpoint of DB with
// `properties`, prints "saved checkpoint ID (step S) to DB", returns the id.
absl::StatusOr<int64_t> SaveCheckpoint(Interpreter& interpreter,
                                       const std::string& db,
                                       const Properties& properties);

// Right-pads each column to its widest cell; columns separated by two
// spaces; each line starts with `indent`.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows,
                        absl::string_view indent = "  ");

}  // namespace cli
}  // namespace attune

#endif  // ATTUNE_TOOLS_CLI_H_
