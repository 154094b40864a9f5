// attune info MODEL [--json] [--threads N] [--delegate NAME]
//
// Signatures (inputs and outputs with dtypes and declared shapes),
// variables, op counts, metadata and the planned arena of each signature.
// The arena is planned with dynamic dims = 1; a signature whose plan fails
// (e.g. an op without a kernel in this build) reports why instead.

#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/model.h"
#include "nlohmann/json.hpp"
#include "pthreadpool.h"
#include "signatures/execution_plan.h"
#include "tools/cli.h"
#include "variables/variable_store.h"

namespace attune {
namespace cli {
namespace {

struct InfoArgs {
  std::string model;
  bool json = false;
  RuntimeOptions runtime;
};

const char* InitializerName(Initializer init) {
  switch (init) {
    case Initializer::kZeros:
      return "zeros";
    case Initializer::kOnes:
      return "ones";
    case Initializer::kConstantBuffer:
      return "constant";
    case Initializer::kGlorotUniform:
      return "glorot_uniform";
    case Initializer::kGlorotNormal:
      return "glorot_normal";
    case Initializer::kHeUniform:
      return "he_uniform";
    case Initializer::kHeNormal:
      return "he_normal";
  }
  return "unknown";
}

// "1,234,567".
std::string Grouped(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

struct PlanInfo {
  bool ok = false;
  size_t arena_bytes = 0;
  int steps = 0;
  int folded = 0;
  std::string error;
  DelegationReport delegation;
};

struct IoRow {
  std::string name;
  std::string dtype;
  Shape shape;
};

int RunInfo(const InfoArgs& args) {
  absl::StatusOr<std::vector<std::shared_ptr<Delegate>>> delegates =
      MakeDelegates(args.runtime);
  if (!delegates.ok()) return Fail(delegates.status());
  absl::StatusOr<std::shared_ptr<const Model>> model = Model::Load(args.model);
  if (!model.ok()) return Fail(model.status());
  const Graph& graph = (*model)->graph();

  pthreadpool_t pool = nullptr;
  if (args.runtime.threads > 1) {
    pool = pthreadpool_create(static_cast<size_t>(args.runtime.threads));
  }
  PlanOptions options;
  options.thread_pool = pool;
  options.delegates = *delegates;
  // Variable ops (read_variable, optimizer updates) prepare against the
  // model's variables.
  absl::StatusOr<std::unique_ptr<VariableStore>> variables =
      VariableStore::Create(*model);
  if (variables.ok()) options.variables = variables->get();
  std::vector<PlanInfo> plans;
  for (size_t i = 0; i < graph.signatures.size(); ++i) {
    PlanInfo info;
    absl::StatusOr<std::unique_ptr<ExecutionPlan>> plan =
        ExecutionPlan::Create(*model, static_cast<int>(i), options);
    if (plan.ok()) {
      info.ok = true;
      info.arena_bytes = (*plan)->arena_bytes();
      info.steps = (*plan)->num_steps();
      info.folded = (*plan)->num_folded();
      info.delegation = (*plan)->delegation_report();
    } else {
      info.error = std::string(plan.status().message());
    }
    plans.push_back(std::move(info));
  }
  if (pool != nullptr) pthreadpool_destroy(pool);

  std::map<std::string, int> op_counts;
  size_t num_nodes = 0;
  for (const Subgraph& sg : graph.subgraphs) {
    for (const Node& node : sg.nodes) {
      ++op_counts[std::string(OpName(node.op))];
      ++num_nodes;
    }
  }
  int64_t parameters = 0;
  for (const VariableInfo& v : graph.variables) {
    if (IsFullyDefined(v.shape)) parameters += NumElements(v.shape);
  }
  auto op_of = [&](const Signature& sig, int node) {
    return std::string(OpName(graph.subgraphs[sig.subgraph].nodes[node].op));
  };
  auto io_rows = [&](const Signature& sig, bool inputs) {
    std::vector<IoRow> rows;
    const Subgraph& sg = graph.subgraphs[sig.subgraph];
    for (const SignatureIo& io : inputs ? sig.inputs : sig.outputs) {
      const TensorInfo& t = sg.tensors[io.tensor];
      rows.push_back({io.name, std::string(DTypeName(t.dtype)), t.shape});
    }
    return rows;
  };

  if (args.json) {
    using Json = nlohmann::ordered_json;
    Json out;
    out["model"] = args.model;
    out["description"] = graph.description;
    out["threads"] = args.runtime.threads;
    if (!delegates->empty()) {
      Json list = Json::array();
      for (const auto& d : *delegates) {
        list.push_back({{"name", std::string(d->name())},
                        {"description", DelegateDescription(*d)}});
      }
      out["delegates"] = std::move(list);
    }
    Json sigs = Json::array();
    for (size_t i = 0; i < graph.signatures.size(); ++i) {
      const Signature& sig = graph.signatures[i];
      Json s;
      s["key"] = sig.key;
      for (bool inputs : {true, false}) {
        Json list = Json::array();
        for (const IoRow& row : io_rows(sig, inputs)) {
          list.push_back({{"name", row.name},
                          {"dtype", row.dtype},
                          {"shape", std::vector<int64_t>(row.shape.begin(),
                                                         row.shape.end())}});
        }
        s[inputs ? "inputs" : "outputs"] = std::move(list);
      }
      s["nodes"] = graph.subgraphs[sig.subgraph].nodes.size();
      if (plans[i].ok) {
        s["arena_bytes"] = plans[i].arena_bytes;
        s["steps"] = plans[i].steps;
        s["folded"] = plans[i].folded;
        if (!args.runtime.delegates.empty()) {
          const DelegationReport& d = plans[i].delegation;
          Json parts = Json::array();
          for (const auto& p : d.partitions) {
            Json ops = Json::array();
            for (int n : p.nodes) ops.push_back(op_of(sig, n));
            parts.push_back(
                {{"delegate", p.delegate}, {"nodes", p.nodes}, {"ops", ops}});
          }
          Json refused = Json::array();
          for (const auto& r : d.refused) {
            refused.push_back({{"node", r.node},
                               {"op", op_of(sig, r.node)},
                               {"delegate", r.delegate},
                               {"reason", r.reason}});
          }
          s["delegation"] = {{"partitions", parts},
                             {"refused", refused},
                             {"fallbacks", d.fallbacks}};
        }
      } else {
        s["arena_bytes"] = nullptr;
        s["plan_error"] = plans[i].error;
      }
      sigs.push_back(std::move(s));
    }
    out["signatures"] = std::move(sigs);
    Json vars = Json::array();
    for (const VariableInfo& v : graph.variables) {
      vars.push_back(
          {{"name", v.name},
           {"dtype", std::string(DTypeName(v.dtype))},
           {"shape", std::vector<int64_t>(v.shape.begin(), v.shape.end())},
           {"trainable", v.trainable},
           {"initializer", InitializerName(v.initializer)},
           {"seed", v.seed}});
    }
    out["variables"] = std::move(vars);
    out["parameters"] = parameters;
    out["nodes"] = num_nodes;
    out["ops"] = op_counts;
    Json meta = Json::object();
    for (const auto& [key, value] : graph.metadata) meta[key] = value;
    out["metadata"] = std::move(meta);
    // Metadata may hold arbitrary bytes; never throw on invalid UTF-8.
    std::cout << out.dump(2, ' ', false, Json::error_handler_t::replace)
              << std::endl;
    return kExitOk;
  }

  std::string text;
  absl::StrAppend(&text, "model        ", args.model, "\n");
  absl::StrAppend(&text, "description  ",
                  graph.description.empty() ? "-" : graph.description, "\n");
  for (const auto& d : *delegates) {
    absl::StrAppend(&text, "delegate     ", DelegateDescription(*d), "\n");
  }
  for (size_t i = 0; i < graph.signatures.size(); ++i) {
    const Signature& sig = graph.signatures[i];
    absl::StrAppend(&text, "\nsignature \"", sig.key, "\" (",
                    graph.subgraphs[sig.subgraph].nodes.size(), " nodes");
    if (plans[i].ok) {
      absl::StrAppend(&text, ", arena ", Grouped(plans[i].arena_bytes),
                      " bytes with dynamic dims = 1, ", args.runtime.threads,
                      args.runtime.threads == 1 ? " thread" : " threads",
                      ")\n");
    } else {
      absl::StrAppend(&text, ", arena unavailable: ", plans[i].error, ")\n");
    }
    std::vector<std::vector<std::string>> rows;
    for (bool inputs : {true, false}) {
      for (const IoRow& row : io_rows(sig, inputs)) {
        rows.push_back({inputs ? "input" : "output", row.name, row.dtype,
                        ShapeToString(row.shape)});
      }
    }
    text += FormatTable(rows);
    if (plans[i].ok && !args.runtime.delegates.empty()) {
      const DelegationReport& d = plans[i].delegation;
      rows.clear();
      for (size_t p = 0; p < d.partitions.size(); ++p) {
        std::vector<std::string> ops;
        for (int n : d.partitions[p].nodes) ops.push_back(op_of(sig, n));
        rows.push_back(
            {absl::StrCat("partition ", p + 1), d.partitions[p].delegate,
             absl::StrCat(ops.size(), " nodes"), absl::StrJoin(ops, " ")});
      }
      for (const auto& r : d.refused) {
        rows.push_back({absl::StrCat("node #", r.node), op_of(sig, r.node),
                        absl::StrCat("refused by ", r.delegate), r.reason});
      }
      for (const std::string& f : d.fallbacks) {
        rows.push_back({"fallback", f, "", ""});
      }
      absl::StrAppend(&text, "  delegation (", d.partitions.size(),
                      " partitions)\n");
      text += FormatTable(rows, "    ");
    }
  }
  absl::StrAppend(&text, "\nvariables (", graph.variables.size(), ", ",
                  Grouped(parameters), " parameters)\n");
  std::vector<std::vector<std::string>> rows;
  for (const VariableInfo& v : graph.variables) {
    rows.push_back(
        {v.name, std::string(DTypeName(v.dtype)), ShapeToString(v.shape),
         v.trainable ? "trainable" : "frozen", InitializerName(v.initializer)});
  }
  text += FormatTable(rows);
  absl::StrAppend(&text, "\nops (", num_nodes, " nodes)\n");
  rows.clear();
  for (const auto& [op, count] : op_counts) {
    rows.push_back({op, std::to_string(count)});
  }
  text += FormatTable(rows);
  if (!graph.metadata.empty()) {
    text += "\nmetadata\n";
    rows.clear();
    for (const auto& [key, value] : graph.metadata) {
      rows.push_back({key, absl::StrCat(Grouped(value.size()), " bytes")});
    }
    text += FormatTable(rows);
  }
  std::cout << text;
  return kExitOk;
}

}  // namespace

void AddInfoCommand(CLI::App& app, std::vector<Command>& commands) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* sub = app.add_subcommand(
      "info", "Show a model's signatures, variables, ops and memory plan");
  sub->add_option("model", args->model, "Model file")->required();
  sub->add_flag("--json", args->json, "Print JSON instead of text");
  AddRuntimeOptions(sub, args->runtime);
  commands.push_back({sub, [args] { return RunInfo(*args); }});
}

}  // namespace cli
}  // namespace attune
