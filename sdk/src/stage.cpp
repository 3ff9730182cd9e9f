#include "oi/stage.hpp"

#include <algorithm>

namespace oi {
namespace {

template <class T>
int index_of(const std::vector<T>& items, std::string_view name) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string port_names(const std::vector<PortSpec>& ports) {
  std::string names;
  for (const PortSpec& p : ports) names += (names.empty() ? "" : ", ") + p.name;
  return names.empty() ? "none" : names;
}

}  // namespace

PortSpec& StageSpec::input(std::string name, PortType type, std::string description) {
  if (input_index(name) >= 0) throw Error("input port '" + name + "' is declared twice");
  inputs_.push_back(PortSpec{std::move(name), std::move(type), true, std::move(description)});
  return inputs_.back();
}

PortSpec& StageSpec::output(std::string name, PortType type, std::string description) {
  if (output_index(name) >= 0) throw Error("output port '" + name + "' is declared twice");
  outputs_.push_back(PortSpec{std::move(name), std::move(type), false, std::move(description)});
  return outputs_.back();
}

ParamSpec& StageSpec::param(std::string name, ParamType type) {
  return add(ParamSpec(std::move(name), type));
}

ParamSpec& StageSpec::add(ParamSpec param) {
  if (find_param(param.name()) != nullptr) throw Error("parameter '" + param.name() + "' is declared twice");
  params_.push_back(std::move(param));
  return params_.back();
}

void StageSpec::unbind() {
  for (ParamSpec& param : params_) param.unbind();
}

const std::string* StageSpec::new_name_of(std::string_view old_name) const {
  auto it = renamed_.find(old_name);
  return it == renamed_.end() ? nullptr : &it->second;
}

int StageSpec::input_index(std::string_view name) const { return index_of(inputs_, name); }
int StageSpec::output_index(std::string_view name) const { return index_of(outputs_, name); }

const ParamSpec* StageSpec::find_param(std::string_view name) const {
  auto it =
      std::find_if(params_.begin(), params_.end(), [&](const ParamSpec& p) { return p.name() == name; });
  return it == params_.end() ? nullptr : &*it;
}

FramePtr StageContext::take(std::string_view port) {
  const int index = spec().input_index(port);
  if (index < 0) {
    throw Error("stage '" + stage_name() + "' has no input port '" + std::string(port) +
                "' (inputs: " + port_names(spec().inputs()) + ")");
  }
  return take(static_cast<std::size_t>(index));
}

void StageContext::emit(std::string_view port, FramePtr frame) {
  const int index = spec().output_index(port);
  if (index < 0) {
    throw Error("stage '" + stage_name() + "' has no output port '" + std::string(port) +
                "' (outputs: " + port_names(spec().outputs()) + ")");
  }
  emit(static_cast<std::size_t>(index), std::move(frame));
}

}  // namespace oi
