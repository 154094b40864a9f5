// attune compile SPEC.json -o MODEL

#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "builder/spec.h"
#include "data/npy.h"
#include "engine/model.h"
#include "tools/cli.h"

namespace attune {
namespace cli {
namespace {

struct CompileArgs {
  std::string spec;
  std::string output;
};

int RunCompile(const CompileArgs& args) {
  absl::StatusOr<std::string> text = ReadFileBytes(args.spec, 64 << 20);
  if (!text.ok()) return Fail(text.status());
  absl::StatusOr<Graph> graph = CompileSpec(*text);
  if (!graph.ok())
    return Fail(absl::StrCat(args.spec, ": ", graph.status().message()));
  const absl::Status written = WriteModelFile(*graph, args.output);
  if (!written.ok()) return Fail(written);
  int64_t parameters = 0, trainable = 0;
  for (const VariableInfo& v : graph->variables) {
    parameters += NumElements(v.shape);
    if (v.trainable) trainable += NumElements(v.shape);
  }
  size_t nodes = 0;
  for (const Subgraph& s : graph->subgraphs) nodes += s.nodes.size();
  std::string signatures;
  for (const Signature& sig : graph->signatures) {
    absl::StrAppend(&signatures, signatures.empty() ? "" : ", ", sig.key);
  }
  std::cout << "compiled " << args.spec << " -> " << args.output << " ("
            << graph->description << ": " << nodes << " ops, "
            << graph->variables.size() << " variables, " << parameters
            << " parameters, " << trainable << " trainable; signatures "
            << signatures << ")" << std::endl;
  return kExitOk;
}

}  // namespace

void AddCompileCommand(CLI::App& app, std::vector<Command>& commands) {
  auto args = std::make_shared<CompileArgs>();
  CLI::App* sub = app.add_subcommand(
      "compile",
      "Compile a model spec (JSON, see DESIGN.md) into a model file");
  sub->add_option("spec", args->spec,
                  "Model spec, e.g. examples/specs/w0_tflite_tutorial.json")
      ->required();
  sub->add_option("-o,--output", args->output, "Model file to write")
      ->required();
  commands.push_back({sub, [args] { return RunCompile(*args); }});
}

}  // namespace cli
}  // namespace attune
