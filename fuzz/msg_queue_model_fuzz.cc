// fuzz/msg_queue_model_fuzz.cc — System V message queues, differentially: every
// operation runs on a real queue through ipc::MessageQueue and on a reference
// model of the semantics in msgop(2)/msgctl(2); any divergence aborts.
//
// The model (Linux ipc/msg.c):
//   send fits iff cbytes + size <= qbytes and qnum + 1 <= qbytes (the second
//     rule bounds zero-length messages); type < 1 or size > msgmax: EINVAL;
//     full + IPC_NOWAIT: EAGAIN.
//   receive selects: msgtyp 0 → oldest; > 0 → oldest of that type (MSG_EXCEPT:
//     oldest of another type); < 0 → lowest type <= |msgtyp|, oldest among equals;
//     MSG_EXCEPT is ignored for msgtyp <= 0. Nothing selected + IPC_NOWAIT:
//     ENOMSG. Longer than the buffer: E2BIG and the message stays, or with
//     MSG_NOERROR the first bufsize bytes and the rest is lost.
//   IPC_SET of msg_qbytes below the queued bytes keeps the queued messages.
// Blocking operations the model says would block are skipped (no hangs).
// One queue per process is reused; each input starts from an empty queue with
// msg_qbytes = msgmnb.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "ipc/limits.h"
#include "ipc/sysv_msg.h"

namespace {

struct ModelMessage {
  long type;
  std::size_t size;
  std::uint32_t seq;  // payload byte i is (seq + i) & 0xff
};

struct Model {
  std::deque<ModelMessage> queue;
  std::size_t qbytes = 0;
  std::size_t cbytes = 0;

  bool fits(std::size_t size) const {
    return cbytes + size <= qbytes && queue.size() + 1 <= qbytes;
  }

  // Index of the message msgrcv(msgtyp, flags) selects, if any.
  std::optional<std::size_t> select(long msgtyp, bool except) const {
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < queue.size(); ++i) {
      long t = queue[i].type;
      if (msgtyp == 0) return i;
      if (msgtyp > 0) {
        if (except ? t != msgtyp : t == msgtyp) return i;
      } else if (t <= -msgtyp && (!best || t < queue[*best].type)) {
        best = i;
      }
    }
    return best;
  }
};

struct Env {
  ipc::MessageQueue queue;
  ipc::MsgLimits limits;
  ipc::MessageBuffer buffer;
};

Env* g_env = nullptr;

[[noreturn]] void diverged(const std::string& what) {
  std::fprintf(stderr,
               "msg_queue_model_fuzz: kernel/layer and model diverge: %s\n",
               what.c_str());
  std::abort();
}

// The process's one queue, created on first use and removed at exit (libFuzzer
// leaves through exit(), so atexit runs; a crash leaves it to the sandbox's
// private IPC namespace).
Env& env() {
  if (g_env == nullptr) {
    auto limits = ipc::msg_limits();
    if (!limits.ok()) diverged("setup: " + limits.error().message());
    auto q = ipc::MessageQueue::create_private();
    if (!q.ok()) diverged("setup: " + q.error().message());
    g_env = new Env{*q, *limits, ipc::MessageBuffer(limits->msgmax + 64)};
    std::atexit([] { (void)g_env->queue.remove(); });
  }
  return *g_env;
}

