// conformance/testing/watchdog.cc — see watchdog.h.
#include "conformance/testing/watchdog.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "cli/number.h"

namespace conformance::testing {
namespace {

class Watchdog : public ::testing::EmptyTestEventListener {
 public:
  explicit Watchdog(int seconds) : limit_(seconds) {
    // Block every signal while creating the thread: it inherits the mask.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    thread_ = std::thread([this] { watch(); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
  ~Watchdog() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void OnTestStart(const ::testing::TestInfo& info) override {
    std::lock_guard<std::mutex> lock(mu_);
    test_ = std::string(info.test_suite_name()) + "." + info.name();
    deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(limit_);
    ++generation_;
    cv_.notify_all();
  }
  void OnTestEnd(const ::testing::TestInfo&) override {
    std::lock_guard<std::mutex> lock(mu_);
    test_.clear();
    ++generation_;
    cv_.notify_all();
  }

 private:
  void watch() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      if (test_.empty()) {
        cv_.wait(lock);
        continue;
      }
      long gen = generation_;
      if (cv_.wait_until(lock, deadline_,
                         [&] { return stop_ || generation_ != gen; }))
        continue;
      std::fprintf(stderr, "[ipct] watchdog: %s still running after %d s\n",
                   test_.c_str(), limit_);
      std::fflush(stderr);
      ::_exit(kWatchdogExit);
    }
  }

  const int limit_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string test_;  // empty between tests
  std::chrono::steady_clock::time_point deadline_;
  long generation_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

::testing::TestEventListener* make_watchdog_from_env() {
  const char* v = std::getenv("IPCT_TEST_TIMEOUT");
  if (v == nullptr) return nullptr;
  // The report's --test-timeout, parsed by the same rules.
  auto seconds = cli::parse_number<int>("IPCT_TEST_TIMEOUT", v, 0, 604800);
  if (!seconds) {
    std::fprintf(stderr, "%s\n", seconds.error().message().c_str());
    std::exit(2);
  }
  return *seconds > 0 ? new Watchdog(*seconds) : nullptr;
}

}  // namespace conformance::testing
