// ipc/testing/cleanup.h — run a function when a scope ends, on every path
// (as gVisor's test/util/cleanup.h and absl::Cleanup):
//
//   Cleanup remove_queue([id] { ::msgctl(id, IPC_RMID, nullptr); });
//   ...
//   remove_queue.release();   // the object outlives the scope after all
#pragma once

#include <functional>
#include <utility>

namespace ipc::testing {

class [[nodiscard]] Cleanup {
 public:
  Cleanup() = default;
  explicit Cleanup(std::function<void()> f) : f_(std::move(f)) {}
  Cleanup(Cleanup&& other) noexcept : f_(std::exchange(other.f_, nullptr)) {}
  Cleanup& operator=(Cleanup&& other) noexcept {
    run();
    f_ = std::exchange(other.f_, nullptr);
    return *this;
  }
  Cleanup(const Cleanup&) = delete;
  Cleanup& operator=(const Cleanup&) = delete;
  ~Cleanup() { run(); }

  // Runs the function now (once); the destructor then does nothing.
  void run() {
    if (f_) std::exchange(f_, nullptr)();
  }
  // Forgets the function without running it.
  void release() { f_ = nullptr; }

 private:
  std::function<void()> f_;
};

}  // namespace ipc::testing
