#include "engine/interpreter.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/status_macros.h"

namespace attune {

Interpreter::Interpreter(std::shared_ptr<const Model> model,
                         const InterpreterOptions& options)
    : model_(std::move(model)), options_(options) {}

Interpreter::~Interpreter() {
  runners_.clear();
  if (thread_pool_ != nullptr) pthreadpool_destroy(thread_pool_);
}

absl::StatusOr<std::unique_ptr<Interpreter>> Interpreter::Create(
    std::shared_ptr<const Model> model, const InterpreterOptions& options) {
  if (model == nullptr) {
    return absl::InvalidArgumentError("Interpreter::Create: model is null");
  }
  if (options.num_threads < 1 || options.num_threads > 256) {
    return absl::InvalidArgumentError(absl::StrCat(
        "num_threads must be in [1, 256], got ", options.num_threads));
  }
  std::unique_ptr<Interpreter> interpreter(
      new Interpreter(std::move(model), options));
  if (options.num_threads > 1) {
    interpreter->thread_pool_ = pthreadpool_create(options.num_threads);
    if (interpreter->thread_pool_ == nullptr) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "cannot create a pool of ", options.num_threads, " threads"));
    }
  }
  ATTUNE_ASSIGN_OR_RETURN(interpreter->variables_,
                          VariableStore::Create(interpreter->model_,
                                                options.max_variable_bytes));
  PlanOptions plan_options;
  plan_options.thread_pool = interpreter->thread_pool_;
  plan_options.variables = interpreter->variables_.get();
  plan_options.delegates = options.delegates;
  const auto& signatures = interpreter->model_->graph().signatures;
  for (int s = 0; s < static_cast<int>(signatures.size()); ++s) {
    ATTUNE_ASSIGN_OR_RETURN(
        std::unique_ptr<ExecutionPlan> plan,
        ExecutionPlan::Create(interpreter->model_, s, plan_options));
    interpreter->runners_.push_back(
        std::make_unique<SignatureRunner>(std::move(plan)));
  }
  return interpreter;
}

std::vector<std::string> Interpreter::signature_keys() const {
  std::vector<std::string> keys;
  for (const auto& runner : runners_) keys.push_back(runner->key());
  return keys;
}

absl::StatusOr<SignatureRunner*> Interpreter::GetSignatureRunner(
    absl::string_view key) {
  for (const auto& runner : runners_) {
    if (runner->key() == key) return runner.get();
  }
  return absl::NotFoundError(absl::StrCat(
      "model has no signature \"", key, "\" (signatures: ",
      absl::StrJoin(signature_keys(), ", "), ")"));
}

}  // namespace attune
