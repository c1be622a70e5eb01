// ipc/sysv_msg.h — System V message queues (msgget/msgsnd/msgrcv/msgctl).
//
// A queue lives in the kernel until removed (IPC_RMID), whoever created it.
// MessageQueue is a plain, copyable handle around the queue id; QueueOwner is
// the RAII owner that removes the queue when it goes out of scope.
//
//   auto q = ipc::MessageQueue::create_private();          // 0600
//   ipc::QueueOwner owner(*q);
//   q->send(1, ipc::as_bytes("hello"));
//   ipc::MessageBuffer buf(8192);
//   auto m = q->receive(0, buf);                           // m->type, m->data
//
// Messages are atomic: a send or receive moves a whole message or nothing, so
// retrying after EINTR never duplicates or splits one. Note that the kernel
// never restarts msgsnd/msgrcv after a signal handler, even with SA_RESTART:
// Eintr::kRetry is what makes a blocking call survive signals.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <climits>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "ipc/fd.h"
#include "ipc/result.h"

namespace ipc {

struct SendOptions {
  bool nowait =
      false;  // IPC_NOWAIT: EAGAIN instead of blocking on a full queue
  Eintr eintr =
      Eintr::kRetry;  // what a signal handler interrupting a blocked send does
};

struct ReceiveOptions {
  bool nowait = false;  // IPC_NOWAIT: ENOMSG instead of blocking
  bool except =
      false;  // MSG_EXCEPT: first message whose type is NOT msgtyp (msgtyp > 0
              // only; the kernel ignores it for msgtyp <= 0)
  bool truncate = false;  // MSG_NOERROR: cut a long message to the buffer (the
                          // rest is lost)
  Eintr eintr = Eintr::kRetry;
};

// Storage for one message as msgsnd/msgrcv want it: a long mtype followed by
// capacity bytes of text, correctly aligned and zero-filled. Reusable across
// receives.
//
// The constructor never throws. When the storage cannot be had (more than
// kMaxCapacity bytes, or no memory) the buffer holds none: allocated() is
// false, capacity() is 0, and a receive into it fails with ENOMEM naming the
// size asked for (requested()).
class MessageBuffer {
 public:
  // No message is longer: kernel.msgmax is at most INT_MAX. Larger buffers
  // are refused without asking the allocator.
  static constexpr std::size_t kMaxCapacity = INT_MAX;

  explicit MessageBuffer(std::size_t capacity);
  MessageBuffer(MessageBuffer&&) noexcept = default;
  MessageBuffer& operator=(MessageBuffer&&) noexcept = default;

  bool allocated() const { return words_ != nullptr; }
  // The capacity asked for, also when it could not be allocated.
  std::size_t requested() const { return requested_; }
  std::size_t capacity() const { return allocated() ? requested_ : 0; }
  long type() const { return allocated() ? words_[0] : 0; }
  void set_type(long type) {
    if (allocated()) words_[0] = type;
  }
  // The capacity() bytes after mtype.
  std::span<std::byte> text() {
    if (!allocated()) return {};
    return {reinterpret_cast<std::byte*>(&words_[1]), requested_};
  }
  // The struct msgbuf to hand to the kernel (null if not allocated()).
  void* raw() { return words_.get(); }

