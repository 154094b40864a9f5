#include "builder/spec.h"

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/interpreter.h"
#include "engine/kernels/registry.h"
#include "engine/model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "variables/initializers.h"

namespace attune {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string ReadSpec(const std::string& name) {
  std::ifstream in(std::string(ATTUNE_SOURCE_DIR) + "/examples/specs/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const TensorInfo* FindTensor(const Graph& g, absl::string_view name) {
  for (const TensorInfo& t : g.subgraphs[0].tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const VariableInfo* FindVariable(const Graph& g, absl::string_view name);

// A constant's values, or a variable's initial values (computed from its
// VariableInfo by the one initializer, InitializeFloats).
std::vector<float> ConstValues(const Graph& g, absl::string_view name) {
  if (const VariableInfo* v = FindVariable(g, name)) {
    std::vector<float> values(NumElements(v->shape));
    absl::Status s = InitializeFloats(v->initializer, v->seed, v->shape,
                                      absl::MakeSpan(values));
    EXPECT_TRUE(s.ok()) << s;
    return values;
  }
  const TensorInfo* t = FindTensor(g, name);
  if (t == nullptr || t->buffer < 0) {
    ADD_FAILURE() << "no constant or variable " << name;
    return {};
  }
  absl::Span<const uint8_t> b = g.buffers[t->buffer].bytes();
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), b.size());
  return v;
}

const VariableInfo* FindVariable(const Graph& g, absl::string_view name) {
  for (const VariableInfo& v : g.variables) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

// Ops of `infer`, without the read_variable nodes of the weights.
std::vector<std::string> OpNames(const Graph& g) {
  std::vector<std::string> ops;
  for (const Node& n : g.subgraphs[0].nodes) {
    if (n.op != OpCode::kReadVariable) ops.emplace_back(OpName(n.op));
  }
  return ops;
}

const Node* NodeProducing(const Graph& g, absl::string_view tensor) {
  for (const Node& n : g.subgraphs[0].nodes) {
    if (g.subgraphs[0].tensors[n.outputs[0]].name == tensor) return &n;
  }
  return nullptr;
}

bool HasKernels(const Graph& g) {
  for (const Node& n : g.subgraphs[0].nodes) {
    if (FindKernel(n.op) == nullptr) return false;
  }
  return true;
}

// Dense layer in double precision: y = act(x . w + b).
std::vector<double> DenseRef(const std::vector<double>& x,
                             const std::vector<float>& w,
                             const std::vector<float>& b, int m, int k, int n,
                             bool relu) {
  std::vector<double> y(m * n);
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double acc = b[j];
      for (int p = 0; p < k; ++p) acc += x[i * k + p] * w[p * n + j];
      y[i * n + j] = relu ? std::max(acc, 0.0) : acc;
    }
  }
  return y;
}

absl::StatusOr<std::vector<float>> RunInfer(const Graph& graph,
                                            const std::string& input,
                                            Shape shape,
                                            const std::vector<float>& x,
                                            const std::string& output) {
  absl::StatusOr<std::shared_ptr<const Model>> model = Model::FromGraph(graph);
  if (!model.ok()) return model.status();
  absl::StatusOr<std::unique_ptr<Interpreter>> interp =
      Interpreter::Create(*model);
  if (!interp.ok()) return interp.status();
  absl::StatusOr<SignatureRunner*> runner =
      (*interp)->GetSignatureRunner("infer");
  if (!runner.ok()) return runner.status();
  if (auto s = (*runner)->ResizeInput(input, shape); !s.ok()) return s;
  if (auto s = (*runner)->AllocateTensors(); !s.ok()) return s;
  if (auto s = (*runner)->SetInput<float>(input, x); !s.ok()) return s;
  if (auto s = (*runner)->Invoke(); !s.ok()) return s;
  absl::StatusOr<absl::Span<const float>> out =
      (*runner)->typed_output<float>(output);
  if (!out.ok()) return out.status();
  return std::vector<float>(out->begin(), out->end());
}

std::vector<float> Ramp(int n, float scale) {
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i) x[i] = std::sin(0.37f * i) * scale;
  return x;
}

