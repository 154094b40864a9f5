// attune convert IN.tflite -o MODEL [--trainable-head SPEC.json]
//                [--train-from TENSOR]
//
// Imports a TensorFlow Lite model (importers/tflite/importer.h) with all of
// its signatures and writes it as an attune model file. With
// --trainable-head, attaches the head (importers/tflite/head.h: a JSON list
// of spec layers, or an object with "layers", "loss", "optimizer", "seed",
// "attach_to", "signature") and writes infer/train/eval/save/restore instead;
// --train-from TENSOR also makes the backbone's layers after TENSOR
// trainable.

#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "data/npy.h"
#include "engine/model.h"
#include "importers/tflite/head.h"
#include "importers/tflite/importer.h"
#include "tools/cli.h"

namespace attune {
namespace cli {
namespace {

struct ConvertArgs {
  std::string input;
  std::string output;
  std::string trainable_head;
  std::string train_from;
};

int RunConvert(const ConvertArgs& args) {
  if (!args.train_from.empty() && args.trainable_head.empty()) {
    return UsageError("--train-from needs --trainable-head");
  }
  absl::StatusOr<Graph> graph = tflite::ImportTfliteFile(args.input);
  if (!graph.ok()) return Fail(graph.status());
  if (!args.trainable_head.empty()) {
    absl::StatusOr<std::string> spec =
        ReadFileBytes(args.trainable_head, 16 << 20);
    if (!spec.ok()) return Fail(spec.status());
    tflite::HeadOptions options;
    options.spec_json = *spec;
    options.train_from = args.train_from;
    graph = tflite::AttachTrainableHead(*graph, options);
    if (!graph.ok()) {
      return Fail(
          absl::StrCat(args.trainable_head, ": ", graph.status().message()));
    }
  }
  const absl::Status written = WriteModelFile(*graph, args.output);
  if (!written.ok()) return Fail(written);
  size_t nodes = 0;
  for (const Subgraph& s : graph->subgraphs) nodes += s.nodes.size();
  std::string signatures;
  for (const Signature& sig : graph->signatures) {
    absl::StrAppend(&signatures, signatures.empty() ? "" : ", ", sig.key);
  }
  std::cout << "converted " << args.input << " -> " << args.output << " ("
            << nodes << " ops, " << graph->variables.size()
            << " variables; signatures " << signatures << ")" << std::endl;
  return kExitOk;
}

}  // namespace

void AddConvertCommand(CLI::App& app, std::vector<Command>& commands) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* sub = app.add_subcommand(
      "convert",
      "Convert a TensorFlow Lite model (.tflite) to an attune model");
  sub->add_option("input", args->input, "TFLite model file")->required();
  sub->add_option("-o,--output", args->output, "Model file to write")
      ->required();
  sub->add_option("--trainable-head", args->trainable_head,
                  "JSON file: layers (as in compile specs) to attach as a "
                  "new trainable head");
  sub->add_option("--train-from", args->train_from,
                  "Make the layers after this tensor trainable too");
  commands.push_back({sub, [args] { return RunConvert(*args); }});
}

}  // namespace cli
}  // namespace attune
