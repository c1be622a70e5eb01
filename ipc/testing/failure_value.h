// ipc/testing/failure_value.h — whether a system call's result is its failure
// value: -1, or (void*)-1 (MAP_FAILED, shmat's failure) for calls returning a
// pointer. The matchers, the child checks and RetryEINTR all ask this.
#pragma once

#include <cstdint>
#include <type_traits>

namespace ipc::testing {

template <typename T>
bool IsFailureValue(const T& v) {
  if constexpr (std::is_pointer_v<T>) {
    return v == reinterpret_cast<T>(-1);
  } else {
    return v == static_cast<T>(-1);
  }
}

// A result as a number for messages (a pointer's address).
template <typename T>
long long AsNumber(const T& v) {
  if constexpr (std::is_pointer_v<T>) {
    return static_cast<long long>(reinterpret_cast<std::intptr_t>(v));
  } else {
    return static_cast<long long>(v);
  }
}

}  // namespace ipc::testing
