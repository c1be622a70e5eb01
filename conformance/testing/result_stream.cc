// conformance/testing/result_stream.cc — see result_stream.h.
#include "conformance/testing/result_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "conformance/json.h"
#include "conformance/verdict.h"

namespace conformance::testing {
namespace {

class ResultStream : public ::testing::EmptyTestEventListener {
 public:
  explicit ResultStream(int fd) : fd_(fd) {}
  ~ResultStream() override { ::close(fd_); }

  void OnTestStart(const ::testing::TestInfo& info) override {
    Json line = Json::object();
    line.set("event", "start");
    line.set("test", name_of(info));
    emit(line);
  }

  void OnTestEnd(const ::testing::TestInfo& info) override {
    const ::testing::TestResult& r = *info.result();
    std::string message;
    for (int i = 0; i < r.total_part_count(); ++i) {
      const ::testing::TestPartResult& part = r.GetTestPartResult(i);
      if (part.message() == nullptr || *part.message() == '\0') continue;
      if (r.Failed() != part.failed()) continue;  // only the relevant kind
      std::string text;
      if (part.failed() && part.file_name() != nullptr) {
        text = std::string(part.file_name()) + ":" +
               std::to_string(part.line_number()) + "\n";
      }
      text += part.message();
      message += (message.empty() ? "" : "\n") + text;
    }
    Json line = Json::object();
    line.set("event", "end");
    line.set("test", name_of(info));
    line.set("result", r.Failed()    ? "failed"
                       : r.Skipped() ? "skipped"
                                     : "passed");
    line.set("message", message);
    for (int i = 0; i < r.test_property_count(); ++i) {
      const ::testing::TestProperty& p = r.GetTestProperty(i);
      if (std::string(p.key()) == kUncheckedProperty)
        line.set(kUncheckedProperty, p.value());
    }
    emit(line);
  }

 private:
  static std::string name_of(const ::testing::TestInfo& info) {
    return std::string(info.test_suite_name()) + "." + info.name();
  }

  void emit(const Json& line) {
    std::string text = line.dump() + "\n";
    const char* p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // the report will see a truncated stream
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }

  int fd_;
};

}  // namespace

::testing::TestEventListener* make_result_stream_from_env() {
  const char* path = std::getenv("IPCT_RESULTS_STREAM");
  if (path == nullptr || *path == '\0') return nullptr;
  int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::fprintf(stderr, "[ipct] cannot open IPCT_RESULTS_STREAM %s: %s\n",
                 path, std::strerror(errno));
    return nullptr;
  }
  return new ResultStream(fd);
}

}  // namespace conformance::testing