TEST(SpecTest, W0CompilesToTheTutorialGraph) {
  const std::string text = ReadSpec("w0_tflite_tutorial.json");
  ASSERT_FALSE(text.empty());
  absl::StatusOr<Graph> g = CompileSpec(text);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->description, "tflite_tutorial");
  EXPECT_THAT(OpNames(*g), ElementsAre("reshape", "fully_connected",
                                       "fully_connected", "softmax"));
  // 4 weights + optimizer/step + optimizer/learning_rate (plain SGD has no
  // slots).
  ASSERT_EQ(g->variables.size(), 6u);
  struct Expected {
    const char* name;
    Shape shape;
    Initializer init;
  };
  for (const Expected& e : std::vector<Expected>{
           {"dense_1/kernel", {784, 128}, Initializer::kGlorotUniform},
           {"dense_1/bias", {128}, Initializer::kZeros},
           {"dense_2/kernel", {128, 10}, Initializer::kGlorotUniform},
           {"dense_2/bias", {10}, Initializer::kZeros}}) {
    const VariableInfo* v = FindVariable(*g, e.name);
    ASSERT_NE(v, nullptr) << e.name;
    EXPECT_EQ(v->shape, e.shape) << e.name;
    EXPECT_EQ(v->initializer, e.init) << e.name;
    EXPECT_TRUE(v->trainable);
    // Read by a read_variable whose output carries the variable's name.
    const TensorInfo* t = FindTensor(*g, e.name);
    ASSERT_NE(t, nullptr) << e.name;
    EXPECT_EQ(t->buffer, -1);
    EXPECT_EQ(t->shape, e.shape);
    const Node* read = NodeProducing(*g, e.name);
    ASSERT_NE(read, nullptr);
    EXPECT_EQ(read->op, OpCode::kReadVariable);
    EXPECT_EQ(g->variables[*read->attrs.GetInt("variable")].name, e.name);
  }
  // The spec has a loss and an optimizer: train and eval too.
  EXPECT_NE(g->FindSignature("train"), nullptr);
  EXPECT_NE(g->FindSignature("eval"), nullptr);
  // Flatten: reshape with the static shape constant [-1, 784].
  const Node* flatten = NodeProducing(*g, "flatten");
  ASSERT_NE(flatten, nullptr);
  ASSERT_EQ(flatten->inputs.size(), 2u);
  const TensorInfo& shape_const = g->subgraphs[0].tensors[flatten->inputs[1]];
  EXPECT_EQ(shape_const.dtype, DType::kInt64);
  absl::Span<const uint8_t> sb = g->buffers[shape_const.buffer].bytes();
  ASSERT_EQ(sb.size(), 16u);
  int64_t dims[2];
  std::memcpy(dims, sb.data(), 16);
  EXPECT_EQ(dims[0], -1);
  EXPECT_EQ(dims[1], 784);
  EXPECT_EQ(*NodeProducing(*g, "dense_1")->attrs.GetStringOr("activation", "none"),
            "relu");
  EXPECT_FALSE(NodeProducing(*g, "dense_2")->attrs.Has("activation"));

  const Signature* infer = g->FindSignature("infer");
  ASSERT_NE(infer, nullptr);
  ASSERT_EQ(infer->inputs.size(), 1u);
  EXPECT_EQ(infer->inputs[0].name, "x");
  EXPECT_EQ(g->subgraphs[0].tensors[infer->inputs[0].tensor].shape,
            Shape({-1, 28, 28}));
  ASSERT_EQ(infer->outputs.size(), 2u);
  EXPECT_EQ(infer->outputs[0].name, "logits");
  EXPECT_EQ(infer->outputs[1].name, "probabilities");
  EXPECT_EQ(g->subgraphs[0].tensors[infer->outputs[0].tensor].shape,
            Shape({-1, 10}));
  ASSERT_EQ(g->metadata.size(), 1u);
  EXPECT_EQ(g->metadata[0].first, kSpecMetadataKey);
  EXPECT_EQ(g->metadata[0].second, text);
  // The graph serializes and loads back.
  absl::StatusOr<std::string> bytes = SerializeModel(*g);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
}

