// attune run MODEL --signature S --input NAME=FILE.npy ... [--output-dir DIR]
//            [--threads N] [--delegate NAME] [--checkpoint DB]
//
// Feeds each input from an .npy file (or "FILE.npz:member"), resizing the
// input to the file's shape; the file's dtype must equal the input's. A
// string input (a scalar, e.g. the path of the save/restore signatures)
// takes its text literally as NAME=@TEXT. Runs
// the signature once and writes OUTPUT_NAME.npy per output into DIR, with a
// one-line summary per output on stdout. With --checkpoint DB, restores the
// latest checkpoint of DB first (if any) and saves a new one after the run.

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "data/npy.h"
#include "data/npz.h"
#include "engine/interpreter.h"
#include "engine/model.h"
#include "tools/cli.h"

namespace attune {
namespace cli {
namespace {

struct RunArgs {
  std::string model;
  std::string signature = "infer";
  std::vector<std::string> inputs;
  std::string output_dir = ".";
  std::string checkpoint;
  RuntimeOptions runtime;
};

// "FILE.npy" or "FILE.npz:member".
absl::StatusOr<Array> ReadArray(const std::string& spec) {
  const size_t npz = spec.rfind(".npz:");
  if (npz != std::string::npos) {
    return ReadNpzMember(spec.substr(0, npz + 4), spec.substr(npz + 5));
  }
  return ReadNpy(spec);
}

// Output names may hold '/' or other characters unfit for file names.
std::string FileNameFor(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) c = '_';
  }
  if (out.empty() || out == "." || out == "..") out = "output";
  return out;
}

template <typename T>
std::string Stats(const Tensor& t) {
  absl::Span<const T> v = t.span<T>();
  if (v.empty()) return "empty";
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  double sum = 0;
  for (T x : v) {
    const double d = static_cast<double>(x);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
    sum += d;
  }
  return absl::StrFormat("min %.6g  max %.6g  mean %.6g", lo, hi,
                         sum / v.size());
}

std::string Summary(const Tensor& t) {
  switch (t.dtype) {
    case DType::kFloat32:
      return Stats<float>(t);
    case DType::kInt32:
      return Stats<int32_t>(t);
    case DType::kInt64:
      return Stats<int64_t>(t);
    case DType::kUint8:
      return Stats<uint8_t>(t);
    case DType::kInt8:
      return Stats<int8_t>(t);
    case DType::kBool:
      return Stats<uint8_t>(t);
    default:
      return "";
  }
}

int RunRun(const RunArgs& args) {
  // Parse NAME=FILE pairs first: a malformed one is a usage error.
  std::vector<std::pair<std::string, std::string>> feeds;
  for (const std::string& input : args.inputs) {
    const size_t eq = input.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == input.size()) {
      return UsageError(
          absl::StrCat("--input expects NAME=FILE.npy, got \"", input, "\""));
    }
    for (const auto& feed : feeds) {
      if (feed.first == input.substr(0, eq)) {
        return UsageError(
            absl::StrCat("input \"", feed.first, "\" is given more than once"));
      }
    }
    feeds.emplace_back(input.substr(0, eq), input.substr(eq + 1));
  }
  absl::StatusOr<std::vector<std::shared_ptr<Delegate>>> delegates =
      MakeDelegates(args.runtime);
  if (!delegates.ok()) return Fail(delegates.status());

  absl::StatusOr<std::shared_ptr<const Model>> model = Model::Load(args.model);
  if (!model.ok()) return Fail(model.status());
  InterpreterOptions options;
  options.num_threads = args.runtime.threads;
  options.delegates = *delegates;
  absl::StatusOr<std::unique_ptr<Interpreter>> interpreter =
      Interpreter::Create(*model, options);
  if (!interpreter.ok()) return Fail(interpreter.status());
  absl::StatusOr<SignatureRunner*> runner =
      (*interpreter)->GetSignatureRunner(args.signature);
  if (!runner.ok()) return Fail(runner.status());
  SignatureRunner& r = **runner;
  if (!args.checkpoint.empty()) {
    auto restored = RestoreLatestIfAny(**interpreter, args.checkpoint);
    if (!restored.ok()) return Fail(restored.status());
  }
  const std::vector<std::string> names = r.input_names();
  for (const std::string& name : names) {
    const bool given =
        std::any_of(feeds.begin(), feeds.end(),
                    [&](const auto& f) { return f.first == name; });
    if (!given) {
      return Fail(absl::StrCat("signature \"", args.signature,
                               "\" needs input \"", name, "\" (--input ", name,
                               "=FILE.npy)"));
    }
  }

