#include "builder/spec.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "builder/training.h"
#include "engine/kernels/registry.h"
#include "engine/model.h"
#include "engine/status_macros.h"
#include "engine/validator.h"
#include "nlohmann/json.hpp"
#include "signatures/execution_plan.h"
#include "variables/variable_store.h"

namespace attune {
namespace {

using Json = nlohmann::json;

// Total parameters a spec may declare (1 GiB of float32).
constexpr int64_t kMaxParameters = int64_t{1} << 28;

// ---- JSON parsing without exceptions ---------------------------------------

// Builds the DOM like nlohmann's own parser but records the parse error
// message (with line and column) instead of throwing.
class DomParser : public nlohmann::detail::json_sax_dom_parser<Json> {
 public:
  explicit DomParser(Json& root)
      : nlohmann::detail::json_sax_dom_parser<Json>(root, false) {}
  template <class Exception>
  bool parse_error(std::size_t, const std::string&, const Exception& ex) {
    error = ex.what();
    return false;
  }
  std::string error;
};

std::optional<int64_t> AsInt(const Json& j) {
  if (j.is_number_unsigned()) {
    const uint64_t v = j.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<int64_t>(v);
  }
  if (j.is_number_integer()) return j.get<int64_t>();
  return std::nullopt;
}

// Field access for one JSON object with errors that name it ("layer #2
// (\"dense_1\", dense)" or "inputs[0]").
class Fields {
 public:
  Fields(const Json& j, std::string who) : j_(j), who_(std::move(who)) {}

  absl::Status Error(absl::string_view field, absl::string_view why) const {
    return absl::InvalidArgumentError(
        absl::StrCat(who_, ": field \"", field, "\": ", why));
  }
  absl::Status Error(absl::string_view why) const {
    return absl::InvalidArgumentError(absl::StrCat(who_, ": ", why));
  }
  const std::string& who() const { return who_; }

  const Json* Find(absl::string_view field) const {
    auto it = j_.find(std::string(field));
    return it == j_.end() ? nullptr : &*it;
  }