TEST(SpecTest, WeightsAreSeededGlorotUniformAndZeroBiases) {
  const std::string text = ReadSpec("w0_tflite_tutorial.json");
  absl::StatusOr<Graph> a = CompileSpec(text);
  absl::StatusOr<Graph> b = CompileSpec(text);
  std::string other_seed = text;
  other_seed.replace(other_seed.find("\"seed\": 0"), 9, "\"seed\": 7");
  absl::StatusOr<Graph> c = CompileSpec(other_seed);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  const std::vector<float> k1 = ConstValues(*a, "dense_1/kernel");
  ASSERT_EQ(k1.size(), 784u * 128);
  EXPECT_EQ(k1, ConstValues(*b, "dense_1/kernel"));  // deterministic
  EXPECT_NE(k1, ConstValues(*c, "dense_1/kernel"));  // seed matters
  EXPECT_NE(k1, ConstValues(*a, "dense_2/kernel"));
  const double limit = std::sqrt(6.0 / (784 + 128));
  double sum = 0, sum_sq = 0;
  for (float v : k1) {
    ASSERT_LE(std::fabs(v), limit);
    sum += v;
    sum_sq += double{v} * v;
  }
  // Uniform(-l, l): mean 0, variance l^2/3. 100352 samples: loose bounds.
  EXPECT_NEAR(sum / k1.size(), 0.0, 0.01 * limit);
  EXPECT_NEAR(sum_sq / k1.size(), limit * limit / 3, 0.02 * limit * limit);
  for (float v : ConstValues(*a, "dense_1/bias")) EXPECT_EQ(v, 0.0f);
  // An interpreter's variables start at exactly these values.
  absl::StatusOr<std::shared_ptr<const Model>> model = Model::FromGraph(*a);
  ASSERT_TRUE(model.ok()) << model.status();
  auto interp = Interpreter::Create(*model);
  ASSERT_TRUE(interp.ok()) << interp.status();
  auto live = (*interp)->variables().Get<float>("dense_1/kernel");
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(std::vector<float>(live->begin(), live->end()), k1);
}

TEST(SpecTest, DenseOnlyInferMatchesDirectComputation) {
  const std::string spec = R"({
    "name": "tiny",
    "inputs": [{"name": "features", "shape": [-1, 5]}],
    "layers": [
      {"type": "dense", "name": "hidden", "units": 4, "activation": "relu"},
      {"type": "dropout", "rate": 0.3},
      {"type": "dense", "name": "out", "units": 3}
    ],
    "seed": 3
  })";
  absl::StatusOr<Graph> g = CompileSpec(spec);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_THAT(OpNames(*g), ElementsAre("fully_connected", "fully_connected"));
  ASSERT_EQ(g->signatures[0].outputs.size(), 1u);  // not a classifier
  const int batch = 6;
  const std::vector<float> x = Ramp(batch * 5, 2.0f);
  absl::StatusOr<std::vector<float>> y =
      RunInfer(*g, "features", {batch, 5}, x, "logits");
  ASSERT_TRUE(y.ok()) << y.status();
  std::vector<double> xd(x.begin(), x.end());
  std::vector<double> h =
      DenseRef(xd, ConstValues(*g, "hidden/kernel"),
               ConstValues(*g, "hidden/bias"), batch, 5, 4, true);
  std::vector<double> ref = DenseRef(h, ConstValues(*g, "out/kernel"),
                                     ConstValues(*g, "out/bias"), batch, 4, 3,
                                     false);
  ASSERT_EQ(y->size(), ref.size());
  for (size_t i = 0; i < ref.size(); ++i) {
    EXPECT_NEAR((*y)[i], ref[i], 1e-5) << i;  // float32 sums of 5 terms
  }
}

