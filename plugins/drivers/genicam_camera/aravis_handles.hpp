#pragma once
/// @file
/// Ownership of Aravis / GLib objects in C++ types: a GObject reference is a
/// `GObjectPtr<T>` (unreferenced exactly once), a `GError` is collected by an `ErrorSlot`
/// that turns it into a message and frees it.

#include <arv.h>

#include <memory>
#include <string>

namespace oi::genicam {

/// Drops one GObject reference.
struct GObjectUnref {
  void operator()(gpointer object) const {
    if (object != nullptr) g_object_unref(object);
  }
};

/// One owned reference to a GObject of type T (ArvCamera, ArvStream, ArvBuffer, ...).
template <class T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;

/// Frees a g_malloc'ed array returned by an Aravis `dup` function.
struct GFree {
  void operator()(gpointer p) const { g_free(p); }
};

/// Receives a GError from one Aravis call: pass `slot.out()` where a `GError**` is expected,
/// then test the slot. The error is freed when the slot is destroyed or reused.
class ErrorSlot {
 public:
  ErrorSlot() = default;
  ErrorSlot(const ErrorSlot&) = delete;
  ErrorSlot& operator=(const ErrorSlot&) = delete;
  ~ErrorSlot() { g_clear_error(&error_); }

  /// For the `GError**` parameter; clears an earlier error first. A named call rather than a
  /// conversion, so that testing the slot can never pick the pointer (and clear the error).
  GError** out() {
    g_clear_error(&error_);
    return &error_;
  }
  /// True when the call failed.
  explicit operator bool() const { return error_ != nullptr; }
  /// The error text ("" when none).
  std::string message() const {
    return error_ != nullptr && error_->message != nullptr ? error_->message : "";
  }

 private:
  GError* error_ = nullptr;
};

}  // namespace oi::genicam