  // InvalidArgument naming the first field not in `allowed`.
  absl::Status CheckKnown(const std::vector<absl::string_view>& allowed) const {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      bool known = false;
      for (absl::string_view a : allowed) known = known || it.key() == a;
      if (!known) {
        return Error(it.key(), absl::StrCat("unknown field (allowed: ",
                                            absl::StrJoin(allowed, ", "), ")"));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> Int(absl::string_view field,
                              std::optional<int64_t> dflt, int64_t min,
                              int64_t max = int64_t{1} << 31) const {
    const Json* v = Find(field);
    if (v == nullptr) {
      if (dflt.has_value()) return *dflt;
      return Error(field, "is required");
    }
    std::optional<int64_t> i = AsInt(*v);
    if (!i.has_value()) {
      return Error(field, absl::StrCat("must be an integer, got ", v->dump()));
    }
    if (*i < min || *i > max) {
      return Error(field,
                   absl::StrCat("must be in [", min, ", ", max, "], got ", *i));
    }
    return *i;
  }

  // An int n (meaning [n, n]) or a list of two ints, each >= min.
  absl::StatusOr<std::vector<int64_t>> Pair(
      absl::string_view field, std::optional<std::vector<int64_t>> dflt,
      int64_t min) const {
    const Json* v = Find(field);
    if (v == nullptr) {
      if (dflt.has_value()) return *dflt;
      return Error(field, "is required");
    }
    std::vector<int64_t> out;
    if (std::optional<int64_t> i = AsInt(*v)) {
      out = {*i, *i};
    } else if (v->is_array() && v->size() == 2) {
      for (const Json& e : *v) {
        std::optional<int64_t> x = AsInt(e);
        if (!x.has_value()) {
          return Error(field,
                       absl::StrCat("must hold integers, got ", v->dump()));
        }
        out.push_back(*x);
      }
    } else {
      return Error(
          field,
          absl::StrCat("must be an integer or a list of two, got ", v->dump()));
    }
    for (int64_t x : out) {
      if (x < min || x > (int64_t{1} << 20)) {
        return Error(field, absl::StrCat("values must be in [", min,
                                         ", 1048576], got ", v->dump()));
      }
    }
    return out;
  }

  absl::StatusOr<double> Float(absl::string_view field, double dflt, double min,
                               double max) const {
    const Json* v = Find(field);
    if (v == nullptr) return dflt;
    if (!v->is_number()) {
      return Error(field, absl::StrCat("must be a number, got ", v->dump()));
    }
    const double d = v->get<double>();
    if (!(d >= min && d <= max)) {
      return Error(field,
                   absl::StrCat("must be in [", min, ", ", max, "], got ", d));
    }
    return d;
  }

  absl::StatusOr<bool> Bool(absl::string_view field, bool dflt) const {
    const Json* v = Find(field);
    if (v == nullptr) return dflt;
    if (!v->is_boolean()) {
      return Error(field,
                   absl::StrCat("must be true or false, got ", v->dump()));
    }
    return v->get<bool>();
  }

  // A string; when `allowed` is non-empty, one of those.
  absl::StatusOr<std::string> String(
      absl::string_view field, std::optional<std::string> dflt,
      const std::vector<absl::string_view>& allowed = {}) const {
    const Json* v = Find(field);
    if (v == nullptr) {
      if (dflt.has_value()) return *dflt;
      return Error(field, "is required");
    }
    if (!v->is_string()) {
      return Error(field, absl::StrCat("must be a string, got ", v->dump()));
    }
    std::string s = v->get<std::string>();
    if (allowed.empty()) return s;
    for (absl::string_view a : allowed) {
      if (s == a) return s;
    }
    return Error(field, absl::StrCat("\"", s, "\" is not one of ",
                                     absl::StrJoin(allowed, ", ")));
  }

 private:
  const Json& j_;
  std::string who_;
};

// ---- per-variable seeds ----------------------------------------------------

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The seed of variable #index of a spec with seed `seed`.
uint64_t VariableSeed(uint64_t seed, int index) {
  uint64_t state = seed ^ (0xA0761D6478BD642Full * (index + 1));
  return SplitMix64(state);
}

// ---- the compiler -----------------------------------------------------------

// A value flowing between layers: a tensor and its declared shape.
struct Value {
  int tensor = -1;
  Shape shape;
};

// The two forward paths: inference (moving statistics, no dropout) and
// training (batch statistics, dropout). They are one tensor until the first
// layer that behaves differently in training; from there every layer's ops
// are emitted twice (the training copies' tensors named "<name>/train").
struct Paths {
  Value infer;
  Value train;
};

const std::vector<absl::string_view> kActivationLayers = {
    "relu",       "relu6", "sigmoid", "tanh",      "softmax",
    "leaky_relu", "elu",   "gelu",    "hard_swish"};

bool IsFusable(absl::string_view act) {
  return act == "relu" || act == "relu6" || act == "sigmoid" || act == "tanh";
}

class Compiler {
 public:
  absl::StatusOr<Graph> Compile(absl::string_view text);
  // Parses "loss", "optimizer" and "gradient_accumulation_steps" into
  // `config`; returns whether the spec asks for training signatures.
  absl::StatusOr<bool> ParseTraining(const Json& root, TrainingConfig& config);

 private:
  int AddTensor(std::string name, DType dtype, Shape shape, int buffer = -1) {
    Subgraph& sg = graph_.subgraphs[0];
    sg.tensors.push_back(
        {std::move(name), dtype, std::move(shape), buffer, {}});
    return static_cast<int>(sg.tensors.size()) - 1;
  }
  int AddBytes(absl::Span<const uint8_t> bytes) {
    graph_.buffers.push_back(ConstantBuffer::Copy(bytes));
    return static_cast<int>(graph_.buffers.size()) - 1;
  }
  int ConstF32(std::string name, Shape shape, const std::vector<float>& v) {
    const int buffer = AddBytes(
        {reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(float)});
    return AddTensor(name + suffix_, DType::kFloat32, std::move(shape), buffer);
  }
  int ConstI64(std::string name, const std::vector<int64_t>& v) {
    const int buffer = AddBytes({reinterpret_cast<const uint8_t*>(v.data()),
                                 v.size() * sizeof(int64_t)});
    return AddTensor(name + suffix_, DType::kInt64,
                     {static_cast<int64_t>(v.size())}, buffer);
  }
  // Appends a node; its output is named `name` plus suffix_.
  Value Op(OpCode op, std::vector<int> inputs, Attributes attrs,
           std::string name, Shape shape, DType dtype = DType::kFloat32) {
    while (!inputs.empty() && inputs.back() < 0) inputs.pop_back();
    Node node;
    node.op = op;
    node.inputs = std::move(inputs);
    node.attrs = std::move(attrs);
    const int out = AddTensor(name + suffix_, dtype, shape);
    node.outputs = {out};
    graph_.subgraphs[0].nodes.push_back(std::move(node));
    return {out, std::move(shape)};
  }
  // A parameter: a resource variable (VariableInfo with its initializer and
  // seed) read by a read_variable node whose output is named like it.
  // Idempotent: a second call for the same variable returns the first read
  // (a subgraph reads each variable once).
  absl::StatusOr<int> Param(const Fields& f, const std::string& layer,
                            absl::string_view param, Shape shape,
                            Initializer init, bool trainable);
  // The read of `random/counter` (int64 scalar, zeros, not trainable), the
  // draw number of every dropout mask; the first call also records its
  // train-only update counter + 1.
  int RandomCounter();

  // Checks layer #index (name, type, fields) and applies it to both paths.
  absl::Status Layer(const Json& j, int index, Paths& paths);
  // The layer's ops on one path; `train` selects training behaviour.
  absl::StatusOr<Value> LayerOps(const Fields& f, const std::string& type,
                                 const std::string& name, bool trainable,
                                 const Value& in, bool train);
  absl::StatusOr<Value> Dense(const Fields& f, const std::string& name,
                              bool trainable, const Value& in);
  absl::StatusOr<Value> Conv(const Fields& f, const std::string& name,
                             bool depthwise, bool trainable, const Value& in);
  absl::StatusOr<Value> Pool(const Fields& f, const std::string& name,
                             OpCode op, const Value& in);
  absl::StatusOr<Value> BatchNorm(const Fields& f, const std::string& name,
                                  bool trainable, const Value& in);
  // batch_norm in training: batch statistics, moving-statistics updates.
  absl::StatusOr<Value> BatchNormTrain(const Fields& f, const std::string& name,
                                       const Value& in);
  absl::StatusOr<Value> DropoutTrain(const Fields& f, const std::string& name,
                                     const Value& in);
  absl::StatusOr<Value> Activation(const Fields& f, absl::string_view act,
                                   std::string name, const Value& in);
  // Applies layer activation `act`: fused into `node` when possible.
  absl::StatusOr<Value> FinishWithActivation(const Fields& f,
                                             const std::string& act,
                                             const std::string& name,
                                             Value out);
  Graph graph_;
  uint64_t seed_ = 0;
  int64_t num_parameters_ = 0;
  absl::flat_hash_set<std::string> layer_names_;
  absl::flat_hash_map<std::string, int> params_;  // variable name -> read
  bool trains_ = false;  // the spec asks for training signatures
  std::string suffix_;   // "/train" while emitting the training path
  int counter_ = -1;     // RandomCounter()'s read, once made
  std::vector<StateUpdate> state_updates_;
};

absl::StatusOr<int> Compiler::Param(const Fields& f, const std::string& layer,
                                    absl::string_view param, Shape shape,
                                    Initializer init, bool trainable) {
  const std::string var_name = absl::StrCat(layer, "/", param);
  if (auto it = params_.find(var_name); it != params_.end()) return it->second;
  absl::StatusOr<int64_t> n = CheckedNumElements(shape);
  if (!n.ok() || *n > kMaxParameters - num_parameters_) {
    return f.Error(absl::StrCat("parameter ", param, " ", ShapeToString(shape),
                                " is too large (a spec may declare at most ",
                                kMaxParameters, " parameters)"));
  }
  num_parameters_ += *n;
  VariableInfo var;
  var.name = var_name;
  var.dtype = DType::kFloat32;
  var.shape = shape;
  var.initializer = init;
  var.seed = VariableSeed(seed_, static_cast<int>(graph_.variables.size()));
  var.trainable = trainable;
  graph_.variables.push_back(std::move(var));
  Subgraph& sg = graph_.subgraphs[0];
  const int tensor =
      AddTensor(graph_.variables.back().name, DType::kFloat32, shape);
  Node read;
  read.op = OpCode::kReadVariable;
  read.attrs.SetInt("variable", static_cast<int>(graph_.variables.size()) - 1);
  read.outputs = {tensor};
  sg.nodes.push_back(std::move(read));
  params_[var_name] = tensor;
  return tensor;
}

int Compiler::RandomCounter() {
  if (counter_ != -1) return counter_;
  VariableInfo var;
  var.name = "random/counter";
  var.dtype = DType::kInt64;
  var.initializer = Initializer::kZeros;
  var.trainable = false;
  graph_.variables.push_back(std::move(var));
  const int variable = static_cast<int>(graph_.variables.size()) - 1;
  counter_ = AddTensor("random/counter", DType::kInt64, {});
  Node read;
  read.op = OpCode::kReadVariable;
  read.attrs.SetInt("variable", variable);
  read.outputs = {counter_};
  graph_.subgraphs[0].nodes.push_back(std::move(read));
  const int64_t one = 1;
  const int one_t = AddTensor(
      "random/one", DType::kInt64, {},
      AddBytes({reinterpret_cast<const uint8_t*>(&one), sizeof(one)}));
  Node add;
  add.op = OpCode::kAdd;
  add.inputs = {counter_, one_t};
  add.outputs = {AddTensor("random/counter_next", DType::kInt64, {})};
  state_updates_.push_back({variable, add.outputs[0]});
  graph_.subgraphs[0].nodes.push_back(std::move(add));
  return counter_;
}

absl::StatusOr<Value> Compiler::FinishWithActivation(const Fields& f,
                                                     const std::string& act,
                                                     const std::string& name,
                                                     Value out) {
  if (act == "none" || act == "linear") return out;
  Node& node = graph_.subgraphs[0].nodes.back();
  if (IsFusable(act)) {
    node.attrs.SetString("activation", act);
    return out;
  }
  graph_.subgraphs[0].tensors[out.tensor].name = name + "/linear" + suffix_;
  return Activation(f, act, name, out);
}

absl::StatusOr<Value> Compiler::Activation(const Fields& f,
                                           absl::string_view act,
                                           std::string name, const Value& in) {
  Attributes attrs;
  OpCode op;
  if (act == "relu") {
    op = OpCode::kRelu;
  } else if (act == "relu6") {
    op = OpCode::kRelu6;
  } else if (act == "sigmoid") {
    op = OpCode::kSigmoid;
  } else if (act == "tanh") {
    op = OpCode::kTanh;
  } else if (act == "hard_swish") {
    op = OpCode::kHardSwish;
  } else if (act == "softmax") {
    op = OpCode::kSoftmax;
    ATTUNE_ASSIGN_OR_RETURN(int64_t axis,
                            f.Int("axis", -1, -kMaxRank, kMaxRank - 1));
    if (axis < -static_cast<int64_t>(in.shape.size()) ||
        axis >= static_cast<int64_t>(in.shape.size())) {
      return f.Error("axis", absl::StrCat("is out of range for input ",
                                          ShapeToString(in.shape)));
    }
    attrs.SetInt("axis", axis);
  } else if (act == "leaky_relu") {
    op = OpCode::kLeakyRelu;
    ATTUNE_ASSIGN_OR_RETURN(double alpha, f.Float("alpha", 0.2, -1e6, 1e6));
    attrs.SetFloat("alpha", alpha);
  } else if (act == "elu") {
    op = OpCode::kElu;
    ATTUNE_ASSIGN_OR_RETURN(double alpha, f.Float("alpha", 1.0, -1e6, 1e6));
    attrs.SetFloat("alpha", alpha);
  } else if (act == "gelu") {
    op = OpCode::kGelu;
    ATTUNE_ASSIGN_OR_RETURN(bool approximate, f.Bool("approximate", false));
    attrs.SetInt("approximate", approximate ? 1 : 0);
  } else {
    return f.Error(
        "activation",
        absl::StrCat("unknown activation \"", act, "\" (allowed: none, ",
                     absl::StrJoin(kActivationLayers, ", "), ")"));
  }
  return Op(op, {in.tensor}, std::move(attrs), std::move(name), in.shape);
}

absl::StatusOr<Value> Compiler::Dense(const Fields& f, const std::string& name,
                                      bool trainable, const Value& in) {
  ATTUNE_ASSIGN_OR_RETURN(int64_t units, f.Int("units", std::nullopt, 1));
  ATTUNE_ASSIGN_OR_RETURN(bool use_bias, f.Bool("use_bias", true));
  ATTUNE_ASSIGN_OR_RETURN(std::string act, f.String("activation", "none"));
  const int64_t k = in.shape.back();
  if (k < 0) {
    return f.Error(absl::StrCat("needs a static last dimension, input is ",
                                ShapeToString(in.shape)));
  }
  ATTUNE_ASSIGN_OR_RETURN(int w, Param(f, name, "kernel", {k, units},
                                       Initializer::kGlorotUniform, trainable));
  int b = -1;
  if (use_bias) {
    ATTUNE_ASSIGN_OR_RETURN(
        b, Param(f, name, "bias", {units}, Initializer::kZeros, trainable));
  }
  Shape out = in.shape;
  out.back() = units;
  return FinishWithActivation(
      f, act, name,
      Op(OpCode::kFullyConnected, {in.tensor, w, b}, {}, name, out));
}

// Output size of one spatial dim under TensorFlow padding rules; -1 stays -1.
absl::StatusOr<int64_t> OutDim(const Fields& f, absl::string_view what,
                               int64_t in, int64_t k, int64_t stride,
                               int64_t dilation, bool same) {
  if (in < 0) return -1;
  if (same) return (in + stride - 1) / stride;
  const int64_t effective = (k - 1) * dilation + 1;
  if (in < effective) {
    return f.Error(absl::StrCat("input ", what, " ", in,
                                " is smaller than the (dilated) window ",
                                effective, " with padding \"valid\""));
  }
  return (in - effective) / stride + 1;
}

absl::StatusOr<Value> Compiler::Conv(const Fields& f, const std::string& name,
                                     bool depthwise, bool trainable,
                                     const Value& in) {
  if (in.shape.size() != 4) {
    return f.Error(absl::StrCat("needs an NHWC input of rank 4, got ",
                                ShapeToString(in.shape)));
  }
  const int64_t c = in.shape[3];
  if (c < 0) {
    return f.Error(absl::StrCat("needs a static channel dimension, input is ",
                                ShapeToString(in.shape)));
  }
  int64_t out_c = 0;
  int64_t mult = 0;
  if (depthwise) {
    ATTUNE_ASSIGN_OR_RETURN(mult, f.Int("depth_multiplier", 1, 1, 1 << 16));
    out_c = c * mult;
  } else {
    ATTUNE_ASSIGN_OR_RETURN(out_c, f.Int("filters", std::nullopt, 1));
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> ks,
                          f.Pair("kernel_size", std::nullopt, 1));
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> strides,
                          f.Pair("strides", std::vector<int64_t>{1, 1}, 1));
  const char* dil_field =
      f.Find("dilation_rate") ? "dilation_rate" : "dilation";
  if (f.Find("dilation_rate") && f.Find("dilation")) {
    return f.Error("dilation", "give either dilation or dilation_rate");
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> dil,
                          f.Pair(dil_field, std::vector<int64_t>{1, 1}, 1));
  ATTUNE_ASSIGN_OR_RETURN(std::string padding,
                          f.String("padding", "valid", {"valid", "same"}));
  ATTUNE_ASSIGN_OR_RETURN(bool use_bias, f.Bool("use_bias", true));
  ATTUNE_ASSIGN_OR_RETURN(std::string act, f.String("activation", "none"));
  const bool same = padding == "same";
  ATTUNE_ASSIGN_OR_RETURN(int64_t oh, OutDim(f, "height", in.shape[1], ks[0],
                                             strides[0], dil[0], same));
  ATTUNE_ASSIGN_OR_RETURN(int64_t ow, OutDim(f, "width", in.shape[2], ks[1],
                                             strides[1], dil[1], same));
  Shape kshape =
      depthwise ? Shape{ks[0], ks[1], c, mult} : Shape{ks[0], ks[1], c, out_c};
  ATTUNE_ASSIGN_OR_RETURN(int w, Param(f, name, "kernel", kshape,
                                       Initializer::kGlorotUniform, trainable));
  int b = -1;
  if (use_bias) {
    ATTUNE_ASSIGN_OR_RETURN(
        b, Param(f, name, "bias", {out_c}, Initializer::kZeros, trainable));
  }
  Attributes attrs;
  attrs.SetInts("strides", strides)
      .SetInts("dilations", dil)
      .SetString("padding", padding);
  return FinishWithActivation(
      f, act, name,
      Op(depthwise ? OpCode::kDepthwiseConv2d : OpCode::kConv2d,
         {in.tensor, w, b}, std::move(attrs), name,
         {in.shape[0], oh, ow, out_c}));
}

absl::StatusOr<Value> Compiler::Pool(const Fields& f, const std::string& name,
                                     OpCode op, const Value& in) {
  if (in.shape.size() != 4) {
    return f.Error(absl::StrCat("needs an NHWC input of rank 4, got ",
                                ShapeToString(in.shape)));
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> ks,
                          f.Pair("pool_size", std::vector<int64_t>{2, 2}, 1));
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> strides,
                          f.Pair("strides", ks, 1));
  ATTUNE_ASSIGN_OR_RETURN(std::string padding,
                          f.String("padding", "valid", {"valid", "same"}));
  const bool same = padding == "same";
  ATTUNE_ASSIGN_OR_RETURN(
      int64_t oh, OutDim(f, "height", in.shape[1], ks[0], strides[0], 1, same));
  ATTUNE_ASSIGN_OR_RETURN(
      int64_t ow, OutDim(f, "width", in.shape[2], ks[1], strides[1], 1, same));
  Attributes attrs;
  attrs.SetInts("ksize", ks)
      .SetInts("strides", strides)
      .SetString("padding", padding);
  return Op(op, {in.tensor}, std::move(attrs), name,
            {in.shape[0], oh, ow, in.shape[3]});
}

absl::StatusOr<Value> Compiler::BatchNorm(const Fields& f,
                                          const std::string& name,
                                          bool trainable, const Value& in) {
  ATTUNE_ASSIGN_OR_RETURN(double eps, f.Float("epsilon", 1e-3, 0.0, 1.0));
  ATTUNE_RETURN_IF_ERROR(f.Float("momentum", 0.99, 0.0, 1.0).status());
  ATTUNE_ASSIGN_OR_RETURN(int64_t axis, f.Int("axis", -1, -1, -1));
  (void)axis;
  const int64_t c = in.shape.back();
  if (c < 0) {
    return f.Error(
        absl::StrCat("needs a static last (channel) dimension, "
                     "input is ",
                     ShapeToString(in.shape)));
  }
  ATTUNE_ASSIGN_OR_RETURN(
      int gamma, Param(f, name, "gamma", {c}, Initializer::kOnes, trainable));
  ATTUNE_ASSIGN_OR_RETURN(
      int beta, Param(f, name, "beta", {c}, Initializer::kZeros, trainable));
  // Moving statistics are never trained by gradients.
  ATTUNE_ASSIGN_OR_RETURN(
      int mean, Param(f, name, "moving_mean", {c}, Initializer::kZeros, false));
  ATTUNE_ASSIGN_OR_RETURN(int var, Param(f, name, "moving_variance", {c},
                                         Initializer::kOnes, false));
  // scale = gamma * rsqrt(var + eps); shift = beta - mean * scale. These
  // nodes read only constants and are folded when a plan is prepared.
  const int eps_t = ConstF32(name + "/epsilon", {}, {static_cast<float>(eps)});
  const Shape cs = {c};
  Value v = Op(OpCode::kAdd, {var, eps_t}, {}, name + "/variance_plus_eps", cs);
  v = Op(OpCode::kRsqrt, {v.tensor}, {}, name + "/inv_std", cs);
  const Value scale =
      Op(OpCode::kMul, {gamma, v.tensor}, {}, name + "/scale", cs);
  v = Op(OpCode::kMul, {mean, scale.tensor}, {}, name + "/mean_times_scale",
         cs);
  const Value shift =
      Op(OpCode::kSub, {beta, v.tensor}, {}, name + "/shift", cs);
  v = Op(OpCode::kMul, {in.tensor, scale.tensor}, {}, name + "/scaled",
         in.shape);
  return Op(OpCode::kAdd, {v.tensor, shift.tensor}, {}, name, in.shape);
}

absl::StatusOr<Value> Compiler::BatchNormTrain(const Fields& f,
                                               const std::string& name,
                                               const Value& in) {
  ATTUNE_ASSIGN_OR_RETURN(double eps, f.Float("epsilon", 1e-3, 0.0, 1.0));
  ATTUNE_ASSIGN_OR_RETURN(double momentum, f.Float("momentum", 0.99, 0.0, 1.0));
  const int64_t c = in.shape.back();
  if (in.shape.size() < 2) {
    return f.Error(
        absl::StrCat("needs an input of rank >= 2 (batch, ..., "
                     "channels) to train, input is ",
                     ShapeToString(in.shape)));
  }
  // The inference path made the variables; these calls return its reads.
  ATTUNE_ASSIGN_OR_RETURN(
      int gamma, Param(f, name, "gamma", {c}, Initializer::kOnes, true));
  ATTUNE_ASSIGN_OR_RETURN(
      int beta, Param(f, name, "beta", {c}, Initializer::kZeros, true));
  ATTUNE_ASSIGN_OR_RETURN(int moving_mean, Param(f, name, "moving_mean", {c},
                                                 Initializer::kZeros, false));
  ATTUNE_ASSIGN_OR_RETURN(int moving_var, Param(f, name, "moving_variance", {c},
                                                Initializer::kOnes, false));
  // Batch statistics over every axis but the last (biased variance):
  // y = (x - mean) * rsqrt(var + eps) * gamma + beta.
  std::vector<int64_t> axes;
  for (size_t d = 0; d + 1 < in.shape.size(); ++d) {
    axes.push_back(static_cast<int64_t>(d));
  }
  Attributes reduce;
  reduce.SetInts("axes", axes).SetInt("keepdims", 1);
  const Shape kept(in.shape.size() - 1, 1);
  Shape stat_shape = kept;
  stat_shape.push_back(c);
  const Value mean =
      Op(OpCode::kMean, {in.tensor}, reduce, name + "/batch_mean", stat_shape);
  Value v = Op(OpCode::kSquaredDifference, {in.tensor, mean.tensor}, {},
               name + "/squared_deviation", in.shape);
  const Value var = Op(OpCode::kMean, {v.tensor}, reduce,
                       name + "/batch_variance", stat_shape);
  const int eps_t = ConstF32(name + "/epsilon", {}, {static_cast<float>(eps)});
  v = Op(OpCode::kAdd, {var.tensor, eps_t}, {}, name + "/variance_plus_eps",
         stat_shape);
  const Value inv_std =
      Op(OpCode::kRsqrt, {v.tensor}, {}, name + "/inv_std", stat_shape);
  v = Op(OpCode::kSub, {in.tensor, mean.tensor}, {}, name + "/centered",
         in.shape);
  v = Op(OpCode::kMul, {v.tensor, inv_std.tensor}, {}, name + "/normalized",
         in.shape);
  v = Op(OpCode::kMul, {v.tensor, gamma}, {}, name + "/scaled", in.shape);
  const Value out = Op(OpCode::kAdd, {v.tensor, beta}, {}, name, in.shape);
  // Keras' update: moving = moving * momentum + batch * (1 - momentum).
  const int shape_c = ConstI64(name + "/channels", {c});
  const int keep =
      ConstF32(name + "/momentum", {}, {static_cast<float>(momentum)});
  const int take = ConstF32(name + "/one_minus_momentum", {},
                            {static_cast<float>(1 - momentum)});
  const std::pair<int, const Value*> stats[] = {{moving_mean, &mean},
                                                {moving_var, &var}};
  for (const auto& [moving, batch] : stats) {
    const std::string stat = graph_.subgraphs[0].tensors[moving].name;
    const Value flat = Op(OpCode::kReshape, {batch->tensor, shape_c}, {},
                          stat + "/batch", {c});
    const Value old_part =
        Op(OpCode::kMul, {moving, keep}, {}, stat + "/decayed", {c});
    const Value new_part =
        Op(OpCode::kMul, {flat.tensor, take}, {}, stat + "/batch_part", {c});
    const Value next = Op(OpCode::kAdd, {old_part.tensor, new_part.tensor}, {},
                          stat + "/next", {c});
    int variable = 0;
    while (graph_.variables[variable].name != stat) ++variable;
    state_updates_.push_back({variable, next.tensor});
  }
  return out;
}

absl::StatusOr<Value> Compiler::DropoutTrain(const Fields& f,
                                             const std::string& name,
                                             const Value& in) {
  ATTUNE_ASSIGN_OR_RETURN(double rate, f.Float("rate", 0.5, 0.0, 0.999999));
  // Each dropout layer draws its own stream: a seed from the spec's seed and
  // the layer's name.
  uint64_t state = seed_ ^ 0x6A09E667F3BCC909ull;
  for (unsigned char ch : name) state = SplitMix64(state) ^ ch;
  const uint64_t seed = SplitMix64(state);
  Attributes attrs;
  attrs.SetFloat("rate", rate).SetInt("seed", static_cast<int64_t>(seed));
  // The mask reads x's shape through a shape op (folded at prepare): an
  // int64 tensor, so autodiff sees no path from x into the mask.
  const Value shape = Op(
      OpCode::kShape, {in.tensor}, Attributes().SetString("out_type", "int64"),
      name + "/shape", {static_cast<int64_t>(in.shape.size())}, DType::kInt64);
  const Value mask = Op(OpCode::kRandomMask, {shape.tensor, RandomCounter()},
                        std::move(attrs), name + "/mask", in.shape);
  return Op(OpCode::kMul, {in.tensor, mask.tensor}, {}, name, in.shape);
}

absl::Status Compiler::Layer(const Json& j, int index, Paths& paths) {
  if (!j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("layer #", index, ": must be an object, got ", j.dump()));
  }
  std::string type = "?";
  if (auto it = j.find("type"); it != j.end() && it->is_string()) {
    type = it->get<std::string>();
  }
  std::string name = absl::StrCat(type, "_", index);
  if (auto it = j.find("name"); it != j.end() && it->is_string()) {
    name = it->get<std::string>();
  }
  Fields f(j, absl::StrCat("layer #", index, " (\"", name, "\", ", type, ")"));
  ATTUNE_RETURN_IF_ERROR(f.String("type", std::nullopt).status());
  ATTUNE_RETURN_IF_ERROR(f.String("name", name).status());
  if (name.empty() || name.find('/') != std::string::npos) {
    return f.Error("name", "must be non-empty and contain no '/'");
  }
  if (!layer_names_.insert(name).second) {
    return f.Error("name",
                   absl::StrCat("\"", name, "\" is used by an earlier layer"));
  }
  ATTUNE_ASSIGN_OR_RETURN(bool trainable, f.Bool("trainable", true));