TEST(SpecTest, W0InferMatchesDirectComputation) {
  absl::StatusOr<Graph> g = CompileSpec(ReadSpec("w0_tflite_tutorial.json"));
  ASSERT_TRUE(g.ok()) << g.status();
  if (!HasKernels(*g)) {
    GTEST_SKIP() << "needs the reshape and softmax kernels";
  }
  const int batch = 3;
  const std::vector<float> x = Ramp(batch * 784, 0.5f);
  absl::StatusOr<std::vector<float>> logits =
      RunInfer(*g, "x", {batch, 28, 28}, x, "logits");
  ASSERT_TRUE(logits.ok()) << logits.status();
  absl::StatusOr<std::vector<float>> probs =
      RunInfer(*g, "x", {batch, 28, 28}, x, "probabilities");
  ASSERT_TRUE(probs.ok()) << probs.status();
  std::vector<double> xd(x.begin(), x.end());
  std::vector<double> h =
      DenseRef(xd, ConstValues(*g, "dense_1/kernel"),
               ConstValues(*g, "dense_1/bias"), batch, 784, 128, true);
  std::vector<double> ref =
      DenseRef(h, ConstValues(*g, "dense_2/kernel"),
               ConstValues(*g, "dense_2/bias"), batch, 128, 10, false);
  for (int i = 0; i < batch; ++i) {
    double max = -1e30, sum = 0;
    for (int j = 0; j < 10; ++j) max = std::max(max, ref[i * 10 + j]);
    for (int j = 0; j < 10; ++j) sum += std::exp(ref[i * 10 + j] - max);
    for (int j = 0; j < 10; ++j) {
      // float32 dot products of length 784 and 128: relative 1e-4.
      EXPECT_NEAR((*logits)[i * 10 + j], ref[i * 10 + j],
                  1e-4 * (1 + std::fabs(ref[i * 10 + j])));
      EXPECT_NEAR((*probs)[i * 10 + j],
                  std::exp(ref[i * 10 + j] - max) / sum, 1e-5);
    }
  }
}

TEST(SpecTest, BatchNormInferenceMatchesFormula) {
  // Initial values: gamma 1, beta 0, moving mean 0, moving variance 1, so
  // y = x / sqrt(1 + eps).
  absl::StatusOr<Graph> g = CompileSpec(R"({
    "inputs": [{"name": "x", "shape": [-1, 3]}],
    "layers": [{"type": "batch_norm", "name": "bn", "epsilon": 0.5}]})");
  ASSERT_TRUE(g.ok()) << g.status();
  if (!HasKernels(*g)) GTEST_SKIP() << "needs the add/mul/sub/rsqrt kernels";
  const std::vector<float> x = {1, -2, 3, 0.5f, 0, -4};
  absl::StatusOr<std::vector<float>> y = RunInfer(*g, "x", {2, 3}, x, "logits");
  ASSERT_TRUE(y.ok()) << y.status();
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR((*y)[i], x[i] / std::sqrt(1.5), 1e-6) << i;
  }
}

TEST(SpecTest, W1W2W3ExamplesCompile) {
  absl::StatusOr<Graph> w3 = CompileSpec(ReadSpec("w3_head.json"));
  ASSERT_TRUE(w3.ok()) << w3.status();
  EXPECT_EQ(FindVariable(*w3, "dense_1/kernel")->shape, Shape({1280, 128}));
  EXPECT_NE(FindVariable(*w3, "dense_2/kernel/adam/m"), nullptr);

  absl::StatusOr<Graph> w1 = CompileSpec(ReadSpec("w1_mlp.json"));
  ASSERT_TRUE(w1.ok()) << w1.status();
  EXPECT_EQ(FindVariable(*w1, "dense_1/kernel")->shape, Shape({784, 256}));
  EXPECT_EQ(FindVariable(*w1, "dense_3/kernel")->shape, Shape({128, 10}));

  // The forward structure of W2 (its train signature needs the conv
  // gradient rules: tests/builder/training_test.cc).
  std::string w2_spec = ReadSpec("w2_cnn.json");
  const size_t opt = w2_spec.find("\n  \"optimizer\"");
  ASSERT_NE(opt, std::string::npos);
  w2_spec.erase(opt, w2_spec.find("\n", opt + 1) - opt);
  absl::StatusOr<Graph> w2 = CompileSpec(w2_spec);
  ASSERT_TRUE(w2.ok()) << w2.status() << w2_spec;
  EXPECT_THAT(OpNames(*w2),
              ElementsAre("conv2d", "max_pool2d", "conv2d", "max_pool2d",
                          "reshape", "fully_connected", "fully_connected",
                          "softmax"));
  EXPECT_EQ(FindVariable(*w2, "conv2d_1/kernel")->shape, Shape({5, 5, 1, 32}));
  EXPECT_EQ(FindVariable(*w2, "conv2d_2/kernel")->shape, Shape({5, 5, 32, 64}));
  EXPECT_EQ(FindVariable(*w2, "conv2d_2/bias")->shape, Shape({64}));
  EXPECT_EQ(FindVariable(*w2, "dense_1/kernel")->shape, Shape({3136, 128}));
  EXPECT_EQ(FindTensor(*w2, "conv2d_1")->shape, Shape({-1, 28, 28, 32}));
  EXPECT_EQ(FindTensor(*w2, "max_pool2d_1")->shape, Shape({-1, 14, 14, 32}));
  EXPECT_EQ(FindTensor(*w2, "max_pool2d_2")->shape, Shape({-1, 7, 7, 64}));
  EXPECT_EQ(FindTensor(*w2, "flatten")->shape, Shape({-1, 3136}));
  const Attributes& conv = NodeProducing(*w2, "conv2d_1")->attrs;
  EXPECT_EQ(*conv.GetInts("strides"), std::vector<int64_t>({1, 1}));
  EXPECT_EQ(*conv.GetInts("dilations"), std::vector<int64_t>({1, 1}));
  EXPECT_EQ(*conv.GetString("padding"), "same");
  EXPECT_EQ(*conv.GetString("activation"), "relu");
  const Attributes& pool = NodeProducing(*w2, "max_pool2d_1")->attrs;
  EXPECT_EQ(*pool.GetInts("ksize"), std::vector<int64_t>({2, 2}));
  EXPECT_EQ(*pool.GetInts("strides"), std::vector<int64_t>({2, 2}));
  EXPECT_EQ(*pool.GetString("padding"), "valid");
}

