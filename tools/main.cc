// attune: the command line. One subcommand per file (compile_command.cc,
// info_command.cc, run_command.cc, fit_command.cc, bench_command.cc,
// convert_command.cc, ckpt_command.cc); this
// file parses and dispatches.

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "delegates/gpu/gpu_delegate.h"
#include "delegates/xnnpack/xnnpack_delegate.h"
#include "tools/cli.h"

namespace attune {
namespace cli {

// fit_command.cc, bench_command.cc.
void AddFitCommand(CLI::App& app, std::vector<Command>& commands);
void AddBenchCommand(CLI::App& app, std::vector<Command>& commands);
// convert_command.cc.
void AddConvertCommand(CLI::App& app, std::vector<Command>& commands);
// ckpt_command.cc.
void AddCkptCommand(CLI::App& app, std::vector<Command>& commands);

int Fail(absl::string_view message) {
  std::string line(message);
  for (char& c : line) {
    if (c == '\n') c = ' ';
  }
  std::cerr << "attune: " << line << std::endl;
  return kExitFailure;
}

int Fail(const absl::Status& status) { return Fail(status.message()); }

int UsageError(absl::string_view message) {
  std::cerr << "attune: " << message << "\n(run with --help for usage)"
            << std::endl;
  return kExitUsage;
}

void AddRuntimeOptions(CLI::App* app, RuntimeOptions& options) {
  app->add_option("--threads", options.threads,
                  "Threads of the interpreter's pool (default 1)")
      ->check(CLI::PositiveNumber);
  app->add_option("--delegate", options.delegates,
                  "Delegate to use, repeatable, in priority order "
                  "(xnnpack, gpu)")
      ->allow_extra_args(false)
      ->check(CLI::IsMember({"xnnpack", "gpu"}));
}

absl::StatusOr<std::vector<std::shared_ptr<Delegate>>> MakeDelegates(
    const RuntimeOptions& options) {
  std::vector<std::shared_ptr<Delegate>> delegates;
  for (const std::string& name : options.delegates) {
    if (name == "xnnpack") {
      absl::StatusOr<std::shared_ptr<Delegate>> xnnpack =
          CreateXnnpackDelegate();
      if (!xnnpack.ok()) return xnnpack.status();
      delegates.push_back(*std::move(xnnpack));
    } else if (name == "gpu") {
      absl::StatusOr<std::shared_ptr<Delegate>> gpu = CreateGpuDelegate();
      if (!gpu.ok()) return gpu.status();
      delegates.push_back(*std::move(gpu));
    } else {
      return absl::UnimplementedError(
          absl::StrCat("delegate ", name, " is not implemented"));
    }
  }
  return delegates;
}

void WarnDelegateFallbacks(const SignatureRunner& runner) {
  for (const std::string& line : runner.plan().delegation_report().fallbacks) {
    std::cerr << "attune: warning: " << line << std::endl;
  }
}

std::string DelegateDescription(const Delegate& delegate) {
  const std::string device = GpuDeviceDescription(delegate);
  if (device.empty()) return std::string(delegate.name());
  return absl::StrCat(delegate.name(), " (", device, ")");
}

std::string FormatTable(const std::vector<std::vector<std::string>>& rows,
                        absl::string_view indent) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line(indent);
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace cli
}  // namespace attune

int main(int argc, char** argv) {
  using namespace attune::cli;  // NOLINT
  CLI::App app{"attune: on-device training engine (models, signatures, data)",
               "attune"};
  app.require_subcommand(1);
  app.failure_message(CLI::FailureMessage::simple);
  std::vector<Command> commands;
  AddCompileCommand(app, commands);
  AddInfoCommand(app, commands);
  AddRunCommand(app, commands);
  AddFitCommand(app, commands);
  AddBenchCommand(app, commands);
  AddConvertCommand(app, commands);
  AddCkptCommand(app, commands);
  std::vector<std::string> names;
  bool known = false;
  for (const Command& command : commands) {
    names.push_back(command.app->get_name());
    known = known || (argc > 1 && command.app->check_name(argv[1]));
  }
  if (argc > 1 && argv[1][0] != '-' && !known) {
    return UsageError(absl::StrCat("unknown command \"", argv[1],
                                   "\" (commands: ", absl::StrJoin(names, ", "),
                                   ")"));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return UsageError(e.what());
  }
  for (const Command& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return UsageError("no command given");
}