  // Layers that differ in training (only built when the spec trains):
  // batch_norm unless frozen (a frozen batch_norm runs in inference mode,
  // as in Keras), dropout with rate > 0.
  bool differs = false;
  if (trains_ && type == "batch_norm") differs = trainable;
  if (trains_ && type == "dropout") {
    absl::StatusOr<double> rate = f.Float("rate", 0.5, 0.0, 0.999999);
    differs = rate.ok() && *rate > 0;
  }
  const bool split = paths.train.tensor != paths.infer.tensor;
  ATTUNE_ASSIGN_OR_RETURN(
      Value infer, LayerOps(f, type, name, trainable, paths.infer, false));
  if (split || differs) {
    suffix_ = "/train";
    absl::StatusOr<Value> train =
        LayerOps(f, type, name, trainable, paths.train, differs);
    suffix_.clear();
    if (!train.ok()) return train.status();
    paths.train = *std::move(train);
  } else {
    paths.train = infer;
  }
  paths.infer = std::move(infer);
  return absl::OkStatus();
}

absl::StatusOr<Value> Compiler::LayerOps(const Fields& f,
                                         const std::string& type,
                                         const std::string& name,
                                         bool trainable, const Value& in,
                                         bool train) {
  std::vector<absl::string_view> known = {"type", "name", "trainable"};
  auto allow = [&](std::vector<absl::string_view> more) {
    known.insert(known.end(), more.begin(), more.end());
    return f.CheckKnown(known);
  };
  if (type == "dense") {
    ATTUNE_RETURN_IF_ERROR(allow({"units", "activation", "use_bias"}));
    return Dense(f, name, trainable, in);
  }
  if (type == "conv2d") {
    ATTUNE_RETURN_IF_ERROR(
        allow({"filters", "kernel_size", "strides", "padding", "dilation",
               "dilation_rate", "activation", "use_bias"}));
    return Conv(f, name, /*depthwise=*/false, trainable, in);
  }
  if (type == "depthwise_conv2d") {
    ATTUNE_RETURN_IF_ERROR(
        allow({"kernel_size", "depth_multiplier", "strides", "padding",
               "dilation", "dilation_rate", "activation", "use_bias"}));
    return Conv(f, name, /*depthwise=*/true, trainable, in);
  }
  if (type == "max_pool2d" || type == "avg_pool2d") {
    ATTUNE_RETURN_IF_ERROR(allow({"pool_size", "strides", "padding"}));
    return Pool(f, name,
                type == "max_pool2d" ? OpCode::kMaxPool2d : OpCode::kAvgPool2d,
                in);
  }
  if (type == "global_avg_pool") {
    ATTUNE_RETURN_IF_ERROR(allow({}));
    if (in.shape.size() != 4) {
      return f.Error(absl::StrCat("needs an NHWC input of rank 4, got ",
                                  ShapeToString(in.shape)));
    }
    Attributes attrs;
    attrs.SetInts("axes", {1, 2}).SetInt("keepdims", 0);
    return Op(OpCode::kMean, {in.tensor}, std::move(attrs), name,
              {in.shape[0], in.shape[3]});
  }
  if (type == "flatten" || type == "reshape") {
    std::vector<int64_t> target;
    int64_t rest = 1;
    for (size_t d = 1; d < in.shape.size(); ++d) {
      if (in.shape[d] < 0) {
        return f.Error(
            absl::StrCat("needs static non-batch dimensions, input is ",
                         ShapeToString(in.shape)));
      }
      rest *= in.shape[d];
    }
    if (in.shape.empty()) {
      return f.Error("needs an input with a batch dimension");
    }
    if (type == "flatten") {
      ATTUNE_RETURN_IF_ERROR(allow({}));
      target = {rest};
    } else {
      ATTUNE_RETURN_IF_ERROR(allow({"target_shape"}));
      const Json* t = f.Find("target_shape");
      if (t == nullptr) return f.Error("target_shape", "is required");
      if (!t->is_array() || t->empty() || t->size() >= kMaxRank) {
        return f.Error("target_shape",
                       absl::StrCat("must be a non-empty list of dimensions "
                                    "(without the batch dimension), got ",
                                    t->dump()));
      }
      int64_t known_product = 1;
      int wildcard = -1;
      for (const Json& e : *t) {
        std::optional<int64_t> d = AsInt(e);
        if (!d.has_value() || *d == 0 || *d < -1 || *d > (int64_t{1} << 31)) {
          return f.Error("target_shape",
                         absl::StrCat("dimensions must be positive or -1, got ",
                                      t->dump()));
        }
        if (*d == -1) {
          if (wildcard >= 0) {
            return f.Error("target_shape", "may hold at most one -1");
          }
          wildcard = static_cast<int>(target.size());
        } else {
          known_product *= *d;
        }
        target.push_back(*d);
      }
      if (wildcard >= 0) {
        if (rest % known_product != 0) {
          return f.Error(
              "target_shape",
              absl::StrCat(t->dump(), " cannot hold the ", rest,
                           " elements of input ", ShapeToString(in.shape)));
        }
        target[wildcard] = rest / known_product;
      } else if (known_product != rest) {
        return f.Error("target_shape",
                       absl::StrCat(t->dump(), " holds ", known_product,
                                    " elements per example, input ",
                                    ShapeToString(in.shape), " has ", rest));
      }
    }
    // The batch dim is -1 in the shape constant, so any batch size works.
    std::vector<int64_t> shape_values = {-1};
    shape_values.insert(shape_values.end(), target.begin(), target.end());
    const int shape_t = ConstI64(name + "/shape", shape_values);
    Shape out = {in.shape[0]};
    out.insert(out.end(), target.begin(), target.end());
    return Op(OpCode::kReshape, {in.tensor, shape_t}, {}, name, out);
  }
  if (type == "dropout") {
    ATTUNE_RETURN_IF_ERROR(allow({"rate"}));
    ATTUNE_RETURN_IF_ERROR(f.Float("rate", 0.5, 0.0, 0.999999).status());
    if (train) return DropoutTrain(f, name, in);
    return in;  // identity at inference
  }
  if (type == "batch_norm") {
    ATTUNE_RETURN_IF_ERROR(allow({"epsilon", "momentum", "axis"}));
    if (train) return BatchNormTrain(f, name, in);
    return BatchNorm(f, name, trainable, in);
  }
  std::string act = type;
  if (type == "activation") {
    ATTUNE_ASSIGN_OR_RETURN(
        act, f.String("activation", std::nullopt, kActivationLayers));
  } else {
    bool is_act = false;
    for (absl::string_view a : kActivationLayers) is_act = is_act || type == a;
    if (!is_act) {
      return f.Error(
          "type", absl::StrCat("unknown layer type \"", type,
                               "\" (allowed: dense, conv2d, depthwise_conv2d, "
                               "max_pool2d, avg_pool2d, global_avg_pool, "
                               "flatten, reshape, dropout, batch_norm, "
                               "activation, ",
                               absl::StrJoin(kActivationLayers, ", "), ")"));
    }
  }
  if (act == "leaky_relu" || act == "elu") {
    ATTUNE_RETURN_IF_ERROR(allow({"activation", "alpha"}));
  } else if (act == "gelu") {
    ATTUNE_RETURN_IF_ERROR(allow({"activation", "approximate"}));
  } else if (act == "softmax") {
    ATTUNE_RETURN_IF_ERROR(allow({"activation", "axis"}));
  } else {
    ATTUNE_RETURN_IF_ERROR(allow({"activation"}));
  }
  return Activation(f, act, name, in);
}

absl::StatusOr<bool> Compiler::ParseTraining(const Json& root,
                                             TrainingConfig& config) {
  Fields top(root, "spec");
  ATTUNE_ASSIGN_OR_RETURN(
      int64_t accumulation,
      top.Int("gradient_accumulation_steps", 1, 1, 1 << 20));
  config.gradient_accumulation_steps = static_cast<int>(accumulation);
  const Json* loss = top.Find("loss");
  if (loss != nullptr) {
    if (!loss->is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "spec: field \"loss\": must be an object, got ", loss->dump()));
    }
    Fields f(*loss, "spec loss");
    ATTUNE_RETURN_IF_ERROR(f.CheckKnown(
        {"type", "labels", "from_logits", "label_smoothing", "delta", "l2"}));
    ATTUNE_ASSIGN_OR_RETURN(
        std::string type,
        f.String("type", std::nullopt,
                 {"softmax_cross_entropy", "binary_cross_entropy",
                  "sigmoid_cross_entropy", "mean_squared_error", "mse",
                  "mean_absolute_error", "l1", "huber"}));
    LossConfig& l = config.loss;
    if (type == "softmax_cross_entropy") {
      l.type = LossType::kSoftmaxCrossEntropy;
    } else if (type == "binary_cross_entropy" ||
               type == "sigmoid_cross_entropy") {
      l.type = LossType::kBinaryCrossEntropy;
    } else if (type == "mean_squared_error" || type == "mse") {
      l.type = LossType::kMeanSquaredError;
    } else if (type == "mean_absolute_error" || type == "l1") {
      l.type = LossType::kMeanAbsoluteError;
    } else {
      l.type = LossType::kHuber;
    }
    ATTUNE_ASSIGN_OR_RETURN(
        std::string labels,
        f.String("labels", "sparse", {"sparse", "one_hot"}));
    if (f.Find("labels") != nullptr &&
        l.type != LossType::kSoftmaxCrossEntropy) {
      return f.Error("labels", "applies to softmax_cross_entropy only");
    }
    l.sparse_labels = labels == "sparse";
    ATTUNE_ASSIGN_OR_RETURN(bool from_logits, f.Bool("from_logits", true));
    if (!from_logits) {
      return f.Error("from_logits",
                     "must be true: the last layer's output is the logits and "
                     "the loss applies softmax/sigmoid itself");
    }
    ATTUNE_ASSIGN_OR_RETURN(l.label_smoothing,
                            f.Float("label_smoothing", 0.0, 0.0, 1.0));
    if (f.Find("label_smoothing") != nullptr && !IsClassifierLoss(l.type)) {
      return f.Error("label_smoothing", "applies to cross-entropy losses only");
    }
    ATTUNE_ASSIGN_OR_RETURN(l.huber_delta, f.Float("delta", 1.0, 1e-12, 1e12));
    if (f.Find("delta") != nullptr && l.type != LossType::kHuber) {
      return f.Error("delta", "applies to the huber loss only");
    }
    ATTUNE_ASSIGN_OR_RETURN(l.l2, f.Float("l2", 0.0, 0.0, 1e6));
  }
  const Json* opt = top.Find("optimizer");
  if (opt != nullptr) {
    if (!opt->is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "spec: field \"optimizer\": must be an object, got ", opt->dump()));
    }
    Fields f(*opt, "spec optimizer");
    ATTUNE_RETURN_IF_ERROR(f.CheckKnown(
        {"type", "learning_rate", "momentum", "dampening", "nesterov",
         "weight_decay", "beta1", "beta2", "eps", "alpha", "clip_value",
         "clip_global_norm", "updates_at_end"}));
    ATTUNE_ASSIGN_OR_RETURN(std::string type, f.String("type", std::nullopt,
                                                       {"sgd", "adam", "adamw",
                                                        "rmsprop", "adagrad"}));
    ATTUNE_ASSIGN_OR_RETURN(OptimizerType t, ParseOptimizerType(type));
    OptimizerConfig& c = config.optimizer;
    c = DefaultOptimizerConfig(t);
    ATTUNE_ASSIGN_OR_RETURN(
        c.learning_rate, f.Float("learning_rate", c.learning_rate, 0.0, 1e6));
    ATTUNE_ASSIGN_OR_RETURN(c.momentum,
                            f.Float("momentum", c.momentum, 0.0, 1.0));
    ATTUNE_ASSIGN_OR_RETURN(c.dampening,
                            f.Float("dampening", c.dampening, 0.0, 1.0));
    ATTUNE_ASSIGN_OR_RETURN(c.nesterov, f.Bool("nesterov", c.nesterov));
    ATTUNE_ASSIGN_OR_RETURN(c.weight_decay,
                            f.Float("weight_decay", c.weight_decay, 0.0, 1e6));
    ATTUNE_ASSIGN_OR_RETURN(c.beta1, f.Float("beta1", c.beta1, 0.0, 1.0));
    ATTUNE_ASSIGN_OR_RETURN(c.beta2, f.Float("beta2", c.beta2, 0.0, 1.0));
    ATTUNE_ASSIGN_OR_RETURN(c.eps, f.Float("eps", c.eps, 0.0, 1.0));
    ATTUNE_ASSIGN_OR_RETURN(c.alpha, f.Float("alpha", c.alpha, 0.0, 1.0));
    ATTUNE_ASSIGN_OR_RETURN(c.clip_value,
                            f.Float("clip_value", c.clip_value, 0.0, 1e30));
    ATTUNE_ASSIGN_OR_RETURN(
        c.clip_global_norm,
        f.Float("clip_global_norm", c.clip_global_norm, 0.0, 1e30));
    ATTUNE_ASSIGN_OR_RETURN(c.updates_at_end,
                            f.Bool("updates_at_end", c.updates_at_end));
    if (absl::Status s = ValidateOptimizerConfig(c); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("spec ", s.message()));
    }
  }
  return loss != nullptr && opt != nullptr;
}

