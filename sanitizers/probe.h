// sanitizers/probe.h — which sanitizer this translation unit is built with,
// for gcc and clang alike. gcc defines __SANITIZE_ADDRESS__ and
// __SANITIZE_THREAD__; clang defines neither and answers __has_feature
// instead. Neither compiler says anything for UndefinedBehaviorSanitizer, so
// the ubsan and fuzz configs (.bazelrc) define IPCT_SANITIZE_UNDEFINED.
//
//   if constexpr (sanitizers::kThread) { ... TSan defers handlers ... }
//
// Where only the preprocessor will do (a definition that must not exist under
// a sanitizer, such as a replacement operator new), IPCT_BUILT_WITH_ASAN and
// IPCT_BUILT_WITH_TSAN are 1 or 0:
//
//   #if IPCT_BUILT_WITH_ASAN || IPCT_BUILT_WITH_TSAN
#pragma once

#if defined(__has_feature)
#define IPCT_HAS_FEATURE_(x) __has_feature(x)
#else
#define IPCT_HAS_FEATURE_(x) 0
#endif

#if defined(__SANITIZE_ADDRESS__) || IPCT_HAS_FEATURE_(address_sanitizer)
#define IPCT_BUILT_WITH_ASAN 1
#else
#define IPCT_BUILT_WITH_ASAN 0
#endif

#if defined(__SANITIZE_THREAD__) || IPCT_HAS_FEATURE_(thread_sanitizer)
#define IPCT_BUILT_WITH_TSAN 1
#else
#define IPCT_BUILT_WITH_TSAN 0
#endif

namespace sanitizers {

inline constexpr bool kAddress = IPCT_BUILT_WITH_ASAN;
inline constexpr bool kThread = IPCT_BUILT_WITH_TSAN;

#if IPCT_HAS_FEATURE_(memory_sanitizer)
inline constexpr bool kMemory = true;
#else
inline constexpr bool kMemory = false;
#endif

#if defined(IPCT_SANITIZE_UNDEFINED)
inline constexpr bool kUndefined = true;
#else
inline constexpr bool kUndefined = false;
#endif

// A sanitizer runtime that intercepts libc and installs its own signal
// handling (ASan, TSan, MSan): core dumps, alternate stacks and handler timing
// differ from a plain build.
inline constexpr bool kRuntimeInterposes = kAddress || kThread || kMemory;

inline constexpr bool kAny = kRuntimeInterposes || kUndefined;

}  // namespace sanitizers

#undef IPCT_HAS_FEATURE_