TEST(SpecTest, OtherLayersBuildTheirOps) {
  const std::string spec = R"({
    "inputs": [{"name": "img", "shape": [-1, 11, 11, 3]}],
    "layers": [
      {"type": "depthwise_conv2d", "name": "dw", "kernel_size": [3, 3],
       "depth_multiplier": 2, "strides": 2, "activation": "relu6"},
      {"type": "batch_norm", "name": "bn", "epsilon": 0.01, "trainable": false},
      {"type": "avg_pool2d", "name": "pool", "pool_size": 2, "strides": 1,
       "padding": "same"},
      {"type": "conv2d", "name": "conv", "filters": 4, "kernel_size": 3,
       "dilation": 2, "activation": "hard_swish", "use_bias": false},
      {"type": "leaky_relu", "name": "lrelu", "alpha": 0.1},
      {"type": "global_avg_pool", "name": "gap"},
      {"type": "reshape", "name": "r", "target_shape": [2, -1]},
      {"type": "activation", "name": "g", "activation": "gelu",
       "approximate": true},
      {"type": "flatten", "name": "f"},
      {"type": "dense", "name": "d", "units": 2, "activation": "elu"}
    ]
  })";
  absl::StatusOr<Graph> g = CompileSpec(spec);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_THAT(OpNames(*g),
              ElementsAre("depthwise_conv2d", "add", "rsqrt", "mul", "mul",
                          "sub", "mul", "add", "avg_pool2d", "conv2d",
                          "hard_swish", "leaky_relu", "mean", "reshape", "gelu",
                          "reshape", "fully_connected", "elu"));
  // depthwise: [kh, kw, in, multiplier], valid padding, stride 2: 11 -> 5.
  EXPECT_EQ(FindVariable(*g, "dw/kernel")->shape, Shape({3, 3, 3, 2}));
  EXPECT_EQ(FindVariable(*g, "dw/bias")->shape, Shape({6}));
  EXPECT_EQ(FindTensor(*g, "dw")->shape, Shape({-1, 5, 5, 6}));
  EXPECT_EQ(*NodeProducing(*g, "dw")->attrs.GetString("activation"), "relu6");
  // batch_norm: params of the channel dim, frozen, as constants.
  for (const char* p : {"gamma", "beta", "moving_mean", "moving_variance"}) {
    const VariableInfo* v = FindVariable(*g, absl::StrCat("bn/", p));
    ASSERT_NE(v, nullptr) << p;
    EXPECT_EQ(v->shape, Shape({6}));
    EXPECT_FALSE(v->trainable);
  }
  EXPECT_EQ(FindVariable(*g, "bn/gamma")->initializer, Initializer::kOnes);
  EXPECT_EQ(FindVariable(*g, "bn/moving_variance")->initializer,
            Initializer::kOnes);
  EXPECT_EQ(FindVariable(*g, "bn/beta")->initializer, Initializer::kZeros);
  EXPECT_THAT(ConstValues(*g, "bn/epsilon"), ElementsAre(0.01f));
  EXPECT_EQ(FindTensor(*g, "bn")->shape, Shape({-1, 5, 5, 6}));
  EXPECT_EQ(FindTensor(*g, "pool")->shape, Shape({-1, 5, 5, 6}));
  // conv 3x3 with dilation 2, valid: effective window 5 on 5x5 -> 1x1.
  EXPECT_EQ(FindTensor(*g, "conv")->shape, Shape({-1, 1, 1, 4}));
  EXPECT_EQ(FindVariable(*g, "conv/kernel")->shape, Shape({3, 3, 6, 4}));
  EXPECT_EQ(FindVariable(*g, "conv/bias"), nullptr);
  const Node* conv = NodeProducing(*g, "conv/linear");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->inputs.size(), 2u);
  EXPECT_EQ(*conv->attrs.GetInts("dilations"), std::vector<int64_t>({2, 2}));
  EXPECT_FALSE(conv->attrs.Has("activation"));
  EXPECT_EQ(*NodeProducing(*g, "lrelu")->attrs.GetFloat("alpha"), 0.1);
  const Node* gap = NodeProducing(*g, "gap");
  EXPECT_EQ(*gap->attrs.GetInts("axes"), std::vector<int64_t>({1, 2}));
  EXPECT_EQ(*gap->attrs.GetInt("keepdims"), 0);
  EXPECT_EQ(FindTensor(*g, "gap")->shape, Shape({-1, 4}));
  EXPECT_EQ(FindTensor(*g, "r")->shape, Shape({-1, 2, 2}));
  EXPECT_EQ(*NodeProducing(*g, "g")->attrs.GetInt("approximate"), 1);
  EXPECT_EQ(FindTensor(*g, "d")->shape, Shape({-1, 2}));
  EXPECT_EQ(*NodeProducing(*g, "d")->attrs.GetFloat("alpha"), 1.0);
  EXPECT_NE(NodeProducing(*g, "d/linear"), nullptr);
}

