#pragma once
// Turns whatever a plugin threw into text for an error message. Internal to the SDK.

#include <string>

namespace oi {

/// Describes the exception being handled; call only inside a catch block. Gives the
/// exception's type and message ("std::runtime_error: lamp current too high") so that a
/// report says what the plugin threw even when the message alone is vague, and a sentence
/// for exceptions that are not std::exception (a plugin may throw anything).
std::string current_exception_text();

}  // namespace oi