 private:
  std::size_t requested_;
  std::unique_ptr<long[]> words_;  // words_[0] = mtype, text from words_[1] on
};

// A received message inside a MessageBuffer; valid until the buffer is reused.
struct MessageView {
  long type;
  std::span<const std::byte> data;  // exactly the bytes received
};

// A received message with its own storage.
struct Message {
  long type;
  std::vector<std::byte> data;
};

// msqid_ds, with the fields tests and tools look at.
struct MsgStat {
  std::size_t qnum;    // messages queued
  std::size_t qbytes;  // capacity in bytes
  std::size_t cbytes;  // bytes queued
  pid_t lspid;         // last sender, 0 if none yet
  pid_t lrpid;         // last receiver, 0 if none yet
  time_t stime;        // last send, 0 if none yet
  time_t rtime;        // last receive, 0 if none yet
  time_t ctime;        // creation or last IPC_SET
  key_t key;           // creating key (IPC_PRIVATE = 0)
  uid_t uid;           // owner
  mode_t mode;         // permission bits
};

// Non-owning handle to a queue id; copying it does not copy the queue.
class MessageQueue {
 public:
  // msgget(key, 0): an existing queue. ENOENT if none; IPC_PRIVATE is EINVAL
  // (it names no existing queue: msgget would create a new one).
  static Result<MessageQueue> open(key_t key);
  // msgget(key, IPC_CREAT|mode): the existing queue or a new one. The mode
  // (permission bits only, else EINVAL) applies only if it is created.
  static Result<MessageQueue> create(key_t key, mode_t mode = 0600);
  // msgget(key, IPC_CREAT|IPC_EXCL|mode): EEXIST if the key already has a
  // queue.
  static Result<MessageQueue> create_exclusive(key_t key, mode_t mode = 0600);
  // msgget(IPC_PRIVATE, mode): always a new queue that no key finds.
  static Result<MessageQueue> create_private(mode_t mode = 0600);
  // A queue id obtained elsewhere (ids are system-wide); not checked.
  static MessageQueue from_id(int id) { return MessageQueue(id); }

  int id() const { return id_; }

  // msgsnd. type must be >= 1. Errors: EAGAIN "queue full" (nowait), EIDRM
  // "queue removed" (while blocked), EINVAL "N bytes exceeds msgmax M" or
  // "no queue with id N", EINTR only with Eintr::kSurface, ENOMEM "no N-byte
  // message buffer" (a message over 8 KiB is assembled in a MessageBuffer;
  // nothing sent).
  Status send(long type, std::span<const std::byte> data,
              SendOptions options = {}) const;

  // msgrcv into `buffer`. msgtyp 0 = oldest message; > 0 = oldest of that type
  // (of any other type with options.except); < 0 = lowest type <= |msgtyp|.
  // Errors: E2BIG "message longer than N-byte buffer; it stays queued" (unless
  // options.truncate), ENOMSG "no message matching type N" (nowait), EIDRM,
  // EINVAL "no queue with id N", EINTR only with Eintr::kSurface, ENOMEM "no
  // N-byte message buffer" (the buffer was not allocated; nothing received).
  Result<MessageView> receive(long msgtyp, MessageBuffer& buffer,
                              ReceiveOptions options = {}) const;
  // The same with a fresh buffer of max_size bytes, copied into a Message.
  // ENOMEM, nothing received, when that buffer cannot be allocated.
  Result<Message> receive(long msgtyp, std::size_t max_size,
                          ReceiveOptions options = {}) const;

  // msgctl(IPC_STAT).
  Result<MsgStat> stat() const;
  // Sets msg_qbytes (IPC_STAT, then IPC_SET with the other fields unchanged).
  // Raising it above msgmnb needs CAP_SYS_RESOURCE (EPERM otherwise).
  Status set_qbytes(std::size_t qbytes) const;
  // msgctl(IPC_RMID): discards queued messages and wakes blocked callers with
  // EIDRM.
  Status remove() const;

 private:
  explicit MessageQueue(int id) : id_(id) {}
  int id_;
};

// Removes its queue on destruction (errors ignored) unless release()d.
// Move-only.
class QueueOwner {
 public:
  explicit QueueOwner(MessageQueue queue) : queue_(queue) {}
  QueueOwner(QueueOwner&& other) noexcept
      : queue_(other.queue_), owns_(other.owns_) {
    other.owns_ = false;
  }
  QueueOwner& operator=(QueueOwner&& other) noexcept;
  QueueOwner(const QueueOwner&) = delete;
  QueueOwner& operator=(const QueueOwner&) = delete;
  ~QueueOwner();

  MessageQueue& queue() { return queue_; }
  const MessageQueue& queue() const { return queue_; }
  bool owns() const { return owns_; }
  // Stops owning: the queue outlives this object.
  MessageQueue release() {
    owns_ = false;
    return queue_;
  }

 private:
  MessageQueue queue_;
  bool owns_ = true;
};

}  // namespace ipc
