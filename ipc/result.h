// ipc/result.h — the error model of the IPC layer.
//
// Every fallible operation returns Result<T>: either a value or an Error that
// records the errno, the operation ("msgsnd"), a context string ("qid=3, 12
// bytes"), an optional human detail ("queue full") and, for operations that
// move bytes, how many were moved before the failure. No exceptions cross the
// API. Error::message() reads like:
//   msgsnd(qid=3, 12 bytes): Resource temporarily unavailable (queue full)
#pragma once

#include <cerrno>
#include <cstddef>
#include <string>
#include <utility>
#include <variant>

namespace ipc {

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

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
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
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

}  // namespace ipc
