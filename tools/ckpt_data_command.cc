// attune ckpt diff|export|import|history: the subcommands that compare
// checkpoints, move tensors to and from NumPy files, and chart a property
// (registered in tools/ckpt_command.cc).

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "checkpoint/history_chart.h"
#include "checkpoint/inspect.h"
#include "checkpoint/store.h"
#include "data/npy.h"
#include "data/npz.h"
#include "engine/model.h"
#include "tools/ckpt_util.h"
#include "tools/cli.h"

namespace attune {
namespace cli {

int RunDiff(const CkptArgs& args) {
  auto store_a = OpenExisting(args.db, /*read_only=*/true);
  if (!store_a.ok()) return FailWith(store_a.status());
  std::unique_ptr<CheckpointStore> other;
  if (!args.db_b.empty()) {
    auto opened = OpenExisting(args.db_b, /*read_only=*/true);
    if (!opened.ok()) return FailWith(opened.status());
    other = *std::move(opened);
  }
  CheckpointStore& store_b = other ? *other : **store_a;
  // What is found is what is compared, even if a writer prunes meanwhile.
  auto snapshot_a = (*store_a)->BeginRead();
  if (!snapshot_a.ok()) return FailWith(snapshot_a.status());
  auto snapshot_b = store_b.BeginRead();  // joins snapshot_a for one file
  if (!snapshot_b.ok()) return FailWith(snapshot_b.status());
  auto a = (*store_a)->Find(args.selector);
  if (!a.ok()) return FailWith(a.status());
  auto b = store_b.Find(args.selector_b);
  if (!b.ok()) return FailWith(b.status());
  auto diffs = DiffCheckpoints(**store_a, a->id, store_b, b->id);
  if (!diffs.ok()) return FailWith(diffs.status());
  std::map<std::string, int> counts;
  for (const TensorDiff& d : *diffs)
    ++counts[std::string(TensorDiffKindName(d.kind))];
  auto describe = [](const std::optional<TensorRecord>& r) -> std::string {
    return r ? absl::StrCat(DTypeName(r->dtype), ShapeToString(r->shape)) : "-";
  };
  if (args.json) {
    Json list = Json::array();
    for (const TensorDiff& d : *diffs) {
      Json j{{"name", d.name}, {"status", TensorDiffKindName(d.kind)}};
      if (d.a) {
        j["a"] = Json{{"dtype", DTypeName(d.a->dtype)},
                      {"shape", ShapeJson(d.a->shape)}};
      }
      if (d.b) {
        j["b"] = Json{{"dtype", DTypeName(d.b->dtype)},
                      {"shape", ShapeJson(d.b->shape)}};
      }
      if (d.kind == TensorDiff::Kind::kSame ||
          d.kind == TensorDiff::Kind::kChanged) {
        j["l2_diff"] = JsonNumber(d.l2_diff);
        j["l2_a"] = JsonNumber(d.l2_a);
        j["relative"] = JsonNumber(d.relative);
        j["elements_changed"] = d.elements_changed;
      }
      list.push_back(std::move(j));
    }
    Json summary = Json::object();
    for (const auto& [kind, n] : counts) summary[kind] = n;
    PrintJson(Json{{"a", InfoJson(*a)},
                   {"b", InfoJson(*b)},
                   {"summary", summary},
                   {"tensors", list}});
    return kExitOk;
  }
  std::cout << "A: checkpoint " << a->id << " (step " << a->step << ") of "
            << args.db << "\nB: checkpoint " << b->id << " (step " << b->step
            << ") of " << (args.db_b.empty() ? args.db : args.db_b) << "\n";
  std::vector<std::vector<std::string>> rows = {
      {"name", "status", "A", "B", "l2(B-A)", "relative", "changed"}};
  for (const TensorDiff& d : *diffs) {
    const bool compared = d.kind == TensorDiff::Kind::kSame ||
                          d.kind == TensorDiff::Kind::kChanged;
    rows.push_back({d.name, std::string(TensorDiffKindName(d.kind)),
                    describe(d.a), describe(d.b),
                    compared ? Num(d.l2_diff) : "-",
                    compared ? Num(d.relative) : "-",
                    compared ? absl::StrCat(d.elements_changed) : "-"});
  }
  std::cout << FormatTable(rows, "");
  std::vector<std::string> parts;
  for (const auto& [kind, n] : counts)
    parts.push_back(absl::StrCat(n, " ", kind));
  std::cout << absl::StrJoin(parts, ", ") << std::endl;
  return kExitOk;
}

int RunExport(const CkptArgs& args) {
  if (args.format != "npz" && args.format != "npy-dir" &&
      args.format != "csv") {
    return UsageError(absl::StrCat(
        "--format must be npz, npy-dir or csv, got \"", args.format, "\""));
  }
  auto store = OpenExisting(args.db, /*read_only=*/true);
  if (!store.ok()) return FailWith(store.status());
  auto snapshot = (*store)->BeginRead();  // Find and export see one state
  if (!snapshot.ok()) return FailWith(snapshot.status());
  auto info = (*store)->Find(args.selector);
  if (!info.ok()) return FailWith(info.status());
  auto arrays = CheckpointArrays(**store, info->id);
  if (!arrays.ok()) return FailWith(arrays.status());
  absl::Status written;
  if (args.format == "npz") {
    written = WriteNpz(args.output, *arrays);
  } else if (args.format == "npy-dir") {
    written = WriteNpyDir(args.output, *arrays);
  } else {
    written = WriteArraysCsv(args.output, *arrays);
  }
  if (!written.ok()) return FailWith(written);
  if (args.json) {
    Json names = Json::array();
    for (const auto& [name, array] : *arrays) names.push_back(name);
    PrintJson(Json{{"checkpoint", info->id},
                   {"format", args.format},
                   {"output", args.output},
                   {"variables", names}});
  } else {
    std::cout << "exported checkpoint " << info->id << " (" << arrays->size()
              << " variables) to " << args.output << std::endl;
  }
  return kExitOk;
}

int RunImport(const CkptArgs& args) {
  auto arrays = ReadNpz(args.file);
  if (!arrays.ok()) return FailWith(arrays.status());
  ImportOptions options;
  options.step = args.step;
  options.tag = args.tag;
  options.properties["source"] = args.file;
  if (!args.model.empty()) {
    auto model = Model::Load(args.model);
    if (!model.ok()) return FailWith(model.status());
    options.model_variables = (*model)->graph().variables;
  }
  StoreOptions store_options;
  auto store = CheckpointStore::Open(args.db, store_options);
  if (!store.ok()) return FailWith(store.status());
  auto id = ImportArrays(**store, *arrays, options);
  if (!id.ok()) {
    return FailWith(
        absl::Status(id.status().code(),
                     absl::StrCat(args.file, ": ", id.status().message())));
  }
  if (args.json) {
    PrintJson(Json{{"id", *id}, {"arrays", arrays->size()}});
  } else {
    std::cout << "imported " << arrays->size() << " arrays from " << args.file
              << " as checkpoint " << *id << " of " << args.db << std::endl;
  }
  return kExitOk;
}

int RunHistory(const CkptArgs& args) {
  if (args.x_axis != "id" && args.x_axis != "step") {
    return UsageError(
        absl::StrCat("--x must be id or step, got \"", args.x_axis, "\""));
  }
  const std::string ext = absl::AsciiStrToLower(
      std::filesystem::path(args.plot).extension().string());
  if (!args.plot.empty() && ext != ".svg" && ext != ".png") {
    return UsageError(absl::StrCat("--plot needs a .svg or .png file, got \"",
                                   args.plot, "\""));
  }
  auto store = OpenExisting(args.db, /*read_only=*/true);
  if (!store.ok()) return FailWith(store.status());
  auto history = PropertyHistory(**store, args.property);
  if (!history.ok()) return FailWith(history.status());
  if (history->empty()) {
    return Fail(absl::StrCat(args.db,
                             ": no checkpoint has a numeric property \"",
                             args.property, "\""));
  }
  std::vector<ChartPoint> points;
  for (const HistoryPoint& p : *history) {
    points.push_back(
        {static_cast<double>(args.x_axis == "id" ? p.checkpoint_id : p.step),
         p.value});
  }
  const ChartLabels labels{args.property,
                           args.x_axis == "id" ? "checkpoint id" : "step"};
  if (!args.plot.empty()) {
    auto image = ext == ".svg" ? SvgChart(points, labels) : PngChart(points);
    if (!image.ok()) return FailWith(image.status());
    if (absl::Status s = WriteFileBytes(args.plot, *image); !s.ok())
      return FailWith(s);
  }
  if (args.json) {
    Json list = Json::array();
    for (const HistoryPoint& p : *history) {
      list.push_back(Json{{"id", p.checkpoint_id},
                          {"step", p.step},
                          {"value", JsonNumber(p.value)}});
    }
    PrintJson(Json{{"property", args.property}, {"points", list}});
    return kExitOk;
  }
  auto chart = TextChart(points, labels, args.width, args.height);
  if (!chart.ok()) return FailWith(chart.status());
  std::cout << *chart;
  if (!args.plot.empty()) std::cout << "plot: " << args.plot << "\n";
  std::cout << std::flush;
  return kExitOk;
}

}  // namespace cli
}  // namespace attune
