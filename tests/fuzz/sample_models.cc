#include "tests/fuzz/sample_models.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace attune {
namespace testing_models {

ConstantBuffer FloatBuffer(const std::vector<float>& values) {
  return ConstantBuffer::Copy({reinterpret_cast<const uint8_t*>(values.data()),
                               values.size() * sizeof(float)});
}

std::vector<float> RandomFloats(size_t count, uint64_t seed) {
  // SplitMix64: tiny, deterministic on every platform.
  std::vector<float> out(count);
  uint64_t state = seed;
  for (float& v : out) {
    state += 0x9E3779B97F4A7C15ull;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    v = static_cast<float>(z >> 40) / static_cast<float>(1 << 23) - 1.0f;
  }
  return out;
}

int AddFloatConstant(Graph& graph, int subgraph, const std::string& name,
                     const Shape& shape, uint64_t seed) {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  graph.buffers.push_back(FloatBuffer(RandomFloats(count, seed)));
  TensorInfo info;
  info.name = name;
  info.dtype = DType::kFloat32;
  info.shape = shape;
  info.buffer = static_cast<int>(graph.buffers.size()) - 1;
  auto& tensors = graph.subgraphs[subgraph].tensors;
  tensors.push_back(std::move(info));
  return static_cast<int>(tensors.size()) - 1;
}

namespace {

int AddActivation(Graph& graph, int subgraph, const std::string& name,
                  DType dtype, const Shape& shape) {
  TensorInfo info;
  info.name = name;
  info.dtype = dtype;
  info.shape = shape;
  auto& tensors = graph.subgraphs[subgraph].tensors;
  tensors.push_back(std::move(info));
  return static_cast<int>(tensors.size()) - 1;
}

}  // namespace

int AddDense(Graph& graph, int subgraph, const std::string& name, int x, int k,
             int units, const Shape& out_shape, bool bias,
             const std::string& activation, uint64_t seed) {
  const int w =
      AddFloatConstant(graph, subgraph, name + "/kernel", {k, units}, seed);
  Node node;
  node.op = OpCode::kFullyConnected;
  node.inputs = {x, w};
  if (bias) {
    node.inputs.push_back(
        AddFloatConstant(graph, subgraph, name + "/bias", {units}, seed + 1));
  }
  const int y =
      AddActivation(graph, subgraph, name, DType::kFloat32, out_shape);
  node.outputs = {y};
  if (!activation.empty()) node.attrs.SetString("activation", activation);
  graph.subgraphs[subgraph].nodes.push_back(std::move(node));
  return y;
}

Graph DenseStack(int in, const std::vector<int>& widths) {
  Graph graph;
  graph.description = "dense stack";
  graph.subgraphs.emplace_back();
  graph.subgraphs[0].name = "main";
  const int x = AddActivation(graph, 0, "x", DType::kFloat32, {-1, in});
  int h = x;
  int k = in;
  for (size_t i = 0; i < widths.size(); ++i) {
    const bool last = i + 1 == widths.size();
    h = AddDense(graph, 0, absl::StrCat("dense_", i), h, k, widths[i],
                 {-1, widths[i]}, /*bias=*/true, last ? "" : "relu",
                 100 + 10 * i);
    k = widths[i];
  }
  graph.signatures.push_back({"infer", 0, {{"x", x}}, {{"y", h}}});
  return graph;
}

Graph MlpModel() {
  Graph graph = DenseStack(8, {16, 4});
  graph.description = "mlp with variables";
  graph.metadata = {{"author", "attune tests"}, {"task", "corruption"}};
  // A per-channel quantized int8 constant nobody reads.
  std::vector<int8_t> q(2 * 3);
  for (size_t i = 0; i < q.size(); ++i) q[i] = static_cast<int8_t>(i * 7 - 20);
  graph.buffers.push_back(ConstantBuffer::Copy(
      {reinterpret_cast<const uint8_t*>(q.data()), q.size()}));
  TensorInfo quantized;
  quantized.name = "quantized";
  quantized.dtype = DType::kInt8;
  quantized.shape = {2, 3};
  quantized.buffer = static_cast<int>(graph.buffers.size()) - 1;
  quantized.quantization = Quantization{{0.5f, 0.25f, 0.125f}, {0, 1, -1}, 1};
  graph.subgraphs[0].tensors.push_back(std::move(quantized));

  graph.buffers.push_back(FloatBuffer(RandomFloats(4, 7)));
  const int init_buffer = static_cast<int>(graph.buffers.size()) - 1;
  graph.variables.push_back({"dense_0/kernel",
                             DType::kFloat32,
                             {8, 16},
                             Initializer::kGlorotUniform,
                             -1,
                             42,
                             true});
  graph.variables.push_back({"dense_0/bias",
                             DType::kFloat32,
                             {16},
                             Initializer::kZeros,
                             -1,
                             0,
                             true});
  graph.variables.push_back({"scale",
                             DType::kFloat32,
                             {4},
                             Initializer::kConstantBuffer,
                             init_buffer,
                             0,
                             false});
  graph.variables.push_back(
      {"optimizer/step", DType::kInt64, {}, Initializer::kZeros, -1, 0, false});
  return graph;
}

Graph MultiSignatureModel() {
  Graph graph;
  graph.description = "two subgraphs, three signatures";
  graph.subgraphs.resize(2);
  graph.subgraphs[0].name = "encoder";
  graph.subgraphs[1].name = "static_head";

  // Subgraph 0: x[-1, 6] -> a[-1, 5] (no bias, every attribute type)
  //                       -> b[-1, 3] (bias, sigmoid).
  const int x = AddActivation(graph, 0, "x", DType::kFloat32, {-1, 6});
  const int w = AddFloatConstant(graph, 0, "enc/kernel", {6, 5}, 11);
  const int a = AddActivation(graph, 0, "enc", DType::kFloat32, {-1, 5});
  Node node;
  node.op = OpCode::kFullyConnected;
  node.inputs = {x, w, -1};  // omitted optional bias
  node.outputs = {a};
  node.attrs.SetString("activation", "tanh")
      .SetInt("unused_int", -3)
      .SetFloat("unused_float", 0.5)
      .SetInts("unused_ints", {1, -1, 1LL << 40})
      .SetFloats("unused_floats", {0.25, -8.0});
  graph.subgraphs[0].nodes.push_back(std::move(node));
  const int b =
      AddDense(graph, 0, "proj", a, 5, 3, {-1, 3}, true, "sigmoid", 21);
  graph.signatures.push_back({"infer", 0, {{"x", x}}, {{"y", b}}});
  graph.signatures.push_back(
      {"embed", 0, {{"x", x}}, {{"embedding", a}, {"projection", b}}});

  // Subgraph 1: u[3, 4] -> [3, 2] (relu6).
  const int u = AddActivation(graph, 1, "u", DType::kFloat32, {3, 4});
  const int v = AddDense(graph, 1, "head", u, 4, 2, {3, 2}, true, "relu6", 31);
  graph.signatures.push_back({"head", 1, {{"u", u}}, {{"v", v}}});
  graph.metadata = {{"min_runtime", "0.1"}};
  return graph;
}

Graph TinyModel() {
  Graph graph;
  graph.description = "tiny";
  graph.subgraphs.resize(1);
  const int x = AddActivation(graph, 0, "x", DType::kFloat32, {2, 3});
  const int h = AddDense(graph, 0, "d0", x, 3, 2, {2, 2}, true, "relu", 1);
  const int y = AddDense(graph, 0, "d1", h, 2, 1, {2, 1}, false, "", 2);
  graph.signatures.push_back({"infer", 0, {{"x", x}}, {{"y", y}}});
  return graph;
}

std::vector<std::pair<std::string, Graph>> AllSampleModels() {
  std::vector<std::pair<std::string, Graph>> out;
  out.emplace_back("mlp", MlpModel());
  out.emplace_back("multi_signature", MultiSignatureModel());
  out.emplace_back("tiny", TinyModel());
  out.emplace_back("dense_stack", DenseStack(4, {8, 8, 2}));
  return out;
}

}  // namespace testing_models
}  // namespace attune
