// conformance/selftest/mq_getattr_empty.cc — deviation: mq_getattr reports an
// empty queue (mq_curmsgs 0) whatever it holds (mq_getattr(3): "mq_curmsgs:
// number of messages currently in queue").
#include <mqueue.h>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) int mq_getattr(
    mqd_t mq, struct mq_attr* attr) {
  static auto* real = selftest::next<int(mqd_t, struct mq_attr*)>("mq_getattr");
  int r = real(mq, attr);
  if (r == 0) attr->mq_curmsgs = 0;
  return r;
}
