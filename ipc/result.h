// ipc/result.h — the error model of the IPC layer.
//
// Every fallible operation returns Result<T>: either a value or an Error that
// records the errno, the operation ("msgsnd"), a context string ("qid=3, 12
// bytes"), an optional human detail ("queue full") and, for operations that
// move bytes, how many were moved before the failure. No exceptions cross the
// API. Error::message() reads like:
//   msgsnd(qid=3, 12 bytes): Resource temporarily unavailable (queue full)
//
// Asking an error for its value (value(), *, ->) or a value for its error is
// a programming error, not an error value: it prints
//   ipc::Result: value() of an error: msgsnd(qid=3, 12 bytes): ...
// to stderr and aborts (never std::bad_variant_access). Tests that link
// //ipc/testing replace that with a test failure (set_result_misuse_handler).
#pragma once

#include <cerrno>
#include <cstddef>
#include <string>
#include <utility>
#include <variant>

namespace ipc {

class Error;

// Called by value() of an error (`error` is it) and by error() of a value
// (`error` is null); `what` names the call. Must not return: the default
// prints "ipc::Result: WHAT: MESSAGE" to stderr and calls std::abort(), and
// so does the layer if a handler returns.
using ResultMisuseHandler = void (*)(const char* what, const Error* error);
// Installs `handler` (nullptr: the default) and returns the previous one.
ResultMisuseHandler set_result_misuse_handler(ResultMisuseHandler handler);
// Runs the handler; out of line, so value() stays small.
[[noreturn]] void result_misuse(const char* what, const Error* error);
// What the default handler prints, without the trailing newline.
std::string result_misuse_message(const char* what, const Error* error);

class [[nodiscard]] Error {
 public:
  Error(int code, std::string op, std::string context = {},
        std::string detail = {})
      : code_(code),
        op_(std::move(op)),
        context_(std::move(context)),
        detail_(std::move(detail)) {}

  // Captures the current errno; call right after the failing call.
  static Error from_errno(std::string op, std::string context = {}) {
    return Error(errno, std::move(op), std::move(context));
  }

  int code() const { return code_; }
  const std::string& op() const { return op_; }
  const std::string& context() const { return context_; }
  const std::string& detail() const { return detail_; }
  // Bytes (or messages) transferred before the failure, for partial operations.
  std::size_t transferred() const { return transferred_; }

  Error&& with_detail(std::string detail) && {
    detail_ = std::move(detail);
    return std::move(*this);
  }
  Error&& with_transferred(std::size_t n) && {
    transferred_ = n;
    return std::move(*this);
  }

  // "op(context): strerror (detail) [after N bytes]".
  std::string message() const;

 private:
  int code_;
  std::string op_;
  std::string context_;
  std::string detail_;
  std::size_t transferred_ = 0;
};

// A value of type T or an Error. Result<void> carries only success or Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value)
      : v_(std::in_place_index<0>, std::move(value)) {
  }  // NOLINT: implicit by design
  Result(Error error)
      : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // The value; on an error, result_misuse() (above).
  T& value() & { return *value_or_die(); }
  const T& value() const& { return *value_or_die(); }
  T&& value() && { return std::move(*value_or_die()); }
  T* operator->() { return value_or_die(); }
  const T* operator->() const { return value_or_die(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  // The error; on a value, result_misuse().
  const Error& error() const& { return *error_or_die(); }
  Error&& error() && { return std::move(*error_or_die()); }

 private:
  T* value_or_die() {
    return const_cast<T*>(std::as_const(*this).value_or_die());
  }
  const T* value_or_die() const {
    const T* v = std::get_if<0>(&v_);
    if (v == nullptr) [[unlikely]]
      result_misuse("value() of an error", std::get_if<1>(&v_));
    return v;
  }
  Error* error_or_die() {
    Error* e = std::get_if<1>(&v_);
    if (e == nullptr) [[unlikely]]
      result_misuse("error() of a value", nullptr);
    return e;
  }
  const Error* error_or_die() const {
    return const_cast<Result*>(this)->error_or_die();
  }

  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  // User-provided, so that a success (ok_status()) is not first zero-filled
  // whole (value-initialisation) and then constructed: it is returned on
  // every successful call.
  Result() : error_(0, std::string()) {}
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  // The error; on success, result_misuse().
  const Error& error() const& {
    if (ok_) [[unlikely]]
      result_misuse("error() of a value", nullptr);
    return error_;
  }
  Error&& error() && {
    if (ok_) [[unlikely]]
      result_misuse("error() of a value", nullptr);
    return std::move(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

}  // namespace ipc
