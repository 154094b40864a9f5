#ifndef ATTUNE_ENGINE_ATTRIBUTES_H_
#define ATTUNE_ENGINE_ATTRIBUTES_H_

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace attune {

// One typed attribute value (schema `Attribute`).
using AttrValue = std::variant<int64_t, double, std::string,
                               std::vector<int64_t>, std::vector<double>>;

// The named, typed attributes of one node, e.g. conv2d's "strides" (ints) and
// "padding" (string). Small, so lookups are linear. Getters return
// InvalidArgument naming the attribute when it exists with another type;
// the `Get*Or` forms return the default when it is absent.
class Attributes {
 public:
  Attributes() = default;

  Attributes& Set(absl::string_view name, AttrValue value);
  Attributes& SetInt(absl::string_view name, int64_t v) { return Set(name, v); }
  Attributes& SetFloat(absl::string_view name, double v) { return Set(name, v); }
  Attributes& SetString(absl::string_view name, absl::string_view v) {
    return Set(name, std::string(v));
  }
  Attributes& SetInts(absl::string_view name, std::vector<int64_t> v) {
    return Set(name, std::move(v));
  }
  Attributes& SetFloats(absl::string_view name, std::vector<double> v) {
    return Set(name, std::move(v));
  }

  bool Has(absl::string_view name) const { return Find(name) != nullptr; }
  const AttrValue* Find(absl::string_view name) const;

  absl::StatusOr<int64_t> GetInt(absl::string_view name) const;
  absl::StatusOr<double> GetFloat(absl::string_view name) const;
  absl::StatusOr<std::string> GetString(absl::string_view name) const;
  absl::StatusOr<std::vector<int64_t>> GetInts(absl::string_view name) const;
  absl::StatusOr<std::vector<double>> GetFloats(absl::string_view name) const;

  absl::StatusOr<int64_t> GetIntOr(absl::string_view name, int64_t dflt) const;
  absl::StatusOr<double> GetFloatOr(absl::string_view name, double dflt) const;
  absl::StatusOr<std::string> GetStringOr(absl::string_view name,
                                          absl::string_view dflt) const;
  absl::StatusOr<std::vector<int64_t>> GetIntsOr(
      absl::string_view name, std::vector<int64_t> dflt) const;

  const std::vector<std::pair<std::string, AttrValue>>& entries() const {
    return entries_;
  }

 private:
  std::vector<std::pair<std::string, AttrValue>> entries_;
};

}  // namespace attune

#endif  // ATTUNE_ENGINE_ATTRIBUTES_H_