absl::StatusOr<Graph> Compiler::Compile(absl::string_view text) {
  Json root;
  DomParser parser(root);
  if (!Json::sax_parse(text.begin(), text.end(), &parser) ||
      !parser.error.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec: invalid JSON: ",
                     parser.error.empty() ? "parse error" : parser.error));
  }
  if (!root.is_object()) {
    return absl::InvalidArgumentError("spec: must be a JSON object");
  }
  Fields top(root, "spec");
  ATTUNE_RETURN_IF_ERROR(
      top.CheckKnown({"name", "inputs", "layers", "loss", "optimizer", "seed",
                      "gradient_accumulation_steps"}));
  ATTUNE_ASSIGN_OR_RETURN(std::string model_name, top.String("name", "model"));
  ATTUNE_ASSIGN_OR_RETURN(
      int64_t seed, top.Int("seed", 0, 0, std::numeric_limits<int64_t>::max()));
  seed_ = static_cast<uint64_t>(seed);
  TrainingConfig training;
  ATTUNE_ASSIGN_OR_RETURN(const bool trains, ParseTraining(root, training));
  trains_ = trains;
  const bool has_loss = root.find("loss") != root.end();

  graph_.description = model_name;
  graph_.subgraphs.emplace_back();
  graph_.subgraphs[0].name = "main";

  // Inputs.
  const Json* inputs = top.Find("inputs");
  if (inputs == nullptr) return top.Error("inputs", "is required");
  if (!inputs->is_array() || inputs->size() != 1) {
    return top.Error("inputs",
                     "must be a list with exactly one input (specs are "
                     "sequential)");
  }
  const Json& input = (*inputs)[0];
  if (!input.is_object()) {
    return absl::InvalidArgumentError("inputs[0]: must be an object");
  }
  Fields fin(input, "inputs[0]");
  ATTUNE_RETURN_IF_ERROR(fin.CheckKnown({"name", "shape", "dtype"}));
  ATTUNE_ASSIGN_OR_RETURN(std::string input_name,
                          fin.String("name", std::nullopt));
  if (input_name.empty()) return fin.Error("name", "must not be empty");
  ATTUNE_ASSIGN_OR_RETURN(std::string dtype, fin.String("dtype", "float32"));
  if (dtype != "float32") {
    return fin.Error("dtype", absl::StrCat("\"", dtype,
                                           "\" is not supported; layers take "
                                           "float32"));
  }
  const Json* shape_json = fin.Find("shape");
  if (shape_json == nullptr) return fin.Error("shape", "is required");
  Value value;
  if (!shape_json->is_array() || shape_json->empty() ||
      shape_json->size() > static_cast<size_t>(kMaxRank)) {
    return fin.Error("shape",
                     absl::StrCat("must be a list of 1 to ", kMaxRank,
                                  " dimensions, got ", shape_json->dump()));
  }
  for (const Json& d : *shape_json) {
    std::optional<int64_t> v = AsInt(d);
    if (!v.has_value() || *v == 0 || *v < -1 || *v > (int64_t{1} << 31)) {
      return fin.Error("shape",
                       absl::StrCat("dimensions must be positive or -1 "
                                    "(dynamic), got ",
                                    shape_json->dump()));
    }
    value.shape.push_back(*v);
  }
  const Value input_value = {
      AddTensor(input_name, DType::kFloat32, value.shape), value.shape};
  value = input_value;

  // Layers.
  const Json* layers = top.Find("layers");
  if (layers == nullptr) return top.Error("layers", "is required");
  if (!layers->is_array()) return top.Error("layers", "must be a list");
  layer_names_.insert(input_name);
  Paths paths = {value, value};
  for (size_t i = 0; i < layers->size(); ++i) {
    ATTUNE_RETURN_IF_ERROR(Layer((*layers)[i], static_cast<int>(i), paths));
  }
  value = paths.infer;
  if (value.tensor == input_value.tensor) {
    return top.Error("layers",
                     "must compute something (no layer produced an "
                     "op; dropout is the identity)");
  }

  Signature infer;
  infer.key = "infer";
  infer.subgraph = 0;
  infer.inputs.push_back({input_name, input_value.tensor});
  infer.outputs.push_back({"logits", value.tensor});
  if (has_loss && training.loss.type == LossType::kSoftmaxCrossEntropy) {
    Attributes attrs;
    attrs.SetInt("axis", -1);
    const Value probs = Op(OpCode::kSoftmax, {value.tensor}, std::move(attrs),
                           "probabilities", value.shape);
    infer.outputs.push_back({"probabilities", probs.tensor});
  } else if (has_loss && training.loss.type == LossType::kBinaryCrossEntropy) {
    const Value probs =
        Op(OpCode::kSigmoid, {value.tensor}, {}, "probabilities", value.shape);
    infer.outputs.push_back({"probabilities", probs.tensor});
  }
  graph_.signatures.push_back(std::move(infer));
  graph_.metadata.emplace_back(kSpecMetadataKey, std::string(text));

  ATTUNE_RETURN_IF_ERROR(ValidateGraph(graph_));
  // With every kernel present, let the kernels' shape rules confirm the
  // declared shapes (dynamic dims at 1).
  bool all_kernels = true;
  for (const Node& node : graph_.subgraphs[0].nodes) {
    all_kernels = all_kernels && FindKernel(node.op) != nullptr;
  }
  if (all_kernels) {
    ATTUNE_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model,
                            Model::FromGraph(graph_));
    ATTUNE_ASSIGN_OR_RETURN(std::unique_ptr<VariableStore> variables,
                            VariableStore::Create(model));
    PlanOptions options;
    options.variables = variables.get();
    absl::StatusOr<std::unique_ptr<ExecutionPlan>> plan =
        ExecutionPlan::Create(model, 0, options);
    if (!plan.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "spec \"", model_name, "\": the compiled graph does not prepare: ",
          plan.status().message()));
    }
  }
  if (!trains) return AddCheckpointSignatures(std::move(graph_));
  if (paths.train.tensor != value.tensor) {
    training.train_logits = paths.train.tensor;
    training.state_updates = state_updates_;
  }
  absl::StatusOr<Graph> trained =
      AddTrainingSignatures(std::move(graph_), training);
  if (!trained.ok()) {
    return absl::Status(trained.status().code(),
                        absl::StrCat("spec \"", model_name,
                                     "\": ", trained.status().message()));
  }
  return AddCheckpointSignatures(*std::move(trained));
}

}  // namespace

absl::StatusOr<Graph> CompileSpec(absl::string_view json) {
  Compiler compiler;
  return compiler.Compile(json);
}

absl::StatusOr<std::optional<TrainingConfig>> ParseTrainingConfig(
    absl::string_view json) {
  Json root;
  DomParser parser(root);
  if (!Json::sax_parse(json.begin(), json.end(), &parser) ||
      !parser.error.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec: invalid JSON: ",
                     parser.error.empty() ? "parse error" : parser.error));
  }
  if (!root.is_object()) {
    return absl::InvalidArgumentError("spec: must be a JSON object");
  }
  Compiler compiler;
  TrainingConfig config;
  ATTUNE_ASSIGN_OR_RETURN(const bool trains,
                          compiler.ParseTraining(root, config));
  if (!trains) return std::nullopt;
  return config;
}

}  // namespace attune
