#include "oi/params.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "oi/error.hpp"

namespace oi {
namespace {

// Whole numbers in plain digits (a range of 1073741824 bytes, not 1.07374e+09); others as
// the stream writes them.
std::string format_number(double v) {
  if (std::abs(v) < 1e15 && v == std::floor(v)) return std::to_string(static_cast<long long>(v));
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& s : items) text += (text.empty() ? "" : ", ") + s;
  return text;
}

std::string type_word(ParamType type) {
  switch (type) {
    case ParamType::kBool:
      return "a bool (true or false)";
    case ParamType::kInt:
      return "an int";
    case ParamType::kFloat:
      return "a float";
    case ParamType::kString:
      return "a string";
    case ParamType::kEnum:
      return "one of";
    case ParamType::kList:
      return "a list";
    case ParamType::kPath:
      return "a path";
  }
  return "a value";
}

bool is_integer(const ParamValue& v) { return v.is_number_integer(); }

// Values come from user files: invalid UTF-8 must still print, never throw.
std::string show(const ParamValue& v) {
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string_view to_string(ParamType type) {
  switch (type) {
    case ParamType::kBool:
      return "bool";
    case ParamType::kInt:
      return "int";
    case ParamType::kFloat:
      return "float";
    case ParamType::kString:
      return "string";
    case ParamType::kEnum:
      return "enum";
    case ParamType::kList:
      return "list";
    case ParamType::kPath:
      return "path";
  }
  return "?";
}

ParamSpec& ParamSpec::default_value(ParamValue value) {
  // A float parameter given an integer default stores it as a float, so get<double>() and
  // the generated docs agree with the declared type.
  if (type_ == ParamType::kFloat && value.is_number_integer()) value = value.get<double>();
  default_ = std::move(value);
  return *this;
}
ParamSpec& ParamSpec::without_default() {
  default_.reset();
  return *this;
}

ParamSpec& ParamSpec::one_of(std::vector<std::string> values) {
  type_ = ParamType::kEnum;
  allowed_ = std::move(values);
  return *this;
}

void ParamSpec::assign(const ParamValue& value, const std::filesystem::path& base) const {
  if (binding_) binding_->assign(value, base);
}

ParamValue ParamSpec::bound_value() const { return binding_ ? binding_->read() : ParamValue(nullptr); }

void assign_bound(const std::vector<ParamSpec>& params, const ParamSet& values,
                  const std::filesystem::path& base) {
  for (const ParamSpec& param : params) {
    if (param.bound() && values.has(param.name())) param.assign(values.raw(param.name()), base);
  }
}

namespace param_detail {
void throw_bind_error(const std::string& name, const ParamValue& value, std::string_view wanted) {
  throw ConfigError("parameter '" + name + "' = " + show(value) +
                    " cannot be stored: the member it is bound to " + "takes " + std::string(wanted) +
                    "; give the declaration a range or type that matches");
}
}  // namespace param_detail

ParamSpec& ParamSpec::range(double lo, double hi) {
  min_ = lo;
  max_ = hi;
  return *this;
}
ParamSpec& ParamSpec::min(double lo) {
  min_ = lo;
  return *this;
}
ParamSpec& ParamSpec::max(double hi) {
  max_ = hi;
  return *this;
}
ParamSpec& ParamSpec::allowed(std::vector<std::string> values) {
  allowed_ = std::move(values);
  return *this;
}
ParamSpec& ParamSpec::element_type(ParamType type) {
  element_type_ = type;
  return *this;
}
ParamSpec& ParamSpec::unit(std::string unit) {
  unit_ = std::move(unit);
  return *this;
}
ParamSpec& ParamSpec::describe(std::string text) {
  description_ = std::move(text);
  return *this;
}

std::string ParamSpec::type_description() const {
  auto constraints = [this](ParamType type) {
    std::string text;
    if (type == ParamType::kEnum) return "{" + join(allowed_) + "}";
    if ((type == ParamType::kInt || type == ParamType::kFloat) && (min_ || max_)) {
      if (min_ && max_) {
        text = " in [" + format_number(*min_) + ", " + format_number(*max_) + "]";
      } else if (min_) {
        text = " >= " + format_number(*min_);
      } else {
        text = " <= " + format_number(*max_);
      }
    }
    if (type == ParamType::kString && !allowed_.empty()) text = " in {" + join(allowed_) + "}";
    return text;
  };
  std::string text;
  if (type_ == ParamType::kList) {
    text = "list of " + std::string(to_string(element_type_));
    if (element_type_ == ParamType::kEnum) {
      text += " " + constraints(element_type_);
    } else {
      text += constraints(element_type_);
    }
  } else if (type_ == ParamType::kEnum) {
    text = "enum " + constraints(type_);
  } else {
    text = std::string(to_string(type_)) + constraints(type_);
  }
  if (!unit_.empty()) text += " (" + unit_ + ")";
  return text;
}

std::optional<std::string> ParamSpec::check_scalar(ParamType type, const ParamValue& value) const {
  const std::string got = "got " + show(value);
  auto out_of_range = [&](double v) -> std::optional<std::string> {
    if ((min_ && v < *min_) || (max_ && v > *max_) || std::isnan(v)) {
      return "value " + format_number(v) + (unit_.empty() ? "" : " " + unit_) + " is out of range: expects " +
             type_description();
    }
    return std::nullopt;
  };
  switch (type) {
    case ParamType::kBool:
      if (!value.is_boolean()) return "expects " + type_word(type) + ", " + got;
      return std::nullopt;
    case ParamType::kInt:
      if (!is_integer(value)) return "expects " + type_description() + ", " + got;
      return out_of_range(value.get<double>());
    case ParamType::kFloat:
      if (!value.is_number()) return "expects " + type_description() + ", " + got;
      return out_of_range(value.get<double>());
    case ParamType::kString:
    case ParamType::kPath:
      if (!value.is_string()) return "expects " + type_word(type) + ", " + got;
      if (type == ParamType::kString && !allowed_.empty() &&
          std::find(allowed_.begin(), allowed_.end(), value.get<std::string>()) == allowed_.end()) {
        return "value " + got.substr(4) + " is not allowed: expects one of {" + join(allowed_) + "}";
      }
      return std::nullopt;
    case ParamType::kEnum:
      if (!value.is_string() ||
          std::find(allowed_.begin(), allowed_.end(), value.get<std::string>()) == allowed_.end()) {
        return "value " + show(value) + " is not allowed: expects one of {" + join(allowed_) + "}";
      }
      return std::nullopt;
    case ParamType::kList:
      return "lists of lists are not supported";
  }
  return std::nullopt;
}

std::optional<std::string> ParamSpec::check(const ParamValue& value) const {
  if (type_ != ParamType::kList) return check_scalar(type_, value);
  if (!value.is_array()) return "expects " + type_description() + ", got " + show(value);
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (auto problem = check_scalar(element_type_, value[i])) {
      return "element " + std::to_string(i) + ": " + *problem;
    }
  }
  return std::nullopt;
}

nlohmann::json ParamSpec::to_json() const {
  nlohmann::json j;
  j["name"] = name_;
  j["type"] = to_string(type_);
  if (type_ == ParamType::kList) j["element_type"] = to_string(element_type_);
  j["required"] = required();
  j["default"] = default_ ? *default_ : nlohmann::json(nullptr);
  j["min"] = min_ ? nlohmann::json(*min_) : nlohmann::json(nullptr);
  j["max"] = max_ ? nlohmann::json(*max_) : nlohmann::json(nullptr);
  j["allowed"] = allowed_;
  j["unit"] = unit_;
  j["description"] = description_;
  j["summary"] = type_description();
  return j;
}

bool ParamSet::has(std::string_view name) const { return values_.find(std::string(name)) != values_.end(); }

const ParamValue& ParamSet::raw(std::string_view name) const {
  auto it = values_.find(std::string(name));
  if (it == values_.end()) {
    std::string known;
    for (const auto& [k, v] : values_) known += (known.empty() ? "" : ", ") + k;
    throw ConfigError("parameter '" + std::string(name) + "' has no value (parameters with values: " +
                      (known.empty() ? "none" : known) + "); declare it in setup() with a default");
  }
  return it->second;
}

void ParamSet::throw_type_mismatch(std::string_view name, const ParamValue& v) {
  throw ConfigError("parameter '" + std::string(name) + "' holds " + show(v) +
                    ", which is not of the type the stage asked for; the declaration and the "
                    "get<T>() call disagree");
}

}  // namespace oi