TEST(SpecTest, ErrorsNameTheLayerAndField) {
  const std::string in = R"("inputs": [{"name": "x", "shape": [-1, 4]}])";
  const std::string in4 = R"("inputs": [{"name": "x", "shape": [-1, 4, 4, 2]}])";
  auto spec = [&](const std::string& layers, const std::string& input = "") {
    return absl::StrCat("{", input.empty() ? in : input, ", \"layers\": [",
                        layers, "]}");
  };
  struct Case {
    std::string spec;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"{\"inputs\": [", "invalid JSON"},
      {"{\"inputs\": 1,\n \"layers\": [] x}", "line 2"},
      {"[1, 2]", "must be a JSON object"},
      {R"({"layers": []})", "field \"inputs\": is required"},
      {absl::StrCat("{", in, "}"), "field \"layers\": is required"},
      {absl::StrCat("{", in, R"(, "layers": [], "metrics": 1})"),
       "field \"metrics\": unknown field"},
      {R"({"inputs": [{"name": "a", "shape": [1]}, {"name": "b", "shape": [1]}],
          "layers": []})",
       "exactly one input"},
      {spec(R"({"type": "dense", "units": 2})",
            R"("inputs": [{"name": "x", "shape": [-1, 0]}])"),
       "inputs[0]: field \"shape\""},
      {spec(R"({"type": "dense", "units": 2})",
            R"("inputs": [{"name": "x", "shape": [-1, 4], "dtype": "int32"}])"),
       "inputs[0]: field \"dtype\""},
      {spec(R"({"type": "dense", "units": 2}, {"type": "dense2", "name": "bad"})"),
       "layer #1 (\"bad\", dense2): field \"type\": unknown layer type"},
      {spec(R"({"type": "dense", "name": "d"})"),
       "layer #0 (\"d\", dense): field \"units\": is required"},
      {spec(R"({"type": "dense", "name": "d", "units": -3})"),
       "field \"units\": must be in [1,"},
      {spec(R"({"type": "dense", "name": "d", "units": "8"})"),
       "field \"units\": must be an integer"},
      {spec(R"({"type": "dense", "name": "d", "unit": 8})"),
       "field \"unit\": unknown field"},
      {spec(R"({"type": "dense", "name": "d", "units": 8, "activation": "swish"})"),
       "unknown activation \"swish\""},
      {spec(R"({"type": "dense", "units": 8}, {"type": "dense", "units": 8,
               "name": "dense_0"})"),
       "\"dense_0\" is used by an earlier layer"},
      {spec(R"({"type": "dense", "name": "a/b", "units": 8})"),
       "field \"name\": must be non-empty and contain no '/'"},
      {spec(R"({"type": "conv2d", "name": "c", "filters": 2, "kernel_size": 3})"),
       "layer #0 (\"c\", conv2d): needs an NHWC input of rank 4"},
      {spec(R"({"type": "conv2d", "name": "c", "filters": 2, "kernel_size": 5})",
            in4),
       "input height 4 is smaller than the (dilated) window 5"},
      {spec(R"({"type": "conv2d", "name": "c", "filters": 2, "kernel_size": 1,
               "padding": "full"})",
            in4),
       "field \"padding\": \"full\" is not one of valid, same"},
      {spec(R"({"type": "conv2d", "name": "c", "filters": 2, "kernel_size": 1,
               "strides": [1]})",
            in4),
       "field \"strides\": must be an integer or a list of two"},
      {spec(R"({"type": "max_pool2d", "name": "p", "pool_size": 0})", in4),
       "field \"pool_size\": values must be in [1,"},
      {spec(R"({"type": "flatten", "name": "f"})",
            R"("inputs": [{"name": "x", "shape": [-1, -1, 3]}])"),
       "layer #0 (\"f\", flatten): needs static non-batch dimensions"},
      {spec(R"({"type": "reshape", "name": "r", "target_shape": [3]})"),
       "field \"target_shape\": [3] holds 3 elements per example"},
      {spec(R"({"type": "reshape", "name": "r", "target_shape": [-1, -1]})"),
       "at most one -1"},
      {spec(R"({"type": "batch_norm", "name": "bn", "axis": 1})"),
       "layer #0 (\"bn\", batch_norm): field \"axis\""},
      {spec(R"({"type": "dropout", "name": "d", "rate": 1.5})"),
       "field \"rate\": must be in"},
      {spec(R"({"type": "dropout"})"), "must compute something"},
      {spec(R"({"type": "activation", "name": "a", "activation": "swish"})"),
       "layer #0 (\"a\", activation): field \"activation\""},
      {spec(R"({"type": "dense", "name": "d", "units": 2000000000})"),
       "is too large"},
      {spec(R"(7)"), "layer #0: must be an object"},
      {absl::StrCat("{", in, R"(, "layers": [{"type": "dense", "units": 2}],
          "loss": {"type": "hinge"}})"),
       "spec loss: field \"type\": \"hinge\" is not one of"},
      {absl::StrCat("{", in, R"(, "layers": [{"type": "dense", "units": 2}],
          "optimizer": {"type": "sgd", "learning_rate": "fast"}})"),
       "spec optimizer: field \"learning_rate\": must be a number"},
      {absl::StrCat("{", in, R"(, "layers": [{"type": "dense", "units": 2}],
          "seed": -1})"),
       "field \"seed\""},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Graph> g = CompileSpec(c.spec);
    ASSERT_FALSE(g.ok()) << c.spec;
    EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument)
        << g.status();
    EXPECT_THAT(g.status().message(), HasSubstr(c.message)) << c.spec;
  }
}

TEST(SpecTest, VariablesAreSeededPerVariableAndFrozenByLayer) {
  absl::StatusOr<Graph> g = CompileSpec(R"({
    "inputs": [{"name": "x", "shape": [-1, 4]}],
    "layers": [
      {"type": "dense", "name": "a", "units": 4, "trainable": false},
      {"type": "dense", "name": "b", "units": 4}
    ],
    "seed": 21})");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_FALSE(FindVariable(*g, "a/kernel")->trainable);
  EXPECT_FALSE(FindVariable(*g, "a/bias")->trainable);
  EXPECT_TRUE(FindVariable(*g, "b/kernel")->trainable);
  // Same shape and initializer, different seeds: different weights.
  EXPECT_NE(FindVariable(*g, "a/kernel")->seed,
            FindVariable(*g, "b/kernel")->seed);
  EXPECT_NE(ConstValues(*g, "a/kernel"), ConstValues(*g, "b/kernel"));
  // No constants hold weights: every parameter is a variable.
  for (const TensorInfo& t : g->subgraphs[0].tensors) {
    EXPECT_TRUE(t.buffer < 0 || t.name.find("kernel") == std::string::npos)
        << t.name;
  }
}

}  // namespace
}  // namespace attune
