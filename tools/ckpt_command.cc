// attune ckpt ls|show|diff|export|import|verify|prune|tag|history ...
//
// Inspects and maintains a checkpoint database (checkpoint/FORMAT.md):
//   ls DB                         checkpoints: id, time, step, tag, size,
//                                 properties
//   show DB [ID|TAG]              each tensor: dtype, shape, bytes, min, max,
//                                 mean, std, L2, NaN/Inf counts, checksum
//   diff DB A B [--db-b DB2]      per tensor: L2 of B - A, relative change;
//                                 added, removed, reshaped tensors
//   export DB [ID] --format npz|npy-dir|csv -o PATH
//   import DB FILE.npz [--model MODEL]
//   verify DB                     every checkpoint and tensor
//   prune DB --keep N             untagged checkpoints but the last N
//   tag DB ID|TAG [NEW_TAG | --clear]
//   history DB --property NAME [--plot FILE.svg|.png]
// Text tables by default, --json for scripts. Exit codes: 0 ok, 1 runtime
// failure (including "not found"), 2 usage error, 3 corrupt data (DataLoss),
// each failure with a one-line reason on stderr. This file registers every
// subcommand and runs ls, show, verify, prune and tag; diff, export, import
// and history are in ckpt_data_command.cc, shared pieces in ckpt_util.h.
// The library part is checkpoint/inspect.h and checkpoint/history_chart.h.

#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "checkpoint/inspect.h"
#include "checkpoint/store.h"
#include "tools/ckpt_util.h"
#include "tools/cli.h"