  // Read every file and resize, then allocate once and copy.
  std::vector<Array> arrays;
  for (const auto& [name, path] : feeds) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return Fail(
          absl::StrCat("signature \"", args.signature, "\" has no input \"",
                       name, "\" (inputs: ", absl::StrJoin(names, ", "), ")"));
    }
    absl::StatusOr<Tensor*> tensor = r.input(name);
    if (!tensor.ok()) return Fail(tensor.status());
    // String inputs take the text itself: NAME=@TEXT.
    const bool is_text = !path.empty() && path[0] == '@';
    if ((*tensor)->dtype == DType::kString || is_text) {
      if ((*tensor)->dtype != DType::kString) {
        return Fail(absl::StrCat("input \"", name, "\" is ",
                                 DTypeName((*tensor)->dtype),
                                 ", not a string: give NAME=FILE.npy"));
      }
      if (!is_text) {
        return Fail(absl::StrCat(
            "input \"", name, "\" is a string: give --input ", name, "=@TEXT"));
      }
      arrays.emplace_back();  // placeholder; the text is set below
      continue;
    }
    absl::StatusOr<Array> array = ReadArray(path);
    if (!array.ok()) return Fail(array.status());
    absl::StatusOr<DType> dtype = ToDType(array->dtype);
    if (!dtype.ok() || *dtype != (*tensor)->dtype) {
      return Fail(absl::StrCat("input \"", name, "\" is ",
                               DTypeName((*tensor)->dtype), " but ", path,
                               " holds ", ArrayDTypeName(array->dtype),
                               array->dtype == ArrayDType::kFloat64
                                   ? " (save it with .astype(numpy.float32))"
                                   : ""));
    }
    if (absl::Status s = r.ResizeInput(name, array->shape); !s.ok()) {
      return Fail(absl::StrCat(path, ": ", s.message()));
    }
    arrays.push_back(*std::move(array));
  }
  if (absl::Status s = r.AllocateTensors(); !s.ok()) return Fail(s);
  WarnDelegateFallbacks(r);
  for (size_t i = 0; i < feeds.size(); ++i) {
    absl::StatusOr<Tensor*> tensor = r.input(feeds[i].first);
    if (!tensor.ok()) return Fail(tensor.status());
    if ((*tensor)->dtype == DType::kString) {
      absl::Status s =
          r.SetInputString(feeds[i].first, feeds[i].second.substr(1));
      if (!s.ok()) return Fail(s);
      continue;
    }
    if ((*tensor)->bytes != arrays[i].bytes.size()) {
      return Fail(absl::StrCat("input \"", feeds[i].first, "\" holds ",
                               (*tensor)->bytes, " bytes, ", feeds[i].second,
                               " has ", arrays[i].bytes.size()));
    }
    if (!arrays[i].bytes.empty()) {
      std::memcpy((*tensor)->data, arrays[i].bytes.data(),
                  arrays[i].bytes.size());
    }
  }
  if (absl::Status s = r.Invoke(); !s.ok()) return Fail(s);

  std::error_code ec;
  std::filesystem::create_directories(args.output_dir, ec);
  if (ec) {
    return Fail(absl::StrCat(args.output_dir,
                             ": cannot create directory: ", ec.message()));
  }
  for (const std::string& name : r.output_names()) {
    absl::StatusOr<const Tensor*> out = r.output(name);
    if (!out.ok()) return Fail(out.status());
    const Tensor& t = **out;
    absl::StatusOr<ArrayDType> dtype = FromDType(t.dtype);
    if (!dtype.ok()) {
      return Fail(
          absl::StrCat("output \"", name, "\": ", dtype.status().message()));
    }
    Array array;
    array.dtype = *dtype;
    array.shape = t.shape;
    const uint8_t* data = static_cast<const uint8_t*>(t.data);
    if (t.bytes > 0) array.bytes.assign(data, data + t.bytes);
    const std::string path =
        (std::filesystem::path(args.output_dir) / (FileNameFor(name) + ".npy"))
            .string();
    if (absl::Status s = WriteNpy(path, array); !s.ok()) return Fail(s);
    std::cout << name << ": " << DTypeName(t.dtype) << " "
              << ShapeToString(t.shape) << " -> " << path << "  " << Summary(t)
              << std::endl;
  }
  if (!args.checkpoint.empty()) {
    Properties properties;
    properties["signature"] = args.signature;
    auto saved = SaveCheckpoint(**interpreter, args.checkpoint, properties);
    if (!saved.ok()) return Fail(saved.status());
  }
  return kExitOk;
}

}  // namespace

void AddRunCommand(CLI::App& app, std::vector<Command>& commands) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand(
      "run", "Run one signature of a model on .npy inputs; write .npy outputs");
  sub->add_option("model", args->model, "Model file")->required();
  sub->add_option("-s,--signature", args->signature,
                  "Signature to run (default infer)");
  sub->add_option("-i,--input", args->inputs,
                  "NAME=FILE.npy (or FILE.npz:member), or NAME=@TEXT for a "
                  "string input, once per input")
      ->allow_extra_args(false);
  sub->add_option("-d,--output-dir", args->output_dir,
                  "Directory for OUTPUT_NAME.npy files (default .)");
  sub->add_option("--checkpoint", args->checkpoint,
                  "Checkpoint database (SQLite): restore its latest checkpoint "
                  "first if any, save one after the run");
  AddRuntimeOptions(sub, args->runtime);
  commands.push_back({sub, [args] { return RunRun(*args); }});
}

}  // namespace cli
}  // namespace attune
