#include "engine/attributes.h"

#include "absl/strings/str_cat.h"

namespace attune {
namespace {

constexpr const char* kTypeNames[] = {"int", "float", "string", "ints",
                                      "floats"};

template <typename T>
absl::StatusOr<T> GetTyped(const Attributes& attrs, absl::string_view name) {
  const AttrValue* value = attrs.Find(name);
  if (value == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing attribute \"", name, "\""));
  }
  if (const T* typed = std::get_if<T>(value)) return *typed;
  // Ints are accepted where a float is expected.
  if constexpr (std::is_same_v<T, double>) {
    if (const int64_t* i = std::get_if<int64_t>(value)) {
      return static_cast<double>(*i);
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("attribute \"", name, "\" has type ",
                   kTypeNames[value->index()], " but ",
                   kTypeNames[AttrValue(T{}).index()], " is required"));
}

template <typename T>
absl::StatusOr<T> GetTypedOr(const Attributes& attrs, absl::string_view name,
                             T dflt) {
  if (!attrs.Has(name)) return dflt;
  return GetTyped<T>(attrs, name);
}

}  // namespace

Attributes& Attributes::Set(absl::string_view name, AttrValue value) {
  for (auto& [key, existing] : entries_) {
    if (key == name) {
      existing = std::move(value);
      return *this;
    }
  }
  entries_.emplace_back(std::string(name), std::move(value));
  return *this;
}

const AttrValue* Attributes::Find(absl::string_view name) const {
  for (const auto& [key, value] : entries_) {
    if (key == name) return &value;
  }
  return nullptr;
}

absl::StatusOr<int64_t> Attributes::GetInt(absl::string_view name) const {
  return GetTyped<int64_t>(*this, name);
}
absl::StatusOr<double> Attributes::GetFloat(absl::string_view name) const {
  return GetTyped<double>(*this, name);
}
absl::StatusOr<std::string> Attributes::GetString(
    absl::string_view name) const {
  return GetTyped<std::string>(*this, name);
}
absl::StatusOr<std::vector<int64_t>> Attributes::GetInts(
    absl::string_view name) const {
  return GetTyped<std::vector<int64_t>>(*this, name);
}
absl::StatusOr<std::vector<double>> Attributes::GetFloats(
    absl::string_view name) const {
  return GetTyped<std::vector<double>>(*this, name);
}
absl::StatusOr<int64_t> Attributes::GetIntOr(absl::string_view name,
                                             int64_t dflt) const {
  return GetTypedOr<int64_t>(*this, name, dflt);
}
absl::StatusOr<double> Attributes::GetFloatOr(absl::string_view name,
                                              double dflt) const {
  return GetTypedOr<double>(*this, name, dflt);
}
absl::StatusOr<std::string> Attributes::GetStringOr(
    absl::string_view name, absl::string_view dflt) const {
  return GetTypedOr<std::string>(*this, name, std::string(dflt));
}
absl::StatusOr<std::vector<int64_t>> Attributes::GetIntsOr(
    absl::string_view name, std::vector<int64_t> dflt) const {
  return GetTypedOr<std::vector<int64_t>>(*this, name, std::move(dflt));
}

}  // namespace attune