namespace attune {
namespace cli {

int RunLs(const CkptArgs& args) {
  auto store = OpenExisting(args.db, /*read_only=*/true);
  if (!store.ok()) return FailWith(store.status());
  auto infos = (*store)->List();
  if (!infos.ok()) return FailWith(infos.status());
  if (args.json) {
    Json out = Json::array();
    for (const CheckpointInfo& info : *infos) out.push_back(InfoJson(info));
    PrintJson(out);
    return kExitOk;
  }
  if (infos->empty()) {
    std::cout << args.db << ": no checkpoints" << std::endl;
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {
      {"id", "time (UTC)", "step", "tag", "tensors", "size", "properties"}};
  for (const CheckpointInfo& info : *infos) {
    rows.push_back({absl::StrCat(info.id), FormatTime(info.created_unix_us),
                    absl::StrCat(info.step), info.tag.empty() ? "-" : info.tag,
                    absl::StrCat(info.num_tensors),
                    info.nominal ? "nominal" : HumanBytes(info.total_bytes),
                    PropertiesText(info.properties)});
  }
  std::cout << FormatTable(rows, "");
  return kExitOk;
}

int RunShow(const CkptArgs& args) {
  auto store = OpenExisting(args.db, /*read_only=*/true);
  if (!store.ok()) return FailWith(store.status());
  // The checkpoint found is the one summarized, even if a writer prunes it.
  auto snapshot = (*store)->BeginRead();
  if (!snapshot.ok()) return FailWith(snapshot.status());
  auto info = (*store)->Find(args.selector);
  if (!info.ok()) return FailWith(info.status());
  auto tensors = SummarizeCheckpoint(**store, info->id);
  if (!tensors.ok()) return FailWith(tensors.status());
  absl::Status first_problem;
  int damaged = 0;
  for (const TensorSummary& t : *tensors) {
    if (!t.status.ok() && ++damaged == 1) first_problem = t.status;
  }
  auto checksum_text = [](const TensorSummary& t) -> std::string {
    if (!t.record.has_data) return "nominal";
    return t.status.ok() ? "ok" : "DAMAGED";
  };
  if (args.json) {
    Json out = InfoJson(*info);
    Json list = Json::array();
    for (const TensorSummary& t : *tensors) {
      Json j{{"name", t.record.name},
             {"dtype", DTypeName(t.record.dtype)},
             {"shape", ShapeJson(t.record.shape)},
             {"bytes", t.record.byte_size},
             {"checksum", checksum_text(t)}};
      if (!t.status.ok()) j["problem"] = std::string(t.status.message());
      if (t.stats) {
        j["elements"] = t.stats->count;
        j["min"] = JsonNumber(t.stats->min);
        j["max"] = JsonNumber(t.stats->max);
        j["mean"] = JsonNumber(t.stats->mean);
        j["std"] = JsonNumber(t.stats->std);
        j["l2"] = JsonNumber(t.stats->l2);
        j["nan"] = t.stats->nan_count;
        j["inf"] = t.stats->inf_count;
      }
      list.push_back(std::move(j));
    }
    out["tensors"] = std::move(list);
    PrintJson(out);
  } else {
    std::cout << "checkpoint " << info->id << "  step " << info->step
              << (info->tag.empty() ? "" : "  tag " + info->tag) << "  "
              << FormatTime(info->created_unix_us) << " UTC  "
              << (info->nominal ? "nominal" : HumanBytes(info->total_bytes))
              << "\n";
    std::cout << "fingerprint "
              << (info->fingerprint.empty() ? "-" : info->fingerprint) << "\n";
    if (!info->properties.empty()) {
      std::cout << "properties  " << PropertiesText(info->properties) << "\n";
    }
    std::vector<std::vector<std::string>> rows = {
        {"name", "dtype", "shape", "bytes", "min", "max", "mean", "std", "l2",
         "nan", "inf", "checksum"}};
    for (const TensorSummary& t : *tensors) {
      std::vector<std::string> row = {
          t.record.name, std::string(DTypeName(t.record.dtype)),
          ShapeToString(t.record.shape), absl::StrCat(t.record.byte_size)};
      if (t.stats) {
        for (double v : {t.stats->min, t.stats->max, t.stats->mean,
                         t.stats->std, t.stats->l2}) {
          row.push_back(Num(v));
        }
        row.push_back(absl::StrCat(t.stats->nan_count));
        row.push_back(absl::StrCat(t.stats->inf_count));
      } else {
        row.insert(row.end(), 7, "-");
      }
      row.push_back(checksum_text(t));
      rows.push_back(std::move(row));
    }
    std::cout << FormatTable(rows, "") << std::flush;
  }
  if (damaged > 0) {
    Fail(absl::StrCat(damaged,
                      " damaged tensor(s); first: ", first_problem.message()));
    return kExitCorrupt;
  }
  return kExitOk;
}

int RunVerify(const CkptArgs& args) {
  auto store = OpenExisting(args.db, /*read_only=*/true);
  if (!store.ok()) return FailWith(store.status());
  auto detailed = VerifyDetailed(**store);
  if (!detailed.ok()) return FailWith(detailed.status());
  const VerifyReport& report = detailed->report;
  if (args.json) {
    Json tensors = Json::array();
    for (const auto& t : detailed->damaged_tensors) {
      tensors.push_back(Json{{"checkpoint", t.checkpoint_id},
                             {"tensor", t.name},
                             {"problem", t.problem}});
    }
    PrintJson(Json{{"ok", report.problems.empty()},
                   {"intact", report.intact},
                   {"damaged", report.damaged},
                   {"damaged_tensors", tensors},
                   {"problems", report.problems}});
  } else {
    for (int64_t id : report.intact) {
      std::cout << "checkpoint " << id << ": ok"
                << "\n";
    }
    for (int64_t id : report.damaged) {
      std::cout << "checkpoint " << id << ": DAMAGED"
                << "\n";
      for (const auto& t : detailed->damaged_tensors) {
        if (t.checkpoint_id != id) continue;
        std::cout << "  tensor \"" << t.name << "\": " << t.problem << "\n";
      }
    }
    for (const std::string& p : report.problems) {
      if (absl::StrContains(p, "integrity_check")) std::cout << p << "\n";
    }
    std::cout << report.intact.size() << " intact, " << report.damaged.size()
              << " damaged" << std::endl;
  }
  if (!report.problems.empty()) return FailWith(report.status());
  return kExitOk;
}

int RunPrune(const CkptArgs& args) {
  auto store = OpenExisting(args.db, /*read_only=*/false);
  if (!store.ok()) return FailWith(store.status());
  auto deleted = (*store)->Prune(args.keep);
  if (!deleted.ok()) return FailWith(deleted.status());
  if (args.json) {
    PrintJson(Json{{"deleted", *deleted}});
  } else {
    std::cout << "deleted " << deleted->size() << " checkpoint(s)"
              << (deleted->empty() ? "" : ": " + absl::StrJoin(*deleted, ", "))
              << std::endl;
  }
  return kExitOk;
}

int RunTag(const CkptArgs& args) {
  if (args.clear == !args.tag.empty()) {
    return UsageError("tag needs either NEW_TAG or --clear");
  }
  auto store = OpenExisting(args.db, /*read_only=*/false);
  if (!store.ok()) return FailWith(store.status());
  auto info = (*store)->Find(args.selector);
  if (!info.ok()) return FailWith(info.status());
  if (absl::Status s = (*store)->SetTag(info->id, args.tag); !s.ok()) {
    return FailWith(s);
  }
  if (args.json) {
    PrintJson(Json{{"id", info->id}, {"tag", args.tag}});
  } else if (args.clear) {
    std::cout << "cleared the tag of checkpoint " << info->id << std::endl;
  } else {
    std::cout << "tagged checkpoint " << info->id << " \"" << args.tag << "\""
              << std::endl;
  }
  return kExitOk;
}

void AddCkptCommand(CLI::App& app, std::vector<Command>& commands) {
  auto args = std::make_shared<CkptArgs>();
  CLI::App* ckpt = app.add_subcommand(
      "ckpt", "Inspect and maintain a checkpoint database (SQLite)");
  ckpt->require_subcommand(1);
  ckpt->footer(
      "Exit codes: 0 success; 1 runtime failure, including a database, "
      "checkpoint or file that is not found; 2 usage error; 3 corrupt data "
      "(a damaged database, tensor or checksum mismatch). Failures print one "
      "line on stderr.");
  auto db = [&](CLI::App* sub) {
    sub->add_option("db", args->db, "Checkpoint database")->required();
  };
  auto json = [&](CLI::App* sub) {
    sub->add_flag("--json", args->json, "Print JSON instead of text");
  };
  std::vector<std::pair<CLI::App*, std::function<int()>>> subs;

  CLI::App* ls = ckpt->add_subcommand(
      "ls", "List checkpoints: id, time, step, tag, size, properties");
  db(ls);
  json(ls);
  subs.push_back({ls, [args] { return RunLs(*args); }});

  CLI::App* show = ckpt->add_subcommand(
      "show",
      "Each tensor of a checkpoint: dtype, shape, bytes, statistics, "
      "checksum status (exit 3 when a tensor is damaged)");
  db(show);
  show->add_option("checkpoint", args->selector,
                   "ID, TAG or latest (default latest)");
  json(show);
  subs.push_back({show, [args] { return RunShow(*args); }});

  CLI::App* diff = ckpt->add_subcommand(
      "diff",
      "Compare checkpoints A and B tensor by tensor (exit 0 whether "
      "or not they differ)");
  db(diff);
  diff->add_option("a", args->selector, "Checkpoint A: ID, TAG or latest")
      ->required();
  diff->add_option("b", args->selector_b, "Checkpoint B: ID, TAG or latest")
      ->required();
  diff->add_option("--db-b", args->db_b,
                   "Read checkpoint B from this database instead of DB");
  json(diff);
  subs.push_back({diff, [args] { return RunDiff(*args); }});

  CLI::App* exp = ckpt->add_subcommand(
      "export",
      "Write a checkpoint's tensors as .npz (one member per "
      "variable, named by the variable), an .npy directory "
      "(DIR/<name, / as __>.npy) or CSV (variable,index,value)");
  db(exp);
  exp->add_option("checkpoint", args->selector,
                  "ID, TAG or latest (default latest)");
  exp->add_option("--format", args->format, "npz, npy-dir or csv")->required();
  exp->add_option("-o,--output", args->output,
                  "Output file (directory for "
                  "npy-dir)")
      ->required();
  json(exp);
  subs.push_back({exp, [args] { return RunExport(*args); }});

  CLI::App* imp = ckpt->add_subcommand(
      "import",
      "Write the arrays of an .npz (e.g. saved by numpy) as a new "
      "checkpoint; float64 arrays are stored as float32");
  db(imp);
  imp->add_option("file", args->file, "The .npz file")->required();
  imp->add_option("--model", args->model,
                  "Check the arrays against this model's variables and "
                  "record its fingerprint, so `attune run/fit --checkpoint` "
                  "restore it");
  imp->add_option("--tag", args->tag, "Tag of the new checkpoint");
  imp->add_option("--step", args->step,
                  "Step of the new checkpoint (default 0)");
  json(imp);
  subs.push_back({imp, [args] { return RunImport(*args); }});

  CLI::App* verify = ckpt->add_subcommand(
      "verify",
      "Check the database and every tensor's checksum; name each "
      "damaged checkpoint and tensor (exit 3 on damage)");
  db(verify);
  json(verify);
  subs.push_back({verify, [args] { return RunVerify(*args); }});

  CLI::App* prune = ckpt->add_subcommand(
      "prune", "Delete every untagged checkpoint except the last N");
  db(prune);
  prune->add_option("--keep", args->keep, "Untagged checkpoints to keep")
      ->required()
      ->check(CLI::PositiveNumber);
  json(prune);
  subs.push_back({prune, [args] { return RunPrune(*args); }});

  CLI::App* tag = ckpt->add_subcommand(
      "tag", "Set (moving it from another checkpoint) or clear a tag");
  db(tag);
  tag->add_option("checkpoint", args->selector, "ID, TAG or latest")
      ->required();
  tag->add_option("tag", args->tag, "New tag (not all digits, not latest)");
  tag->add_flag("--clear", args->clear, "Remove the checkpoint's tag");
  json(tag);
  subs.push_back({tag, [args] { return RunTag(*args); }});

  CLI::App* history = ckpt->add_subcommand(
      "history",
      "A numeric property across checkpoints as a text chart "
      "(and --plot FILE.svg|.png)");
  db(history);
  history
      ->add_option("--property", args->property,
                   "Property name (e.g. loss, accuracy; step and id "
                   "always exist)")
      ->required();
  history->add_option("--x", args->x_axis, "x axis: id (default) or step");
  history->add_option("--plot", args->plot,
                      "Also write a chart: FILE.svg or "
                      "FILE.png");
  history->add_option("--width", args->width, "Text chart columns (default 60)")
      ->check(CLI::Range(2, 1000));
  history->add_option("--height", args->height, "Text chart rows (default 12)")
      ->check(CLI::Range(2, 200));
  json(history);
  subs.push_back({history, [args] { return RunHistory(*args); }});

  commands.push_back({ckpt, [subs] {
                        for (const auto& [sub, run] : subs) {
                          if (sub->parsed()) return run();
                        }
                        return UsageError("ckpt needs a subcommand");
                      }});
}

}  // namespace cli
}  // namespace attune
