#pragma once
/// @file
/// `Result<T>`: a value or an error status, for calls that return data (a parameter value, a
/// calibration reference, a loaded table). Data-path code checks it instead of catching
/// exceptions; `Status` (oi/error.hpp) is its value-less form.

#include <optional>
#include <string>
#include <utility>

#include "oi/error.hpp"

namespace oi {

/// A value of type `T` or an error `Status`.
template <class T>
class Result {
 public:
  /// A successful result.
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design, like std::expected
  /// A failed result; `status` must be an error.
  Result(Status status) : status_(std::move(status)) {}  // NOLINT

  /// True when a value is present.
  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  /// Ok, or the error.
  const Status& status() const { return status_; }
  /// The value; throws oi::Error with the status message when there is none.
  const T& value() const {
    if (!value_) throw Error(status_.message());
    return *value_;
  }
  /// The value, movable; throws like value().
  T& value() {
    if (!value_) throw Error(status_.message());
    return *value_;
  }

 private:
  std::optional<T> value_;
  Status status_ = Status::ok();
};

}  // namespace oi