std::vector<std::byte> payload(std::uint32_t seq, std::size_t size) {
  std::vector<std::byte> p(size);
  for (std::size_t i = 0; i < size; ++i)
    p[i] = static_cast<std::byte>((seq + i) & 0xff);
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  Env& e = env();
  const ipc::MessageQueue& q = e.queue;
  const std::size_t msgmax = e.limits.msgmax;

  // Start from an empty queue with the default capacity.
  if (auto s = q.set_qbytes(e.limits.msgmnb); !s.ok())
    diverged("reset: " + s.error().message());
  for (;;) {
    auto r = q.receive(0, e.buffer, {.nowait = true, .truncate = true});
    if (!r.ok()) {
      if (r.error().code() != ENOMSG) diverged("drain: " + r.error().message());
      break;
    }
  }
  Model m;
  m.qbytes = e.limits.msgmnb;
  std::uint32_t next_seq = 1;

  fuzz::FuzzInput in(data, size);
  for (int op = 0; op < 64 && !in.empty(); ++op) {
    switch (in.u8() % 4) {
      case 0: {  // send
        std::uint8_t t = in.u8();
        long type = t >= 250 ? static_cast<long>(t) - 251
                             : 1 + t % 8;  // -1, 0 (invalid) or 1..8
        std::size_t len =
            in.boolean() ? in.range(0, 64) : in.range(0, msgmax + 16);
        bool nowait = in.boolean();
        bool valid = type >= 1 && len <= msgmax;
        bool fits = m.fits(len);
        if (valid && !fits && !nowait) break;  // would block
        std::uint32_t seq = next_seq++;
        auto s = q.send(type, payload(seq, len), {.nowait = nowait});
        int want = !valid ? EINVAL : !fits ? EAGAIN : 0;
        int got = s.ok() ? 0 : s.error().code();
        if (got != want) {
          diverged("send(type=" + std::to_string(type) + ", " +
                   std::to_string(len) + " bytes): model errno " +
                   std::to_string(want) + ", got " +
                   (s.ok() ? "success" : s.error().message()));
        }
        if (want == 0) {
          m.queue.push_back({type, len, seq});
          m.cbytes += len;
        }
        break;
      }
      case 1: {  // receive
        long msgtyp = static_cast<long>(in.u8() % 21) - 10;
        bool except = in.boolean();
        bool truncate = in.boolean();
        bool nowait = in.boolean();
        std::size_t bufsize =
            in.boolean() ? in.range(0, 64) : in.range(0, msgmax + 16);
        auto pick = m.select(msgtyp, except);
        if (!pick && !nowait) break;  // would block
        ipc::MessageBuffer buf(bufsize);
        auto r = q.receive(
            msgtyp, buf,
            {.nowait = nowait, .except = except, .truncate = truncate});
        std::string call = "receive(msgtyp=" + std::to_string(msgtyp) +
                           (except ? ", EXCEPT" : "") +
                           (truncate ? ", NOERROR" : "") + ", buf " +
                           std::to_string(bufsize) + ")";
        if (!pick) {
          if (r.ok() || r.error().code() != ENOMSG) {
            diverged(call + ": model ENOMSG, got " +
                     (r.ok() ? "a message" : r.error().message()));
          }
          break;
        }
        const ModelMessage want = m.queue[*pick];
        if (want.size > bufsize && !truncate) {
          if (r.ok() || r.error().code() != E2BIG) {
            diverged(call + ": model E2BIG, got " +
                     (r.ok() ? "a message" : r.error().message()));
          }
          break;  // the message stays queued
        }
        if (!r.ok())
          diverged(call + ": model a message, got " + r.error().message());
        std::size_t n = std::min(want.size, bufsize);
        if (r->type != want.type || r->data.size() != n) {
          diverged(call + ": model type " + std::to_string(want.type) +
                   " size " + std::to_string(n) + ", got type " +
                   std::to_string(r->type) + " size " +
                   std::to_string(r->data.size()));
        }
        auto expect = payload(want.seq, n);
        if (!std::equal(expect.begin(), expect.end(), r->data.begin()))
          diverged(call + ": payload differs");
        m.cbytes -= want.size;
        m.queue.erase(m.queue.begin() + static_cast<std::ptrdiff_t>(*pick));
        break;
      }
      case 2: {  // lower (or restore) msg_qbytes
        std::size_t qbytes = in.range(0, e.limits.msgmnb);
        auto s = q.set_qbytes(qbytes);
        if (!s.ok())
          diverged("set_qbytes(" + std::to_string(qbytes) +
                   "): " + s.error().message());
        m.qbytes = qbytes;
        break;
      }
      case 3: {  // stat
        auto st = q.stat();
        if (!st.ok()) diverged("stat: " + st.error().message());
        if (st->qnum != m.queue.size() || st->cbytes != m.cbytes ||
            st->qbytes != m.qbytes) {
          diverged("stat: model qnum/cbytes/qbytes " +
                   std::to_string(m.queue.size()) + "/" +
                   std::to_string(m.cbytes) + "/" + std::to_string(m.qbytes) +
                   ", got " + std::to_string(st->qnum) + "/" +
                   std::to_string(st->cbytes) + "/" +
                   std::to_string(st->qbytes));
        }
        break;
      }
    }
  }
  return 0;
}
