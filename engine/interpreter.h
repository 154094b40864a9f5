#ifndef ATTUNE_ENGINE_INTERPRETER_H_
#define ATTUNE_ENGINE_INTERPRETER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/model.h"
#include "pthreadpool.h"
#include "signatures/signature_runner.h"
#include "variables/variable_store.h"

namespace attune {

struct InterpreterOptions {
  // Threads of the pool shared by all kernels of this interpreter. 1 runs
  // everything on the calling thread.
  int num_threads = 1;
  // Upper bound on the total bytes of the model's variables, checked before
  // any is allocated (ResourceExhausted above it).
  size_t max_variable_bytes = VariableStore::kDefaultMaxVariableBytes;
  // Delegates in priority order (e.g. CreateXnnpackDelegate()); every
  // signature's plan offers them its steps. They share the thread pool.
  std::vector<std::shared_ptr<Delegate>> delegates;
};

// Runs the signatures of one model. Owns one thread pool, the resource
// variables (shared by all signatures, initialized once at Create), and one
// SignatureRunner per signature; every signature is planned at Create (with
// dynamic dims = 1), so a model whose ops have wrong dtypes or shapes fails
// here with an error naming the node.
//
// Thread-safety: one thread at a time per interpreter. Several interpreters
// may share one Model.
class Interpreter {
 public:
  // InvalidArgument for num_threads < 1 or an invalid signature plan;
  // Unimplemented when an op has no kernel.
  static absl::StatusOr<std::unique_ptr<Interpreter>> Create(
      std::shared_ptr<const Model> model,
      const InterpreterOptions& options = {});

  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  std::vector<std::string> signature_keys() const;

  // The runner of signature `key`, owned by this interpreter. NotFound for
  // an unknown key (the message lists the known ones).
  absl::StatusOr<SignatureRunner*> GetSignatureRunner(absl::string_view key);

  // The resource variables: read and write them by name between calls.
  VariableStore& variables() { return *variables_; }
  const VariableStore& variables() const { return *variables_; }
  // Re-runs every variable's initializer.
  absl::Status ResetVariables() { return variables_->ResetAll(); }

  const Model& model() const { return *model_; }
  int num_threads() const { return options_.num_threads; }

 private:
  Interpreter(std::shared_ptr<const Model> model,
              const InterpreterOptions& options);

  std::shared_ptr<const Model> model_;
  InterpreterOptions options_;
  pthreadpool_t thread_pool_ = nullptr;
  std::unique_ptr<VariableStore> variables_;
  std::vector<std::unique_ptr<SignatureRunner>> runners_;
};

}  // namespace attune

#endif  // ATTUNE_ENGINE_INTERPRETER_H_
