#include "oi/hal/device_state.hpp"

namespace oi::hal {

std::string_view to_string(DeviceState state) {
  switch (state) {
    case DeviceState::kUnconfigured:
      return "Unconfigured";
    case DeviceState::kReady:
      return "Ready";
    case DeviceState::kStreaming:
      return "Streaming";
    case DeviceState::kFault:
      return "Fault";
    case DeviceState::kRecovering:
      return "Recovering";
    case DeviceState::kClosed:
      return "Closed";
  }
  return "?";
}

std::string_view to_string(Transition transition) {
  switch (transition) {
    case Transition::kConfigure:
      return "configure";
    case Transition::kStart:
      return "start";
    case Transition::kStop:
      return "stop";
    case Transition::kClose:
      return "close";
    case Transition::kFault:
      return "fault";
    case Transition::kRecover:
      return "recover";
  }
  return "?";
}

bool is_allowed(DeviceState state, Transition transition) {
  using S = DeviceState;
  using T = Transition;
  switch (transition) {
    case T::kConfigure:
      return state == S::kUnconfigured;
    case T::kStart:
      return state == S::kReady;
    case T::kStop:
      return state == S::kStreaming;
    case T::kClose:
      return state != S::kClosed;
    case T::kFault:
      return state == S::kReady || state == S::kStreaming || state == S::kRecovering;
    case T::kRecover:
      return state == S::kFault;
  }
  return false;
}

std::vector<Transition> allowed_transitions(DeviceState state) {
  std::vector<Transition> out;
  for (Transition t : {Transition::kConfigure, Transition::kStart, Transition::kStop, Transition::kClose,
                       Transition::kFault, Transition::kRecover}) {
    if (is_allowed(state, t)) out.push_back(t);
  }
  return out;
}

}  // namespace oi::hal
