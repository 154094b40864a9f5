#include "engine/graph.h"

#include <cstdlib>
#include <cstring>

namespace attune {

ConstantBuffer ConstantBuffer::Copy(absl::Span<const uint8_t> bytes) {
  const size_t rounded = (bytes.size() + 63) / 64 * 64;
  void* storage = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
  if (!bytes.empty()) std::memcpy(storage, bytes.data(), bytes.size());
  ConstantBuffer buffer;
  buffer.data = static_cast<const uint8_t*>(storage);
  buffer.size = bytes.size();
  buffer.owner = std::shared_ptr<const void>(storage, std::free);
  return buffer;
}

const Signature* Graph::FindSignature(absl::string_view key) const {
  for (const Signature& signature : signatures) {
    if (signature.key == key) return &signature;
  }
  return nullptr;
}

}  // namespace attune
