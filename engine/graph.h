#ifndef ATTUNE_ENGINE_GRAPH_H_
#define ATTUNE_ENGINE_GRAPH_H_

// The in-memory graph IR that every producer (ModelBuilder, spec compiler,
// importers) builds, every pass transforms, and the model file serializes.
// Plain structs: a Graph is a value; validation lives in validator.h.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "engine/attributes.h"
#include "engine/dtype.h"
#include "engine/op_code.h"
#include "engine/shape.h"

namespace attune {

// Affine quantization parameters: real = scale * (q - zero_point). One entry
// per tensor, or one per slice along `axis` (per-channel).
struct Quantization {
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int32_t axis = 0;
};

// Immutable constant bytes. Either a view into a memory-mapped model file or
// bytes the graph owns; `owner` keeps whichever alive.
struct ConstantBuffer {
  const uint8_t* data = nullptr;
  size_t size = 0;
  std::shared_ptr<const void> owner;

  absl::Span<const uint8_t> bytes() const { return {data, size}; }
  // Copies `bytes` into storage owned by the returned buffer (64-byte aligned).
  static ConstantBuffer Copy(absl::Span<const uint8_t> bytes);
};

struct TensorInfo {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;                 // -1 marks a dynamic dim
  int buffer = -1;             // index into Graph::buffers; -1: not constant
  std::optional<Quantization> quantization;
};

// One operator application. Input index -1 means an omitted optional input.
struct Node {
  OpCode op = OpCode::kAdd;
  std::vector<int> inputs;
  std::vector<int> outputs;
  Attributes attrs;
};

struct Subgraph {
  std::string name;
  std::vector<TensorInfo> tensors;
  std::vector<Node> nodes;     // topologically ordered
};

enum class Initializer : int8_t {
  kZeros = 0,
  kOnes = 1,
  kConstantBuffer = 2,
  kGlorotUniform = 3,
  kGlorotNormal = 4,
  kHeUniform = 5,
  kHeNormal = 6,
};

// A resource variable: state that lives in the interpreter across calls and
// is shared by all signatures.
struct VariableInfo {
  std::string name;            // "<layer>/<param>"
  DType dtype = DType::kFloat32;
  Shape shape;
  Initializer initializer = Initializer::kZeros;
  int buffer = -1;             // for kConstantBuffer
  uint64_t seed = 0;
  bool trainable = true;
};

// A named input or output of a signature.
struct SignatureIo {
  std::string name;
  int tensor = -1;             // index into the subgraph's tensors
};

struct Signature {
  std::string key;             // "infer", "train", ...
  int subgraph = 0;
  std::vector<SignatureIo> inputs;
  std::vector<SignatureIo> outputs;
};

struct Graph {
  std::string description;
  std::vector<Subgraph> subgraphs;
  std::vector<ConstantBuffer> buffers;
  std::vector<Signature> signatures;
  std::vector<VariableInfo> variables;
  std::vector<std::pair<std::string, std::string>> metadata;

  // nullptr when absent.
  const Signature* FindSignature(absl::string_view key) const;
};

}  // namespace attune

#endif  // ATTUNE_ENGINE_GRAPH_H_
