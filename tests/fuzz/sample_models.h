#ifndef ATTUNE_TESTS_FUZZ_SAMPLE_MODELS_H_
#define ATTUNE_TESTS_FUZZ_SAMPLE_MODELS_H_

// Small valid graphs built directly as IR (no ModelBuilder), shared by the
// model-corruption test, the no-alloc test and the fuzzers' seed corpus.
// Every graph here passes ValidateGraph and plans with only the
// fully_connected kernel, so Interpreter::Create + Invoke work on it.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/graph.h"

namespace attune {
namespace testing_models {

// A constant buffer holding `values` (copied, 64-byte aligned).
ConstantBuffer FloatBuffer(const std::vector<float>& values);

// Deterministic pseudo-random floats in [-1, 1).
std::vector<float> RandomFloats(size_t count, uint64_t seed);

// Appends a float32 constant [rows, cols] (or [rows] when cols < 0) to
// `graph`'s subgraph `subgraph`; returns its tensor index.
int AddFloatConstant(Graph& graph, int subgraph, const std::string& name,
                     const Shape& shape, uint64_t seed);

// Appends a fully_connected node reading `x` (declared [..., k]) with a new
// [k, units] weight (and a bias when `bias`), producing a new tensor declared
// with `out_shape`; returns the output tensor index.
int AddDense(Graph& graph, int subgraph, const std::string& name, int x, int k,
             int units, const Shape& out_shape, bool bias,
             const std::string& activation, uint64_t seed);

// x[-1, in] -> widths[0] -> widths[1] -> ... (relu between layers, none on
// the last), signature "infer" {"x"} -> {"y"}. The model the no-alloc test
// runs; add more ops here as kernels land.
Graph DenseStack(int in, const std::vector<int>& widths);

// An MLP with a dynamic batch, resource variables with several
// initializers, metadata and a quantized constant.
Graph MlpModel();

// Two subgraphs and three signatures (one with two outputs, one with a
// static input shape), attributes of every type and an omitted optional
// bias input.
Graph MultiSignatureModel();

// A two-node model with a static [2, 3] input: the smallest runnable one.
Graph TinyModel();

// {name, graph} for every model above (DenseStack with a small config).
std::vector<std::pair<std::string, Graph>> AllSampleModels();

}  // namespace testing_models
}  // namespace attune

#endif  // ATTUNE_TESTS_FUZZ_SAMPLE_MODELS_H_
